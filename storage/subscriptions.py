"""Digest subscriptions: which channel gets which digest, when, and whether it is paused."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from storage.db import Database, db_time, from_db_time, to_db_time


class SubscriptionExistsError(Exception):
    def __init__(self, existing_id: int) -> None:
        super().__init__(f"this channel already has the same subscription (#{existing_id})")
        self.existing_id = existing_id


@dataclass(frozen=True, slots=True)
class NewSubscription:
    guild_id: int  # 0 for the console
    channel_id: int  # 0 for the console
    schedule: str
    timezone: str
    regions: tuple[str, ...] = ()  # names as given; () means everywhere
    actors: tuple[str, ...] = ()
    min_sources: int = 1
    quiet: bool = False
    created_by: int | None = None


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    guild_id: int
    channel_id: int
    schedule: str
    timezone: str
    regions: tuple[str, ...]
    actors: tuple[str, ...]
    min_sources: int
    quiet: bool
    created_by: int | None
    created_at: datetime
    delivered_until: datetime | None  # end of the last planned digest window
    paused_reason: str | None
    paused_at: datetime | None

    @property
    def paused(self) -> bool:
        return self.paused_reason is not None


_COLUMNS = (
    "id, guild_id, channel_id, schedule, timezone, regions, actors, min_sources, quiet,"
    " created_by, created_at, delivered_until, paused_reason, paused_at"
)
_INSERT = (
    "INSERT INTO subscriptions (guild_id, channel_id, schedule, timezone, regions, actors,"
    " min_sources, quiet, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_SAME = (
    "SELECT id FROM subscriptions WHERE channel_id = ? AND schedule = ? AND timezone = ?"
    " AND regions = ? AND actors = ? AND min_sources = ?"
)


def subscription_from_row(row: sqlite3.Row) -> Subscription:
    return Subscription(
        id=row["id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        schedule=row["schedule"],
        timezone=row["timezone"],
        regions=tuple(json.loads(row["regions"])),
        actors=tuple(json.loads(row["actors"])),
        min_sources=row["min_sources"],
        quiet=bool(row["quiet"]),
        created_by=row["created_by"],
        created_at=db_time(row["created_at"]),
        delivered_until=from_db_time(row["delivered_until"]),
        paused_reason=row["paused_reason"],
        paused_at=from_db_time(row["paused_at"]),
    )


def _identity(new: NewSubscription) -> tuple[object, ...]:
    """The columns that make two subscriptions the same (the UNIQUE constraint)."""
    return (
        new.channel_id,
        new.schedule,
        new.timezone,
        json.dumps(list(new.regions)),
        json.dumps(list(new.actors)),
        new.min_sources,
    )


def _insert(connection: sqlite3.Connection, new: NewSubscription, now: str) -> int | None:
    """The new row's id, or None when the same subscription exists."""
    if connection.execute(_SAME, _identity(new)).fetchone() is not None:
        return None
    row = (new.guild_id, *_identity(new), int(new.quiet), new.created_by, now)
    cursor = connection.execute(_INSERT, row)
    assert cursor.lastrowid is not None
    return cursor.lastrowid


class SubscriptionStore:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def add(self, new: NewSubscription, now: datetime) -> Subscription:
        """Store a subscription; SubscriptionExistsError when the channel has the same one."""
        created = to_db_time(now)
        new_id = await self._db.run_in_transaction(lambda c: _insert(c, new, created))
        if new_id is None:
            existing = await self._db.fetch_value(_SAME, _identity(new))
            raise SubscriptionExistsError(int(existing))
        found = await self.get(new_id)
        assert found is not None
        return found

    async def add_missing(self, seeds: Sequence[NewSubscription], now: datetime) -> int:
        """Create the seeded subscriptions that do not exist yet; returns how many were added."""
        created = to_db_time(now)

        def insert_all(connection: sqlite3.Connection) -> int:
            return sum(_insert(connection, seed, created) is not None for seed in seeds)

        return await self._db.run_in_transaction(insert_all)

    async def get(self, subscription_id: int) -> Subscription | None:
        row = await self._db.fetch_one(
            f"SELECT {_COLUMNS} FROM subscriptions WHERE id = ?", (subscription_id,)
        )
        return None if row is None else subscription_from_row(row)

    async def all(self) -> list[Subscription]:
        rows = await self._db.fetch_all(f"SELECT {_COLUMNS} FROM subscriptions ORDER BY id")
        return [subscription_from_row(row) for row in rows]

    async def for_guild(self, guild_id: int) -> list[Subscription]:
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM subscriptions WHERE guild_id = ? ORDER BY id", (guild_id,)
        )
        return [subscription_from_row(row) for row in rows]

    async def remove(self, subscription_id: int, guild_id: int) -> bool:
        """Delete it (with its runs and unsent messages) if it belongs to this guild."""

        def delete(connection: sqlite3.Connection) -> int:
            sql = "DELETE FROM subscriptions WHERE id = ? AND guild_id = ?"
            return connection.execute(sql, (subscription_id, guild_id)).rowcount

        return bool(await self._db.run_in_transaction(delete))

    async def pause(self, subscription_id: int, reason: str, now: datetime) -> None:
        sql = "UPDATE subscriptions SET paused_reason = ?, paused_at = ? WHERE id = ?"
        params = (reason, to_db_time(now), subscription_id)
        await self._db.run_in_transaction(lambda c: c.execute(sql, params).rowcount)

    async def resume(self, subscription_id: int, guild_id: int) -> bool:
        """Clear the pause of a subscription of this guild; False if there is no such one."""
        sql = (
            "UPDATE subscriptions SET paused_reason = NULL, paused_at = NULL"
            " WHERE id = ? AND guild_id = ?"
        )
        params = (subscription_id, guild_id)
        return bool(await self._db.run_in_transaction(lambda c: c.execute(sql, params).rowcount))
