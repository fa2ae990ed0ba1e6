"""The harness of bench/bot.py: the app wired as main.build_app wires it, the "outside world"
(FakeDiscord stamping acknowledgements, the loopback feed server) in a child process with its
own clock and GIL, and the ingest that runs while a stream of interactions is measured."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, cast

import storage.articles
from bench.synthetic import Dataset
from bot.app import App, Tagging
from bot.digest.placement import StoryPlacer, story_placer
from bot.discord import respond
from bot.ingest.fetch import Fetcher, FetchLimits
from bot.ingest.guard import AddressPolicy
from bot.ingest.poller import Poller
from bot.ingest.schedule import PollPolicy
from bot.runner import poll_due_feeds
from bot.settings import load_settings
from main import parse_executor, poll_tagger
from storage import Storage, open_storage
from tests.discord_fake import FakeDiscord, RecordedRequest, Reply
from tests.feedserver import FeedServer

ALL_TIME = "2000-01-01"  # before any synthetic article: "all time" as a user would type it
FEED_ENTRIES = 5000
DISCORD_ACK_DEADLINE = 3.0


async def timed(work: Awaitable[Any]) -> tuple[float, Any]:
    """(milliseconds, result) of awaiting `work`."""
    start = time.perf_counter()
    result = await work
    return (time.perf_counter() - start) * 1000, result


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
        yield App(
            load_settings(environ={}), storage, poller, tagging, clock, StoryPlacer(storage, clock)
        )


def shifted_clock(dataset: Dataset) -> Callable[[], datetime]:
    """Real time moved back to the dataset's creation, so "7d" always means the same rows."""
    offset = datetime.now(UTC) - dataset.clock
    return lambda: datetime.now(UTC) - offset


# --- the outside world: FakeDiscord and the feed server, in a child process --------------------

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
    connection.send(discord.base_url)
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

    async def start(self) -> str:
        """Start the child process; FakeDiscord's base URL (for point_discord_at)."""
        self.process.start()
        return cast(str, await self.ask(None))

    async def ask(self, message: object) -> Any:
        if message is not None:
            self.connection.send(message)
        return await asyncio.to_thread(self.connection.recv)

    async def stop(self) -> list[str]:
        problems = cast(list[str], await self.ask(("stop",)))
        self.process.join(10)
        return problems


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


@contextlib.contextmanager
def as_before(opened: Storage) -> Iterator[None]:
    """Storage as it was before the read connection and chunked stores: reads queue on the
    writer's thread, and a feed's articles are one write transaction."""
    database, chunk = opened.database, storage.articles.STORE_CHUNK
    reader, database.reader = database.reader, database.connection
    storage.articles.STORE_CHUNK = 10**9
    try:
        yield
    finally:
        database.reader, storage.articles.STORE_CHUNK = reader, chunk


@contextlib.asynccontextmanager
async def in_workers(app: App, workers: int) -> AsyncIterator[App]:
    """The app with a poller that parses and tags in `workers` processes, as `run` wires it
    (main.parse_executor), and its story index in a process of its own (main.build_app);
    returned once every worker has built its tagger."""
    async with (
        parse_executor(load_settings(environ={}), workers) as executor,
        Fetcher(FetchLimits(), AddressPolicy(allow_private=True)) as fetcher,
        story_placer(app.storage, app.clock, own_process=True) as placer,
    ):
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(executor, int) for _ in range(workers)))
        tagger = poll_tagger(app.tagging, executor)
        poller = Poller(app.storage, fetcher, PollPolicy(), executor, tagger, app.clock)
        await placer.catch_up()  # the index process starts and holds the recent stories
        yield replace(app, poller=poller, stories=placer)


@contextlib.contextmanager
def deferring_after(seconds: float) -> Iterator[None]:
    """respond.fast_or_deferred (and the page buttons) deferring after `seconds`."""
    before = respond.ANSWER_DIRECTLY_WITHIN
    respond.ANSWER_DIRECTLY_WITHIN = seconds
    try:
        yield
    finally:
        respond.ANSWER_DIRECTLY_WITHIN = before
