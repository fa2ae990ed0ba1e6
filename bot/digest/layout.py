"""From tagged articles to a digest: cluster, rank, group by region. Pure; takes `now`.

A story belongs to the leaf region of its strongest location country (Levant, Sahel, ...);
stories with no location (much of cyber news) go to a last section. Sections are ordered by
their best story, each shows its top stories and counts the rest.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.digest.cluster import cluster
from bot.digest.model import DigestArticle, Story
from bot.digest.rank import RankWeights, rank, score
from bot.digest.window import Window
from bot.tagging.taxonomy import Taxonomy

UNPLACED = "Elsewhere and online"
STORIES_PER_SECTION = 5


@dataclass(frozen=True, slots=True)
class StoryLine:
    title: str
    url: str | None
    sources: tuple[str, ...]  # the lead's outlet first
    time: datetime  # when the story broke
    countries: tuple[str, ...]  # location country names
    actors: tuple[str, ...]  # actor names
    score: float
    article_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Section:
    region: str
    stories: tuple[StoryLine, ...]
    more: int  # stories in this region not shown


@dataclass(frozen=True, slots=True)
class DigestView:
    window: Window
    articles: int
    stories: int
    sections: tuple[Section, ...]
    per_region_day: tuple[tuple[str, date, int], ...]  # stories per region per day, for a chart

    @property
    def empty(self) -> bool:
        return self.articles == 0


def build_digest(
    articles: Sequence[DigestArticle],
    taxonomy: Taxonomy,
    window: Window,
    now: datetime,
    weights: RankWeights | None = None,
    per_section: int = STORIES_PER_SECTION,
    min_sources: int = 1,
) -> DigestView:
    """`min_sources` keeps only stories reported by at least that many outlets."""
    weights = weights or RankWeights()
    stories = [story for story in cluster(articles) if len(story.sources) >= min_sources]
    ranked = rank(stories, weights, now)
    grouped: dict[str, list[Story]] = defaultdict(list)
    for story in ranked:
        grouped[_region_of(story, taxonomy)].append(story)
    order = sorted(
        grouped, key=lambda region: (region == UNPLACED, ranked.index(grouped[region][0]))
    )
    sections = tuple(
        Section(
            region,
            tuple(_line(story, taxonomy, weights, now) for story in grouped[region][:per_section]),
            max(0, len(grouped[region]) - per_section),
        )
        for region in order
    )
    days = Counter((_region_of(story, taxonomy), story.time.date()) for story in ranked)
    per_day = tuple((region, day, count) for (region, day), count in sorted(days.items()))
    return DigestView(window, len(articles), len(ranked), sections, per_day)


def _region_of(story: Story, taxonomy: Taxonomy) -> str:
    for code in story.locations:
        if code in taxonomy.countries:
            return taxonomy.region_of(code).name
    return UNPLACED


def _line(story: Story, taxonomy: Taxonomy, weights: RankWeights, now: datetime) -> StoryLine:
    lead = story.lead
    countries = tuple(
        taxonomy.countries[code].name for code in story.locations if code in taxonomy.countries
    )
    actors = tuple(
        taxonomy.actors[actor_id].name for actor_id in story.actors if actor_id in taxonomy.actors
    )
    return StoryLine(
        lead.title, lead.url, story.sources, story.time, countries[:3], actors[:4],
        round(score(story, weights, now), 2), tuple(article.id for article in story.articles),
    )  # fmt: skip
