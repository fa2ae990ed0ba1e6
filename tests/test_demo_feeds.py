"""The sample feeds of the offline demo (config/demo): they parse, they hold what the demo needs.

The tables in config/demo/README.md (multi-outlet events, same-place-same-day pairs, tricky
cases) are checked against the feeds, so the README cannot drift from the data.
"""

from __future__ import annotations

import calendar
import html
import io
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import pytest

DEMO = Path(__file__).resolve().parent.parent / "config" / "demo"
README = DEMO / "README.md"
BROKEN = "broken-feed"

WEEK_START = datetime(2026, 1, 5, tzinfo=UTC)
WEEK_END = datetime(2026, 1, 12, tzinfo=UTC)  # exclusive: Sunday 23:59:59 is the last second
SAME_EVENT_WINDOW = timedelta(hours=6)

NO_DATE_GUID = ("americas-crime", "AC-2026-0004")
FUTURE_GUID = ("eurasia-security", "eurasia-security-91402")
REPEATED_GUID = (
    "levant-monitor",
    "https://levant-monitor.example/news/2026/1/7/air-strike-on-tent-camp-in-khan-younis-kills-six",
)
REUSED_GUID = ("sahel-horn-desk", "https://sahel-horn-desk.example/?p=48390")
LONG_GUID = (
    "levant-monitor",
    "https://levant-monitor.example/features/2026/1/8/can-iraqs-government-bring-the-armed-factions-under-state-control",
)
HOSTILE_GUID = ("cyber-threat-wire", "tag:cyber-threat-wire.example,2026:post-1176")


@pytest.fixture(scope="module")
def feeds() -> dict[str, Any]:
    return {
        path.stem: feedparser.parse(io.BytesIO(path.read_bytes()))
        for path in sorted(DEMO.glob("*.xml"))
    }


@pytest.fixture(scope="module")
def readable(feeds: dict[str, Any]) -> dict[str, Any]:
    return {name: parsed for name, parsed in feeds.items() if name != BROKEN}


def _text(entry: Any) -> str:
    """Title as given (it is plain text) plus the summary with tags dropped and entities decoded."""
    summary = html.unescape(re.sub(r"<[^>]+>", " ", entry.get("summary", "")))
    return " ".join(f"{entry.get('title', '')} {summary}".split())


def _published(entry: Any) -> datetime | None:
    parsed = entry.get("published_parsed")
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC) if parsed else None


def _entries(feeds: dict[str, Any], name: str, guid: str) -> list[Any]:
    return [entry for entry in feeds[name].entries if entry.get("id") == guid]


def _table(heading: str) -> list[list[str]]:
    """Rows of the first Markdown table under `## heading`, cells stripped of backticks."""
    section = README.read_text(encoding="utf-8").split(f"## {heading}\n", 1)[1].split("\n## ")[0]
    rows = [line for line in section.splitlines() if line.startswith("|")][2:]
    return [[cell.strip().strip("`") for cell in row.strip("|").split(" | ")] for row in rows]


def test_broken_feed_yields_nothing(feeds: dict[str, Any]) -> None:
    broken = feeds[BROKEN]
    assert broken.bozo
    assert broken.entries == []


def test_readable_feeds_parse_cleanly(readable: dict[str, Any]) -> None:
    assert len(readable) >= 5
    for name, parsed in readable.items():
        assert not parsed.bozo, f"{name}: {parsed.get('bozo_exception')}"
        assert parsed.entries, name
    assert sum(len(parsed.entries) for parsed in readable.values()) >= 90
    assert {parsed.version for parsed in readable.values()} >= {"rss20", "atom10"}


def test_every_item_is_complete(readable: dict[str, Any]) -> None:
    for name, parsed in readable.items():
        for entry in parsed.entries:
            where = f"{name}: {entry.get('id')}"
            assert entry.get("id") and entry.get("title") and entry.get("summary"), where
            link = urlsplit(entry.get("link", ""))
            assert link.scheme == "https" and link.hostname == f"{name}.example", where


