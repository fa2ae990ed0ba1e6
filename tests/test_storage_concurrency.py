"""Reads and writes side by side. The read connection: lookups read the last committed state
while the writer is inside a long transaction, instead of queueing behind it. Chunked stores: a
big feed is written in several short transactions, its state with the last. Real SQLite files,
real aiosqlite."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import storage.articles
from storage import Storage, open_storage
from storage.types import FeedState, NewArticle

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
# Only a guard against a hang if reads did queue behind the writer: never reached when they
# do not, and no test asserts how long anything took.
HOLD_AT_MOST_SECONDS = 60.0


def article(key: str, title: str) -> NewArticle:
    return NewArticle(
        entry_key=key,
        guid=key,
        url=f"https://news.example/{key}",
        title=title,
        summary=f"About {title}",
        published=NOW,
        content_hash=key,
    )


@pytest.fixture
async def stored(tmp_path: Path) -> AsyncIterator[Storage]:
    """A database holding one feed with one article, committed."""
    async with open_storage(tmp_path / "sitrep.db") as storage:
        feed = await storage.feeds.add("https://news.example/feed", NOW)
        state = FeedState(NOW, NOW)
        await storage.articles.store_fetch(feed.id, [article("1", "Committed")], state, NOW, False)
        yield storage


async def test_a_lookup_reads_while_a_transaction_holds_the_writer(stored: Storage) -> None:
    inside, release = asyncio.Event(), asyncio.Event()

    async def hold_the_writer() -> None:
        async with stored.database.transaction() as connection:
            await connection.execute(
                "INSERT INTO feeds (url, added_at, next_check) VALUES ('https://x.example/', ?, ?)",
                ("2025-03-01 12:00:00.000000", "2025-03-01 12:00:00.000000"),
            )
            inside.set()
            await release.wait()

    writer = asyncio.create_task(hold_the_writer())
    await inside.wait()
    found = await stored.articles.find()
    feeds = await stored.feeds.all()
    assert not writer.done()  # the writer is still inside its transaction
    assert [a.title for a in found] == ["Committed"]
    assert [f.url for f in feeds] == ["https://news.example/feed"]  # nothing uncommitted
    release.set()
    await writer
    assert len(await stored.feeds.all()) == 2  # committed: the next read sees it


async def test_a_lookup_completes_while_the_database_thread_runs_a_write(stored: Storage) -> None:
    """run_in_transaction occupies the writer's thread for the whole transaction (a feed's
    store): a read through the same connection would wait for all of it."""
    loop = asyncio.get_running_loop()
    inside, release = asyncio.Event(), threading.Event()

    def long_write(connection: sqlite3.Connection) -> None:
        connection.execute("DELETE FROM articles")
        loop.call_soon_threadsafe(inside.set)
        release.wait(HOLD_AT_MOST_SECONDS)

    writer = asyncio.create_task(stored.database.run_in_transaction(long_write))
    await inside.wait()
    try:
        found = await stored.articles.find(search="Committed")
        count = await stored.articles.count_matching(None, "Committed")
        assert not writer.done()  # the read finished while the write was still running
    finally:
        release.set()
        await writer
    assert ([a.title for a in found], count) == (["Committed"], 1)
    assert await stored.articles.find() == []  # the delete, once committed


async def test_the_reader_cannot_write(stored: Storage) -> None:
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        await stored.database.fetch_all("DELETE FROM articles")
    assert len(await stored.articles.find()) == 1


async def test_reads_inside_a_transaction_see_its_own_writes(stored: Storage) -> None:
    """What must see uncommitted writes reads through the transaction's connection."""
    async with stored.database.transaction() as connection:
        await connection.execute("DELETE FROM articles")
        async with connection.execute("SELECT count(*) FROM articles") as cursor:
            row = await cursor.fetchone()
        inside = None if row is None else row[0]
        outside = await stored.database.fetch_value("SELECT count(*) FROM articles")
    assert (inside, outside) == (0, 1)


async def test_fetch_one_leaves_no_statement_open(stored: Storage) -> None:
    """An unfinished statement would pin the reader to an old snapshot: later reads would
    miss newer commits."""
    first = await stored.database.fetch_one("SELECT id FROM feeds UNION ALL SELECT 2")
    assert first is not None
    await stored.feeds.add("https://later.example/feed", NOW)
    assert await stored.database.fetch_value("SELECT count(*) FROM feeds") == 2


async def test_close_closes_both_connections(tmp_path: Path) -> None:
    async with open_storage(tmp_path / "sitrep.db") as storage:
        database = storage.database
    for connection in (database.connection, database.reader):
        with pytest.raises(ValueError, match="no active connection"):
            await connection.execute("SELECT 1")


# --- chunked stores ------------------------------------------------------------------------


async def test_a_big_fetch_is_stored_in_chunks_with_the_state_last(
    stored: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage.articles, "STORE_CHUNK", 2)
    feed = await stored.feeds.add("https://big.example/feed", NOW)
    fresh = [article(f"big-{n}", f"Story {n}") for n in range(5)]
    state = FeedState(NOW, NOW + timedelta(hours=1), etag='"v2"')
    new_ids = await stored.articles.store_fetch(feed.id, fresh, state, NOW, True)
    assert len(new_ids) == len(set(new_ids)) == 5
    titles = {a.title for a in await stored.articles.find(limit=10) if a.feed_id == feed.id}
    assert titles == {f"Story {n}" for n in range(5)}
    assert (await stored.feeds.get_by_id(feed.id)).etag == '"v2"'


async def test_a_store_failing_midway_keeps_whole_chunks_and_the_old_state(
    stored: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a crash would: the next poll sees the old validators, refetches, and stores only
    what the committed chunks did not."""
    monkeypatch.setattr(storage.articles, "STORE_CHUNK", 2)
    feed = await stored.feeds.add("https://big.example/feed", NOW)
    fresh = [article(f"big-{n}", f"Story {n}") for n in range(5)]
    broken = replace(fresh[3], title=None)  # type: ignore[arg-type]  # NOT NULL: the second chunk's transaction fails
    state = FeedState(NOW, NOW + timedelta(hours=1), etag='"v2"')
    with pytest.raises(sqlite3.IntegrityError):
        await stored.articles.store_fetch(feed.id, [*fresh[:3], broken, fresh[4]], state, NOW, True)
    kept = {a.title for a in await stored.articles.find(limit=10) if a.feed_id == feed.id}
    assert kept == {"Story 0", "Story 1"}  # the first chunk only
    assert (await stored.feeds.get_by_id(feed.id)).etag is None
    again = await stored.articles.store_fetch(feed.id, fresh, state, NOW, True)
    assert len(again) == 3
    assert (await stored.feeds.get_by_id(feed.id)).etag == '"v2"'
