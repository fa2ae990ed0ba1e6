"""Which stretch of time a digest covers, and whether one was missed while the bot was down.

A subscription's digests tile time: each window starts where the last delivered one ended and ends
at `now`, so no article falls between two digests and none is in two. Windows are half-open,
[start, end): an article stamped exactly at `end` belongs to the next digest.

Select articles for a window by when Sitrep first saw them (`Article.first_seen`), not by their
published time: an article that arrives late with an old published date would otherwise fall into a
window that has already been sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.digest.model import require_aware
from bot.digest.schedule import Schedule


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        require_aware(self.start, "start")
        require_aware(self.end, "end")
        if self.end < self.start:
            raise ValueError(f"a window cannot end ({self.end}) before it starts ({self.start})")

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    @property
    def is_empty(self) -> bool:
        return self.start == self.end

    def __contains__(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def digest_window(previous_end: datetime | None, now: datetime, first_window: timedelta) -> Window:
    """The window of the digest due at `now`.

    `previous_end` is the end of the last delivered digest of this subscription (None for a new one,
    whose first digest looks back `first_window`). If the clock has gone backwards past
    `previous_end` the window is empty at `previous_end`: store its end as usual and nothing is lost
    or repeated.
    """
    require_aware(now, "now")
    if first_window <= timedelta(0):
        raise ValueError(f"first_window must be positive, got {first_window}")
    if previous_end is None:
        return Window(now - first_window, now)
    require_aware(previous_end, "previous_end")
    return Window(previous_end, max(previous_end, now))


def catch_up(previous_end: datetime | None, now: datetime, schedule: Schedule) -> bool:
    """Whether a scheduled run fell after `previous_end` and at or before `now` without a digest.

    Ask at start-up: True means send one digest now, whose window (from `digest_window`) covers the
    whole outage, instead of one per missed run. For a subscription that never delivered, pass its
    creation time as `previous_end`; None answers False (its first digest simply waits for the next
    run).
    """
    require_aware(now, "now")
    if previous_end is None:
        return False
    require_aware(previous_end, "previous_end")
    last_due = schedule.previous_run(now)
    return last_due is not None and last_due > previous_end
