"""Digest runs and their outbox: planned before sending, marked sent only after confirmation."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from storage.db import Database, db_time, from_db_time, to_db_time


class WindowTakenError(Exception):
    """Another run planned this subscription's next window first (its `delivered_until` moved)."""


@dataclass(frozen=True, slots=True)
class PlannedMessage:
    nonce: str
    content: str
    attachment_name: str | None = None
    attachment: bytes | None = None


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    id: int
    run_id: int
    position: int
    channel_id: int
    nonce: str
    content: str
    attachment_name: str | None
    attachment: bytes | None
    attempts: int
    attempted_at: datetime | None
    sent_at: datetime | None
    message_id: int | None


@dataclass(frozen=True, slots=True)
class DigestRun:
    id: int
    subscription_id: int
    window_start: datetime
    window_end: datetime
    planned_at: datetime
    stories: int
    finished_at: datetime | None
    messages: tuple[OutboxMessage, ...]

    @property
    def unsent(self) -> tuple[OutboxMessage, ...]:
        return tuple(message for message in self.messages if message.sent_at is None)


@dataclass(frozen=True, slots=True)
class RunPlan:
    subscription_id: int
    channel_id: int
    expected_until: datetime | None  # the subscription's delivered_until the plan started from
    window_start: datetime
    window_end: datetime
    stories: int
    messages: tuple[PlannedMessage, ...]


_RUN_COLUMNS = "id, subscription_id, window_start, window_end, planned_at, stories, finished_at"
_MESSAGE_COLUMNS = (
    "id, run_id, position, channel_id, nonce, content, attachment_name, attachment, attempts,"
    " attempted_at, sent_at, message_id"
)


def _message(row: sqlite3.Row) -> OutboxMessage:
    return OutboxMessage(
        id=row["id"],
        run_id=row["run_id"],
        position=row["position"],
        channel_id=row["channel_id"],
        nonce=row["nonce"],
        content=row["content"],
        attachment_name=row["attachment_name"],
        attachment=row["attachment"],
        attempts=row["attempts"],
        attempted_at=from_db_time(row["attempted_at"]),
        sent_at=from_db_time(row["sent_at"]),
        message_id=row["message_id"],
    )


def _run(row: sqlite3.Row, messages: Sequence[OutboxMessage]) -> DigestRun:
    return DigestRun(
        id=row["id"],
        subscription_id=row["subscription_id"],
        window_start=db_time(row["window_start"]),
        window_end=db_time(row["window_end"]),
        planned_at=db_time(row["planned_at"]),
        stories=row["stories"],
        finished_at=from_db_time(row["finished_at"]),
        messages=tuple(messages),
    )


def _claim_window(connection: sqlite3.Connection, plan: RunPlan) -> None:
    """Move delivered_until to the window's end, only if nobody moved it since the plan began."""
    expected = None if plan.expected_until is None else to_db_time(plan.expected_until)
    moved = connection.execute(
        "UPDATE subscriptions SET delivered_until = ? WHERE id = ? AND delivered_until IS ?",
        (to_db_time(plan.window_end), plan.subscription_id, expected),
    ).rowcount
    if moved != 1:
        raise WindowTakenError(f"subscription {plan.subscription_id}: window already planned")


def _insert_plan(connection: sqlite3.Connection, plan: RunPlan, now: str) -> int:
    _claim_window(connection, plan)
    finished = None if plan.messages else now  # nothing to post: done when planned
    cursor = connection.execute(
        "INSERT INTO digest_runs (subscription_id, window_start, window_end, planned_at,"
        " stories, finished_at) VALUES (?, ?, ?, ?, ?, ?)",
        (
            plan.subscription_id,
            to_db_time(plan.window_start),
            to_db_time(plan.window_end),
            now,
            plan.stories,
            finished,
        ),
    )
    run_id = cursor.lastrowid
    assert run_id is not None
    connection.executemany(
        "INSERT INTO outbox (run_id, position, channel_id, nonce, content, attachment_name,"
        " attachment) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (run_id, position, plan.channel_id, m.nonce, m.content, m.attachment_name, m.attachment)
            for position, m in enumerate(plan.messages)
        ],
    )
    return run_id


