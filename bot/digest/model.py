"""The frozen records digests work on: one tagged article, and one story made of several."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


def require_aware(moment: datetime, name: str) -> None:
    """Digest logic compares instants from many feeds: a naive datetime would be a silent bug."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {moment!r}")


@dataclass(frozen=True, slots=True)
class DigestArticle:
    """An article as digests see it: its text, where it came from, and its tags.

    `locations` are ISO 3166-1 alpha-2 codes of where the event happened, strongest first. Pass the
    tagger's location-role countries, not countries merely mentioned: clustering refuses to merge
    articles whose locations are disjoint, and a stray mention would defeat that. `actors` are actor
    ids. The two weights (0..1) are how strongly the article is about its strongest location and
    actor.
    """

    id: int
    feed_id: int
    source: str  # the outlet's display name; several feeds of one outlet share it
    title: str
    summary: str
    url: str | None
    time: datetime
    locations: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()
    location_weight: float = 0.0
    actor_weight: float = 0.0

    def __post_init__(self) -> None:
        require_aware(self.time, f"article {self.id} time")


@dataclass(frozen=True, slots=True)
class Story:
    """One event as reported by one or more articles; `articles[0]` is the lead.

    `cluster()` puts the article with the most informative headline first and the rest by time.
    """

    articles: tuple[DigestArticle, ...]

    def __post_init__(self) -> None:
        if not self.articles:
            raise ValueError("a story needs at least one article")

    @property
    def lead(self) -> DigestArticle:
        return self.articles[0]

    @property
    def time(self) -> datetime:
        """When the story broke: its earliest article."""
        return min(article.time for article in self.articles)

    @property
    def latest(self) -> datetime:
        """When it was last reported: its most recent article."""
        return max(article.time for article in self.articles)

    @property
    def sources(self) -> tuple[str, ...]:
        """Distinct outlets, the lead's first (two feeds of one outlet count once)."""
        return tuple(dict.fromkeys(article.source for article in self.articles))

    @property
    def locations(self) -> tuple[str, ...]:
        return _by_support(article.locations for article in self.articles)

    @property
    def actors(self) -> tuple[str, ...]:
        return _by_support(article.actors for article in self.articles)


def _by_support(tag_lists: Iterable[tuple[str, ...]]) -> tuple[str, ...]:
    """Tags by how many articles carry them, then by their best rank in an article (each list is
    strongest first), then alphabetically, so the order never depends on the input order."""
    support: Counter[str] = Counter()
    best_rank: dict[str, int] = {}
    for tags in tag_lists:
        for rank, tag in enumerate(dict.fromkeys(tags)):
            support[tag] += 1
            best_rank[tag] = min(rank, best_rank.get(tag, rank))
    return tuple(sorted(support, key=lambda tag: (-support[tag], best_rank[tag], tag)))
