"""One story per event: merge articles from different outlets that report the same thing.

Two articles are the same event when all of these hold:

* they come from different feeds (an outlet's follow-ups and its unrelated stories stay apart; two
  feeds of one outlet carrying the same article do merge, and count as one source);
* they are at most `window` apart (36 hours by default);
* they share a location or an actor;
* their text similarity is at least SAME_EVENT_SIMILARITY (0.48);

and no veto applies. Vetoes: their location sets are both non-empty and disjoint ("Bomb kills 5 in
Kabul" is not "Bomb kills 5 in Peshawar"), or their actor sets are both non-empty and disjoint
("RSF shells El Fasher" is not "Sudan army retakes Omdurman bridge").

Text similarity is the cosine of weighted content words. Words come from the title and the start of
the summary: lower-cased, accents folded, stop words dropped, plurals and -ed/-ing endings
stripped, number words written as digits ("dozen" is 12), and a few words news uses
interchangeably folded together (airstrike/strike, dead/killed, blast/explosion, American/US,
vessel/ship). A title word weighs 1 and a summary word 0.5; a name (a capitalised word that does not
open a sentence, in a headline not written In Title Case) weighs half that, because articles that
share a tag share its name anyway. When both headlines name something the other article never
mentions ("kills 5 in Rafah" / "kills 3 in Khan Younis") the similarity is halved. Similarity
depends on the two articles only, never on the rest of the batch, so a pair merges or not for the
same reasons every time.

Merging is union-find over the candidate pairs, most similar first. Vetoes, the time window and the
one-article-per-feed rule hold across the whole cluster, not just the pair being merged, so an
article similar to two incompatible stories cannot chain them together. Candidate pairs come only
from articles that share a location or actor tag and fall inside the window; a bit-set bound skips
pairs that share too few words before the exact cosine is computed.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.digest.model import DigestArticle, Story

SAME_EVENT_SIMILARITY = 0.48
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

_TOKEN = re.compile(r"\d{1,3}(?:,\d{3})+(?!\d)|\w+(?:['’.]\w+)*")
_NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "dozen": "12",
    "thirteen": "13", "fourteen": "14", "fifteen": "15", "sixteen": "16", "seventeen": "17",
    "eighteen": "18", "nineteen": "19", "twenty": "20", "thirty": "30", "forty": "40",
    "fifty": "50", "hundred": "100",
}  # fmt: skip
# Words outlets use interchangeably for the same fact; folded before stemming.
_SYNONYMS = {
    "killed": "kill", "killing": "kill", "killings": "kill", "dead": "kill", "death": "kill",
    "deaths": "kill", "die": "kill", "dies": "kill", "died": "kill", "deadly": "kill",
    "airstrike": "strike", "airstrikes": "strike", "struck": "strike",
    "blast": "explosion", "blasts": "explosion", "explosions": "explosion",
    "exploded": "explosion", "explodes": "explosion", "explode": "explosion",
    "kidnapped": "kidnap", "kidnapping": "kidnap", "abducted": "kidnap",
    "abducts": "kidnap", "abduction": "kidnap", "abduct": "kidnap",
    "vessel": "ship", "vessels": "ship",
    "american": "usa", "americans": "usa", "uav": "drone", "uavs": "drone",
}  # fmt: skip
_STOP_WORD_TEXT = """
    a about above after again against all also am amid among an and any are around as at be been
    before being below between both but by can could did do does during each few for from further
    had has have having he her here hers him his how i if in into is it its itself just least let
    me more most much my near no nor not now of off on once only or other our out over own per
    said same say says she should since so some such than that the their them then there these
    they this those through to too under until up upon us very via was we were what when where
    which while who whom why will with within would you your
    according week weeks day days hour hours today yesterday tonight morning evening night
    monday tuesday wednesday thursday friday saturday sunday
    new news latest live update updates breaking exclusive watch video photos analysis opinion
    report reports reported official officials people told statement sources source
