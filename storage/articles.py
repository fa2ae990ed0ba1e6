"""Articles: storing fetched entries exactly once, listing and full-text search."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from storage.db import Database, db_time, from_db_time, to_db_time
from storage.search import fts_query
from storage.tags import write_tags
from storage.types import Article, FeedState, NewArticle, StoredEntry

ARTICLE_SELECT = (
    "SELECT a.id, a.feed_id, coalesce(f.name, f.title, f.url) AS feed_title, a.guid, a.url,"
    " a.title, a.summary, a.published, a.first_seen, a.backlog FROM articles AS a"
    " JOIN feeds AS f ON f.id = a.feed_id"
)


def article_from_row(row: sqlite3.Row) -> Article:
    return Article(
        id=row["id"],
        feed_id=row["feed_id"],
        feed_title=row["feed_title"],
        guid=row["guid"],
        url=row["url"],
        title=row["title"],
        summary=row["summary"],
        published=from_db_time(row["published"]),
        first_seen=db_time(row["first_seen"]),
        backlog=bool(row["backlog"]),
    )


class ArticleStore:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def stored_entries(self, feed_id: int, keys: Sequence[str]) -> dict[str, StoredEntry]:
        """The entries of this feed already stored under any of `keys`."""
        rows = await self._db.fetch_all_in(
            "SELECT entry_key, url, title FROM articles"
            " WHERE feed_id = ? AND entry_key IN ({marks})",
            keys,
            before=(feed_id,),
        )
        return {row[0]: StoredEntry(row[1], row[2]) for row in rows}

    async def unseen(self, feed_id: int, articles: Sequence[NewArticle]) -> list[NewArticle]:
        """The articles that neither this feed's keys nor any feed's URLs hold yet, so that
        repeats are not tagged again only to be dropped by the insert."""
        keys = [article.entry_key for article in articles]
        urls = [article.url for article in articles if article.url]
        known_keys = set(await self.stored_entries(feed_id, keys))
        rows = await self._db.fetch_all_in("SELECT url FROM articles WHERE url IN ({marks})", urls)
        known_urls = {row[0] for row in rows}
        return [
            article
            for article in articles
            if article.entry_key not in known_keys and article.url not in known_urls
        ]

    async def store_fetch(
        self,
        feed_id: int,
        articles: Sequence[NewArticle],
        state: FeedState,
        first_seen: datetime,
        backlog: bool,
        tag_version: str | None = None,
    ) -> list[int]:
        """Store new articles and the feed's new state; return new ids.

        An article whose feed+key or canonical URL is already stored is skipped, so a repeat
        (same poll twice, a crash before commit, the same story from another feed) adds nothing.
        Articles go in transactions of STORE_CHUNK, so other writers wait for one chunk, not
        for a whole 5,000-entry feed. The feed's state commits with the last chunk: a crash
        before it leaves the feed due with its old validators, and the next poll refetches the
        body and skips the articles already stored.
        """
        rows = _ChunkRows(feed_id, to_db_time(first_seen), int(backlog), tag_version)
        chunks = [articles[at : at + STORE_CHUNK] for at in range(0, len(articles), STORE_CHUNK)]
        new_ids: list[int] = []
        for chunk in chunks[:-1]:
            new_ids += await self._db.run_in_transaction(partial(rows.store, chunk, None))
        last = chunks[-1] if chunks else []
        return new_ids + await self._db.run_in_transaction(partial(rows.store, last, state))

    async def get(self, article_id: int) -> Article | None:
        row = await self._db.fetch_one(f"{ARTICLE_SELECT} WHERE a.id = ?", (article_id,))
        return None if row is None else article_from_row(row)

    async def find(
        self,
        since: datetime | None = None,
        search: str | None = None,
        limit: int = 50,
        *,
        located_in: Collection[str] | None = None,
        actors: Collection[str] | None = None,
        offset: int = 0,
    ) -> list[Article]:
        """Newest first. `search` is literal user text (see storage.search); `located_in` takes
        country codes (articles tagged there as the location); `actors` takes actor ids.

        A filtered lookup first looks among the newest articles only (see _WINDOWS): a broad
        filter fills its page there, and a window holds few ids, so each filter collects few."""
        lookup = _Lookup.of(since, search, located_in, actors)
        if not lookup.filtered:  # the sort_time index alone, newest first
            return await self._page(("", "a.sort_time >= ?", [lookup.since]), limit, offset)
        for newest in _WINDOWS:
            found = await self._page(_in_window(lookup, newest), limit, offset)
            if len(found) == limit:  # every match outside the window is older: exact
                return found
            if not found and not offset:  # too sparse to fill a page in a wider window
                break
        return await self._page(_in_range(lookup), limit, offset)

    async def count_matching(
        self,
        since: datetime | None = None,
        search: str | None = None,
        cap: int | None = None,
        /,
        *,
        located_in: Collection[str] | None = None,
        actors: Collection[str] | None = None,
    ) -> int:
        """How many articles `find` would page through with the same filters.

        With `cap`, counting stops after cap + 1 matches, so the result is min(count, cap + 1)
        and `result > cap` means "more than cap": show "1,000+" rather than count a broad
        lookup's hundreds of thousands of matches one by one (about 1 ms per thousand).
        `cap` is positional (like since and search) so that callers spreading a dict of
        filters, `count_matching(since, text, 1000, **filters)`, still type-check."""
        assert cap is None or cap >= 0, f"cap must not be negative: {cap}"
        at_most = None if cap is None else cap + 1
        lookup = _Lookup.of(since, search, located_in, actors)
        if not lookup.filtered:
            return await self._count(("", "a.sort_time >= ?", [lookup.since]), at_most)
        if at_most is not None and at_most <= _WINDOWS[-1] // 10:
            # A broad filter (a tenth of the news or more) has cap + 1 among the newest. The
            # small window says whether the large one is worth counting: a sparse filter
            # goes straight to its whole range instead of counting the large window in vain.
            small, large = _WINDOWS
            in_small = await self._count(_in_window(lookup, small), at_most)
            if in_small == at_most:
                return at_most
            if in_small * (large // small) >= at_most:
                in_large = await self._count(_in_window(lookup, large), at_most)
                if in_large == at_most:
                    return at_most
        return await self._count_in_range(lookup, at_most)

    async def _page(self, query: _Query, limit: int, offset: int) -> list[Article]:
        bound, where, params = query
        order = "ORDER BY a.sort_time DESC, a.id DESC LIMIT ? OFFSET ?"
        sql = f"{bound}{ARTICLE_SELECT} WHERE {where} {order}"
        rows = await self._db.fetch_all(sql, (*params, limit, offset))
        return [article_from_row(row) for row in rows]

    async def _count(self, query: _Query, at_most: int | None) -> int:
        bound, where, params = query
        limit = "" if at_most is None else f" LIMIT {at_most:d}"
        sql = f"{bound}SELECT count(*) FROM (SELECT 1 FROM articles AS a WHERE {where}{limit})"
        return int(await self._db.fetch_value(sql, params))

    async def _count_in_range(self, lookup: _Lookup, at_most: int | None) -> int:
        """When every article is in range (min_id 0), count the filters' ids alone and never
        read articles: tags cascade on delete and triggers keep the full-text index in step, so
        every id they hold is an article's. CASE evaluates only the branch it takes."""
        bound, where, params = _in_range(lookup)
        everywhere, everywhere_params = _ids_matching_all(lookup)
        limit = "" if at_most is None else f" LIMIT {at_most:d}"
        sql = (
            f"{bound}SELECT CASE WHEN {_MIN_ID} = 0"
            f" THEN (SELECT count(*) FROM ({everywhere}{limit}))"
            f" ELSE (SELECT count(*) FROM (SELECT 1 FROM articles AS a WHERE {where}{limit})) END"
        )
        bound_params, filter_params = params[:3], params[3:]
        values = [*bound_params, *everywhere_params, *filter_params]
        return int(await self._db.fetch_value(sql, values))

    async def count(self, since: datetime | None = None) -> int:
        value = await self._db.fetch_value(
            "SELECT count(*) FROM articles WHERE first_seen >= ?",
            (to_db_time(since) if since else "",),
        )
        return int(value)


