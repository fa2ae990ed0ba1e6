"""The digest chart: which digests get one, what it counts, and a real PNG within Discord's limits."""

from __future__ import annotations

import struct
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.digest.chart import MAX_BARS, OTHER, TOP_REGIONS, chart_data, render_chart, wants_chart
from bot.digest.layout import DigestView
from bot.digest.window import Window

END = datetime(2026, 5, 8, 12, 0, tzinfo=UTC)
DISCORD_ATTACHMENT_LIMIT = 8 * 1024 * 1024
HOSTILE_REGIONS = [
    "$\\frac{",
    "_hidden",
    "a$b$c",
    "line\nbreak",
    "W" * 500,
    "🛰️ orbit",
    "\x00\x07bell",
    "",
    "Levant",
]


def _view(
    days: float, rows: list[tuple[str, date, int]], articles: int | None = None
) -> DigestView:
    window = Window(END - timedelta(days=days), END)
    stories = sum(count for _, _, count in rows)
    return DigestView(window, stories if articles is None else articles, stories, (), tuple(rows))


def _day(offset: int) -> date:
    return END.date() + timedelta(days=offset)


@pytest.mark.parametrize(
    ("days", "rows", "articles", "expected"),
    [
        (7, [("Levant", _day(0), 2)], None, True),
        (1.01, [("Levant", _day(0), 2)], None, True),
        (1, [("Levant", _day(0), 2)], None, False),  # a daily digest: the list says it all
        (0.25, [("Levant", _day(0), 2)], None, False),
        (7, [], 0, False),  # nothing new
        (7, [], 3, False),  # articles but nothing to plot
    ],
)
def test_wants_chart(days, rows, articles, expected) -> None:
    assert wants_chart(_view(days, rows, articles)) is expected


@pytest.mark.parametrize(
    ("days", "first", "bars", "days_per_bar", "last"),
    [
        (1.5, date(2026, 5, 7), 2, 1, date(2026, 5, 8)),  # 00:00 on the 7th to 12:00 on the 8th
        (7, date(2026, 5, 1), 8, 1, date(2026, 5, 8)),
        (60, date(2026, 3, 9), 31, 2, date(2026, 5, 8)),  # 61 days touched
        (200, date(2025, 10, 20), 51, 4, date(2026, 5, 8)),
        (3650, date(2016, 5, 10), 60, 61, date(2026, 5, 8)),
    ],
)
def test_days_become_at_most_sixty_bars(days, first, bars, days_per_bar, last) -> None:
    data = chart_data(_view(days, [("Levant", _day(0), 1)]))
    assert (data.starts[0], len(data.starts), data.days_per_bar, data.last) == (
        first,
        bars,
        days_per_bar,
        last,
    )
    assert len(data.starts) <= MAX_BARS
    assert data.starts[-1] <= data.last < data.starts[-1] + timedelta(days=days_per_bar)


def test_window_ending_at_midnight_excludes_that_day() -> None:
    midnight = datetime(2026, 5, 8, tzinfo=UTC)
    view = DigestView(
        Window(midnight - timedelta(days=2), midnight), 1, 1, (), (("Levant", date(2026, 5, 7), 1),)
    )
    data = chart_data(view)
    assert data.starts == (date(2026, 5, 6), date(2026, 5, 7))
    assert data.series == (("Levant", (0, 1)),)


@pytest.mark.parametrize(
    ("rows", "series"),
    [
        (
            [("Levant", _day(-1), 2), ("Levant", _day(0), 1), ("Sahel", _day(0), 4)],
            [("Sahel", (0, 4)), ("Levant", (2, 1))],
        ),
        (
            [("Levant", date(1970, 1, 1), 1), ("Levant", date(2099, 1, 1), 2)],
            [("Levant", (1, 2))],
        ),  # clamped to the edge days
        ([("B", _day(0), 1), ("A", _day(0), 1)], [("A", (0, 1)), ("B", (0, 1))]),  # ties by name
    ],
)
def test_counts_per_region_per_day(rows, series) -> None:
    assert list(chart_data(_view(1.5, rows)).series) == series


@pytest.mark.parametrize(
    ("regions", "named", "other"), [(8, 8, None), (9, 9, None), (10, 8, 43), (30, 8, 253)]
)
def test_largest_regions_named_rest_as_other(regions, named, other) -> None:
    rows = [(f"R{index:02}", _day(0), 30 - index) for index in range(regions)]
    series = chart_data(_view(1, rows)).series  # two days touched
    names = [name for name, _ in series]
    assert names[:named] == [f"R{index:02}" for index in range(named)]
    if other is None:
        assert OTHER not in names
    else:
        assert len(names) == TOP_REGIONS + 1 and series[-1] == (OTHER, (0, other))
    assert sum(sum(counts) for _, counts in series) == sum(count for _, _, count in rows)


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


@pytest.mark.slow
def test_render_is_a_small_deterministic_png_and_thread_safe() -> None:
    rows = [
        (f"Region {index}", _day(-day), (index * 7 + day) % 5)
        for index in range(12)
        for day in range(14)
    ]
    view = _view(14, [row for row in rows if row[2]])
    png = render_chart(view)
    assert _png_size(png) == (1000, 500)
    assert 5_000 < len(png) < 1_000_000 < DISCORD_ATTACHMENT_LIMIT
    with ThreadPoolExecutor(max_workers=2) as pool:  # the bot renders in worker threads
        assert list(pool.map(render_chart, [view, view])) == [png, png]


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Glyph .* missing from font")  # the emoji: a box, not a crash
def test_hostile_region_names_and_long_windows_render() -> None:
    rows = [(name, _day(-(index % 3)), index + 1) for index, name in enumerate(HOSTILE_REGIONS)]
    png = render_chart(_view(365, rows))
    assert _png_size(png) == (1000, 500)
    assert len(png) < 1_000_000
