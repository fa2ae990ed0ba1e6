"""Exactly once across crashes: the real bot in a child process, killed with SIGKILL in the
middle of a multi-message digest, then started again on the same database.

Two crash points: before Discord saw the second message (it must be sent after the restart)
and after Discord created the third but before the bot heard back (it must not be sent again).
In the end the channel holds every message of the digest once, in order.
"""

from __future__ import annotations

import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import Tagging
from storage import open_storage
from storage.subscriptions import NewSubscription
from tests.digest_e2e_support import Story, store_stories
from tests.discord_fake import FakeDiscord
from tests.discord_harness import fake_discord_server
from tests.sitrep_process import sitrep_process

MESSAGES = "/channels/{channel_id}/messages"
PLACES = [
    ("Mosul", "Iraq"), ("Aleppo", "Syria"), ("El Fasher", "Sudan"), ("Gao", "Mali"),
    ("Kharkiv", "Ukraine"), ("Mandalay", "Myanmar"), ("Cauca", "Colombia"), ("Kismayo", "Somalia"),
]  # fmt: skip
EVENTS = [
    "Drone strike on fuel depot near {city} kills {n}, {country} officials say",
    "Curfew imposed in {city} after overnight clashes leave {n} dead in {country}",
    "Aid convoy ambushed outside {city}; {n} drivers missing in {country}",
    "Governor of {city} survives roadside bomb that killed {n} guards, {country}",
    "Thousands flee {city} as shelling intensifies; {n} civilians wounded in {country}",
    "Prison break in {city} frees {n} inmates, {country} interior ministry says",
]


def many_stories() -> list[Story]:
    """Forty-eight unrelated stories in eight regions: a digest of several messages."""
    return [
        Story("Wire", event.format(city=city, country=country, n=3 + number))
        for number, event in enumerate(EVENTS)
        for city, country in PLACES
    ]


async def prepare(database: Path, tagging: Tagging, fake: FakeDiscord) -> None:
    """Stories from the last hours and an hourly subscription created a day ago: the bot owes
    one digest the moment it starts."""
    now = datetime.now(UTC)
    async with open_storage(database) as storage:
        await store_stories(storage, tagging, many_stories(), now - timedelta(hours=3))
        channel = fake.guild.channel("digest").id
        subscription = NewSubscription(fake.guild.id, channel, "every 1h", "UTC")
        await storage.subscriptions.add(subscription, now - timedelta(days=1))


def bot_posts(fake: FakeDiscord) -> list[str]:
    return [m["content"] for m in fake.bot_posts(fake.guild.channel("digest").id)]


async def test_sigkill_mid_digest_still_posts_every_message_once(
    tmp_path: Path, tagging: Tagging
) -> None:
    async with fake_discord_server() as fake:
        await prepare(tmp_path / "sitrep.db", tagging, fake)

        # Crash 1: killed while Discord has not yet seen the second message.
        held = fake.hold("POST", MESSAGES, nth=2)
        async with sitrep_process(fake, tmp_path) as bot:
            await held.arrived(timeout=60)
            assert await bot.kill() == -signal.SIGKILL
        assert len(bot_posts(fake)) == 1
        async with open_storage(tmp_path / "sitrep.db") as storage:
            planned = await storage.outbox.last_run(1)
        assert planned is not None and len(planned.messages) >= 3, "a multi-message digest"

        # Crash 2: Discord created the third message, the bot never heard back.
        held = fake.hold("POST", MESSAGES, nth=2, after_create=True)
        async with sitrep_process(fake, tmp_path) as bot:
            await held.arrived(timeout=60)
            assert await bot.kill() == -signal.SIGKILL
        assert len(bot_posts(fake)) == 3

        expected = len(planned.messages)
        async with sitrep_process(fake, tmp_path) as bot:
            await fake.wait_until(lambda: len(bot_posts(fake)) >= expected, timeout=60)
            assert await bot.terminate() == 0

        async with open_storage(tmp_path / "sitrep.db") as storage:
            run = await storage.outbox.last_run(1)
        assert run is not None and run.id == planned.id and run.finished_at is not None
        assert bot_posts(fake) == [message.content for message in run.messages]  # once, in order
        posted = fake.bot_posts(fake.guild.channel("digest").id)
        assert [message.message_id for message in run.messages] == [int(m["id"]) for m in posted]