def test_dates_lie_in_the_reference_week(readable: dict[str, Any]) -> None:
    for name, parsed in readable.items():
        for entry in parsed.entries:
            key, when = (name, entry.get("id")), _published(entry)
            if key == NO_DATE_GUID:
                assert when is None
            elif key == FUTURE_GUID:
                assert when is not None and when.year == 2027
            else:
                assert when is not None and WEEK_START <= when < WEEK_END, (key, when)


def test_deliberate_oddities(feeds: dict[str, Any]) -> None:
    repeated = _entries(feeds, *REPEATED_GUID)
    assert len(repeated) == 2 and len({entry.link for entry in repeated}) == 1
    reused = _entries(feeds, *REUSED_GUID)
    assert len(reused) == 2 and len({entry.link for entry in reused}) == 2
    assert len({entry.title for entry in reused}) == 2
    (long_entry,) = _entries(feeds, *LONG_GUID)
    assert len(long_entry.summary) >= 2800
    (hostile,) = _entries(feeds, *HOSTILE_GUID)
    assert all(s in hostile.title for s in ("@everyone", "**", "<@123456789012345678>"))


def test_html_and_tracking_are_present() -> None:
    raw = {path.stem: path.read_text(encoding="utf-8") for path in DEMO.glob("*.xml")}
    assert "<script" in raw["wire-world"] and "<script" in raw["levant-monitor"]
    assert "&lt;script" in raw["cyber-threat-wire"]
    assert "<img " in raw["wire-world"]
    assert "&amp;amp;" in raw["sahel-horn-desk"] and "&amp;#8217;" in raw["sahel-horn-desk"]
    every = "".join(raw.values())
    for marker in ("&#8217;", "utm_source=", "utm_medium=", "fbclid=", "gclid="):
        assert marker in every, marker


def test_multi_outlet_events(readable: dict[str, Any]) -> None:
    rows = _table("Multi-outlet events")
    assert len(rows) >= 8
    for event, _day, files, keyword in rows:
        names = [name.strip() for name in files.split(",")]
        assert 2 <= len(names) <= 4 and len(set(names)) == len(names), event
        hits = {
            name: [e for e in readable[name].entries if keyword.lower() in _text(e).lower()]
            for name in names
        }
        assert all(hits.values()), (event, {name: len(found) for name, found in hits.items()})
        titles = {entry.title for found in hits.values() for entry in found}
        assert len(titles) >= len(names), f"{event}: outlets must word it differently"
        times = {name: [t for e in found if (t := _published(e))] for name, found in hits.items()}
        first, *others = names
        assert any(
            all(any(abs(t - anchor) <= SAME_EVENT_WINDOW for t in times[n]) for n in others)
            for anchor in times[first]
        ), f"{event}: reports are not within {SAME_EVENT_WINDOW}"


def test_same_place_same_day_pairs(readable: dict[str, Any]) -> None:
    rows = _table("Same place, same day, different events")
    assert rows
    for place, name, day, keyword in rows:
        titles = {
            entry.title
            for entry in readable[name].entries
            if keyword in _text(entry) and (when := _published(entry)) and f"{when:%Y-%m-%d}" == day
        }
        assert len(titles) >= 2, place


def test_tricky_cases_live_where_the_readme_says(feeds: dict[str, Any]) -> None:
    rows = _table("Tricky cases")
    assert len(rows) >= 20
    for case, name, guid, text in rows:
        found = _entries(feeds, name, guid)
        assert found, f"{case}: no {guid} in {name}"
        assert any(text in _text(entry) for entry in found), f"{case}: {text!r} not in {guid}"


def test_readme_counts_match(readable: dict[str, Any]) -> None:
    rows = _table("Files")
    counts = {row[0].removesuffix(".xml"): int(row[2].split()[0]) for row in rows}
    assert counts == {name: len(parsed.entries) for name, parsed in readable.items()} | {BROKEN: 0}
    guids = Counter(
        (name, entry.id) for name, parsed in readable.items() for entry in parsed.entries
    )
    assert sum(n - 1 for n in guids.values()) == 2  # the repeated and the reused guid
