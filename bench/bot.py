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
   server, on a copy of the same database. Baseline: the same stream with no ingest. Then
   experiments that show what dominates: commands reading through a second connection, and
   parsing and tagging in a worker process.

The bot (SitrepBot, the command layer, storage, the real tagger) runs in this process; the
"outside world" (FakeDiscord and the feed server from tests/) runs in a child process with its
own clock and GIL, so it measures what Discord would see. Everything stays on 127.0.0.1.
Prints Markdown tables; a full run takes 3 to 4 minutes once the database is cached.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import logging
import multiprocessing
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.synthetic import Dataset, ensure_dataset, rss_feed
from bot.app import App, Tagging
from bot.commands.service import Commands
from bot.commands.views import LookupRequest
from bot.discord.client import SitrepBot
from bot.ingest.fetch import Fetcher, FetchLimits
from bot.ingest.guard import AddressPolicy
from bot.ingest.poller import Poller
from bot.ingest.schedule import PollPolicy
from bot.runner import POLL_JOB_ID, build_scheduler, poll_due_feeds, scheduled_jobs
from bot.settings import load_settings
from main import build_tagging
from storage import Storage, open_storage
from storage.types import ArticleTags
from tests.discord_fake import GUILD_ID, FakeDiscord, RecordedRequest, Reply
from tests.discord_harness import point_discord_at, start_client, stop_client
from tests.feedserver import FeedServer

DEFAULT_DB = Path(tempfile.gettempdir()) / "sitrep-bench" / "lookup-{articles}.db"
ALL_TIME = "2000-01-01"  # before any synthetic article: "all time" as a user would type it
SINCES = (("7d", "7d"), ("30d", "30d"), ("all time", ALL_TIME))
FEED_ENTRIES = 5000
FEEDS_PER_STREAM = 4  # more than a stream lasts: the ingest never pauses
COUNT_CAP = 1000
DISCORD_ACK_DEADLINE = 3.0


