"""The SQLite connections: pragmas, numbered migrations, transactions, time conversion.

Two connections to the same file. The writer takes every transaction (one at a time, in task
order). The reader serves fetch_all/fetch_one/fetch_value: in WAL mode it reads the last
committed state while the writer is inside a transaction, so a lookup never queues behind a
feed's write. Reads that must see their own transaction's uncommitted writes use the connection
handed out by transaction() or run_in_transaction() instead.
"""

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
# The reader can never write, so a read path that slips into writing fails loudly instead of
# racing the writer. busy_timeout still matters: opening a WAL snapshot can meet a brief lock
# (WAL recovery, a checkpoint resetting the log).
READER_PRAGMAS = (
    "PRAGMA query_only = ON",
    "PRAGMA foreign_keys = ON",
    "PRAGMA busy_timeout = 5000",
)

Params = Sequence[Any] | dict[str, Any]
# Values per IN (...) list in fetch_all_in: far below SQLite's variable limit.
IN_LIST_BATCH = 500
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
    return None if text is None else db_time(text)


def db_time(text: str) -> datetime:
    """Stored text (never NULL) -> UTC-aware datetime."""
    # C-fast (strptime is not); an offset in the text is five times cheaper than .replace().
    return datetime.fromisoformat(text + "+00:00")


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
    """Owns the two aiosqlite connections: `connection` (the writer) serialises transactions
    between the tasks sharing it; `reader` answers fetch_* from the last committed state."""

    def __init__(
        self, connection: aiosqlite.Connection, path: Path, reader: aiosqlite.Connection
    ) -> None:
        self.connection = connection
        self.reader = reader
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
        transactions, so whole transactions go over at once.
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
            return await _on_thread(self.connection, transaction)

    async def fetch_all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """Every row, read through the reader in one thread hop."""
        return list(await self.reader.execute_fetchall(sql, params))

    async def fetch_tuples(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        """Every row as a plain tuple, read by position: a third cheaper to build than
        sqlite3.Row, which counts when a read returns tens of thousands of rows."""

        def tuples(connection: sqlite3.Connection) -> list[tuple[Any, ...]]:
            cursor = connection.cursor()
            cursor.row_factory = None
            try:
                return cursor.execute(sql, params).fetchall()
            finally:
                cursor.close()

        return await _on_thread(self.reader, tuples)

    async def fetch_all_in(
        self,
        sql: str,
        values: Sequence[Any],
        before: Sequence[Any] = (),
        after: Sequence[Any] = (),
    ) -> list[sqlite3.Row]:
        """Every row of `sql`, whose `{marks}` stands for an IN list of `values`, read
        IN_LIST_BATCH values at a time; `before` and `after` are the parameters around it."""
        rows: list[sqlite3.Row] = []
        for start in range(0, len(values), IN_LIST_BATCH):
            chunk = list(values[start : start + IN_LIST_BATCH])
            marks = ",".join("?" * len(chunk))
            rows += await self.fetch_all(sql.format(marks=marks), (*before, *chunk, *after))
        return rows

    async def fetch_one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """The first row (through the reader, one hop); the statement is closed at once, since
        an open statement would keep the reader on an old snapshot."""

        def first_row(connection: sqlite3.Connection) -> sqlite3.Row | None:
            cursor = connection.execute(sql, params)
            try:
                row: sqlite3.Row | None = cursor.fetchone()
                return row
            finally:
                cursor.close()

        return await _on_thread(self.reader, first_row)

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]

    async def close(self) -> None:
        try:
            await self.reader.close()
        finally:
            await self.connection.close()


async def _on_thread(
    connection: aiosqlite.Connection, work: Callable[[sqlite3.Connection], T]
) -> T:
    """Run `work(sqlite3 connection)` on the aiosqlite connection's own thread. `_execute` is
    aiosqlite's "run this callable on the connection thread" (no public equivalent; version
    pinned in requirements.txt)."""
    raw = connection._conn  # the sqlite3.Connection owned by aiosqlite's thread
    queue: Callable[..., Awaitable[T]] = getattr(connection, "_execute")  # noqa: B009
    return await queue(work, raw)


async def _schema_version(connection: aiosqlite.Connection) -> int:
    async with connection.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def _refuse_too_new(connection: aiosqlite.Connection, path: Path) -> int:
    """The schema version, or DatabaseTooNewError when it is newer than this code knows."""
    known = len(known_migrations())
    current = await _schema_version(connection)
    if current > known:
        raise DatabaseTooNewError(
            f"{path}: the database is at schema version {current}, but this Sitrep knows "
            f"only up to {known}; run a newer Sitrep or point storage.path elsewhere"
        )
    return current


async def migrate(connection: aiosqlite.Connection, path: Path) -> int:
    """Apply every pending migration in one transaction on the writer; return the resulting
    version. Runs before the reader opens, so no reader ever sees an old schema."""
    migrations = known_migrations()
    current = await _refuse_too_new(connection, path)
    pending = [(number, script) for number, script in migrations if number > current]
    if not pending:
        return current
    await connection.execute("BEGIN IMMEDIATE")
    try:
        for number, script in pending:
            await _execute_all(connection, split_statements(script.read_text(encoding="utf-8")))
            await connection.execute(f"PRAGMA user_version = {number:d}")
    except BaseException:
        await connection.execute("ROLLBACK")
        raise
    await connection.execute("COMMIT")
    return pending[-1][0]


async def _execute_all(connection: aiosqlite.Connection, statements: Iterable[str]) -> None:
    for statement in statements:
        await connection.execute(statement)


def _check_openable(path: Path) -> None:
    # When aiosqlite fails to connect, its worker thread outlives the call and prints a traceback
    # once the loop has closed; a plain sqlite3 connection fails cleanly on the same paths.
    path.parent.mkdir(parents=True, exist_ok=True)
    sqlite3.connect(path).close()


async def _connect(path: Path, pragmas: Iterable[str]) -> aiosqlite.Connection:
    try:
        connection = await aiosqlite.connect(path, isolation_level=None)
    except (OSError, sqlite3.DatabaseError) as error:
        raise StorageError(f"{path}: cannot open the database file: {error}") from None
    connection.row_factory = sqlite3.Row
    try:
        for pragma in pragmas:
            await connection.execute(pragma)
    except BaseException:
        await connection.close()
        raise
    return connection


async def _prepare_writer(connection: aiosqlite.Connection, path: Path) -> None:
    await _refuse_too_new(connection, path)
    await connection.execute(JOURNAL_MODE)
    await migrate(connection, path)


async def open_database(path: Path) -> Database:
    """Open (creating if needed), set pragmas, migrate, then open the reader. Raises
    StorageError with a clear reason."""
    try:
        await asyncio.to_thread(_check_openable, path)
    except (OSError, sqlite3.DatabaseError) as error:
        raise StorageError(f"{path}: cannot open the database file: {error}") from None
    try:
        writer = await _connect(path, PRAGMAS)
    except sqlite3.DatabaseError as error:
        raise StorageError(f"{path}: cannot use this database: {error}") from None
    try:
        await _prepare_writer(writer, path)
        reader = await _connect(path, READER_PRAGMAS)
    except sqlite3.DatabaseError as error:
        await writer.close()
        raise StorageError(f"{path}: cannot use this database: {error}") from None
    except BaseException:
        await writer.close()
        raise
    return Database(writer, path, reader)
