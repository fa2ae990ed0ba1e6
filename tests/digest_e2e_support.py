"""A controllable clock for digests end to end, and tagged articles stored at chosen times.

ManualClock is the App's clock and, through `clock_apscheduler`, APScheduler's too: the
scheduler computes fire times and misfires from it, so a test moves time forward and calls
`scheduler.wakeup()` to see exactly what fires, without waiting.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

import apscheduler.executors.base
import apscheduler.schedulers.base
import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app import App, Tagging
from bot.commands.digests import DigestCommands
from bot.commands.service import Commands
from bot.discord.client import SitrepBot
from bot.discord.sender import DiscordSender
from bot.runner import POLL_JOB_ID, build_digests, build_scheduler, on_discord, scheduled_jobs
from storage import Storage
from storage.types import FeedState, NewArticle
from tests.discord_fake import FakeDiscord
from tests.discord_harness import start_client, stop_client


class ManualClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> datetime:
        self.now += by
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment


def clock_apscheduler(monkeypatch: pytest.MonkeyPatch, clock: ManualClock) -> None:
    """APScheduler reads datetime.now() in its scheduler and executors: give it our clock."""

    class ClockedDatetime(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
            return clock.now if tz is None else clock.now.astimezone(tz)

    monkeypatch.setattr(apscheduler.schedulers.base, "datetime", ClockedDatetime)
    monkeypatch.setattr(apscheduler.executors.base, "datetime", ClockedDatetime)


@dataclass(frozen=True)
class Story:
    outlet: str
    title: str
    summary: str = ""


async def store_stories(
    storage: Storage, tagging: Tagging, stories: Sequence[Story], first_seen: datetime
) -> list[int]:
    """Tagged, announced (not backlog) articles first seen at `first_seen`, one feed per outlet."""
    tags = tagging.tag_batch([(story.title, story.summary) for story in stories])
    ids: list[int] = []
    for story, story_tags in zip(stories, tags, strict=True):
        feed = await _feed(storage, story.outlet, first_seen)
        key = hashlib.sha256(f"{story.outlet}|{story.title}".encode()).hexdigest()[:16]
        article = NewArticle(
            key, key, f"https://{story.outlet.lower()}.example/{key}", story.title,
            story.summary, first_seen, key, story_tags,
        )  # fmt: skip
        # Not due for a month: nothing tries to fetch these made-up feeds.
        state = FeedState(checked_at=first_seen, next_check=first_seen + timedelta(days=30))
        ids += await storage.articles.store_fetch(
            feed, [article], state, first_seen, backlog=False, tag_version=tagging.version
        )
    return ids


async def _feed(storage: Storage, outlet: str, now: datetime) -> int:
    url = f"https://{outlet.lower()}.example/feed.xml"
    for feed in await storage.feeds.all():
        if feed.url == url:
            return feed.id
    return (await storage.feeds.add(url, now, name=outlet)).id


@dataclass
class DigestBot:
    server: FakeDiscord
    bot: SitrepBot
    scheduler: AsyncIOScheduler


@contextlib.asynccontextmanager
async def running_digest_bot(app: App, server: FakeDiscord) -> AsyncIterator[DigestBot]:
    """The bot wired as bot.runner.run_discord wires it (digests included) on `server`."""
    scheduler = build_scheduler(app)
    scheduler.remove_job(POLL_JOB_ID)  # the stories are stored directly; nothing to fetch
    service = Commands(app, jobs=lambda: scheduled_jobs(scheduler))

    def digests(client: SitrepBot) -> DigestCommands:
        return build_digests(app, scheduler, DiscordSender(client), on_discord)

    bot = SitrepBot(service, scheduler, [server.guild.id], digests=digests)
    task = await start_client(bot)
    try:
        yield DigestBot(server, bot, scheduler)
    finally:
        await stop_client(bot, task)
