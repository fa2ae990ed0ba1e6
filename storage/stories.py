"""Stories: the story of each article, kept by bot/digest/placement.py as articles arrive.

Placement reads the articles stored after its cursor (`placed_through`), places them, and writes
their story ids, what ranking reads of their headlines, and the new cursor in one transaction,
so a crash between two steps repeats a batch instead of skipping one. Ids only grow with commits
here (one writer); a backend with several concurrent writers would need a commit-ordered cursor.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from storage.db import Database, to_db_time
from storage.digests import WITH_TAGS_SELECT, with_tags_records
from storage.types import Article, ArticleTags


@dataclass(frozen=True, slots=True)
class Headline:
    """What ranking reads of an article's headline (bot/digest/rank.py)."""

    article_id: int
    severity: float
    dead: int


class StoryStore:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def placed_through(self) -> int:
        """Every article with an id up to this one has been placed (or was stored before)."""
        return int(await self._db.fetch_value("SELECT placed_through FROM story_cursor"))

    async def after(self, article_id: int, limit: int) -> list[tuple[Article, ArticleTags]]:
        """Up to `limit` articles stored after `article_id`, by id, backlog included (the caller
        moves its cursor past those too), with their tags."""
        rows = await self._db.fetch_all(
            f"{WITH_TAGS_SELECT} WHERE a.id > ? ORDER BY a.id LIMIT ?", (article_id, limit)
        )
        return await asyncio.to_thread(with_tags_records, rows)

    async def placed_since(self, since: datetime) -> list[tuple[Article, ArticleTags, int]]:
        """Placed articles sorted at or after `since`, with their story ids (held again at
        start, so new articles can join the stories they report)."""
        rows = await self._db.fetch_all(
            f"{WITH_TAGS_SELECT} WHERE a.sort_time >= ? AND a.story_id IS NOT NULL",
            (to_db_time(since),),
        )
        return await asyncio.to_thread(_with_stories, rows)

    async def save(
        self,
        stories: Sequence[tuple[int, int]],
        headlines: Sequence[Headline],
        placed_through: int,
    ) -> None:
        """In one transaction: (article id, story id) pairs, the headlines of newly placed
        articles, and the cursor (which never moves back)."""

        # One UPDATE per article: each fires migration 0006's trigger, which sums the story up.
        story_of = dict(stories)
        headline_ids = {line.article_id for line in headlines}
        placed = [(story_of[line.article_id], line.severity, line.dead, line.article_id)
                  for line in headlines if line.article_id in story_of]  # fmt: skip
        moved = [(story_id, article_id) for article_id, story_id in stories
                 if article_id not in headline_ids]  # fmt: skip
        # Headlines of articles given no story in this batch: written all the same.
        unmoved = [(line.severity, line.dead, line.article_id)
                   for line in headlines if line.article_id not in story_of]  # fmt: skip

        def write(connection: sqlite3.Connection) -> None:
            connection.executemany(
                "UPDATE articles SET story_id = ?, severity = ?, dead = ? WHERE id = ?", placed
            )
            connection.executemany("UPDATE articles SET story_id = ? WHERE id = ?", moved)
            connection.executemany(
                "UPDATE articles SET severity = ?, dead = ? WHERE id = ?", unmoved
            )
            connection.execute(
                "UPDATE story_cursor SET placed_through = max(placed_through, ?)",
                (placed_through,),
            )

        await self._db.run_in_transaction(write)


def _with_stories(rows: list[sqlite3.Row]) -> list[tuple[Article, ArticleTags, int]]:
    records = with_tags_records(rows)
    return [(article, tags, row[11]) for (article, tags), row in zip(records, rows, strict=True)]
