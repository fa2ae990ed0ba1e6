"""Digest benchmarks. Run: .venv/bin/python bench/digest.py [--runs N]

(a) A busy day: a digest over a 24 h window holding 20,000 articles through the real Digests.build
    path (SQLite read, tags, cluster, rank, layout), p50/p95 over several builds, cold (first build
    in the process) and warm (words kept from the previous build). The day is generated once and
    cached in /tmp/sitrep-bench/: each event (a place, actors, a verb and target, a town, a few words
    of its own) is reported by 1 to 5 of 40 outlets in their own words, tagged with bench/synthetic.py's
    skew (Ukraine, Gaza, Sudan... take most), and stored with `ArticleStore.store_fetch` and its tags,
    one call per outlet per poll, as the bot itself writes them. Baseline, measured in the same run:
    the old candidate rule (all pairs sharing a tag in the window) on a subset, extrapolated.
(b) The worst case: 3,000 near-identical reports in one country, new clustering vs all pairs.
(c) Quality on tests/data/duplicate_groups.jsonl (real headlines, real tagger) and on the demo week
    (config/demo read through parse_feed and the real tagger, events labeled in
    tests/data/demo_duplicate_groups.csv): pairwise precision, recall and F1, against exact-headline
    matching. `--only quality` runs this part alone, in seconds.
Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import gc
import itertools
import json
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import machine_and_speed, ms, quantile, table
from bench.synthetic import NOUNS, VERBS, Tagging, Vocabulary
from bot.app import Tagging as TextTagging
from bot.demo import SAMPLE_FOLDER
from bot.digest.cluster import (
    DEFAULT_WINDOW,
    TagSet,
    _merge,
    _read,
    article_text,
    cluster,
    led_story,
    match_score,
    tag_keys,
)
from bot.digest.layout import DigestView, build_digest
from bot.digest.model import DigestArticle, Story, digest_article
from bot.digest.placement import StoryPlacer, story_placer
from bot.digest.service import Digests
from bot.digest.stories import StoryIndex, stories_of
from bot.digest.window import Window
from bot.ingest.parse import FeedParseError, parse_feed
from bot.settings import load_settings
from bot.tagging.taxonomy import Taxonomy, load_taxonomy
from storage import Storage, open_storage
from storage.types import (
    ActorTag,
    Article,
    ArticleTags,
    CountryTag,
    Evidence,
    FeedState,
    NewArticle,
)

BENCH_DIR = Path(tempfile.gettempdir()) / "sitrep-bench"
LABELED = Path(__file__).resolve().parents[1] / "tests" / "data" / "duplicate_groups.jsonl"
DEMO_LABELED = LABELED.with_name("demo_duplicate_groups.csv")
DEMO_WEEK_END = datetime(2026, 1, 12, tzinfo=UTC)  # the demo's reference week ends here
DAY_ARTICLES = 20_000
WORST_CASE_ARTICLES = 3_000
BASELINE_ARTICLES = 5_000  # the all-pairs baseline on the whole day takes minutes
FEEDS = 40
SEED = 20261125
POLLS_PER_DAY = 48  # each outlet is polled every 30 minutes
REPORTS = (1, 2, 3, 4, 5)
REPORT_WEIGHTS = (55, 22, 12, 7, 4)  # most events one outlet, a few everyone
_PREFIXES = ("", "", "", "Breaking: ", "Update: ")
_TAILS = ("", "", ", officials say", ", witnesses say", " - report")
T = TypeVar("T")


# --- (a) the day's data ----------------------------------------------------------------------


_TOWNS = [f"{a}{b}" for a in ("Al-", "Ras ", "Khan ", "Tell ", "Bir ", "Nova ") for b in "ABCDEFGH"]


# Bump when the generated database changes: 2 placed the articles in stories as they were stored,
# 3 has the index of articles by story.
DAY_VERSION = 3


@dataclass(frozen=True)
class DayDataset:
    articles: int
    seed: int
    start: str  # ISO; the window is [start, start + 1 day)
    events: int
    seconds: float
    version: int = 1
    placing_seconds: float = 0.0  # StoryPlacer.catch_up after each poll, in all
    placing_slowest_ms: float = 0.0  # the slowest of those catch-ups

    @property
    def window_start(self) -> datetime:
        return datetime.fromisoformat(self.start)


@dataclass(frozen=True)
class _Event:
    place: str
    countries: tuple[str, ...]
    actors: tuple[str, ...]
    words: tuple[str, ...]  # the headline's parts
    lead: tuple[str, ...]  # the summary's lead words
    minute: float  # when it broke, minutes into the day


def ensure_day(path: Path, articles: int, taxonomy: Taxonomy) -> DayDataset:
    """Reuse the day at `path` if it was fully generated with the same parameters, else build it."""
    meta = path.with_name(path.name + ".json")
    if path.exists() and meta.exists():
        found = DayDataset(**json.loads(meta.read_text(encoding="utf-8")))
        if (found.articles, found.seed, found.version) == (articles, SEED, DAY_VERSION):
            return found
    for stale in (path, meta, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    print(f"generating {articles:,} articles of one day in {path} (once; cached)...", flush=True)
    dataset = asyncio.run(_generate(path, articles, taxonomy))
    meta.write_text(json.dumps(asdict(dataset)), encoding="utf-8")
    return dataset


async def _generate(path: Path, count: int, taxonomy: Taxonomy) -> DayDataset:
    started = time.perf_counter()
    start = datetime(2026, 11, 2, tzinfo=UTC)
    rng = random.Random(SEED)
    reports = list(day_reports(rng, count, taxonomy))
    async with open_storage(path) as storage:
        feed_ids = [
            (await storage.feeds.add(f"http://127.0.0.1:9/day/{n}.xml", start, f"Wire {n}")).id
            for n in range(FEEDS)
        ]
        placing = await _store(storage, feed_ids, reports, start)
    events = len({event for _, event, _ in reports})
    return DayDataset(
        count, SEED, start.isoformat(), events, time.perf_counter() - started, DAY_VERSION,
        sum(placing) / 1000, max(placing),
    )  # fmt: skip


def day_reports(
    rng: random.Random, count: int, taxonomy: Taxonomy
) -> Iterator[tuple[int, int, NewArticle]]:
    """(feed index, event number, article) until `count` articles."""
    vocabulary, tagging = Vocabulary(rng), Tagging(taxonomy, rng)
    made = 0
    for number in range(count):
        event = _event(rng, vocabulary, tagging, taxonomy)
        outlets = rng.choices(REPORTS, REPORT_WEIGHTS)[0]
        for feed in rng.sample(range(FEEDS), outlets):
            yield feed, number, _article(rng, vocabulary, taxonomy, event, made)
            made += 1
            if made == count:
                return


def _event(
    rng: random.Random,
    vocabulary: Vocabulary,
    tagging: Tagging,
    taxonomy: Taxonomy,
) -> _Event:
    countries = tagging.countries(rng)
    actors = tagging.actors(rng, countries)
    who = taxonomy.actors[actors[0]].name if actors else rng.choice(("Gunmen", "Militants"))
    place = taxonomy.countries[countries[0]].name
    verb, noun, town = rng.choice(VERBS), rng.choice(NOUNS), rng.choice(_TOWNS)
    specific = [_specific_word(rng, vocabulary) for _ in range(rng.randint(2, 5))]
    words = (who, verb, noun, "near", town, *specific)
    lead = tuple(vocabulary.sample(rng, 25))
    return _Event(place, tuple(countries), tuple(actors), words, lead, rng.uniform(0, 1380))


def _specific_word(rng: random.Random, vocabulary: Vocabulary) -> str:
    """Headlines name specific things (a town, a unit, a number): words from below the few
    hundred that fill every summary, still skewed towards the commoner ones."""
    return vocabulary.words[300 + min(int(rng.expovariate(1 / 3000)), 30_000)]


def _article(
    rng: random.Random, vocabulary: Vocabulary, taxonomy: Taxonomy, event: _Event, index: int
) -> NewArticle:
    words = list(event.words)
    for _ in range(rng.choice((0, 1, 1, 2))):  # each outlet words it a little differently
        words[rng.randrange(5, len(words))] = vocabulary.sample(rng, 1)[0]
    title = f"{rng.choice(_PREFIXES)}{' '.join(words)} in {event.place}{rng.choice(_TAILS)}"
    own = vocabulary.sample(rng, rng.randint(10, 30))
    shared = [word for word in event.lead if rng.random() < 0.6]
    summary = " ".join([*shared, *own, *(taxonomy.actors[a].name for a in event.actors[1:])])
    published = datetime(2026, 11, 2, tzinfo=UTC) + timedelta(
        minutes=event.minute + rng.uniform(0, 50)
    )
    return NewArticle(
        entry_key=f"day-{index}", guid=f"day-{index}", url=f"https://day.example/{index}",
        title=title, summary=summary, published=published, content_hash=f"{index:016x}",
        tags=_tags(event, title),
    )  # fmt: skip


def _tags(event: _Event, title: str) -> ArticleTags:
    def evidence(name: str) -> tuple[Evidence, ...]:
        return (Evidence(name, "title", max(title.find(name), 0)),)

    countries = tuple(
        CountryTag(code, "location", round(1.0 - 0.2 * rank, 2), evidence(event.place))
        for rank, code in enumerate(event.countries)
    )
    actors = tuple(
        ActorTag(actor, round(0.9 - 0.2 * rank, 2), evidence(actor))
        for rank, actor in enumerate(event.actors)
    )
    return ArticleTags(countries, actors)


async def _store(
    storage: Storage,
    feed_ids: list[int],
    reports: list[tuple[int, int, NewArticle]],
    start: datetime,
) -> list[float]:
    """One store_fetch per outlet per poll: what each poll of that outlet found new; after each
    poll, the articles are placed in stories as the bot's poll job does. The placements' ms."""
    polls: dict[tuple[int, int], list[NewArticle]] = {}
    for feed, _, article in reports:
        assert article.published is not None
        minutes = (article.published - start).total_seconds() / 60
        poll = min(int(minutes // (1440 / POLLS_PER_DAY)) + 1, POLLS_PER_DAY - 1)
        polls.setdefault((poll, feed), []).append(article)
    placer = StoryPlacer(storage, lambda: start)
    placing: list[float] = []
    for poll in sorted({poll for poll, _ in polls}):
        seen = start + timedelta(minutes=poll * 1440 / POLLS_PER_DAY)
        state = FeedState(seen, seen + timedelta(minutes=30))
        for feed in sorted(feed for at, feed in polls if at == poll):
            await storage.articles.store_fetch(
                feed_ids[feed], polls[(poll, feed)], state, seen, backlog=False, tag_version="bench"
            )
        began = time.perf_counter()
        await placer.catch_up()
        placing.append((time.perf_counter() - began) * 1000)
    return placing


# --- baselines -------------------------------------------------------------------------------


def all_pairs_cluster(articles: Sequence[DigestArticle]) -> list[Story]:
    """The old candidate rule: every pair sharing a tag inside the window is compared (same exact
    similarity, vetoes and union-find as cluster()): quadratic in the largest tag bucket."""
    ordered = sorted(articles, key=lambda article: (article.time, article.id))
    texts = [article_text(article) for article in ordered]
    tags = [TagSet.of(article) for article in ordered]
    seconds = [article.time.timestamp() for article in ordered]
    buckets: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, article in enumerate(ordered):
        for key in tag_keys(article):
            buckets[key].append(index)
    scored: dict[tuple[int, int], float | None] = {}
    for members in buckets.values():
        for position, first in enumerate(members):
            for second in members[position + 1 :]:
                if seconds[second] - seconds[first] > DEFAULT_WINDOW.total_seconds():
                    break
                if (first, second) not in scored and tags[first].may_merge(tags[second]):
                    scored[first, second] = match_score(texts[first], texts[second])
    merges = sorted((-score, pair) for pair, score in scored.items() if score is not None)
    groups = _merge(ordered, [pair for _, pair in merges], DEFAULT_WINDOW)
    return [led_story([ordered[index] for index in group]) for group in groups]


def exact_title_groups(articles: Sequence[DigestArticle]) -> list[list[DigestArticle]]:
    """The trivial baseline: articles with the same headline (case and spaces folded) merge."""
    groups: dict[str, list[DigestArticle]] = defaultdict(list)
    for article in articles:
        groups[" ".join(article.title.lower().split())].append(article)
    return list(groups.values())


def merged_pairs(groups: Iterable[Iterable[DigestArticle]]) -> set[tuple[int, int]]:
    pairs: set[tuple[int, int]] = set()
    for group in groups:
        pairs.update(itertools.combinations(sorted(article.id for article in group), 2))
    return pairs


# --- output and timing -----------------------------------------------------------------------


def timed(work: Callable[[], T]) -> tuple[float, T]:
    """Milliseconds `work` took, and its result."""
    start = time.perf_counter()
    result = work()
    return (time.perf_counter() - start) * 1000, result


class ClusteringDigests(Digests):
    """Digests.build as it was before stories were stored: read the window's articles with their
    words and tags, and cluster them all at build time (the baseline)."""

    async def build(
        self,
        window: Window,
        now: datetime,
        countries: frozenset[str] | None = None,
        actors: frozenset[str] | None = None,
        min_sources: int = 1,
    ) -> DigestView:
        articles = await self.articles(window, countries, actors)
        return await asyncio.to_thread(
            build_digest,
            articles,
            self._taxonomy,
            window,
            now,
            self._weights,
            min_sources=min_sources,
        )


# --- (a) a busy day --------------------------------------------------------------------------


@dataclass
class DayRun:
    builds: dict[str, list[float]]  # ms per build by kind; the first of each is cold
    restore_ms: float  # the first catch-up of a new placer: the last 36 h held again
    held: int
    articles: list[DigestArticle]
    stored_pairs: set[tuple[int, int]]  # article pairs in one stored story
    labels: dict[int, str]  # article id -> its event


async def build_day(path: Path, day: DayDataset, taxonomy: Taxonomy, runs: int) -> DayRun:
    window = Window(day.window_start, day.window_start + timedelta(days=1))
    builds: dict[str, list[float]] = {}
    # The index lives in a process of its own, as in the bot (main.build_app).
    async with (
        open_storage(path) as storage,
        story_placer(storage, lambda: window.end, own_process=True) as placer,
    ):
        restore_ms, _ = await _timed(placer.catch_up())
        kinds: list[tuple[str, Digests]] = [
            ("stored", Digests(storage, taxonomy, placer=placer)),
            ("clustering", ClusteringDigests(storage, taxonomy)),
        ]
        for kind, digests in kinds:
            _read.cache_clear()  # the first build of each kind reads every headline afresh
            builds[kind] = []
            for _ in range(runs):
                milliseconds, view = await _timed(digests.build(window, window.end))
                builds[kind].append(milliseconds)
                assert view.articles == day.articles, f"{view.articles} != {day.articles}"
        articles = await Digests(storage, taxonomy).articles(window)
        pairs, labels = await _stored_stories(storage, window, day, taxonomy)
    return DayRun(builds, restore_ms, placer.held, articles, pairs, labels)


async def _stored_stories(
    storage: Storage, window: Window, day: DayDataset, taxonomy: Taxonomy
) -> tuple[set[tuple[int, int]], dict[int, str]]:
    """Pairs of articles in one stored story, and each article's event (from the generator)."""
    events = {
        a.guid: str(e) for _, e, a in day_reports(random.Random(SEED), day.articles, taxonomy)
    }
    stored = await storage.digests.arrived_between(window.start, window.end)
    found = await storage.digests.window_stories(window.start, window.end)
    assert not found.unplaced_ids, "every article of the day is placed when it is generated"
    rows = found.stories
    members: dict[int, list[int]] = defaultdict(list)
    ids = [row.story_id for row in rows]
    for article in await storage.digests.story_articles(window.start, window.end, ids):
        members[article.story_id or 0].append(article.id)
    pairs = {pair for ids in members.values() for pair in itertools.combinations(sorted(ids), 2)}
    return pairs, {article.id: events[article.guid] for article in stored}


