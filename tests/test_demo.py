"""`demo`: the bundled sample through the real pipeline, its digest, and nothing beyond 127.0.0.1."""

from __future__ import annotations

import io
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.demo import REFERENCE_END, load_sample, sample_dates, shift_dates, shift_to
from main import main

# Every region the sample covers (config/demo/README.md, "Coverage by region"), by its name in
# config/regions.toml.
SAMPLE_REGIONS = {
    "Levant", "Mesopotamia", "Gulf and Arabian Peninsula", "Iran", "North Africa", "Sahel",
    "West Africa", "Horn of Africa", "Great Lakes", "Central Africa", "Southern Africa",
    "Eastern Europe", "Caucasus", "Nordic", "South Asia", "Southeast Asia", "East Asia",
    "North America", "Central America", "South America", "Caribbean",
}  # fmt: skip
# Events that several outlets report in the sample: each must be one story naming the others.
MERGED_EVENTS = ("El Obeid", "Qilin", "Mogadishu", "Djibo")


# --- moving the sample week to now (pure) ------------------------------------------------------


@pytest.mark.parametrize(
    ("element", "shift", "expected"),
    [
        ("<pubDate>Sun, 11 Jan 2026 16:00:00 -0600</pubDate>", timedelta(days=3),
         "<pubDate>Wed, 14 Jan 2026 16:00:00 -0600</pubDate>"),
        ("<pubDate>Sun, 11 Jan 2026 12:07:44 GMT</pubDate>", timedelta(hours=13),
         "<pubDate>Mon, 12 Jan 2026 01:07:44 GMT</pubDate>"),
        ("<lastBuildDate>Sun, 11 Jan 2026 21:58:03 +0000</lastBuildDate>", timedelta(minutes=5),
         "<lastBuildDate>Sun, 11 Jan 2026 22:03:03 +0000</lastBuildDate>"),
        ("<published>2026-01-11T17:30:00Z</published>", timedelta(days=300),
         "<published>2026-11-07T17:30:00Z</published>"),
        ("<updated>2026-01-09T08:15:00+02:00</updated>", timedelta(days=1),
         "<updated>2026-01-10T08:15:00+02:00</updated>"),
        ("<pubDate>sometime last week</pubDate>", timedelta(days=1),
         "<pubDate>sometime last week</pubDate>"),
        ("<title>Sun, 11 Jan 2026 16:00:00 -0600</title>", timedelta(days=1),
         "<title>Sun, 11 Jan 2026 16:00:00 -0600</title>"),
    ],
)  # fmt: skip
def test_shift_dates_keeps_format_and_zone(element: str, shift: timedelta, expected: str) -> None:
    assert shift_dates(element.encode(), shift).decode() == expected


def test_shift_puts_the_newest_in_week_item_just_before_now() -> None:
    sample = load_sample()
    now = datetime(2026, 11, 23, 9, 30, 27, tzinfo=UTC)
    shift = shift_to(now, sample.values())
    moved = sample_dates(shift_dates(body, shift) for body in sample.values())
    in_week = [moment for moment in moved if moment - shift < REFERENCE_END]
    assert now - timedelta(minutes=1) < max(in_week) <= now
    assert len(moved) == len(sample_dates(sample.values()))
    assert shift % timedelta(minutes=1) == timedelta(0)


# --- the demo end to end -----------------------------------------------------------------------

_recording: list[tuple[str, str]] | None = None  # set while the demo runs
_hook_installed = False


def _host(target: Any) -> str:
    host = target[0] if isinstance(target, tuple) else target
    return host.decode() if isinstance(host, bytes) else str(host)


def _audit(event: str, args: tuple[Any, ...]) -> None:
    """Sees every socket connect and name lookup, from any thread (aiohttp resolves in one)."""
    if _recording is not None and event in ("socket.connect", "socket.getaddrinfo"):
        _recording.append((event, _host(args[1] if event == "socket.connect" else args[0])))


@pytest.fixture(scope="module")
def demo_run() -> tuple[str, list[tuple[str, str]]]:
    """One run of `main.py demo --no-console` for the module (it builds the tagger): its output
    and the network use it made. An audit hook cannot be removed, so it records only meanwhile."""
    global _recording, _hook_installed
    if not _hook_installed:
        sys.addaudithook(_audit)
        _hook_installed = True
    out = io.StringIO()
    used: list[tuple[str, str]] = []
    _recording = used
    try:
        code = main(["demo", "--no-console"], out=out)
    finally:
        _recording = None
    assert code == 0
    return out.getvalue(), used


def _sections(text: str) -> set[str]:
    return set(re.findall(r"^## (.+)$", text, flags=re.MULTILINE))


def test_demo_makes_only_loopback_connections(demo_run: tuple[str, list[tuple[str, str]]]) -> None:
    _text, used = demo_run
    connects = {host for event, host in used if event == "socket.connect"}
    assert connects == {"127.0.0.1"}, "the demo fetches its feeds over real HTTP, on loopback only"
    assert {host for event, host in used if event == "socket.getaddrinfo"} <= {"127.0.0.1"}


def test_demo_digest_covers_every_region_of_the_sample(
    demo_run: tuple[str, list[tuple[str, str]]],
) -> None:
    text, _used = demo_run
    assert _sections(text) >= SAMPLE_REGIONS, SAMPLE_REGIONS - _sections(text)
    # 110 entries, one repeated: every stored article is news (none kept back as backlog).
    assert "\n109 articles, " in text


@pytest.mark.parametrize("keyword", MERGED_EVENTS)
def test_demo_merges_events_reported_by_several_outlets(
    demo_run: tuple[str, list[tuple[str, str]]], keyword: str
) -> None:
    text, _used = demo_run
    stories = [story for story in text.split("\n- ") if keyword in story.split("\n")[0]]
    assert len(stories) == 1, stories
    assert "(also reported by " in stories[0]


def test_demo_reports_every_feed_and_the_broken_one_with_its_reason(
    demo_run: tuple[str, list[tuple[str, str]]],
) -> None:
    text, _used = demo_run
    assert re.search(r"^  new +wire-world\.xml: 23 new of 23$", text, flags=re.MULTILINE)
    line = next(line for line in text.splitlines() if "broken-feed.xml:" in line)
    assert line.split()[0] == "FAILED" and "not a readable feed" in line
    assert "8 feeds read from http://127.0.0.1:" in text and ", 1 failed " in text


def test_demo_prints_and_exits_and_leaves_nothing_behind(
    demo_run: tuple[str, list[tuple[str, str]]],
) -> None:
    text, _used = demo_run
    assert text.startswith("Sitrep demo: a new database at ")
    assert "# Sitrep digest, " in text and "Try these" in text
    assert "sitrep> " not in text, "--no-console never opens the prompt"
    database = Path(text.split("database at ", 1)[1].split("\n", 1)[0])
    assert not database.parent.exists(), "the temporary folder is deleted on the way out"
