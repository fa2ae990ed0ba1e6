"""Finding candidate matches in one article: one automaton pass, case rules, longest match.

The article is joined as " title | body " so one pass covers both fields and no name can span
them. Offsets here are into that joined text; `Hit.field_start` is the offset inside the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.tagging.dateline import dateline_length
from bot.tagging.lexicon import KeyEntry, Lexicon, Meaning
from bot.tagging.normalize import Normaliser
from storage.types import Evidence, TagField

SEPARATOR = " | "
_WORD = re.compile(r"[A-Za-z]{4,}")
_HYPHENS = "-\u2010\u2011"
_HYPHEN_SET = frozenset(_HYPHENS)
_GLUED_BEFORE = re.compile(r"([^\W\d_]+)[-\u2010\u2011]$")
_GLUED_AFTER = re.compile(r"[-\u2010\u2011]([^\W\d_]+)")
# Arabic articles written with a hyphen are part of the name that follows ("Al-Hasakeh").
_ARTICLES = frozenset({"al", "el", "ad", "ar", "as", "at", "az", "an", "ash", "adh", "ath"})
_LINKING = frozenset({"e", "i", "ye", "o"})
# Words that begin Arabic and Persian place names: "Abu Saida" is not Sidon, "Abr Badr" is not
# Badr. A place match right after one of them is part of a longer, unknown name.
_NAME_PARTICLES = frozenset({
    "Abu", "Umm", "Um", "Bani", "Beni", "Bir", "Ain", "Ayn", "Ein", "Tal", "Tall", "Tell", "Tel",
    "Deir", "Dayr", "Kafr", "Kfar", "Ras", "Jabal", "Jebel", "Wadi", "Khirbet", "Khirbat", "Bayt",
    "Beit", "Dhi", "Abr", "Hayy", "Hay", "Qasr", "Qaser", "Zawiyat", "Sidi", "Bab", "Nahr", "Marj",
    "Jisr", "Souk", "Suq", "Mafraq", "Hajir", "Khor", "Jebl", "Koh", "Kuh", "Qala", "Qalat",
})  # fmt: skip
_PARTICLE_BEFORE = re.compile(r"([A-Z][a-z]+) $")
# "as", "at" and "an" are also English words ("Chicago as Mexico protests"): only hyphenated.
_ARTICLE_AFTER = re.compile(r" (?:(?:al|ar|ad|az|ash|el|ed|ez)[ -]|(?:as|at|an|es|et)-)[A-Z]")


@dataclass(slots=True)
class Hit:
    start: int  # in the joined text
    end: int
    entry: KeyEntry
    meanings: list[Meaning]  # may be the lexicon entry's own list: read, never change
    field: TagField
    field_start: int
    shouted: bool = False  # an acronym read in an ALL-CAPS field: needs corroboration
    evidence: Evidence | None = None  # made once, when a tag first cites the hit


@dataclass(slots=True)
class ArticleText:
    """The article in its three aligned forms plus where the body starts."""

    joined: str  # " title | body ", the cleaned text the user sees
    folded: str
    lowered: str
    lowered_bytes: bytes  # `lowered` as the automaton reads it
    body_start: int
    matched_context: set[str] = field(default_factory=set)
    dateline_ends: tuple[int, int] | None = None  # title's and body's; see `in_dateline`
    capitals: tuple[bool, bool] | None = None  # title, body shouting; see `is_shouting`

    def fields(self, form: str) -> tuple[str, str]:
        """The title and the body in one of the aligned forms (`joined`, `folded`...)."""
        return form[1 : self.body_start - len(SEPARATOR)], form[self.body_start : -1]

    def is_shouting(self, start: int) -> bool:
        """Is the field written in capitals? Only acronyms and context words ask, so it is
        worked out on the first question, for both fields."""
        if self.capitals is None:
            title, body = self.fields(self.folded)
            self.capitals = (_shouting(title), _shouting(body))
        return self.capitals[start >= self.body_start]

    def is_title_case(self, start: int) -> bool:
        """Is the match in a Title Case headline? (Bodies are sentences.) Asked rarely."""
        return start < self.body_start and _title_case(self.fields(self.folded)[0])

    def in_dateline(self, start: int) -> bool:
        """Does a match starting here lie in the dateline ("DUBAI (Reuters) -") of its field?
        Only country matches ask, so the datelines are read on the first question."""
        if self.dateline_ends is None:
            title, body = self.fields(self.joined)
            ends = (1 + dateline_length(title), self.body_start + dateline_length(body))
            self.dateline_ends = ends
        if start < self.body_start:
            return start < self.dateline_ends[0]
        return start < self.dateline_ends[1]


_LOWER_RUN = re.compile(r"[a-z]{2}")
_CAPS_WORDS = re.compile(r"[A-Z]{2,}(?:\W+[A-Z]{2,}){2}")


def _shouting(folded: str) -> bool:
    """ALL-CAPS text ("US STRIKES HOUTHI TARGETS"), where case says nothing about acronyms:
    at least three capitalised words in a row and no lower-case word anywhere."""
    return _LOWER_RUN.search(folded) is None and _CAPS_WORDS.search(folded) is not None


def _title_case(folded: str) -> bool:
    """Headline Title Case, where a capital letter does not mark a name."""
    words = _WORD.findall(folded)
    capitalised = sum(1 for w in words if w[0].isupper())
    return len(words) >= 3 and capitalised >= 0.85 * len(words)


def prepare(title: str, body: str, normaliser: Normaliser) -> ArticleText:
    joined = f" {title}{SEPARATOR}{body} "
    folded, lowered = normaliser.fold_and_lower(joined)
    # The separator's "|" must survive folding so that no key spans title and body.
    bar = len(title) + 2
    lowered = b"%b|%b" % (lowered[:bar], lowered[bar + 1 :])
    body_start = len(title) + len(SEPARATOR) + 1
    return ArticleText(joined, folded, lowered.decode("ascii"), lowered, body_start)


def _has_upper(text: str) -> bool:
    return any(c.isupper() for c in text)


# In an ALL-CAPS field these acronyms are more likely words ("IS IT OVER?", "TELL US").
_WORDLIKE = frozenset({
    "IS", "US", "AS", "AT", "IT", "ON", "OR", "NO", "SO", "TO", "IN", "OF", "BY", "AN", "BE", "DO",
    "GO", "HE", "ME", "MY", "UP", "WE", "AM", "OK", "AA", "ALL", "ARE", "CAN", "MAY", "NOW", "NEW",
    "OUT", "WHO", "WAR", "ONE", "TWO", "AID", "ARMY", "ONLY", "WILL", "SAYS",
})  # fmt: skip


def _case_valid(
    entry: KeyEntry, span: str, text: ArticleText, start: int
) -> tuple[list[Meaning], bool]:
    """Meanings the written form allows, and whether they rest on an acronym in capitals."""
    valid: list[Meaning] = []
    shouted = False
    exact = entry.exact.get(span)
    if exact:
        valid.extend(exact)
        shouted = span.replace(" ", "") in _WORDLIKE and text.is_shouting(start)
    if entry.meanings and _has_upper(span):
        valid.extend(entry.meanings)
        shouted = shouted and not entry.meanings
    return valid, shouted


def _note_context(text: ArticleText, entry: KeyEntry, span: str, start: int) -> None:
    forms = entry.context_forms
    if "" in forms or (span in forms and not text.is_shouting(start)):
        text.matched_context.add(entry.key)


def find_hits(text: ArticleText, lexicon: Lexicon) -> list[Hit]:
    """Every whole-word match with at least one meaning its case allows."""
    hits = []
    folded, body_start = text.folded, text.body_start
    noted = text.matched_context
    # The hot loop of the tagger. Most automaton matches are words that mean something only
    # when written in a certain case ("is" for IS, "chad" for Chad), so those tests come first
    # and cost a lookup or a comparison.
    entries = lexicon.entries
    # Each match is the padded key's span: the key itself is one character in from each end.
    for start, end, index in lexicon.automaton.find_overlapping(text.lowered_bytes):
        entry = entries[index]
        key = entry.key
        start += 1
        end -= 1
        span = folded[start:end]
        if entry.context_forms and key not in noted:
            _note_context(text, entry, span, start)
        if entry.exact and span in entry.exact:
            meanings, shouted = _case_valid(entry, span, text, start)
        elif entry.meanings and span != key:  # `span` lower-cased is `key`: so it has a capital
            meanings, shouted = entry.meanings, False
        else:
            continue
        if start < body_start:  # the title starts after the joined text's leading space
            hits.append(Hit(start, end, entry, meanings, "title", start - 1, shouted))
        else:
            hits.append(Hit(start, end, entry, meanings, "body", start - body_start, shouted))
    return hits


def longest_matches(hits: list[Hit]) -> list[Hit]:
    """Keep the longest of overlapping matches ("Kataib Hezbollah" over "Hezbollah"), in text
    order. Ties go to the earlier match."""
    if _disjoint(hits):  # the usual case: nothing to choose, and already in text order
        return hits
    chosen: list[Hit] = []
    for hit in sorted(hits, key=lambda h: (h.start - h.end, h.start)):
        for other in chosen:  # a loop, not all(...): the tagger's hottest rule on dense text
            if hit.start < other.end and other.start < hit.end:
                break
        else:
            chosen.append(hit)
    chosen.sort(key=lambda h: h.start)
    return chosen


def _disjoint(hits: list[Hit]) -> bool:
    """Does each hit start after the previous one ends? (`find_hits` reports them by end.)"""
    previous_end = 0
    for hit in hits:
        if hit.start < previous_end:
            return False
        previous_end = hit.end
    return True


def _unknown_name(word: str) -> bool:
    """A capitalised word, or a Persian/Pashto linking particle ("Nawa-e Barakzayi")."""
    return (word[0].isupper() and word.lower() not in _ARTICLES) or word in _LINKING


def _glued_to_unknown(hit: Hit, text: ArticleText, starts: set[int], ends: set[int]) -> bool:
    """A name fused by a hyphen to a capitalised word that is no name itself is part of a longer
    unknown name: "Cali" in "Xaaji-Cali", "Pobe" in "Pobe-Mengao". Lower-case neighbours are
    modifiers ("Iranian-backed", "pro-Houthi") and known neighbours make pairs ("Greek-Turkish")."""
    # `$` also matches before a final newline, so the hyphen is one of the last two characters.
    near = text.joined[max(0, hit.start - 2) : hit.start]
    before = None
    if not _HYPHEN_SET.isdisjoint(near):
        before = _GLUED_BEFORE.search(text.joined, max(0, hit.start - 40), hit.start)
    if before and _unknown_name(before.group(1)) and before.end(1) not in ends:
        return True
    after = _GLUED_AFTER.match(text.joined, hit.end)
    return bool(after and _unknown_name(after.group(1)) and after.start(1) not in starts)


def drop_glued(hits: list[Hit], text: ArticleText) -> list[Hit]:
    """Remove names glued to unknown capitalised words (see `_glued_to_unknown`)."""
    joined = text.joined
    if not hits or ("-" not in joined and "\u2010" not in joined and "\u2011" not in joined):
        return hits  # no hyphen (_HYPHENS): tested inline, a generator costs more than the tests
    starts = {hit.start for hit in hits}
    ends = {hit.end for hit in hits}
    return [hit for hit in hits if not _glued_to_unknown(hit, text, starts, ends)]


def in_longer_name(hit: Hit, text: ArticleText) -> bool:
    """ "Saida" in "Abu Saida", "Mafraq" in "Mafraq ar Ruwayk": the match is a piece of a longer
    place name the gazetteer does not know."""
    before = _PARTICLE_BEFORE.search(text.joined, max(0, hit.start - 12), hit.start)
    if before is not None and before.group(1) in _NAME_PARTICLES:
        return True
    return _ARTICLE_AFTER.match(text.joined, hit.end) is not None
