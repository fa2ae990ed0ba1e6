"""One story per event: merge articles from different outlets that report the same thing.

Two articles are the same event when all of these hold:

* they come from different feeds (an outlet's follow-ups and its unrelated stories stay apart; two
  feeds of one outlet carrying the same article do merge, and count as one source);
* they are at most `window` apart (36 hours by default);
* they share a location or an actor;
* their text similarity is at least SAME_EVENT_SIMILARITY (0.48), or at least LONG_MATCH_SIMILARITY
  (0.30) when they have LONG_MATCH_WORDS (12) content words in common: cosine divides by length,
  so two full reports with their own background score lower than two bare headlines on a template;

and no veto applies. Vetoes: their location sets are both non-empty and disjoint ("Bomb kills 5 in
Kabul" is not "Bomb kills 5 in Peshawar"), or their actor sets are both non-empty and disjoint
("RSF shells El Fasher" is not "Sudan army retakes Omdurman bridge").

Text similarity is the cosine of weighted content words. Words come from the title and the start of
the summary, its wire dateline ("KYIV, Jan 8 (Reuters) -") left out, normalised by
bot/digest/words.py: lower-cased, accents folded,
stop words dropped, plurals and -ed/-ing endings stripped, number words written as digits ("dozen"
is 12), and a few words news uses interchangeably folded together (airstrike/strike, dead/killed,
blast/explosion, American/US, vessel/ship). A title word weighs 1 and a summary word 0.5; a name (a
capitalised word that does not open a sentence, in a headline not written In Title Case) weighs
half that, because articles that share a tag share its name anyway. When both headlines name
something the other article never mentions ("kills 5 in Rafah" / "kills 3 in Khan Younis") the
similarity is cut, by up to half: by the smaller of the two headlines' shares of own names (those
the other headline lacks) that the other article never mentions, so one name written two ways
("IRGC" / "Revolutionary Guards") costs little and two towns cost the half. Similarity depends on
the two articles only, never on the rest of the batch, so a pair merges or not for the same reasons
every time.

Merging is union-find over the candidate pairs, most similar first. Vetoes, the time window and the
one-article-per-feed rule hold across the whole cluster, not just the pair being merged, so an
article similar to two incompatible stories cannot chain them together.

Candidate pairs come from an inverted index, not from comparing every pair in a tag: the cost
grows with the articles, not their square. Each article is indexed under (tag, word) for each of
its location and actor tags and each word of its *prefix*: its words shared with some other
article of the batch, rarest first (document frequency, ties by spelling), as many as it takes
for the shared words left out to weigh less than LONG_MATCH_SIMILARITY of the article's length.
Two articles whose cosine reaches the threshold share a tag and the rarest word they have in
common, and that word is in both prefixes: if it were outside one, everything they share would be
outside it too, and Cauchy-Schwarz caps their cosine below the threshold. Articles are visited in
time order, each posting keeps only the window's articles, and the exact similarity is computed
for each candidate that no veto already rules out.

Two bounds keep a busy day linear, and are the only way a pair the all-pairs rule would merge can
be missed: a prefix holds at most PREFIX_CAP words (news vectors are flat, so an exact prefix is
most of the article and reaches every common word), and a posting keeps its POSTING_CAP most
recent articles (thousands of near-identical reports from one country would otherwise compare
every pair; each still meets POSTING_CAP look-alikes, more than a story holds). Reports of one
event share their rarest words (names, places, numbers), so they are found first: on the first
5,000 articles of the bench day (bench/digest.py), 99.0% of the pairs all-pairs merges merge here.

Reading words is the other cost: each article's words (and each headline's, which ranking reads
too) are kept between builds in a bounded cache (TEXT_CACHE), since digest windows overlap and
several subscriptions read the same articles.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from bot.digest.model import DigestArticle, Story
from bot.digest.words import STOP_STEMS, TEXT_CACHE, content_words, tokens

SAME_EVENT_SIMILARITY = 0.48
# Cosine divides by length, so two full reports of one event, each with its own background, score
# lower than two bare headlines sharing a template ("Gunmen kidnap 30 students in Kaduna" / "...12
# worshippers in Kaduna", 0.43). Reports sharing LONG_MATCH_WORDS content words (names, places,
# figures) are one event from LONG_MATCH_SIMILARITY. On the labeled demo week, pairs of one event
# there share 11 to 16 words, pairs of two events at most 8; on the bench's synthetic day, whose
# summaries draw on one small vocabulary, 10 words let 4% false pairs through, 12 words 0.5%.
LONG_MATCH_SIMILARITY = 0.30
LONG_MATCH_WORDS = 12
DEFAULT_WINDOW = timedelta(hours=36)
SUMMARY_WORDS = 40  # the lead paragraph; later text drifts into background and boilerplate
SUMMARY_CHARS = 1000  # some feeds put whole articles in the summary: read only its start
TITLE_WEIGHT = 1.0
SUMMARY_WEIGHT = 0.5
# Names weigh less than other words: articles that share a location or actor tag (which merging
# requires) share its name anyway, so the name says little about whether the event is the same.
NAME_WEIGHT = 0.5
# ...but a headline naming something the other article never mentions, on both sides ("kills 5 in
# Rafah" / "kills 3 in Khan Younis"), points to two events: the similarity is multiplied by this.
DIFFERENT_NAMES_FACTOR = 0.5
# A posting keeps this many of its most recent articles (see the module docstring): far more than
# one story can hold, few enough that 3,000 near-identical reports cost 3,000 x 32 comparisons.
POSTING_CAP = 32
# An article is indexed under at most this many of its rarest shared words (see the docstring).
PREFIX_CAP = 8

# A wire dateline ("KYIV, Jan 8 (Reuters) - ", "GOMA, Congo (AP) - ") opens many leads: where the
# reporter sits, the day and the agency say nothing about the event, and two wires' datelines
# would otherwise make unrelated stories look alike.
_DATELINE = re.compile(
    r"\s*[A-Z][A-Z'’.\- ]+(?:,\s*[A-Z][\w'’.\- ]*){0,2}?"
    r"(?:,?\s+[A-Z][a-z]{2,8}\.?\s+\d{1,2}(?:\s*\([A-Za-z][\w .&-]{0,30}\))?"
    r"|\s*\([A-Za-z][\w .&-]{0,30}\))\s*[-–—]+\s+"
)


def cluster(articles: Iterable[DigestArticle], window: timedelta = DEFAULT_WINDOW) -> list[Story]:
    """Group `articles` into stories, ordered by when each story broke (then by article id)."""
    ordered = sorted(articles, key=lambda article: (article.time, article.id))
    texts = [article_text(article) for article in ordered]
    merges = _similar_pairs(ordered, texts, window)
    groups = _merge(ordered, merges, window)
    return [led_story([ordered[index] for index in group]) for group in groups]


def similarity(first: DigestArticle, second: DigestArticle) -> float:
    """How alike two articles' words are, 0..1 (see the module docstring)."""
    return _similarity(article_text(first), article_text(second))


