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
the summary, its wire dateline ("KYIV, Jan 8 (Reuters) -") left out: lower-cased, accents folded,
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
import unicodedata
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from bot.digest.model import DigestArticle, Story

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
# Texts whose words are kept between digest builds: windows overlap and several subscriptions read
# the same articles, so each article is normally read once. About 3.5 kB each (measured with
# tracemalloc, headline cache included): at most ~90 MB, and only on an install that busy.
TEXT_CACHE = 25_000

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
# A wire dateline ("KYIV, Jan 8 (Reuters) - ", "GOMA, Congo (AP) - ") opens many leads: where the
# reporter sits, the day and the agency say nothing about the event, and two wires' datelines
# would otherwise make unrelated stories look alike.
_DATELINE = re.compile(
    r"\s*[A-Z][A-Z'’.\- ]+(?:,\s*[A-Z][\w'’.\- ]*){0,2}?"
    r"(?:,?\s+[A-Z][a-z]{2,8}\.?\s+\d{1,2}(?:\s*\([A-Za-z][\w .&-]{0,30}\))?"
    r"|\s*\([A-Za-z][\w .&-]{0,30}\))\s*[-–—]+\s+"
)
_SENTENCE_OPENERS = ".:;!?\"'“‘([-–—|"  # a capital after one of these may just start a sentence
_KEEP_FINAL_S = ("ss", "us", "is", "as")  # Hamas, Abbas, ISIS, virus: not plurals


def words(text: str) -> list[str]:
    """Every word of `text`, normalised as described in the module docstring, stop words kept."""
    return list(_words(text))


def content_words(text: str) -> list[str]:
    """The words of `text` that say what happened: stop words removed, order kept."""
    return [word for word in _words(text) if word not in _STOP_STEMS]


def cluster(articles: Iterable[DigestArticle], window: timedelta = DEFAULT_WINDOW) -> list[Story]:
    """Group `articles` into stories, ordered by when each story broke (then by article id)."""
    ordered = sorted(articles, key=lambda article: (article.time, article.id))
    texts = [_text(article) for article in ordered]
    merges = _similar_pairs(ordered, texts, window)
    groups = _merge(ordered, merges, window)
    return [_story([ordered[index] for index in group]) for group in groups]


def similarity(first: DigestArticle, second: DigestArticle) -> float:
    """How alike two articles' words are, 0..1 (see the module docstring)."""
    return _similarity(_text(first), _text(second))


def words_match(first: DigestArticle, second: DigestArticle) -> bool:
    """Whether two articles' words are alike enough to report one event (tags and time aside)."""
    return _match_score(_text(first), _text(second)) is not None


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


@lru_cache(maxsize=TEXT_CACHE)
def _words(text: str) -> tuple[str, ...]:
    """`words`, kept: ranking reads each headline several times (severity, dead, lead)."""
    return tuple(word for word, _ in _tokens(text))


def _tokens(text: str) -> list[tuple[str, bool]]:
    """Each normalised word of `text` with whether it is a name."""
    folded = _fold_accents(text)
    matches = list(_TOKEN.finditer(folded))
    raw = [match.group() for match in matches]
    if _is_title_case(raw[1:]):
        tokens = [(_normalise_token(token), False) for token in raw]
    else:
        tokens = [
            (_normalise_token(token), token[0].isupper() and _is_name(folded, match))
            for token, match in zip(raw, matches, strict=True)
        ]
    return [(word, name) for word, name in tokens if word]  # "ʿ" alone normalises to nothing


def _fold_accents(text: str) -> str:
    if text.isascii():  # most feed text: nothing to fold
        return text
    folded = unicodedata.normalize("NFKD", text)
    return "".join(char for char in folded if not unicodedata.combining(char))


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


@lru_cache(maxsize=1 << 17)  # news reuses a small vocabulary: most tokens are seen before
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
    """An article's words, read once: kept between builds (see TEXT_CACHE), so nothing in it may
    depend on the batch."""

    weights: dict[str, float]  # content word -> weight / norm (a unit vector); read only
    norm: float  # length of the weight vector before it was divided by it
    other_words: frozenset[str]  # the summary's content words beyond its lead
    title_names: frozenset[str]

    def mentions(self, word: str) -> bool:
        return word in self.weights or word in self.other_words


def _text(article: DigestArticle) -> _Text:
    return _read(article.title, article.summary[:SUMMARY_CHARS])


@lru_cache(maxsize=TEXT_CACHE)
def _read(title: str, summary: str) -> _Text:
    title_tokens, summary_tokens = _tokens(title), _tokens(_without_dateline(summary))
    weights = _weights(title_tokens, summary_tokens)
    norm = math.sqrt(sum(weight * weight for weight in weights.values()))
    return _Text(
        weights={word: weight / norm for word, weight in weights.items()},
        norm=norm,
        other_words=frozenset(
            word for word, _ in summary_tokens if word not in weights and word not in _STOP_STEMS
        ),
        title_names=frozenset(
            word for word, name in title_tokens if name and word not in _STOP_STEMS
        ),
    )


