"""Digest schedules: what admins may type, when runs fall, and daylight saving."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.digest.schedule import ACCEPTED_FORMS, Schedule, ScheduleError, parse_schedule

PARIS = "Europe/Paris"
BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def local(zone: str, year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=ZoneInfo(zone))


@pytest.mark.parametrize(
    ("typed", "text", "kind", "description"),
    [
        ("daily 08:00", "daily 08:00", "daily", "every day at 08:00 Europe/Paris"),
        ("  DAILY   8:05 ", "daily 08:05", "daily", "every day at 08:05 Europe/Paris"),
        ("weekdays 07:30", "weekdays 07:30", "weekdays", "every weekday (Mon–Fri) at 07:30 Europe/Paris"),
        ("weekly mon 09:00", "weekly mon 09:00", "weekly", "every Monday at 09:00 Europe/Paris"),
        ("Weekly Sunday 18:45", "weekly sun 18:45", "weekly", "every Sunday at 18:45 Europe/Paris"),
        ("every 6h", "every 6h", "interval", "every 6 hours"),
        ("every 1h", "every 1h", "interval", "every hour"),
        ("Every 30 m", "every 30m", "interval", "every 30 minutes"),
        ("every 15m", "every 15m", "interval", "every 15 minutes"),
        ("every 90m", "every 90m", "interval", "every 90 minutes"),
        ("every 2d", "every 2d", "interval", "every 2 days"),
        ("0 8 * * 1-5", "0 8 * * 1-5", "cron", 'on cron "0 8 * * 1-5" in Europe/Paris'),
        ("*/30  6-18 * * MON-FRI", "*/30 6-18 * * mon-fri", "cron", 'on cron "*/30 6-18 * * mon-fri" in Europe/Paris'),
        ("0 9 1 jan,jul *", "0 9 1 jan,jul *", "cron", 'on cron "0 9 1 jan,jul *" in Europe/Paris'),
    ],
    ids=["daily", "daily-loose", "weekdays", "weekly", "weekly-full-name", "every-6h", "every-1h",
         "every-30m-spaced", "every-15m-minimum", "every-90m", "every-2d", "cron", "cron-names",
         "cron-months"],
)  # fmt: skip
def test_accepted_forms(typed: str, text: str, kind: str, description: str):
    schedule = parse_schedule(typed, PARIS)
    assert (schedule.text, schedule.kind, schedule.describe()) == (text, kind, description)
    assert (
        parse_schedule(schedule.text, schedule.timezone) == schedule
    )  # canonical text round-trips


@pytest.mark.parametrize(
    ("typed", "complaint"),
    [
        ("daily 8am", '"daily 8am" is not a schedule: use ' + ACCEPTED_FORMS),
        ("", '"" is not a schedule'),
        ("hourly", '"hourly" is not a schedule'),
        ("daily 24:00", "no such time of day 24:00"),
        ("weekdays 07:60", "no such time of day 07:60"),
        ("weekly funday 09:00", 'names no weekday "funday"'),
        ("weekly mon", '"weekly mon" is not a schedule'),
        ("every 5m", '"every 5m" is too often'),
        ("every 14m", "between 15 minutes and 30 days"),
        ("every 31d", '"every 31d" is too rare'),
        ("every 0h", "too often"),
        ("every 6 hours", '"every 6 hours" is not a schedule'),
        ("0 8 * *", '"0 8 * *" is not a schedule'),
        ("75 8 * * *", "higher than the maximum value (59)"),
        ("0 8 * * 8", 'its day of week "8"'),
        ("0 8 * * 5-1", 'its day of week "5-1"'),
        ("0 8 * * L", 'its day of week "l"'),
        ("0 8 last * *", 'its day "last"'),
        ("0 8 1 * 1", "restricts both the day of the month and the day of the week"),
        ("0 0 30 2 *", '"0 0 30 2 *" never runs'),
    ],
    ids=["am-pm", "empty", "unknown-word", "hour-24", "minute-60", "bad-weekday", "weekly-no-time",
         "interval-5m", "interval-14m", "interval-31d", "interval-zero", "interval-words",
         "cron-4-fields", "cron-minute-75", "cron-weekday-8", "cron-backwards-range",
         "cron-apscheduler-extension", "cron-last", "cron-day-and-weekday", "cron-30-february"],
)  # fmt: skip
def test_rejected_forms_say_what_is_wrong(typed: str, complaint: str):
    with pytest.raises(ScheduleError) as raised:
        parse_schedule(typed, PARIS)
    assert complaint in str(raised.value)
    assert "e.g." in str(raised.value) or ACCEPTED_FORMS in str(raised.value)  # shows what works


@pytest.mark.parametrize(
    "zone",
    ["Mars/Olympus_Mons", "", "europe/paris", "../../etc/passwd", "CEST"],
    ids=["unknown", "empty", "wrong-case", "path", "abbreviation"],
)
def test_unknown_time_zones_are_refused(zone: str):
    with pytest.raises(
        ScheduleError, match='is not a time zone: use an IANA name such as "Europe/Paris"'
    ):
        parse_schedule("daily 08:00", zone)


@pytest.mark.parametrize(
    ("typed", "zone", "after", "expected"),
    [
        ("daily 08:00", PARIS, utc(2026, 1, 15, 6, 0), utc(2026, 1, 15, 7, 0)),
        ("daily 08:00", PARIS, utc(2026, 1, 15, 7, 0), utc(2026, 1, 16, 7, 0)),  # strictly after
        ("daily 08:00", PARIS, utc(2026, 7, 15, 5, 0), utc(2026, 7, 15, 6, 0)),  # summer time
        ("daily 08:00", "UTC", utc(2026, 1, 15, 8, 0, 0) - timedelta(microseconds=1), utc(2026, 1, 15, 8, 0)),
        ("weekdays 07:30", PARIS, utc(2026, 1, 16, 7, 0), utc(2026, 1, 19, 6, 30)),  # Fri -> Mon
        ("weekly mon 09:00", NEW_YORK, utc(2026, 1, 14, 0, 0), utc(2026, 1, 19, 14, 0)),
        ("0 8 * * 1-5", "UTC", utc(2026, 1, 16, 9, 0), utc(2026, 1, 19, 8, 0)),  # cron 1-5 is Mon-Fri
        ("0 8 * * 0", "UTC", utc(2026, 1, 14, 0, 0), utc(2026, 1, 18, 8, 0)),  # cron 0 is Sunday
        ("0 8 * * 7", "UTC", utc(2026, 1, 14, 0, 0), utc(2026, 1, 18, 8, 0)),  # and so is 7
        ("0 8 * * 6-7", "UTC", utc(2026, 1, 14, 0, 0), utc(2026, 1, 17, 8, 0)),  # Saturday
        ("0 8 * * */2", "UTC", utc(2026, 1, 18, 9, 0), utc(2026, 1, 20, 8, 0)),  # Sun, Tue, Thu, Sat
        ("every 6h", "UTC", utc(2026, 1, 15, 7, 0), utc(2026, 1, 15, 12, 0)),
        ("every 6h", "UTC", utc(2026, 1, 15, 12, 0), utc(2026, 1, 15, 18, 0)),
        ("every 6h", PARIS, utc(2026, 1, 15, 7, 0), utc(2026, 1, 15, 11, 0)),  # 12:00 Paris
        ("every 45m", "UTC", utc(2024, 1, 1, 0, 50), utc(2024, 1, 1, 1, 30)),
        ("every 2d", "UTC", utc(2024, 1, 2, 0, 0), utc(2024, 1, 3, 0, 0)),
        ("every 2d", "UTC", utc(2023, 12, 29, 12, 0), utc(2023, 12, 30, 0, 0)),  # before the anchor
    ],
    ids=["daily", "daily-at-run", "daily-summer", "daily-microsecond-before", "weekdays-skip-weekend",
         "weekly-new-york", "cron-mon-fri", "cron-sunday-0", "cron-sunday-7", "cron-weekend-range",
         "cron-weekday-step", "every-6h", "every-6h-at-run", "every-6h-paris", "every-45m",
         "every-2d", "every-2d-before-anchor"],
)  # fmt: skip
def test_next_run(typed: str, zone: str, after: datetime, expected: datetime):
    run = parse_schedule(typed, zone).next_run(after)
    assert run == expected
    assert run.tzinfo is UTC


@pytest.mark.parametrize(
    ("typed", "zone", "before", "expected"),
    [
        ("daily 08:00", PARIS, utc(2026, 1, 15, 12, 0), utc(2026, 1, 15, 7, 0)),
        ("daily 08:00", PARIS, utc(2026, 1, 15, 7, 0), utc(2026, 1, 15, 7, 0)),  # at or before
        ("daily 08:00", PARIS, utc(2026, 1, 15, 6, 59), utc(2026, 1, 14, 7, 0)),
        ("weekdays 07:30", PARIS, utc(2026, 1, 19, 6, 0), utc(2026, 1, 16, 6, 30)),  # Mon -> Fri
        ("weekly sun 09:00", "UTC", utc(2026, 1, 17, 9, 0), utc(2026, 1, 11, 9, 0)),
        ("0 0 1 * *", "UTC", utc(2026, 3, 31, 23, 0), utc(2026, 3, 1, 0, 0)),
        ("0 0 29 2 *", "UTC", utc(2027, 6, 1, 0, 0), utc(2024, 2, 29, 0, 0)),  # years back
        ("*/15 * * * *", "UTC", utc(2026, 1, 15, 10, 44, 59), utc(2026, 1, 15, 10, 30)),
        ("every 6h", "UTC", utc(2026, 1, 15, 17, 59), utc(2026, 1, 15, 12, 0)),
        ("every 6h", "UTC", utc(2026, 1, 15, 18, 0), utc(2026, 1, 15, 18, 0)),
        ("daily 02:30", BERLIN, utc(2026, 10, 25, 2, 0), utc(2026, 10, 25, 0, 30)),  # not the repeat
    ],
    ids=["daily", "daily-at-run", "daily-just-before", "weekdays-over-weekend", "weekly",
         "monthly", "leap-day", "cron-quarter-hours", "every-6h", "every-6h-at-run",
         "fall-back-first-occurrence"],
)  # fmt: skip
def test_previous_run(typed: str, zone: str, before: datetime, expected: datetime):
    assert parse_schedule(typed, zone).previous_run(before) == expected


def runs_on(schedule: Schedule, day: date) -> list[str]:
    """The runs during one local calendar day, as local wall-clock times with their UTC offset."""
    zone = ZoneInfo(schedule.timezone)
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    runs, run = [], schedule.next_run(start - timedelta(microseconds=1))
    while run.astimezone(zone).date() == day:
        runs.append(run.astimezone(zone).strftime("%H:%M%z"))
        run = schedule.next_run(run)
    return runs


SPRING_EU, FALL_EU = date(2026, 3, 29), date(2026, 10, 25)
SPRING_US, FALL_US = date(2026, 3, 8), date(2026, 11, 1)


@pytest.mark.parametrize(
    ("typed", "zone", "day", "expected"),
    [
        # 02:30 does not exist on spring-forward day: it runs once, at 03:30 (02:30 + the lost hour).
        ("daily 02:30", BERLIN, SPRING_EU, ["03:30+0200"]),
        ("daily 02:30", BERLIN, FALL_EU, ["02:30+0200"]),  # happens twice: runs at the first only
        ("daily 08:00", BERLIN, SPRING_EU, ["08:00+0200"]),
        ("daily 08:00", BERLIN, FALL_EU, ["08:00+0100"]),
        ("daily 02:30", NEW_YORK, SPRING_US, ["03:30-0400"]),
        ("daily 02:30", NEW_YORK, FALL_US, ["02:30-0500"]),  # New York repeats 01:00-02:00 only
        ("daily 01:30", NEW_YORK, FALL_US, ["01:30-0400"]),  # ...so 01:30 is its repeated time
        ("daily 08:00", NEW_YORK, SPRING_US, ["08:00-0400"]),
        ("daily 08:00", NEW_YORK, FALL_US, ["08:00-0500"]),
        ("weekly sun 02:30", BERLIN, SPRING_EU, ["03:30+0200"]),
        ("30 2 * * *", BERLIN, FALL_EU, ["02:30+0200"]),
        ("0 */6 * * *", BERLIN, FALL_EU, ["00:00+0200", "06:00+0100", "12:00+0100", "18:00+0100"]),
        ("every 6h", BERLIN, SPRING_EU, ["00:00+0100", "07:00+0200", "13:00+0200", "19:00+0200"]),
    ],
    ids=["berlin-0230-spring", "berlin-0230-fall", "berlin-0800-spring", "berlin-0800-fall",
         "new-york-0230-spring", "new-york-0230-fall", "new-york-0130-fall", "new-york-0800-spring",
         "new-york-0800-fall", "weekly-spring", "cron-fall", "cron-every-6h-fall",
         "interval-keeps-elapsed-time"],
)  # fmt: skip
def test_daylight_saving_neither_skips_nor_doubles(
    typed: str, zone: str, day: date, expected: list[str]
):
    assert runs_on(parse_schedule(typed, zone), day) == expected


@pytest.mark.parametrize(
    ("typed", "zone", "start"),
    [
        ("daily 02:30", BERLIN, utc(2026, 10, 23, 12)),
        ("daily 02:30", BERLIN, utc(2026, 3, 27, 12)),
        ("daily 01:30", NEW_YORK, utc(2026, 10, 30, 12)),
        ("*/20 * * * *", BERLIN, utc(2026, 10, 24, 20)),
        ("*/20 * * * *", BERLIN, utc(2026, 3, 28, 20)),
        ("every 6h", NEW_YORK, utc(2026, 11, 1, 0)),
    ],
    ids=["berlin-fall", "berlin-spring", "new-york-fall", "minutes-fall", "minutes-spring", "interval"],
)  # fmt: skip
def test_trigger_driven_like_the_scheduler_agrees_with_next_run(
    typed: str, zone: str, start: datetime
):
    """APScheduler asks for the run after the previous one; alone, its CronTrigger would run a
    repeated fall-back time twice."""
    schedule = parse_schedule(typed, zone)
    trigger = schedule.trigger()
    fired, expected = [], []
    start += timedelta(seconds=7)  # off the grid: the trigger answers ">= start", next_run ">"
    fire, run = trigger.get_next_fire_time(None, start), schedule.next_run(start)
    for _ in range(12 if "*" not in typed else 30):
        fired.append(fire.astimezone(UTC))
        expected.append(run)
        fire, run = trigger.get_next_fire_time(fire, fire), schedule.next_run(run)
    assert fired == expected
    assert len(set(fired)) == len(fired)


@pytest.mark.parametrize(
    ("typed", "trigger_type"),
    [("daily 08:00", CronTrigger), ("0 8 * * 1-5", CronTrigger), ("every 6h", IntervalTrigger)],
    ids=["daily", "cron", "interval"],
)
def test_trigger_is_an_apscheduler_trigger_in_the_schedule_zone(typed: str, trigger_type: type):
    trigger = parse_schedule(typed, PARIS).trigger()
    assert trigger.timezone == ZoneInfo(PARIS)
    assert isinstance(trigger, trigger_type)


@pytest.mark.parametrize(
    "restart",
    [utc(2026, 1, 15, 7, 13), utc(2026, 1, 15, 9, 59, 59), utc(2026, 6, 1, 0, 1)],
    ids=["morning", "just-before-a-run", "months-later"],
)
def test_interval_runs_do_not_shift_when_the_bot_restarts(restart: datetime):
    schedule = parse_schedule("every 4h", PARIS)
    fire = schedule.trigger().get_next_fire_time(None, restart)
    assert fire.astimezone(UTC) == schedule.next_run(restart)
    anchor = datetime(2024, 1, 1, tzinfo=ZoneInfo(PARIS)).astimezone(UTC)
    since_anchor = fire.astimezone(UTC) - anchor  # elapsed time, whatever the clocks did since
    assert since_anchor % timedelta(hours=4) == timedelta(0)


@pytest.mark.parametrize(
    "call",
    [lambda s: s.next_run(datetime(2026, 1, 1)), lambda s: s.previous_run(datetime(2026, 1, 1))],
    ids=["next_run", "previous_run"],
)
def test_naive_datetimes_are_refused(call):
    with pytest.raises(ValueError, match="timezone-aware"):
        call(parse_schedule("daily 08:00", PARIS))


@pytest.mark.parametrize("typed", ["daily 08:00", "every 6h"], ids=["cron", "interval"])
def test_results_are_utc(typed: str):
    schedule = parse_schedule(typed, NEW_YORK)
    moment = local(NEW_YORK, 2026, 5, 1, 12)
    previous = schedule.previous_run(moment)
    assert previous is not None and previous.tzinfo is UTC
    assert schedule.next_run(moment).tzinfo is UTC
