"""Bot benchmarks. Run: .venv/bin/python bench/bot.py [--db PATH] [--articles N] [--only lookups|ack]

1. /lookup latency by region, actor, full text and combined, for since 7d / 30d / all time, on
   N synthetic articles (default 1,000,000; bench/synthetic.py builds them once, about 3 min,
   and caches them at --db), through the real command layer (Commands.plan_lookup +
   lookup_page: count, page, tags of the page), and the same with count_matching's cap.
   Baseline: the floor every lookup pays, the unfiltered newest-10 page and its tags. Then the
   time of each storage call on its own, the database size and the process's RSS.
2. Interaction acknowledgement latency measured AT the loopback Discord server (from sending
   INTERACTION_CREATE to receiving the bot's POST .../callback) for a stream of /lookup and
   /status, while the poller ingests one 5,000-entry feed after another from a loopback feed
   server, on a copy of the same database. Baseline: the same stream with no ingest. Streams:
   storage as it was before (reads queued behind the writer, one write transaction per feed),
   then as built (a read connection, chunked stores) with parsing and tagging in a thread
   (poll.workers = 0) and in a worker process (poll.workers = 1, what `run` uses).

The bot (SitrepBot, the command layer, storage, the real tagger) runs in this process; the
"outside world" (FakeDiscord and the feed server from tests/, see bench/bot_harness.py) runs in
a child process with its own clock and GIL, so it measures what Discord would see. Everything
stays on 127.0.0.1. Prints Markdown tables; a full run takes 4 to 5 minutes once the database
is cached.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bot_harness import (
    ALL_TIME,
    FEED_ENTRIES,
    Acked,
    AckRun,
    Stream,
    World,
    as_before,
    database_mb,
    deferring_after,
    in_workers,
    interaction_plan,
    measured,
    rss_mb,
    shifted_clock,
    sitrep_app,
    timed,
    while_ingesting,
)
from bench.report import machine, ms, quantile, table
from bench.synthetic import Dataset, ensure_dataset, rss_feed
from bot.app import App, Tagging
from bot.commands.service import Commands
from bot.commands.views import LookupRequest
from bot.discord import respond
from bot.discord.client import SitrepBot
from bot.runner import build_scheduler, favour_the_event_loop, scheduled_jobs
from bot.settings import load_settings
from main import build_tagging
from storage import Storage
from storage.articles import STORE_CHUNK
from tests.discord_fake import GUILD_ID
from tests.discord_harness import point_discord_at, start_client, stop_client

DEFAULT_DB = Path(tempfile.gettempdir()) / "sitrep-bench" / "lookup-{articles}.db"
SINCES = (("7d", "7d"), ("30d", "30d"), ("all time", ALL_TIME))
FEEDS_PER_STREAM = 4  # more than a stream lasts: the ingest never pauses
COUNT_CAP = 1000
LATE_DEFERRAL = 1.5  # seconds: what respond.py used before


# --- 1. lookup latency ------------------------------------------------------------------------


@dataclass
class Case:
    label: str
    options: dict[str, Any]
    since: str
    times: list[float] = field(default_factory=list)  # ms, Commands.lookup_page as wired
    capped: list[float] = field(default_factory=list)  # ms, the same with the count capped
    total: int = 0


def lookup_cases(dataset: Dataset) -> list[Case]:
    kinds = [
        ("region: country (Iraq)", {"region": "Iraq"}),
        ("region: Levant (5 countries)", {"region": "Levant"}),
        ("region: Sahel (5 countries)", {"region": "Sahel"}),
        ("actor with children (PMF, 11 ids)", {"actor": "PMF"}),
        (f'full text, common word "{dataset.common_word}"', {"query": dataset.common_word}),
        (f'full text, rare word "{dataset.rare_word}"', {"query": dataset.rare_word}),
        ("region + actor (Iraq + PMF)", {"region": "Iraq", "actor": "PMF"}),
    ]
    return [
        Case(f"{label}, {since_label}", options, since)
        for label, options in kinds
        for since_label, since in SINCES
    ]


async def floor_page(storage: Storage) -> int:
    """The baseline: the newest 10 articles, no filter, no count, and their tags."""
    found = await storage.articles.find(limit=10)
    await storage.tags.for_articles([article.id for article in found])
    return len(found)


async def capped_page(storage: Storage, request: LookupRequest) -> int:
    """What lookup_page does (count, page, tags of the page) with count_matching's cap: the
    one-argument change the command layer can make to show "1,000+" for broad lookups."""
    codes, actor_ids = request.country_codes, request.actor_ids
    total = await storage.articles.count_matching(
        request.since, request.text, COUNT_CAP, located_in=codes, actors=actor_ids
    )
    found = await storage.articles.find(
        request.since, request.text, request.limit, located_in=codes, actors=actor_ids
    )
    await storage.tags.for_articles([article.id for article in found])
    return total


async def run_lookups(
    service: Commands, storage: Storage, cases: list[Case], runs: int
) -> list[float]:
    """Every case `runs` times, interleaved (machine noise spreads over all cases)."""
    floor: list[float] = []
    for round_ in range(runs + 2):  # two warm-up rounds
        elapsed, _ = await timed(floor_page(storage))
        if round_ >= 2:
            floor.append(elapsed)
        for case in cases:
            request = service.plan_lookup(**case.options, since=case.since)
            elapsed, page = await timed(service.lookup_page(request, 0))
            capped, _ = await timed(capped_page(storage, request))
            case.total = page.total
            if round_ >= 2:
                case.times.append(elapsed)
                case.capped.append(capped)
    return floor


@dataclass
class Split:
    count: list[float] = field(default_factory=list)
    capped: list[float] = field(default_factory=list)
    page: list[float] = field(default_factory=list)
    tags: list[float] = field(default_factory=list)


async def split_times(service: Commands, storage: Storage, case: Case, runs: int) -> Split:
    """Where a lookup's time goes: count_matching, find (the page), tags of the page."""
    request = service.plan_lookup(**case.options, since=case.since)
    codes, actor_ids = request.country_codes, request.actor_ids
    articles, split = storage.articles, Split()
    for _ in range(runs):
        elapsed, _ = await timed(
            articles.count_matching(request.since, request.text, located_in=codes, actors=actor_ids)
        )
        split.count.append(elapsed)
        elapsed, _ = await timed(
            articles.count_matching(
                request.since, request.text, COUNT_CAP, located_in=codes, actors=actor_ids
            )
        )
        split.capped.append(elapsed)
        elapsed, found = await timed(
            articles.find(
                request.since, request.text, request.limit, located_in=codes, actors=actor_ids
            )
        )
        split.page.append(elapsed)
        elapsed, _ = await timed(storage.tags.for_articles([a.id for a in found]))
        split.tags.append(elapsed)
    return split


