"""The tagger: article text in, countries (with role) and actors out, each with its evidence.

Built once from a Taxonomy (`Tagger(taxonomy)`), then pure: no I/O, no shared mutable state, so
one instance serves every worker thread. Steps for one article:

1. normalise (HTML to text, diacritics, apostrophes, hyphens; length-preserving);
2. one automaton pass over " title | body " finds names, places, aliases, acronyms and context
   words; case rules drop "turkey" and "us"; the longest of overlapping matches wins;
3. rules settle what is ambiguous: first names ("Jordan Peterson"), names glued to unknown
   words ("Xaaji-Cali"), shared names (Tripoli, Georgia), acronyms and ambiguous aliases without
   their context words;
4. every country match gets a role, location or mention (roles.py), and a weight;
5. evidence is grouped per country and per actor; an actor adds its home countries as a weak
   mention.

Evidence offsets are character offsets into the field as given when it is plain text or tagged
with `markup=False` (stored articles), or into `html_to_text(field)` when it holds markup or
entities; normalisation never shifts them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Sequence

from bot.tagging import evidence as ev
from bot.tagging import roles
from bot.tagging.evidence import ActorEvidence, CountryEvidence
from bot.tagging.lexicon import ActorMeaning, CountryMeaning, Lexicon, compile_lexicon
from bot.tagging.matching import (
    ArticleText,
    Hit,
    drop_glued,
    find_hits,
    in_longer_name,
    longest_matches,
    prepare,
)
from bot.tagging.normalize import Normaliser
from bot.tagging.taxonomy import Taxonomy
from bot.text import html_to_text
from storage.types import ArticleTags, CountryRole, CountryTag

_NEXT_WORD = re.compile(r" ([A-Z][a-z]+)")
_NO_TAGS = ArticleTags()  # immutable, so every untagged article can share it
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z]+);")  # "&amp;" but not "AT&T"


def clean_field(field: str) -> str:
    """Plain text is used as given (so evidence offsets point into it); markup and entities
    are cleaned with `html_to_text` first (offsets then point into the cleaned text)."""
    if "<" in field or ("&" in field and _ENTITY.search(field)):
        return html_to_text(field)
    return field


def _used_elsewhere(folded: str, word: str, position: int) -> bool:
    pattern = re.compile(rf"\b{re.escape(word)}\b")
    return any(match.start() != position for match in pattern.finditer(folded))


class Tagger:
    """Tags articles with countries and actors. Thread-safe after construction."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self._normaliser = Normaliser()
        self._lexicon: Lexicon = compile_lexicon(taxonomy, self._normaliser)

    def tag(self, title: str, summary: str, *, markup: bool = True) -> ArticleTags:
        """`markup`: the fields may hold HTML or entities, cleaned first when they do. Stored
        articles are clean text already (ingest cleans them), tagged with `markup=False`: a
        literal "<" or "&amp;" in them is text, and evidence offsets point into them as stored."""
        if markup:
            title, summary = clean_field(title), clean_field(summary)
        text = prepare(title, summary, self._normaliser)
        hits = find_hits(text, self._lexicon)
        if not hits:  # most feed items name nothing we know: skip the rules
            return _NO_TAGS
        hits = drop_glued(longest_matches(hits), text)
        if any([hit.entry.person_name for hit in hits]):
            hits = [hit for hit in hits if not self._is_person_name(hit, text, hits)]
        actors = ev.corroborated(self._actor_evidence(hits, text), lambda e: e.actor_id)
        countries = ev.corroborated(self._country_evidence(hits, text, actors), lambda e: e.code)
        return ArticleTags(self._country_tags(countries, actors, text), ev.actor_tags(actors, text))

    def tag_batch(
        self, items: Sequence[tuple[str, str]], *, markup: bool = True
    ) -> list[ArticleTags]:
        return [self.tag(title, summary, markup=markup) for title, summary in items]

    # --- rules ---------------------------------------------------------------------------

    def _is_person_name(self, hit: Hit, text: ArticleText, hits: list[Hit]) -> bool:
        """ "Jordan Peterson", "Chad Daniels": a country name followed by a surname."""
        if not hit.entry.person_name:
            return False
        following = _NEXT_WORD.match(text.folded, hit.end)
        if following is None or following.group(1).lower() in self._lexicon.place_words:
            return False
        if any(other.start == hit.end + 1 for other in hits):  # "Chad Niger" is two countries
            return False
        if text.is_title_case(hit.start):  # capitals say nothing: is the word used elsewhere?
            return _used_elsewhere(text.folded, following.group(1), following.start(1))
        return True

    def _actor_evidence(self, hits: list[Hit], text: ArticleText) -> list[ActorEvidence]:
        found = []
        places: set[str] | None = None  # countries of the places named; worked out when asked
        for hit in hits:
            candidates = [m for m in hit.meanings if isinstance(m, ActorMeaning)]
            if not candidates:  # most hits name only countries and places
                continue
            if places is None and all(m.needs_context for m in candidates):
                places = _place_countries(hits)
            for meaning in self._confirmed_actors(candidates, text, places or set()):
                weight = ev.field_weight(hit, ev.ACTOR_WEIGHT)
                found.append(ActorEvidence(meaning.actor_id, hit, weight, meaning.named_countries))
        return found

    def _confirmed_actors(
        self, candidates: list[ActorMeaning], text: ArticleText, places: set[str]
    ) -> list[ActorMeaning]:
        """Plain aliases stand alone; acronyms and ambiguous aliases need support: their
        context words, plus one point when the article names a place in the actor's home
        country ("National Guard" near Zacatecas is Mexico's). When several actors share one
        (ADF, RSF, National Guard) the best-supported one wins."""
        plain = [m for m in candidates if not m.needs_context]
        if plain:
            return plain
        context, actors = self._lexicon.actor_context, self.taxonomy.actors
        scored = [
            (
                len(context.get(m.actor_id, frozenset()) & text.matched_context)
                + (not places.isdisjoint(actors[m.actor_id].countries)),
                m,
            )
            for m in candidates
        ]
        best = max((score for score, _ in scored), default=0)
        winners = [m for score, m in scored if score == best]
        return winners if best > 0 and len(winners) == 1 else []

    def _country_evidence(
        self, hits: list[Hit], text: ArticleText, actors: list[ActorEvidence]
    ) -> list[CountryEvidence]:
        direct: list[tuple[Hit, CountryMeaning]] = []
        shared: list[tuple[Hit, CountryMeaning]] = []
        for hit, meaning in _country_meanings(hits, text):
            is_shared = meaning.shared or len(meaning.countries) > 1
            (shared if is_shared else direct).append((hit, meaning))
        resolved = [(hit, meaning.countries[0], meaning.strength) for hit, meaning in direct]
        if shared:  # rare: the support counts below are needed only for shared names
            resolved += self._resolve_shared(shared, direct, actors, text)
        return [_with_role(hit, code, strength, text) for hit, code, strength in resolved]

    def _resolve_shared(
        self,
        shared: list[tuple[Hit, CountryMeaning]],
        direct: list[tuple[Hit, CountryMeaning]],
        actors: list[ActorEvidence],
        text: ArticleText,
    ) -> list[tuple[Hit, str, str]]:
        """The country each shared or ambiguous name stands for here, where one wins."""
        backing = ev.support(direct, actors, self.taxonomy)
        by_place = ev.support(
            [(h, m) for h, m in direct if m.strength in ev.PLACES], [], self.taxonomy
        )
        resolved = []
        for hit, meaning in shared:
            # A shared country name ("Georgia", "Niger") is decided by places and context words
            # only: "US officials said Georgia..." is about the country, not the state.
            by_name = meaning.strength in ("name", "demonym")
            code = ev.pick_shared(meaning, by_place if by_name else backing, text.matched_context)
            if code is not None:
                resolved.append((hit, code, meaning.strength))
        return resolved

    def _country_tags(
        self, countries: list[CountryEvidence], actors: list[ActorEvidence], text: ArticleText
    ) -> tuple[CountryTag, ...]:
        by_country: dict[str, list[CountryEvidence]] = defaultdict(list)
        for item in countries:
            by_country[item.code].append(item)
        for actor in actors:
            known = self.taxonomy.actors[actor.actor_id]
            sole = len(known.countries) == 1 and known.kind in _ACTS_AT_HOME
            for code in known.countries:
                by_country[code].append(ev.actor_home(code, actor, sole))
        located = ev.location_countries(by_country, lambda: _names_unknown_place(text))
        tags = [
            ev.country_tag(code, items, code in located, text) for code, items in by_country.items()
        ]
        return tuple(sorted(tags, key=lambda tag: (-tag.weight, tag.code)))


