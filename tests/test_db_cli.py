"""`db backup` and `db prune` through main.main, on a real database in tmp_path."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import main
from bot.maintenance import prune_old_articles, retention_cutoff
from storage import Storage, open_storage
from storage.maintenance import MaintenanceStore, PruneCounts, inspect_database
from storage.types import ActorTag, ArticleTags, CountryTag, FeedState, NewArticle
from tests.conftest import SEEDED_FEED, point_settings_at

NOW = datetime(2026, 11, 3, 8, 0, tzinfo=UTC)
TAGS = ArticleTags(
    (CountryTag("IQ", "location", 0.9, ()),), (ActorTag("kataib-hezbollah", 0.8, ()),)
)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Settings pointing at tmp_path; returns the database path."""
    return Path(point_settings_at(monkeypatch, tmp_path, SEEDED_FEED)["SITREP_STORAGE_PATH"])


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main.main(list(argv), out=out)
    return code, out.getvalue()


def article(number: int, summary: str = "") -> NewArticle:
    return NewArticle(
        entry_key=f"key-{number}",
        guid=f"guid-{number}",
        url=f"https://news.example.org/{number}",
        title=f"Rocket strike number {number} near Baghdad",
        summary=summary or f"Kataib Hezbollah claimed attack {number}.",
        published=None,
        content_hash=f"hash-{number}",
        tags=TAGS,
    )


async def store(
    opened: Storage, numbers: Sequence[int], first_seen: datetime, summary: str = ""
) -> None:
    feed = (await opened.feeds.all())[0]
    state = FeedState(first_seen, first_seen + timedelta(minutes=15))
    batch = [article(number, summary) for number in numbers]
    await opened.articles.store_fetch(feed.id, batch, state, first_seen, False, "v1")


async def database_with(path: Path, old: range, recent: range, now: datetime) -> None:
    async with open_storage(path) as opened:
        await opened.feeds.add("https://wire.example.org/rss", now, name="Wire")
        await store(opened, old, now - timedelta(days=400))
        await store(opened, recent, now - timedelta(days=2))


# --- prune ----------------------------------------------------------------------------------


async def test_prune_deletes_old_articles_with_their_tags_and_index_entries(env: Path) -> None:
    await database_with(env, range(0, 5), range(5, 8), datetime.now(UTC))
    code, out = await asyncio.to_thread(run, "db", "prune", "--older-than", "26w", "--dry-run")
    assert code == 0 and "Would prune 5 articles first seen before" in out
    code, out = await asyncio.to_thread(run, "db", "prune", "--older-than", "26w")
    assert code == 0, out
    assert "Pruned 5 articles" in out and "(older than 26w)" in out
    assert "with 5 country and 5 actor tags" in out
    async with open_storage(env) as opened:
        left = await opened.articles.find(limit=100)
        assert sorted(a.url or "" for a in left) == [
            f"https://news.example.org/{n}" for n in (5, 6, 7)
        ]
        found = await opened.articles.find(search="rocket strike", limit=100)
        assert len(found) == 3  # the full-text index forgot the pruned ones
        tags = await opened.tags.for_articles([1, 2, 3, 4, 5, 6])
        assert [bool(tags[i].countries) for i in range(1, 7)] == [False] * 5 + [True]


@pytest.mark.parametrize(
    ("days", "expected"),
    [("30", "Pruned 5 articles"), ("0", "retention_days is 0 (keep everything): nothing pruned")],
)
async def test_prune_defaults_to_the_retention_setting(env, monkeypatch, days, expected) -> None:
    await database_with(env, range(0, 5), range(5, 8), datetime.now(UTC))
    monkeypatch.setenv("SITREP_STORAGE_RETENTION_DAYS", days)
    code, out = await asyncio.to_thread(run, "db", "prune")
    assert code == 0 and expected in out
    if days != "0":
        assert "(storage.retention_days = 30)" in out


def test_prune_refuses_a_bad_duration(env: Path, capsys) -> None:
    assert run("db", "prune", "--older-than", "half a year")[0] == 2
    err = capsys.readouterr().err
    assert "is not a duration" in err and err.count("\n") == 1


