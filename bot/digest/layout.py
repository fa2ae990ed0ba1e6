"""From stories to a digest: rank, group by region, write the lines. Pure; takes `now`.

A story belongs to the leaf region of its strongest location country (Levant, Sahel, ...);
stories with no location (much of cyber news) go to a last section. Sections are ordered by
their best story, each shows its top stories and counts the rest.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from operator import itemgetter

from bot.digest.cluster import cluster, led_story
from bot.digest.model import DigestArticle, Story, by_support
from bot.digest.rank import RankKey, RankWeights, Scorer, StoryStats, stats_of
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


@dataclass(frozen=True, slots=True)
class Plan:
    """A digest before its lines are written: sections of ranked stories with their scores."""

    sections: tuple[tuple[str, tuple[tuple[StoryStats, float], ...], int], ...]  # region, top, more
    stories: int
    per_region_day: tuple[tuple[str, date, int], ...]

    @property
    def shown(self) -> list[StoryStats]:
        return [stats for _, top, _ in self.sections for stats, _ in top]


def build_digest(
    articles: Sequence[DigestArticle],
    taxonomy: Taxonomy,
    window: Window,
    now: datetime,
    weights: RankWeights | None = None,
    per_section: int = STORIES_PER_SECTION,
    min_sources: int = 1,
) -> DigestView:
    """Cluster `articles` into stories, rank them and group them by region."""
    weights = weights or RankWeights()
    stories = cluster(articles)
    stats = [stats_of(story, weights) for story in stories]
    plan = plan_digest(stats, taxonomy, now, weights, per_section, min_sources)
    by_first_id = {each.first_id: story for each, story in zip(stats, stories, strict=True)}
    return finish(plan, by_first_id, taxonomy, window, len(articles))


def plan_digest(
    stories: Sequence[StoryStats],
    taxonomy: Taxonomy,
    now: datetime,
    weights: RankWeights,
    per_section: int = STORIES_PER_SECTION,
    min_sources: int = 1,
) -> Plan:
    """Rank the stories and group them by region. `min_sources` keeps only stories reported
    by at least that many outlets. Sections are ordered by their best story (the stories of
    no known location last); only a section's top stories are sorted, the rest are counted."""
    scorer = Scorer(weights, now)
    regions = {code: taxonomy.region_of(code).name for code in taxonomy.countries}
    grouped: dict[str, list[tuple[RankKey, float, StoryStats]]] = defaultdict(list)
    days: Counter[tuple[str, date]] = Counter()
    for story in stories:
        if story.sources >= min_sources:
            region = region_of(story.locations, regions)
            grouped[region].append((*scorer.ranking(story), story))
            days[(region, story.first.date())] += 1
    tops = {region: heapq.nsmallest(max(per_section, 1), ranked, key=itemgetter(0))
            for region, ranked in grouped.items()}  # fmt: skip
    sections = tuple(
        (
            region,
            tuple((story, value) for _, value, story in tops[region][:per_section]),
            max(0, len(grouped[region]) - per_section),
        )
        for region in sorted(tops, key=lambda region: (region == UNPLACED, tops[region][0][0]))
    )
    per_day = tuple((region, day, count) for (region, day), count in sorted(days.items()))
    return Plan(sections, sum(map(len, grouped.values())), per_day)


def region_of(locations: Sequence[tuple[str, ...]], regions: Mapping[str, str]) -> str:
    """The region of a story's strongest location with support (see Story.locations), given each
    article's locations and each known country's region."""
    for code in locations[0] if len(locations) == 1 else by_support(locations):
        if code in regions:
            return regions[code]
    return UNPLACED


def finish(
    plan: Plan,
    stories: Mapping[int, Story],
    taxonomy: Taxonomy,
    window: Window,
    articles: int,
) -> DigestView:
    """The digest of `plan` (made from `articles` articles): a line per story shown, led by its
    best headline; `stories` holds their articles, by first article id."""
    sections = []
    for region, top, more in plan.sections:
        lines = tuple(
            _line(stories[stats.first_id], value, taxonomy)
            for stats, value in top
            if stats.first_id in stories  # else deleted since it was ranked
        )
        sections.append(Section(region, lines, more))
    return DigestView(window, articles, plan.stories, tuple(sections), plan.per_region_day)


def _line(story: Story, score: float, taxonomy: Taxonomy) -> StoryLine:
    story = led_story(sorted(story.articles, key=lambda article: (article.time, article.id)))
    lead = story.lead
    countries = tuple(
        taxonomy.countries[code].name for code in story.locations if code in taxonomy.countries
    )
    actors = tuple(
        taxonomy.actors[actor_id].name for actor_id in story.actors if actor_id in taxonomy.actors
    )
    return StoryLine(
        lead.title, lead.url, story.sources, story.time, countries[:3], actors[:4],
        round(score, 2), tuple(article.id for article in story.articles),
    )  # fmt: skip
