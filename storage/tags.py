"""Tags: the countries and actors of each article, with evidence and weight."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from storage.db import Database, to_db_time
from storage.types import ActorTag, ArticleTags, CountryTag, Evidence


@dataclass(frozen=True, slots=True)
class ArticleText:
    """What the tagger reads of a stored article."""

    id: int
    title: str
    summary: str


def evidence_json(evidence: Sequence[Evidence]) -> str:
    return json.dumps(
        [{"text": item.text, "field": item.field, "start": item.start} for item in evidence],
        ensure_ascii=False,
    )


def evidence_from_json(text: str) -> tuple[Evidence, ...]:
    return tuple(Evidence(item["text"], item["field"], item["start"]) for item in json.loads(text))


def write_tags(
    connection: sqlite3.Connection, article_id: int, tags: ArticleTags, version: str
) -> None:
    """Replace an article's tags inside the caller's transaction."""
    connection.execute("DELETE FROM article_countries WHERE article_id = ?", (article_id,))
    connection.execute("DELETE FROM article_actors WHERE article_id = ?", (article_id,))
    connection.executemany(
        "INSERT INTO article_countries (article_id, code, role, weight, evidence)"
        " VALUES (?, ?, ?, ?, ?)",
        [
            (article_id, tag.code, tag.role, tag.weight, evidence_json(tag.evidence))
            for tag in tags.countries
        ],
    )
    connection.executemany(
        "INSERT INTO article_actors (article_id, actor_id, weight, evidence) VALUES (?, ?, ?, ?)",
        [
            (article_id, tag.actor_id, tag.weight, evidence_json(tag.evidence))
            for tag in tags.actors
        ],
    )
    connection.execute(
        "UPDATE articles SET tagged_with = ?, digest_locations = ?, digest_location_weight = ?,"
        " digest_actors = ?, digest_actor_weight = ? WHERE id = ?",
        (version, *digest_tags(tags), article_id),
    )


def digest_tags(tags: ArticleTags) -> tuple[str, float, str, float]:
    """What a digest reads of the tags, kept on the article row (migration 0005): location
    countries and actors, space-separated, strongest first, and the strongest weight of each."""
    locations = _strongest_first(
        (tag.code, tag.weight) for tag in tags.countries if tag.role == "location"
    )
    actors = _strongest_first((tag.actor_id, tag.weight) for tag in tags.actors)
    return (
        " ".join(code for code, _ in locations), locations[0][1] if locations else 0.0,
        " ".join(actor for actor, _ in actors), actors[0][1] if actors else 0.0,
    )  # fmt: skip


def _strongest_first(pairs: Iterable[tuple[str, float]]) -> list[tuple[str, float]]:
    return sorted(pairs, key=lambda pair: (-pair[1], pair[0]))


class TagStore:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def for_articles(self, article_ids: Sequence[int]) -> dict[int, ArticleTags]:
        """Tags of each article (articles without tags map to empty ArticleTags)."""
        countries: dict[int, list[CountryTag]] = {article_id: [] for article_id in article_ids}
        actors: dict[int, list[ActorTag]] = {article_id: [] for article_id in article_ids}
        for row in await self._db.fetch_all_in(
            "SELECT article_id, code, role, weight, evidence FROM article_countries"
            " WHERE article_id IN ({marks}) ORDER BY weight DESC, code",
            article_ids,
        ):
            tag = CountryTag(row[1], row[2], row[3], evidence_from_json(row[4]))
            countries[row[0]].append(tag)
        for row in await self._db.fetch_all_in(
            "SELECT article_id, actor_id, weight, evidence FROM article_actors"
            " WHERE article_id IN ({marks}) ORDER BY weight DESC, actor_id",
            article_ids,
        ):
            actors[row[0]].append(ActorTag(row[1], row[2], evidence_from_json(row[3])))
        return {
            article_id: ArticleTags(tuple(countries[article_id]), tuple(actors[article_id]))
            for article_id in article_ids
        }

    async def replace(self, tagged: Sequence[tuple[int, ArticleTags]], version: str) -> None:
        """Store new tags for many articles in one transaction (used by `retag`)."""

        def store(connection: sqlite3.Connection) -> None:
            for article_id, tags in tagged:
                write_tags(connection, article_id, tags, version)

        if tagged:
            await self._db.run_in_transaction(store)

    async def location_counts(self, since: datetime) -> dict[str, int]:
        """Articles per location country since `since` (for browsing regions).

        CROSS JOIN makes SQLite read the recent articles first (the sort_time index) and then
        their few tags; left to itself it walks every tag ever stored and looks up each article,
        seconds on a million articles where this takes milliseconds."""
        rows = await self._db.fetch_all(
            "SELECT c.code, count(*) FROM articles AS a"
            " CROSS JOIN article_countries AS c ON c.article_id = a.id"
            " WHERE a.sort_time >= ? AND c.role = 'location' GROUP BY c.code",
            (to_db_time(since),),
        )
        return {row[0]: row[1] for row in rows}

    async def actor_counts(self, since: datetime) -> dict[str, int]:
        """Articles per actor since `since` (for browsing actors); CROSS JOIN as above."""
        rows = await self._db.fetch_all(
            "SELECT t.actor_id, count(*) FROM articles AS a"
            " CROSS JOIN article_actors AS t ON t.article_id = a.id"
            " WHERE a.sort_time >= ? GROUP BY t.actor_id",
            (to_db_time(since),),
        )
        return {row[0]: row[1] for row in rows}

    async def needing_tags(self, version: str, after_id: int, limit: int) -> list[ArticleText]:
        """Articles not tagged with `version`, in id order after `after_id` (for resuming)."""
        rows = await self._db.fetch_all(
            "SELECT id, title, summary FROM articles WHERE id > ?"
            " AND (tagged_with IS NULL OR tagged_with != ?) ORDER BY id LIMIT ?",
            (after_id, version, limit),
        )
        return [ArticleText(row[0], row[1], row[2]) for row in rows]

    async def count_needing_tags(self, version: str) -> int:
        value = await self._db.fetch_value(
            "SELECT count(*) FROM articles WHERE tagged_with IS NULL OR tagged_with != ?",
            (version,),
        )
        return int(value)
