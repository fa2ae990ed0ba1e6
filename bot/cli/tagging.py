"""`tag TEXT`, `tag --jsonl` and `retag`: the tagger for people, for pipelines, for the database."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Iterator
from typing import Any, TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bot.app import App, Tagging
from bot.tagging.render import tags_as_json, tags_as_text

JSONL_BATCH = 256
RETAG_BATCH = 500


def tag_text(tagging: Tagging, args: argparse.Namespace, out: TextIO) -> int:
    if args.jsonl:
        return tag_jsonl(tagging, sys.stdin, out)
    if not args.text:
        out.write(
            'Give the text to tag, e.g. tag "Kataib Hezbollah strike near Erbil", or --jsonl\n'
        )
        return 2
    tags = tagging.tagger.tag(args.text, args.summary or "")
    rendered = tags_as_text(tagging.taxonomy, tags)
    out.write((rendered or "No countries or actors found.") + "\n")
    return 0


def _parse_line(number: int, line: str) -> tuple[Any, str, str]:
    """(id, title, summary) of one input line; ValueError with the reason otherwise."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise ValueError(f"line {number}: not JSON ({error.msg})") from None
    if not isinstance(record, dict):
        raise ValueError(f"line {number}: expected an object with id, title and summary")
    title, summary = record.get("title") or "", record.get("summary") or ""
    if not isinstance(title, str) or not isinstance(summary, str):
        raise ValueError(f"line {number}: title and summary must be strings")
    return record.get("id", number), title, summary  # the tagger cleans markup, once


def _batches(lines: TextIO) -> Iterator[list[tuple[int, str]]]:
    batch: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            batch.append((number, line))
        if len(batch) >= JSONL_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def tag_jsonl(tagging: Tagging, lines: TextIO, out: TextIO) -> int:
    """One output line per input line, in order; a bad line gets an error object, not a stop."""
    failures = 0
    for batch in _batches(lines):
        parsed: list[tuple[Any, str, str] | str] = []
        for number, line in batch:
            try:
                parsed.append(_parse_line(number, line))
            except ValueError as error:
                parsed.append(str(error))
        good = [item for item in parsed if not isinstance(item, str)]
        tags = iter(tagging.tagger.tag_batch([(title, summary) for _, title, summary in good]))
        for item in parsed:
            if isinstance(item, str):
                failures += 1
                out.write(json.dumps({"error": item}, ensure_ascii=False) + "\n")
            else:
                record = tags_as_json(tagging.taxonomy, item[0], next(tags))
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    if failures:
        print(f"{failures} lines could not be tagged (see their error objects)", file=sys.stderr)
    return 0


async def retag(app: App, args: argparse.Namespace, out: TextIO) -> int:
    """Re-tag every article not tagged with the current taxonomy, in batches; resumable."""
    tagging = app.tagging
    assert tagging is not None, "retag is built with the tagger"
    total = await app.storage.tags.count_needing_tags(tagging.version)
    if not total:
        out.write("Every article is tagged with the current taxonomy.\n")
        return 0
    console = Console(file=out) if out.isatty() else None
    columns = (TextColumn("re-tagging"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, disable=console is None, transient=True) as bar:
        task = bar.add_task("articles", total=total)
        done, last_id = 0, 0
        while batch := await app.storage.tags.needing_tags(tagging.version, last_id, RETAG_BATCH):
            items = [(article.title, article.summary) for article in batch]
            tags = await asyncio.to_thread(tagging.tagger.tag_batch, items, markup=False)
            await app.storage.tags.replace(
                [(article.id, tag) for article, tag in zip(batch, tags, strict=True)],
                tagging.version,
            )
            last_id, done = batch[-1].id, done + len(batch)
            bar.update(task, completed=done)
    out.write(f"Re-tagged {done} articles with taxonomy {tagging.version}.\n")
    return 0