def _country_meanings(hits: list[Hit], text: ArticleText) -> Iterator[tuple[Hit, CountryMeaning]]:
    """Country meanings of the hits, in text order. A place inside a longer unknown name
    ("Saida" in "Abu Saida") is skipped, and so is a country's name used as a town's ("the town
    of Costa Rica, south of Culiacan")."""
    for hit in hits:
        for meaning in hit.meanings:
            if not isinstance(meaning, CountryMeaning):
                continue
            if meaning.strength in ev.PLACES and in_longer_name(hit, text):
                continue
            if meaning.strength == "name" and _names_a_town(hit, text):
                continue
            yield hit, meaning


_TOWN_OF = re.compile(
    r"\b(?:town|village|hamlet|municipality|locality|community|settlement|neighbou?rhood) "
    r"of (?:the )?$"
)


def _names_a_town(hit: Hit, text: ArticleText) -> bool:
    return _TOWN_OF.search(text.lowered, max(0, hit.start - 30), hit.start) is not None


# Kinds of actor whose one home country is where they act, as a last resort ("GNA and LNA
# forces clashed in Wadi al-Rabi", "OSCE SMM observed explosions near Lozove"). Cyber groups,
# leaders and agencies act far from home.
_ACTS_AT_HOME = frozenset(
    {"state_force", "armed_group", "militia", "terrorist_org", "international_org"}
)
_MONTHS_AND_DAYS = (
    "January|February|March|April|May|June|July|August|September|October|November|December|"
    "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
)
_UNKNOWN_PLACE = re.compile(
    rf"\b(?:in|near|outside|around|at) (?:the )?(?!(?:{_MONTHS_AND_DAYS})\b)[A-Z][a-z]"
)


