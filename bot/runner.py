"""`run`: the long-running service. Polls due feeds on a schedule until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TextIO

import discord
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app import App
from bot.commands.digests import DigestCommands
from bot.commands.service import Commands
from bot.commands.views import CommandError
from bot.console.sender import ConsoleSender
from bot.console.session import ConsoleSession, run_console, stdin_lines
from bot.digest.delivery import DigestDelivery, Sender
from bot.digest.jobs import DigestJobs
from bot.digest.service import digests_of
from bot.discord.client import SitrepBot
from bot.discord.sender import DiscordSender
from bot.errors import UserError
from bot.maintenance import prune_old_articles
from bot.tagging.resolve import LookupIndex
from storage.subscriptions import Subscription

log = logging.getLogger(__name__)
POLL_JOB_ID = "poll-feeds"
PRUNE_JOB_ID = "prune-articles"
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
    if any(result.new for result in results):
        await app.stories.place_new()  # now, so that digests find their stories ready


async def prune(app: App) -> None:
    await prune_old_articles(app.storage, app.settings.storage.retention_days, app.clock())


def log_job_problem(event: JobExecutionEvent) -> None:
    """Every missed or failed scheduler run, once, with the job id to act on."""
    if event.code == EVENT_JOB_MISSED:
        log.warning(
            "scheduler missed job %s due at %s (the loop was busy or the machine asleep)",
            event.job_id,
            event.scheduled_run_time,
        )
    else:
        log.error("scheduler job %s failed", event.job_id, exc_info=event.exception)


def build_scheduler(app: App) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.add_listener(log_job_problem, EVENT_JOB_MISSED | EVENT_JOB_ERROR)
    if app.settings.storage.retention_days:
        scheduler.add_job(
            prune,
            "interval",
            args=(app,),
            days=1,
            id=PRUNE_JOB_ID,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=3600,
            next_run_time=app.clock() + timedelta(minutes=5),  # not in the busy first minutes
        )
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


def build_digests(
    app: App,
    scheduler: AsyncIOScheduler,
    sender: Sender,
    serves: Callable[[Subscription], bool],
) -> DigestCommands:
    """The digest parts: delivery through `sender`, jobs for the subscriptions it serves."""
    assert app.tagging is not None, "digests need the taxonomy"
    taxonomy = app.tagging.taxonomy
    first_window = timedelta(hours=app.settings.digest.first_window_hours)
    delivery = DigestDelivery(
        app.storage,
        digests_of(app),
        LookupIndex(taxonomy),
        sender,
        app.clock,
        first_window,
    )
    jobs = DigestJobs(scheduler, delivery, app.storage, app.clock, serves)
    return DigestCommands(app, jobs)


def on_discord(subscription: Subscription) -> bool:
    return subscription.channel_id != 0


def on_console(subscription: Subscription) -> bool:
    return subscription.channel_id == 0


def scheduled_jobs(scheduler: AsyncIOScheduler) -> list[tuple[str, datetime | None]]:
    return [(job.id, job.next_run_time) for job in scheduler.get_jobs()]


# The event loop shares this process with threads that run Python in bursts: the database
# writer encoding a 5,000-article fetch, the pool thread unpickling a worker's results. CPython
# passes the GIL between threads every switch interval (5 ms by default) and an answer needs it
# back many times (each query, each HTTP call), so under ingest it waited up to 5 ms each time.
# At 1 ms those waits shrink; the background threads lose a little throughput (bench/bot.py).
GIL_SWITCH_INTERVAL = 0.001


def favour_the_event_loop() -> None:
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)


async def run(app: App, args: argparse.Namespace, out: TextIO) -> int:
    """Discord mode with DISCORD_TOKEN, console mode without. Either way the scheduler polls
    feeds in this event loop, and SIGINT/SIGTERM stop everything within seconds."""
    favour_the_event_loop()
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


async def start_console_session(
    app: App, service: Commands, scheduler: AsyncIOScheduler, out: TextIO
) -> ConsoleSession:
    """A console session whose digest subscriptions print to `out`; starts the scheduler and
    the console's digest jobs (run and the demo share this)."""
    digests = build_digests(app, scheduler, ConsoleSender(out), on_console)
    scheduler.start()
    await digests.jobs.start()
    return ConsoleSession(service, out, digests)


async def run_console_mode(
    app: App, service: Commands, scheduler: AsyncIOScheduler, stop: asyncio.Event, out: TextIO
) -> int:
    """Commands are read from stdin (a terminal or a pipe). /quit stops; so does the end of
    input on a terminal (Ctrl-D). A pipe that ends, or no stdin at all (a container), leaves
    the scheduler polling until a signal."""
    session = await start_console_session(app, service, scheduler, out)
    out.write(f"Sitrep console mode, database {app.storage.path}. Stop with Ctrl-C or /quit.\n")
    out.flush()
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
    def digests(client: SitrepBot) -> DigestCommands:
        return build_digests(app, scheduler, DiscordSender(client), on_discord)

    guild_ids = app.settings.discord.guild_ids
    bot = SitrepBot(service, scheduler, guild_ids, sync_globally=sync_global, digests=digests)
    assert bot.digests is not None
    try:
        added = await bot.digests.seed(app.settings.digest.subscriptions, guild_ids)
    except CommandError as error:
        raise UserError(f"config error: {error}") from None
    if added:
        log.info("seeded %d digest subscriptions from the settings", added)
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
