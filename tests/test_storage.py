"""Storage on a real SQLite file: schema and migrations, feeds, articles stored exactly once."""

from __future__ import annotations

import dataclasses
import re
import shutil
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

import storage.db
from storage import (
    DatabaseTooNewError,
    FeedExistsError,
    Storage,
    StorageError,
    UnknownFeedError,
    open_storage,
)
from storage.db import from_db_time, split_statements, to_db_time
from storage.types import FeedState, NewArticle, StoredEntry

NOW = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
MIGRATION_COUNT = len(list(storage.db.MIGRATIONS_DIR.glob("*.sql")))
FEED = "https://example.com/feed.xml"
OTHER_FEED = "https://example.org/rss"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Storage]:
    async with open_storage(tmp_path / "x.db") as opened:
        yield opened


def new_article(
    key: str,
    url: str | None = "default",
    title: str | None = None,
    published: datetime | None = None,
    guid: str | None = None,
) -> NewArticle:
    return NewArticle(
        entry_key=key,
        guid=guid if guid is not None else key,
        url=f"https://news.example/{key}" if url == "default" else url,
        title=title or f"Title {key}",
        summary=f"Summary of {key}",
        published=published,
        content_hash=f"hash-{key}",
    )


def state(checked_at: datetime = NOW, **changes: str | None) -> FeedState:
    return FeedState(
        checked_at=checked_at, next_check=checked_at + timedelta(minutes=15), **changes
    )


def read_sqlite(path: Path, sql: str) -> list[tuple[object, ...]]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


# --- opening and migrating ----------------------------------------------------------------


async def test_open_creates_the_schema(tmp_path):
    path = tmp_path / "sub" / "dir" / "x.db"
    async with open_storage(path) as opened:
        database = opened.database
        assert opened.path == path
        assert await database.fetch_value("PRAGMA user_version") == MIGRATION_COUNT
        assert await database.fetch_value("PRAGMA journal_mode") == "wal"
        assert await database.fetch_value("PRAGMA foreign_keys") == 1
        names = {row[0] for row in await database.fetch_all("SELECT name FROM sqlite_master")}
    assert {"meta", "feeds", "articles", "articles_fts", "articles_fts_after_insert"} <= names


async def test_reopening_is_a_no_op(tmp_path):
    path = tmp_path / "x.db"
    async with open_storage(path) as opened:
        await opened.feeds.add(FEED, NOW)
        schema = await opened.database.fetch_all("SELECT sql FROM sqlite_master ORDER BY name")
    async with open_storage(path) as opened:
        assert await opened.database.fetch_value("PRAGMA user_version") == MIGRATION_COUNT
        assert [feed.url for feed in await opened.feeds.all()] == [FEED]
        again = await opened.database.fetch_all("SELECT sql FROM sqlite_master ORDER BY name")
        assert [tuple(row) for row in again] == [tuple(row) for row in schema]


async def test_a_newer_database_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "newer.db"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE future (x)")
    connection.execute("PRAGMA user_version = 99")
    connection.commit()
    connection.close()
    before = path.read_bytes()
    with pytest.raises(DatabaseTooNewError) as caught:
        async with open_storage(path):
            pass
    message = str(caught.value)
    assert str(path) in message and "version 99" in message
    assert f"only up to {MIGRATION_COUNT}" in message and "newer Sitrep" in message
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["newer.db"]


@pytest.mark.parametrize(
    "content",
    [b"this is not a database at all\n" * 200, b"SQLite format 3\x00" + b"\xff" * 4096],
    ids=["text", "truncated-header"],
)
async def test_a_file_that_is_not_sqlite_is_a_storage_error(tmp_path, content):
    path = tmp_path / "garbage.db"
    path.write_bytes(content)
    with pytest.raises(StorageError) as caught:
        async with open_storage(path):
            pass
    assert not isinstance(caught.value, sqlite3.Error)
    assert str(path) in str(caught.value)
    assert path.read_bytes() == content


@pytest.mark.parametrize("layout", ["path-is-a-directory", "parent-is-a-file"])
async def test_a_path_that_cannot_be_opened_is_a_storage_error(tmp_path, layout):
    if layout == "path-is-a-directory":
        path = tmp_path / "db"
        path.mkdir()
    else:
        (tmp_path / "file").write_text("x")
        path = tmp_path / "file" / "x.db"
    with pytest.raises(StorageError) as caught:
        async with open_storage(path):
            pass
    assert str(path) in str(caught.value)


