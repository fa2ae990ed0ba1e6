"""Placing articles in stories as they arrive, so that a digest groups its window by stored
story id instead of clustering it (seconds for a busy day, repeated by every digest).

A StoryPlacer owns the process's one StoryIndex (bot/digest/stories.py). `catch_up()` places every
article stored after the cursor kept in the database: the poll job calls it after each pass, and a
digest calls it before building, so a digest waits at most for the articles of the last pass.
The index's work runs in a worker thread; one lock keeps the index and the cursor in step.

The first catch-up holds again the placed articles of the last DEFAULT_WINDOW (by sort time), so
stories continue across restarts. If saving a batch fails, the index is dropped and rebuilt from
the database at the next catch-up: the index never gets ahead of what is stored.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from bot.digest.cluster import DEFAULT_WINDOW, SUMMARY_CHARS
from bot.digest.model import DigestArticle, digest_article
from bot.digest.rank import dead, severity_points
from bot.digest.stories import StoryIndex, stories_of
from storage import Storage
from storage.stories import Headline
from storage.types import Article, ArticleTags

log = logging.getLogger(__name__)
# Articles read and placed per step: a 5,000-entry fetch takes a few steps, each a few seconds
# of a worker thread at most and one short write transaction.
PLACE_BATCH = 1000


class StoryPlacer:
    def __init__(
        self,
        storage: Storage,
        clock: Callable[[], datetime],
        window: timedelta = DEFAULT_WINDOW,
    ) -> None:
        self._storage = storage
        self._clock = clock
        self._window = window
        self._index: StoryIndex | None = None  # built at the first catch-up
        self._lock = asyncio.Lock()

    @property
    def held(self) -> int:
        """Articles the index holds (none before the first catch-up)."""
        return len(self._index) if self._index is not None else 0

    async def catch_up(self) -> int:
        """Place every article stored since the last call; how many were placed."""
        async with self._lock:
            index = self._index or await self._restored()
            placed = 0
            while batch := await self._storage.stories.after(
                await self._storage.stories.placed_through(), PLACE_BATCH
            ):
                placed += await self._place(index, batch)
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

    async def _restored(self) -> StoryIndex:
        index = StoryIndex(self._window)
        recent = await self._storage.stories.placed_since(self._clock() - self._window)
        held = [(_for_index(article, tags), story_id) for article, tags, story_id in recent]
        await asyncio.to_thread(index.restore, held)
        log.info("story index: %d recent articles held again", len(index))
        self._index = index
        return index

    async def _place(self, index: StoryIndex, batch: Sequence[tuple[Article, ArticleTags]]) -> int:
        articles = [_for_index(article, tags) for article, tags in batch if not article.backlog]
        stories, headlines = await asyncio.to_thread(_placed, index, articles)
        try:
            await self._storage.stories.save(stories, headlines, batch[-1][0].id)
        except BaseException:
            self._index = None  # it holds what was not saved: rebuild it from the database
            raise
        return len(articles)


def _for_index(article: Article, tags: ArticleTags) -> DigestArticle:
    """The article as the index holds it: the summary cut where clustering stops reading."""
    placed = digest_article(article, tags)
    return replace(placed, summary=placed.summary[:SUMMARY_CHARS])


def _placed(
    index: StoryIndex, articles: Sequence[DigestArticle]
) -> tuple[list[tuple[int, int]], list[Headline]]:
    """In a worker thread: place `articles`; their stories (and those of articles a merge
    moved) and what ranking reads of their headlines."""
    stories = stories_of(index.add(articles))
    headlines = [
        Headline(article.id, severity_points(article.title), dead(article.title))
        for article in articles
    ]
    return list(stories.items()), headlines