async def test_prune_goes_batch_by_batch(tmp_path: Path) -> None:
    path = tmp_path / "sitrep.db"
    await database_with(path, range(0, 7), range(7, 9), NOW)
    async with open_storage(path) as opened:
        cutoff = NOW - timedelta(days=30)
        counts = await MaintenanceStore(opened.database).prune(cutoff, batch_size=3)
        assert counts == PruneCounts(articles=7, country_tags=7, actor_tags=7, batches=3)
        assert await opened.articles.count() == 2
        assert await prune_old_articles(opened, 30, NOW) == 0  # nothing older is left
        assert await prune_old_articles(opened, 0, NOW + timedelta(days=999)) == 0  # keep all
        assert await prune_old_articles(opened, 1, NOW) == 2


@pytest.mark.parametrize(
    ("days", "expected"),
    [(0, None), (-1, None), (1, NOW - timedelta(days=1)), (180, NOW - timedelta(days=180))],
)
def test_retention_cutoff(days: int, expected: datetime | None) -> None:
    assert retention_cutoff(NOW, days) == expected


# --- backup ---------------------------------------------------------------------------------


def test_backup_refuses_to_overwrite_unless_forced(env: Path, tmp_path: Path, capsys) -> None:
    assert run("feeds", "list")[0] == 0  # creates the database
    target = tmp_path / "copy.db"
    target.write_text("precious")
    assert run("db", "backup", str(target))[0] == 2
    assert "already exists; pass --force" in capsys.readouterr().err
    assert target.read_text() == "precious"
    code, out = run("db", "backup", str(target), "--force")
    assert code == 0 and f"to {target}: " in out and "integrity ok" in out
    assert inspect_database(target).feeds is not None
    assert not list(tmp_path.glob("*.partial"))


def test_backup_into_a_folder_and_of_nothing(env: Path, tmp_path: Path, capsys) -> None:
    assert run("db", "backup", str(tmp_path / "x.db"))[0] == 2
    assert "no database at" in capsys.readouterr().err
    assert not env.exists()  # backup never creates the database
    assert run("feeds", "list")[0] == 0
    folder = tmp_path / "backups"
    code, out = run("db", "backup", f"{folder}/")  # a folder, created
    [copy] = folder.glob("sitrep-*.db")
    assert code == 0 and str(copy) in out
    existing = tmp_path / "existing"
    existing.mkdir()
    assert run("db", "backup", str(existing))[0] == 0
    assert len(list(existing.glob("sitrep-*.db"))) == 1


async def test_backup_while_the_bot_writes_gives_a_sound_copy(env: Path, tmp_path: Path) -> None:
    body = "Militia convoy attacked near the border crossing. " * 40  # ~2 KB per article
    stop, written = asyncio.Event(), [0]
    async with open_storage(env) as opened:
        await opened.feeds.add("https://wire.example.org/rss", NOW, name="Wire")
        await store(opened, range(0, 2000), NOW, body)

        async def writer() -> None:
            number = 2000
            while not stop.is_set():  # the bot's poller: small transactions, back to back
                await store(opened, range(number, number + 20), NOW, body)
                number += 20
                written[0] = number

        task = asyncio.create_task(writer())
        while written[0] < 2100:  # writing is under way
            await asyncio.sleep(0.01)
        before = written[0]
        target = tmp_path / "backup.db"
        code, out = await asyncio.to_thread(run, "db", "backup", str(target))
        stop.set()
        await task
        after = written[0]
    assert code == 0, out
    report = inspect_database(target)
    assert report.integrity == ("ok",)
    assert report.articles is not None and before <= report.articles <= after
    async with open_storage(target) as copy:  # a usable database, not just a sound file
        assert await copy.articles.count() == report.articles
        assert len(await copy.articles.find(search="rocket strike", limit=5)) == 5


@pytest.mark.parametrize("argv", [["db"], ["db", "backup"], ["db", "prune"], ["doctor"]])
def test_commands_have_help(argv: list[str], capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        main.main([*argv, "--help"])
    assert exited.value.code == 0
    assert "usage:" in capsys.readouterr().out
