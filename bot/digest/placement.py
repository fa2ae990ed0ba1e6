"""Placing articles in stories as they arrive, so that a digest groups its window by stored
story id instead of clustering it (seconds for a busy day, repeated by every digest).

A StoryPlacer keeps the process's one StoryIndex (bot/digest/stories.py) in an index host.
`catch_up()` places every article stored after the cursor kept in the database: the poll job
calls it after each pass, and a digest calls it before building, so a digest waits at most for
the articles of the last pass. One lock keeps the index and the cursor in step.

Hosts: `ThreadIndex` keeps the index in this process and works in a worker thread (commands,
tests); `IndexProcess` keeps it in a process of its own (the running bot). The index holds tens
of thousands of objects: in the bot's process, the garbage collector's full passes over them
(100 ms and more, holding the GIL) and the placing itself would delay the event loop's answers.

The first catch-up holds again the placed articles of the last DEFAULT_WINDOW (by sort time), so
stories continue across restarts. If placing or saving a batch fails (the process died, say),
the index is rebuilt from the database at the next catch-up: it never gets ahead of what is
stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from multiprocessing.connection import Connection
from typing import Any, NamedTuple, Protocol

from bot.digest.cluster import DEFAULT_WINDOW, SUMMARY_CHARS
from bot.digest.model import DigestArticle, digest_article
from bot.digest.rank import dead, severity_points
from bot.digest.stories import StoryIndex, stories_of
from storage import Storage
from storage.stories import Headline
from storage.types import Article, ArticleTags

log = logging.getLogger(__name__)
# Articles read and placed per step: a 5,000-entry fetch takes a few steps, each a second or
# two of the index's work at most and one short write transaction.
PLACE_BATCH = 1000
INDEX_NICENESS = 10  # as the parse workers: the bot's answers come first
INDEX_STOP_SECONDS = 2.0  # then the index process is killed: it holds nothing the db lacks

Held = Sequence[tuple[DigestArticle, int]]  # placed articles and their story ids


class Placed(NamedTuple):
    """What placing a batch gives: (article id, story id) pairs, including the articles a merge
    moved; what ranking reads of the new articles' headlines; how many articles the index holds."""

    stories: list[tuple[int, int]]
    headlines: list[Headline]
    held: int


class IndexHost(Protocol):
    """Where the StoryIndex lives. `restore` starts a new index holding `held`; `place` needs
    a restored index (it raises otherwise). Both return how many articles the index holds."""

    async def restore(self, held: Held) -> int: ...

    async def place(self, articles: Sequence[DigestArticle]) -> Placed: ...


class StoryPlacer:
    def __init__(
        self,
        storage: Storage,
        clock: Callable[[], datetime],
        window: timedelta = DEFAULT_WINDOW,
        host: IndexHost | None = None,
    ) -> None:
        self._storage = storage
        self._clock = clock
        self._window = window
        self._host = host or ThreadIndex(window)
        self._restored = False  # the host's index holds the recent stories
        self._held = 0
        self._lock = asyncio.Lock()

    @property
    def held(self) -> int:
        """Articles the index holds (none before the first catch-up)."""
        return self._held

    async def catch_up(self) -> int:
        """Place every article stored since the last call; how many were placed."""
        async with self._lock:
            if not self._restored:
                await self._restore()
            placed = 0
            while batch := await self._storage.stories.after(
                await self._storage.stories.placed_through(), PLACE_BATCH
            ):
                placed += await self._place(batch)
            return placed

    async def place_new(self) -> int:
        """`catch_up`, logging a failure instead of raising it: whoever asked (the poll job, a
        digest) goes on, and the articles left unplaced are placed next time or clustered by
        the digest that meets them."""
        try:
            return await self.catch_up()
        except Exception:
            log.exception("placing new articles in stories failed; they stay unplaced for now")
            return 0

    async def _restore(self) -> None:
        recent = await self._storage.stories.placed_since(self._clock() - self._window)
        held = await asyncio.to_thread(
            lambda: [(_for_index(article, tags), story_id) for article, tags, story_id in recent]
        )
        self._held = await self._host.restore(held)
        self._restored = True
        log.info("story index: %d recent articles held again", self._held)

    async def _place(self, batch: Sequence[tuple[Article, ArticleTags]]) -> int:
        articles = await asyncio.to_thread(
            lambda: [_for_index(article, tags) for article, tags in batch if not article.backlog]
        )
        try:
            placed = await self._host.place(articles)
            await self._storage.stories.save(placed.stories, placed.headlines, batch[-1][0].id)
        except BaseException:
            self._restored = False  # the index may hold what was not saved: rebuild it
            raise
        self._held = placed.held
        return len(articles)