async def lookup_bench(path: Path, dataset: Dataset, tagging: Tagging, runs: int) -> None:
    async with sitrep_app(path, tagging, shifted_clock(dataset)) as app:
        service = Commands(app)
        cases = lookup_cases(dataset)
        floor = await run_lookups(service, app.storage, cases, runs)
        splits = [
            await split_times(service, app.storage, case, max(runs // 4, 5)) for case in cases
        ]
        current, peak = rss_mb()
    base95 = quantile(floor, 95)
    rows_ = [
        ["baseline: newest 10, no filter, no count (+ tags)", "-", ms(statistics.median(floor)), ms(base95), ms(max(floor)), "1.0", "", "", "", ""]
    ]  # fmt: skip
    for case in cases:
        p95, capped95 = quantile(case.times, 95), quantile(case.capped, 95)
        rows_.append([
            case.label, f"{case.total:,}", ms(statistics.median(case.times)), ms(p95),
            ms(max(case.times)), f"{p95 / base95:.1f}" + (" **miss**" if p95 >= 50 else ""),
            ms(statistics.median(case.capped)), ms(capped95), ms(max(case.capped)),
            f"{capped95 / base95:.1f}" + (" **miss**" if capped95 >= 50 else ""),
        ])  # fmt: skip
    header = ["lookup", "matches", "p50 ms", "p95 ms", "max ms", "p95 / baseline", "capped: p50 ms", "p95 ms", "max ms", "p95 / baseline"]  # fmt: skip
    table(
        f"/lookup on {dataset.articles:,} articles, {runs} runs each (target p95 < 50 ms): "
        "Commands.plan_lookup + lookup_page as wired (exact count), and the same with "
        f"count_matching(cap={COUNT_CAP:,})",
        header,
        rows_,
    )
    split_rows = [
        [
            case.label, ms(statistics.median(split.count)), ms(statistics.median(split.capped)),
            ms(statistics.median(split.page)), ms(statistics.median(split.tags)),
        ]
        for case, split in zip(cases, splits, strict=True)
    ]  # fmt: skip
    header = ["lookup", "count_matching", f"count_matching(cap={COUNT_CAP:,})", "find (page of 10)", "tags of the page"]  # fmt: skip
    table("Where the time goes (p50 ms of each storage call on its own)", header, split_rows)
    size = [
        ["database on disk (with WAL)", f"{database_mb(path):,.0f} MiB"],
        ["bytes per article", f"{database_mb(path) * 2**20 / dataset.articles:,.0f}"],
        ["bot process RSS after the lookups (current / peak)", f"{current:,.0f} / {peak:,.0f} MiB"],
    ]  # fmt: skip
    table("Size and memory", ["what", "value"], size)


# --- 2. acknowledgement latency, measured at the loopback Discord server -----------------------


async def ack_bench(
    path: Path, dataset: Dataset, tagging: Tagging, count: int, interval: float
) -> AckRun:
    world = World()
    discord_url = await world.start()
    clock = shifted_clock(dataset)
    # One feed body, renamed per feed: each feed has its own guids and links.
    template = rss_feed(tagging.taxonomy, "feed-0", clock(), FEED_ENTRIES)
    names = [f"feed-{n}" for n in range(FEEDS_PER_STREAM * 4)]
    bodies = {name: template.replace(b"feed-0", name.encode()) for name in names}
    urls = iter([await world.ask(("feed", name, body)) for name, body in bodies.items()])
    plan = interaction_plan(count, dataset)
    streams: list[Stream] = []
    with point_discord_at(discord_url):
        # The worker starts (and builds its tagger) before anything is measured.
        async with sitrep_app(path, tagging, clock) as app, in_workers(app, 1) as pooled:
            scheduler = build_scheduler(app)
            bot = SitrepBot(
                Commands(app, jobs=lambda: scheduled_jobs(scheduler)), scheduler, [GUILD_ID]
            )
            task = await start_client(bot, timeout=30)

            async def ingesting(label: str, pipeline: App) -> None:
                feeds = [next(urls) for _ in range(FEEDS_PER_STREAM)]
                streams.append(await while_ingesting(label, world, pipeline, feeds, plan, interval))

            try:
                # The bench polls through the poll job's own function, when it chooses: no job
                # runs meanwhile (a tick would poll the same feed twice, a prune would compete).
                scheduler.pause()
                await asyncio.sleep(1.0)  # start-up work (command sync) settles
                quiet = Stream("baseline: no ingest", [])
                quiet.acked = await measured(world, plan, interval, quiet.lags)
                streams.append(quiet)
                with as_before(app.storage), deferring_after(LATE_DEFERRAL):
                    await ingesting("before: one connection, a write transaction per feed, parse and tag in a thread, defer after 1.5 s", app)  # fmt: skip
                await ingesting(f"now: read connection, stores of {STORE_CHUNK}, parse and tag in a process, defer after {respond.ANSWER_DIRECTLY_WITHIN * 1000:.0f} ms", pooled)  # fmt: skip
                # What deferring every interaction at once would give (not the shipped setting).
                with deferring_after(0.0):
                    await ingesting("experiment: as now, but defer every interaction at once", pooled)  # fmt: skip
            finally:
                await stop_client(bot, task)
    problems = await world.stop()
    return AckRun(streams, problems)


def ack_row(label: str, picked: list[Acked], base99: float | None) -> list[str]:
    latencies = [latency for _, _, latency, _ in picked if latency is not None]
    if not latencies:
        return [label, str(len(picked)), "-", "-", "-", "-", "-", "-"]
    deferred = sum(1 for *_, kind in picked if kind == 5)
    late = len(picked) - sum(1 for *_, kind in picked if kind is not None)
    p99 = quantile(latencies, 99)
    ratio = "1.0" if base99 is None else f"{p99 / base99:.1f}"
    return [
        label, str(len(picked)), ms(statistics.median(latencies)), ms(p99), ms(max(latencies)),
        str(deferred), str(late), ratio + (" **miss**" if p99 >= 250 else ""),
    ]  # fmt: skip


def during_write(acked: Acked, writes: list[tuple[float, float]]) -> bool:
    """Was the interaction waiting while a feed was being stored (its write transactions)?"""
    _, dispatched, latency, _ = acked
    answered = dispatched + (latency or 0) / 1000
    return any(start < answered and dispatched < end for start, end in writes)


def report_ack(run: AckRun, interval: float) -> None:
    quiet, *busy = run.streams
    base99 = quantile([latency for _, _, latency, _ in quiet.acked if latency is not None], 99)
    rows_ = [
        ack_row(f"{quiet.label}: all", quiet.acked, None),
        ack_row("  /lookup", [a for a in quiet.acked if a[0] == "lookup"], None),
        ack_row("  /status", [a for a in quiet.acked if a[0] == "status"], None),
    ]
    for stream in busy:
        assert stream.ingest is not None
        writes = stream.ingest.writes
        rows_ += [
            ack_row(f"{stream.label}: all", stream.acked, base99),
            ack_row("  /lookup", [a for a in stream.acked if a[0] == "lookup"], base99),
            ack_row("  /status", [a for a in stream.acked if a[0] == "status"], base99),
            ack_row("  waiting across a feed's store", [a for a in stream.acked if during_write(a, writes)], base99),
            ack_row("  not (during fetch, parse, tag)", [a for a in stream.acked if not during_write(a, writes)], base99),
        ]  # fmt: skip
    table(
        f"Interaction acknowledgement latency at the loopback Discord server, {len(quiet.acked)} "
        f"interactions per stream, one every {interval * 1000:.0f} ms; ingest: one {FEED_ENTRIES:,}-entry "
        "feed after another (target p99 < 250 ms)",
        ["stream", "n", "p50 ms", "p99 ms", "max ms", "deferred", "lost (no ack within 3 s)", "p99 / baseline"],
        rows_,
    )  # fmt: skip
    ingest_rows = [["baseline: no ingest", "-", "-", "-", f"{ms(quantile(quiet.lags, 99))} / {ms(max(quiet.lags))}"]]  # fmt: skip
    for stream in busy:
        assert stream.ingest is not None
        ingest_rows.append([
            stream.label,
            ", ".join(f"{s:.1f}" for s in stream.ingest.seconds),
            ", ".join(f"{n:,}" for n in stream.ingest.stored),
            ", ".join(f"{(end - start) * 1000:,.0f}" for start, end in stream.ingest.writes),
            f"{ms(quantile(stream.lags, 99))} / {ms(max(stream.lags))}",
        ])  # fmt: skip
    header = ["stream", "feeds polled, s each (fetch; parse and tag off the loop; store)", "articles stored", "store_fetch ms (its write transactions)", "event-loop lag p99 / max ms"]  # fmt: skip
    table("The ingest during each stream, and the bot's event loop", header, ingest_rows)


# --- main -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--articles", type=int, default=1_000_000, help="synthetic articles")
    parser.add_argument(
        "--db", type=Path, help="cached synthetic database (default: in the temp dir)"
    )
    parser.add_argument("--runs", type=int, default=50, help="runs per lookup case")
    parser.add_argument("--interactions", type=int, default=600, help="interactions per stream")
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between interactions")
    parser.add_argument("--only", choices=("lookups", "ack"), help="run one part only")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="  log: %(name)s: %(message)s")
    # The poll job's first tick is due at the dataset's (shifted) "now": APScheduler calls it
    # missed. The bench polls through the job's own function instead.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    path = args.db or Path(str(DEFAULT_DB).format(articles=args.articles))
    path.parent.mkdir(parents=True, exist_ok=True)
    print(machine())
    favour_the_event_loop()  # as `run` does
    tagging = build_tagging(load_settings(environ={}))
    dataset = ensure_dataset(path, args.articles, tagging.taxonomy)
    if args.only in (None, "lookups"):
        asyncio.run(lookup_bench(path, dataset, tagging, args.runs))
    if args.only in (None, "ack"):
        with tempfile.TemporaryDirectory(dir=path.parent) as folder:
            copy = Path(folder) / "ack.db"
            shutil.copyfile(path, copy)  # the ingest writes: keep the cached dataset as it is
            run = asyncio.run(ack_bench(copy, dataset, tagging, args.interactions, args.interval))
        report_ack(run, args.interval)
        if run.problems:
            print(f"\nFakeDiscord refused or failed: {run.problems[:10]}")


if __name__ == "__main__":
    main()
