# mypy: allow-subclassing-any
# (APScheduler ships no type hints, so its trigger classes are `Any` to mypy; subclassing one is
# the only way to hand the scheduler a trigger that fixes its daylight-saving behaviour.)
"""Digest schedules as an admin types them, turned into APScheduler 3.x triggers.

Accepted forms (case-insensitive, extra spaces ignored):

* ``daily 08:00``            every day at a wall-clock time in the subscription's time zone
* ``weekdays 07:30``         Monday to Friday
* ``weekly mon 09:00``       one day a week (``mon``..``sun`` or full names)
* ``every 6h`` / ``every 30m`` / ``every 2d``   a fixed interval, at least 15 minutes
* a five-field cron expression, e.g. ``0 8 * * 1-5`` (minute hour day-of-month month day-of-week,
  with standard cron weekdays: 0 or 7 is Sunday, 1-5 is Monday to Friday)

Daylight saving, for every wall-clock form (daily, weekdays, weekly, cron):

* A time that does not exist on spring-forward day (02:30 in Berlin on 2026-03-29) runs once, at the
  same distance into the day as the skipped hour would have given: 02:30 becomes 03:30 local
  (the clock reads 03:30 exactly when 02:30 standard time would have been).
* A time that happens twice on fall-back day (02:30 in Berlin on 2026-10-25) runs once, at its first
  occurrence (02:30 summer time). APScheduler 3.x alone would run it twice; `DstSafeCronTrigger`
  skips the repeat. Cron jobs that fire every few minutes therefore pause during the repeated hour,
  as Vixie cron does.

Intervals are exact elapsed time counted from a fixed anchor (2024-01-01 00:00 in the schedule's
time zone), so restarting the bot never shifts them; their wall-clock times move by an hour when
the clocks change. Use ``daily``/``weekly``/cron for "at 08:00 local".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.digest.model import require_aware

ScheduleKind = Literal["daily", "weekdays", "weekly", "interval", "cron"]

ACCEPTED_FORMS = (
    '"daily 08:00", "weekdays 07:30", "every 6h", "weekly mon 09:00" '
    'or a cron expression such as "0 8 * * 1-5"'
)
MIN_INTERVAL = timedelta(minutes=15)
MAX_INTERVAL = timedelta(days=30)
# Intervals count from here; any fixed instant works, what matters is that it never moves.
INTERVAL_ANCHOR = datetime(2024, 1, 1)  # naive: read in the schedule's own time zone
# How far back previous_run() looks: more than any cron expression can leave between two runs
# (29 February can be eight years apart around 2100).
MAX_LOOKBACK = timedelta(days=366 * 9)
_MICROSECOND = timedelta(microseconds=1)

_CLOCK = r"(\d{1,2}):(\d{2})"
_DAILY = re.compile(rf"daily {_CLOCK}")
_WEEKDAYS = re.compile(rf"weekdays {_CLOCK}")
_WEEKLY = re.compile(rf"weekly ([a-z]+) {_CLOCK}")
_EVERY = re.compile(r"every (\d{1,6}) ?(m|h|d)")
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400}
_UNIT_WORDS = {"m": "minute", "h": "hour", "d": "day"}

# APScheduler 3.x numbers weekdays from Monday = 0; we only ever hand it names.
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_WEEKDAYS = (
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
)  # fmt: skip
_CRON_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # cron: Sunday = 0 (and 7)
_MONTH_NAMES = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec"
# Only standard cron syntax: APScheduler's extras ("last", "2nd mon", "L") are not cron.
_CRON_TERM = re.compile(r"(\*|\d+(?:-\d+)?)(?:/\d+)?")
_CRON_NAMED_TERM = {
    "month": re.compile(
        rf"((?:{_MONTH_NAMES})(?:-(?:{_MONTH_NAMES}))?|(\*|\d+(?:-\d+)?)(?:/\d+)?)"
    ),
    "day_of_week": re.compile(r"(\*|[0-7](?:-[0-7])?|[a-z]{3}(?:-[a-z]{3})?)(?:/(\d+))?"),
}
_CRON_FIELD_NAMES = ("minute", "hour", "day", "month", "day_of_week")


class ScheduleError(ValueError):
    """What the admin typed is not a schedule; the message says why and what would be."""


CronFields = tuple[str, str, str, str, str]  # APScheduler syntax: minute hour day month day_of_week


@dataclass(frozen=True, slots=True)
class Schedule:
    """A parsed schedule. `text` is canonical: parse_schedule(text, timezone) == self."""

    text: str
    timezone: str
    kind: ScheduleKind
    cron_fields: CronFields | None = None  # every kind but "interval"
    interval: timedelta | None = None  # only "interval"

    def trigger(self) -> BaseTrigger:
        """A fresh APScheduler trigger: hand it to `scheduler.add_job(trigger=...)`."""
        zone = ZoneInfo(self.timezone)
        if self.interval is not None:
            anchor = INTERVAL_ANCHOR.replace(tzinfo=zone)
            return IntervalTrigger(
                seconds=int(self.interval.total_seconds()), start_date=anchor, timezone=zone
            )
        assert self.cron_fields is not None
        return _cron_trigger(self.cron_fields, zone)

    def next_run(self, after: datetime) -> datetime:
        """The first run strictly after `after`, in UTC."""
        require_aware(after, "after")
        if self.interval is not None:
            steps = (after - self._anchor()) // self.interval + 1
            return self._anchor() + steps * self.interval
        start = after.astimezone(UTC) + _MICROSECOND
        fire: datetime | None = self.trigger().get_next_fire_time(None, start)
        if fire is None:  # parse_schedule refuses expressions that never fire
            raise ScheduleError(f'"{self.text}" never runs')
        return fire.astimezone(UTC)

    def previous_run(self, before: datetime) -> datetime | None:
        """The latest run at or before `before`, in UTC; None if there is none in MAX_LOOKBACK."""
        require_aware(before, "before")
        if self.interval is not None:
            steps = (before - self._anchor()) // self.interval
            return self._anchor() + steps * self.interval
        return _latest_run_by_stepping(self, before.astimezone(UTC))

    def describe(self) -> str:
        """The schedule in words, for confirmations and listings."""
        if self.interval is not None:
            return f"every {_describe_interval(self.interval)}"
        assert self.cron_fields is not None
        minute, hour, _, _, day_of_week = self.cron_fields
        clock = f"{int(hour):02d}:{int(minute):02d}" if self.kind != "cron" else ""
        if self.kind == "daily":
            return f"every day at {clock} {self.timezone}"
        if self.kind == "weekdays":
            return f"every weekday (Mon–Fri) at {clock} {self.timezone}"
        if self.kind == "weekly":
            day = _FULL_WEEKDAYS[WEEKDAY_NAMES.index(day_of_week)].capitalize()
            return f"every {day} at {clock} {self.timezone}"
        return f'on cron "{self.text}" in {self.timezone}'

    def _anchor(self) -> datetime:
        """In UTC: adding a timedelta to a local time would add wall-clock time, not elapsed."""
        return INTERVAL_ANCHOR.replace(tzinfo=ZoneInfo(self.timezone)).astimezone(UTC)


class DstSafeCronTrigger(CronTrigger):
    """A CronTrigger that runs a wall-clock time once on fall-back day and never returns a
    non-existent local time (see the module docstring)."""

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        fire: datetime | None = super().get_next_fire_time(previous_fire_time, now)
        # Each pass moves strictly forward, and a repeated hour holds at most 60 cron minutes.
        while fire is not None and _is_repeated_wall_time(fire, self.timezone):
            fire = super().get_next_fire_time(None, fire.astimezone(UTC) + _MICROSECOND)
        return None if fire is None else fire.astimezone(UTC).astimezone(self.timezone)


def parse_schedule(text: str, timezone: str) -> Schedule:
    """Parse what an admin typed; raise ScheduleError saying what is wrong and what would work."""
    zone_name = _checked_timezone(timezone)
    words = " ".join(text.lower().split())
    schedule = _parse_words(words, zone_name)
    if schedule is None:
        raise ScheduleError(f'"{text.strip()}" is not a schedule: use {ACCEPTED_FORMS}')
    _require_it_runs(schedule)
    return schedule


def _parse_words(words: str, zone: str) -> Schedule | None:
    if match := _DAILY.fullmatch(words):
        hour, minute = _clock(match.group(1), match.group(2), words)
        return _wall_clock(f"daily {hour:02d}:{minute:02d}", zone, "daily", hour, minute, "*")
    if match := _WEEKDAYS.fullmatch(words):
        hour, minute = _clock(match.group(1), match.group(2), words)
        text = f"weekdays {hour:02d}:{minute:02d}"
        return _wall_clock(text, zone, "weekdays", hour, minute, "mon,tue,wed,thu,fri")
    if match := _WEEKLY.fullmatch(words):
        day = _weekday(match.group(1), words)
        hour, minute = _clock(match.group(2), match.group(3), words)
        text = f"weekly {day} {hour:02d}:{minute:02d}"
        return _wall_clock(text, zone, "weekly", hour, minute, day)
    if match := _EVERY.fullmatch(words):
        return _interval(int(match.group(1)), match.group(2), zone, words)
    if len(words.split()) == 5 and words[0] in "0123456789*":
        return Schedule(words, zone, "cron", cron_fields=_cron_fields(words))
    return None


def _wall_clock(
    text: str, zone: str, kind: ScheduleKind, hour: int, minute: int, day_of_week: str
) -> Schedule:
    fields: CronFields = (str(minute), str(hour), "*", "*", day_of_week)
    return Schedule(text, zone, kind, cron_fields=fields)


def _clock(hour_text: str, minute_text: str, words: str) -> tuple[int, int]:
    hour, minute = int(hour_text), int(minute_text)
    if hour > 23 or minute > 59:
        raise ScheduleError(
            f'"{words}" has no such time of day {hour_text}:{minute_text}: '
            f"use 24-hour HH:MM between 00:00 and 23:59, e.g. {ACCEPTED_FORMS}"
        )
    return hour, minute


def _weekday(word: str, words: str) -> str:
    if word in WEEKDAY_NAMES:
        return word
    if word in _FULL_WEEKDAYS:
        return WEEKDAY_NAMES[_FULL_WEEKDAYS.index(word)]
    raise ScheduleError(
        f'"{words}" names no weekday "{word}": use mon, tue, wed, thu, fri, sat or sun '
        f'(or the full name), e.g. "weekly mon 09:00"'
    )


def _interval(amount: int, unit: str, zone: str, words: str) -> Schedule:
    interval = timedelta(seconds=amount * _UNIT_SECONDS[unit])
    if not MIN_INTERVAL <= interval <= MAX_INTERVAL:
        raise ScheduleError(
            f'"{words}" is too {"often" if interval < MIN_INTERVAL else "rare"}: an interval must '
            f'be between 15 minutes and 30 days, e.g. "every 30m", "every 6h" or "every 2d"'
        )
    return Schedule(f"every {amount}{unit}", zone, "interval", interval=interval)


def _cron_fields(words: str) -> CronFields:
    minute, hour, day, month, day_of_week = words.split()
    for name, value in zip(_CRON_FIELD_NAMES, (minute, hour, day, month, day_of_week), strict=True):
        pattern = _CRON_NAMED_TERM.get(name, _CRON_TERM)
        if not all(pattern.fullmatch(term) for term in value.split(",")):
            raise ScheduleError(_cron_problem(words, f'its {name.replace("_", " ")} "{value}"'))
    if day != "*" and day_of_week != "*":
        raise ScheduleError(
            f'"{words}" restricts both the day of the month and the day of the week, which cron '
            f'reads as EITHER one: restrict only one of them, e.g. "0 8 * * 1-5" or "0 8 1 * *"'
        )
    return (minute, hour, day, month, _apscheduler_weekdays(day_of_week, words))


def _apscheduler_weekdays(field: str, words: str) -> str:
    """Standard cron weekdays (0 or 7 = Sunday) as the names APScheduler reads unambiguously:
    APScheduler 3.x numbers from Monday = 0, so "1-5" passed through would mean Tue-Sat."""
    if field == "*":
        return "*"
    days: set[int] = set()
    for term in field.split(","):
        days |= _cron_weekday_term(term, words)
    return ",".join(WEEKDAY_NAMES[(day - 1) % 7] for day in sorted(days, key=lambda d: (d - 1) % 7))


def _cron_weekday_term(term: str, words: str) -> set[int]:
    match = _CRON_NAMED_TERM["day_of_week"].fullmatch(term)
    assert match is not None  # checked by _cron_fields
    span, step = match.group(1), int(match.group(2) or 1)
    first, _, last = span.partition("-")
    if span == "*":
        low, high = 0, 6
    else:
        low = _cron_weekday_number(first, words)
        high = _cron_weekday_number(last, words) if last else low
    if high < low or step == 0:
        raise ScheduleError(_cron_problem(words, f'its day of week "{term}"'))
    return {day % 7 for day in range(low, high + 1, step)}


def _cron_weekday_number(token: str, words: str) -> int:
    if token.isdigit():
        return int(token)
    if token in _CRON_WEEKDAYS:
        return _CRON_WEEKDAYS.index(token)
    raise ScheduleError(_cron_problem(words, f'its day of week "{token}"'))


def _cron_problem(words: str, part: str) -> str:
    return (
        f'"{words}" is not a cron expression I can read ({part}): give minute hour day-of-month '
        f'month day-of-week using numbers, ranges, lists and steps, e.g. "0 8 * * 1-5"'
    )


def _cron_trigger(
    fields: CronFields, zone: tzinfo, end_date: datetime | None = None
) -> DstSafeCronTrigger:
    minute, hour, day, month, day_of_week = fields
    return DstSafeCronTrigger(
        minute=minute, hour=hour, day=day, month=month, day_of_week=day_of_week,
        timezone=zone, end_date=end_date,
    )  # fmt: skip


def _require_it_runs(schedule: Schedule) -> None:
    """Build the trigger once so bad field values (minute 75, month 13, 31 February) fail here."""
    if schedule.cron_fields is None:
        return
    start = datetime(2024, 1, 1, tzinfo=UTC)
    try:  # the end date stops APScheduler's search early instead of at the year 9999
        trigger = _cron_trigger(schedule.cron_fields, UTC, end_date=start + MAX_LOOKBACK)
    except ValueError as error:
        raise ScheduleError(_cron_problem(schedule.text, str(error))) from None
    if trigger.get_next_fire_time(None, start) is None:
        raise ScheduleError(
            f'"{schedule.text}" never runs: check the day and month, e.g. "0 8 1 * *" for 08:00 '
            f"on the 1st of every month"
        )


def _checked_timezone(name: str) -> str:
    name = name.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(
            f'"{name}" is not a time zone: use an IANA name such as "Europe/Paris", '
            f'"America/New_York" or "UTC"'
        ) from None
    return name


def _is_repeated_wall_time(moment: datetime, zone: tzinfo) -> bool:
    """True for the second pass through a wall-clock time the fall-back hour repeats."""
    local = moment.astimezone(zone)
    return local.fold == 1 and local.replace(fold=0).utcoffset() != local.utcoffset()


def _latest_run_by_stepping(schedule: Schedule, before: datetime) -> datetime | None:
    """Look back over doubling spans until one holds a run, then step forward to the last one."""
    lookback = timedelta(minutes=1)
    while lookback <= MAX_LOOKBACK * 2:
        candidate = schedule.next_run(before - lookback - _MICROSECOND)
        if candidate <= before:
            return _step_to_last(schedule, candidate, before)
        lookback *= 2
    return None


def _step_to_last(schedule: Schedule, run: datetime, before: datetime) -> datetime:
    following = schedule.next_run(run)
    while following <= before:
        run, following = following, schedule.next_run(following)
    return run


def _describe_interval(interval: timedelta) -> str:
    seconds = int(interval.total_seconds())
    for unit in ("d", "h", "m"):
        amount, remainder = divmod(seconds, _UNIT_SECONDS[unit])
        if remainder == 0:
            word = _UNIT_WORDS[unit]
            return word if amount == 1 else f"{amount} {word}s"
    raise AssertionError(f"interval {interval} is not whole minutes")  # parse_schedule forbids it
