"""`fetch`: one polling pass, one line per feed, a progress bar when stderr is a terminal."""

from __future__ import annotations

import argparse
from collections import Counter
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bot.app import App
from bot.ingest.poller import FeedResult
from storage.types import Feed

_LABELS = {
    "new": "new",
    "unchanged": "unchanged",
    "not_modified": "not modified",
    "failed": "FAILED",
}


def result_line(result: FeedResult) -> str:
    label = _LABELS[result.outcome]
    line = f"{label:<12} {result.name}"
    if result.outcome == "new":
        line += f": {result.new} new of {result.entries}"
    elif result.outcome == "unchanged":
        line += f": {result.entries} entries, none new"
    if result.reason:
        line += f": {result.reason}"
    if result.disabled:
        line += f" (feed disabled: {result.disabled})"
    if result.warning:
        line += f" (warning: {result.warning})"
    return line


async def fetch(app: App, args: argparse.Namespace, out: TextIO) -> int:
    feeds = await app.poller.due_feeds(everything=args.all)
    if not feeds:
        out.write("No feeds are due. Use --all to fetch every enabled feed now.\n")
        return 0
    if out.isatty():
        results = await _with_progress(app, feeds, out)
    else:
        results = await app.poller.poll(feeds, on_result=lambda r: out.write(result_line(r) + "\n"))
    counts = Counter(result.outcome for result in results)
    new = sum(result.new for result in results)
    out.write(
        f"{len(results)} feeds: {counts['new']} with new articles ({new} articles), "
        f"{counts['unchanged']} unchanged, {counts['not_modified']} not modified, "
        f"{counts['failed']} failed\n"
    )
    return 1 if counts["failed"] == len(results) else 0


async def _with_progress(app: App, feeds: list[Feed], out: TextIO) -> list[FeedResult]:
    """On a terminal: result lines scroll above a live bar drawn on the same stream."""
    console = Console(file=out)
    columns = (TextColumn("fetching"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("feeds", total=len(feeds))

        def report(result: FeedResult) -> None:
            console.print(result_line(result), markup=False, highlight=False, soft_wrap=True)
            progress.advance(task)

        return await app.poller.poll(feeds, on_result=report)