def _without_dateline(summary: str) -> str:
    dateline = _DATELINE.match(summary)
    return summary[dateline.end() :] if dateline else summary


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
    one, two = first.weights, second.weights
    # fsum rounds exactly, so the set's order (string hashes differ between processes) cannot
    # move a score by a bit and reorder ties between runs.
    score = math.fsum(one[word] * two[word] for word in one.keys() & two.keys())
    unmentioned = min(_unmentioned_share(first, second), _unmentioned_share(second, first))
    return score * (1.0 - (1.0 - DIFFERENT_NAMES_FACTOR) * unmentioned)


def _match_score(first: _Text, second: _Text) -> float | None:
    """The pair's similarity when it is enough for one event (see LONG_MATCH_WORDS), else None."""
    score = _similarity(first, second)
    if score >= SAME_EVENT_SIMILARITY:
        return score
    if score >= LONG_MATCH_SIMILARITY and _shares(first, second, LONG_MATCH_WORDS):
        return score
    return None


def _shares(first: _Text, second: _Text, count: int) -> bool:
    """Whether the two texts have at least `count` content words in common."""
    small, large = sorted((first.weights, second.weights), key=len)
    return sum(word in large for word in small) >= count


def _unmentioned_share(first: _Text, second: _Text) -> float:
    """The share of the names only `first`'s headline has that `second` never mentions (0 with
    none): names both headlines carry (the actor, the country) would dilute a contradiction."""
    own = first.title_names - second.title_names
    if not own:
        return 0.0
    return sum(not second.mentions(name) for name in own) / len(own)


def _rarity(texts: Sequence[_Text]) -> dict[str, int]:
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


def _prefix(text: _Text, rarity: dict[str, int]) -> list[str]:
    """The article's rarest shared words, until the words left out weigh less than the threshold
    (or PREFIX_CAP of them)."""
    shared = [word for word in text.weights if word in rarity]
    left = sum(text.weights[word] ** 2 for word in shared)
    # A hair below the bound, so rounding can only index a word too many, never one too few.
    enough = LONG_MATCH_SIMILARITY**2 * (1 - 1e-9)
    prefix: list[str] = []
    for word in sorted(shared, key=rarity.__getitem__):
        if left < enough or len(prefix) == PREFIX_CAP:
            break
        prefix.append(word)
        left -= text.weights[word] ** 2
    return prefix


def _tag_keys(article: DigestArticle) -> list[tuple[str, str]]:
    locations = [("location", code) for code in dict.fromkeys(article.locations)]
    return locations + [("actor", actor) for actor in dict.fromkeys(article.actors)]


def _similar_pairs(
    ordered: Sequence[DigestArticle], texts: Sequence[_Text], window: timedelta
) -> list[tuple[int, int]]:
    """Pairs that share a tag, fall inside the window and are similar enough to be one event,
    most similar first (ties in time order). Candidates come from the (tag, prefix word) index."""
    rarity = _rarity(texts)
    seconds = [article.time.timestamp() for article in ordered]  # floats: the loop is hot
    span = window.total_seconds()
    postings: dict[tuple[str, str], dict[str, deque[int]]] = defaultdict(dict)
    tags = [_Tags.of(article) for article in ordered]
    merges: list[tuple[float, tuple[int, int]]] = []
    for index, article in enumerate(ordered):
        prefix = _prefix(texts[index], rarity)
        candidates: set[int] = set()
        for tag in _tag_keys(article):
            _collect(postings[tag], prefix, index, seconds, span, candidates)
        for other in sorted(candidates):
            if tags[other].may_merge(tags[index]):
                score = _match_score(texts[other], texts[index])
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
class _Tags:
    feed_id: int
    locations: frozenset[str]
    actors: frozenset[str]

    @classmethod
    def of(cls, article: DigestArticle) -> _Tags:
        return cls(article.feed_id, frozenset(article.locations), frozenset(article.actors))

    def may_merge(self, other: _Tags) -> bool:
        """False for pairs a veto keeps apart anyway: no need to compare their words."""
        return not (
            self.feed_id == other.feed_id
            or (self.locations and other.locations and self.locations.isdisjoint(other.locations))
            or (self.actors and other.actors and self.actors.isdisjoint(other.actors))
        )


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
    clusters: dict[int, _Cluster] = {}  # made when first needed: most articles stay alone

    def cluster_of(key: int) -> _Cluster:
        if key not in clusters:
            clusters[key] = _Cluster.of(key, ordered[key])
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


def _story(articles: list[DigestArticle]) -> Story:
    lead = choose_lead(articles)
    return Story((lead, *(article for article in articles if article.id != lead.id)))