def _in_list(values: Collection[str]) -> str:
    return ",".join("?" * len(values))


_NO_ID = 2**63 - 1  # above every id

# Filtered lookups look among the newest 2,000 articles, then the newest 20,000, then the whole
# range: the first page of a broad filter ("Levant", "attack") is nearly always in the first.
_WINDOWS = (2_000, 20_000)

# (WITH clause, WHERE condition over `articles AS a`, parameters of both in order)
_Query = tuple[str, str, list[object]]


@dataclass(frozen=True, slots=True)
class _Lookup:
    """A lookup's filters, checked and ready to bind."""

    since: str  # '' for no lower bound
    match: str | None  # FTS5 query
    codes: tuple[str, ...] | None
    actor_ids: tuple[str, ...] | None

    @classmethod
    def of(
        cls,
        since: datetime | None,
        search: str | None,
        located_in: Collection[str] | None,
        actors: Collection[str] | None,
    ) -> _Lookup:
        return cls(
            to_db_time(since) if since else "",
            None if search is None else fts_query(search),
            None if located_in is None else tuple(sorted(located_in)),
            None if actors is None else tuple(sorted(actors)),
        )

    @property
    def filtered(self) -> bool:
        return not (self.match is None and self.codes is None and self.actor_ids is None)


# Every query of a filtered lookup starts by bounding where its matches lie: `after` (the lowest
# sort_time) and `min_id`, an id no larger than any from there on. Ids grow with time, so a
# recent range's ids are a narrow band, and each filter then reads only that band of its index
# (`article_id >= min_id`) instead of every article it ever matched: hundreds of thousands for
# "Levant" or "attack". min_id comes from the hourly marks of migration 0004 (a few hundred rows
# for 30 days) rather than from the range itself (every entry of it: 10 ms for 30 days of 1M
# articles). The bound is exact for any data (no article from `after` on has a smaller id); only
# its narrowness relies on ids growing with time. For an empty range, or a window larger than
# the range, min_id is _NO_ID so that the filters read nothing (with a NULL bound the full-text
# index would read every match).
_HOURS_FROM = "(SELECT min(min_id) FROM article_hours WHERE hour >= substr({}, 1, 13))"
_WINDOW_BOUND = (
    "WITH bound (after, min_id) AS MATERIALIZED (SELECT w.after,"
    f" coalesce({_HOURS_FROM.format('w.after')}, {_NO_ID})"
    " FROM (SELECT (SELECT sort_time FROM articles WHERE sort_time >= ?"
    " ORDER BY sort_time DESC LIMIT 1 OFFSET ?) AS after) AS w) "
)
# The whole range since ?: min_id is 0 when every article is in it (no need to find it).
_RANGE_BOUND = (
    "WITH bound (after, min_id) AS MATERIALIZED (SELECT ?,"
    " CASE WHEN ? <= (SELECT min(sort_time) FROM articles) THEN 0"
    f" ELSE coalesce({_HOURS_FROM.format('?')}, {_NO_ID}) END) "
)
_AFTER = "(SELECT after FROM bound)"
_MIN_ID = "(SELECT min_id FROM bound)"


