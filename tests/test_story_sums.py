"""The story sums of migration 0006 give a digest window exactly what summing up its articles
gives, whatever wrote to the articles: placement, merges, `retag`, `db prune`, feed removal.

Stories here are random groupings written through the real StoryStore (placement's own write),
so that stories straddle every window edge; windows are random and cover the edge cases.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from storage import Storage
from storage.stories import Headline
from storage.types import (
    ActorTag,
    ArticleTags,
    CountryTag,
    Evidence,
    FeedState,
    NewArticle,
    StoryRow,
)

START = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)
SPAN = timedelta(hours=48)
COUNTRIES = ("IQ", "SY", "YE", "ML", "SD")
ACTORS = ("kataib-hezbollah", "houthis", "jnim", "rsf")
OUTLETS = ("Alpha News", "Bravo Wire", "Alpha News", None)  # two feeds of one outlet, one unnamed


def _tags(rng: random.Random) -> ArticleTags:
    evidence = (Evidence("x", "body", 0),)
    located = rng.sample(COUNTRIES, rng.randint(0, 3))
    return ArticleTags(
        tuple(CountryTag(code, "location", rng.choice((0.5, 1.0, 2.0)), evidence)
              for code in located)
        + tuple(CountryTag(code, "mention", 0.5, evidence)
                for code in rng.sample(COUNTRIES, 1) if code not in located),
        tuple(ActorTag(actor, rng.choice((0.5, 1.0)), evidence)
              for actor in rng.sample(ACTORS, rng.randint(0, 2))),
    )  # fmt: skip


async def _populate(storage: Storage, rng: random.Random) -> list[int]:
    """40 fetches over two days from 8 feeds; one fetch in ten is a new feed's backlog."""
    feeds = [
        await storage.feeds.add(f"https://news.test/{n}", START, OUTLETS[n % len(OUTLETS)])
        for n in range(8)
    ]
    ids: list[int] = []
    for fetch in range(40):
        seen = START + SPAN * fetch / 40
        batch = [
            NewArticle(f"{fetch}-{n}", None, f"https://news.test/{fetch}/{n}", f"t{fetch}-{n}",
                       "text", seen - timedelta(hours=rng.uniform(0, 6)), f"{fetch}-{n}", _tags(rng))
            for n in range(rng.randint(2, 8))
        ]  # fmt: skip
        state = FeedState(seen, seen)
        ids += await storage.articles.store_fetch(
            rng.choice(feeds).id, batch, state, seen, fetch % 10 == 9, "v1"
        )
    return ids


async def _place_randomly(storage: Storage, ids: list[int], rng: random.Random) -> None:
    """Each article joins one of the last few stories, or starts its own; severity and dead as
    a headline would give them. Backlog articles are never placed, as placement skips them."""
    backlog = {row[0] for row in await storage.database.fetch_all(
        "SELECT id FROM articles WHERE backlog = 1")}  # fmt: skip
    stories: list[int] = []
    pairs, headlines = [], []
    for article_id in ids:
        if article_id in backlog:
            continue
        if stories and rng.random() < 0.6:
            story = rng.choice(stories[-6:])
        else:
            story = article_id
            stories.append(story)
        pairs.append((article_id, story))
        headlines.append(Headline(article_id, rng.choice((0.0, 1.0, 2.5)), rng.choice((0, 0, 3))))
    await storage.stories.save(pairs, headlines, max(ids))


def _comparable(row: StoryRow) -> StoryRow:
    # The sums keep each article's locations in no particular order; what reads them does not
    # depend on it (by_support, tests/test_digest_placement.py).
    return row._replace(locations=tuple(sorted(row.locations)))


def _windows(rng: random.Random) -> list[tuple[datetime, datetime]]:
    edges = [(START - timedelta(hours=1), START + SPAN + timedelta(hours=1)),
             (START + SPAN / 2, START + SPAN / 2)]  # fmt: skip
    for _ in range(40):
        start = START + SPAN * rng.uniform(-0.1, 1.0)
        edges.append((start, start + timedelta(hours=rng.choice((1, 6, 12, 24)))))
    return edges


async def _assert_sums_match_articles(storage: Storage, rng: random.Random) -> None:
    for start, end in _windows(rng):
        summed = await storage.digests.window_stories(start, end)
        reference = await storage.digests.window_stories(start, end, from_sums=False)
        assert sorted(map(_comparable, summed.stories)) == sorted(
            map(_comparable, reference.stories)
        ), (start, end)
        assert sorted(summed.unplaced_ids) == sorted(reference.unplaced_ids), (start, end)


async def test_story_sums_match_the_articles_through_every_write(storage: Storage) -> None:
    rng = random.Random(20261124)
    ids = await _populate(storage, rng)
    await _assert_sums_match_articles(storage, rng)  # nothing placed: every article unplaced
    await _place_randomly(storage, ids, rng)
    stories = await storage.database.fetch_value("SELECT count(*) FROM story_sums")
    assert 0 < stories < len(ids)
    await _assert_sums_match_articles(storage, rng)
    # A merge moves a story's articles to another's id, as placement does.
    merged = rng.sample(ids, 20)
    await storage.stories.save([(i, min(merged)) for i in merged], [], max(ids))
    await _assert_sums_match_articles(storage, rng)
    # retag rewrites tags, and with them the digest columns the sums read.
    await storage.tags.replace([(i, _tags(rng)) for i in rng.sample(ids, 60)], "v2")
    await _assert_sums_match_articles(storage, rng)
    # Pruning and removing a feed delete articles (the tags cascade).
    await storage.maintenance.prune(START + SPAN / 3)
    await storage.feeds.remove("https://news.test/3")
    assert await storage.database.fetch_value("SELECT count(*) FROM articles") < len(ids)
    await _assert_sums_match_articles(storage, rng)


async def test_a_window_over_the_limit_reads_the_first_articles(storage: Storage) -> None:
    rng = random.Random(7)
    ids = await _populate(storage, rng)
    await _place_randomly(storage, ids, rng)
    start, end = START - timedelta(hours=1), START + SPAN + timedelta(hours=1)
    capped = await storage.digests.window_stories(start, end, limit=25)
    reference = await storage.digests.window_stories(start, end, limit=25, from_sums=False)
    assert sum(row.articles for row in capped.stories) + len(capped.unplaced_ids) == 25
    assert sorted(capped.stories) == sorted(reference.stories)
