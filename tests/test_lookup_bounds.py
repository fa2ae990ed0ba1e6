"""Filtered lookups give exactly the brute-force answer, whichever path they take.

`find` and `count_matching` look in the newest windows first, then in the whole range, and
every path reads each filter's index only from a lower bound on the range's ids (the hourly
marks of migration 0004). Ids and times disagree here on purpose: feeds publish late,
backdate, or give no date at all, and old articles are pruned between checks. The windows are
shrunk (a parameter of the module, not a mock) so that a few hundred articles take every path.
"""

from __future__ import annotations

import contextlib
import random
import shutil
import sqlite3
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import storage.articles as articles_module
import storage.db
from storage import Storage, open_storage
from storage.types import ActorTag, ArticleTags, CountryTag, Evidence, FeedState, NewArticle

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
COUNTRIES = ("IQ", "SY", "YE", "ML")
ACTORS = ("kataib-hezbollah", "houthis", "jnim")
WORDS = ("strike", "drone", "convoy", "rare")


@dataclass(frozen=True)
class Stored:
    id: int
    sort_time: datetime
    words: frozenset[str]
    located: frozenset[str]
    actors: frozenset[str]


def _tags(located: Collection[str], mentioned: Collection[str], actors: Collection[str]):
    evidence = (Evidence("x", "body", 0),)
    countries = [CountryTag(code, "location", 1.0, evidence) for code in located]
    countries += [CountryTag(code, "mention", 0.5, evidence) for code in mentioned]
    return ArticleTags(tuple(countries), tuple(ActorTag(a, 1.0, evidence) for a in actors))


def _published(rng: random.Random, first_seen: datetime) -> datetime | None:
    roll = rng.random()
    if roll < 0.15:
        return None  # sorted by first_seen
    if roll < 0.25:
        return first_seen - timedelta(days=rng.uniform(5, 60))  # backlog: old news, new id
    return first_seen - timedelta(hours=rng.uniform(0, 30))


async def _populate(storage: Storage, rng: random.Random) -> list[Stored]:
    stored: list[Stored] = []
    for fetch in range(60):
        first_seen = NOW - timedelta(days=40) + timedelta(hours=16 * fetch)
        feed = await storage.feeds.add(f"https://news.test/{fetch}", first_seen)
        batch, facts = [], []
        for n in range(rng.randint(3, 12)):
            words = frozenset(w for w in WORDS if rng.random() < (0.05 if w == "rare" else 0.4))
            located = frozenset(rng.sample(COUNTRIES, rng.randint(0, 2)))
            mentioned = frozenset(rng.sample(COUNTRIES, 1)) - located
            actors = frozenset(rng.sample(ACTORS, rng.randint(0, 2)))
            published = _published(rng, first_seen)
            key = f"{fetch}-{n}"
            tags = _tags(located, mentioned, actors)
            text = " ".join(sorted(words)) or "nothing"
            batch.append(
                NewArticle(key, key, f"https://news.test/{key}", key, text, published, key, tags)
            )
            facts.append((published or first_seen, words, located, actors))
        ids = await storage.articles.store_fetch(
            feed.id, batch, FeedState(first_seen, first_seen), first_seen, False, "v1"
        )
        stored += [Stored(i, *fact) for i, fact in zip(ids, facts, strict=True)]
    return stored


def _expected(stored, since, word, codes, actors) -> list[int]:
    kept = [
        s
        for s in stored
        if (since is None or s.sort_time >= since)
        and (word is None or word in s.words)
        and (codes is None or s.located & set(codes))
        and (actors is None or s.actors & set(actors))
    ]
    return [s.id for s in sorted(kept, key=lambda s: (s.sort_time, s.id), reverse=True)]


