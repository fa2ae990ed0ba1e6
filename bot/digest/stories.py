"""Stories as articles arrive: each new article joins the story it reports, or starts one.

`cluster()` groups a digest window's articles in one batch, which costs seconds for a busy day
and is repeated by every digest. A StoryIndex does the same work once per article, when it is
stored: it keeps the recent articles (DEFAULT_WINDOW back from the newest) indexed by (tag, word)
and places each arriving article with the same rules as cluster(): candidates share a location
or actor tag and one of the article's rarest shared words, pairs must be similar enough
(`match_score`), and the vetoes (one article per feed, the time window, disjoint places, disjoint
actors) hold across the whole story, so an article similar to two incompatible stories cannot
chain them together.

What differs from the batch, and why it is acceptable:
* order: the batch merges the most similar pairs of the whole window first; here an article is
  merged with its most similar candidates first, when it arrives. An article that would join
  either of two stories, which a veto keeps apart, may pick another one than the batch would;
* rarity: "rarest" is measured over the articles indexed when the article arrives, not over the
  finished window, so the prefix bound of cluster.py holds for the words known then;
* a late article (its time older than the index's horizon) only meets the articles still held.

Story ids are the id of the story's first article; when an article joins two stories into one,
the larger id's articles move to the smaller id, and `add` reports them, so the stored ids stay
in step. Pure: no I/O; the caller persists the placements.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from bot.digest.cluster import (
    DEFAULT_WINDOW,
    POSTING_CAP,
    ArticleText,
    StoryFacts,
    TagSet,
    article_text,
    match_score,
    prefix,
    tag_keys,
)
from bot.digest.model import DigestArticle


@dataclass(frozen=True, slots=True)
class Placement:
    """Article `article_id` belongs to story `story_id` (new, or moved by a merge)."""

    article_id: int
    story_id: int


@dataclass(frozen=True, slots=True)
class _Held:
    """An indexed article and what placing others against it needs."""

    article: DigestArticle
    text: ArticleText
    tags: TagSet
    seconds: float

    @classmethod
    def of(cls, article: DigestArticle) -> _Held:
        return cls(article, article_text(article), TagSet.of(article), article.time.timestamp())


class StoryIndex:
    def __init__(self, window: timedelta = DEFAULT_WINDOW) -> None:
        self._window = window
        self._span = window.total_seconds()
        self._held: dict[int, _Held] = {}
        self._frequency: Counter[str] = Counter()  # held articles per word
        self._postings: dict[tuple[str, str], dict[str, deque[int]]] = defaultdict(dict)
        self._story: dict[int, int] = {}  # article id -> story id, held articles only
        self._facts: dict[int, StoryFacts] = {}  # story id -> what the vetoes need
        self._held_in: Counter[int] = Counter()  # story id -> its articles still held
        self._by_time: list[tuple[float, int]] = []  # heap of (seconds, article id) held
        self._newest = float("-inf")

    def __len__(self) -> int:
        return len(self._held)

    def story_of(self, article_id: int) -> int | None:
        return self._story.get(article_id)

    def add(self, articles: Iterable[DigestArticle]) -> list[Placement]:
        """Place `articles` (in time order); the placements of every article that got or
        changed a story, in the order they happened. An article already held is skipped."""
        placements: list[Placement] = []
        for article in sorted(articles, key=lambda article: (article.time, article.id)):
            if article.id not in self._held:
                placements += self._place(article)
        self._forget_old()
        return placements

    def restore(self, placed: Iterable[tuple[DigestArticle, int]]) -> None:
        """Hold articles placed before (at start: the recent ones, with their stored story ids)
        without placing them again."""
        for article, story_id in sorted(placed, key=lambda pair: (pair[0].time, pair[0].id)):
            if article.id in self._held:
                continue
            held = _Held.of(article)
            self._index(held)
            self._join(article.id, story_id, held)
        self._forget_old()

    def _place(self, article: DigestArticle) -> list[Placement]:
        held = _Held.of(article)
        candidates = self._candidates_of(held)  # before holding it: it must not meet itself
        self._index(held)
        self._join(article.id, article.id, held)
        moved: dict[int, int] = {}  # article id -> the story it moved to
        for other_id in self._similar(held, candidates):
            merged = self._merge(self._story[article.id], self._story[other_id])
            if merged is not None:
                keep, members = merged
                moved.update(dict.fromkeys(members, keep))
        placements = [Placement(article.id, self._story[article.id])]
        return placements + [Placement(a, s) for a, s in moved.items() if a != article.id]

    def _candidates_of(self, held: _Held) -> set[int]:
        """Held articles sharing a tag and one of `held`'s rarest shared words."""
        shared = [word for word in held.text.weights if word in self._frequency]
        shared.sort(key=lambda word: (self._frequency[word], word))
        words = prefix(held.text, shared)
        found: set[int] = set()
        for key in tag_keys(held.article):
            bucket = self._postings.get(key)
            if bucket is not None:
                for word in words:
                    found.update(bucket.get(word, ()))
        return found

    def _similar(self, held: _Held, candidates: set[int]) -> list[int]:
        """The candidates `held` may join, most similar first (ties by id)."""
        scored: list[tuple[float, int]] = []
        for other_id in candidates:
            other = self._held.get(other_id)
            if other is None or abs(other.seconds - held.seconds) > self._span:
                continue
            if other.tags.may_merge(held.tags):
                score = match_score(other.text, held.text)
                if score is not None:
                    scored.append((-score, other_id))
        return [other_id for _, other_id in sorted(scored)]

    def _index(self, held: _Held) -> None:
        article_id = held.article.id
        self._held[article_id] = held
        heapq.heappush(self._by_time, (held.seconds, article_id))
        self._newest = max(self._newest, held.seconds)
        words = list(held.text.weights)
        self._frequency.update(words)
        for key in tag_keys(held.article):
            bucket = self._postings[key]
            for word in words:
                posting = bucket.get(word)
                if posting is None:
                    bucket[word] = deque((article_id,), maxlen=POSTING_CAP)
                else:
                    posting.append(article_id)

    def _join(self, article_id: int, story_id: int, held: _Held) -> None:
        """Put a held article in story `story_id` (made if new)."""
        self._story[article_id] = story_id
        self._held_in[story_id] += 1
        single = StoryFacts.of(article_id, held.article)
        if story_id in self._facts:
            self._facts[story_id].absorb(single)
        else:
            self._facts[story_id] = single

    def _merge(self, first: int, second: int) -> tuple[int, list[int]] | None:
        """Join two stories unless a veto keeps any of their articles apart: the story kept
        (the smaller id) and the articles that moved to it (held or not), else None."""
        if first == second or self._facts[first].clashes(self._facts[second], self._window):
            return None
        keep, gone = min(first, second), max(first, second)
        facts = self._facts.pop(gone)
        moved = list(facts.members)
        self._facts[keep].absorb(facts)
        self._held_in[keep] += self._held_in.pop(gone)
        for member in moved:
            if member in self._story:
                self._story[member] = keep
        return keep, moved

    def _forget_old(self) -> None:
        """Let go of articles more than the window older than the newest: no article of the
        same time can join them. Their stories' facts stay while any member is held."""
        horizon = self._newest - self._span
        while self._by_time and self._by_time[0][0] < horizon:
            _, article_id = heapq.heappop(self._by_time)
            self._forget(article_id)

    def _forget(self, article_id: int) -> None:
        held = self._held.pop(article_id)
        words = list(held.text.weights)
        self._frequency.subtract(words)
        for word in words:
            if self._frequency[word] <= 0:
                del self._frequency[word]
        for key in tag_keys(held.article):
            bucket = self._postings[key]
            for word in words:
                posting = bucket.get(word)
                if posting is not None and article_id in posting:
                    posting.remove(article_id)
                    if not posting:
                        del bucket[word]
            if not bucket:
                del self._postings[key]
        story_id = self._story.pop(article_id)
        self._held_in[story_id] -= 1
        if not self._held_in[story_id]:
            del self._held_in[story_id], self._facts[story_id]


def stories_of(placements: Sequence[Placement]) -> dict[int, int]:
    """The final story of each article placed, later placements winning."""
    return {placement.article_id: placement.story_id for placement in placements}
