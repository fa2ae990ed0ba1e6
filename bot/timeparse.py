"""Parsing what people type for time: "24h", "7d", "2w", "90m", or a date. Pure; takes `now`."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_DURATION = re.compile(r"^\s*(\d{1,5})\s*(m|min|h|d|w)\s*$", re.IGNORECASE)
_UNITS = {"m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
SINCE_HELP = "a duration such as 90m, 24h, 7d or 2w, or a date such as 2026-11-01"


class TimeParseError(ValueError):
    pass


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(text)
    if not match:
        raise TimeParseError(f"{text!r} is not a duration: use {SINCE_HELP}")
    amount, unit = int(match.group(1)), match.group(2).lower()
    if amount == 0:
        raise TimeParseError(f"{text!r} is an empty duration: use at least 1")
    return timedelta(seconds=amount * _UNITS[unit])


def parse_since(text: str, now: datetime) -> datetime:
    """The instant `text` points to: now minus a duration, or a date/time (UTC unless given)."""
    text = text.strip()
    if _DURATION.match(text):
        return now - parse_duration(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise TimeParseError(f"{text!r} is not a time: use {SINCE_HELP}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment > now:
        raise TimeParseError(f"{text!r} is in the future: give a past date or a duration")
    return moment.astimezone(UTC)
