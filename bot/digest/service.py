"""Building a digest from storage: the window's articles with their tags, clustered off the loop."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.digest.layout import DigestView, build_digest
from bot.digest.model import DigestArticle
from bot.digest.rank import RankWeights
from bot.digest.window import Window
from bot.settings import DigestSettings
from bot.tagging.taxonomy import Taxonomy
from storage import Storage
from storage.types import Article, ArticleTags


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


def _matches(
    article: DigestArticle, countries: frozenset[str] | None, actors: frozenset[str] | None
) -> bool:
    if countries is not None and not countries.intersection(article.locations):
        return False
    return actors is None or bool(actors.intersection(article.actors))


def weights_from(settings: DigestSettings) -> RankWeights:
    """The ranking weights of the [digest] settings."""
    return RankWeights(
        source=settings.weight_sources,
        actor=settings.weight_actors,
        severity=settings.weight_severity,
        casualties=settings.weight_casualties,
        recency=settings.weight_recency,
        half_life=timedelta(hours=settings.recency_half_life_hours),
        location=settings.weight_location,
    )


class Digests:
    def __init__(
        self, storage: Storage, taxonomy: Taxonomy, weights: RankWeights | None = None
    ) -> None:
        self._storage = storage
        self._taxonomy = taxonomy
        self._weights = weights or RankWeights()

    async def articles(
        self,
        window: Window,
        countries: frozenset[str] | None = None,
        actors: frozenset[str] | None = None,
    ) -> list[DigestArticle]:
        found = await self._storage.digests.arrived_with_tags(window.start, window.end)
        chosen = (digest_article(article, tags) for article, tags in found)
        return [article for article in chosen if _matches(article, countries, actors)]

    async def build(
        self,
        window: Window,
        now: datetime,
        countries: frozenset[str] | None = None,
        actors: frozenset[str] | None = None,
        min_sources: int = 1,
    ) -> DigestView:
        """The digest of `window`; clustering is CPU work, so it runs in a worker thread."""
        articles: Sequence[DigestArticle] = await self.articles(window, countries, actors)
        return await asyncio.to_thread(
            build_digest,
            articles,
            self._taxonomy,
            window,
            now,
            self._weights,
            min_sources=min_sources,
        )
