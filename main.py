"""Sitrep: the one composition root and command line.

python main.py run                     poll feeds on a schedule (console mode without DISCORD_TOKEN)
python main.py fetch [--all]           one polling pass, a line per feed
python main.py feeds list|add|remove|enable|import|export
python main.py articles [--since 24h] [--search TEXT] [--limit N] [--json]
python main.py tag "TEXT" | tag --jsonl  tags with their evidence
python main.py retag                   re-tag stored articles after a taxonomy edit
python main.py digest [--since 24h] [--region R] [--actor A] [--format markdown|json]
python main.py demo [--no-console]     the bundled sample feeds in a throwaway database
python main.py doctor [--quick]         check settings, database, feeds, taxonomy, token
python main.py db backup PATH [--force] online copy of the database, integrity-checked
python main.py db prune [--older-than 180d] [--dry-run]  delete old articles and their tags
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import json
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import Executor
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TextIO

from bot.app import App, Tagging
from bot.cli import articles as articles_cli
from bot.cli import db as db_cli
from bot.cli import demo as demo_cli
from bot.cli import digest as digest_cli
from bot.cli import doctor as doctor_cli
from bot.cli import feeds as feeds_cli
from bot.cli import fetch as fetch_cli
from bot.cli import tagging as tagging_cli
from bot.console.session import help_text as console_help_text
from bot.digest.placement import story_placer
from bot.errors import UserError
from bot.ingest.feedlist import FeedListError, load_seed_feeds
from bot.ingest.fetch import Fetcher, FetchLimits
from bot.ingest.guard import AddressPolicy
from bot.ingest.poller import BatchTagger, ParseWorkers, Poller, WorkerTagger
from bot.ingest.schedule import PollPolicy
from bot.runner import run
from bot.settings import PROJECT_ROOT, Settings, SettingsError, load_settings
from bot.tagging.resolve import UnknownNameError
from bot.tagging.tagger import Tagger
from bot.tagging.taxonomy import TaxonomyError, load_taxonomy
from bot.timeparse import SINCE_HELP, TimeParseError
from storage import (
    FeedExistsError,
    SearchQueryError,
    Storage,
    StorageError,
    UnknownFeedError,
    open_storage,
)

log = logging.getLogger("sitrep")
Handler = Callable[[App, argparse.Namespace, TextIO], Awaitable[int]]
# Errors that mean "the request was wrong", shown as one line without a traceback.
USER_ERRORS = (
    UserError,
    SettingsError,
    StorageError,
    FeedListError,
    FeedExistsError,
    UnknownFeedError,
    SearchQueryError,
    TimeParseError,
    TaxonomyError,
    UnknownNameError,
)
TAXONOMY_FILES = ("regions.toml", "places.toml", "actors.toml")


def utc_now() -> datetime:
    return datetime.now(UTC)


def positive_limit(text: str) -> int:
    value = int(text) if text.isdigit() else 0
    if not 1 <= value <= 1000:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number from 1 to 1000")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py", description="Sitrep: security news, tagged and digested."
    )
    parser.add_argument(
        "--config",
        type=Path,
        help="settings file on top of config/settings.toml (or SITREP_CONFIG)",
    )
    parser.add_argument(
        "--log-format",
        choices=("text", "json"),
        help="log line format (default: settings log.format)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run_parser = commands.add_parser(
        "run",
        help="run the bot: Discord with DISCORD_TOKEN, console otherwise",
        description="Polls feeds on a schedule and serves the slash commands: in Discord when "
        "DISCORD_TOKEN is set, else at a console prompt (on a terminal).",
        epilog=console_help_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run_parser.add_argument(
        "--sync-global",
        action="store_true",
        help="also sync slash commands globally (slow to appear; guilds sync on every start)",
    )
    run_parser.set_defaults(handler=run, needs_tagging=True, parse_in_workers=True)

    fetch_parser = commands.add_parser("fetch", help="one polling pass over the due feeds")
    fetch_parser.add_argument(
        "--all", action="store_true", help="fetch every enabled feed, due or not"
    )
    fetch_parser.set_defaults(handler=fetch_cli.fetch, needs_tagging=True)

    _add_feeds_commands(commands)

    articles = commands.add_parser("articles", help="list stored articles, newest first")
    articles.add_argument("--since", help=f"only articles from {SINCE_HELP}")
    articles.add_argument("--search", help="full-text search (words are searched literally)")
    articles.add_argument(
        "--limit", type=positive_limit, default=20, help="at most N articles (default 20)"
    )
    articles.add_argument("--json", action="store_true", help="one JSON object per line")
    articles.set_defaults(handler=articles_cli.list_articles)

    tag = commands.add_parser("tag", help="show the tags of a text with their evidence")
    tag.add_argument("text", nargs="?", help="headline or text to tag")
    tag.add_argument("--summary", help="body text, weighed less than the headline")
    tag.add_argument(
        "--jsonl",
        action="store_true",
        help='read {"id", "title", "summary"} lines on stdin, write one JSON line each',
    )
    tag.set_defaults(tagging_handler=tagging_cli.tag_text)

    digest = commands.add_parser("digest", help="print a digest of recent articles")
    digest.add_argument("--since", default="24h", help=f"window start: {SINCE_HELP} (default 24h)")
    digest.add_argument("--region", help="only this country or region (any name or code)")
    digest.add_argument("--actor", help="only this actor (any alias or acronym)")
    digest.add_argument("--format", choices=("markdown", "json"), default="markdown")
    digest.set_defaults(handler=digest_cli.print_digest, needs_tagging=True)

    retag = commands.add_parser("retag", help="re-tag stored articles after a taxonomy edit")
    retag.set_defaults(handler=tagging_cli.retag, needs_tagging=True)
    db_cli.register(commands)
    doctor_cli.register(commands)

    demo = commands.add_parser(
        "demo",
        help="try Sitrep offline: sample feeds, a digest, then the console",
        description="Reads the bundled sample feeds (config/demo) from a server on 127.0.0.1 into "
        "a temporary database, prints what happened and a digest, then opens the console.",
    )
    demo.add_argument("--no-console", action="store_true", help="print and exit")
    demo.set_defaults(demo_handler=demo_cli.demo)
    return parser


def _add_feeds_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    feeds = commands.add_parser("feeds", help="list and manage feeds")
    actions = feeds.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", help="every feed with its health").set_defaults(
        handler=feeds_cli.list_feeds
    )
    add = actions.add_parser("add", help="add a feed and fetch it once")
    add.add_argument("url")
    add.add_argument("--name", help="name shown in digests (default: the feed's own title)")
    add.add_argument("--no-fetch", action="store_true", help="do not fetch it now")
    add.set_defaults(handler=feeds_cli.add_feed, needs_tagging=True)
    remove = actions.add_parser("remove", help="remove a feed and its articles")
    remove.add_argument("url")
    remove.set_defaults(handler=feeds_cli.remove_feed)
    enable = actions.add_parser("enable", help="re-enable a disabled feed")
    enable.add_argument("url")
    enable.set_defaults(handler=feeds_cli.enable_feed)
    importer = actions.add_parser("import", help="add the feeds of an OPML file")
    importer.add_argument("file")
    importer.set_defaults(handler=feeds_cli.import_feeds)
    actions.add_parser("export", help="print every feed as OPML 2.0").set_defaults(
        handler=feeds_cli.export_feeds
    )


class JsonLogFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(level: str, log_format: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonLogFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, logging.getLevelName(level)))


async def seed_feeds(storage: Storage, settings: Settings, now: datetime) -> None:
    added = await storage.feeds.seed_once(load_seed_feeds(settings.storage.seed_feeds), now)
    if added is not None:
        log.info("first start: seeded %d feeds from %s", added, settings.storage.seed_feeds)


def taxonomy_version(folder: Path) -> str:
    """Names this taxonomy and tagger: a digest of the taxonomy files and the tagger's code,
    so any edit to either marks stored tags as stale for `retag`."""
    digest = hashlib.sha256()
    sources = sorted((PROJECT_ROOT / "bot" / "tagging").glob("*.py"))
    for path in [folder / name for name in TAXONOMY_FILES] + sources:
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()[:12]


def build_tagging(settings: Settings) -> Tagging:
    taxonomy = load_taxonomy(settings.taxonomy.path)
    tagging = Tagging(taxonomy, Tagger(taxonomy), taxonomy_version(settings.taxonomy.path))
    # The taxonomy and automaton live as long as the process. Without freezing, every full GC
    # pass walks their millions of objects while holding the GIL, stalling the event loop for
    # 100+ ms in the middle of a poll; frozen, they are never scanned.
    gc.freeze()
    return tagging


@asynccontextmanager
async def parse_executor(settings: Settings, workers: int) -> AsyncIterator[Executor | None]:
    """Where the poller parses and tags: `workers` processes, started at once and each
    building its own tagger, or (None, with 0) a thread of this process."""
    if workers == 0:
        yield None
        return
    pool = ParseWorkers(workers, partial(build_tagging, settings))
    try:
        yield pool
    finally:  # a worker busy with a feed finishes it first, as a thread would
        await asyncio.to_thread(pool.shutdown, True, cancel_futures=True)


def poll_tagger(tagging: Tagging | None, executor: Executor | None) -> BatchTagger | None:
    """What the poller tags with: in worker processes, their own taggers under this version."""
    if tagging is None or not isinstance(executor, ParseWorkers):
        return tagging
    return WorkerTagger(tagging.version)


@asynccontextmanager
async def build_app(
    settings: Settings,
    clock: Callable[[], datetime] = utc_now,
    with_tagging: bool = True,
    parse_workers: int = 0,
) -> AsyncIterator[App]:
    """Open every long-lived resource once and wire the parts together."""
    fetch = settings.fetch
    limits = FetchLimits(
        user_agent=fetch.user_agent,
        timeout_connect=fetch.timeout_connect,
        timeout_total=fetch.timeout_total,
        max_body_bytes=fetch.max_body_bytes,
        max_redirects=fetch.max_redirects,
        concurrency=fetch.concurrency,
        per_host_concurrency=fetch.per_host_concurrency,
    )
    policy = AddressPolicy(fetch.allow_private_addresses, fetch.allowed_networks)
    poll = settings.poll
    poll_policy = PollPolicy(
        poll.interval,
        poll.max_backoff,
        poll.jitter,
        poll.max_consecutive_failures,
        fetch.max_retry_after,
    )
    # Workers start first: they build their taggers while this process builds its own.
    async with parse_executor(settings, parse_workers if with_tagging else 0) as executor:
        # Building the tagger takes a moment; commands that store no articles skip it.
        tagging = await asyncio.to_thread(build_tagging, settings) if with_tagging else None
        async with (
            open_storage(settings.storage.path) as storage,
            Fetcher(limits, policy) as fetcher,
        ):
            await seed_feeds(storage, settings, clock())
            tagger = poll_tagger(tagging, executor)
            poller = Poller(storage, fetcher, poll_policy, executor, tagger, clock=clock)
            # The bot (parsing in workers) keeps its story index in a process of its own too.
            async with story_placer(storage, clock, own_process=executor is not None) as placer:
                yield App(settings, storage, poller, tagging, clock, placer)


async def run_command(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    if hasattr(args, "tagging_handler"):  # needs the tagger only, not the database
        return int(args.tagging_handler(build_tagging(settings), args, out))
    if hasattr(args, "settings_handler"):  # must not open (and so migrate) the database
        return int(await args.settings_handler(settings, args, out))
    if hasattr(args, "demo_handler"):  # builds its own App, on settings derived for the demo
        return int(await args.demo_handler(settings, args, out, build_app))
    with_tagging = getattr(args, "needs_tagging", False) and not getattr(args, "no_fetch", False)
    workers = settings.poll.workers if getattr(args, "parse_in_workers", False) else 0
    async with build_app(settings, with_tagging=with_tagging, parse_workers=workers) as app:
        handler: Handler = args.handler
        return await handler(app, args, out)


def main(argv: list[str] | None = None, out: TextIO = sys.stdout) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "doctor":  # reports broken settings as a FAIL line instead of stopping
        return doctor_cli.doctor(args, out)
    try:
        settings = load_settings(args.config)
        setup_logging(settings.log.level, args.log_format or settings.log.format)
        return asyncio.run(run_command(settings, args, out))
    except USER_ERRORS as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
