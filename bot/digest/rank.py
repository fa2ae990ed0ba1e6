"""How important a story is: a sum of weighted, documented parts an analyst can check by hand.

    score = source     * log2(1 + independent sources)
          + actor      * min(distinct actors, max_actors) * strongest actor weight
          + severity   * min(severity points of the most severe headline, max_severity)
          + casualties * log10(1 + most dead reported in a headline)
          + recency    * 0.5 ** (hours since the story was last reported / half-life hours)
          + location   * strongest location weight

* Independent sources are distinct outlet names: two feeds of one outlet count once, and each
  doubling of coverage adds the same amount (the tenth outlet matters less than the second).
* Severity points come from words in the headlines (`severity_terms`: "massacre" 3, "killed" 2,
  "strike" 1.5, "drone" 1, "ransomware" 1.5...), each word counted once per headline; the most
  severe headline of the story counts, so a story does not grow more severe by being repeated.
* The dead are read from headlines only ("kills 40", "12 killed", "death toll rises to 15",
  "dozens dead"): summaries often carry a war's running total as background, which would make
  every story from that war look like the worst. Ten times the dead adds `casualties` once more.
* Recency decays from the story's latest article, measured against `now`; a story still being
  reported stays fresh. Times after `now` count as now.
* Every weight is a plain multiplier: set one to 0 and its part disappears. `explain` returns the
  parts, which sum to `score`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import NamedTuple, Protocol

from bot.digest.model import DigestArticle, Story, require_aware
from bot.digest.words import words

SEVERITY_TERMS: tuple[tuple[str, float], ...] = (
    ("massacre", 3.0), ("genocide", 3.0), ("killed", 2.0), ("hostage", 2.0),
    ("kidnapped", 2.0), ("executed", 2.0), ("execution", 2.0), ("assassinated", 2.0),
    ("assassination", 2.0), ("strike", 1.5), ("bomb", 1.5), ("bomber", 1.5), ("explosion", 1.5),
    ("shelling", 1.5), ("missile", 1.5), ("rocket", 1.5), ("ambush", 1.5), ("ransomware", 1.5),
    ("cyberattack", 1.5), ("suicide", 1.0), ("attack", 1.0), ("drone", 1.0), ("wounded", 1.0),
    ("injured", 1.0), ("clashes", 1.0), ("gunmen", 1.0), ("gunman", 1.0), ("raid", 1.0),
    ("breach", 1.0), ("hacked", 1.0),
)  # fmt: skip
# Words for "a lot" that stand where a count would: read as a conservative number.
_APPROXIMATE_COUNTS = {
    words(plural)[0]: count
    for plural, count in (("dozens", 24), ("scores", 40), ("hundreds", 200), ("thousands", 2000))
}
_NOT_A_TOLL_AFTER = frozenset(words("minutes hours days weeks months years km miles percent %"))
_BEFORE_A_YEAR = frozenset(words("in since from until by of before after"))
_KILL = words("killed")[0]  # "kills", "dead", "death" and "died" all normalise to this
_TOLL = words("toll")[0]
_NEAR_KILL = 4  # words either side of "killed" where its number stands
_AFTER_TOLL = 8  # "death toll from Saturday's car bombing rises to 15"


@dataclass(frozen=True, slots=True)
class RankWeights:
    source: float = 2.0  # per doubling of independent outlets
    actor: float = 1.0  # per distinct actor, times the strongest actor weight
    severity: float = 0.75  # per severity point
    casualties: float = 1.5  # per tenfold dead
    recency: float = 3.0  # the bonus of a story reported right now
    half_life: timedelta = timedelta(hours=12)
    location: float = 1.0  # times the strongest location weight
    max_actors: int = 3  # a long list of actors is a round-up, not a bigger story
    max_severity: float = 6.0
    severity_terms: tuple[tuple[str, float], ...] = SEVERITY_TERMS

    def __post_init__(self) -> None:
        numbers = (self.source, self.actor, self.severity, self.casualties, self.recency)
        if min(*numbers, self.location, self.max_actors, self.max_severity) < 0:
            raise ValueError(f"rank weights cannot be negative: {self}")
        if self.half_life <= timedelta(0):
            raise ValueError(f"half_life must be positive, got {self.half_life}")


class StoryStats(Protocol):
    """What ranking and grouping read of a story (see the module docstring): `Stats` from a
    Story's articles (`stats_of`), or a stored story summed up by storage (StoryRow)."""

    @property
    def first_id(self) -> int: ...  # the smallest article id: the last tie-break
    @property
    def sources(self) -> int: ...
    @property
    def actors(self) -> int: ...  # distinct actors
    @property
    def actor_weight(self) -> float: ...
    @property
    def severity(self) -> float: ...  # the most severe headline's points (uncapped)
    @property
    def dead(self) -> int: ...
    @property
    def first(self) -> datetime: ...  # when the story broke: its earliest article
    @property
    def latest(self) -> datetime: ...
    @property
    def location_weight(self) -> float: ...
    @property
    def locations(self) -> tuple[tuple[str, ...], ...]: ...  # each article's, strongest first


class Stats(NamedTuple):
    first_id: int
    sources: int
    actors: int
    actor_weight: float
    severity: float
    dead: int
    first: datetime
    latest: datetime
    location_weight: float
    locations: tuple[tuple[str, ...], ...]


def stats_of(story: Story, weights: RankWeights) -> Stats:
    articles = story.articles
    actors = set(articles[0].actors).union(*(article.actors for article in articles[1:]))
    return Stats(
        min(article.id for article in articles), len(story.sources), len(actors),
        max(article.actor_weight for article in articles),
        max(_severity(article, weights.severity_terms) for article in articles),
        max(map(_dead, articles)), story.time, story.latest,
        max(article.location_weight for article in articles),
        tuple(article.locations for article in articles),
    )  # fmt: skip


