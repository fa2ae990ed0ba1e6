"""The frozen records digests work on: one tagged article, and one story made of several."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from storage.types import Article, ArticleTags


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
    # What ranking reads of the headline, when known already (stored when the article was
    # placed in a story; see bot/digest/rank.py): severity points with the default terms, dead.
    severity: float | None = None
    dead: int | None = None

    def __post_init__(self) -> None:
        if self.time.tzinfo is not UTC:  # what storage gives; checked cheaply, 20,000 a digest
            require_aware(self.time, f"article {self.id} time")


def digest_article(article: Article, tags: ArticleTags) -> DigestArticle:
    """An article as digests see it: location countries and actors, strongest first."""
    located = [tag for tag in tags.countries if tag.role == "location"]
    return DigestArticle(
        id=article.id,
        feed_id=article.feed_id,
        source=article.feed_title,
        title=article.title,
        summary=article.summary,
        url=article.url,
        time=article.sort_time,
        locations=tuple(tag.code for tag in located),
        actors=tuple(tag.actor_id for tag in tags.actors),
        location_weight=max((tag.weight for tag in located), default=0.0),
        actor_weight=max((tag.weight for tag in tags.actors), default=0.0),
    )


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
        if len(self.articles) == 1:  # most stories: keep the common case cheap
            return self.articles[0].time
        return min(article.time for article in self.articles)

    @property
    def latest(self) -> datetime:
        """When it was last reported: its most recent article."""
        if len(self.articles) == 1:
            return self.articles[0].time
        return max(article.time for article in self.articles)

    @property
    def sources(self) -> tuple[str, ...]:
        """Distinct outlets, the lead's first (two feeds of one outlet count once)."""
        if len(self.articles) == 1:
            return (self.articles[0].source,)
        return tuple(dict.fromkeys(article.source for article in self.articles))

    @property
    def locations(self) -> tuple[str, ...]:
        return by_support([article.locations for article in self.articles])

    @property
    def actors(self) -> tuple[str, ...]:
        return by_support([article.actors for article in self.articles])


def by_support(tag_lists: Sequence[tuple[str, ...]]) -> tuple[str, ...]:
    """Tags by how many articles carry them, then by their best rank in an article (each list is
    strongest first), then alphabetically, so the order never depends on the input order."""
    first = tag_lists[0]
    if all(tags == first for tags in tag_lists):  # one article, or reports tagged alike
        return tuple(dict.fromkeys(first))
    order: dict[str, list[int]] = {}  # tag -> [-support, best rank]: its sort key
    for tags in tag_lists:
        for rank, tag in enumerate(dict.fromkeys(tags)):
            key = order.get(tag)
            if key is None:
                order[tag] = [-1, rank]
            else:
                key[0] -= 1
                key[1] = min(key[1], rank)
    return tuple(sorted(order, key=lambda tag: (*order[tag], tag)))
