"""Articles: storing fetched entries exactly once, listing and full-text search."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from datetime import datetime

from storage.db import Database, from_db_time, to_db_time
from storage.search import fts_query
from storage.tags import write_tags
from storage.types import Article, FeedState, NewArticle, StoredEntry

_SELECT = (
    "SELECT a.id, a.feed_id, coalesce(f.name, f.title, f.url) AS feed_title, a.guid, a.url,"
    " a.title, a.summary, a.published, a.first_seen, a.backlog FROM articles AS a"
    " JOIN feeds AS f ON f.id = a.feed_id"
)


def _article(row: sqlite3.Row) -> Article:
    first_seen = from_db_time(row["first_seen"])
    assert first_seen is not None
    return Article(
        id=row["id"],
        feed_id=row["feed_id"],
        feed_title=row["feed_title"],
        guid=row["guid"],
        url=row["url"],
        title=row["title"],
        summary=row["summary"],
        published=from_db_time(row["published"]),
        first_seen=first_seen,
        backlog=bool(row["backlog"]),
    )


class ArticleStore:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def stored_entries(self, feed_id: int, keys: Sequence[str]) -> dict[str, StoredEntry]:
        """The entries of this feed already stored under any of `keys`."""
        found: dict[str, StoredEntry] = {}
        for start in range(0, len(keys), 500):  # stay far below SQLite's variable limit
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = await self._db.fetch_all(
                f"SELECT entry_key, url, title FROM articles"
                f" WHERE feed_id = ? AND entry_key IN ({marks})",
                (feed_id, *chunk),
            )
            found.update({row[0]: StoredEntry(row[1], row[2]) for row in rows})
        return found

    async def unseen(self, feed_id: int, articles: Sequence[NewArticle]) -> list[NewArticle]:
        """The articles that neither this feed's keys nor any feed's URLs hold yet, so that
        repeats are not tagged again only to be dropped by the insert."""
        keys = [article.entry_key for article in articles]
        urls = [article.url for article in articles if article.url]
        known_keys = set(await self.stored_entries(feed_id, keys))
        known_urls: set[str] = set()
        for start in range(0, len(urls), 500):
            chunk = urls[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = await self._db.fetch_all(
                f"SELECT url FROM articles WHERE url IN ({marks})", chunk
            )
            known_urls.update(row[0] for row in rows)
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
        """Store new articles and the feed's new state in one transaction; return new ids.

        An article whose feed+key or canonical URL is already stored is skipped, so a repeat
        (same poll twice, a crash before commit, the same story from another feed) adds nothing.
        """
        first_seen_text, flag = to_db_time(first_seen), int(backlog)

        def store(connection: sqlite3.Connection) -> list[int]:
            new_ids = []
            for article in articles:
                cursor = connection.execute(
                    _INSERT_ARTICLE, _article_row(feed_id, article, first_seen_text, flag)
                )
                if cursor.rowcount == 1 and cursor.lastrowid is not None:
                    new_ids.append(cursor.lastrowid)
                    if article.tags is not None and tag_version is not None:
                        write_tags(connection, cursor.lastrowid, article.tags, tag_version)
            connection.execute(_UPDATE_FEED_AFTER_PARSE, _feed_state_row(feed_id, state))
            return new_ids

        return await self._db.run_in_transaction(store)

    async def get(self, article_id: int) -> Article | None:
        row = await self._db.fetch_one(f"{_SELECT} WHERE a.id = ?", (article_id,))
        return None if row is None else _article(row)

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
        country codes (articles tagged there as the location); `actors` takes actor ids."""
        where, params = _filters(since, search, located_in, actors)
        sql = (
            f"{_SELECT} WHERE {' AND '.join(where)}"
            " ORDER BY a.sort_time DESC, a.id DESC LIMIT ? OFFSET ?"
        )
        rows = await self._db.fetch_all(sql, (*params, limit, offset))
        return [_article(row) for row in rows]

    async def count_matching(
        self,
        since: datetime | None = None,
        search: str | None = None,
        *,
        located_in: Collection[str] | None = None,
        actors: Collection[str] | None = None,
    ) -> int:
        """How many articles `find` would page through with the same filters."""
        where, params = _filters(since, search, located_in, actors)
        sql = f"SELECT count(*) FROM articles AS a WHERE {' AND '.join(where)}"
        return int(await self._db.fetch_value(sql, params))

    async def count(self, since: datetime | None = None) -> int:
        value = await self._db.fetch_value(
            "SELECT count(*) FROM articles WHERE first_seen >= ?",
            (to_db_time(since) if since else "",),
        )
        return int(value)


def _in_list(values: Collection[str]) -> str:
    return ",".join("?" * len(values))


def _filters(
    since: datetime | None,
    search: str | None,
    located_in: Collection[str] | None,
    actors: Collection[str] | None,
) -> tuple[list[str], list[object]]:
    """WHERE clauses over `articles AS a`, and their parameters."""
    where: list[str] = ["a.sort_time >= ?"]
    params: list[object] = [to_db_time(since) if since else ""]
    if search is not None:
        where.append("a.id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)")
        params.append(fts_query(search))
    if located_in is not None:
        codes = sorted(located_in)
        where.append(
            "a.id IN (SELECT article_id FROM article_countries"
            f" WHERE role = 'location' AND code IN ({_in_list(codes)}))"
        )
        params.extend(codes)
    if actors is not None:
        ids = sorted(actors)
        where.append(
            f"a.id IN (SELECT article_id FROM article_actors WHERE actor_id IN ({_in_list(ids)}))"
        )
        params.extend(ids)
    return where, params


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