def copy_migrations(target: Path, extra: dict[str, str]) -> Path:
    target.mkdir()
    for source in storage.db.MIGRATIONS_DIR.glob("*.sql"):
        shutil.copy(source, target / source.name)
    for name, text in extra.items():
        (target / name).write_text(text, encoding="utf-8")
    return target


async def test_migrations_run_in_one_transaction(tmp_path, monkeypatch):
    broken = f"{MIGRATION_COUNT + 1:04d}_broken.sql"
    directory = copy_migrations(
        tmp_path / "migrations", {broken: "CREATE TABLE fine (x);\nCREATE TABLE broken (;\n"}
    )
    monkeypatch.setattr(storage.db, "MIGRATIONS_DIR", directory)
    path = tmp_path / "x.db"
    with pytest.raises(StorageError) as caught:
        async with open_storage(path):
            pass
    assert not isinstance(caught.value, sqlite3.Error)
    assert read_sqlite(path, "PRAGMA user_version") == [(0,)]
    assert read_sqlite(path, "SELECT name FROM sqlite_master") == []


async def test_only_pending_migrations_run(tmp_path, monkeypatch):
    path = tmp_path / "x.db"
    async with open_storage(path) as opened:
        await opened.feeds.add(FEED, NOW)
    step = f"{MIGRATION_COUNT + 1:04d}_notes.sql"
    trigger = (
        "CREATE TABLE notes (feed_id INTEGER REFERENCES feeds (id), body TEXT);\n"
        "CREATE TRIGGER notes_on_feed AFTER INSERT ON feeds BEGIN\n"
        "    INSERT INTO notes (feed_id, body) VALUES (new.id, 'added; seen');\n"
        "END;\n"
    )
    monkeypatch.setattr(
        storage.db, "MIGRATIONS_DIR", copy_migrations(tmp_path / "m", {step: trigger})
    )
    async with open_storage(path) as opened:
        assert await opened.database.fetch_value("PRAGMA user_version") == MIGRATION_COUNT + 1
        await opened.feeds.add(OTHER_FEED, NOW)
        notes = await opened.database.fetch_all("SELECT body FROM notes")
        assert [row[0] for row in notes] == ["added; seen"]
        assert len(await opened.feeds.all()) == 2


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        (
            "CREATE TABLE a (x);\nCREATE TABLE b (y);\n",
            ["CREATE TABLE a (x);", "CREATE TABLE b (y);"],
        ),
        (
            "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  INSERT INTO b VALUES (1);\n"
            "  INSERT INTO b VALUES (2);\nEND;\nCREATE TABLE c (z);\n",
            [
                "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  INSERT INTO b VALUES (1);\n"
                "  INSERT INTO b VALUES (2);\nEND;",
                "CREATE TABLE c (z);",
            ],
        ),
        ("INSERT INTO a VALUES ('x;\ny');\n", ["INSERT INTO a VALUES ('x;\ny');"]),
        (
            "-- heading\nCREATE TABLE a (x);\n-- trailing note\n",
            ["-- heading\nCREATE TABLE a (x);"],
        ),
        ("CREATE TABLE a (\n  x, -- a column; with a semicolon\n  y\n);", None),
        ("", []),
    ],
    ids=[
        "two-tables",
        "trigger-body",
        "semicolon-in-string",
        "comments",
        "comment-semicolon",
        "empty",
    ],
)
def test_split_statements(script, expected):
    statements = split_statements(script)
    if expected is None:
        assert statements == [script.strip()]
    else:
        assert statements == expected


def test_split_statements_of_the_shipped_migrations_are_complete():
    for path in storage.db.MIGRATIONS_DIR.glob("*.sql"):
        text = path.read_text(encoding="utf-8")
        statements = split_statements(text)
        assert all(sqlite3.complete_statement(s) for s in statements)
        # One statement per line starting with a command (trigger bodies are indented).
        starts = re.findall(r"^(?:CREATE|ALTER|INSERT|UPDATE|DELETE) ", text, re.MULTILINE)
        assert len(statements) == len(starts)


def test_split_statements_refuses_an_unterminated_statement():
    with pytest.raises(AssertionError, match="unterminated"):
        split_statements("CREATE TABLE a (x);\nCREATE TABLE b (y)\n")


