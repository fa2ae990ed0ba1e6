"""One polling pass: due feeds -> fetch -> parse (off the loop) -> tag (off the loop) -> store.

Each feed is handled on its own: its failure is recorded on the feed and never reaches the
others. A feed's new state (validators, next check) commits with its last articles, so a crash
at any point leaves the feed due again, and the next poll skips what was already stored.

Off the loop means the executor handed in: a thread pool by default, or ParseWorkers, processes
that each build the tagger once (`start_worker`), so parsing and tagging a big feed never
compete with the event loop for this process's GIL.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import random
import signal
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any, Literal, Protocol, TypeVar

from bot.ingest import schedule
from bot.ingest.fetch import Fetcher, FetchError, FetchResult
from bot.ingest.normalise import new_articles
from bot.ingest.parse import FeedParseError, ParsedFeed, parse_feed
from storage import Storage
from storage.types import ArticleTags, Feed, FeedState, NewArticle

log = logging.getLogger(__name__)
R = TypeVar("R")
NOT_MODIFIED_BATCH = 200
Outcome = Literal["new", "unchanged", "not_modified", "failed"]


class BatchTagger(Protocol):
    """Tags (title, summary) pairs; pure and thread-safe, so it runs in the executor."""

    @property
    def version(self) -> str:
        """Identifies the taxonomy the tags come from (stored with them, used by `retag`)."""
        ...

    def tag_batch(
        self, items: Sequence[tuple[str, str]], *, markup: bool = True
    ) -> list[ArticleTags]:
        """`markup=False`: the items are clean text as stored (see Tagger.tag)."""
        ...


@dataclass(frozen=True)
class FeedResult:
    """What one feed's poll did, for the CLI line, logs and /status."""

    feed_id: int
    url: str
    name: str
    outcome: Outcome
    new: int = 0
    entries: int = 0
    reason: str | None = None  # why it failed
    warning: str | None = None  # read despite problems
    disabled: str | None = None  # set when this failure disabled the feed


def utc_now() -> datetime:
    return datetime.now(UTC)


