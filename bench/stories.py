"""Stories placed at ingest. Run: .venv/bin/python bench/stories.py

On bench/digest.py's busy day (20,000 articles, their events known from the generator):
StoryIndex places every article as the polls stored them (what the bot would do at ingest),
against the baseline measured in the same run: cluster() on the whole window at once (what
every digest build does today). Prints the time of each, per article, and pairwise precision,
recall and F1 against the known events.
"""

from __future__ import annotations

import asyncio
import random
import sys
from collections import defaultdict
from datetime import datetime, timedelta
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
    placed_stories,
    timed,
)
from bench.report import machine, ms, table
from bot.digest.cluster import cluster
from bot.digest.model import DigestArticle
from bot.digest.service import Digests
from bot.digest.stories import StoryIndex
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
    print(machine())
    taxonomy = load_taxonomy(load_settings(environ={}).taxonomy.path)
    polls, labels = asyncio.run(day_articles(taxonomy))
    articles = [article for poll in polls for article in poll]
    batch_ms, batch = timed(lambda: cluster(articles))
    index = StoryIndex()
    index_ms, stories = timed(lambda: placed_stories(index, polls))
    rows = []
    for name, milliseconds, groups in (
        ("baseline: cluster() on the whole day at once", batch_ms, [s.articles for s in batch]),
        (f"StoryIndex.add, poll by poll ({len(polls)} polls)", index_ms, stories),
    ):
        precision, recall, f1 = pairwise(merged_pairs(groups), labels)
        per_article = f"{milliseconds / len(articles) * 1000:.0f}"
        rows.append([name, ms(milliseconds), per_article, f"{len(groups):,}", f"{precision:.3f}",
                     f"{recall:.3f}", f"{f1:.3f}"])  # fmt: skip
    table(
        f"Stories of a {len(articles):,}-article day ({len(set(labels.values())):,} events),"
        " placed at ingest vs clustered at once",
        ["method", "total ms", "µs per article", "stories", "precision", "recall", "F1"],
        rows,
    )
    print(f"\nratio: StoryIndex total / cluster() total = {index_ms / batch_ms:.2f};"
          f" articles held at the end: {len(index):,}")  # fmt: skip


if __name__ == "__main__":
    main()
