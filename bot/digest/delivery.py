"""Delivering a subscription's digest exactly once.

1. Plan: build the digest of the window since the last planned one, render its messages (and the
   chart), and write them all to the outbox in one transaction that also claims the window.
2. Send, in order: mark a message attempted, post it with its deterministic nonce (Discord's
   `enforce_nonce` answers a repeat with the message it already created), mark it sent with
   Discord's id. A message attempted but never confirmed (a crash, a lost response) is first
   looked for in the channel, so a restart completes the digest without posting anything twice.

A channel that refuses us (403, 404) pauses the subscription with the reason; other failures
leave the run unfinished for a retry. Nothing here knows Discord: a `Sender` does the posting.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

from bot.digest.chart import render_chart, wants_chart
from bot.digest.layout import DigestView
from bot.digest.render_discord import digest_messages, empty_digest_message
from bot.digest.service import Digests
from bot.digest.window import Window, digest_window
from bot.tagging.resolve import LookupIndex, UnknownNameError
from storage import Storage
from storage.outbox import DigestRun, OutboxMessage, PlannedMessage, RunPlan, WindowTakenError
from storage.subscriptions import Subscription

log = logging.getLogger(__name__)
CHART_NAME = "stories-per-region.png"
NONCE_LENGTH = 25  # Discord's limit for a string nonce
Outcome = Literal["sent", "nothing", "paused", "failed", "skipped"]


class ChannelUnavailableError(Exception):
    """The channel is gone or refuses us (404, 403): retrying will not help."""


class SendFailedError(Exception):
    """A failure that may pass (5xx, timeout, rate limit): the run stays unfinished."""


class Sender(Protocol):
    async def send(self, message: OutboxMessage) -> int:
        """Post it with its nonce; return the message id, or raise one of the errors above."""
        ...

    async def find_sent(
        self, message: OutboxMessage, after_id: int | None, since: datetime
    ) -> int | None:
        """The id of a message of ours with this content posted after `after_id` (or after
        `since` when None), if the channel shows one; None otherwise."""
        ...


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    subscription_id: int
    outcome: Outcome
    sent: int = 0
    window: Window | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class DigestFilters:
    countries: frozenset[str] | None
    actors: frozenset[str] | None
    label: str  # "Levant, Iraq · Kataib Hezbollah" or "everywhere"


async def chart_png(view: DigestView) -> bytes | None:
    """The stories-per-region chart when the digest wants one (over a day, with stories),
    drawn in a worker thread: matplotlib is CPU work."""
    return await asyncio.to_thread(render_chart, view) if wants_chart(view) else None


def message_nonce(subscription_id: int, window_start: datetime, position: int) -> str:
    """The same message of the same digest always gets the same nonce, across restarts."""
    key = f"{subscription_id}|{window_start.isoformat()}|{position}".encode()
    return "sd" + hashlib.sha256(key).hexdigest()[: NONCE_LENGTH - 2]


def subscription_filters(subscription: Subscription, index: LookupIndex) -> DigestFilters:
    """Names are resolved at each run, so a taxonomy edit (a redefined region) applies at once."""
    places = [index.resolve_place(name) for name in subscription.regions]
    who = [index.resolve_actor(name) for name in subscription.actors]
    countries = {code for place in places for code in place.country_codes}
    actors = {actor_id for query in who for actor_id in query.actor_ids}
    names = (", ".join(q.label for q in places), ", ".join(q.label for q in who))
    label = " · ".join(part for part in names if part)
    return DigestFilters(
        frozenset(countries) if subscription.regions else None,
        frozenset(actors) if subscription.actors else None,
        label or "everywhere",
    )


def digest_heading(subscription: Subscription, filters: DigestFilters) -> str:
    sources = f" · {subscription.min_sources}+ sources" if subscription.min_sources > 1 else ""
    return f"Sitrep digest · {filters.label}{sources}"


class DigestDelivery:
    def __init__(
        self,
        storage: Storage,
        digests: Digests,
        index: LookupIndex,
        sender: Sender,
        clock: Callable[[], datetime],
        first_window: timedelta,
    ) -> None:
        self._storage = storage
        self._digests = digests
        self._index = index
        self._sender = sender
        self._clock = clock
        self._first_window = first_window
        self._locks: dict[int, asyncio.Lock] = {}

    async def deliver(self, subscription_id: int, plan_new: bool = True) -> DeliveryReport:
        """Finish any unfinished digest of this subscription, then (if asked) plan and send
        the digest due now. One at a time per subscription."""
        lock = self._locks.setdefault(subscription_id, asyncio.Lock())
        async with lock:
            subscription = await self._storage.subscriptions.get(subscription_id)
            if subscription is None or subscription.paused:
                return DeliveryReport(subscription_id, "skipped", detail="removed or paused")
            pending = await self._storage.outbox.unfinished(subscription_id)
            if pending is not None:
                report = await self._send_run(subscription, pending)
                if report.outcome != "sent" or not plan_new:
                    return report
                subscription = await self._storage.subscriptions.get(subscription_id)
                assert subscription is not None
            if not plan_new:
                return DeliveryReport(subscription_id, "nothing", detail="nothing pending")
            run = await self._plan(subscription)
            if run is None:
                return DeliveryReport(subscription_id, "nothing", detail="planned elsewhere")
            return await self._send_run(subscription, run)

    async def _plan(self, subscription: Subscription) -> DigestRun | None:
        try:
            filters = subscription_filters(subscription, self._index)
        except UnknownNameError as error:
            reason = f"a filter no longer matches the taxonomy: {error}"
            await self._pause(subscription, reason)
            return None
        now = self._clock()
        window = digest_window(subscription.delivered_until, now, self._first_window)
        view = await self._build(subscription, filters, window, now)
        messages = await self._planned_messages(subscription, filters, view, window)
        plan = RunPlan(
            subscription.id,
            subscription.channel_id,
            subscription.delivered_until,
            window.start,
            window.end,
            view.stories,
            messages,
        )
        try:
            return await self._storage.outbox.plan(plan, now)
        except WindowTakenError:
            log.warning(
                "digest for subscription %d was planned twice; kept the first", plan.subscription_id
            )
            return None

    async def _build(
        self, subscription: Subscription, filters: DigestFilters, window: Window, now: datetime
    ) -> DigestView:
        return await self._digests.build(
            window, now, filters.countries, filters.actors, subscription.min_sources
        )

    def _contents(
        self, subscription: Subscription, filters: DigestFilters, view: DigestView
    ) -> list[str]:
        heading = digest_heading(subscription, filters)
        if view.stories:
            return digest_messages(view, heading)
        return [] if subscription.quiet else [empty_digest_message(view, heading)]

    async def _planned_messages(
        self, subscription: Subscription, filters: DigestFilters, view: DigestView, window: Window
    ) -> tuple[PlannedMessage, ...]:
        # Escaping and packing a big digest takes a few hundred ms: off the event loop.
        contents = await asyncio.to_thread(self._contents, subscription, filters, view)
        chart = await chart_png(view)
        return tuple(
            PlannedMessage(
                message_nonce(subscription.id, window.start, position),
                content,
                CHART_NAME if chart is not None and position == 0 else None,
                chart if position == 0 else None,
            )
            for position, content in enumerate(contents)
        )

    async def _send_run(self, subscription: Subscription, run: DigestRun) -> DeliveryReport:
        window = Window(run.window_start, run.window_end)
        after = await self._storage.outbox.last_message_id(subscription.id)
        sent = 0
        for message in run.messages:
            if message.sent_at is not None:
                after = message.message_id
                continue
            try:
                after = await self._send_once(message, after, run.planned_at)
            except ChannelUnavailableError as error:
                await self._pause(subscription, str(error))
                return DeliveryReport(subscription.id, "paused", sent, window, str(error))
            except SendFailedError as error:
                log.warning(
                    "digest message %d/%d of subscription %d to channel %d failed, will retry: %s",
                    message.position + 1, len(run.messages), subscription.id,
                    subscription.channel_id, error,
                )  # fmt: skip
                return DeliveryReport(subscription.id, "failed", sent, window, str(error))
            sent += 1
        log.info(
            "digest delivered: subscription %d, channel %d, window %s to %s, %d stories, "
            "%d messages (%d sent now)",
            subscription.id, subscription.channel_id, window.start.isoformat(),
            window.end.isoformat(), run.stories, len(run.messages), sent,
        )  # fmt: skip
        return DeliveryReport(subscription.id, "sent", sent, window)

    async def _send_once(self, message: OutboxMessage, after: int | None, since: datetime) -> int:
        """Post one message unless an earlier attempt already did; returns Discord's id."""
        found = None
        if message.attempted_at is not None:  # crashed or lost the answer last time
            found = await self._sender.find_sent(message, after, since)
        if found is None:
            await self._storage.outbox.mark_attempt(message.id, self._clock())
            found = await self._sender.send(message)
        await self._storage.outbox.mark_sent(message.id, found, self._clock())
        return found

    async def _pause(self, subscription: Subscription, reason: str) -> None:
        await self._storage.subscriptions.pause(subscription.id, reason, self._clock())
        log.warning(
            "subscription %d (guild %d, channel %d) paused: %s",
            subscription.id, subscription.guild_id, subscription.channel_id, reason,
        )  # fmt: skip
