"""The storage facade: the only place SQL lives. Split per domain; opened once and injected.

async with open_storage(path) as storage:
    await storage.feeds.due(now)
    await storage.articles.find(since=...)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from storage.articles import ArticleStore
from storage.db import Database, DatabaseTooNewError, StorageError, open_database
from storage.digests import DigestStore
from storage.feeds import FeedExistsError, FeedStore, UnknownFeedError
from storage.maintenance import MaintenanceStore
from storage.outbox import OutboxStore
from storage.search import SearchQueryError
from storage.stories import StoryStore
from storage.subscriptions import SubscriptionExistsError, SubscriptionStore
from storage.tags import TagStore

__all__ = [
    "DatabaseTooNewError",
    "FeedExistsError",
    "SearchQueryError",
    "Storage",
    "StorageError",
    "SubscriptionExistsError",
    "UnknownFeedError",
    "open_storage",
]


@dataclass(frozen=True)
class Storage:
    database: Database
    feeds: FeedStore
    articles: ArticleStore
    tags: TagStore
    digests: DigestStore
    stories: StoryStore
    subscriptions: SubscriptionStore
    outbox: OutboxStore
    maintenance: MaintenanceStore

    @property
    def path(self) -> Path:
        return self.database.path


@asynccontextmanager
async def open_storage(path: Path) -> AsyncIterator[Storage]:
    database = await open_database(path)
    try:
        yield Storage(
            database,
            FeedStore(database),
            ArticleStore(database),
            TagStore(database),
            DigestStore(database),
            StoryStore(database),
            SubscriptionStore(database),
            OutboxStore(database),
            MaintenanceStore(database),
        )
    finally:
        await database.close()
