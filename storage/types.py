"""Frozen records that cross layers: what ingest hands to storage and what storage hands back.

Every datetime here is timezone-aware UTC; the storage boundary asserts it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, NamedTuple

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


@dataclass(frozen=True, slots=True)
class WindowArticle:
    """An article of a digest window as a digest groups and ranks it: one row, no summary.

    `story_id`, `severity` and `dead` are None until the article is placed in a story
    (bot/digest/placement.py). `locations` (location countries) and `actors` are codes and ids,
    strongest first, with the strongest one's weight; empty for articles tagged before the row
    kept them (migration 0005).
    """

    id: int
    feed_id: int
    source: str
    title: str
    url: str | None
    sort_time: datetime
    story_id: int | None
    severity: float | None
    dead: int | None
    locations: tuple[str, ...]
    location_weight: float
    actors: tuple[str, ...]
    actor_weight: float


class StoryRow(NamedTuple):
    """One stored story as the articles of a digest window report it, summed up by storage.

    A NamedTuple, not a frozen dataclass: a busy day makes 10,000 of them per digest, and a frozen
    dataclass's __init__ costs five times as much. Times are UTC-aware.
    """

    story_id: int
    articles: int  # its articles in the window
    first_id: int  # the smallest of their ids
    sources: int  # distinct outlet names
    actors: int  # distinct actors
    actor_weight: float  # the strongest actor tag's weight
    severity: float  # the most severe headline's points (default terms)
    dead: int  # the most dead a headline reports
    first: datetime  # the earliest article's sort time
    latest: datetime
    location_weight: float  # the strongest location tag's weight
    locations: tuple[tuple[str, ...], ...]  # each article's location codes, strongest first


@dataclass(frozen=True, slots=True)
class WindowStories:
    """A digest window's articles: the placed ones summed up per story, and the others' ids."""

    stories: list[StoryRow]
    unplaced_ids: list[int]