# --- time at the boundary -----------------------------------------------------------------


def test_naive_datetimes_are_refused():
    with pytest.raises(AssertionError, match="naive"):
        to_db_time(datetime(2026, 1, 1))  # naive on purpose: the point of the test


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (
            datetime(2026, 1, 1, 2, 30, tzinfo=timezone(timedelta(hours=2))),
            "2026-01-01 00:30:00.000000",
        ),
        (
            datetime(2026, 1, 1, 20, 0, tzinfo=timezone(timedelta(hours=-5))),
            "2026-01-02 01:00:00.000000",
        ),
        (datetime(2026, 1, 1, 0, 0, 0, 1, tzinfo=UTC), "2026-01-01 00:00:00.000001"),
        (datetime(999, 12, 31, tzinfo=UTC), "0999-12-31 00:00:00.000000"),
    ],
    ids=["plus-2h", "minus-5h-next-day", "microsecond", "year-below-1000-padded"],
)
def test_to_db_time_is_fixed_width_utc(moment, text):
    assert to_db_time(moment) == text
    assert from_db_time(text) == moment
    assert from_db_time(text).tzinfo is UTC  # type: ignore[union-attr]


def test_db_time_text_order_is_time_order():
    moments = [datetime(year, 6, 1, tzinfo=UTC) for year in (500, 999, 1000, 1990, 2026, 9999)]
    assert sorted(moments, key=to_db_time) == moments


def test_db_time_round_trip_keeps_microseconds():
    moment = datetime(2026, 2, 3, 4, 5, 6, 789012, tzinfo=UTC)
    assert from_db_time(to_db_time(moment)) == moment
    assert from_db_time(None) is None


# --- feeds --------------------------------------------------------------------------------


async def test_add_get_all(store):
    added = await store.feeds.add(FEED, NOW, name="Example")
    assert added.url == FEED and added.name == "Example" and added.display_name == "Example"
    assert added.added_at == NOW and added.next_check == NOW
    assert added.error_count == 0 and added.last_checked is None and added.last_updated is None
    assert added.disabled_reason is None and added.etag is None
    other = await store.feeds.add(OTHER_FEED, NOW)
    assert other.display_name == OTHER_FEED
    assert await store.feeds.get(FEED) == added
    assert await store.feeds.get_by_id(other.id) == other
    assert await store.feeds.all() == [added, other]


async def test_adding_a_feed_twice_is_refused(store):
    await store.feeds.add(FEED, NOW)
    with pytest.raises(FeedExistsError, match="already present") as caught:
        await store.feeds.add(FEED, NOW + timedelta(hours=1), name="again")
    assert caught.value.url == FEED
    assert len(await store.feeds.all()) == 1


@pytest.mark.parametrize("action", ["get", "remove", "enable", "get_by_id"])
async def test_unknown_feed(store, action):
    calls = {
        "get": lambda: store.feeds.get(FEED),
        "remove": lambda: store.feeds.remove(FEED),
        "enable": lambda: store.feeds.enable(FEED, NOW),
        "get_by_id": lambda: store.feeds.get_by_id(12345),
    }
    with pytest.raises(UnknownFeedError, match="no such feed"):
        await calls[action]()


async def test_remove_cascades_to_articles_and_counts_them(store):
    feed = await store.feeds.add(FEED, NOW)
    other = await store.feeds.add(OTHER_FEED, NOW)
    articles = [new_article(f"a{i}", title=f"zebra story {i}") for i in range(3)]
    await store.articles.store_fetch(feed.id, articles, state(), NOW, backlog=False)
    await store.articles.store_fetch(other.id, [new_article("b1")], state(), NOW, backlog=False)
    assert await store.feeds.remove(FEED) == 3
    assert [f.url for f in await store.feeds.all()] == [OTHER_FEED]
    assert [a.feed_id for a in await store.articles.find()] == [other.id]
    assert await store.articles.find(search="zebra") == []  # the full-text index followed
    assert await store.feeds.remove(OTHER_FEED) == 1


async def test_add_many_ignores_duplicates(store):
    await store.feeds.add(FEED, NOW, name="kept")
    added = await store.feeds.add_many(
        [
            (FEED, "ignored"),
            (OTHER_FEED, "Other"),
            ("https://c.example/", None),
            (OTHER_FEED, None),
        ],
        NOW,
    )
    assert added == 2
    feeds = await store.feeds.all()
    assert [(f.url, f.name) for f in feeds] == [
        (FEED, "kept"),
        (OTHER_FEED, "Other"),
        ("https://c.example/", None),
    ]