FILTERS = [
    (word, codes, actors)
    for word in (None, "strike", "rare")
    for codes in (None, ("IQ",), ("SY", "YE"))
    for actors in (None, ("houthis",), ("kataib-hezbollah", "jnim"))
    if (word, codes, actors) != (None, None, None)
]
SINCES = (None, timedelta(days=2), timedelta(days=7), timedelta(days=20), timedelta(days=90))


@pytest.mark.parametrize("windows", [(20, 200), (5, 50), (2_000, 20_000)])
async def test_find_and_count_match_brute_force(storage: Storage, monkeypatch, windows) -> None:
    monkeypatch.setattr(articles_module, "_WINDOWS", windows)
    stored = await _populate(storage, random.Random(20261124))
    await _check_every_lookup(storage, stored)
    # Pruning leaves marks of emptied hours or drops them; either way nothing is missed.
    cutoff = NOW - timedelta(days=25)
    await storage.maintenance.prune(cutoff)
    kept = await storage.database.fetch_value("SELECT count(*) FROM articles")
    remaining = [s for s in stored if s.id in await _ids(storage)]
    assert len(remaining) == kept < len(stored)
    await _check_every_lookup(storage, remaining)


async def _ids(storage: Storage) -> set[int]:
    rows = await storage.database.fetch_all("SELECT id FROM articles")
    return {row[0] for row in rows}


async def _check_every_lookup(storage: Storage, stored: list[Stored]) -> None:
    for word, codes, actors in FILTERS:
        for back in SINCES:
            since = None if back is None else NOW - back
            expected = _expected(stored, since, word, codes, actors)
            filters = {"located_in": codes, "actors": actors}
            label = (word, codes, actors, back)
            for offset in (0, 7):
                page = await storage.articles.find(since, word, 10, offset=offset, **filters)
                assert [a.id for a in page] == expected[offset : offset + 10], label
            assert await storage.articles.count_matching(since, word, **filters) == len(expected), (
                label
            )
            for cap in (3, 30):
                capped = await storage.articles.count_matching(since, word, cap, **filters)
                assert capped == min(len(expected), cap + 1), (label, cap)


async def test_migration_0004_marks_the_articles_already_stored(tmp_path, monkeypatch) -> None:
    """A database stored before migration 0004 gets its hourly marks when it is upgraded."""
    path = tmp_path / "sitrep.db"
    before = tmp_path / "migrations"
    before.mkdir()
    for migration in sorted(storage.db.MIGRATIONS_DIR.glob("*.sql"))[:3]:
        shutil.copy(migration, before)
    with monkeypatch.context() as patch:
        patch.setattr(storage.db, "MIGRATIONS_DIR", before)
        async with open_storage(path):
            pass  # an empty database at schema 3
    # Today's code writes today's schema: store there, then copy the rows schema 3 has.
    async with open_storage(tmp_path / "current.db") as current:
        stored = await _populate(current, random.Random(4))
    _copy_rows(
        tmp_path / "current.db", path, ("feeds", "articles", "article_countries", "article_actors")
    )
    async with open_storage(path) as upgraded:
        marks = await upgraded.database.fetch_all("SELECT hour, min_id FROM article_hours")
        await _check_every_lookup(upgraded, stored)
    expected: dict[str, int] = {}
    for s in stored:
        hour = s.sort_time.strftime("%Y-%m-%d %H")
        expected[hour] = min(expected.get(hour, s.id), s.id)
    assert dict((row[0], row[1]) for row in marks) == expected


def _copy_rows(source: Path, target: Path, tables: Sequence[str]) -> None:
    """Copy the rows of `tables` into an older schema: the columns `target` has."""
    with contextlib.closing(sqlite3.connect(target)) as connection, connection:
        connection.execute("ATTACH ? AS source", (str(source),))
        for table in tables:
            info = connection.execute(f"PRAGMA main.table_info({table})")
            columns = ", ".join(row[1] for row in info)
            connection.execute(
                f"INSERT INTO main.{table} ({columns}) SELECT {columns} FROM source.{table}"
            )