def words_match(first: DigestArticle, second: DigestArticle) -> bool:
    """Whether two articles' words are alike enough to report one event (tags and time aside)."""
    return match_score(article_text(first), article_text(second)) is not None


def vetoed(first: DigestArticle, second: DigestArticle, window: timedelta) -> bool:
    """True when two articles can never be in one story, however similar their words."""
    return (
        first.feed_id == second.feed_id
        or abs(first.time - second.time) > window
        or _disjoint(first.locations, second.locations)
        or _disjoint(first.actors, second.actors)
    )


def choose_lead(articles: Sequence[DigestArticle]) -> DigestArticle:
    """The most informative headline: the one sharing most words with the others, then the longest,
    then the earliest."""
    if len(articles) == 1:
        return articles[0]
    titles = [set(content_words(article.title)) for article in articles]

    def preference(index: int) -> tuple[int, int, object, int]:
        shared = sum(len(titles[index] & other) for other in titles)  # includes itself: harmless
        article = articles[index]
        return (-shared, -len(titles[index]), article.time, article.id)

    return articles[min(range(len(articles)), key=preference)]


@dataclass(frozen=True, slots=True)
class ArticleText:
    """An article's words, read once: kept between builds (see TEXT_CACHE), so nothing in it may
    depend on the batch."""

    weights: dict[str, float]  # content word -> weight / norm (a unit vector); read only
    norm: float  # length of the weight vector before it was divided by it
    other_words: frozenset[str]  # the summary's content words beyond its lead
    title_names: frozenset[str]

    def mentions(self, word: str) -> bool:
        return word in self.weights or word in self.other_words


def article_text(article: DigestArticle) -> ArticleText:
    return _read(article.title, article.summary[:SUMMARY_CHARS])


@lru_cache(maxsize=TEXT_CACHE)
def _read(title: str, summary: str) -> ArticleText:
    title_tokens, summary_tokens = tokens(title), tokens(_without_dateline(summary))
    weights = _weights(title_tokens, summary_tokens)
    norm = math.sqrt(sum(weight * weight for weight in weights.values()))
    return ArticleText(
        weights={word: weight / norm for word, weight in weights.items()},
        norm=norm,
        other_words=frozenset(
            word for word, _ in summary_tokens if word not in weights and word not in STOP_STEMS
        ),
        title_names=frozenset(
            word for word, name in title_tokens if name and word not in STOP_STEMS
        ),
    )


def _without_dateline(summary: str) -> str:
    dateline = _DATELINE.match(summary)
    return summary[dateline.end() :] if dateline else summary


