"""What people type for time: durations ("24h") and dates, always relative to a given `now`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.timeparse import TimeParseError, parse_duration, parse_since

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90m", timedelta(minutes=90)),
        ("90min", timedelta(minutes=90)),
        ("24h", timedelta(hours=24)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        ("1m", timedelta(minutes=1)),
        ("24H", timedelta(hours=24)),
        (" 7 d ", timedelta(days=7)),
        ("007d", timedelta(days=7)),
        ("99999w", timedelta(weeks=99999)),
    ],
    ids=["minutes", "min", "hours", "days", "weeks", "one", "upper-case", "spaces", "zeros", "max"],
)
def test_parse_duration(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("0h", "empty duration"),
        ("000m", "empty duration"),
        ("", "not a duration"),
        ("h", "not a duration"),
        ("24", "not a duration"),
        ("-1d", "not a duration"),
        ("1.5h", "not a duration"),
        ("1y", "not a duration"),
        ("3s", "not a duration"),
        ("1d2h", "not a duration"),
        ("100000w", "not a duration"),
        ("24 hours", "not a duration"),
    ],
    ids=[
        "zero",
        "zeros",
        "empty",
        "unit-only",
        "no-unit",
        "negative",
        "fraction",
        "years",
        "seconds",
        "compound",
        "too-many-digits",
        "word-unit",
    ],
)
def test_parse_duration_refuses(text, fragment):
    with pytest.raises(TimeParseError, match=fragment) as caught:
        parse_duration(text)
    assert "90m, 24h, 7d or 2w" in str(caught.value) or "at least 1" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90m", NOW - timedelta(minutes=90)),
        ("24h", NOW - timedelta(hours=24)),
        ("7d", NOW - timedelta(days=7)),
        ("2w", NOW - timedelta(weeks=2)),
        ("  24h  ", NOW - timedelta(hours=24)),
        ("2026-02-01", datetime(2026, 2, 1, tzinfo=UTC)),
        ("2026-02-01T06:30", datetime(2026, 2, 1, 6, 30, tzinfo=UTC)),
        ("2026-02-01 06:30:15", datetime(2026, 2, 1, 6, 30, 15, tzinfo=UTC)),
        ("2026-02-01T06:30:00+02:00", datetime(2026, 2, 1, 4, 30, tzinfo=UTC)),
        ("2026-02-01T06:30:00-05:00", datetime(2026, 2, 1, 11, 30, tzinfo=UTC)),
        ("2026-02-01T06:30:00Z", datetime(2026, 2, 1, 6, 30, tzinfo=UTC)),
        ("2026-03-01T12:00:00", NOW),
        ("2026-03-01T13:00:00+01:00", NOW),
        ("20260201", datetime(2026, 2, 1, tzinfo=UTC)),
    ],
    ids=[
        "90m",
        "24h",
        "7d",
        "2w",
        "padded",
        "date",
        "date-time",
        "space-separated",
        "offset-plus",
        "offset-minus",
        "zulu",
        "exactly-now",
        "now-in-another-zone",
        "basic-format",
    ],
)
def test_parse_since(text, expected):
    since = parse_since(text, NOW)
    assert since == expected
    assert since.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("yesterday", "is not a time"),
        ("", "is not a time"),
        ("2026-02-30", "is not a time"),
        ("01/02/2026", "is not a time"),
        ("0h", "empty duration"),
        ("2026-03-02", "in the future"),
        ("2026-03-01T12:00:01", "in the future"),
        ("2026-03-01T12:30:00-00:30", "in the future"),
        ("2999-01-01", "in the future"),
        ("-7d", "is not a time"),
    ],
    ids=[
        "word",
        "empty",
        "impossible-date",
        "slashes",
        "zero-duration",
        "tomorrow",
        "one-second-ahead",
        "ahead-in-another-zone",
        "far-future",
        "negative-duration",
    ],
)
def test_parse_since_refuses(text, fragment):
    with pytest.raises(TimeParseError, match=fragment) as caught:
        parse_since(text, NOW)
    assert "\n" not in str(caught.value)


def test_parse_since_uses_the_given_now():
    other_now = datetime(2020, 1, 1, tzinfo=timezone(timedelta(hours=3)))
    assert parse_since("1h", other_now) == other_now - timedelta(hours=1)
    with pytest.raises(TimeParseError, match="future"):
        parse_since("2021-01-01", other_now)
