"""`demo`: a fresh database, the bundled sample feeds, a digest, then the console.

Everything runs through the real parts (fetch, parse, normalise, de-duplicate, tag, store,
digest); only the feeds are local. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from datetime import UTC
from pathlib import Path
from typing import TextIO

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app import App
from bot.cli.fetch import result_line
from bot.commands.service import Commands
from bot.console.session import run_console, stdin_lines
from bot.demo import SAMPLE_FOLDER, SampleIngest, demo_settings, ingest_sample, load_sample
from bot.digest.render_text import as_markdown
from bot.digest.service import digests_of
from bot.ingest.poller import FeedResult
from bot.runner import scheduled_jobs, start_console_session
from bot.settings import Settings

AppFactory = Callable[[Settings], AbstractAsyncContextManager[App]]
TRY_THESE = """\
Try these (the same commands as in Discord):
  /lookup region:Levant            articles in a region, newest first (then /more)
  /lookup actor:JNIM since:3d      by actor: any alias or acronym works (KH, RSF, APT28)
  /lookup query:"Coral Meridian"   full-text search
  /article id:1                    one article with its tags and the evidence for each
  /regions                         regions with article counts
  /actors search:typhoon           actors with article counts
  /digest now region:Sahel         a digest on demand
"""


async def demo(settings: Settings, args: argparse.Namespace, out: TextIO, build: AppFactory) -> int:
    """The `demo` command: everything lives in a temporary folder, deleted on the way out."""
    # The demo narrates each step itself; start-up info lines would only interleave with it.
    root = logging.getLogger()
    level = root.level
    root.setLevel(max(level, logging.WARNING))
    try:
        with tempfile.TemporaryDirectory(prefix="sitrep-demo-") as folder:
            return await run_demo(settings, Path(folder), out, build, not args.no_console)
    finally:
        root.setLevel(level)


async def run_demo(
    settings: Settings, folder: Path, out: TextIO, build: AppFactory, console: bool
) -> int:
    """Ingest the sample into a new database in `folder`, print what happened and its digest,
    then (with `console`) hand over to the console prompt. 1 when no article was stored."""
    async with build(demo_settings(settings, folder)) as app:
        out.write(f"Sitrep demo: a new database at {app.storage.path}\n")
        sample = load_sample()
        out.write(
            f"Reading the {len(sample)} sample feeds of {_shown(SAMPLE_FOLDER)}: fetch, parse, "
            "normalise, de-duplicate, tag, store\n"
        )
        ingest = await ingest_sample(app, sample, lambda result: _report(result, out))
        out.write(_ingest_summary(ingest) + "\n\n")
        if ingest.new_articles == 0:
            out.write("No article was stored: the demo has nothing to show.\n")
            return 1
        await _print_digest(app, ingest, out)
        out.write("\n" + TRY_THESE)
        if console:
            await _console(app, out)
    return 0


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _report(result: FeedResult, out: TextIO) -> None:
    # Named by file: a feed is known by its URL until its first read gives it a title.
    out.write("  " + result_line(replace(result, name=result.url.rsplit("/", 1)[-1])) + "\n")
    out.flush()


def _ingest_summary(ingest: SampleIngest) -> str:
    failed = sum(result.outcome == "failed" for result in ingest.results)
    return (
        f"{len(ingest.results)} feeds read from {ingest.server_url}: {ingest.new_articles} "
        f"articles stored, {failed} failed (broken-feed.xml is cut off on purpose: a failing "
        "feed is recorded with its reason and retried later; see /feed status).\n"
        f"The sample week (2026-01-05 to 2026-01-11) was moved {ingest.shift.days} days "
        "forward, so its newest item is from just before now."
    )


async def _print_digest(app: App, ingest: SampleIngest, out: TextIO) -> None:
    assert app.tagging is not None, "the demo stores tagged articles"
    now = app.clock()
    digests = digests_of(app)
    out.write(as_markdown(await digests.build(ingest.period(now), now)))
    out.flush()


async def _console(app: App, out: TextIO) -> None:
    """The console on the demo database, as in `run` but with no poll job: the sample server is
    gone. Digest subscriptions made here still run (and print here) while the console is open."""
    scheduler = AsyncIOScheduler(timezone=UTC)
    service = Commands(app, jobs=lambda: scheduled_jobs(scheduler))
    try:
        session = await start_console_session(app, service, scheduler, out)
        out.write("\nConsole on the demo database. Stop with /quit or Ctrl-D.\n")
        await run_console(session, stdin_lines(), out)
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=False)