"""
_STOP_WORDS = frozenset(_STOP_WORD_TEXT.split())
# Apostrophes, transliterations' ʿayn/hamza marks and abbreviation dots vanish inside a word.
_DROPPED_MARKS = str.maketrans("", "", "'.ʹʺʻʼʽʾʿˈˊˋ`´′‵")
_SENTENCE_OPENERS = ".:;!?\"'“‘([-–—|"  # a capital after one of these may just start a sentence
_KEEP_FINAL_S = ("ss", "us", "is", "as")  # Hamas, Abbas, ISIS, virus: not plurals


def words(text: str) -> list[str]:
    """Every word of `text`, normalised as described in the module docstring, stop words kept."""
    return [word for word, _ in _tokens(text)]


def content_words(text: str) -> list[str]:
    """The words of `text` that say what happened: stop words removed, order kept."""
    return [word for word, _ in _tokens(text) if word not in _STOP_STEMS]


def cluster(articles: Iterable[DigestArticle], window: timedelta = DEFAULT_WINDOW) -> list[Story]:
    """Group `articles` into stories, ordered by when each story broke (then by article id)."""
    ordered = sorted(articles, key=lambda article: (article.time, article.id))
    vocabulary: dict[str, int] = {}
    texts = [_prepare(article, vocabulary) for article in ordered]
    merges = _similar_pairs(ordered, texts, window)
    groups = _merge(ordered, merges, window)
    return [_story([ordered[index] for index in group]) for group in groups]


def similarity(first: DigestArticle, second: DigestArticle) -> float:
    """How alike two articles' words are, 0..1 (see the module docstring)."""
    vocabulary: dict[str, int] = {}
    return _similarity(_prepare(first, vocabulary), _prepare(second, vocabulary))


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
    titles = [set(content_words(article.title)) for article in articles]

    def preference(index: int) -> tuple[int, int, object, int]:
        shared = sum(len(titles[index] & other) for other in titles)  # includes itself: harmless
        article = articles[index]
        return (-shared, -len(titles[index]), article.time, article.id)

    return articles[min(range(len(articles)), key=preference)]


def _tokens(text: str) -> list[tuple[str, bool]]:
    """Each normalised word of `text` with whether it is a name."""
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(char for char in folded if not unicodedata.combining(char))
    matches = list(_TOKEN.finditer(folded))
    names_visible = not _is_title_case([match.group() for match in matches[1:]])
    tokens = [
        (_normalise_token(match.group()), names_visible and _is_name(folded, match))
        for match in matches
    ]
    return [(word, name) for word, name in tokens if word]  # "ʿ" alone normalises to nothing


def _is_title_case(raw_words: list[str]) -> bool:
    """Headlines In Title Case capitalise every word, so capitals there say nothing about names."""
    long_words = [word for word in raw_words if word.isalpha() and len(word) >= 4]
    capitalised = sum(word[0].isupper() for word in long_words)
    return len(long_words) >= 3 and capitalised >= 0.75 * len(long_words)


def _is_name(text: str, match: re.Match[str]) -> bool:
    """A capitalised word that does not open a sentence (or an all-capitals acronym)."""
    if not match.group()[0].isupper():
        return False
    position = match.start() - 1
    while position >= 0 and text[position].isspace():
        position -= 1
    return position >= 0 and text[position] not in _SENTENCE_OPENERS


def _normalise_token(raw: str) -> str:
    token = raw.replace("’", "'")
    if token.endswith("'s"):
        token = token[:-2]
    token = token.translate(_DROPPED_MARKS)  # Kata'ib = Kataib, Sanʿaʾ = Sana, U.S = US
    if token in ("US", "USA"):  # upper case only: lower-case "us" is a pronoun
        return "usa"
    token = token.lower()
    if token[:1].isdigit():
        return token.replace(",", "")
    token = _NUMBER_WORDS.get(token, token)
    return _stem(_SYNONYMS.get(token, token))