def _in_window(lookup: _Lookup, newest: int) -> _Query:
    """Matches among the `newest` newest articles since `since` (and any sharing the oldest
    one's sort_time); none at all when the range holds no more than that."""
    where, params = _bounded(lookup)
    return _WINDOW_BOUND, where, [lookup.since, newest, *params]


def _in_range(lookup: _Lookup) -> _Query:
    """Every match since `since` (the bound's three parameters come first)."""
    where, params = _bounded(lookup)
    return _RANGE_BOUND, where, [lookup.since] * 3 + params


def _bounded(lookup: _Lookup) -> tuple[str, list[object]]:
    """The filters as conditions on `articles AS a`, each reading only ids >= min_id."""
    where: list[str] = [f"a.sort_time >= {_AFTER}"]
    params: list[object] = []
    if lookup.match is not None:
        where.append(
            "a.id IN (SELECT rowid FROM articles_fts"
            f" WHERE articles_fts MATCH ? AND rowid >= {_MIN_ID})"
        )
        params.append(lookup.match)
    if lookup.codes is not None:
        where.append(
            "a.id IN (SELECT article_id FROM article_countries WHERE role = 'location'"
            f" AND code IN ({_in_list(lookup.codes)}) AND article_id >= {_MIN_ID})"
        )
        params.extend(lookup.codes)
    if lookup.actor_ids is not None:
        where.append(
            "a.id IN (SELECT article_id FROM article_actors"
            f" WHERE actor_id IN ({_in_list(lookup.actor_ids)}) AND article_id >= {_MIN_ID})"
        )
        params.extend(lookup.actor_ids)
    return " AND ".join(where), params


