"""What digests read: the articles that arrived in a window (by first-seen time) and their tags."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from storage.articles import ARTICLE_SELECT, article_from_row
from storage.db import Database, db_time, from_db_time, to_db_time
from storage.types import (
    ActorTag,
    Article,
    ArticleTags,
    CountryTag,
    StoryRow,
    WindowArticle,
    WindowStories,
)

# A safety bound, not a sampling rule: a busy day is ~20,000 articles and every one of them must be
# considered, but a window left open for weeks must not load the whole database. 50,000 articles
# with their tags take about 60 MB while a digest is built.
MAX_WINDOW_ARTICLES = 50_000

# Articles, their outlet and their tags in one query. An article's tags come as one JSON value,
# [countries, actors], from correlated subqueries on the tag tables' primary keys (article_id
# first): one indexed seek per article and one JSON parse per row, where reading the tags
# separately costs a round trip per 500 ids and a JSON parse of every tag's evidence, which
# digests never show. Callers add the WHERE clause.
WITH_TAGS_SELECT = (
    "SELECT a.id, a.feed_id, coalesce(f.name, f.title, f.url), a.guid, a.url, a.title,"
    " a.summary, a.published, a.first_seen, json_array("
    " json((SELECT json_group_array(json_array(c.code, c.role, c.weight))"
    "  FROM article_countries AS c WHERE c.article_id = a.id)),"
    " json((SELECT json_group_array(json_array(t.actor_id, t.weight))"
    "  FROM article_actors AS t WHERE t.article_id = a.id))), a.backlog, a.story_id"
    " FROM articles AS a JOIN feeds AS f ON f.id = a.feed_id"
)
_WINDOW_SELECT = (
    f"{WITH_TAGS_SELECT} WHERE a.first_seen >= ? AND a.first_seen < ? AND a.backlog = 0"
    " ORDER BY a.first_seen, a.id LIMIT ?"
)
# The window's articles, for summing up the placed ones per stored story (see StoryRow); the
# filters apply to those only (an unplaced one may have no digest columns: it is read whole).
# Python groups them: SQLite's GROUP BY with these aggregates costs twice as much (a temporary
# b-tree and string building for 20,000 rows).
_WINDOW_ROW = (
    "SELECT a.story_id, a.id, a.feed_id, a.sort_time, coalesce(a.severity, 0),"
    " coalesce(a.dead, 0), coalesce(a.digest_locations, ''),"
    " coalesce(a.digest_location_weight, 0), coalesce(a.digest_actors, ''),"
    " coalesce(a.digest_actor_weight, 0) FROM articles AS a"
)
_IN_WINDOW = (
    f"{_WINDOW_ROW} WHERE a.first_seen >= ? AND a.first_seen < ? AND a.backlog = 0"
    " AND (a.story_id IS NULL OR {filters}) ORDER BY a.first_seen, a.id LIMIT ?"
)
# Stories whose articles all arrived inside the window, summed up by migration 0006's triggers:
# the same numbers as summing their rows of _IN_WINDOW, read as one row per story.
_SUMMED_IN_WINDOW = (
    "SELECT story_id, articles, first_id, feeds, actors, actor_weight, severity, dead, first,"
    " latest, location_weight, locations FROM story_sums"
    " WHERE first_seen >= ? AND first_seen < ? AND last_seen < ?"
)
# The window's other articles, as rows of _IN_WINDOW: unplaced ones, and those of stories that
# began before the window or go on after it (summed up over their articles inside it).
_NOT_SUMMED_IN_WINDOW = (
    f"{_WINDOW_ROW} LEFT JOIN story_sums AS s ON s.story_id = a.story_id"
    " WHERE a.first_seen >= ? AND a.first_seen < ? AND a.backlog = 0 AND (a.story_id IS NULL"
    " OR s.story_id IS NULL OR s.first_seen < ? OR s.last_seen >= ?) ORDER BY a.first_seen, a.id"
)
_OUTLETS = "SELECT id, coalesce(name, title, url) FROM feeds"
_WINDOW_ARTICLES = (
    "SELECT a.id, a.feed_id, coalesce(f.name, f.title, f.url), a.title, a.url, a.sort_time,"
    " a.story_id, a.severity, a.dead, a.digest_locations, a.digest_location_weight,"
    " a.digest_actors, a.digest_actor_weight"
    " FROM articles AS a JOIN feeds AS f ON f.id = a.feed_id"
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
        return await asyncio.to_thread(with_tags_records, rows)

    async def window_stories(
        self,
        start: datetime,
        end: datetime,
        countries: Collection[str] | None = None,
        actors: Collection[str] | None = None,
        limit: int = MAX_WINDOW_ARTICLES,
        from_sums: bool = True,
    ) -> WindowStories:
        """The articles first seen in [start, end) (backlog excluded): the placed ones summed up
        per stored story, over those that have a location in `countries` and an actor in
        `actors` (None: any), and the ids of those not placed yet (unfiltered). At most `limit`
        articles, the first to arrive. `from_sums=False` sums up every article instead of
        reading the story sums: the same answer, slower (the reference of the sums' tests)."""
        if countries is None and actors is None and from_sums:
            found = await self._from_story_sums(start, end, limit)
            if found is not None:
                return found
        filters, params = _tag_filters(countries, actors)
        rows = await self._db.fetch_tuples(
            _IN_WINDOW.format(filters=filters),
            (to_db_time(start), to_db_time(end), *params, limit),
        )
        outlets = {row[0]: row[1] for row in await self._db.fetch_all(_OUTLETS)}
        return await asyncio.to_thread(_window_stories, rows, outlets)

    async def _from_story_sums(
        self, start: datetime, end: datetime, limit: int
    ) -> WindowStories | None:
        """An unfiltered window read from the story sums where a story lies inside it; None
        when the window holds more than `limit` articles (the caller reads the first ones)."""
        start_text, end_text = to_db_time(start), to_db_time(end)
        summed = await self._db.fetch_tuples(_SUMMED_IN_WINDOW, (start_text, end_text, end_text))
        rows = await self._db.fetch_tuples(
            _NOT_SUMMED_IN_WINDOW, (start_text, end_text, start_text, end_text)
        )
        if sum(row[1] for row in summed) + len(rows) > limit:
            return None
        outlets = {row[0]: row[1] for row in await self._db.fetch_all(_OUTLETS)}
        return await asyncio.to_thread(_with_summed, summed, rows, outlets)

    async def story_articles(
        self,
        start: datetime,
        end: datetime,
        story_ids: Sequence[int],
        countries: Collection[str] | None = None,
        actors: Collection[str] | None = None,
    ) -> list[WindowArticle]:
        """The articles `window_stories` summed up for `story_ids` (same window, same filters),
        as a digest shows them."""
        filters, params = _tag_filters(countries, actors)
        rows = await self._db.fetch_all_in(
            f"{_WINDOW_ARTICLES} WHERE a.first_seen >= ? AND a.first_seen < ?"
            f" AND a.backlog = 0 AND a.story_id IN ({{marks}}) AND {filters}",
            story_ids,
            before=(to_db_time(start), to_db_time(end)),
            after=params,
        )
        return [_window_article(row) for row in rows]

    async def with_tags(self, article_ids: Sequence[int]) -> list[tuple[Article, ArticleTags]]:
        """The articles of `article_ids` (those still stored) with their tags, in id order."""
        rows = await self._db.fetch_all_in(
            f"{WITH_TAGS_SELECT} WHERE a.id IN ({{marks}}) ORDER BY a.id", sorted(article_ids)
        )
        return await asyncio.to_thread(with_tags_records, rows)


def with_tags_records(rows: Iterable[sqlite3.Row]) -> list[tuple[Article, ArticleTags]]:
    """Records from rows of WITH_TAGS_SELECT."""
    return [(_article(row), _tags(row[9])) for row in rows]


def _tag_filters(
    countries: Collection[str] | None, actors: Collection[str] | None
) -> tuple[str, list[str]]:
    """SQL keeping the articles with one of `countries` as a location and one of `actors`,
    read from the row's space-separated digest columns (codes and ids hold no spaces)."""
    clauses: list[str] = []
    params: list[str] = []
    for column, wanted in (("digest_locations", countries), ("digest_actors", actors)):
        if wanted is not None:
            probe = f"instr(' ' || coalesce(a.{column}, '') || ' ', ?) > 0"
            clauses.append("(" + " OR ".join([probe] * len(wanted) or ["0"]) + ")")
            params += [f" {value} " for value in sorted(wanted)]
    return " AND ".join(clauses) or "1", params


WindowRow = tuple[Any, ...]  # a row of _IN_WINDOW


def _window_stories(rows: list[WindowRow], outlets: dict[int, str]) -> WindowStories:
    """Rows of _IN_WINDOW summed up per story, in order of their first article."""
    stories: dict[int, list[WindowRow]] = {}
    unplaced: list[int] = []
    for row in rows:
        if row[0] is None:
            unplaced.append(row[1])
        elif (members := stories.get(row[0])) is None:
            stories[row[0]] = [row]
        else:
            members.append(row)
    summed = [
        _single(members[0]) if len(members) == 1 else _summed(members, outlets)
        for members in stories.values()
    ]
    return WindowStories(summed, unplaced)


def _with_summed(
    summed: list[tuple[Any, ...]], rows: list[WindowRow], outlets: dict[int, str]
) -> WindowStories:
    """Rows of _SUMMED_IN_WINDOW, and rows of _NOT_SUMMED_IN_WINDOW summed up per story."""
    by_text = {str(feed_id): name for feed_id, name in outlets.items()}
    found = _window_stories(rows, outlets)
    found.stories.extend(_from_sums(row, by_text) for row in summed)
    return found


def _from_sums(row: tuple[Any, ...], outlets: dict[str, str]) -> StoryRow:
    first = db_time(row[8])
    if row[1] == 1:
        return StoryRow(
            row[0], 1, row[2], 1, len(row[4].split()), row[5], row[6], row[7], first, first,
            row[10], (tuple(row[11].split()),),
        )  # fmt: skip
    return StoryRow(
        row[0], row[1], row[2], len({outlets.get(feed, feed) for feed in row[3].split()}),
        len(set(row[4].split())), row[5], row[6], row[7], first,
        db_time(row[9]), row[10],
        tuple([tuple(codes.split()) for codes in row[11].split("|")]),
    )  # fmt: skip


def _single(row: WindowRow) -> StoryRow:
    """A story with one article in the window (most of them): its own values."""
    time = db_time(row[3])
    return StoryRow(
        row[0], 1, row[1], 1, len(row[8].split()), row[9], row[4], row[5], time, time, row[7],
        (tuple(row[6].split()),),
    )  # fmt: skip


def _summed(rows: list[WindowRow], outlets: dict[int, str]) -> StoryRow:
    # Rows are tuples of one length: strict=True would only cost time.
    _, ids, feeds, times, severity, dead, locations, location_weight, actors, actor_weight = zip(
        *rows, strict=False
    )
    first, latest = min(times), max(times)  # fixed-width UTC text: text order is time order
    return StoryRow(
        rows[0][0], len(rows), min(ids), len({outlets.get(feed, feed) for feed in feeds}),
        len(set(" ".join(actors).split())), max(actor_weight), max(severity), max(dead),
        db_time(first), db_time(latest),
        max(location_weight), tuple([tuple(codes.split()) for codes in locations]),
    )  # fmt: skip


def _window_article(row: sqlite3.Row) -> WindowArticle:
    return WindowArticle(
        row[0], row[1], row[2], row[3], row[4], db_time(row[5]),
        row[6], row[7], row[8], tuple((row[9] or "").split()), row[10] or 0.0,
        tuple((row[11] or "").split()), row[12] or 0.0,
    )  # fmt: skip


def _article(row: sqlite3.Row) -> Article:
    return Article(
        id=row[0], feed_id=row[1], feed_title=row[2], guid=row[3], url=row[4], title=row[5],
        summary=row[6], published=from_db_time(row[7]), first_seen=db_time(row[8]),
        backlog=bool(row[10]),
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
