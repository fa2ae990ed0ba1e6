"""The database file itself: read-only inspection (doctor), online backup, pruning old articles.

Inspection and backup open their own plain sqlite3 connections, never through `open_database`:
that one migrates and sets WAL, and a health check or a backup must leave the file as it was.
Both are blocking calls; the async side runs them in a thread.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from storage.db import Database, StorageError, known_migrations, to_db_time

# Articles deleted per transaction. Each costs about 0.3 ms (its full-text entries and tags go
# with it), so a batch commits in about 60 ms and the poller never waits long for the lock.
PRUNE_BATCH = 250
_INTEGRITY_LINES = 5  # integrity_check stops after this many problems: enough to act on


@dataclass(frozen=True, slots=True)
class FeedHealth:
    """Feed counts for `doctor`; names are display names (name, else title, else URL)."""

    total: int
    failing: tuple[str, ...]  # enabled feeds whose last fetch failed
    disabled: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DatabaseReport:
    schema_version: int
    known_version: int  # the newest schema this code knows
    integrity: tuple[str, ...]  # ("ok",) for a sound file, else SQLite's findings
    articles: int | None  # None when the file holds no Sitrep schema yet
    feeds: FeedHealth | None
    size_bytes: int

    @property
    def sound(self) -> bool:
        return self.integrity == ("ok",)


@dataclass(frozen=True, slots=True)
class PruneCounts:
    articles: int = 0
    country_tags: int = 0
    actor_tags: int = 0
    batches: int = 0

    def __add__(self, other: PruneCounts) -> PruneCounts:
        return PruneCounts(
            self.articles + other.articles,
            self.country_tags + other.country_tags,
            self.actor_tags + other.actor_tags,
            self.batches + other.batches,
        )


@contextmanager
def _connection(path: Path, read_only: bool) -> Iterator[sqlite3.Connection]:
    """A connection to an existing file (never creating it) that fails with a StorageError.

    Opening a WAL database creates its -wal and -shm files, and only a connection that may
    write removes them when it closes (as the last one). So `read_only` (doctor) reads a
    database nobody has open (no -wal: the last connection folded it in and deleted it) as
    immutable, which creates nothing; a bot starting during that read can at worst make the
    report wrong, never the file. Backups use a plain connection, which only reads.
    """
    query = "mode=rw"
    if read_only:
        query = "mode=ro" if Path(f"{path}-wal").exists() else "mode=ro&immutable=1"
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?{query}", uri=True, timeout=5)
    except sqlite3.Error as error:
        raise StorageError(f"{path}: cannot open the database file: {error}") from None
    with closing(connection):
        try:
            yield connection
        except sqlite3.DatabaseError as error:
            raise StorageError(f"{path}: cannot read the database: {error}") from None


def inspect_database(path: Path, quick: bool = False) -> DatabaseReport:
    """Schema version, integrity (quick_check when `quick`) and counts, without writing."""
    with _connection(path, read_only=True) as connection:
        version = int(connection.execute("PRAGMA user_version").fetchone()[0])
        check = "quick_check" if quick else "integrity_check"
        rows = connection.execute(f"PRAGMA {check}({_INTEGRITY_LINES})").fetchall()
        integrity = _findings(rows)
        sound = integrity == ("ok",)  # counting would only stumble on the damage
        articles, feeds = _counts(connection) if sound and version > 0 else (None, None)
    return DatabaseReport(
        schema_version=version,
        known_version=len(known_migrations()),
        integrity=integrity,
        articles=articles,
        feeds=feeds,
        size_bytes=path.stat().st_size,
    )


def _findings(rows: list[tuple[object, ...]]) -> tuple[str, ...]:
    """integrity_check's rows, one finding each (a row may hold several lines)."""
    lines = (line.strip() for row in rows for line in str(row[0]).splitlines())
    return tuple(line for line in lines if line and not line.startswith("*** in database"))


