"""`run`: the long-running service. Polls due feeds on a schedule until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from collections import Counter
from datetime import UTC
from typing import TextIO

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app import App

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


async def run(app: App, args: argparse.Namespace, out: TextIO) -> int:
    if app.settings.discord.token:
        log.warning("DISCORD_TOKEN is set, but this build has no Discord client yet: polling only")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    scheduler = build_scheduler(app)
    scheduler.start()
    out.write(f"Sitrep is polling feeds into {app.storage.path}. Stop with Ctrl-C.\n")
    out.flush()
    try:
        await stop.wait()
    finally:
        log.info("stopping: scheduler first, then in-flight polls")
        scheduler.shutdown(wait=False)
        await _finish_in_flight(SHUTDOWN_GRACE_SECONDS)
    return 0


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