def _mark_sent(connection: sqlite3.Connection, row_id: int, message_id: int, now: str) -> None:
    connection.execute(
        "UPDATE outbox SET sent_at = ?, message_id = ? WHERE id = ? AND sent_at IS NULL",
        (now, message_id, row_id),
    )
    # The run is finished once its last message is confirmed, in the same transaction.
    connection.execute(
        "UPDATE digest_runs SET finished_at = ? WHERE id = (SELECT run_id FROM outbox WHERE id = ?)"
        " AND NOT EXISTS (SELECT 1 FROM outbox WHERE run_id = digest_runs.id AND sent_at IS NULL)",
        (now, row_id),
    )


class OutboxStore:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def plan(self, plan: RunPlan, now: datetime) -> DigestRun:
        """Record a run and all its messages and claim its window, in one transaction."""
        planned = to_db_time(now)
        run_id = await self._db.run_in_transaction(lambda c: _insert_plan(c, plan, planned))
        run = await self.run(run_id)
        assert run is not None
        return run

    async def run(self, run_id: int) -> DigestRun | None:
        row = await self._db.fetch_one(
            f"SELECT {_RUN_COLUMNS} FROM digest_runs WHERE id = ?", (run_id,)
        )
        if row is None:
            return None
        messages = await self._db.fetch_all(
            f"SELECT {_MESSAGE_COLUMNS} FROM outbox WHERE run_id = ? ORDER BY position",
            (run_id,),
        )
        return _run(row, [_message(message) for message in messages])

    async def unfinished(self, subscription_id: int) -> DigestRun | None:
        """The oldest run of this subscription with messages still to send."""
        run_id = await self._db.fetch_value(
            "SELECT id FROM digest_runs WHERE subscription_id = ? AND finished_at IS NULL"
            " ORDER BY id LIMIT 1",
            (subscription_id,),
        )
        return None if run_id is None else await self.run(int(run_id))

    async def subscriptions_with_unfinished_runs(self) -> list[int]:
        rows = await self._db.fetch_all(
            "SELECT DISTINCT subscription_id FROM digest_runs WHERE finished_at IS NULL"
            " ORDER BY subscription_id"
        )
        return [int(row[0]) for row in rows]

    async def mark_attempt(self, row_id: int, now: datetime) -> None:
        """Before each send: a row attempted but never confirmed may have reached Discord."""
        sql = "UPDATE outbox SET attempts = attempts + 1, attempted_at = ? WHERE id = ?"
        params = (to_db_time(now), row_id)
        await self._db.run_in_transaction(lambda c: c.execute(sql, params).rowcount)

    async def mark_sent(self, row_id: int, message_id: int, now: datetime) -> None:
        sent = to_db_time(now)
        await self._db.run_in_transaction(lambda c: _mark_sent(c, row_id, message_id, sent))

    async def last_message_id(self, subscription_id: int) -> int | None:
        """Discord's id of the newest message confirmed for this subscription."""
        value = await self._db.fetch_value(
            "SELECT o.message_id FROM outbox AS o JOIN digest_runs AS r ON r.id = o.run_id"
            " WHERE r.subscription_id = ? AND o.message_id IS NOT NULL"
            " ORDER BY o.run_id DESC, o.position DESC LIMIT 1",
            (subscription_id,),
        )
        return None if value is None else int(value)

    async def last_run(self, subscription_id: int) -> DigestRun | None:
        run_id = await self._db.fetch_value(
            "SELECT id FROM digest_runs WHERE subscription_id = ? ORDER BY id DESC LIMIT 1",
            (subscription_id,),
        )
        return None if run_id is None else await self.run(int(run_id))
