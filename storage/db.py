"""The one SQLite connection: pragmas, numbered migrations, transactions, time conversion."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"

# Set in one place. WAL lets readers (lookups) run while the poller writes. synchronous=NORMAL is
# safe from corruption in WAL mode and survives a killed process; only a power cut can roll back the
# newest commits, and since a feed's articles and its ETag commit together, the next poll refetches
# exactly what was rolled back. FULL would fsync on every feed and buy nothing more for this data.
# journal_mode is the one pragma written into the file, so it is set only after the version check:
# a database we refuse is left exactly as it was.
JOURNAL_MODE = "PRAGMA journal_mode = WAL"
PRAGMAS = (
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA busy_timeout = 5000",
)

Params = Sequence[Any] | dict[str, Any]
T = TypeVar("T")


class StorageError(Exception):
    """A storage problem worded for the operator (what is wrong, what to do)."""


class DatabaseTooNewError(StorageError):
    pass


def to_db_time(moment: datetime) -> str:
    """UTC-aware datetime -> stored text. Naive datetimes are a bug in the caller."""
    assert moment.tzinfo is not None and moment.utcoffset() is not None, (
        f"naive datetime {moment!r}"
    )
    # isoformat, not strftime: strftime("%Y") drops the zero padding of years before 1000 on
    # glibc, which would break "text order is time order" (e.g. `--since 0999-01-01`).
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def from_db_time(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.fromisoformat(text).replace(tzinfo=UTC)  # C-fast; strptime is not


def known_migrations() -> list[tuple[int, Path]]:
    """Migration files in order; their numbers must run 1, 2, 3... with no gap."""
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        assert match, f"badly named migration {path.name}"
        found.append((int(match.group(1)), path))
    assert [number for number, _ in found] == list(range(1, len(found) + 1)), "migration gap"
    return found


def split_statements(script: str) -> list[str]:
    """Split SQL into complete statements (triggers contain ';' inside BEGIN...END)."""
    statements, pending = [], ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    assert not pending.strip() or pending.strip().startswith("--"), "unterminated SQL statement"
    return statements


class Database:
    """Owns the aiosqlite connection; serialises transactions between tasks sharing it."""

    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        self.connection = connection
        self.path = path
        self._write_lock = asyncio.Lock()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception (including cancellation)."""
        async with self._write_lock:
            await self.connection.execute("BEGIN IMMEDIATE")
            try:
                yield self.connection
            except BaseException:
                await self.connection.execute("ROLLBACK")
                raise
            await self.connection.execute("COMMIT")

    async def run_in_transaction(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` inside BEGIN IMMEDIATE ... COMMIT on the database thread, in one hop.

        aiosqlite pays a thread round trip per statement; a poll pass writes thousands of small
        transactions, so whole transactions go over at once. `_execute` is aiosqlite's own
        "run this callable on the connection thread" (no public equivalent; version pinned).
        """

        def transaction(connection: sqlite3.Connection) -> T:
            connection.execute("BEGIN IMMEDIATE")
            try:
                result = work(connection)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
            return result

        async with self._write_lock:
            raw = self.connection._conn  # the sqlite3.Connection owned by aiosqlite's thread
            on_thread: Callable[..., Awaitable[T]] = getattr(self.connection, "_execute")  # noqa: B009
            return await on_thread(transaction, raw)

    async def fetch_all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        async with self.connection.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def fetch_one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        async with self.connection.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]

    async def close(self) -> None:
        await self.connection.close()


async def _schema_version(connection: aiosqlite.Connection) -> int:
    async with connection.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def _refuse_too_new(database: Database) -> int:
    """The schema version, or DatabaseTooNewError when it is newer than this code knows."""
    known = len(known_migrations())
    current = await _schema_version(database.connection)
    if current > known:
        raise DatabaseTooNewError(
            f"{database.path}: the database is at schema version {current}, but this Sitrep knows "
            f"only up to {known}; run a newer Sitrep or point storage.path elsewhere"
        )
    return current


async def migrate(database: Database) -> int:
    """Apply every pending migration in one transaction; return the resulting version."""
    migrations = known_migrations()
    current = await _refuse_too_new(database)
    pending = [(number, path) for number, path in migrations if number > current]
    if not pending:
        return current
    async with database.transaction() as connection:
        for number, path in pending:
            await _execute_all(connection, split_statements(path.read_text(encoding="utf-8")))
            await connection.execute(f"PRAGMA user_version = {number:d}")
    return pending[-1][0]


async def _execute_all(connection: aiosqlite.Connection, statements: Iterable[str]) -> None:
    for statement in statements:
        await connection.execute(statement)


def _check_openable(path: Path) -> None:
    # When aiosqlite fails to connect, its worker thread outlives the call and prints a traceback
    # once the loop has closed; a plain sqlite3 connection fails cleanly on the same paths.
    path.parent.mkdir(parents=True, exist_ok=True)
    sqlite3.connect(path).close()


async def open_database(path: Path) -> Database:
    """Open (creating if needed), set pragmas, migrate. Raises StorageError with a clear reason."""
    try:
        await asyncio.to_thread(_check_openable, path)
        connection = await aiosqlite.connect(path, isolation_level=None)
    except (OSError, sqlite3.DatabaseError) as error:
        raise StorageError(f"{path}: cannot open the database file: {error}") from None
    connection.row_factory = sqlite3.Row
    database = Database(connection, path)
    try:
        for pragma in PRAGMAS:
            await connection.execute(pragma)
        await _refuse_too_new(database)
        await connection.execute(JOURNAL_MODE)
        await migrate(database)
    except sqlite3.DatabaseError as error:
        await connection.close()
        raise StorageError(f"{path}: cannot use this database: {error}") from None
    except BaseException:
        await connection.close()
        raise
    return database