def _ids_matching_all(lookup: _Lookup) -> tuple[str, list[object]]:
    """A SELECT giving once each id that matches every filter, at any time, without reading
    articles (tags cascade on delete; triggers keep the full-text index in step).

    The narrowest kind of filter (full text, else actors, else places) gives the ids, and the
    others are checked per id in their compact indexes (INDEXED BY: the wide primary keys, which
    carry the evidence, are several times slower to probe). So the query streams and a LIMIT
    stops it early, where intersecting whole sets costs the size of the broadest one."""
    probes: list[str] = []
    params: list[object] = []
    if lookup.match is not None:
        driver = "SELECT rowid AS id FROM articles_fts WHERE articles_fts MATCH ?"
        params.append(lookup.match)
    elif lookup.actor_ids is not None:
        driver = _distinct_ids("article_actors", "actor_id", lookup.actor_ids)
        params.extend(lookup.actor_ids)
    else:
        assert lookup.codes is not None
        driver = _distinct_ids("article_countries", "code", lookup.codes, "role = 'location'")
        params.extend(lookup.codes)
    if lookup.actor_ids is not None and lookup.match is not None:
        probes.append(
            "EXISTS (SELECT 1 FROM article_actors AS t INDEXED BY article_actors_by_actor"
            f" WHERE t.actor_id IN ({_in_list(lookup.actor_ids)}) AND t.article_id = d.id)"
        )
        params.extend(lookup.actor_ids)
    if lookup.codes is not None and (lookup.match is not None or lookup.actor_ids is not None):
        probes.append(
            "EXISTS (SELECT 1 FROM article_countries AS c INDEXED BY article_countries_by_code"
            f" WHERE c.code IN ({_in_list(lookup.codes)}) AND c.role = 'location'"
            " AND c.article_id = d.id)"
        )
        params.extend(lookup.codes)
    return f"SELECT 1 FROM ({driver}) AS d WHERE {' AND '.join(probes) or '1'}", params


def _distinct_ids(table: str, key: str, values: Sequence[str], also: str = "1") -> str:
    """Article ids tagged with any of `values`; DISTINCT only when an article can hold two."""
    distinct = "DISTINCT " if len(values) > 1 else ""
    return (
        f"SELECT {distinct}article_id AS id FROM {table}"
        f" WHERE {also} AND {key} IN ({_in_list(values)})"
    )


# Articles per write transaction when storing a fetch (a 5,000-entry feed is ten of them).
STORE_CHUNK = 500


@dataclass(frozen=True, slots=True)
class _ChunkRows:
    """What every chunk of one fetch writes with its articles."""

    feed_id: int
    first_seen: str
    backlog: int
    tag_version: str | None

    def store(
        self,
        articles: Sequence[NewArticle],
        state: FeedState | None,
        connection: sqlite3.Connection,
    ) -> list[int]:
        """Inside the caller's transaction: insert `articles` (and their tags), then the
        feed's `state` when given; return the ids of the articles that were new."""
        new_ids = []
        for article in articles:
            row = _article_row(self.feed_id, article, self.first_seen, self.backlog)
            cursor = connection.execute(_INSERT_ARTICLE, row)
            if cursor.rowcount == 1 and cursor.lastrowid is not None:
                new_ids.append(cursor.lastrowid)
                if article.tags is not None and self.tag_version is not None:
                    write_tags(connection, cursor.lastrowid, article.tags, self.tag_version)
        if state is not None:
            connection.execute(_UPDATE_FEED_AFTER_PARSE, _feed_state_row(self.feed_id, state))
        return new_ids


_INSERT_ARTICLE = (
    "INSERT INTO articles (feed_id, entry_key, guid, url, title, summary, published, first_seen,"
    " sort_time, content_hash, backlog) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT DO NOTHING"
)
_UPDATE_FEED_AFTER_PARSE = (
    "UPDATE feeds SET last_checked = ?, last_updated = ?, next_check = ?, etag = ?,"
    " last_modified = ?, title = coalesce(?, title), site_url = coalesce(?, site_url),"
    " error_count = 0, last_error = NULL WHERE id = ?"
)


def _article_row(
    feed_id: int, article: NewArticle, first_seen: str, backlog: int
) -> tuple[object, ...]:
    published = to_db_time(article.published) if article.published else None
    return (
        feed_id,
        article.entry_key,
        article.guid,
        article.url,
        article.title,
        article.summary,
        published,
        first_seen,
        published or first_seen,
        article.content_hash,
        backlog,
    )


def _feed_state_row(feed_id: int, state: FeedState) -> tuple[object, ...]:
    checked = to_db_time(state.checked_at)
    return (
        checked,
        checked,
        to_db_time(state.next_check),
        state.etag,
        state.last_modified,
        state.title,
        state.site_url,
        feed_id,
    )
