"""Small text formatting shared by CLI handlers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from storage.types import Feed


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "never"


def health_counts(feeds: Sequence[Feed]) -> tuple[int, int, int]:
    """(healthy, failing, disabled): a disabled feed counts as disabled, not as failing."""
    disabled = sum(1 for feed in feeds if feed.disabled_reason)
    failing = sum(1 for feed in feeds if feed.error_count and not feed.disabled_reason)
    return len(feeds) - failing - disabled, failing, disabled


def feed_health(feed: Feed) -> str:
    if feed.disabled_reason:
        return f"DISABLED: {feed.disabled_reason}"
    if feed.error_count:
        return f"failing ({feed.error_count} in a row): {feed.last_error}"
    if feed.last_checked is None:
        return "new, not fetched yet"
    return "ok"