async def test_seed_once_seeds_only_the_first_time(store):
    seeds = [(FEED, "A"), (OTHER_FEED, None)]
    assert await store.feeds.seed_once(seeds, NOW) == 2
    assert await store.feeds.seed_once([*seeds, ("https://new.example/", None)], NOW) is None
    for feed in await store.feeds.all():
        await store.feeds.remove(feed.url)
    assert await store.feeds.seed_once(seeds, NOW) is None
    assert await store.feeds.all() == []


async def test_seed_once_with_an_empty_list_still_counts_as_seeded(store):
    assert await store.feeds.seed_once([], NOW) == 0
    assert await store.feeds.seed_once([(FEED, None)], NOW) is None


async def test_due_respects_next_check_and_disabled(store):
    late = await store.feeds.add("https://late.example/", NOW - timedelta(hours=2))
    early = await store.feeds.add("https://early.example/", NOW - timedelta(hours=3))
    future = await store.feeds.add("https://future.example/", NOW)
    await store.feeds.record_not_modified(
        [(future.id, FeedState(checked_at=NOW, next_check=NOW + timedelta(seconds=1)))]
    )
    broken = await store.feeds.add("https://broken.example/", NOW - timedelta(days=1))
    await store.feeds.record_failure(broken.id, state(NOW - timedelta(days=1)), "HTTP 410", "gone")
    exactly = await store.feeds.add("https://exact.example/", NOW)
    due = await store.feeds.due(NOW)
    assert [f.id for f in due] == [early.id, late.id, exactly.id]  # most overdue first
    assert broken.id not in [f.id for f in await store.feeds.due(NOW + timedelta(days=30))]
    assert future.id in [f.id for f in await store.feeds.due(NOW + timedelta(seconds=1))]
    assert broken.id not in [f.id for f in await store.feeds.enabled()]


async def test_record_failure_counts_and_disables(store):
    feed = await store.feeds.add(FEED, NOW)
    later = NOW + timedelta(minutes=5)
    await store.feeds.record_failure(feed.id, state(later), "HTTP 500", None)
    await store.feeds.record_failure(feed.id, state(later), "timed out", None)
    after = await store.feeds.get(FEED)
    assert after.error_count == 2 and after.last_error == "timed out"
    assert after.disabled_reason is None
    assert after.last_checked == later and after.next_check == later + timedelta(minutes=15)
    await store.feeds.record_failure(feed.id, state(later), "HTTP 410", "gone for good")
    disabled = await store.feeds.get(FEED)
    assert disabled.error_count == 3 and disabled.disabled_reason == "gone for good"
    assert await store.feeds.due(NOW + timedelta(days=365)) == []


async def test_record_not_modified_changes_only_check_times_and_ends_the_streak(store):
    feed = await store.feeds.add(FEED, NOW, name="Named")
    fetched = state(NOW, etag='"v1"', last_modified="Sun, 01 Mar 2026 11:00:00 GMT", title="T")
    await store.articles.store_fetch(feed.id, [new_article("a")], fetched, NOW, backlog=True)
    await store.feeds.record_failure(feed.id, state(NOW + timedelta(minutes=1)), "HTTP 503", None)
    before = await store.feeds.get(FEED)
    assert before.error_count == 1
    checked = NOW + timedelta(hours=1)
    await store.feeds.record_not_modified([(feed.id, state(checked))])
    after = await store.feeds.get(FEED)
    expected = dataclasses.replace(
        before,
        last_checked=checked,
        next_check=checked + timedelta(minutes=15),
        error_count=0,
        last_error=None,
    )
    assert after == expected
    assert after.etag == '"v1"' and after.last_updated == NOW  # validators and content time stay


async def test_record_not_modified_for_many_feeds_at_once(store):
    feeds = [await store.feeds.add(f"https://f{i}.example/", NOW) for i in range(3)]
    untouched = await store.feeds.add("https://untouched.example/", NOW)
    await store.feeds.record_not_modified([])  # nothing to do is fine
    checked = [NOW + timedelta(minutes=i) for i in range(3)]
    await store.feeds.record_not_modified(
        [(feed.id, state(moment)) for feed, moment in zip(feeds, checked, strict=True)]
    )
    for feed, moment in zip(feeds, checked, strict=True):
        after = await store.feeds.get(feed.url)
        assert after.last_checked == moment and after.next_check == moment + timedelta(minutes=15)
    assert await store.feeds.get(untouched.url) == untouched


