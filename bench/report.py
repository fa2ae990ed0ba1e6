"""What every benchmark prints: Markdown tables, milliseconds, percentiles."""

from __future__ import annotations

import os
import sqlite3
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime


def loop_ns() -> float:
    """How fast this machine runs Python right now: the cost of one empty loop step, in ns
    (about 25 on an idle laptop). Timings only mean something next to it."""
    steps = 2_000_000
    start = time.perf_counter()
    for _ in range(steps):
        pass
    return (time.perf_counter() - start) / steps * 1e9


def machine_and_speed() -> str:
    """`machine()` and how fast it runs Python now, for benchmarks timing Python code."""
    return (
        f"{machine()}, {loop_ns():.0f} ns per empty Python loop step (about 25 on an idle laptop)"
    )


def machine() -> str:
    """The line every benchmark prints first: what it ran on, and how busy that was."""
    load = os.getloadavg()
    return (
        f"Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, {os.cpu_count()} cores,"
        f" load {load[0]:.1f}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    print(f"\n### {title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    sys.stdout.flush()


def ms(milliseconds: float) -> str:
    return f"{milliseconds:.1f}" if milliseconds < 100 else f"{milliseconds:,.0f}"


def quantile(values: Sequence[float], q: int) -> float:
    """The q-th percentile (inclusive method); the largest value for tiny samples."""
    if len(values) < 2:
        return max(values, default=0.0)
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]