class Poller:
    def __init__(
        self,
        storage: Storage,
        fetcher: Fetcher,
        policy: schedule.PollPolicy,
        executor: Executor | None = None,
        tagger: BatchTagger | None = None,
        clock: Callable[[], datetime] = utc_now,
        random_fraction: schedule.Random = random.random,
    ) -> None:
        self._storage = storage
        self._fetcher = fetcher
        self._policy = policy
        self._executor = executor  # None: the loop's default thread pool
        self._tagger = tagger
        self._clock = clock
        self._random = random_fraction

    async def due_feeds(self, everything: bool = False) -> list[Feed]:
        feeds = self._storage.feeds
        return await (feeds.enabled() if everything else feeds.due(self._clock()))

    async def poll(
        self,
        feeds: Sequence[Feed],
        on_result: Callable[[FeedResult], object] | None = None,
    ) -> list[FeedResult]:
        """Poll `feeds` concurrently (the fetcher bounds concurrency); results in feed order.

        304s are written in batches: most feeds of a pass answer 304, and one transaction per
        batch instead of per feed is most of a pass's cost. Losing a batch to a crash only
        makes those feeds due again.
        """
        not_modified: list[tuple[int, FeedState]] = []

        async def one(feed: Feed) -> FeedResult:
            result = await self._poll(feed, not_modified)
            if len(not_modified) >= NOT_MODIFIED_BATCH:
                batch = not_modified[:]
                not_modified.clear()
                await self._storage.feeds.record_not_modified(batch)
            if on_result is not None:
                on_result(result)
            return result

        try:
            return list(await asyncio.gather(*(one(feed) for feed in feeds)))
        finally:
            await self._storage.feeds.record_not_modified(not_modified)

    async def poll_feed(self, feed: Feed) -> FeedResult:
        """Fetch, parse and store one feed. Never raises, except for cancellation."""
        return await self._poll(feed, None)

    async def _poll(
        self, feed: Feed, not_modified: list[tuple[int, FeedState]] | None
    ) -> FeedResult:
        try:
            fetched = await self._fetcher.fetch(feed.url, feed.etag, feed.last_modified)
            if fetched.kind == "not_modified":
                return await self._record_not_modified(feed, not_modified)
            parsed = await self._off_loop(
                partial(parse_feed, fetched.body, fetched.headers, fetched.url, self._clock())
            )
            return await self._store(feed, fetched, parsed)
        except FetchError as error:
            return await self._record_failure(feed, error.reason, error.retry_after, error.status)
        except FeedParseError as error:
            return await self._record_failure(feed, str(error), None, None)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a bug must cost one feed one poll, not the whole pass
            log.exception("unexpected error polling feed %s (%s)", feed.id, feed.url)
            reason = f"internal error: {error!r}"
            return await self._record_failure(feed, reason, None, None, logged=True)

    async def _off_loop(self, call: Callable[[], R]) -> R:
        """Run CPU-bound work (parsing, tagging) in the executor so the loop stays responsive."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    async def _store(self, feed: Feed, fetched: FetchResult, parsed: ParsedFeed) -> FeedResult:
        now = self._clock()
        keys = [article.entry_key for article in parsed.articles]
        stored = await self._storage.articles.stored_entries(feed.id, keys)
        fresh = await self._storage.articles.unseen(feed.id, new_articles(parsed.articles, stored))
        if fresh and self._tagger is not None:
            fresh = await self._off_loop(partial(_tagged, self._tagger, fresh))
        state = FeedState(
            checked_at=now,
            next_check=schedule.next_check_after_success(now, self._policy, self._random),
            etag=fetched.etag,
            last_modified=fetched.last_modified,
            title=parsed.title,
            site_url=parsed.site_url,
        )
        # The first successful poll of a feed stores its back catalogue without announcing it.
        backlog = feed.last_updated is None
        version = self._tagger.version if self._tagger is not None else None
        new_ids = await self._storage.articles.store_fetch(
            feed.id, fresh, state, now, backlog, tag_version=version
        )
        if parsed.warning:
            log.warning("feed %s (%s): %s", feed.id, feed.url, parsed.warning)
        outcome: Outcome = "new" if new_ids else "unchanged"
        return FeedResult(
            feed.id, feed.url, feed.display_name, outcome, len(new_ids), parsed.entry_count,
            warning=parsed.warning,
        )  # fmt: skip

    async def _record_not_modified(
        self, feed: Feed, batch: list[tuple[int, FeedState]] | None
    ) -> FeedResult:
        now = self._clock()
        state = FeedState(now, schedule.next_check_after_success(now, self._policy, self._random))
        if batch is None:
            await self._storage.feeds.record_not_modified([(feed.id, state)])
        else:
            batch.append((feed.id, state))
        return FeedResult(feed.id, feed.url, feed.display_name, "not_modified")

    async def _record_failure(
        self,
        feed: Feed,
        reason: str,
        retry_after: float | None,
        status: int | None,
        logged: bool = False,
    ) -> FeedResult:
        """Store the failure and log it once (`logged`: already logged with its traceback)."""
        now = self._clock()
        failures = feed.error_count + 1
        next_check = schedule.next_check_after_failure(
            now, failures, self._policy, self._random, retry_after
        )
        disabled = schedule.disable_reason(failures, reason, status, self._policy)
        try:
            await self._storage.feeds.record_failure(
                feed.id, FeedState(now, next_check), reason, disabled
            )
        except Exception:  # a full disk or read-only file: say so, keep polling the others
            log.exception(
                "feed %s (%s): could not record its failure: %s", feed.id, feed.url, reason
            )
            logged = True
        if disabled:
            log.error(
                "feed %s (%s) disabled after %d failures: %s", feed.id, feed.url, failures, disabled
            )
        elif not logged:
            log.warning(
                "feed %s (%s) failed (%d in a row): %s", feed.id, feed.url, failures, reason
            )
        return FeedResult(
            feed.id, feed.url, feed.display_name, "failed", reason=reason, disabled=disabled
        )


def _tagged(tagger: BatchTagger, articles: list[NewArticle]) -> list[NewArticle]:
    items = [(article.title, article.summary) for article in articles]
    tags = tagger.tag_batch(items, markup=False)  # cleaned by the parser, as stored
    return [replace(article, tags=tag) for article, tag in zip(articles, tags, strict=True)]


# --- parsing and tagging in worker processes ------------------------------------------------

# The tagger of a worker process, built there once by start_worker (the pool's initializer):
# it is far too big to send with every batch, and each process needs its own.
_worker_tagger: BatchTagger | None = None
WORKER_NICENESS = 10  # the kernel gives a nice-10 process about a tenth of a contended core


def start_worker(build_tagger: Callable[[], BatchTagger] | None) -> None:
    """Initializer of a worker process. Ctrl-C reaches the whole process group: the parent
    stops the pool, so workers ignore it instead of dying mid-feed with a traceback. Workers
    run at a lower CPU priority: on a busy machine the bot's answers come first, and a feed
    is stored a little later."""
    global _worker_tagger
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.nice(WORKER_NICENESS)
    if build_tagger is not None:
        _worker_tagger = build_tagger()


class WorkerTagger:
    """The BatchTagger a poller with ParseWorkers is given: it travels to a worker with each
    batch (only its version, a short string) and tags with the tagger built there."""

    def __init__(self, version: str) -> None:
        self._version = version

    @property
    def version(self) -> str:
        return self._version

    def tag_batch(
        self, items: Sequence[tuple[str, str]], *, markup: bool = True
    ) -> list[ArticleTags]:
        assert _worker_tagger is not None, "WorkerTagger used outside a ParseWorkers process"
        return _worker_tagger.tag_batch(items, markup=markup)


class ParseWorkers(Executor):
    """Worker processes for parsing and tagging; a pool broken by a dead worker (killed, out
    of memory) is replaced at the next submit, so that one bad feed fails, not every later one.

    Processes are spawned, never forked: this process runs threads (aiosqlite, the default
    executor), and forking a process with threads can copy a held lock into the child."""

    def __init__(self, workers: int, build_tagger: Callable[[], BatchTagger] | None) -> None:
        assert workers >= 1, f"ParseWorkers needs at least one process, not {workers}"
        self._workers = workers
        self._build_tagger = build_tagger
        self._lock = threading.Lock()
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        pool = ProcessPoolExecutor(
            self._workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=start_worker,
            initargs=(self._build_tagger,),
        )
        # Workers start on demand; ask for all of them now, so that they build their taggers
        # while the bot starts, not when the first big feed arrives.
        for _ in range(self._workers):
            pool.submit(int)
        return pool

    def submit(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> Future[R]:
        with self._lock:
            try:
                return self._pool.submit(fn, *args, **kwargs)
            except BrokenProcessPool:
                log.error("a parse worker process died; starting new ones")
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._new_pool()
                return self._pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)