def score(story: Story, weights: RankWeights, now: datetime) -> float:
    return sum(value for _, value in explain(story, weights, now))


def explain(story: Story, weights: RankWeights, now: datetime) -> list[tuple[str, float]]:
    """The weighted parts of the score, in the order of the module docstring's formula."""
    return explain_stats(stats_of(story, weights), weights, now)


PARTS = ("sources", "actors", "severity", "casualties", "recency", "location")


def explain_stats(
    stats: StoryStats, weights: RankWeights, now: datetime
) -> list[tuple[str, float]]:
    return list(zip(PARTS, Scorer(weights, now).parts(stats), strict=True))


RankKey = tuple[float, float, int]  # (-score, -latest timestamp, first id): best first


class Scorer:
    """Scores against one `now`: what every story shares is worked out once, since a digest
    scores 10,000 stories."""

    def __init__(self, weights: RankWeights, now: datetime) -> None:
        require_aware(now, "now")
        self._weights = weights
        self._now = now.timestamp()
        self._half_life = weights.half_life.total_seconds()

    def parts(self, stats: StoryStats) -> tuple[float, float, float, float, float, float]:
        """The weighted parts of the score, in the order of PARTS."""
        return self._parts(stats, stats.latest.timestamp())

    def _parts(
        self, stats: StoryStats, latest: float
    ) -> tuple[float, float, float, float, float, float]:
        weights = self._weights
        age = max(self._now - latest, 0.0)  # times after now count as now
        return (
            weights.source * math.log2(1 + stats.sources),
            weights.actor * min(stats.actors, weights.max_actors) * stats.actor_weight,
            weights.severity * min(stats.severity, weights.max_severity),
            weights.casualties * math.log10(1 + stats.dead),
            weights.recency * math.pow(0.5, age / self._half_life),
            weights.location * stats.location_weight,
        )

    def score(self, stats: StoryStats) -> float:
        return sum(self.parts(stats))

    def ranking(self, stats: StoryStats) -> tuple[RankKey, float]:
        """The sort key of ranking, and the score. Higher scores first, then the newer story
        (its latest article), then the lower first article id (not the lead's: which headline
        leads is chosen after ranking, for the stories shown only)."""
        latest = stats.latest.timestamp()
        score = sum(self._parts(stats, latest))
        return (-score, -latest, stats.first_id), score


def rank(stories: Iterable[Story], weights: RankWeights, now: datetime) -> list[Story]:
    """Stories best first; see `ranked`."""
    return [story for story, _ in ranked(stories, weights, now)]


def ranked(
    stories: Iterable[Story], weights: RankWeights, now: datetime
) -> list[tuple[Story, float]]:
    """Stories with their scores, best first (see `Scorer.ranking`)."""
    scorer = Scorer(weights, now)
    scored = [(*scorer.ranking(stats_of(story, weights)), story) for story in stories]
    scored.sort(key=lambda entry: entry[0])
    return [(story, value) for _, value, story in scored]


def severity_points(title: str, terms: tuple[tuple[str, float], ...] = SEVERITY_TERMS) -> float:
    """The points of the severity words in a headline, each word counted once."""
    points = _normalised_terms(terms)
    return sum(points.get(word, 0.0) for word in set(words(title)))


def dead(title: str) -> int:
    """The number of dead a headline reports, 0 when it reports none."""
    tokens = words(title)
    counts: list[int] = []
    for index, token in enumerate(tokens):
        before, after = _search_span(token)
        count = _nearest_count(tokens, index, before, after) if before or after else None
        if count is not None:
            counts.append(count)
    return max(counts, default=0)


def _search_span(token: str) -> tuple[int, int]:
    if token == _KILL:
        return _NEAR_KILL, _NEAR_KILL
    if token == _TOLL:
        return 0, _AFTER_TOLL
    return 0, 0


def _nearest_count(tokens: Sequence[str], index: int, before: int, after: int) -> int | None:
    """The count closest to tokens[index] within the span (on a tie, the one before it)."""
    for distance in range(1, max(before, after) + 1):
        for position in (index - distance, index + distance):
            in_span = -before <= position - index <= after and 0 <= position < len(tokens)
            count = _count_at(tokens, position) if in_span and position != index else None
            if count is not None:
                return count
    return None


def _count_at(tokens: Sequence[str], position: int) -> int | None:
    token = tokens[position]
    following = tokens[position + 1] if position + 1 < len(tokens) else ""
    if token in _APPROXIMATE_COUNTS:
        return _APPROXIMATE_COUNTS[token]
    if not token.isdigit() or following in _NOT_A_TOLL_AFTER:
        return None
    previous = tokens[position - 1] if position > 0 else ""
    if 1900 <= int(token) <= 2100 and previous in _BEFORE_A_YEAR:
        return None  # "in 2024", "since 1990": a year, not a toll
    return int(token)


def _severity(article: DigestArticle, terms: tuple[tuple[str, float], ...]) -> float:
    """The headline's points: as stored when the article was placed, unless other terms apply."""
    if article.severity is not None and terms == SEVERITY_TERMS:
        return article.severity
    return severity_points(article.title, terms)


def _dead(article: DigestArticle) -> int:
    return dead(article.title) if article.dead is None else article.dead


@lru_cache(maxsize=8)
def _normalised_terms(terms: tuple[tuple[str, float], ...]) -> dict[str, float]:
    """Severity words as the tokenizer spells them ("shelling" -> "shell"); first spelling wins."""
    points: dict[str, float] = {}
    for term, value in terms:
        for word in words(term):
            points.setdefault(word, value)
    return points
