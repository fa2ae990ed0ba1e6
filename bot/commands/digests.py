"""/digest subscribe | list | unsubscribe | resume | now: the command logic for Discord and the
console. Methods return view records or raise CommandError with a message the user can act on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.app import App
from bot.commands.views import CommandError, Notice
from bot.digest.delivery import subscription_filters
from bot.digest.jobs import DigestJobs
from bot.digest.layout import DigestView
from bot.digest.schedule import ScheduleError, parse_schedule
from bot.digest.service import digests_of
from bot.digest.window import Window
from bot.settings import SeedSubscription
from bot.tagging.resolve import LookupIndex, UnknownNameError
from bot.timeparse import TimeParseError, parse_since
from storage import SubscriptionExistsError
from storage.subscriptions import NewSubscription, Subscription

NEEDS_MANAGE_SERVER = "You need the Manage Server permission to change digest subscriptions."
MAX_MIN_SOURCES = 10
MAX_FILTER_NAMES = 10
DEFAULT_NOW_SINCE = "24h"


@dataclass(frozen=True, slots=True)
class SubscriptionLine:
    id: int
    channel_id: int
    schedule: str  # in words: "every day at 08:00 Asia/Tokyo"
    filters: str  # "Levant, Iraq · Kataib Hezbollah" or "everywhere"
    min_sources: int
    quiet: bool
    next_run: datetime | None  # None when paused or unschedulable
    delivered_until: datetime | None
    paused_reason: str | None


@dataclass(frozen=True, slots=True)
class SubscriptionListing:
    lines: tuple[SubscriptionLine, ...]


@dataclass(frozen=True, slots=True)
class SubscribeRequest:
    guild_id: int
    channel_id: int
    user_id: int | None
    schedule: str
    timezone: str | None = None
    regions: str | None = None  # comma-separated names, as typed
    actors: str | None = None
    min_sources: int = 1
    quiet: bool = False


def split_names(text: str | None) -> tuple[str, ...]:
    names = tuple(part.strip() for part in (text or "").split(",") if part.strip())
    if len(names) > MAX_FILTER_NAMES:
        raise CommandError(f"At most {MAX_FILTER_NAMES} names per option (got {len(names)}).")
    return names


class DigestCommands:
    def __init__(self, app: App, jobs: DigestJobs) -> None:
        assert app.tagging is not None, "digests need the taxonomy"
        self._app = app
        self._jobs = jobs
        self._index = LookupIndex(app.tagging.taxonomy)
        self._digests = digests_of(app)

    @property
    def jobs(self) -> DigestJobs:
        return self._jobs

    async def subscribe(self, request: SubscribeRequest, can_manage: bool) -> Notice:
        if not can_manage:
            raise CommandError(NEEDS_MANAGE_SERVER)
        new = self._checked(request)
        try:
            subscription = await self._app.storage.subscriptions.add(new, self._app.clock())
        except SubscriptionExistsError as error:
            raise CommandError(
                f"This channel already has that digest (#{error.existing_id}); see /digest list."
            ) from None
        schedule = self._jobs.schedule(subscription)
        assert schedule is not None  # checked above
        line = self._line(subscription)
        return Notice(
            f"Digest #{subscription.id} subscribed",
            f"{line.schedule}, {line.filters}; the first digest covers the "
            f"{self._app.settings.digest.first_window_hours} hours before it.",
        )

    def _checked(self, request: SubscribeRequest) -> NewSubscription:
        zone = (request.timezone or "").strip() or self._app.settings.digest.timezone
        try:
            schedule = parse_schedule(request.schedule, zone)
        except ScheduleError as error:
            raise CommandError(f"Bad schedule: {error}.") from None
        if not 1 <= request.min_sources <= MAX_MIN_SOURCES:
            raise CommandError(f"min_sources must be from 1 to {MAX_MIN_SOURCES}.")
        regions, actors = split_names(request.regions), split_names(request.actors)
        self._require_known(regions, actors)
        return NewSubscription(
            request.guild_id,
            request.channel_id,
            schedule.text,
            schedule.timezone,
            regions,
            actors,
            request.min_sources,
            request.quiet,
            request.user_id,
        )

    def _require_known(self, regions: Sequence[str], actors: Sequence[str]) -> None:
        """CommandError (with suggestions) for the first name the taxonomy does not know."""
        try:
            for region in regions:
                self._index.resolve_place(region)
            for actor in actors:
                self._index.resolve_actor(actor)
        except UnknownNameError as error:
            raise CommandError(str(error)) from None

    async def listing(self, guild_id: int) -> SubscriptionListing:
        found = await self._app.storage.subscriptions.for_guild(guild_id)
        return SubscriptionListing(tuple(self._line(item) for item in found))

    async def paused(self) -> list[SubscriptionLine]:
        """Every paused subscription this process serves, for /status."""
        found = await self._app.storage.subscriptions.all()
        return [self._line(item) for item in found if item.paused and self._jobs.serves(item)]

    async def unsubscribe(self, guild_id: int, subscription_id: int, can_manage: bool) -> Notice:
        if not can_manage:
            raise CommandError(NEEDS_MANAGE_SERVER)
        if not await self._app.storage.subscriptions.remove(subscription_id, guild_id):
            raise CommandError(f"No digest #{subscription_id} in this server; see /digest list.")
        self._jobs.unschedule(subscription_id)
        return Notice(f"Digest #{subscription_id} removed", "No more digests from it.")

    async def resume(self, guild_id: int, subscription_id: int, can_manage: bool) -> Notice:
        if not can_manage:
            raise CommandError(NEEDS_MANAGE_SERVER)
        if not await self._app.storage.subscriptions.resume(subscription_id, guild_id):
            raise CommandError(f"No digest #{subscription_id} in this server; see /digest list.")
        subscription = await self._app.storage.subscriptions.get(subscription_id)
        assert subscription is not None
        self._jobs.schedule(subscription)
        self._jobs.resume_soon(subscription_id)
        return Notice(
            f"Digest #{subscription_id} resumed",
            "A digest held back while it was paused is sent now; the next one at its time.",
        )

    async def now(self, region: str | None = None, since: str | None = None) -> DigestView:
        """A digest on demand over [since, now); changes no subscription."""
        now = self._app.clock()
        try:
            start = parse_since(since or DEFAULT_NOW_SINCE, now)
        except TimeParseError as error:
            raise CommandError(f"Bad since value: {error}.") from None
        try:
            place = self._index.resolve_place(region) if region else None
        except UnknownNameError as error:
            raise CommandError(str(error)) from None
        window = Window(min(start, now), now)
        return await self._digests.build(window, now, place.country_codes if place else None)

    async def seed(self, seeds: Sequence[SeedSubscription], guild_ids: Sequence[int]) -> int:
        """Create the subscriptions of the settings file that do not exist yet."""
        news = [self._seeded(seed, guild_ids) for seed in seeds]
        return await self._app.storage.subscriptions.add_missing(news, self._app.clock())

    def _seeded(self, seed: SeedSubscription, guild_ids: Sequence[int]) -> NewSubscription:
        guild_id = seed.guild_id
        if guild_id is None and len(guild_ids) == 1:
            guild_id = guild_ids[0]
        if guild_id is None:
            raise CommandError(
                f"digest.subscriptions: channel {seed.channel_id} needs a guild_id "
                "(discord.guild_ids does not name exactly one guild)"
            )
        request = SubscribeRequest(
            guild_id, seed.channel_id, None, seed.schedule, seed.timezone,
            ",".join(seed.regions), ",".join(seed.actors), seed.min_sources, seed.quiet,
        )  # fmt: skip
        try:
            return self._checked(request)
        except CommandError as error:
            raise CommandError(
                f"digest.subscriptions, channel {seed.channel_id}: {error}"
            ) from None

    def _line(self, subscription: Subscription) -> SubscriptionLine:
        try:
            schedule = parse_schedule(subscription.schedule, subscription.timezone)
            words, next_run = schedule.describe(), schedule.next_run(self._app.clock())
        except ScheduleError:
            words, next_run = f"{subscription.schedule} (invalid)", None
        try:
            filters = subscription_filters(subscription, self._index).label
        except UnknownNameError:
            filters = ", ".join(subscription.regions + subscription.actors) + " (unknown names)"
        return SubscriptionLine(
            subscription.id, subscription.channel_id, words, filters, subscription.min_sources,
            subscription.quiet, None if subscription.paused else next_run,
            subscription.delivered_until, subscription.paused_reason,
        )  # fmt: skip
