"""One APScheduler job per subscription, catch-up after downtime, and retries after failures.

Jobs live in memory and are rebuilt from the database on every start, so the database is the
one truth. What a restart can miss, `start()` makes up: every unfinished run is completed, and a
subscription whose scheduled run fell while the bot was down gets exactly one catch-up digest,
whose window (from the last planned one to now) covers the whole gap.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from apscheduler.schedulers.base import BaseScheduler

from bot.digest.delivery import DeliveryReport, DigestDelivery
from bot.digest.schedule import Schedule, ScheduleError, parse_schedule
from bot.digest.window import catch_up
from storage import Storage
from storage.subscriptions import Subscription

log = logging.getLogger(__name__)
# A run delayed by a busy loop or a suspended machine still goes out if this late; a longer
# outage is covered by one catch-up digest at start instead.
MISFIRE_GRACE_SECONDS = 3600
RETRY_DELAYS = (60, 300, 900, 1800)  # seconds after the 1st, 2nd, 3rd... failure in a row


def job_id(subscription_id: int) -> str:
    return f"digest-{subscription_id}"


def _retry_job_id(subscription_id: int) -> str:
    return f"digest-{subscription_id}-retry"


class DigestJobs:
    """Keeps the scheduler's digest jobs in step with the subscriptions this process serves."""

    def __init__(
        self,
        scheduler: BaseScheduler,
        delivery: DigestDelivery,
        storage: Storage,
        clock: Callable[[], datetime],
        serves: Callable[[Subscription], bool],
    ) -> None:
        self._scheduler = scheduler
        self._delivery = delivery
        self._storage = storage
        self._clock = clock
        self._serves = serves
        self._failures: dict[int, int] = {}

    def serves(self, subscription: Subscription) -> bool:
        return self._serves(subscription)

    async def start(self) -> None:
        """Schedule every served subscription; complete or catch up what the downtime left."""
        now = self._clock()
        unfinished = set(await self._storage.outbox.subscriptions_with_unfinished_runs())
        for subscription in await self._storage.subscriptions.all():
            if not self._serves(subscription) or subscription.paused:
                continue
            schedule = self.schedule(subscription)
            if schedule is None:
                continue
            missed = catch_up(
                subscription.delivered_until or subscription.created_at, now, schedule
            )
            if missed or subscription.id in unfinished:
                log.info(
                    "subscription %d: %s after downtime",
                    subscription.id,
                    "one catch-up digest" if missed else "completing an unfinished digest",
                )
                self._run_soon(
                    subscription.id, plan_new=missed, job=f"{job_id(subscription.id)}-start"
                )

    def schedule(self, subscription: Subscription) -> Schedule | None:
        """Add or replace the subscription's job; None (and a log line) if it cannot run."""
        try:
            schedule = parse_schedule(subscription.schedule, subscription.timezone)
        except ScheduleError as error:
            log.error(
                "subscription %d has a bad schedule, not scheduled: %s", subscription.id, error
            )
            return None
        self._scheduler.add_job(
            self.run_scheduled,
            trigger=schedule.trigger(),
            args=(subscription.id,),
            id=job_id(subscription.id),
            name=f"digest {subscription.id}: {subscription.schedule} {subscription.timezone}",
            replace_existing=True,
            coalesce=True,  # several missed runs become one
            max_instances=1,
            misfire_grace_time=MISFIRE_GRACE_SECONDS,
        )
        return schedule

    def unschedule(self, subscription_id: int) -> None:
        for name in (job_id(subscription_id), _retry_job_id(subscription_id)):
            if self._scheduler.get_job(name) is not None:
                self._scheduler.remove_job(name)

    def resume_soon(self, subscription_id: int) -> None:
        """After an unpause: send what was held back now, the next digest at its time."""
        self._run_soon(subscription_id, plan_new=False, job=_retry_job_id(subscription_id))

    async def run_scheduled(self, subscription_id: int) -> DeliveryReport:
        return await self._run(subscription_id, plan_new=True)

    async def _run(self, subscription_id: int, plan_new: bool) -> DeliveryReport:
        try:
            report = await self._delivery.deliver(subscription_id, plan_new=plan_new)
        except Exception:  # a bug must not kill the job for good: log it, retry later
            log.exception("digest delivery of subscription %d failed", subscription_id)
            report = DeliveryReport(subscription_id, "failed", detail="internal error")
        if report.outcome == "failed":
            self._retry_later(subscription_id)
        else:
            self._failures.pop(subscription_id, None)
        return report

    def _retry_later(self, subscription_id: int) -> None:
        failures = self._failures.get(subscription_id, 0)
        self._failures[subscription_id] = failures + 1
        delay = RETRY_DELAYS[min(failures, len(RETRY_DELAYS) - 1)]
        log.info("subscription %d: retrying its digest in %d s", subscription_id, delay)
        self._run_soon(
            subscription_id, plan_new=False, job=_retry_job_id(subscription_id), delay=delay
        )

    def _run_soon(self, subscription_id: int, plan_new: bool, job: str, delay: float = 0) -> None:
        self._scheduler.add_job(
            self._run,
            "date",
            run_date=self._clock() + timedelta(seconds=delay),
            args=(subscription_id, plan_new),
            id=job,
            replace_existing=True,
            misfire_grace_time=None,  # a one-off catch-up or retry must never be dropped
        )
