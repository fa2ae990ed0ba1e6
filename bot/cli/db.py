"""`db backup PATH [--force]` and `db prune [--older-than 180d] [--dry-run]`.

Neither builds the tagger. `backup` does not even open the database the usual way (that would
migrate it): it copies the file as it is, safely while the bot runs (storage.maintenance).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from bot.app import App
from bot.cli.fmt import when
from bot.errors import UserError
from bot.maintenance import prune_before, retention_cutoff
from bot.settings import Settings
from bot.timeparse import parse_duration
from storage.maintenance import DatabaseReport, backup_database


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    database = commands.add_parser("db", help="back up the database or prune old articles")
    actions = database.add_subparsers(dest="action", required=True, metavar="ACTION")
    backup = actions.add_parser(
        "backup",
        help="copy the database to PATH, safely while the bot runs",
        description="Copies the database with SQLite's online backup: a consistent snapshot, "
        "taken while the bot keeps writing. The copy is checked with integrity_check.",
    )
    backup.add_argument(
        "path", help="file to write, or a folder (existing, or ending in /): a dated file in it"
    )
    backup.add_argument("--force", action="store_true", help="replace PATH if it exists")
    backup.set_defaults(settings_handler=backup_command)
    prune = actions.add_parser(
        "prune",
        help="delete old articles and their tags",
        description="Deletes articles first seen longer ago than --older-than (default: "
        "storage.retention_days) with their tags, in short transactions.",
    )
    prune.add_argument("--older-than", help="a duration such as 180d or 26w")
    prune.add_argument("--dry-run", action="store_true", help="only count what would go")
    prune.set_defaults(handler=prune_command)


def size_text(size_bytes: int) -> str:
    if size_bytes < 1024 * 1024:
        return f"{size_bytes / 1024:.1f} KB"
    return f"{size_bytes / 1024 / 1024:.1f} MB"


def backup_target(text: str, now: datetime) -> Path:
    """PATH itself, or a dated file inside PATH when it names a folder (created if missing)."""
    path = Path(text)
    if text.endswith(("/", os.sep)) or path.is_dir():
        path.mkdir(parents=True, exist_ok=True)
        return path / f"sitrep-{now:%Y%m%d-%H%M%S}.db"
    return path


async def backup_command(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    source = settings.storage.path
    target = backup_target(args.path, datetime.now(UTC))
    if not source.is_file():
        raise UserError(f"no database at {source} (storage.path): nothing to back up")
    if target.exists() and target.resolve() == source.resolve():
        raise UserError(f"{target} is the database itself; give another path")
    if target.exists() and not args.force:
        raise UserError(f"{target} already exists; pass --force to replace it")
    if not target.parent.is_dir():
        raise UserError(f"{target.parent}: no such folder")
    started = time.perf_counter()
    report = await asyncio.to_thread(backup_database, source, target)
    out.write(backup_line(source, target, report, time.perf_counter() - started))
    return 0


def backup_line(source: Path, target: Path, report: DatabaseReport, seconds: float) -> str:
    articles = "no articles" if report.articles is None else f"{report.articles:,} articles"
    return (
        f"Backed up {source} to {target}: {size_text(report.size_bytes)}, schema "
        f"{report.schema_version}, {articles}, integrity ok ({seconds:.1f} s)\n"
    )


async def prune_command(app: App, args: argparse.Namespace, out: TextIO) -> int:
    now = app.clock()
    if args.older_than is not None:
        cutoff, why = now - parse_duration(args.older_than), f"older than {args.older_than}"
    else:
        days = app.settings.storage.retention_days
        retention = retention_cutoff(now, days)
        if retention is None:
            out.write(
                "storage.retention_days is 0 (keep everything): nothing pruned. "
                "Pass --older-than 180d to prune now.\n"
            )
            return 0
        cutoff, why = retention, f"storage.retention_days = {days}"
    if args.dry_run:
        count = await app.storage.maintenance.count_before(cutoff)
        out.write(f"Would prune {count:,} articles first seen before {when(cutoff)} ({why}).\n")
        return 0
    counts = await prune_before(app.storage, cutoff)
    out.write(
        f"Pruned {counts.articles:,} articles first seen before {when(cutoff)} ({why}), "
        f"with {counts.country_tags:,} country and {counts.actor_tags:,} actor tags.\n"
    )
    return 0
