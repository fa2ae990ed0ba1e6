"""Building a digest from storage: the window's articles grouped into stories, off the loop."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.app import App
from bot.digest.cluster import cluster
from bot.digest.layout import DigestView, Plan, finish, plan_digest
from bot.digest.model import DigestArticle, Story, digest_article
from bot.digest.placement import StoryPlacer
from bot.digest.rank import SEVERITY_TERMS, RankWeights, StoryStats, stats_of
from bot.digest.window import Window
from bot.settings import DigestSettings
from bot.tagging.taxonomy import Taxonomy
from storage import Storage
from storage.types import Article, ArticleTags, StoryRow, WindowArticle

log = logging.getLogger(__name__)


def placed_article(row: WindowArticle) -> DigestArticle:
    """A window article placed in a story as ranking and layout see it (no summary: its story
    is known, so nothing reads its words)."""
    return DigestArticle(
        row.id, row.feed_id, row.source, row.title, "", row.url, row.sort_time, row.locations,
        row.actors, row.location_weight, row.actor_weight, row.severity, row.dead,
    )  # fmt: skip


def _matches(
    article: DigestArticle, countries: frozenset[str] | None, actors: frozenset[str] | None
) -> bool:
    if countries is not None and not countries.intersection(article.locations):
        return False
    return actors is None or bool(actors.intersection(article.actors))


def _chosen(
    found: Sequence[tuple[Article, ArticleTags]],
    countries: frozenset[str] | None,
    actors: frozenset[str] | None,
) -> list[DigestArticle]:
    """The articles, as digests see them, with a location in `countries` and an actor in
    `actors` (None: any)."""
    chosen = (digest_article(article, tags) for article, tags in found)
    return [article for article in chosen if _matches(article, countries, actors)]


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


def digests_of(app: App) -> Digests:
    """The digests of the app's storage, taxonomy, settings and story placer."""
    assert app.tagging is not None, "digests need the taxonomy"
    taxonomy, weights = app.tagging.taxonomy, weights_from(app.settings.digest)
    return Digests(app.storage, taxonomy, weights, app.stories)


class Digests:
    """Digests built from storage. Articles already placed in stories (`placer`, see
    bot/digest/placement.py) are grouped by their stored story; the others (stored before
    placement existed, or all of them without a placer) are clustered at build time."""

    def __init__(
        self,
        storage: Storage,
        taxonomy: Taxonomy,
        weights: RankWeights | None = None,
        placer: StoryPlacer | None = None,
    ) -> None:
        self._storage = storage
        self._taxonomy = taxonomy
        self._weights = weights or RankWeights()
        self._placer = placer
        if self._weights.severity_terms != SEVERITY_TERMS:
            raise ValueError(
                "stored stories carry their severity under the default terms: change"
                " rank.SEVERITY_TERMS itself, not RankWeights.severity_terms, for digests"
            )

    async def articles(
        self,
        window: Window,
        countries: frozenset[str] | None = None,
        actors: frozenset[str] | None = None,
    ) -> list[DigestArticle]:
        """The window's articles with their words and tags, as clustering reads them."""
        found = await self._storage.digests.arrived_with_tags(window.start, window.end)
        return _chosen(found, countries, actors)

    async def build(
        self,
        window: Window,
        now: datetime,
        countries: frozenset[str] | None = None,
        actors: frozenset[str] | None = None,
        min_sources: int = 1,
    ) -> DigestView:
        """The digest of `window`: stored stories summed up by storage, unplaced articles
        clustered here, ranked off the event loop; articles read for the stories shown only."""
        if self._placer is not None:
            await self._placer.place_new()
        digests = self._storage.digests
        found = await digests.window_stories(window.start, window.end, countries, actors)
        stored = found.stories
        loose = await self._unplaced(found.unplaced_ids, countries, actors)
        clustered = await asyncio.to_thread(cluster, loose)
        plan = await asyncio.to_thread(self._plan, stored, clustered, now, min_sources)
        stories = {min(a.id for a in story.articles): story for story in clustered}
        stories.update(await self._stored_stories(window, plan, stored, countries, actors))
        count = sum(row.articles for row in stored) + len(loose)
        return await asyncio.to_thread(finish, plan, stories, self._taxonomy, window, count)

    async def _stored_stories(
        self,
        window: Window,
        plan: Plan,
        stored: Sequence[StoryRow],
        countries: frozenset[str] | None,
        actors: frozenset[str] | None,
    ) -> dict[int, Story]:
        """The articles of the stored stories shown, by first article id."""
        first_ids = {stats.first_id for stats in plan.shown}
        story_ids = [row.story_id for row in stored if row.first_id in first_ids]
        found = await self._storage.digests.story_articles(
            window.start, window.end, story_ids, countries, actors
        )
        members: dict[int, list[DigestArticle]] = defaultdict(list)
        for row in found:
            members[row.story_id or 0].append(placed_article(row))
        return {min(a.id for a in group): Story(tuple(group)) for group in members.values()}

    async def _unplaced(
        self, ids: list[int], countries: frozenset[str] | None, actors: frozenset[str] | None
    ) -> list[DigestArticle]:
        """The window's articles without a stored story, with their words and tags."""
        return _chosen(await self._storage.digests.with_tags(ids) if ids else [], countries, actors)

    def _plan(
        self,
        stored: Sequence[StoryRow],
        clustered: Sequence[Story],
        now: datetime,
        min_sources: int,
    ) -> Plan:
        stories: list[StoryStats] = list(stored)
        stories += [stats_of(story, self._weights) for story in clustered]
        return plan_digest(stories, self._taxonomy, now, self._weights, min_sources=min_sources)
