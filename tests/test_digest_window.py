"""What a digest covers: windows tile time, and an outage yields one catch-up digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from bot.digest.schedule import parse_schedule
from bot.digest.window import Window, catch_up, digest_window

T0 = datetime(2026, 3, 10, 7, 0, tzinfo=UTC)  # a Tuesday
H = timedelta(hours=1)
DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("previous_end", "now", "first_window", "expected"),
    [
        (None, T0, DAY, Window(T0 - DAY, T0)),
        (None, T0, 6 * H, Window(T0 - 6 * H, T0)),
        (T0 - DAY, T0, 6 * H, Window(T0 - DAY, T0)),  # first_window only matters the first time
        (T0 - 30 * DAY, T0, DAY, Window(T0 - 30 * DAY, T0)),  # an outage: one window, whole gap
        (T0 - timedelta(seconds=3), T0, DAY, Window(T0 - timedelta(seconds=3), T0)),
        (T0, T0, DAY, Window(T0, T0)),  # asked twice at once: empty, not a repeat
        (T0 + H, T0, DAY, Window(T0 + H, T0 + H)),  # clock went backwards: empty at previous_end
    ],
    ids=["first-digest-day", "first-digest-6h", "later-digest", "long-outage", "seconds",
         "same-instant", "clock-backwards"],
)  # fmt: skip
def test_digest_window(previous_end, now, first_window, expected):
    assert digest_window(previous_end, now, first_window) == expected


@pytest.mark.parametrize(
    "delivery_offsets_minutes",
    [
        [0, 1440, 2880, 4320],  # daily, on time
        [0, 1441, 2879, 4335, 4336],  # late, early, and twice in a row
        [0, 1440, 40 * 1440, 41 * 1440],  # a 39-day outage in the middle
    ],
    ids=["on-time", "jittered", "outage"],
)
def test_consecutive_windows_tile_time_exactly(delivery_offsets_minutes: list[int]):
    previous_end, windows = None, []
    for offset in delivery_offsets_minutes:
        window = digest_window(previous_end, T0 + timedelta(minutes=offset), DAY)
        windows.append(window)
        previous_end = window.end  # what the caller stores after delivering
    for earlier, later in pairwise(windows):
        assert earlier.end == later.start  # no gap, no overlap
    assert windows[0].start == T0 - DAY
    assert windows[-1].end == T0 + timedelta(minutes=delivery_offsets_minutes[-1])


@pytest.mark.parametrize(
    ("moment", "inside"),
    [(T0 - H, True), (T0 - DAY, True), (T0, False), (T0 - DAY - timedelta(microseconds=1), False)],
    ids=["middle", "start-is-inside", "end-is-next-window", "before-start"],
)
def test_windows_are_half_open(moment: datetime, inside: bool):
    assert (moment in Window(T0 - DAY, T0)) is inside


@pytest.mark.parametrize(
    ("typed", "previous_end", "now", "missed"),
    [
        ("daily 08:00", T0 - DAY + H + timedelta(seconds=2), T0 - H, False),  # today's not yet due
        ("daily 08:00", T0 - DAY + H + timedelta(seconds=2), T0 + 2 * H, True),  # today's missed
        ("daily 08:00", T0 + H + timedelta(seconds=5), T0 + 2 * H, False),  # delivered 5 s late
        ("daily 08:00", T0 - 10 * DAY, T0 + 2 * H, True),  # ten missed: still just True, one digest
        ("daily 08:00", T0 + H, T0 + H, False),  # the run at now was just delivered
        ("weekdays 08:00", datetime(2026, 3, 13, 8, 0, 1, tzinfo=UTC), datetime(2026, 3, 16, 7, 0, tzinfo=UTC), False),  # weekend
        ("weekdays 08:00", datetime(2026, 3, 13, 8, 0, 1, tzinfo=UTC), datetime(2026, 3, 16, 9, 0, tzinfo=UTC), True),
        ("every 6h", T0, T0 + 5 * H - timedelta(minutes=1), False),  # runs at 06, 12...: T0 is 07
        ("every 6h", T0, T0 + 5 * H + timedelta(minutes=1), True),
        ("daily 08:00", None, T0 + 2 * H, False),  # never delivered: wait for the next run
    ],
    ids=["not-yet-due", "missed-today", "delivered-late", "long-outage", "just-delivered",
         "weekend-is-not-missed", "monday-missed", "interval-not-due", "interval-missed",
         "never-delivered"],
)  # fmt: skip
def test_catch_up(typed, previous_end, now, missed):
    assert catch_up(previous_end, now, parse_schedule(typed, "UTC")) is missed


def test_an_outage_yields_one_catch_up_digest_covering_the_gap():
    schedule = parse_schedule("daily 08:00", "Europe/Paris")
    last_delivered = datetime(2026, 3, 1, 7, 0, 3, tzinfo=UTC)  # the 1 March digest
    back_up = datetime(2026, 3, 5, 12, 30, tzinfo=UTC)  # four runs missed
    assert catch_up(last_delivered, back_up, schedule)
    window = digest_window(last_delivered, back_up, DAY)
    assert window == Window(last_delivered, back_up)
    # After delivering it, nothing more is owed until the next scheduled run.
    assert not catch_up(window.end, back_up + timedelta(minutes=1), schedule)
    next_run = schedule.next_run(back_up)
    assert next_run == datetime(2026, 3, 6, 7, 0, tzinfo=UTC)
    assert digest_window(window.end, next_run, DAY).start == back_up


@pytest.mark.parametrize(
    "call",
    [
        lambda: digest_window(None, datetime(2026, 3, 10), DAY),
        lambda: digest_window(datetime(2026, 3, 9), T0, DAY),
        lambda: catch_up(datetime(2026, 3, 9), T0, parse_schedule("daily 08:00", "UTC")),
        lambda: Window(datetime(2026, 3, 9), T0),
    ],
    ids=["now", "previous-end", "catch-up", "window"],
)
def test_naive_datetimes_are_refused(call):
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


@pytest.mark.parametrize(
    "call",
    [lambda: digest_window(None, T0, timedelta(0)), lambda: Window(T0, T0 - H)],
    ids=["empty-first-window", "backwards-window"],
)
def test_impossible_windows_are_refused(call):
    with pytest.raises(ValueError, match=r"first_window must be positive|cannot end"):
        call()