def _stem(word: str) -> str:
    """Strip plural and -ed/-ing endings so "strikes", "striking" and "strike" meet; crude on
    purpose: both sides of a comparison are stemmed alike, so only consistency matters."""
    if len(word) <= 3 or not word.isalpha():
        return word
    stem = _strip_suffix(word)
    if stem != word and len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
        stem = stem[:-1]  # planned -> plann -> plan
    if stem.endswith("e") and len(stem) > 3:
        stem = stem[:-1]  # seize, seized, seizes -> seiz
    return stem


def _strip_suffix(word: str) -> str:
    if word.endswith(("ies", "ied")) and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "ches", "shes", "xes", "zes")):
        return word[:-2]
    if word.endswith("ias") or (word.endswith("s") and not word.endswith(_KEEP_FINAL_S)):
        return word[:-1]
    if word.endswith("ing") and len(word) >= 6:
        return word[:-3]
    if word.endswith("ed") and not word.endswith("eed") and len(word) >= 5:
        return word[:-2]
    return word


# Stop words meet text after normalisation ("were" becomes "wer"), so they are normalised too.
_STOP_STEMS = frozenset(_normalise_token(word) for word in _STOP_WORDS)


@dataclass(frozen=True, slots=True)
class _Text:
    """An article's words, prepared once for all its comparisons.

    Content words are bits of a Python int (numbered per batch), one int per weight, so a cosine
    is a few ANDs and bit counts instead of a loop over words: a big bucket holds ~10^6 pairs.
    """

    weighted_bits: tuple[tuple[float, int], ...]  # (weight, the words that carry it)
    bits: int  # every content word
    norm: float  # length of the weight vector
    top_weight: float  # the largest weight divided by norm
    words: frozenset[str]  # every word of title and summary, stop words included
    title_names: frozenset[str]


def _prepare(article: DigestArticle, vocabulary: dict[str, int]) -> _Text:
    """`vocabulary` numbers words across one batch, so all articles' bits mean the same words."""
    title, summary = _tokens(article.title), _tokens(article.summary[:SUMMARY_CHARS])
    weights = _weights(title, summary)
    by_weight: dict[float, int] = defaultdict(int)
    for word, weight in weights.items():
        by_weight[weight] |= 1 << vocabulary.setdefault(word, len(vocabulary))
    norm = math.sqrt(sum(weight * weight for weight in weights.values()))
    return _Text(
        weighted_bits=tuple(sorted(by_weight.items())),
        bits=sum(by_weight.values()),  # the weight classes never share a bit
        norm=norm,
        top_weight=max(weights.values(), default=0.0) / norm if norm else 0.0,
        words=frozenset(word for word, _ in title + summary),
        title_names=frozenset(word for word, name in title if name and word not in _STOP_STEMS),
    )


def _weights(title: list[tuple[str, bool]], summary: list[tuple[str, bool]]) -> dict[str, float]:
    """Content word -> weight: a title word 1, a summary word 0.5, a name half of either."""
    weights: dict[str, float] = {}
    for tokens, weight, limit in (
        (summary, SUMMARY_WEIGHT, SUMMARY_WORDS),
        (title, TITLE_WEIGHT, None),
    ):
        content = [(word, name) for word, name in tokens if word not in _STOP_STEMS]
        for word, name in content[:limit]:
            weights[word] = max(weights.get(word, 0.0), weight * (NAME_WEIGHT if name else 1.0))
    return weights


def _similarity(first: _Text, second: _Text) -> float:
    if not first.norm or not second.norm:
        return 0.0
    dot = sum(
        weight * other_weight * (bits & other_bits).bit_count()
        for weight, bits in first.weighted_bits
        for other_weight, other_bits in second.weighted_bits
    )
    score = dot / (first.norm * second.norm)
    if first.title_names - second.words and second.title_names - first.words:
        score *= DIFFERENT_NAMES_FACTOR
    return score