def _weights(title: list[tuple[str, bool]], summary: list[tuple[str, bool]]) -> dict[str, float]:
    """Content word -> weight: a title word 1, a summary word 0.5, a name half of either."""
    weights: dict[str, float] = {}
    for field_tokens, weight, limit in (
        (summary, SUMMARY_WEIGHT, SUMMARY_WORDS),
        (title, TITLE_WEIGHT, None),
    ):
        content = [(word, name) for word, name in field_tokens if word not in STOP_STEMS]
        for word, name in content[:limit]:
            weights[word] = max(weights.get(word, 0.0), weight * (NAME_WEIGHT if name else 1.0))
    return weights


def _similarity(first: ArticleText, second: ArticleText) -> float:
    one, two = first.weights, second.weights
    # fsum rounds exactly, so the set's order (string hashes differ between processes) cannot
    # move a score by a bit and reorder ties between runs.
    score = math.fsum(one[word] * two[word] for word in one.keys() & two.keys())
    unmentioned = min(_unmentioned_share(first, second), _unmentioned_share(second, first))
    return score * (1.0 - (1.0 - DIFFERENT_NAMES_FACTOR) * unmentioned)


def match_score(first: ArticleText, second: ArticleText) -> float | None:
    """The pair's similarity when it is enough for one event (see LONG_MATCH_WORDS), else None."""
    score = _similarity(first, second)
    if score >= SAME_EVENT_SIMILARITY:
        return score
    if score >= LONG_MATCH_SIMILARITY and _shares(first, second, LONG_MATCH_WORDS):
        return score
    return None


def _shares(first: ArticleText, second: ArticleText, count: int) -> bool:
    """Whether the two texts have at least `count` content words in common."""
    small, large = sorted((first.weights, second.weights), key=len)
    return sum(word in large for word in small) >= count


def _unmentioned_share(first: ArticleText, second: ArticleText) -> float:
    """The share of the names only `first`'s headline has that `second` never mentions (0 with
    none): names both headlines carry (the actor, the country) would dilute a contradiction."""
    own = first.title_names - second.title_names
    if not own:
        return 0.0
    return sum(not second.mentions(name) for name in own) / len(own)


def _rarity(texts: Sequence[ArticleText]) -> dict[str, int]:
    """Each word's place when the batch's words are ordered rarest first (ties by spelling):
    one order for every article, which the prefix argument of the module docstring needs.
    Words of one article only are left out: they cannot be shared."""
    frequency: Counter[str] = Counter()
    for text in texts:
        frequency.update(text.weights.keys())
    shared = [word for word, count in frequency.items() if count > 1]
    return {word: place for place, word in enumerate(sorted(shared, key=_by_frequency(frequency)))}


def _by_frequency(frequency: Counter[str]) -> Callable[[str], tuple[int, str]]:
    return lambda word: (frequency[word], word)


def _prefix(text: ArticleText, rarity: dict[str, int]) -> list[str]:
    shared = [word for word in text.weights if word in rarity]
    return prefix(text, sorted(shared, key=rarity.__getitem__))


def prefix(text: ArticleText, shared_rarest_first: Sequence[str]) -> list[str]:
    """The article's rarest shared words (`shared_rarest_first`: its words that other articles
    have too, in the one order of every article), until the words left out weigh less than the
    threshold (or PREFIX_CAP of them)."""
    left = sum(text.weights[word] ** 2 for word in shared_rarest_first)
    # A hair below the bound, so rounding can only index a word too many, never one too few.
    enough = LONG_MATCH_SIMILARITY**2 * (1 - 1e-9)
    chosen: list[str] = []
    for word in shared_rarest_first:
        if left < enough or len(chosen) == PREFIX_CAP:
            break
        chosen.append(word)
        left -= text.weights[word] ** 2
    return chosen


def tag_keys(article: DigestArticle) -> list[tuple[str, str]]:
    locations = [("location", code) for code in dict.fromkeys(article.locations)]
    return locations + [("actor", actor) for actor in dict.fromkeys(article.actors)]


def _similar_pairs(
    ordered: Sequence[DigestArticle], texts: Sequence[ArticleText], window: timedelta
) -> list[tuple[int, int]]:
    """Pairs that share a tag, fall inside the window and are similar enough to be one event,
    most similar first (ties in time order). Candidates come from the (tag, prefix word) index."""
    rarity = _rarity(texts)
    seconds = [article.time.timestamp() for article in ordered]  # floats: the loop is hot
    span = window.total_seconds()
    postings: dict[tuple[str, str], dict[str, deque[int]]] = defaultdict(dict)
    tags = [TagSet.of(article) for article in ordered]
    merges: list[tuple[float, tuple[int, int]]] = []
    for index, article in enumerate(ordered):
        prefix = _prefix(texts[index], rarity)
        candidates: set[int] = set()
        for tag in tag_keys(article):
            _collect(postings[tag], prefix, index, seconds, span, candidates)
        for other in sorted(candidates):
            if tags[other].may_merge(tags[index]):
                score = match_score(texts[other], texts[index])
                if score is not None:
                    merges.append((-score, (other, index)))
    return [pair for _, pair in sorted(merges)]