def _counts(connection: sqlite3.Connection) -> tuple[int | None, FeedHealth | None]:
    try:
        articles = int(connection.execute("SELECT count(*) FROM articles").fetchone()[0])
        rows = connection.execute(
            "SELECT coalesce(name, title, url), error_count > 0, disabled_reason IS NOT NULL"
            " FROM feeds ORDER BY id"
        ).fetchall()
    except sqlite3.OperationalError:  # a schema from a newer Sitrep may differ
        return None, None
    failing = tuple(name for name, failed, disabled in rows if failed and not disabled)
    disabled = tuple(name for name, _failed, is_disabled in rows if is_disabled)
    return articles, FeedHealth(len(rows), failing, disabled)


def backup_database(source: Path, target: Path) -> DatabaseReport:
    """Copy `source` to `target` with SQLite's online backup and check the copy.

    The copy is one consistent snapshot, taken in a single backup step. Under WAL (which
    open_database always sets) a reader never blocks the writer, so the bot keeps storing
    articles throughout; a backup in several small steps would instead restart from the first
    page every time the bot commits, and on a busy bot would never finish. The copy is written
    next to `target` and renamed into place only once it passes integrity_check, so `target` is
    never a half-written file. Returns the copy's report; raises StorageError when it is unsound.
    """
    if not source.is_file():
        raise StorageError(f"{source}: no database to back up")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        with _connection(source, read_only=False) as reader:
            _copy(reader, partial)
        report = inspect_database(partial)
        if not report.sound:
            raise StorageError(f"{partial}: the copy failed integrity_check: {report.integrity}")
        partial.replace(target)
    except OSError as error:
        raise StorageError(f"{target}: backup failed: {error}") from None
    finally:
        partial.unlink(missing_ok=True)
    return report


def _copy(reader: sqlite3.Connection, target: Path) -> None:
    try:
        with closing(sqlite3.connect(target)) as copy:
            reader.backup(copy)  # one step: see backup_database
    except sqlite3.Error as error:
        raise StorageError(f"{target}: backup failed: {error}") from None


class MaintenanceStore:
    """Deleting old articles in short transactions."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def count_before(self, cutoff: datetime) -> int:
        """Articles first seen before `cutoff`: what `prune` would delete."""
        value = await self._db.fetch_value(
            "SELECT count(*) FROM articles WHERE first_seen < ?", (to_db_time(cutoff),)
        )
        return int(value)

    async def prune(self, cutoff: datetime, batch_size: int = PRUNE_BATCH) -> PruneCounts:
        """Delete articles first seen before `cutoff`, with their tags, batch by batch.

        Each batch is its own transaction, so the poller's writes slip in between batches."""
        total = PruneCounts()
        while True:
            batch = await self.prune_batch(cutoff, batch_size)
            if not batch.articles:
                return total
            total += batch

    async def prune_batch(self, cutoff: datetime, limit: int) -> PruneCounts:
        """Delete up to `limit` of the oldest articles first seen before `cutoff`."""
        cutoff_text = to_db_time(cutoff)

        def delete(connection: sqlite3.Connection) -> PruneCounts:
            ids = [
                row[0]
                for row in connection.execute(
                    "SELECT id FROM articles WHERE first_seen < ? ORDER BY first_seen LIMIT ?",
                    (cutoff_text, limit),
                )
            ]
            if not ids:
                return PruneCounts()
            marks = ",".join("?" * len(ids))
            # Tags cascade with foreign_keys on; deleting them first gives their counts and does
            # not depend on the pragma. The full-text index follows by the articles' triggers.
            countries = connection.execute(
                f"DELETE FROM article_countries WHERE article_id IN ({marks})", ids
            ).rowcount
            actors = connection.execute(
                f"DELETE FROM article_actors WHERE article_id IN ({marks})", ids
            ).rowcount
            connection.execute(f"DELETE FROM articles WHERE id IN ({marks})", ids)
            # Hours before the oldest article hold none: their marks (migration 0004) go too.
            connection.execute(
                "DELETE FROM article_hours"
                " WHERE hour < (SELECT substr(min(sort_time), 1, 13) FROM articles)"
            )
            return PruneCounts(len(ids), countries, actors, 1)

        return await self._db.run_in_transaction(delete)
