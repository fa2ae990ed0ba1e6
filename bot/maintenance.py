"""Retention: deleting articles older than storage.retention_days (daily job and `db prune`)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from storage import Storage
from storage.maintenance import PruneCounts

log = logging.getLogger(__name__)


def retention_cutoff(now: datetime, retention_days: int) -> datetime | None:
    """Articles first seen before this instant are pruned; None keeps everything (0 days)."""
    return None if retention_days <= 0 else now - timedelta(days=retention_days)


async def prune_before(storage: Storage, cutoff: datetime) -> PruneCounts:
    counts = await storage.maintenance.prune(cutoff)
    if counts.articles:
        log.info(
            "pruned %d articles first seen before %s, with %d country and %d actor tags",
            counts.articles,
            cutoff.isoformat(timespec="seconds"),
            counts.country_tags,
            counts.actor_tags,
        )
    return counts


async def prune_old_articles(storage: Storage, retention_days: int, now: datetime) -> int:
    """The scheduler's daily job: apply the retention setting; return how many were deleted."""
    cutoff = retention_cutoff(now, retention_days)
    if cutoff is None:
        return 0
    return (await prune_before(storage, cutoff)).articles