def _collect(
    bucket: dict[str, deque[int]],
    prefix: list[str],
    index: int,
    seconds: Sequence[float],
    span: float,
    candidates: set[int],
) -> None:
    """Add to `candidates` the window's earlier articles indexed under any of `prefix` in one
    tag's bucket, then index article `index` there."""
    earliest = seconds[index] - span
    for word in prefix:
        posting = bucket.get(word)
        if posting is None:
            bucket[word] = deque((index,), maxlen=POSTING_CAP)
            continue
        while posting and seconds[posting[0]] < earliest:
            posting.popleft()  # visited in time order: what left the window never returns
        candidates.update(posting)
        posting.append(index)


@dataclass(frozen=True, slots=True)
class TagSet:
    feed_id: int
    locations: frozenset[str]
    actors: frozenset[str]

    @classmethod
    def of(cls, article: DigestArticle) -> TagSet:
        return cls(article.feed_id, frozenset(article.locations), frozenset(article.actors))

    def may_merge(self, other: TagSet) -> bool:
        """False for pairs a veto keeps apart anyway: no need to compare their words."""
        return not (
            self.feed_id == other.feed_id
            or (self.locations and other.locations and self.locations.isdisjoint(other.locations))
            or (self.actors and other.actors and self.actors.isdisjoint(other.actors))
        )


@dataclass(slots=True)
class StoryFacts:
    """What the vetoes need to know about a growing cluster, so joining two is checked without
    comparing every member with every member."""

    members: list[int]
    feeds: set[int]
    first: datetime
    last: datetime
    location_sets: set[frozenset[str]]  # the distinct non-empty tag sets of its articles
    actor_sets: set[frozenset[str]]

    @classmethod
    def of(cls, index: int, article: DigestArticle) -> StoryFacts:
        locations, actors = frozenset(article.locations), frozenset(article.actors)
        return cls(
            [index], {article.feed_id}, article.time, article.time,
            {locations} if locations else set(), {actors} if actors else set(),
        )  # fmt: skip

    def clashes(self, other: StoryFacts, window: timedelta) -> bool:
        """Whether any article of one vetoes any article of the other (see `vetoed`)."""
        return (
            not self.feeds.isdisjoint(other.feeds)
            or max(self.last, other.last) - min(self.first, other.first) > window
            or _any_disjoint(self.location_sets, other.location_sets)
            or _any_disjoint(self.actor_sets, other.actor_sets)
        )

    def absorb(self, other: StoryFacts) -> None:
        self.members.extend(other.members)
        self.feeds |= other.feeds
        self.first, self.last = min(self.first, other.first), max(self.last, other.last)
        self.location_sets |= other.location_sets
        self.actor_sets |= other.actor_sets


def _any_disjoint(first: set[frozenset[str]], second: set[frozenset[str]]) -> bool:
    return any(one.isdisjoint(two) for one in first for two in second)


def _merge(
    ordered: Sequence[DigestArticle], merges: Iterable[tuple[int, int]], window: timedelta
) -> list[list[int]]:
    """Union-find in which two clusters join only if no article of one vetoes any of the other."""
    clusters: dict[int, StoryFacts] = {}  # made when first needed: most articles stay alone

    def cluster_of(key: int) -> StoryFacts:
        if key not in clusters:
            clusters[key] = StoryFacts.of(key, ordered[key])
        return clusters[key]

    root = list(range(len(ordered)))  # kept flat: every index points straight at its cluster
    for first, second in merges:
        first_root, second_root = root[first], root[second]
        if first_root == second_root or cluster_of(first_root).clashes(
            cluster_of(second_root), window
        ):
            continue
        keep, gone = sorted((first_root, second_root), key=lambda key: -len(clusters[key].members))
        for index in clusters[gone].members:
            root[index] = keep
        clusters[keep].absorb(clusters.pop(gone))
    alone = [[index] for index, key in enumerate(root) if key == index and index not in clusters]
    return sorted([sorted(group.members) for group in clusters.values()] + alone)  # by earliest


def _disjoint(first: tuple[str, ...], second: tuple[str, ...]) -> bool:
    return bool(first) and bool(second) and set(first).isdisjoint(second)


def led_story(articles: Sequence[DigestArticle]) -> Story:
    """A story of `articles` (in time order) led by its most informative headline."""
    lead = choose_lead(articles)
    return Story((lead, *(article for article in articles if article.id != lead.id)))
