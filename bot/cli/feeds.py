"""`feeds list | add | remove | enable | import | export`."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import TextIO

from bot.app import App
from bot.cli.fmt import feed_health, health_counts, when
from bot.errors import UserError
from bot.ingest.feedlist import export_opml, parse_opml, validate_feed_url


async def list_feeds(app: App, args: argparse.Namespace, out: TextIO) -> int:
    feeds = await app.storage.feeds.all()
    if not feeds:
        out.write("No feeds. Add one with: python main.py feeds add URL\n")
        return 0
    for feed in feeds:
        out.write(f"#{feed.id}  {feed.display_name}  [{feed_health(feed)}]\n")
        out.write(f"    {feed.url}\n")
        out.write(f"    checked {when(feed.last_checked)}; next {when(feed.next_check)}\n")
    _healthy, failing, disabled = health_counts(feeds)
    out.write(f"{len(feeds)} feeds: {failing} failing, {disabled} disabled\n")
    return 0


async def add_feed(app: App, args: argparse.Namespace, out: TextIO) -> int:
    url = validate_feed_url(args.url)
    feed = await app.storage.feeds.add(url, app.clock(), name=args.name)
    out.write(f"Added feed #{feed.id}: {feed.display_name}\n")
    if args.no_fetch:
        return 0
    result = await app.poller.poll_feed(feed)
    if result.outcome == "failed":
        out.write(f"First fetch failed: {result.reason}. It will be retried with backoff.\n")
        return 1
    out.write(f"First fetch: {result.new} articles stored (as backlog: not announced).\n")
    return 0


async def remove_feed(app: App, args: argparse.Namespace, out: TextIO) -> int:
    removed = await app.storage.feeds.remove(args.url.strip())
    out.write(f"Removed {args.url.strip()} and its {removed} articles.\n")
    return 0


async def enable_feed(app: App, args: argparse.Namespace, out: TextIO) -> int:
    feed = await app.storage.feeds.enable(args.url.strip(), app.clock())
    out.write(f"Enabled #{feed.id} {feed.display_name}; it will be fetched on the next pass.\n")
    return 0


async def import_feeds(app: App, args: argparse.Namespace, out: TextIO) -> int:
    path = Path(args.file)
    try:
        data = await asyncio.to_thread(path.read_bytes)
    except OSError as error:
        raise UserError(f"cannot read {path}: {error.strerror}") from None
    parsed = parse_opml(data, source=str(path))
    added = await app.storage.feeds.add_many(parsed.feeds, app.clock())
    for problem in parsed.skipped:
        out.write(f"skipped: {problem}\n")
    known, skipped = len(parsed.feeds) - added, len(parsed.skipped)
    out.write(f"Imported {added} new feeds from {path} ({known} known, {skipped} skipped).\n")
    return 0


async def export_feeds(app: App, args: argparse.Namespace, out: TextIO) -> int:
    out.write(export_opml(await app.storage.feeds.all(), app.clock()))
    return 0
