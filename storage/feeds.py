"""Feeds: the subscription list and each feed's polling state."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime

from storage.db import Database, db_time, from_db_time, to_db_time
from storage.types import Feed, FeedState


class FeedExistsError(Exception):
    def __init__(self, url: str) -> None:
        super().__init__(f"feed already present: {url}")
        self.url = url


class UnknownFeedError(Exception):
    def __init__(self, url: str) -> None:
        super().__init__(f"no such feed: {url} (see `feeds list`)")
        self.url = url


_COLUMNS = (
    "id, url, name, title, site_url, etag, last_modified, added_at, last_checked, last_updated,"
    " next_check, error_count, last_error, disabled_reason"
)


def _feed(row: sqlite3.Row) -> Feed:
    return Feed(
        id=row["id"],
        url=row["url"],
        name=row["name"],
        title=row["title"],
        site_url=row["site_url"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        added_at=db_time(row["added_at"]),
        last_checked=from_db_time(row["last_checked"]),
        last_updated=from_db_time(row["last_updated"]),
        next_check=db_time(row["next_check"]),
        error_count=row["error_count"],
        last_error=row["last_error"],
        disabled_reason=row["disabled_reason"],
    )


class FeedStore:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def add(self, url: str, now: datetime, name: str | None = None) -> Feed:
        """Add a feed, due at once. Raises FeedExistsError for a URL already present."""
        async with self._db.transaction() as connection:
            try:
                await connection.execute(
                    "INSERT INTO feeds (url, name, added_at, next_check) VALUES (?, ?, ?, ?)",
                    (url, name, to_db_time(now), to_db_time(now)),
                )
            except sqlite3.IntegrityError:
                raise FeedExistsError(url) from None
        return await self.get(url)

    async def add_many(self, feeds: Iterable[tuple[str, str | None]], now: datetime) -> int:
        """Add every (url, name) not present yet, in one transaction; return how many were new."""
        added = 0
        async with self._db.transaction() as connection:
            for url, name in feeds:
                cursor = await connection.execute(
                    "INSERT INTO feeds (url, name, added_at, next_check) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (url) DO NOTHING",
                    (url, name, to_db_time(now), to_db_time(now)),
                )
                added += cursor.rowcount
        return added

    async def seed_once(self, feeds: Iterable[tuple[str, str | None]], now: datetime) -> int | None:
        """Add the default feeds on the very first start only; None when seeded before."""
        if await self._db.fetch_value("SELECT value FROM meta WHERE key = 'feeds_seeded_at'"):
            return None
        added = await self.add_many(feeds, now)
        async with self._db.transaction() as connection:
            await connection.execute(
                "INSERT INTO meta (key, value) VALUES ('feeds_seeded_at', ?)", (to_db_time(now),)
            )
        return added

    async def remove(self, url: str) -> int:
        """Remove a feed and its articles; return how many articles went with it."""
        async with self._db.transaction() as connection:
            async with connection.execute(
                "SELECT id, (SELECT count(*) FROM articles WHERE feed_id = feeds.id)"
                " FROM feeds WHERE url = ?",
                (url,),
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                raise UnknownFeedError(url)
            await connection.execute("DELETE FROM feeds WHERE id = ?", (row[0],))
        return int(row[1])

    async def get(self, url: str) -> Feed:
        row = await self._db.fetch_one(f"SELECT {_COLUMNS} FROM feeds WHERE url = ?", (url,))
        if row is None:
            raise UnknownFeedError(url)
        return _feed(row)

    async def get_by_id(self, feed_id: int) -> Feed:
        row = await self._db.fetch_one(f"SELECT {_COLUMNS} FROM feeds WHERE id = ?", (feed_id,))
        if row is None:
            raise UnknownFeedError(f"#{feed_id}")
        return _feed(row)

    async def all(self) -> list[Feed]:
        rows = await self._db.fetch_all(f"SELECT {_COLUMNS} FROM feeds ORDER BY id")
        return [_feed(row) for row in rows]

    async def due(self, now: datetime) -> list[Feed]:
        """Enabled feeds whose next check has come, the most overdue first."""
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM feeds WHERE disabled_reason IS NULL AND next_check <= ?"
            " ORDER BY next_check",
            (to_db_time(now),),
        )
        return [_feed(row) for row in rows]

    async def enabled(self) -> list[Feed]:
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM feeds WHERE disabled_reason IS NULL ORDER BY id"
        )
        return [_feed(row) for row in rows]

    async def record_not_modified(self, updates: Sequence[tuple[int, FeedState]]) -> None:
        """304s: only the check times change (validators stay, the error streak ends).

        Takes many feeds at once: a pass of mostly-304 feeds then costs one transaction."""
        rows = [
            (to_db_time(state.checked_at), to_db_time(state.next_check), feed_id)
            for feed_id, state in updates
        ]

        def update(connection: sqlite3.Connection) -> None:
            connection.executemany(
                "UPDATE feeds SET last_checked = ?, next_check = ?, error_count = 0,"
                " last_error = NULL WHERE id = ?",
                rows,
            )

        if rows:
            await self._db.run_in_transaction(update)

    async def record_failure(
        self, feed_id: int, state: FeedState, error: str, disable_reason: str | None
    ) -> None:
        row = (
            to_db_time(state.checked_at),
            to_db_time(state.next_check),
            error,
            disable_reason,
            feed_id,
        )

        def update(connection: sqlite3.Connection) -> None:
            connection.execute(
                "UPDATE feeds SET last_checked = ?, next_check = ?, error_count = error_count + 1,"
                " last_error = ?, disabled_reason = ? WHERE id = ?",
                row,
            )

        await self._db.run_in_transaction(update)

    async def enable(self, url: str, now: datetime) -> Feed:
        """Re-enable a disabled feed: due at once, error streak forgotten."""
        async with self._db.transaction() as connection:
            cursor = await connection.execute(
                "UPDATE feeds SET disabled_reason = NULL, error_count = 0, next_check = ?"
                " WHERE url = ?",
                (to_db_time(now), url),
            )
            if cursor.rowcount == 0:
                raise UnknownFeedError(url)
        return await self.get(url)

    async def record_earlier_read(self, feed_ids: Sequence[int], at: datetime) -> None:
        """Record that these feeds were already read once, at `at`.

        A feed's first read stores its back catalogue as backlog, never announced; after this
        call the next read counts as news. The demo uses it: it ingests a sample week as if the
        bot had been watching those feeds all along, so the digest has something to show."""
        rows = [(to_db_time(at), to_db_time(at), feed_id) for feed_id in feed_ids]

        def update(connection: sqlite3.Connection) -> None:
            connection.executemany(
                "UPDATE feeds SET last_checked = ?, last_updated = ? WHERE id = ?", rows
            )

        if rows:
            await self._db.run_in_transaction(update)
