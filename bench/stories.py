"""Stories placed at ingest. Run: .venv/bin/python bench/stories.py

On bench/digest.py's busy day (20,000 articles, their events known from the generator):
StoryIndex places every article as the polls stored them (what the bot would do at ingest),
against the baseline measured in the same run: cluster() on the whole window at once (what
every digest build does today). Prints the time of each, per article, and pairwise precision,
recall and F1 against the known events.
"""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.digest import (
    BENCH_DIR,
    DAY_ARTICLES,
    SEED,
    day_reports,
    ensure_day,
    merged_pairs,
    pairwise,
)
from bench.report import ms, table
from bot.digest.cluster import cluster
from bot.digest.model import DigestArticle
from bot.digest.service import Digests
from bot.digest.stories import StoryIndex, stories_of
from bot.digest.window import Window
from bot.settings import load_settings
from bot.tagging.taxonomy import Taxonomy, load_taxonomy
from storage import open_storage


async def day_articles(taxonomy: Taxonomy) -> tuple[list[list[DigestArticle]], dict[int, str]]:
    """The day's articles in the polls that stored them, and each article's event."""
    path = BENCH_DIR / f"digest-day-{DAY_ARTICLES}.db"
    day = ensure_day(path, DAY_ARTICLES, taxonomy)
    events = {
        a.guid: event for _, event, a in day_reports(random.Random(SEED), day.articles, taxonomy)
    }
    window = Window(day.window_start, day.window_start + timedelta(days=1))
    async with open_storage(path) as storage:
        articles = await Digests(storage, taxonomy).articles(window)
        stored = await storage.digests.arrived_between(window.start, window.end)
    by_id = {article.id: article for article in articles}
    polls: dict[datetime, list[DigestArticle]] = defaultdict(list)
    for row in stored:
        polls[row.first_seen].append(by_id[row.id])
    labels = {row.id: str(events[row.guid]) for row in stored}
    return [polls[seen] for seen in sorted(polls)], labels


def main() -> None:
    load = os.getloadavg()
    print(
        f"Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, {os.cpu_count()} cores,"
        f" load {load[0]:.1f}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )
    taxonomy = load_taxonomy(load_settings(environ={}).taxonomy.path)
    polls, labels = asyncio.run(day_articles(taxonomy))
    articles = [article for poll in polls for article in poll]
    started = time.perf_counter()
    batch = cluster(articles)
    batch_seconds = time.perf_counter() - started
    index, final = StoryIndex(), {}
    started = time.perf_counter()
    for poll in polls:
        final.update(stories_of(index.add(poll)))
    index_seconds = time.perf_counter() - started
    stories: dict[int, list[DigestArticle]] = defaultdict(list)
    for article in articles:
        stories[final[article.id]].append(article)
    rows = []
    for name, seconds, groups in (
        (
            "baseline: cluster() on the whole day at once",
            batch_seconds,
            [s.articles for s in batch],
        ),
        (
            f"StoryIndex.add, poll by poll ({len(polls)} polls)",
            index_seconds,
            list(stories.values()),
        ),
    ):
        precision, recall, f1 = pairwise(merged_pairs(groups), labels)
        per_article = f"{seconds / len(articles) * 1e6:.0f}"
        rows.append([name, ms(seconds * 1000), per_article, f"{len(groups):,}", f"{precision:.3f}",
                     f"{recall:.3f}", f"{f1:.3f}"])  # fmt: skip
    table(
        f"Stories of a {len(articles):,}-article day ({len(set(labels.values())):,} events),"
        " placed at ingest vs clustered at once",
        ["method", "total ms", "µs per article", "stories", "precision", "recall", "F1"],
        rows,
    )
    print(f"\nratio: StoryIndex total / cluster() total = {index_seconds / batch_seconds:.2f};"
          f" articles held at the end: {len(index):,}")  # fmt: skip


if __name__ == "__main__":
    main()
