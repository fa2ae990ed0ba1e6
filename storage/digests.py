"""What digests read: the articles that arrived in a window (by first-seen time) and their tags."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import datetime

from storage.articles import ARTICLE_SELECT, article_from_row
from storage.db import Database, from_db_time, to_db_time
from storage.types import ActorTag, Article, ArticleTags, CountryTag

# A safety bound, not a sampling rule: a busy day is ~20,000 articles and every one of them must be
# considered, but a window left open for weeks must not load the whole database. 50,000 articles
# with their tags take about 60 MB while a digest is built.
MAX_WINDOW_ARTICLES = 50_000

# The window's articles, their outlet and their tags in one query. An article's tags come as one
# JSON value, [countries, actors], from correlated subqueries on the tag tables' primary keys
# (article_id first): one indexed seek per article and one JSON parse per row, where reading the
# tags separately costs a round trip per 500 ids and a JSON parse of every tag's evidence, which
# digests never show.
_WINDOW_SELECT = (
    "SELECT a.id, a.feed_id, coalesce(f.name, f.title, f.url), a.guid, a.url, a.title,"
    " a.summary, a.published, a.first_seen, json_array("
    " json((SELECT json_group_array(json_array(c.code, c.role, c.weight))"
    "  FROM article_countries AS c WHERE c.article_id = a.id)),"
    " json((SELECT json_group_array(json_array(t.actor_id, t.weight))"
    "  FROM article_actors AS t WHERE t.article_id = a.id)))"
    " FROM articles AS a JOIN feeds AS f ON f.id = a.feed_id"
    " WHERE a.first_seen >= ? AND a.first_seen < ? AND a.backlog = 0"
    " ORDER BY a.first_seen, a.id LIMIT ?"
)


class DigestStore:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def arrived_between(
        self, start: datetime, end: datetime, limit: int = MAX_WINDOW_ARTICLES
    ) -> list[Article]:
        """Articles first seen in [start, end), oldest first, backlog excluded.

        By arrival, not publication: an article published long ago but fetched now belongs to
        the next digest, never to one already sent."""
        rows = await self._db.fetch_all(
            f"{ARTICLE_SELECT} WHERE a.first_seen >= ? AND a.first_seen < ? AND a.backlog = 0"
            " ORDER BY a.first_seen, a.id LIMIT ?",
            (to_db_time(start), to_db_time(end), limit),
        )
        return [article_from_row(row) for row in rows]

    async def arrived_with_tags(
        self, start: datetime, end: datetime, limit: int = MAX_WINDOW_ARTICLES
    ) -> list[tuple[Article, ArticleTags]]:
        """`arrived_between` with each article's tags (strongest first), in one query.

        Tags come without their evidence (empty tuples): a digest needs places, actors and
        weights only. Rows are turned into records in a worker thread, off the event loop."""
        rows = await self._db.fetch_all(_WINDOW_SELECT, (to_db_time(start), to_db_time(end), limit))
        return await asyncio.to_thread(_window_records, rows)


def _window_records(rows: list[sqlite3.Row]) -> list[tuple[Article, ArticleTags]]:
    return [(_article(row), _tags(row[9])) for row in rows]


def _article(row: sqlite3.Row) -> Article:
    first_seen = from_db_time(row[8])
    assert first_seen is not None
    return Article(
        id=row[0], feed_id=row[1], feed_title=row[2], guid=row[3], url=row[4], title=row[5],
        summary=row[6], published=from_db_time(row[7]), first_seen=first_seen, backlog=False,
    )  # fmt: skip


def _tags(tags_json: str) -> ArticleTags:
    """Tags as storage.tags orders them: by weight, strongest first, then by code or id."""
    countries, actors = json.loads(tags_json)
    if len(countries) > 1:
        countries.sort(key=lambda tag: (-tag[2], tag[0]))
    if len(actors) > 1:
        actors.sort(key=lambda tag: (-tag[1], tag[0]))
    return ArticleTags(
        tuple(CountryTag(code, role, weight, ()) for code, role, weight in countries),
        tuple(ActorTag(actor_id, weight, ()) for actor_id, weight in actors),
    )
