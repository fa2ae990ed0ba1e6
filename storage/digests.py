"""What digests read: the articles that arrived in a window (by first-seen time)."""

from __future__ import annotations

from datetime import datetime

from storage.articles import ARTICLE_SELECT, article_from_row
from storage.db import Database, to_db_time
from storage.types import Article

# A digest lists stories, not every article; this bounds the work for a very long window.
MAX_WINDOW_ARTICLES = 5000


class DigestStore:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def arrived_between(
        self, start: datetime, end: datetime, limit: int = MAX_WINDOW_ARTICLES
    ) -> list[Article]:
        """Articles first seen in [start, end), oldest first, backlog excluded.

        By arrival, not publication: an article published long ago but fetched now belongs to
        the next digest, never to one already sent."""
        rows = await self._db.fetch_all(
            f"{ARTICLE_SELECT} WHERE a.first_seen >= ? AND a.first_seen < ? AND a.backlog = 0"
            " ORDER BY a.first_seen, a.id LIMIT ?",
            (to_db_time(start), to_db_time(end), limit),
        )
        return [article_from_row(row) for row in rows]
