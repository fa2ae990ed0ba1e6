"""`run`: the long-running service. Polls due feeds on a schedule until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections import Counter
from datetime import UTC, datetime
from typing import TextIO

import discord
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app import App
from bot.commands.service import Commands
from bot.console.session import ConsoleSession, run_console, stdin_lines
from bot.discord.client import SitrepBot
from bot.errors import UserError

log = logging.getLogger(__name__)
POLL_JOB_ID = "poll-feeds"
# How often the poller looks for due feeds; each feed's own schedule lives in the database.
POLL_TICK_SECONDS = 30
SHUTDOWN_GRACE_SECONDS = 5.0


async def poll_due_feeds(app: App) -> None:
    feeds = await app.poller.due_feeds()
    if not feeds:
        return
    results = await app.poller.poll(feeds)
    counts = Counter(result.outcome for result in results)
    log.info(
        "polled %d feeds: %d new articles, %d not modified, %d failed",
        len(results),
        sum(result.new for result in results),
        counts["not_modified"],
        counts["failed"],
    )


def build_scheduler(app: App) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.add_job(
        poll_due_feeds,
        "interval",
        args=(app,),
        seconds=POLL_TICK_SECONDS,
        id=POLL_JOB_ID,
        replace_existing=True,
        max_instances=1,  # a slow pass is never overlapped by the next tick
        coalesce=True,
        next_run_time=app.clock(),
    )
    return scheduler


def scheduled_jobs(scheduler: AsyncIOScheduler) -> list[tuple[str, datetime | None]]:
    return [(job.id, job.next_run_time) for job in scheduler.get_jobs()]


async def run(app: App, args: argparse.Namespace, out: TextIO) -> int:
    """Discord mode with DISCORD_TOKEN, console mode without. Either way the scheduler polls
    feeds in this event loop, and SIGINT/SIGTERM stop everything within seconds."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    scheduler = build_scheduler(app)
    service = Commands(app, jobs=lambda: scheduled_jobs(scheduler))
    token = app.settings.discord.token
    try:
        if token:
            return await run_discord(app, service, scheduler, token, stop, args.sync_global)
        return await run_console_mode(app, service, scheduler, stop, out)
    finally:
        log.info("stopping: scheduler first, then in-flight work")
        if scheduler.running:
            scheduler.shutdown(wait=False)
        await _finish_in_flight(SHUTDOWN_GRACE_SECONDS)


async def run_console_mode(
    app: App, service: Commands, scheduler: AsyncIOScheduler, stop: asyncio.Event, out: TextIO
) -> int:
    """Commands are read from stdin (a terminal or a pipe). /quit stops; so does the end of
    input on a terminal (Ctrl-D). A pipe that ends, or no stdin at all (a container), leaves
    the scheduler polling until a signal."""
    scheduler.start()
    out.write(f"Sitrep console mode, database {app.storage.path}. Stop with Ctrl-C or /quit.\n")
    out.flush()
    session = ConsoleSession(service, out)
    console = asyncio.create_task(_console(session, out, stop, sys.stdin.isatty()))
    try:
        await stop.wait()
    finally:
        console.cancel()
    return 0


async def run_discord(
    app: App,
    service: Commands,
    scheduler: AsyncIOScheduler,
    token: str,
    stop: asyncio.Event,
    sync_global: bool,
) -> int:
    bot = SitrepBot(service, scheduler, app.settings.discord.guild_ids, sync_globally=sync_global)
    async with bot:
        runner = asyncio.create_task(bot.start(token))
        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        await bot.close()
        stopper.cancel()
        try:
            await runner
        except discord.LoginFailure:
            raise UserError(
                "Discord refused DISCORD_TOKEN: check the bot token in your environment"
            ) from None
    return 0


async def _console(
    session: ConsoleSession, out: TextIO, stop: asyncio.Event, terminal: bool
) -> None:
    if await run_console(session, stdin_lines(), out) or terminal:
        stop.set()


async def _finish_in_flight(grace: float) -> None:
    """Give running polls `grace` seconds; then cancel them (their transactions roll back)."""
    current = asyncio.current_task()
    others = [task for task in asyncio.all_tasks() if task is not current]
    if not others:
        return
    _done, pending = await asyncio.wait(others, timeout=grace)
    for task in pending:
        task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.gather(*pending, return_exceptions=True)