async def _timed(work: Awaitable[T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = await work
    return (time.perf_counter() - start) * 1000, result


def bench_day(taxonomy: Taxonomy, runs: int) -> None:
    path = BENCH_DIR / f"digest-day-{DAY_ARTICLES}.db"
    day = ensure_day(path, DAY_ARTICLES, taxonomy)
    run = asyncio.run(build_day(path, day, taxonomy, runs))
    total = f"{len(run.articles):,}"
    subset = run.articles[:BASELINE_ARTICLES]
    _read.cache_clear()
    new_ms, new_stories = timed(lambda: cluster(subset))
    old_ms, old_stories = timed(lambda: all_pairs_cluster(subset))
    scale = (len(run.articles) / len(subset)) ** 2
    warm = {kind: times[1:] for kind, times in run.builds.items()}
    per_article = day.placing_seconds * 1e6 / day.articles
    rows = [
        ["Digests.build, stories stored at ingest, warm", total,
         ms(statistics.median(warm["stored"])), ms(quantile(warm["stored"], 95)), "< 500"],
        ["same, cold (first build in the process)", total, ms(run.builds["stored"][0]), "", ""],
        ["baseline: clustering the window at build time (before), warm", total,
         ms(statistics.median(warm["clustering"])), ms(quantile(warm["clustering"], 95)), ""],
        ["same, cold", total, ms(run.builds["clustering"][0]), "", ""],
        [f"start-up: the last 36 h held again ({run.held:,} articles), in the index process, once per start", "",
         ms(run.restore_ms), "", ""],
        [f"at ingest: placing after each of {POLLS_PER_DAY} polls, in all ({per_article:.0f} µs"
         " per article; slowest poll " + ms(day.placing_slowest_ms) + " ms) *when generated*",
         total, ms(day.placing_seconds * 1000), "", ""],
        ["cluster() alone on the first 5,000, cold", f"{len(subset):,}", ms(new_ms), "", ""],
        ["baseline: all pairs per tag, same 5,000", f"{len(subset):,}", ms(old_ms), "", ""],
        [f"baseline on the whole day (x{scale:.0f}, quadratic) *extrapolated*", total,
         ms(old_ms * scale), "", ""],
    ]  # fmt: skip
    table(
        f"(a) Digest build, 24 h window, {total} articles, {day.events:,} events, {runs} builds each",
        ["case", "articles", "p50 ms", "p95 ms", "target ms"],
        rows,
    )
    found = merged_pairs(story.articles for story in new_stories)
    reference = merged_pairs(story.articles for story in old_stories)
    precision, recall, f1 = pairwise(run.stored_pairs, run.labels)
    print(
        f"\nstored stories against the day's known events: pairwise precision {precision:.3f},"
        f" recall {recall:.3f}, F1 {f1:.3f}.\n"
        f"ratio: clustering at build / stored stories, warm p50 = x"
        f"{statistics.median(warm['clustering']) / statistics.median(warm['stored']):.1f}.\n"
        f"pairs the all-pairs rule merges on the subset: {len(reference):,}; merged by cluster() too:"
        f" {len(found & reference):,} ({len(found & reference) / max(len(reference), 1):.1%});"
        f" merged by cluster() only: {len(found - reference):,}"
    )


# --- (b) the worst case ----------------------------------------------------------------------


def near_identical(count: int, seed: int = 7) -> list[DigestArticle]:
    """`count` reports of one event in one country from FEEDS outlets over 30 hours, each headline
    and lead with up to two words changed."""
    rng = random.Random(seed)
    start = datetime(2026, 11, 2, tzinfo=UTC)
    title = _split("Russian drone strike hits Kharkiv power plant, 3 killed and 12 wounded")
    lead = _split(
        "Officials said the attack on the plant in Kharkiv cut power to thousands of homes"
        " as air defence units engaged drones over the city"
    )
    articles = []
    for index in range(count):
        words, summary = list(title), list(lead)
        for _ in range(rng.randint(0, 2)):
            words[rng.randrange(len(words))] = rng.choice(lead)
            summary[rng.randrange(len(summary))] = rng.choice(title)
        articles.append(DigestArticle(
            index, index % FEEDS, f"Wire {index % FEEDS}", " ".join(words), " ".join(summary),
            None, start + timedelta(minutes=rng.uniform(0, 1800)), ("UA",),
            ("russian-armed-forces",), 0.9, 0.8,
        ))  # fmt: skip
    return articles


def _split(text: str) -> list[str]:
    return text.split()


def bench_worst_case() -> None:
    articles = near_identical(WORST_CASE_ARTICLES)
    _read.cache_clear()
    cold, stories = timed(lambda: cluster(articles))
    warm, _ = timed(lambda: cluster(articles))
    old, old_stories = timed(lambda: all_pairs_cluster(articles))
    rows = [
        ["cluster(), cold", ms(cold), f"{len(stories):,}", str(_largest(stories))],
        ["cluster(), warm", ms(warm), f"{len(stories):,}", str(_largest(stories))],
        ["baseline: all pairs per tag", ms(old), f"{len(old_stories):,}", str(_largest(old_stories))],
    ]  # fmt: skip
    table(
        f"(b) Worst case: {WORST_CASE_ARTICLES:,} near-identical articles, one country, {FEEDS} outlets",
        ["case", "ms", "stories", "largest story"],
        rows,
    )
    print(f"\nratio: all pairs / cluster() cold = x{old / cold:.1f}")


def _largest(stories: Sequence[Story]) -> int:
    return max(len(story.articles) for story in stories)


# --- (c) quality -----------------------------------------------------------------------------


def labeled_set(path: Path = LABELED) -> tuple[list[DigestArticle], dict[int, str]]:
    """The labeled set as DigestArticles (feed ids numbered by source feed) and each id's group."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    feeds: dict[str, int] = {}
    articles = [
        DigestArticle(
            row["id"],
            feeds.setdefault(row["feed"], len(feeds) + 1),
            row["source"],
            row["title"],
            row["summary"],
            None,
            datetime.fromisoformat(row["time"]),
            tuple(row["locations"]),
            tuple(row["actors"]),
            row["location_weight"],
            row["actor_weight"],
        )
        for row in rows
    ]
    return articles, {row["id"]: row["group"] for row in rows}


def pairwise(predicted: set[tuple[int, int]], groups: dict[int, str]) -> tuple[float, float, float]:
    """Precision, recall and F1 over article pairs (precision is 1 when nothing is merged)."""
    members: dict[str, list[int]] = defaultdict(list)
    for article_id, label in groups.items():
        members[label].append(article_id)
    gold = {pair for ids in members.values() for pair in itertools.combinations(sorted(ids), 2)}
    right = len(predicted & gold)
    precision = right / len(predicted) if predicted else 1.0
    recall = right / len(gold) if gold else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _text_only(articles: Sequence[DigestArticle]) -> set[tuple[int, int]]:
    """What the words alone would merge: the tagger's gaps (German items go mostly untagged) set
    aside by giving every item the same location and no actors."""
    alike = [replace(article, locations=("ZZ",), actors=()) for article in articles]
    return merged_pairs(story.articles for story in cluster(alike))


def demo_labeled_set(tagging: TextTagging) -> tuple[list[DigestArticle], dict[int, str]]:
    """The demo week's items, parsed and tagged as the bot does, with their original dates, and
    each id's event (DEMO_LABELED) or a group of its own."""
    articles: list[DigestArticle] = []
    keys: dict[tuple[str, str | None], int] = {}
    for feed_id, path in enumerate(sorted(SAMPLE_FOLDER.glob("*.xml")), start=1):
        try:
            parsed = parse_feed(
                path.read_bytes(), {}, f"http://127.0.0.1:9/{path.name}", DEMO_WEEK_END
            )
        except FeedParseError:
            continue  # the broken feed: nothing to cluster
        tags = tagging.tag_batch(
            [(item.title, item.summary) for item in parsed.articles], markup=False
        )
        for item, item_tags in zip(parsed.articles, tags, strict=True):
            stored = Article(len(articles) + 1, feed_id, path.stem, item.guid, item.url,
                             item.title, item.summary, item.published, DEMO_WEEK_END, False)  # fmt: skip
            articles.append(digest_article(stored, item_tags))
            keys[path.stem, item.guid] = stored.id
    groups = {article.id: f"single-{article.id}" for article in articles}
    with DEMO_LABELED.open(encoding="utf-8", newline="") as labels:
        for row in csv.DictReader(labels):
            groups[keys[row["file"], row["guid"]]] = row["event"]
    return articles, groups


def placed_stories(
    index: StoryIndex, polls: Iterable[Sequence[DigestArticle]]
) -> list[list[DigestArticle]]:
    """Stories as `index` places the articles poll by poll: each article in its final story."""
    placed: dict[int, int] = {}
    articles: list[DigestArticle] = []
    for poll in polls:
        placed.update(stories_of(index.add(poll)))
        articles += poll
    groups: dict[int, list[DigestArticle]] = defaultdict(list)
    for article in articles:
        groups[placed[article.id]].append(article)
    return list(groups.values())


def incremental_groups(articles: Sequence[DigestArticle]) -> list[list[DigestArticle]]:
    """Stories as a StoryIndex places the articles, fed in time order in polls of 20."""
    ordered = sorted(articles, key=lambda article: (article.time, article.id))
    polls = (ordered[start : start + 20] for start in range(0, len(ordered), 20))
    return placed_stories(StoryIndex(), polls)


def bench_quality() -> None:
    bench_quality_german()
    bench_quality_demo()


def bench_quality_german() -> None:
    articles, groups = labeled_set()
    multi = sum(1 for group in set(groups.values()) if list(groups.values()).count(group) > 1)
    rows = []
    for name, found in (
        ("cluster()", merged_pairs(story.articles for story in cluster(articles))),
        ("StoryIndex, as the articles arrive", merged_pairs(incremental_groups(articles))),
        ("baseline: exact headline match", merged_pairs(exact_title_groups(articles))),
        ("diagnostic: cluster(), every item given one shared tag", _text_only(articles)),
    ):
        precision, recall, f1 = pairwise(found, groups)
        rows.append([name, f"{len(found)}", f"{precision:.2f}", f"{recall:.2f}", f"{f1:.2f}"])
    gold = sum(1 for a, b in itertools.combinations(sorted(groups), 2) if groups[a] == groups[b])
    table(
        f"(c) Clustering quality, {LABELED.name}: {len(articles)} real items, {multi} multi-outlet"
        f" events, {gold} same-event pairs",
        ["method", "pairs merged", "precision", "recall", "F1"],
        rows,
    )


def bench_quality_demo() -> None:
    from main import build_tagging  # the composition root: only this part needs the real tagger

    articles, groups = demo_labeled_set(build_tagging(load_settings(environ={})))
    events = set(groups.values())
    sizes = [sum(1 for group in groups.values() if group == event) for event in events]
    multi, gold = sum(size > 1 for size in sizes), sum(size * (size - 1) // 2 for size in sizes)
    rows = []
    for name, stories in (
        ("cluster()", [story.articles for story in cluster(articles)]),
        ("StoryIndex, as the articles arrive", incremental_groups(articles)),
        ("baseline: exact headline match", exact_title_groups(articles)),
    ):
        found = merged_pairs(stories)
        precision, recall, f1 = pairwise(found, groups)
        rows.append([name, f"{len(stories)}", f"{len(found)}", f"{precision:.2f}",
                     f"{recall:.2f}", f"{f1:.2f}"])  # fmt: skip
    table(
        f"(c) Clustering quality, demo week ({DEMO_LABELED.name}): {len(articles)} items,"
        f" {multi} multi-outlet events, {gold} same-event pairs, {len(events)} stories if perfect",
        ["method", "stories", "pairs merged", "precision", "recall", "F1"],
        rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="builds per kind in (a)")
    parser.add_argument("--only", choices=("day", "worst", "quality"), help="run one part only")
    args = parser.parse_args()
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    print(machine_and_speed())
    taxonomy = load_taxonomy(load_settings(environ={}).taxonomy.path)
    gc.freeze()  # as main.build_tagging does: the taxonomy lives as long as the process
    if args.only in (None, "day"):
        bench_day(taxonomy, args.runs)
    if args.only in (None, "worst"):
        bench_worst_case()
    if args.only in (None, "quality"):
        bench_quality()


if __name__ == "__main__":
    main()
