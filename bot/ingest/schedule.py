"""Pure decisions about when to check a feed next. Every function takes `now`; none reads a clock.

Healthy feeds come back after `interval`. Each consecutive failure doubles the wait (capped at
`max_backoff`); a server's Retry-After is honoured up to `max_retry_after`. Every delay gets up
to `jitter` of random extra so that feeds added together do not fire together forever. After
`max_failures` failures in a row, or at once for `410 Gone`, the feed is disabled with a reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

Random = Callable[[], float]  # uniform in [0, 1)


@dataclass(frozen=True)
class PollPolicy:
    interval: float = 900.0
    max_backoff: float = 86400.0
    jitter: float = 0.1
    max_failures: int = 20
    max_retry_after: float = 86400.0


def _jittered(seconds: float, policy: PollPolicy, random: Random) -> timedelta:
    return timedelta(seconds=seconds * (1.0 + policy.jitter * random()))


def next_check_after_success(now: datetime, policy: PollPolicy, random: Random) -> datetime:
    return now + _jittered(policy.interval, policy, random)


def backoff_seconds(failures: int, policy: PollPolicy) -> float:
    """Wait before the next try after `failures` consecutive failures (1 = the first)."""
    exponent = min(max(failures - 1, 0), 32)  # 2**32 intervals exceeds any sane cap
    return min(policy.max_backoff, policy.interval * 2.0**exponent)


def next_check_after_failure(
    now: datetime,
    failures: int,
    policy: PollPolicy,
    random: Random,
    retry_after: float | None = None,
) -> datetime:
    delay = backoff_seconds(failures, policy)
    if retry_after is not None:
        delay = max(delay, min(retry_after, policy.max_retry_after))
    return now + _jittered(delay, policy, random)


def disable_reason(failures: int, error: str, status: int | None, policy: PollPolicy) -> str | None:
    """Why the feed should stop being polled after this failure, or None to keep trying."""
    if status == 410:
        return f"the server says the feed is gone for good ({error}); remove it or re-enable it"
    if failures >= policy.max_failures:
        return f"{failures} consecutive failures, the last: {error}; fix the URL or re-enable it"
    return None


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds from `now`: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # isdigit alone takes "²", which float() refuses
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