async def test_enable_re_enables(store):
    feed = await store.feeds.add(FEED, NOW)
    await store.feeds.record_failure(feed.id, state(), "HTTP 410", "gone")
    later = NOW + timedelta(days=2)
    enabled = await store.feeds.enable(FEED, later)
    assert enabled.disabled_reason is None and enabled.error_count == 0
    assert enabled.next_check == later
    assert [f.id for f in await store.feeds.due(later)] == [feed.id]


# --- articles -----------------------------------------------------------------------------


async def test_store_fetch_stores_articles_and_feed_state(store):
    feed = await store.feeds.add(FEED, NOW)
    fetched = state(
        NOW,
        etag='W/"abc"',
        last_modified="Sun, 01 Mar 2026 11:00:00 GMT",
        title="Example News",
        site_url="https://example.com/",
    )
    ids = await store.articles.store_fetch(
        feed.id, [new_article("a"), new_article("b")], fetched, NOW, backlog=False
    )
    assert len(ids) == 2
    after = await store.feeds.get(FEED)
    assert after.etag == 'W/"abc"' and after.last_modified == "Sun, 01 Mar 2026 11:00:00 GMT"
    assert after.title == "Example News" and after.site_url == "https://example.com/"
    assert after.last_updated == NOW and after.last_checked == NOW
    assert after.next_check == NOW + timedelta(minutes=15)
    stored = await store.articles.get(ids[0])
    assert stored is not None
    assert (stored.title, stored.summary, stored.guid) == ("Title a", "Summary of a", "a")
    assert stored.feed_title == "Example News" and stored.first_seen == NOW
    assert await store.articles.get(999999) is None


async def test_store_fetch_without_a_title_keeps_the_old_one_and_resets_errors(store):
    feed = await store.feeds.add(FEED, NOW)
    await store.articles.store_fetch(feed.id, [], state(title="Old", site_url="s"), NOW, False)
    await store.feeds.record_failure(feed.id, state(), "HTTP 500", None)
    later = NOW + timedelta(hours=1)
    await store.articles.store_fetch(feed.id, [], state(later), later, False)
    after = await store.feeds.get(FEED)
    assert after.title == "Old" and after.site_url == "s"
    assert after.etag is None  # a response without validators clears the old ones
    assert after.error_count == 0 and after.last_error is None and after.last_updated == later


async def test_store_fetch_is_one_transaction(store):
    feed = await store.feeds.add(FEED, NOW)
    naive = datetime(2026, 1, 1)  # a caller bug: must roll all back
    bad = new_article("bad", published=naive)
    with pytest.raises(AssertionError):
        await store.articles.store_fetch(
            feed.id, [new_article("good"), bad], state(etag="x", title="T"), NOW, False
        )
    assert await store.articles.count() == 0
    assert await store.feeds.get(FEED) == feed
    assert (
        len(await store.articles.store_fetch(feed.id, [new_article("c")], state(), NOW, False)) == 1
    )


async def test_same_entry_key_in_a_feed_is_stored_once(store):
    feed = await store.feeds.add(FEED, NOW)
    first = await store.articles.store_fetch(feed.id, [new_article("k")], state(), NOW, False)
    again = new_article("k", url="https://news.example/changed", title="Changed")
    assert await store.articles.store_fetch(feed.id, [again], state(), NOW, False) == []
    assert len(first) == 1 and await store.articles.count() == 1
    only = (await store.articles.find())[0]
    assert only.title == "Title k"  # the first version is kept


async def test_same_key_in_one_batch_is_stored_once(store):
    feed = await store.feeds.add(FEED, NOW)
    batch = [new_article("k"), new_article("k", url="https://news.example/other")]
    assert len(await store.articles.store_fetch(feed.id, batch, state(), NOW, False)) == 1