def _names_unknown_place(text: ArticleText) -> bool:
    """Does the article say where things happened ("clashed in Wadi al-Rabi"), even if the
    gazetteer does not know the place? Only then do actors' homes locate it."""
    return _UNKNOWN_PLACE.search(text.joined) is not None


def _place_countries(hits: list[Hit]) -> set[str]:
    """Countries of the unambiguous places the hits name (not country names or demonyms,
    which are as often parties as places)."""
    return {
        meaning.countries[0]
        for hit in hits
        for meaning in hit.meanings
        if isinstance(meaning, CountryMeaning)
        and meaning.strength in ev.PLACES
        and len(meaning.countries) == 1
        and not meaning.shared
    }


def _with_role(hit: Hit, code: str, strength: str, text: ArticleText) -> CountryEvidence:
    if strength != "demonym" and text.in_dateline(hit.start):
        weight = ev.field_weight(hit, ev.STRENGTH_WEIGHT["dateline"])
        return CountryEvidence(code, "location", "dateline", hit, weight)
    comma_after = text.joined[hit.end : hit.end + 1] == ","
    reading = roles.role_of(text.lowered, hit.start, hit.end, strength, comma_after)
    role: CountryRole = "location" if reading == "location" else "mention"
    weight = ev.field_weight(hit, ev.STRENGTH_WEIGHT[strength])
    return CountryEvidence(code, role, strength, hit, weight, reading == "state")
