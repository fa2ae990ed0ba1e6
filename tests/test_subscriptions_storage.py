"""Subscriptions and the outbox on a real SQLite file: claims, completion, pause, removal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage import Storage, SubscriptionExistsError
from storage.outbox import PlannedMessage, RunPlan, WindowTakenError
from storage.subscriptions import NewSubscription

NOW = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
LEVANT = NewSubscription(7, 70, "daily 08:00", "Asia/Tokyo", ("Levant",), (), 2, False, 99)


def plan_of(subscription_id: int, start: datetime, end: datetime, count: int = 3) -> RunPlan:
    messages = tuple(PlannedMessage(f"n{start:%H}{i}", f"message {i}") for i in range(count))
    return RunPlan(subscription_id, 70, None, start, end, count, messages)


async def test_subscriptions_are_added_listed_and_unique(storage: Storage) -> None:
    added = await storage.subscriptions.add(LEVANT, NOW)
    assert added.regions == ("Levant",) and added.min_sources == 2 and added.created_at == NOW
    assert added.delivered_until is None and not added.paused
    with pytest.raises(SubscriptionExistsError) as raised:
        await storage.subscriptions.add(LEVANT, NOW)
    assert raised.value.existing_id == added.id
    other_guild = NewSubscription(8, 80, "every 6h", "UTC")
    await storage.subscriptions.add(other_guild, NOW)
    assert [s.id for s in await storage.subscriptions.for_guild(7)] == [added.id]
    assert len(await storage.subscriptions.all()) == 2


async def test_seeding_adds_only_what_is_missing(storage: Storage) -> None:
    seeds = [LEVANT, NewSubscription(7, 71, "every 6h", "UTC")]
    assert await storage.subscriptions.add_missing(seeds, NOW) == 2
    assert await storage.subscriptions.add_missing(seeds, NOW) == 0


async def test_remove_only_within_the_guild(storage: Storage) -> None:
    added = await storage.subscriptions.add(LEVANT, NOW)
    assert not await storage.subscriptions.remove(added.id, guild_id=8)
    assert await storage.subscriptions.remove(added.id, guild_id=7)
    assert await storage.subscriptions.get(added.id) is None


async def test_pause_and_resume(storage: Storage) -> None:
    added = await storage.subscriptions.add(LEVANT, NOW)
    await storage.subscriptions.pause(added.id, "missing permission", NOW)
    paused = await storage.subscriptions.get(added.id)
    assert paused is not None and paused.paused and paused.paused_reason == "missing permission"
    assert await storage.subscriptions.resume(added.id, 7)
    resumed = await storage.subscriptions.get(added.id)
    assert resumed is not None and not resumed.paused


async def test_planning_claims_the_window_once(storage: Storage) -> None:
    added = await storage.subscriptions.add(LEVANT, NOW)
    run = await storage.outbox.plan(plan_of(added.id, NOW - timedelta(days=1), NOW), NOW)
    assert [m.position for m in run.unsent] == [0, 1, 2] and run.finished_at is None
    claimed = await storage.subscriptions.get(added.id)
    assert claimed is not None and claimed.delivered_until == NOW
    with pytest.raises(WindowTakenError):  # planned from a stale delivered_until (None)
        await storage.outbox.plan(plan_of(added.id, NOW, NOW + timedelta(days=1)), NOW)


async def test_a_run_finishes_when_its_last_message_is_confirmed(storage: Storage) -> None:
    added = await storage.subscriptions.add(LEVANT, NOW)
    run = await storage.outbox.plan(plan_of(added.id, NOW - timedelta(days=1), NOW), NOW)
    assert await storage.outbox.subscriptions_with_unfinished_runs() == [added.id]
    for message_id, message in enumerate(run.messages, start=500):
        await storage.outbox.mark_attempt(message.id, NOW)
        await storage.outbox.mark_sent(message.id, message_id, NOW)
        await storage.outbox.mark_sent(message.id, 999, NOW)  # a repeat changes nothing
    assert await storage.outbox.unfinished(added.id) is None
    assert await storage.outbox.subscriptions_with_unfinished_runs() == []
    assert await storage.outbox.last_message_id(added.id) == 502
    last = await storage.outbox.last_run(added.id)
    assert last is not None and last.finished_at == NOW
    assert [m.attempts for m in last.messages] == [1, 1, 1]


async def test_an_empty_plan_is_finished_at_once(storage: Storage) -> None:
    added = await storage.subscriptions.add(LEVANT, NOW)
    run = await storage.outbox.plan(plan_of(added.id, NOW - timedelta(hours=1), NOW, 0), NOW)
    assert run.finished_at == NOW and not run.messages


async def test_removing_a_subscription_drops_its_unsent_messages(storage: Storage) -> None:
    added = await storage.subscriptions.add(LEVANT, NOW)
    await storage.outbox.plan(plan_of(added.id, NOW - timedelta(days=1), NOW), NOW)
    await storage.subscriptions.remove(added.id, 7)
    assert await storage.outbox.subscriptions_with_unfinished_runs() == []
