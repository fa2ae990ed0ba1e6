"""What commands return: plain records the Discord and console renderers turn into output."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.types import Feed


class CommandError(Exception):
    """A request we cannot serve; the message says what was wrong and how to fix it."""


@dataclass(frozen=True, slots=True)
class ArticleItem:
    id: int
    title: str
    url: str | None
    source: str
    time: datetime
    places: tuple[str, ...]  # location country names, strongest first
    regions: tuple[str, ...]  # their leaf region names
    actors: tuple[str, ...]  # actor display names


@dataclass(frozen=True, slots=True)
class LookupRequest:
    """A resolved lookup, kept so that other pages can be fetched with the same filters."""

    heading: str
    since: datetime
    limit: int
    country_codes: frozenset[str] | None
    actor_ids: frozenset[str] | None
    text: str | None


# Counting a broad lookup's hundreds of thousands of matches costs more than the page itself;
# past this many we say "1,000+".
COUNT_CAP = 1000


@dataclass(frozen=True, slots=True)
class LookupPage:
    request: LookupRequest
    items: tuple[ArticleItem, ...]
    page: int  # 0-based
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.request.limit))

    @property
    def total_text(self) -> str:
        """The number of matches, or "1,000+" when counting stopped at the cap."""
        return f"{COUNT_CAP:,}+" if self.total > COUNT_CAP else f"{self.total:,}"


@dataclass(frozen=True, slots=True)
class TagLine:
    label: str  # "Iraq (location)" or "Kata'ib Hezbollah (militia)"
    weight: float
    evidence: tuple[str, ...]  # quoted matches: 'title: "Baghdad"'


@dataclass(frozen=True, slots=True)
class ArticleDetail:
    item: ArticleItem
    summary: str
    published: datetime | None
    first_seen: datetime
    countries: tuple[TagLine, ...]
    actors: tuple[TagLine, ...]


@dataclass(frozen=True, slots=True)
class CountLine:
    label: str
    detail: str
    count: int  # articles in the last 7 days


@dataclass(frozen=True, slots=True)
class Listing:
    """A titled list of counted lines (/regions, /actors)."""

    title: str
    lines: tuple[CountLine, ...]
    note: str = ""


@dataclass(frozen=True, slots=True)
class FeedLine:
    feed: Feed
    health: str


@dataclass(frozen=True, slots=True)
class FeedReport:
    title: str
    feeds: tuple[FeedLine, ...]
    healthy: int
    failing: int
    disabled: int


@dataclass(frozen=True, slots=True)
class Notice:
    """A one-off answer: feed added, removed, ..."""

    title: str
    text: str
    ok: bool = True


@dataclass(frozen=True, slots=True)
class StatusReport:
    uptime_seconds: float
    feeds_healthy: int
    feeds_failing: int
    feeds_disabled: int
    articles_24h: int
    database_bytes: int
    jobs: tuple[tuple[str, datetime | None], ...]  # (job, next run)