def _for_index(article: Article, tags: ArticleTags) -> DigestArticle:
    """The article as the index holds it: the summary cut where clustering stops reading."""
    placed = digest_article(article, tags)
    return replace(placed, summary=placed.summary[:SUMMARY_CHARS])


def _placed(index: StoryIndex, articles: Sequence[DigestArticle]) -> Placed:
    """Place `articles`: their stories (and those of articles a merge moved) and what ranking
    reads of their headlines."""
    stories = stories_of(index.add(articles))
    headlines = [
        Headline(article.id, severity_points(article.title), dead(article.title))
        for article in articles
    ]
    return Placed(list(stories.items()), headlines, len(index))


class _Index:
    """What both hosts run, synchronously: a StoryIndex, restored before it places."""

    def __init__(self, window: timedelta) -> None:
        self._window = window
        self._index: StoryIndex | None = None

    def restore(self, held: Held) -> int:
        self._index = None
        index = StoryIndex(self._window)
        index.restore(held)
        self._index = index
        return len(index)

    def place(self, articles: Sequence[DigestArticle]) -> Placed:
        if self._index is None:
            raise RuntimeError("the story index was not restored")
        return _placed(self._index, articles)

    def forget(self) -> None:
        self._index = None


class ThreadIndex:
    """The index in this process; its work runs in a worker thread."""

    def __init__(self, window: timedelta = DEFAULT_WINDOW) -> None:
        self._index = _Index(window)

    async def restore(self, held: Held) -> int:
        return await asyncio.to_thread(self._index.restore, held)

    async def place(self, articles: Sequence[DigestArticle]) -> Placed:
        return await asyncio.to_thread(self._index.place, articles)


class IndexProcess:
    """The index in a process of its own, asked over a pipe, one request at a time (the
    placer's lock). A dead process is replaced at the next request, which then fails: the
    placer restores the new one. Spawned, never forked: this process runs threads."""

    def __init__(self, window: timedelta = DEFAULT_WINDOW) -> None:
        self._window = window
        self._context = multiprocessing.get_context("spawn")
        self._process, self._pipe = self._started()
        # A cancelled request's thread still reads its answer; the next waits for it.
        self._round_trips = threading.Lock()
        self._closed = False

    def _started(self) -> tuple[Any, Connection]:
        ours, theirs = self._context.Pipe()
        process = self._context.Process(
            target=serve_index, args=(theirs, self._window), name="sitrep-stories", daemon=True
        )
        process.start()
        theirs.close()
        return process, ours

    async def restore(self, held: Held) -> int:
        count: int = await self._ask("restore", held)
        return count

    async def place(self, articles: Sequence[DigestArticle]) -> Placed:
        placed: Placed = await self._ask("place", articles)
        return placed

    async def _ask(self, request: str, payload: Any) -> Any:
        # Pickling and unpickling happen in the thread, off the event loop.
        try:
            return await asyncio.to_thread(self._round_trip, request, payload)
        except (EOFError, OSError):
            if not self._closed:
                log.error("the story index process died; starting a new one")
                self._stop()
                self._process, self._pipe = self._started()
            raise

    def _round_trip(self, request: str, payload: Any) -> Any:
        with self._round_trips:
            self._pipe.send((request, payload))
            ok, answer = self._pipe.recv()
        if not ok:
            raise RuntimeError(f"the story index process failed: {answer}")
        return answer

    def close(self) -> None:
        """Stop the process: asked to, then killed. Nothing is lost; the next start restores."""
        self._closed = True
        self._stop()

    def _stop(self) -> None:
        self._pipe.close()
        self._process.join(INDEX_STOP_SECONDS)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()


def serve_index(pipe: Connection, window: timedelta) -> None:
    """The index process: answer requests until the pipe closes. Ctrl-C reaches the whole
    process group; the parent stops this process, so it ignores it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.nice(INDEX_NICENESS)
    index = _Index(window)
    while True:
        try:
            request, payload = pipe.recv()
        except EOFError:
            return
        try:
            answer = index.restore(payload) if request == "restore" else index.place(payload)
            pipe.send((True, answer))
        except Exception as error:  # reported to the parent, which logs it
            index.forget()
            pipe.send((False, f"{type(error).__name__}: {error}"))


@contextlib.asynccontextmanager
async def story_placer(
    storage: Storage, clock: Callable[[], datetime], own_process: bool
) -> AsyncIterator[StoryPlacer]:
    """The placer the app uses: its index in a process of its own when `own_process` (the
    long-running bot), else in this process (a command, which places a few articles and ends)."""
    if not own_process:
        yield StoryPlacer(storage, clock)
        return
    host = IndexProcess()
    try:
        yield StoryPlacer(storage, clock, host=host)
    finally:
        await asyncio.to_thread(host.close)
