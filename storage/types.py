"""Frozen records that cross layers: what ingest hands to storage and what storage hands back.

Every datetime here is timezone-aware UTC; the storage boundary asserts it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

TagField = Literal["title", "body"]
CountryRole = Literal["location", "mention"]


@dataclass(frozen=True, slots=True)
class Feed:
    id: int
    url: str
    name: str | None  # given by a person; wins over the feed's own title
    title: str | None
    site_url: str | None
    etag: str | None
    last_modified: str | None
    added_at: datetime
    last_checked: datetime | None
    last_updated: datetime | None  # last time a fetch returned content we parsed
    next_check: datetime
    error_count: int
    last_error: str | None
    disabled_reason: str | None

    @property
    def display_name(self) -> str:
        return self.name or self.title or self.url


@dataclass(frozen=True, slots=True)
class FeedState:
    """What one fetch learned about a feed, stored with its articles in one transaction."""

    checked_at: datetime
    next_check: datetime
    etag: str | None = None
    last_modified: str | None = None
    title: str | None = None
    site_url: str | None = None


@dataclass(frozen=True, slots=True)
class NewArticle:
    """One normalised feed entry, ready to store (it may turn out to be a duplicate)."""

    entry_key: str  # identity inside its feed: guid, or guid + link when the feed reuses guids
    guid: str | None
    url: str | None  # canonical absolute http(s) URL
    title: str
    summary: str  # plain text
    published: datetime | None
    content_hash: str
    tags: ArticleTags | None = None


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """What storage already holds under one entry key of a feed, to tell new items from repeats."""

    url: str | None
    title: str


@dataclass(frozen=True, slots=True)
class Article:
    id: int
    feed_id: int
    feed_title: str
    guid: str | None
    url: str | None
    title: str
    summary: str
    published: datetime | None
    first_seen: datetime
    backlog: bool

    @property
    def sort_time(self) -> datetime:
        """Published time when the feed gave one, else when we first saw the article."""
        return self.published or self.first_seen


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a tag was given: the text that matched, where, and at which character offset."""

    text: str
    field: TagField
    start: int


@dataclass(frozen=True, slots=True)
class CountryTag:
    code: str  # ISO 3166-1 alpha-2 (XK for Kosovo, PS for Palestine)
    role: CountryRole
    weight: float  # 0..1, how strongly the article is about this country
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True, slots=True)
class ActorTag:
    actor_id: str
    weight: float  # 0..1
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True, slots=True)
class ArticleTags:
    countries: tuple[CountryTag, ...] = field(default=())
    actors: tuple[ActorTag, ...] = field(default=())
