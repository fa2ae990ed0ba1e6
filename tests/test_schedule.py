"""When a feed is checked next: interval, exponential backoff, Retry-After, jitter, disabling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.ingest.schedule import (
    PollPolicy,
    backoff_seconds,
    disable_reason,
    next_check_after_failure,
    next_check_after_success,
    parse_retry_after,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
POLICY = PollPolicy(
    interval=900, max_backoff=86400, jitter=0.1, max_failures=5, max_retry_after=3600
)
NO_JITTER = PollPolicy(
    interval=900, max_backoff=86400, jitter=0.0, max_failures=5, max_retry_after=3600
)


def fixed(value: float):
    return lambda: value


@pytest.mark.parametrize(
    ("failures", "policy", "expected"),
    [
        (0, POLICY, 900),
        (1, POLICY, 900),
        (2, POLICY, 1800),
        (3, POLICY, 3600),
        (4, POLICY, 7200),
        (7, POLICY, 57600),
        (8, POLICY, 86400),
        (50, POLICY, 86400),
        (10**9, POLICY, 86400),
        (-3, POLICY, 900),
        (3, PollPolicy(interval=60, max_backoff=100), 100),
        (1, PollPolicy(interval=600, max_backoff=300), 300),
    ],
    ids=[
        "zero-is-interval",
        "first-failure",
        "second-doubles",
        "third",
        "fourth",
        "seventh",
        "eighth-capped",
        "fiftieth-capped",
        "huge-no-overflow",
        "negative",
        "small-cap",
        "cap-below-interval",
    ],
)
def test_backoff_seconds(failures, policy, expected):
    assert backoff_seconds(failures, policy) == expected


@pytest.mark.parametrize(
    ("random", "expected_seconds"),
    [(0.0, 900), (0.5, 945), (0.999, 989.91)],
    ids=["no-jitter", "half", "almost-full"],
)
def test_next_check_after_success(random, expected_seconds):
    moment = next_check_after_success(NOW, POLICY, fixed(random))
    assert (moment - NOW).total_seconds() == pytest.approx(expected_seconds)
    assert moment.tzinfo is UTC


def test_jitter_never_goes_below_the_interval_nor_beyond_the_fraction():
    for random in (0.0, 0.25, 0.999):
        delay = (next_check_after_success(NOW, POLICY, fixed(random)) - NOW).total_seconds()
        assert 900 <= delay < 900 * 1.1


@pytest.mark.parametrize(
    ("failures", "random", "retry_after", "expected_seconds"),
    [
        (1, 0.0, None, 900),
        (1, 0.999, None, 900 * 1.0999),
        (3, 0.0, None, 3600),
        (3, 0.999, None, 3600 * 1.0999),
        (30, 0.0, None, 86400),
        (1, 0.0, 120.0, 900),  # a shorter Retry-After does not cut the backoff
        (1, 0.0, 1800.0, 1800),
        (1, 0.999, 1800.0, 1800 * 1.0999),
        (1, 0.0, 10**9, 3600),  # capped at max_retry_after
        (1, 0.0, 0.0, 900),
        (8, 0.0, 60.0, 86400),
    ],
    ids=[
        "first",
        "first-jittered",
        "third",
        "third-jittered",
        "capped",
        "short-retry-after",
        "longer-retry-after",
        "retry-after-jittered",
        "retry-after-capped",
        "retry-after-zero",
        "backoff-beats-retry-after",
    ],
)
def test_next_check_after_failure(failures, random, retry_after, expected_seconds):
    moment = next_check_after_failure(NOW, failures, POLICY, fixed(random), retry_after)
    assert (moment - NOW).total_seconds() == pytest.approx(expected_seconds)


HTTP_DATE_IN_ONE_HOUR = "Sun, 01 Mar 2026 13:00:00 GMT"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("120", 120.0),
        (" 120 ", 120.0),
        ("0", 0.0),
        (HTTP_DATE_IN_ONE_HOUR, 3600.0),
        ("Sun, 01 Mar 2026 14:00:00 +0100", 3600.0),
        ("Sun, 01 Mar 2026 13:00:00 -0000", 3600.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        ("Sun, 99 Foo 2026", None),
        ("\u00b2", None),  # a Latin-1 byte that str.isdigit() accepts
        ("١٢٠", None),  # Arabic-Indic digits are not HTTP delta-seconds
        ("9" * 400, float("9" * 400)),
    ],
    ids=[
        "none",
        "empty",
        "seconds",
        "seconds-padded",
        "zero",
        "http-date",
        "date-with-offset",
        "date-minus-zero",
        "date-in-past",
        "negative",
        "fraction",
        "word",
        "bad-date",
        "superscript-two",
        "arabic-indic-digits",
        "huge",
    ],
)
def test_parse_retry_after(header, expected):
    assert parse_retry_after(header, NOW) == expected


def test_a_huge_retry_after_is_still_capped():
    seconds = parse_retry_after("9" * 400, NOW)
    moment = next_check_after_failure(NOW, 1, NO_JITTER, fixed(0.0), seconds)
    assert moment - NOW == timedelta(seconds=3600)


@pytest.mark.parametrize(
    ("failures", "status", "disabled", "fragment"),
    [
        (1, 410, True, "gone for good"),
        (1, 404, False, None),
        (4, 500, False, None),
        (5, 500, True, "5 consecutive failures"),
        (6, None, True, "6 consecutive failures"),
        (1, None, False, None),
        (0, 200, False, None),
    ],
    ids=["410-at-once", "404-once", "below-limit", "at-limit", "above-limit", "no-status", "zero"],
)
def test_disable_reason(failures, status, disabled, fragment):
    reason = disable_reason(failures, "HTTP boom", status, POLICY)
    if not disabled:
        assert reason is None
        return
    assert reason is not None and fragment in reason
    assert "HTTP boom" in reason and "re-enable" in reason
