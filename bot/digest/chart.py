"""A digest's stories per region per day as a PNG: stacked bars, one colour per region.

Attached to digests that cover more than a day, where the shape of the period says something a list
cannot. Called from worker threads, so it uses matplotlib's object-oriented API (a `Figure` drawn by
its own `FigureCanvasAgg`) and never pyplot, whose global state is not thread-safe; matplotlib is
imported inside `render_chart` because importing it takes about a second.

The x axis is the window's days in UTC. A story dated outside the window (its earliest article was
published before the window began, or carries a date in the future) counts on the nearest edge day,
so every story in the digest is in the chart. A long window is drawn in buckets of several days so
that there are at most `MAX_BARS` bars. The largest `TOP_REGIONS` regions get their own colour; the
rest are summed as "Other".
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from math import ceil
from typing import TYPE_CHECKING

from bot.digest.layout import DigestView
from bot.text import fold_whitespace, shorten

if TYPE_CHECKING:
    from matplotlib.axes import Axes

TOP_REGIONS = 8
OTHER = "Other"
MAX_BARS = 60
MAX_TICK_LABELS = 15
LABEL_LIMIT = 28
SIZE_INCHES = (10.0, 5.0)
DPI = 100  # 1000 x 500 pixels
OTHER_COLOUR = "#9e9e9e"
# matplotlib's "tab10" without its grey, which is kept for "Other": eight distinct colours.
REGION_COLOURS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ChartData:
    """What the chart draws: each bar's first day, days per bar, one count row per region."""

    starts: tuple[date, ...]
    days_per_bar: int
    last: date  # the window's last day (the last bar may be cut short by it)
    series: tuple[tuple[str, tuple[int, ...]], ...]  # largest region first, "Other" last


def wants_chart(view: DigestView) -> bool:
    """A chart is worth attaching when the digest spans more than a day and has stories."""
    return not view.empty and bool(view.per_region_day) and view.window.duration > timedelta(days=1)


def _utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def _window_days(view: DigestView) -> tuple[date, int]:
    """The window's first UTC day and how many days it touches (its end is exclusive)."""
    first = _utc_day(view.window.start)
    last = max(first, _utc_day(view.window.end - timedelta(microseconds=1)))
    return first, (last - first).days + 1


def _top_regions(totals: Counter[str]) -> list[str]:
    ranked = sorted(totals, key=lambda region: (-totals[region], region))
    if len(ranked) <= TOP_REGIONS + 1:  # "Other" standing for one region would hide its name
        return ranked
    return ranked[:TOP_REGIONS]


def chart_data(view: DigestView) -> ChartData:
    """Counts per region per bar, with stories outside the window moved to its edge days."""
    first, days = _window_days(view)
    per_bar = ceil(days / MAX_BARS)
    bars = ceil(days / per_bar)
    counts: Counter[tuple[str, int]] = Counter()
    totals: Counter[str] = Counter()
    for region, day, count in view.per_region_day:
        offset = min(max((day - first).days, 0), days - 1)
        counts[region, offset // per_bar] += count
        totals[region] += count
    named = _top_regions(totals)
    series = [(region, tuple(counts[region, bar] for bar in range(bars))) for region in named]
    rest = [region for region in totals if region not in named]
    if rest:
        other = tuple(sum(counts[region, bar] for region in rest) for bar in range(bars))
        series.append((OTHER, other))
    starts = tuple(first + timedelta(days=bar * per_bar) for bar in range(bars))
    return ChartData(starts, per_bar, first + timedelta(days=days - 1), tuple(series))


def _label(region: str) -> str:
    """A legend label matplotlib shows as written: `$` would start mathtext (which can fail to
    parse), a leading underscore would hide the entry from the legend, and control characters
    have no glyph."""
    printable = "".join(char for char in region if char.isprintable() or char.isspace())
    label = shorten(fold_whitespace(printable), LABEL_LIMIT).replace("$", r"\$")
    return f" {label}" if label.startswith("_") or not label else label


def _title(data: ChartData) -> str:
    span = f"{data.starts[0]:%d %b %Y} – {data.last:%d %b %Y} (UTC)"
    unit = "day" if data.days_per_bar == 1 else f"{data.days_per_bar} days"
    return f"Stories per region per {unit}, {span}"


def _draw(axes: Axes, data: ChartData) -> None:
    from matplotlib.ticker import MaxNLocator

    positions = list(range(len(data.starts)))
    bottoms = [0] * len(positions)
    for index, (region, counts) in enumerate(data.series):
        colour = OTHER_COLOUR if region == OTHER else REGION_COLOURS[index % len(REGION_COLOURS)]
        axes.bar(positions, counts, bottom=bottoms, color=colour, label=_label(region), width=0.8)
        bottoms = [below + count for below, count in zip(bottoms, counts, strict=True)]
    step = ceil(len(positions) / MAX_TICK_LABELS)
    axes.set_xticks(
        positions[::step],
        [f"{start:%d %b}" for start in data.starts[::step]],
        rotation=45 if len(positions) > 8 else 0,
        ha="right" if len(positions) > 8 else "center",
    )
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel("stories")
    axes.grid(axis="y", alpha=0.3)
    axes.set_axisbelow(True)


def render_chart(view: DigestView) -> bytes:
    """The chart as PNG bytes (1000 x 500 pixels, tens of kilobytes)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    data = chart_data(view)
    figure = Figure(figsize=SIZE_INCHES, dpi=DPI)
    FigureCanvasAgg(figure)  # attaches itself to the figure
    # Fixed margins, not a layout engine: that would double the drawing time. The right margin
    # holds the legend; `LABEL_LIMIT` keeps its labels inside it.
    figure.subplots_adjust(left=0.07, right=0.76, bottom=0.16, top=0.92)
    axes = figure.add_subplot()
    _draw(axes, data)
    axes.set_title(_title(data))
    if data.series:
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    buffer = io.BytesIO()
    # No "Software" text chunk: the bytes then depend on the data alone, not the library version.
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
