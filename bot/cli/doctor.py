"""`doctor`: check an installation and say what to fix, one line per check.

    OK    database  data/sitrep.db: schema 3 of 3, integrity ok, 1,234 articles
    FAIL  taxonomy  config/actors.toml: [[actor]] "x": duplicate alias "kh", ... — fix: ...

It runs before (and instead of) the usual start-up: a broken settings file is a FAIL line here,
not an error that stops the command. It never writes: the database is opened read-only, and a
missing one is not created. Exit status 1 when any check FAILs, else 0.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TextIO

from bot.ingest.feedlist import FeedListError, load_seed_feeds
from bot.settings import PROJECT_ROOT, Settings, SettingsError, load_settings
from bot.tagging.taxonomy import TaxonomyError, load_taxonomy
from storage.db import StorageError
from storage.maintenance import DatabaseReport, FeedHealth, inspect_database

Status = Literal["OK", "WARN", "FAIL"]
TAXONOMY_FILES = ("regions.toml", "places.toml", "actors.toml")
# A bot token is three base64url parts joined by dots; quotes or a "Bot " prefix are mistakes.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_NAMES_SHOWN = 3


@dataclass(frozen=True)
class Check:
    status: Status
    name: str  # config, database, feeds, taxonomy, discord
    message: str
    fix: str | None = None

    def line(self) -> str:
        fix = f" — fix: {self.fix}" if self.fix else ""
        return f"{self.status:<6}{self.name:<10}{self.message}{fix}"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    doctor = commands.add_parser(
        "doctor",
        help="check settings, database, taxonomy, feeds and token; say what to fix",
        description="One line per check: OK, WARN or FAIL with the fix. Writes nothing. "
        "Exit status 1 when a check FAILs.",
    )
    doctor.add_argument(
        "--quick", action="store_true", help="quick_check instead of integrity_check (huge DBs)"
    )


def shown(path: Path) -> str:
    """Paths inside the Sitrep folder as users write them in settings."""
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def doctor(args: argparse.Namespace, out: TextIO) -> int:
    failed = False
    for check in run_checks(args.config, args.quick):
        failed |= check.status == "FAIL"
        out.write(check.line() + "\n")
        out.flush()  # loading the taxonomy takes seconds: show each line as soon as it is known
    return 1 if failed else 0


def run_checks(config: Path | None, quick: bool = False) -> Iterator[Check]:
    """Every check in order, one at a time; a check that cannot run says so as a WARN."""
    settings_check, settings = check_settings(config)
    yield settings_check
    if settings is None:
        for name in ("database", "feeds", "taxonomy"):
            yield Check("WARN", name, "not checked: the settings did not load")
        yield check_discord(os.environ.get("DISCORD_TOKEN", "").strip() or None, ())
        return
    database_check, report = check_database(settings.storage.path, quick)
    yield database_check
    yield check_feeds(settings, database_check, report)
    yield check_taxonomy(settings.taxonomy.path)
    yield check_discord(settings.discord.token, settings.discord.guild_ids)


def check_settings(config: Path | None) -> tuple[Check, Settings | None]:
    try:
        settings = load_settings(config)
    except SettingsError as error:
        fix = (
            "correct that file or variable (config/settings.toml documents every key and "
            "what it takes)"
        )
        return Check("FAIL", "config", str(error).removeprefix("config error: "), fix), None
    files = ", ".join(shown(Path(source)) for source in settings.sources)
    days = settings.storage.retention_days
    retention = f"keep articles {days} days" if days else "keep articles forever"
    return Check("OK", "config", f"{files}: loaded; {retention}"), settings


def check_database(path: Path, quick: bool = False) -> tuple[Check, DatabaseReport | None]:
    name = shown(path)
    if not path.exists():
        return _missing_database(path), None
    try:
        report = inspect_database(path, quick)
    except StorageError as error:
        fix = (
            "point storage.path at a Sitrep database, or restore the latest backup "
            f"(salvage a damaged file with `sqlite3 {name} .recover`)"
        )
        return Check("FAIL", "database", f"{name}: {_after_path(error, path)}", fix), None
    return _judge_database(path, report), report


def _after_path(error: Exception, path: Path) -> str:
    return str(error).removeprefix(f"{path}: ")


def _missing_database(path: Path) -> Check:
    folder = path.parent
    while not folder.exists():
        folder = folder.parent
    if not os.access(folder, os.W_OK | os.X_OK):
        fix = f"make {shown(folder)} writable by the user running Sitrep, or move storage.path"
        return Check("FAIL", "database", f"{shown(path)}: missing and cannot be created", fix)
    return Check("OK", "database", f"{shown(path)}: not created yet (the first start creates it)")


def _judge_database(path: Path, report: DatabaseReport) -> Check:
    name, version, known = shown(path), report.schema_version, report.known_version
    if version > known:
        fix = "run the newer Sitrep that wrote it, or point storage.path at another file"
        return Check("FAIL", "database", f"{name}: schema {version}, newer than {known}", fix)
    if not report.sound:
        problems = "; ".join(report.integrity)
        fix = (
            "stop the bot and restore the latest backup, or salvage with "
            f"`sqlite3 {name} .recover | sqlite3 recovered.db`"
        )
        return Check("FAIL", "database", f"{name}: integrity_check failed: {problems}", fix)
    unwritable = [p for p in (path, path.parent) if not os.access(p, os.W_OK)]
    if unwritable:
        fix = "give the user running Sitrep write access to the file and its folder"
        where = " and ".join(shown(p) for p in unwritable)
        return Check("FAIL", "database", f"{name}: {where} not writable", fix)
    articles = "no articles" if report.articles is None else f"{report.articles:,} articles"
    summary = f"{name}: schema {version} of {known}, integrity ok, {articles}"
    if version < known:
        fix = "back it up (`python main.py db backup PATH`); the next start applies the migrations"
        return Check("WARN", "database", f"{summary}; migrations pending", fix)
    return Check("OK", "database", summary)


def check_feeds(settings: Settings, database: Check, report: DatabaseReport | None) -> Check:
    if report is not None and report.feeds is not None:
        return judge_feeds(report.feeds)
    if database.status == "FAIL":
        return Check("WARN", "feeds", "not checked: the database could not be read")
    seed = settings.storage.seed_feeds
    try:
        count = len(load_seed_feeds(seed))
    except FeedListError as error:
        fix = "correct the feed list (its header shows the format) or set storage.seed_feeds"
        return Check("FAIL", "feeds", str(error), fix)
    return Check("OK", "feeds", f"no database yet: the first start adds {count} feeds "
                 f"from {shown(seed)}")  # fmt: skip


def judge_feeds(health: FeedHealth) -> Check:
    list_fix = (
        "`python main.py feeds list` shows each error; `feeds enable URL` retries a fixed "
        "feed, `feeds remove URL` drops a dead one"
    )
    if health.total == 0:
        fix = "`python main.py feeds add URL` or `feeds import FILE.opml`"
        return Check("WARN", "feeds", "no feeds: nothing is polled", fix)
    if len(health.disabled) == health.total:
        message = f"all {health.total} feeds are disabled: nothing is polled"
        return Check("FAIL", "feeds", message, list_fix)
    if health.failing or health.disabled:
        message = (
            f"{health.total} feeds: {_listed(health.failing)} failing, "
            f"{_listed(health.disabled)} disabled"
        )
        return Check("WARN", "feeds", message, list_fix)
    return Check("OK", "feeds", f"{health.total} feeds, none failing or disabled")


def _listed(names: Sequence[str]) -> str:
    """'2 (A, B)' or '5 (A, B, C, ...)'."""
    if not names:
        return "0"
    more = ", ..." if len(names) > _NAMES_SHOWN else ""
    return f"{len(names)} ({', '.join(names[:_NAMES_SHOWN])}{more})"


def check_taxonomy(folder: Path) -> Check:
    try:
        taxonomy = load_taxonomy(folder)
    except TaxonomyError as error:
        fix = "correct that entry (config/README.md and each file's header describe the format)"
        return Check("FAIL", "taxonomy", _in_folder(folder, str(error)), fix)
    except OSError as error:  # unreadable file: permissions
        fix = "make the taxonomy files readable by the user running Sitrep"
        return Check("FAIL", "taxonomy", f"{shown(folder)}: {error}", fix)
    counts = (
        f"{len(taxonomy.countries)} countries, {len(taxonomy.regions)} regions, "
        f"{len(taxonomy.places):,} places, {len(taxonomy.actors)} actors"
    )
    return Check("OK", "taxonomy", f"{shown(folder)}: {counts}")


def _in_folder(folder: Path, message: str) -> str:
    """TaxonomyError messages start with the file name; show where that file is."""
    if message.startswith(TAXONOMY_FILES):
        return f"{shown(folder / message.split(':', 1)[0])}:{message.split(':', 1)[1]}"
    return f"{shown(folder)}: {message}"


def check_discord(token: str | None, guild_ids: Sequence[int]) -> Check:
    if token is None:
        fix = "to run in Discord, set DISCORD_TOKEN in the environment or .env (see .env.example)"
        return Check("WARN", "discord", "DISCORD_TOKEN is not set: `run` uses the console", fix)
    if not _TOKEN_SHAPE.fullmatch(token):
        fix = (
            "copy the token again (Developer Portal, Bot, Reset Token), without quotes or a "
            '"Bot " prefix'
        )
        return Check("FAIL", "discord", "DISCORD_TOKEN does not look like a bot token", fix)
    if not guild_ids:
        fix = "list your server ids in discord.guild_ids (or SITREP_DISCORD_GUILD_IDS)"
        message = "DISCORD_TOKEN set; no guild_ids, so slash commands sync to no server"
        return Check("WARN", "discord", message, fix)
    return Check("OK", "discord", f"DISCORD_TOKEN set; commands sync to {len(guild_ids)} guilds")