async def test_same_url_from_another_feed_is_stored_once(store):
    one = await store.feeds.add(FEED, NOW)
    two = await store.feeds.add(OTHER_FEED, NOW)
    url = "https://news.example/story"
    assert (
        len(await store.articles.store_fetch(one.id, [new_article("x", url)], state(), NOW, False))
        == 1
    )
    assert (
        await store.articles.store_fetch(two.id, [new_article("y", url)], state(), NOW, False) == []
    )
    assert [a.feed_id for a in await store.articles.find()] == [one.id]
    # the second feed's state is still recorded although nothing new arrived
    assert (await store.feeds.get(OTHER_FEED)).last_updated == NOW


async def test_articles_without_url_are_not_deduplicated_by_url(store):
    feed = await store.feeds.add(FEED, NOW)
    other = await store.feeds.add(OTHER_FEED, NOW)
    batch = [new_article("a", url=None), new_article("b", url=None)]
    assert len(await store.articles.store_fetch(feed.id, batch, state(), NOW, False)) == 2
    same_key_elsewhere = [new_article("a", url=None)]
    assert (
        len(await store.articles.store_fetch(other.id, same_key_elsewhere, state(), NOW, False))
        == 1
    )
    assert await store.articles.count() == 3


@pytest.mark.parametrize("backlog", [True, False], ids=["backlog", "fresh"])
async def test_backlog_flag_is_kept(store, backlog):
    feed = await store.feeds.add(FEED, NOW)
    [article_id] = await store.articles.store_fetch(
        feed.id, [new_article("a")], state(), NOW, backlog
    )
    stored = await store.articles.get(article_id)
    assert stored is not None and stored.backlog is backlog


async def test_stored_entries_across_chunks(store):
    feed = await store.feeds.add(FEED, NOW)
    other = await store.feeds.add(OTHER_FEED, NOW)
    articles = [new_article(f"k{i:04d}") for i in range(1203)]
    assert len(await store.articles.store_fetch(feed.id, articles, state(), NOW, False)) == 1203
    await store.articles.store_fetch(other.id, [new_article("z", url=None)], state(), NOW, False)
    keys = [f"k{i:04d}" for i in range(1210)] + ["z", "unknown"]
    found = await store.articles.stored_entries(feed.id, keys)
    assert set(found) == {f"k{i:04d}" for i in range(1203)}  # "z" belongs to the other feed
    assert found["k0700"] == StoredEntry("https://news.example/k0700", "Title k0700")
    assert await store.articles.stored_entries(feed.id, []) == {}


async def test_find_orders_by_published_else_first_seen(store):
    feed = await store.feeds.add(FEED, NOW, name="Named")
    day = timedelta(days=1)
    await store.articles.store_fetch(
        feed.id,
        [
            new_article("old", published=NOW - 3 * day),
            new_article("undated"),  # sorts by first_seen: NOW - 2 days
            new_article("new", published=NOW - day + timedelta(microseconds=1)),
        ],
        state(),
        NOW - 2 * day,
        False,
    )
    await store.articles.store_fetch(
        feed.id, [new_article("newest", published=NOW)], state(), NOW, False
    )
    found = await store.articles.find()
    assert [a.guid for a in found] == ["newest", "new", "undated", "old"]
    assert found[2].published is None and found[2].sort_time == NOW - 2 * day
    assert {a.feed_title for a in found} == {"Named"}
    assert [a.guid for a in await store.articles.find(limit=2)] == ["newest", "new"]
    assert [a.guid for a in await store.articles.find(since=NOW - 2 * day)] == [
        "newest",
        "new",
        "undated",
    ]
    assert await store.articles.find(since=NOW + timedelta(microseconds=1)) == []


async def test_find_breaks_ties_by_newest_id(store):
    feed = await store.feeds.add(FEED, NOW)
    batch = [new_article(f"t{i}") for i in range(3)]
    await store.articles.store_fetch(feed.id, batch, state(), NOW, False)
    assert [a.guid for a in await store.articles.find()] == ["t2", "t1", "t0"]


async def test_count_uses_first_seen(store):
    feed = await store.feeds.add(FEED, NOW)
    old_news = [new_article("a", published=NOW - timedelta(days=300))]
    await store.articles.store_fetch(feed.id, old_news, state(), NOW, False)
    await store.articles.store_fetch(
        feed.id, [new_article("b")], state(), NOW - timedelta(days=2), False
    )
    assert await store.articles.count() == 2
    assert await store.articles.count(since=NOW - timedelta(days=1)) == 1
    assert await store.articles.count(since=NOW + timedelta(seconds=1)) == 0