def _may_be_similar(first: _Text, second: _Text) -> bool:
    """A cheap upper bound: each shared word adds at most the product of the two top weights."""
    shared = (first.bits & second.bits).bit_count()
    return shared * first.top_weight * second.top_weight >= SAME_EVENT_SIMILARITY


def _buckets(ordered: Sequence[DigestArticle]) -> list[list[int]]:
    """Article indices grouped by each location and actor tag; each list ascends in time."""
    buckets: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, article in enumerate(ordered):
        for code in dict.fromkeys(article.locations):
            buckets["location", code].append(index)
        for actor in dict.fromkeys(article.actors):
            buckets["actor", actor].append(index)
    return list(buckets.values())


def _similar_pairs(
    ordered: Sequence[DigestArticle], texts: Sequence[_Text], window: timedelta
) -> list[tuple[int, int]]:
    """Pairs that share a tag, fall inside the window and are similar enough to be one event,
    most similar first (ties in time order)."""
    seconds = [article.time.timestamp() for article in ordered]  # floats: the loop below is hot
    scored: dict[tuple[int, int], float] = {}
    for members in _buckets(ordered):
        for position, first in enumerate(members):
            last_second = seconds[first] + window.total_seconds()
            for second in members[position + 1 :]:
                if seconds[second] > last_second:
                    break  # the rest of the bucket is later still
                if _may_be_similar(texts[first], texts[second]) and (first, second) not in scored:
                    scored[first, second] = _similarity(texts[first], texts[second])
    merges = [(-score, pair) for pair, score in scored.items() if score >= SAME_EVENT_SIMILARITY]
    return [pair for _, pair in sorted(merges)]


@dataclass(slots=True)
class _Cluster:
    """What the vetoes need to know about a growing cluster, so joining two is checked without
    comparing every member with every member."""

    members: list[int]
    feeds: set[int]
    first: datetime
    last: datetime
    location_sets: set[frozenset[str]]  # the distinct non-empty tag sets of its articles
    actor_sets: set[frozenset[str]]

    @classmethod
    def of(cls, index: int, article: DigestArticle) -> _Cluster:
        locations, actors = frozenset(article.locations), frozenset(article.actors)
        return cls(
            [index], {article.feed_id}, article.time, article.time,
            {locations} if locations else set(), {actors} if actors else set(),
        )  # fmt: skip

    def clashes(self, other: _Cluster, window: timedelta) -> bool:
        """Whether any article of one vetoes any article of the other (see `vetoed`)."""
        return (
            not self.feeds.isdisjoint(other.feeds)
            or max(self.last, other.last) - min(self.first, other.first) > window
            or _any_disjoint(self.location_sets, other.location_sets)
            or _any_disjoint(self.actor_sets, other.actor_sets)
        )

    def absorb(self, other: _Cluster) -> None:
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
    clusters = {index: _Cluster.of(index, article) for index, article in enumerate(ordered)}
    root = list(range(len(ordered)))  # kept flat: every index points straight at its cluster
    for first, second in merges:
        first_root, second_root = root[first], root[second]
        if first_root == second_root or clusters[first_root].clashes(clusters[second_root], window):
            continue
        keep, gone = sorted((first_root, second_root), key=lambda key: -len(clusters[key].members))
        for index in clusters[gone].members:
            root[index] = keep
        clusters[keep].absorb(clusters.pop(gone))
    return sorted(sorted(group.members) for group in clusters.values())  # by earliest article


def _disjoint(first: tuple[str, ...], second: tuple[str, ...]) -> bool:
    return bool(first) and bool(second) and set(first).isdisjoint(second)


def _story(articles: list[DigestArticle]) -> Story:
    lead = choose_lead(articles)
    return Story((lead, *(article for article in articles if article.id != lead.id)))
