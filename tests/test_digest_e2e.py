"""Scheduled digests end to end: the real bot on the loopback Discord server, a manual clock
driving APScheduler, real SQLite. Fires on time in its zone, catches up once after downtime,
pauses on 403, and the /digest commands."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.app import App, Tagging
from bot.commands.views import CommandError
from bot.digest.jobs import job_id
from bot.digest.placement import StoryPlacer
from bot.settings import SeedSubscription
from storage import Storage
from storage.outbox import DigestRun
from storage.subscriptions import Subscription
from tests.bot_e2e_support import check_everything_sent, ephemeral_error, only_embed
from tests.digest_e2e_support import (
    ManualClock,
    Story,
    clock_apscheduler,
    running_digest_bot,
    store_stories,
)
from tests.discord_fake import FakeDiscord
from tests.discord_harness import fake_discord_server

START = datetime(2026, 3, 10, 22, 50, tzinfo=UTC)  # 07:50 on the 11th in Tokyo
TOKYO_EIGHT = datetime(2026, 3, 10, 23, 0, tzinfo=UTC)
DAY_ONE = [
    Story("Reuters", "Kataib Hezbollah claims drone strike near Erbil air base in Iraq"),
    Story("AP", "Drone strike near Erbil air base claimed by Kataib Hezbollah, Iraq says"),
    Story("BBC", "RSF shells El Fasher as famine spreads in Sudan's Darfur"),
    Story("Reuters", "Israeli raid in Jenin kills three Palestinians in the West Bank"),
]
LATER = [
    Story("AP", "Al-Shabaab attack on Mogadishu hotel kills 12 in Somalia"),
    Story("BBC", "Ukraine says Russian missiles hit Kharkiv power station"),
]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> ManualClock:
    manual = ManualClock(START)
    clock_apscheduler(monkeypatch, manual)
    return manual


@pytest.fixture
def clocked_app(app: App, clock: ManualClock) -> App:
    return App(
        app.settings, app.storage, app.poller, app.tagging, clock, StoryPlacer(app.storage, clock)
    )


@pytest.fixture
async def server() -> AsyncIterator[FakeDiscord]:
    async with fake_discord_server(ack_deadline=3.0) as fake:
        yield fake


def admins(server: FakeDiscord) -> list[int]:
    return [server.guild.role("Admins").id]


async def subscribe(server: FakeDiscord, channel: str = "digest", **options: object) -> dict:
    options.setdefault("schedule", "daily 08:00")
    options.setdefault("timezone", "Asia/Tokyo")
    sent = await server.dispatch_slash_command(
        "digest subscribe", options, channel=server.guild.channel(channel), roles=admins(server)
    )
    return only_embed(await sent.reply())


async def fire(scheduler: object, clock: ManualClock, moment: datetime) -> None:
    clock.set(moment)
    scheduler.wakeup()  # type: ignore[attr-defined]


def digest_posts(server: FakeDiscord, channel: str = "digest") -> list[dict]:
    return server.bot_posts(server.guild.channel(channel).id)


async def test_a_digest_fires_on_time_in_its_time_zone(
    clocked_app: App, clock: ManualClock, server: FakeDiscord, tagging: Tagging
) -> None:
    await store_stories(clocked_app.storage, tagging, DAY_ONE, START - timedelta(hours=2))
    async with running_digest_bot(clocked_app, server) as running:
        embed = await subscribe(server)
        assert embed["title"] == "Digest #1 subscribed", embed
        job = running.scheduler.get_job(job_id(1))
        assert job is not None and job.next_run_time == TOKYO_EIGHT  # 08:00 Tokyo in UTC

        await fire(running.scheduler, clock, TOKYO_EIGHT - timedelta(seconds=1))
        await server.wait_until(lambda: True, timeout=0.5)
        assert digest_posts(server) == []

        await fire(running.scheduler, clock, TOKYO_EIGHT)
        await server.wait_until(lambda: bool(digest_posts(server)), timeout=10)
        run = await _wait_finished(clocked_app.storage, 1)
        assert run.window_end == TOKYO_EIGHT
        assert run.window_start == TOKYO_EIGHT - timedelta(hours=24)  # first_window_hours
        text = "\n".join(message["content"] for message in digest_posts(server))
        assert "Erbil" in text and "El Fasher" in text and "Jenin" in text
        assert f"<t:{int(TOKYO_EIGHT.timestamp())}" in text
        job = running.scheduler.get_job(job_id(1))
        assert job.next_run_time == TOKYO_EIGHT + timedelta(days=1)
        check_everything_sent(server)


async def test_a_digest_due_during_downtime_is_sent_once_and_covers_the_gap(
    clocked_app: App, clock: ManualClock, server: FakeDiscord, tagging: Tagging
) -> None:
    storage = clocked_app.storage
    await store_stories(storage, tagging, DAY_ONE, START - timedelta(hours=2))
    async with running_digest_bot(clocked_app, server) as running:
        await subscribe(server)
        await fire(running.scheduler, clock, TOKYO_EIGHT)
        await _wait_finished(storage, 1)
    first_posts = len(digest_posts(server))

    # Down for three days: two scheduled digests missed, stories keep arriving meanwhile.
    await store_stories(storage, tagging, LATER[:1], TOKYO_EIGHT + timedelta(days=1, hours=3))
    await store_stories(storage, tagging, LATER[1:], TOKYO_EIGHT + timedelta(days=2, hours=5))
    restart = TOKYO_EIGHT + timedelta(days=2, hours=9)
    clock.set(restart)
    async with running_digest_bot(clocked_app, server):
        await server.wait_until(lambda: len(digest_posts(server)) > first_posts, timeout=10)
        run = await _wait_finished(storage, 1, runs=2)
    assert (run.window_start, run.window_end) == (TOKYO_EIGHT, restart)  # the whole gap, once
    catch_up = "\n".join(m["content"] for m in digest_posts(server)[first_posts:])
    assert "Mogadishu" in catch_up and "Kharkiv" in catch_up and "Erbil" not in catch_up
    # Longer than a day: the first message carries the chart of stories per region per day.
    (chart,) = digest_posts(server)[first_posts]["attachments"]
    assert chart["filename"] == "stories-per-region.png" and chart["size"] > 1000
    assert all(not m["attachments"] for m in digest_posts(server)[: first_posts + 1][:-1])
    assert len(await _runs(storage, 1)) == 2
    check_everything_sent(server)


async def test_a_channel_that_refuses_us_pauses_the_subscription(
    clocked_app: App, clock: ManualClock, server: FakeDiscord, tagging: Tagging
) -> None:
    await store_stories(clocked_app.storage, tagging, DAY_ONE, START - timedelta(hours=2))
    async with running_digest_bot(clocked_app, server) as running:
        await subscribe(server, channel="read-only")  # the bot may read there, not send
        await fire(running.scheduler, clock, TOKYO_EIGHT)
        subscription = await _wait_paused(clocked_app.storage, 1)
        assert "missing permission" in (subscription.paused_reason or "")
        assert "Send Messages" in (subscription.paused_reason or "")
        posts = server.requests_to("POST", "/channels/{channel_id}/messages")
        assert len(posts) == 1 and posts[0].status == 403

        listed = await server.dispatch_slash_command("digest list")
        description = only_embed(await listed.reply())["description"]
        assert "paused" in description and "missing permission" in description
        status = await server.dispatch_slash_command("status")
        fields = {f["name"]: f["value"] for f in only_embed(await status.reply())["fields"]}
        assert "missing permission" in fields["Paused digests"]

        # Paused means no retries: the next day's run posts nothing.
        await fire(running.scheduler, clock, TOKYO_EIGHT + timedelta(days=1))
        await server.wait_until(lambda: True, timeout=0.5)
        assert len(server.requests_to("POST", "/channels/{channel_id}/messages")) == 1
        assert running.scheduler.get_job(job_id(1)) is not None


async def test_subscribe_needs_manage_server_and_a_valid_schedule(
    clocked_app: App, server: FakeDiscord
) -> None:
    async with running_digest_bot(clocked_app, server):
        channel = server.guild.channel("digest")
        sent = await server.dispatch_slash_command(
            "digest subscribe", {"schedule": "daily 08:00"}, channel=channel
        )
        assert "Manage Server" in (await ephemeral_error(sent))["description"]
        sent = await server.dispatch_slash_command(
            "digest subscribe", {"schedule": "daily 25:00"}, channel=channel, roles=admins(server)
        )
        assert "Bad schedule" in (await ephemeral_error(sent))["description"]
        sent = await server.dispatch_slash_command(
            "digest subscribe",
            {"schedule": "every 6h", "regions": "Narnia"},
            channel=channel,
            roles=admins(server),
        )
        assert "Narnia" in (await ephemeral_error(sent))["description"]
        assert await clocked_app.storage.subscriptions.all() == []


async def test_list_and_unsubscribe(clocked_app: App, server: FakeDiscord) -> None:
    async with running_digest_bot(clocked_app, server) as running:
        embed = await subscribe(server, schedule="every 6h", regions="Levant, Iraq", min_sources=2)
        assert "Levant, Iraq" in embed["description"]
        listed = await server.dispatch_slash_command("digest list")
        description = only_embed(await listed.reply())["description"]
        assert (
            "#1" in description and "every 6 hours" in description and "2+ sources" in description
        )
        removed = await server.dispatch_slash_command(
            "digest unsubscribe", {"subscription": 1}, roles=admins(server)
        )
        assert only_embed(await removed.reply())["title"] == "Digest #1 removed"
        assert running.scheduler.get_job(job_id(1)) is None
        assert await clocked_app.storage.subscriptions.all() == []
        check_everything_sent(server)


async def test_digest_now_preview_is_ephemeral_and_posts_nothing(
    clocked_app: App, server: FakeDiscord, tagging: Tagging
) -> None:
    await store_stories(clocked_app.storage, tagging, DAY_ONE, START - timedelta(hours=2))
    async with running_digest_bot(clocked_app, server):
        sent = await server.dispatch_slash_command("digest now", {"preview": True})
        reply = await sent.reply()
        assert int(reply.get("flags") or 0) & 64  # ephemeral
        assert "Erbil" in reply["content"]
        assert digest_posts(server) == []
        check_everything_sent(server)


async def test_an_empty_window_says_so_unless_quiet(
    clocked_app: App, clock: ManualClock, server: FakeDiscord
) -> None:
    async with running_digest_bot(clocked_app, server) as running:
        await subscribe(server, channel="digest")
        await subscribe(server, channel="general", quiet=True)
        await fire(running.scheduler, clock, TOKYO_EIGHT)
        await _wait_finished(clocked_app.storage, 1)
        await _wait_finished(clocked_app.storage, 2)
        (said,) = digest_posts(server, "digest")
        assert "nothing new" in said["content"].lower()
        assert digest_posts(server, "general") == []
        check_everything_sent(server)


async def test_settings_seed_subscriptions_once(clocked_app: App, server: FakeDiscord) -> None:
    channel = server.guild.channel("digest").id
    seeds = (
        SeedSubscription(channel, "weekdays 07:30", timezone="Europe/Paris", regions=("Sahel",)),
        SeedSubscription(channel, "every 6h", actors=("KH",), min_sources=2),
    )
    async with running_digest_bot(clocked_app, server) as running:
        digests = running.bot.digests
        assert digests is not None
        assert await digests.seed(seeds, [server.guild.id]) == 2
        assert await digests.seed(seeds, [server.guild.id]) == 0
        listing = await digests.listing(server.guild.id)
        assert [line.filters for line in listing.lines] == ["Sahel", "Kata'ib Hezbollah (KH)"]
        with pytest.raises(CommandError, match="guild_id"):
            await digests.seed(seeds, [1, 2])
        bad = (SeedSubscription(channel, "daily 08:00", regions=("Narnia",)),)
        with pytest.raises(CommandError, match="Narnia"):
            await digests.seed(bad, [server.guild.id])


# --- helpers ----------------------------------------------------------------------------------


async def _runs(storage: Storage, subscription_id: int) -> list[DigestRun]:
    """Every run of the subscription, newest first."""
    runs: list[DigestRun] = []
    run = await storage.outbox.last_run(subscription_id)
    while run is not None:
        runs.append(run)
        previous = await storage.outbox.run(run.id - 1)
        run = previous if previous and previous.subscription_id == subscription_id else None
    return runs


async def _wait_finished(storage: Storage, subscription_id: int, runs: int = 1) -> DigestRun:
    for _ in range(200):
        found = await _runs(storage, subscription_id)
        if len(found) >= runs and found[0].finished_at is not None:
            return found[0]
        await asyncio.sleep(0.05)
    raise AssertionError("the digest never finished")


async def _wait_paused(storage: Storage, subscription_id: int) -> Subscription:
    for _ in range(200):
        subscription = await storage.subscriptions.get(subscription_id)
        if subscription is not None and subscription.paused:
            return subscription
        await asyncio.sleep(0.05)
    raise AssertionError("the subscription never paused")
