"""Ingest benchmarks. Run: .venv/bin/python bench/ingest.py [--feeds 1000] [--quick]

1. Parse + normalise + store on the real-feeds corpus vs bare feedparser.parse of the same bytes.
2. A polling pass over N loopback feeds (90% answer 304): wall, CPU, requests, peak memory,
   against a bare aiohttp loop making the same conditional requests (no parsing, no storage).
3. Event-loop lag while a 5,000-entry feed is polled, vs parsing the same feed on the loop.

Everything runs on 127.0.0.x. Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import multiprocessing
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import feedparser
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import table
from bot.app import Tagging
from bot.ingest.fetch import Fetcher, FetchLimits
from bot.ingest.guard import AddressPolicy
from bot.ingest.parse import FeedParseError, parse_feed
from bot.ingest.poller import Poller
from bot.ingest.schedule import PollPolicy
from bot.settings import load_settings
from main import build_tagging
from storage import open_storage
from storage.types import FeedState

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real-feeds"
HOSTS = [f"127.0.0.{n}" for n in range(1, 51)]


# --- 1. throughput ---------------------------------------------------------------------------


def bare_feedparser(bodies: list[bytes]) -> tuple[float, int]:
    start, entries = time.perf_counter(), 0
    for body in bodies:
        entries += len(feedparser.parse(io.BytesIO(body)).entries)
    return time.perf_counter() - start, entries


async def full_pipeline(
    bodies: list[bytes], folder: Path, tagging: Tagging | None = None
) -> tuple[float, int]:
    now = datetime.now(UTC)
    async with open_storage(folder / f"bench-{time.monotonic_ns()}.db") as storage:
        start, stored = time.perf_counter(), 0
        for index, body in enumerate(bodies):
            feed = await storage.feeds.add(f"https://feed{index}.example/rss", now)
            try:
                parsed = parse_feed(body, {}, feed.url, now)
            except FeedParseError:
                continue
            articles = parsed.articles
            if tagging is not None:
                tags = tagging.tag_batch([(a.title, a.summary) for a in articles], markup=False)
                articles = [replace(a, tags=t) for a, t in zip(articles, tags, strict=True)]
            state = FeedState(now, now, title=parsed.title)
            version = tagging.version if tagging else None
            stored += len(
                await storage.articles.store_fetch(feed.id, articles, state, now, True, version)
            )
        return time.perf_counter() - start, stored


def bench_throughput(rounds: int, tagging: Tagging) -> None:
    bodies = [path.read_bytes() for path in sorted(CORPUS.glob("*.xml"))]
    megabytes = sum(map(len, bodies)) / 1e6
    with tempfile.TemporaryDirectory() as folder:
        bare = min(bare_feedparser(bodies) for _ in range(rounds))
        ours = min(asyncio.run(full_pipeline(bodies, Path(folder))) for _ in range(rounds))
        tagged = min(
            asyncio.run(full_pipeline(bodies, Path(folder), tagging)) for _ in range(rounds)
        )
    rows = [
        ["bare feedparser.parse (baseline)", f"{bare[0]:.2f}", f"{megabytes / bare[0]:.2f}", f"{bare[1] / bare[0]:.0f}", "1.00"],
        ["parse + normalise + store (ours)", f"{ours[0]:.2f}", f"{megabytes / ours[0]:.2f}", f"{ours[1] / ours[0]:.0f}", f"{bare[0] / ours[0]:.2f}"],
        ["parse + normalise + tag + store (ours)", f"{tagged[0]:.2f}", f"{megabytes / tagged[0]:.2f}", f"{tagged[1] / tagged[0]:.0f}", f"{bare[0] / tagged[0]:.2f}"],
    ]  # fmt: skip
    table(
        f"Throughput on real-feeds ({len(bodies)} files, {megabytes:.1f} MB; best of {rounds})",
        ["pipeline", "seconds", "MB/s", "entries/s", "throughput vs baseline"],
        rows,
    )
    print(
        f"\nentries: baseline parsed {bare[1]}, ours stored {ours[1]} (duplicates across files stored once)"
    )


# --- 2. a 304-heavy polling pass -------------------------------------------------------------


def small_feed(index: int, version: int) -> bytes:
    items = "".join(
        f"<item><guid>f{index}-v{version}-{i}</guid>"
        f"<title>Story {i} v{version} of feed {index}</title>"
        f"<link>https://news{index}.example/{version}/{i}</link>"
        f"<description>Text {i}</description></item>"
        for i in range(10)
    )
    return (
        f'<rss version="2.0"><channel><title>Feed {index}</title>{items}</channel></rss>'.encode()
    )


def serve_feeds(port_queue: multiprocessing.Queue[int], count: int) -> None:
    """Separate process: N feeds on 50 loopback addresses; every 10th changes on each request."""
    hits = {"requests": 0, "not_modified": 0}
    versions = dict.fromkeys(range(count), 0)

    async def feed(request: web.Request) -> web.Response:
        hits["requests"] += 1
        index = int(request.match_info["index"])
        if index % 10 == 0:
            versions[index] += 1
        etag = f'"{index}-{versions[index]}"'
        if request.headers.get("If-None-Match") == etag:
            hits["not_modified"] += 1
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(
            body=small_feed(index, versions[index]),
            headers={"ETag": etag},
            content_type="application/rss+xml",
        )

    async def stats(request: web.Request) -> web.Response:
        return web.json_response(hits)

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/feed/{index}", feed)
        app.router.add_get("/stats", stats)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        first = web.TCPSite(runner, HOSTS[0], 0)
        await first.start()
        port = first._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        for host in HOSTS[1:]:
            await web.TCPSite(runner, host, port).start()
        port_queue.put(port)
        await asyncio.sleep(3600)

    asyncio.run(main())


def feed_urls(port: int, count: int) -> list[str]:
    return [f"http://{HOSTS[i % len(HOSTS)]}:{port}/feed/{i}" for i in range(count)]


async def server_stats(port: int) -> dict[str, int]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://{HOSTS[0]}:{port}/stats") as response,
    ):
        return dict(await response.json())


async def bare_conditional_pass(urls: list[str], etags: dict[str, str]) -> None:
    """Baseline: the same requests from a plain aiohttp loop, no parsing, no storage."""
    connector = aiohttp.TCPConnector(limit=32, limit_per_host=2)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(url: str) -> None:
            headers = {"If-None-Match": etags[url]} if url in etags else {}
            async with session.get(url, headers=headers) as response:
                await response.read()
                etags[url] = response.headers.get("ETag", "")

        await asyncio.gather(*(one(url) for url in urls))


def measure(run: object) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    asyncio.run(run)  # type: ignore[arg-type]
    return time.perf_counter() - wall, time.process_time() - cpu


async def sitrep_pass(db: Path, urls: list[str], warm: bool, tagging: Tagging) -> int:
    limits = FetchLimits(concurrency=32, per_host_concurrency=2)
    async with (
        open_storage(db) as storage,
        Fetcher(limits, AddressPolicy(allow_private=True)) as fetcher,
    ):
        if warm:
            await storage.feeds.add_many([(url, None) for url in urls], datetime.now(UTC))
        poller = Poller(storage, fetcher, PollPolicy(), tagger=tagging)
        results = await poller.poll(await poller.due_feeds(everything=True))
        return sum(result.new for result in results)


def bench_polling(count: int, tagging: Tagging) -> None:
    queue: multiprocessing.Queue[int] = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve_feeds, args=(queue, count), daemon=True)
    server.start()
    port = queue.get(timeout=30)
    urls = feed_urls(port, count)
    try:
        etags: dict[str, str] = {}
        asyncio.run(bare_conditional_pass(urls, etags))  # warm-up: learn ETags
        before = asyncio.run(server_stats(port))
        bare_wall, bare_cpu = measure(bare_conditional_pass(urls, etags))
        bare_hits = asyncio.run(server_stats(port))
        with tempfile.TemporaryDirectory() as folder:
            db = Path(folder) / "poll.db"
            asyncio.run(
                sitrep_pass(db, urls, warm=True, tagging=tagging)
            )  # first poll: stores backlog, learns ETags
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            mid = asyncio.run(server_stats(port))
            wall, cpu = measure(sitrep_pass(db, urls, warm=False, tagging=tagging))
            after = asyncio.run(server_stats(port))
            peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    finally:
        server.terminate()
    bare_requests = bare_hits["requests"] - before["requests"]
    bare_304 = bare_hits["not_modified"] - before["not_modified"]
    ours_requests = after["requests"] - mid["requests"]
    ours_304 = after["not_modified"] - mid["not_modified"]
    rows = [
        ["bare aiohttp GETs (baseline)", f"{bare_wall:.2f}", f"{bare_cpu:.2f}", f"{bare_requests} ({bare_304} × 304)", "-", "1.00 / 1.00"],
        ["Sitrep polling pass (with tagging)", f"{wall:.2f}", f"{cpu:.2f}", f"{ours_requests} ({ours_304} × 304)", f"{peak_kib / 1024:.0f} (before: {rss_before / 1024:.0f})", f"{wall / bare_wall:.2f} / {cpu / bare_cpu:.2f}"],
    ]  # fmt: skip
    table(
        f"Polling pass over {count} loopback feeds, 90% answer 304 (targets: < 10 s wall, < 2 CPU-s)",
        ["client", "wall s", "CPU s", "requests", "peak RSS MiB", "wall / CPU vs baseline"],
        rows,
    )


# --- 3. event-loop lag -----------------------------------------------------------------------


def big_feed(entries: int) -> bytes:
    items = "".join(
        f"<item><guid>big-{i}</guid><title>Headline number {i} about events</title>"
        f"<link>https://big.example/{i}</link><description>&lt;p&gt;Paragraph {i} with "
        f"&lt;b&gt;markup&lt;/b&gt; and more words to read.&lt;/p&gt;</description>"
        f"<pubDate>Mon, 02 Nov 2026 09:00:00 GMT</pubDate></item>"
        for i in range(entries)
    )
    return f'<rss version="2.0"><channel><title>Big</title>{items}</channel></rss>'.encode()


async def lag_during(work: object) -> list[float]:
    """Run `work` while a ticker measures how late each 5 ms sleep wakes up (ms)."""
    lags: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        loop = asyncio.get_running_loop()
        while not done.is_set():
            start = loop.time()
            await asyncio.sleep(0.005)
            lags.append((loop.time() - start - 0.005) * 1000)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.02)
    await work  # type: ignore[misc]
    done.set()
    await task
    return lags


async def lag_bench(entries: int, tagging: Tagging) -> tuple[list[float], list[float], int]:
    body = big_feed(entries)

    async def serve(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/rss+xml")

    app = web.Application()
    app.router.add_get("/big", serve)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    with tempfile.TemporaryDirectory() as folder:
        async with (
            open_storage(Path(folder) / "lag.db") as storage,
            Fetcher(FetchLimits(), AddressPolicy(allow_private=True)) as fetcher,
        ):
            feed = await storage.feeds.add(f"http://127.0.0.1:{port}/big", datetime.now(UTC))
            poller = Poller(storage, fetcher, PollPolicy(), tagger=tagging)
            on_loop = await lag_during(_parse_on_loop(body))
            result_holder: list[int] = []
            ours = await lag_during(_poll(poller, feed, result_holder))
    await runner.cleanup()
    return on_loop, ours, result_holder[0]


async def _parse_on_loop(body: bytes) -> None:
    parse_feed(body, {}, "https://big.example/rss", datetime.now(UTC))


async def _poll(poller: Poller, feed: object, holder: list[int]) -> None:
    result = await poller.poll_feed(feed)  # type: ignore[arg-type]
    holder.append(result.new)


def p99(values: list[float]) -> float:
    if len(values) < 2:
        return max(values, default=0.0)
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def bench_lag(entries: int, tagging: Tagging) -> None:
    on_loop, ours, stored = asyncio.run(lag_bench(entries, tagging))
    rows = [
        ["parse on the event loop (baseline)", f"{max(on_loop):.1f}", f"{p99(on_loop):.1f}", str(len(on_loop))],
        ["Sitrep poll (fetch; parse and tag off-loop; store)", f"{max(ours):.1f}", f"{p99(ours):.1f}", str(len(ours))],
    ]  # fmt: skip
    table(
        f"Event-loop lag while a {entries:,}-entry feed is polled ({stored} stored; target max < 100 ms)",
        ["work", "max lag ms", "p99 lag ms", "ticks"],
        rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--feeds", type=int, default=1000, help="feeds in the polling pass")
    parser.add_argument("--quick", action="store_true", help="one round instead of three")
    args = parser.parse_args()
    print(
        f"Python {sys.version.split()[0]}, feedparser {feedparser.__version__}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )
    tagging = build_tagging(load_settings(environ={}))  # the real pipeline tags what it stores
    bench_throughput(1 if args.quick else 3, tagging)
    bench_polling(args.feeds, tagging)
    bench_lag(5000, tagging)


if __name__ == "__main__":
    main()