def table(title: str, header: list[str], rows_: list[list[str]]) -> None:
    print(f"\n### {title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows_:
        print("| " + " | ".join(row) + " |")
    sys.stdout.flush()


def quantile(values: Sequence[float], q: int) -> float:
    """The q-th percentile (inclusive method); the value itself for tiny samples."""
    if len(values) < 2:
        return max(values, default=0.0)
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def ms(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident memory of this process, MiB."""
    fields = dict(
        line.split(":", 1)
        for line in Path("/proc/self/status").read_text().splitlines()
        if ":" in line
    )
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def database_mb(path: Path) -> float:
    files = [Path(f"{path}{suffix}") for suffix in ("", "-wal")]
    return sum(item.stat().st_size for item in files if item.exists()) / 2**20


# --- the app, wired as main.build_app wires it ------------------------------------------------


@contextlib.asynccontextmanager
async def sitrep_app(
    path: Path, tagging: Tagging, clock: Callable[[], datetime]
) -> AsyncIterator[App]:
    """Real storage, a fetcher allowed to reach 127.0.0.1, the poller with the real tagger."""
    async with (
        open_storage(path) as storage,
        Fetcher(FetchLimits(), AddressPolicy(allow_private=True)) as fetcher,
    ):
        poller = Poller(storage, fetcher, PollPolicy(), tagger=tagging, clock=clock)
        yield App(load_settings(environ={}), storage, poller, tagging, clock)


def shifted_clock(dataset: Dataset) -> Callable[[], datetime]:
    """Real time moved back to the dataset's creation, so "7d" always means the same rows."""
    offset = datetime.now(UTC) - dataset.clock
    return lambda: datetime.now(UTC) - offset


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


async def timed(work: Awaitable[Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = await work
    return (time.perf_counter() - start) * 1000, result


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

# One interaction as the server saw it: (command, dispatched at (time.monotonic, shared by both
# processes on Linux), acknowledgement latency ms or None, callback type: 4 answer, 5 deferral).
Acked = tuple[str, float, float | None, int | None]


class TimedDiscord(FakeDiscord):
    """FakeDiscord that stamps when each interaction callback arrives, on the loop clock that
    stamped `InteractionState.created` at dispatch (asyncio's clock is time.monotonic)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.acked_at: dict[str, float] = {}
        self.acked: dict[str, asyncio.Event] = {}

    async def _callback(self, record: RecordedRequest, interaction_id: str, token: str) -> Reply:
        self.acked_at.setdefault(token, asyncio.get_running_loop().time())
        reply = await super()._callback(record, interaction_id, token)
        self.acked.setdefault(token, asyncio.Event()).set()
        return reply

    async def stream(
        self, plan: Sequence[tuple[str, dict[str, Any]]], interval: float
    ) -> list[Acked]:
        """Dispatch `plan` open-loop, one every `interval` s (a slow bot does not slow its users
        down), wait for every acknowledgement and every final reply (so no work is left running
        in the bot), and say when each was acknowledged."""
        loop = asyncio.get_running_loop()
        start, sent = loop.time(), []
        for index, (command, options) in enumerate(plan):
            await asyncio.sleep(max(0.0, start + index * interval - loop.time()))
            sent.append(await self.dispatch_slash_command(command, options))
        deadline = loop.time() + DISCORD_ACK_DEADLINE + 2
        for interaction in sent:
            event = self.acked.setdefault(interaction.token, asyncio.Event())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), max(0.0, deadline - loop.time()))
        answered = [s for s in sent if s.state.acked_type is not None]  # accepted in time
        if answered:
            await asyncio.wait(
                [asyncio.ensure_future(s.reply(timeout=60)) for s in answered], timeout=60
            )
        results: list[Acked] = []
        for interaction in sent:
            acked = self.acked_at.get(interaction.token)
            created = interaction.state.created
            latency = None if acked is None else (acked - created) * 1000
            name = interaction.payload["data"]["name"]
            results.append((name, created, latency, interaction.state.acked_type))
        return results

    def refused(self) -> list[str]:
        return [r.summary() for r in self.requests if r.status >= 400]


def outside_world(connection: Connection) -> None:
    """Child process: FakeDiscord and the feed server, driven over `connection`."""
    asyncio.run(_outside_world(connection))


async def _outside_world(connection: Connection) -> None:
    discord = TimedDiscord(ack_deadline=DISCORD_ACK_DEADLINE)
    feeds = FeedServer()
    await discord.start()
    await feeds.start()
    connection.send((discord.api_base, discord.gateway_url))
    while True:
        message = await asyncio.to_thread(connection.recv)
        if message[0] == "feed":
            _, name, body = message
            feeds.feeds[name] = body
            connection.send(feeds.url(f"feed/{name}"))
        elif message[0] == "stream":
            _, plan, interval = message
            connection.send(await discord.stream(plan, interval))
        else:
            break
    await feeds.stop()
    await discord.stop()
    connection.send(discord.refused() + [repr(error) for error in discord.errors])


class World:
    """The bot's side of the pipe to the child process."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")  # never fork a process with threads
        self.connection, child = context.Pipe()
        self.process = context.Process(target=outside_world, args=(child,), daemon=True)

    async def start(self) -> tuple[str, str]:
        self.process.start()
        return cast(tuple[str, str], await self.ask(None))

    async def ask(self, message: object) -> Any:
        if message is not None:
            self.connection.send(message)
        return await asyncio.to_thread(self.connection.recv)

    async def stop(self) -> list[str]:
        problems = cast(list[str], await self.ask(("stop",)))
        self.process.join(10)
        return problems


@dataclass(frozen=True)
class Endpoints:
    """What point_discord_at reads of a FakeDiscord, for one running in another process."""

    api_base: str
    gateway_url: str


def interaction_plan(count: int, dataset: Dataset) -> list[tuple[str, dict[str, Any]]]:
    """What a busy desk asks: mostly lookups (default 7 days), some /status."""
    mix: list[tuple[str, dict[str, Any]]] = [
        ("lookup", {"region": "Iraq"}),
        ("lookup", {"actor": "KH"}),
        ("status", {}),
        ("lookup", {"region": "Levant", "since": "30d"}),
        ("lookup", {"query": dataset.common_word}),
        ("lookup", {"region": "Sahel", "actor": "JNIM", "since": "30d"}),
        ("lookup", {"actor": "PMF", "limit": 5}),
        ("status", {}),
        ("lookup", {"query": dataset.rare_word, "since": ALL_TIME}),
        ("lookup", {"region": "Ukraine", "since": "24h"}),
    ]
    return [mix[index % len(mix)] for index in range(count)]


@dataclass
class Ingest:
    seconds: list[float] = field(default_factory=list)
    stored: list[int] = field(default_factory=list)
    writes: list[tuple[float, float]] = field(default_factory=list)  # store_fetch (start, end)


async def keep_ingesting(app: App, urls: list[str], stop: asyncio.Event, ingest: Ingest) -> None:
    """Poll one fresh 5,000-entry feed after another until `stop` is set, through the function
    the scheduler's poll job runs (fetch, parse and tag off the loop, store)."""
    for url in urls:
        if stop.is_set():
            return
        await app.storage.feeds.add(url, app.clock(), url.rsplit("/", 1)[-1])
        elapsed, _ = await timed(poll_due_feeds(app))
        ingest.seconds.append(elapsed / 1000)
    print("  (ran out of prepared feeds before the stream ended)", file=sys.stderr)


@contextlib.contextmanager
def timing_store_fetch(app: App, ingest: Ingest) -> Iterator[None]:
    """Record when each store_fetch (one write transaction on the database thread) runs."""
    articles = app.storage.articles
    original = articles.store_fetch

    async def store_fetch(*args: Any, **kwargs: Any) -> list[int]:
        start = time.monotonic()
        ids = await original(*args, **kwargs)
        ingest.writes.append((start, time.monotonic()))
        ingest.stored.append(len(ids))
        return ids

    articles.store_fetch = store_fetch  # type: ignore[method-assign]
    try:
        yield
    finally:
        del articles.store_fetch  # the class's method again


async def loop_lag(stop: asyncio.Event, lags: list[float]) -> None:
    """How late 5 ms sleeps wake up on the bot's loop (ms)."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        start = loop.time()
        await asyncio.sleep(0.005)
        lags.append((loop.time() - start - 0.005) * 1000)


class TaggerInWorker:
    """A picklable stand-in for the tagger, for a process pool: each worker process builds the
    real tagger once (the Tagging object itself does not pickle)."""

    def __init__(self, version: str) -> None:
        self.version = version

    def tag_batch(self, items: Sequence[tuple[str, str]]) -> list[ArticleTags]:
        return _worker_tagging().tag_batch(items)


@functools.cache
def _worker_tagging() -> Tagging:
    return build_tagging(load_settings(environ={}))


def _warm_worker() -> int:
    return len(_worker_tagging().tag_batch([("Warm-up in Baghdad", "")]))


@contextlib.asynccontextmanager
async def pooled_poller(app: App) -> AsyncIterator[App]:
    """The app with a poller that parses and tags in one worker process (Poller's executor)."""
    assert app.tagging is not None
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        await asyncio.get_running_loop().run_in_executor(pool, _warm_worker)
        tagger = TaggerInWorker(app.tagging.version)
        async with Fetcher(FetchLimits(), AddressPolicy(allow_private=True)) as fetcher:
            poller = Poller(app.storage, fetcher, PollPolicy(), pool, tagger, app.clock)
            yield replace(app, poller=poller)


@dataclass
class Stream:
    """One stream of interactions, with the ingest that ran meanwhile (if any)."""

    label: str
    acked: list[Acked]
    ingest: Ingest | None = None
    lags: list[float] = field(default_factory=list)


@dataclass
class AckRun:
    streams: list[Stream]
    problems: list[str]


async def measured(
    world: World, plan: list[tuple[str, dict[str, Any]]], interval: float, lags: list[float]
) -> list[Acked]:
    stop = asyncio.Event()
    ticker = asyncio.create_task(loop_lag(stop, lags))
    results = cast(list[Acked], await world.ask(("stream", plan, interval)))
    stop.set()
    await ticker
    return results


async def while_ingesting(
    label: str,
    world: World,
    app: App,
    urls: list[str],
    plan: list[tuple[str, dict[str, Any]]],
    interval: float,
) -> Stream:
    stream = Stream(label, [], Ingest())
    assert stream.ingest is not None
    with timing_store_fetch(app, stream.ingest):
        stop = asyncio.Event()
        ingesting = asyncio.create_task(keep_ingesting(app, urls, stop, stream.ingest))
        await asyncio.sleep(0.5)  # the first fetch is under way
        stream.acked = await measured(world, plan, interval, stream.lags)
        stop.set()
        await ingesting
    return stream


async def ack_bench(
    path: Path, dataset: Dataset, tagging: Tagging, count: int, interval: float
) -> AckRun:
    world = World()
    api_base, gateway_url = await world.start()
    clock = shifted_clock(dataset)
    # One feed body, renamed per feed: each feed has its own guids and links.
    template = rss_feed(tagging.taxonomy, "feed-0", clock(), FEED_ENTRIES)
    names = [f"feed-{n}" for n in range(FEEDS_PER_STREAM * 4)]
    bodies = {name: template.replace(b"feed-0", name.encode()) for name in names}
    urls = iter([await world.ask(("feed", name, body)) for name, body in bodies.items()])
    plan = interaction_plan(count, dataset)
    streams: list[Stream] = []
    with point_discord_at(cast(FakeDiscord, Endpoints(api_base, gateway_url))):
        async with sitrep_app(path, tagging, clock) as app, open_storage(path) as second:
            scheduler = build_scheduler(app)
            service = Commands(app, jobs=lambda: scheduled_jobs(scheduler))
            # Experiment 1: commands read through a connection of their own (WAL: readers never
            # wait for the writer), what a read connection in storage.db would give.
            reader = Commands(replace(app, storage=second), jobs=lambda: scheduled_jobs(scheduler))
            bot = SitrepBot(service, scheduler, [GUILD_ID])
            task = await start_client(bot, timeout=30)

            async def ingesting(label: str, commands: Commands, pipeline: App) -> None:
                bot.service = commands
                feeds = [next(urls) for _ in range(FEEDS_PER_STREAM)]
                streams.append(await while_ingesting(label, world, pipeline, feeds, plan, interval))

            try:
                # The bench polls through the job's own function, when it chooses: pause the
                # job so that its 30 s tick never polls the same feed a second time meanwhile.
                scheduler.pause_job(POLL_JOB_ID)
                await asyncio.sleep(1.0)  # start-up work (command sync) settles
                quiet = Stream("baseline: no ingest", [])
                quiet.acked = await measured(world, plan, interval, quiet.lags)
                streams.append(quiet)
                await ingesting("during ingest, as wired", service, app)
                await ingesting("exp. 1: commands on a 2nd connection", reader, app)
                # Experiment 2: parsing and tagging in a worker process (the Poller's executor
                # argument), so the bot's process no longer shares its GIL with them.
                async with pooled_poller(app) as pooled:
                    await ingesting("exp. 2: parse and tag in a process pool", service, pooled)
                    await ingesting("exp. 1 + 2", reader, pooled)
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
    """Was the interaction waiting while a write transaction held the database thread?"""
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
            ack_row("  waiting across a feed's write transaction", [a for a in stream.acked if during_write(a, writes)], base99),
            ack_row("  not (during fetch, parse, tag)", [a for a in stream.acked if not during_write(a, writes)], base99),
        ]  # fmt: skip
    table(
        f"Interaction acknowledgement latency at the loopback Discord server, {len(quiet.acked)} "
        f"interactions per stream, one every {interval * 1000:.0f} ms; ingest: one {FEED_ENTRIES:,}-entry "
        "feed after another (target p99 < 250 ms)",
        ["stream", "n", "p50 ms", "p99 ms", "max ms", "deferred (after 1.5 s)", "lost (no ack within 3 s)", "p99 / baseline"],
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
    header = ["stream", "feeds polled, s each (fetch; parse and tag off the loop; store)", "articles stored", "store_fetch ms (one write transaction)", "event-loop lag p99 / max ms"]  # fmt: skip
    table("The ingest during each stream, and the bot's event loop", header, ingest_rows)


# --- main -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--articles", type=int, default=1_000_000, help="synthetic articles")
    parser.add_argument(
        "--db", type=Path, help="cached synthetic database (default: in the temp dir)"
    )
    parser.add_argument("--runs", type=int, default=50, help="runs per lookup case")
    parser.add_argument("--interactions", type=int, default=200, help="interactions per stream")
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between interactions")
    parser.add_argument("--only", choices=("lookups", "ack"), help="run one part only")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="  log: %(name)s: %(message)s")
    # The poll job's first tick is due at the dataset's (shifted) "now": APScheduler calls it
    # missed. The bench polls through the job's own function instead.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    path = args.db or Path(str(DEFAULT_DB).format(articles=args.articles))
    path.parent.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    print(
        f"Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, {os.cpu_count()} cores, "
        f"load {load[0]:.1f}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )
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
