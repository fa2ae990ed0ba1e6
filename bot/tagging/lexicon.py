"""Compiling a Taxonomy into one Aho-Corasick automaton and the meaning of every key.

Keys are normalised names padded with a space on each side; the text is normalised the same
way (punctuation becomes spaces), so the automaton only ever reports whole-word matches and one
pass over the text finds every name, place, actor alias, acronym and context word.

The automaton is daachorse's byte-wise double-array Aho-Corasick: normalised text is ASCII, so
byte offsets are character offsets. It scans feed text in about 40% of pyahocorasick's time,
because its compact arrays stay in the CPU cache where a trie of 37,000 keys does not.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import daachorse

from bot.tagging.normalize import Normaliser, apostrophe_variants
from bot.tagging.taxonomy import Actor, Place, SharedName, Taxonomy

Strength = str  # name, demonym, place, capital, gazetteer: how a match ties text to a country
_NO_PLURAL = ("s", "sh", "ch", "ese", "x", "z")
BIG_CITY = 1_000_000


@dataclass(frozen=True, slots=True)
class CountryMeaning:
    countries: tuple[str, ...]  # one country, or several for a shared or ambiguous name
    strength: Strength
    default: str | None = None  # for shared names: the pick when nothing else decides
    context: tuple[tuple[str, frozenset[str]], ...] = ()  # (country, context keys) pairs
    shared: bool = False  # decided by the rest of the article, even with one country


@dataclass(frozen=True, slots=True)
class ActorMeaning:
    actor_id: str
    needs_context: bool
    named_countries: tuple[str, ...] = ()  # home countries the alias itself names ("Turkish Army")


@dataclass(frozen=True, slots=True)
class IgnoreMeaning:
    """Consumes the text (longest match) and tags nothing: "US dollar", "Gulf of Aden"."""


Meaning = CountryMeaning | ActorMeaning | IgnoreMeaning
IGNORE = IgnoreMeaning()


@dataclass(slots=True)
class KeyEntry:
    """Everything one key means. Built once, then only read (safe to share between threads)."""

    key: str
    exact: dict[str, list[Meaning]] = field(default_factory=dict)  # case-kept form -> meanings
    meanings: list[Meaning] = field(default_factory=list)  # need one capital letter in the text
    context_forms: set[str] = field(default_factory=set)  # "" = any case, else the exact form
    person_name: bool = False


@dataclass(frozen=True, slots=True)
class Lexicon:
    automaton: daachorse.DoubleArrayAhoCorasick  # over the padded keys, in `entries` order
    entries: tuple[KeyEntry, ...]  # a match's pattern id is its entry's index
    actor_context: dict[str, frozenset[str]]  # actor id -> keys of its context words
    place_words: frozenset[str]  # lower-case words that keep "Jordan Valley" a place


class LexiconBuilder:
    """Collects keys and meanings, then freezes them into a Lexicon."""

    def __init__(self, normaliser: Normaliser) -> None:
        self.normaliser = normaliser
        self.entries: dict[str, KeyEntry] = {}

    def entry(self, key: str) -> KeyEntry:
        found = self.entries.get(key)
        if found is None:
            found = self.entries[key] = KeyEntry(key)
        return found

    def add(self, name: str, meaning: Meaning) -> None:
        for key in self.keys(name):
            self.entry(key).meanings.append(meaning)

    def add_exact(self, form: str, meaning: Meaning) -> None:
        key, exact = self.normaliser.key(form), self.normaliser.key_keep_case(form)
        if key:
            self.entry(key).exact.setdefault(exact, []).append(meaning)

    def add_context(self, words: Iterable[str]) -> frozenset[str]:
        """Register context words; all-capital words (acronyms) must match as written."""
        keys = set()
        for word in words:
            key, exact = self.normaliser.key(word), self.normaliser.key_keep_case(word)
            if key:
                self.entry(key).context_forms.add(exact if _is_acronym(exact) else "")
                keys.add(key)
        return frozenset(keys)

    def keys(self, name: str) -> list[str]:
        key = self.normaliser.key(name)
        return [key, *apostrophe_variants(key)] if key else []

    def freeze(
        self, actor_context: dict[str, frozenset[str]], place_words: frozenset[str]
    ) -> Lexicon:
        entries = tuple(self.entries.values())
        padded = [f" {entry.key} ".encode("ascii") for entry in entries]
        # The prefilter skips ahead to bytes that can start a key (a space, in practice).
        automaton = daachorse.DoubleArrayAhoCorasick(padded, use_prefilter=True)
        return Lexicon(automaton, entries, actor_context, place_words)


def _is_acronym(form: str) -> bool:
    letters = [c for c in form if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def place_variants(key: str) -> list[str]:
    """Spellings news uses for transliterated names: without a final h ("raqqah" -> "raqqa",
    "hudaydah" -> "hudayda"). Arabic articles are not stripped automatically: "Al-Khalil" would
    become the first name "Khalil"; curated entries list such variants explicitly."""
    if key.endswith("ah") and len(key) >= 6:
        return [key[:-1]]
    return []


def demonym_forms(demonym: str) -> list[str]:
    """The demonym and its plural ("Iraqi", "Iraqis"); "Swiss" and "Sudanese" have none."""
    if demonym.lower().endswith(_NO_PLURAL):
        return [demonym]
    return [demonym, demonym + "s"]


# --- compiling a taxonomy ---------------------------------------------------------------------


def _add_countries(builder: LexiconBuilder, taxonomy: Taxonomy) -> None:
    for country in taxonomy.countries.values():
        as_name = CountryMeaning((country.code,), "name")
        for name in country.names:
            builder.add(name, as_name)
        for acronym in country.acronyms:
            builder.add_exact(acronym, as_name)
        as_demonym = CountryMeaning((country.code,), "demonym")
        for demonym in country.demonyms:
            for form in demonym_forms(demonym):
                builder.add(form, as_demonym)


def _add_shared(builder: LexiconBuilder, shared: SharedName) -> None:
    context = tuple((code, builder.add_context(words)) for code, words in shared.context.items())
    strength = "place" if shared.kind == "place" else shared.kind
    meaning = CountryMeaning(shared.countries, strength, shared.default, context, shared=True)
    forms = demonym_forms(shared.name) if shared.kind == "demonym" else [shared.name]
    for form in forms:
        builder.add(form, meaning)


_RANK = {"gazetteer": 0, "place": 1, "capital": 2}


def place_strength(place: Place) -> Strength:
    """Capitals can speak for governments; curated places and big cities are solid evidence;
    other package places ("gazetteer") are the likeliest misreadings and count for less."""
    if place.kind in ("capital", "seat"):
        return "capital"
    if place.source == "curated" or (place.kind == "city" and place.population >= BIG_CITY):
        return "place"
    return "gazetteer"


def _place_keys(builder: LexiconBuilder, places: Iterable[Place]) -> dict[str, dict[str, str]]:
    """key -> {country: strongest strength of any place with that key there}."""
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for place in places:
        strength = place_strength(place)
        for alias in (place.name, *place.aliases):
            for key in builder.keys(alias):
                for variant in (key, *place_variants(key)):
                    current = found[variant].get(place.country, "gazetteer")
                    found[variant][place.country] = max(current, strength, key=_RANK.__getitem__)
    return found


def _add_places(builder: LexiconBuilder, taxonomy: Taxonomy) -> None:
    """Places never override a country name, shared name or ignored phrase with the same key."""
    for key, by_country in _place_keys(builder, taxonomy.places).items():
        existing = builder.entries.get(key)
        if existing is not None and existing.meanings:
            continue
        countries = tuple(sorted(by_country))
        strength = by_country[countries[0]] if len(countries) == 1 else "gazetteer"
        builder.entry(key).meanings.append(CountryMeaning(countries, strength))


def _country_keys(taxonomy: Taxonomy, normaliser: Normaliser) -> dict[str, set[str]]:
    """country code -> keys of its names and demonyms (with plurals)."""
    found: dict[str, set[str]] = defaultdict(set)
    for country in taxonomy.countries.values():
        forms = [*country.names, *(f for d in country.demonyms for f in demonym_forms(d))]
        found[country.code] = {normaliser.key(form) for form in forms} - {""}
    return found


def _named_countries(alias_key: str, actor: Actor, keys: dict[str, set[str]]) -> tuple[str, ...]:
    padded = f" {alias_key} "
    return tuple(code for code in actor.countries
                 if any(f" {key} " in padded for key in keys.get(code, ())))  # fmt: skip


def _add_actors(builder: LexiconBuilder, taxonomy: Taxonomy) -> dict[str, frozenset[str]]:
    context = {}
    keys = _country_keys(taxonomy, builder.normaliser)
    for actor in taxonomy.actors.values():
        context[actor.id] = builder.add_context(actor.context)
        ambiguous = {builder.normaliser.key(alias) for alias in actor.ambiguous}
        for alias in dict.fromkeys((actor.name, *actor.aliases)):
            key = builder.normaliser.key(alias)
            named = _named_countries(key, actor, keys)
            builder.add(alias, ActorMeaning(actor.id, key in ambiguous, named))
        for acronym in actor.acronyms:
            builder.add_exact(acronym, ActorMeaning(actor.id, True))
    return context


def compile_lexicon(taxonomy: Taxonomy, normaliser: Normaliser) -> Lexicon:
    builder = LexiconBuilder(normaliser)
    for phrase in taxonomy.ignored_phrases:
        builder.add(phrase, IGNORE)
    _add_countries(builder, taxonomy)
    for shared in taxonomy.shared_names:
        _add_shared(builder, shared)
    _add_places(builder, taxonomy)
    actor_context = _add_actors(builder, taxonomy)
    for name in taxonomy.person_names.names:
        builder.entry(normaliser.key(name)).person_name = True
    place_words = frozenset(normaliser.key(w) for w in taxonomy.person_names.place_words)
    return builder.freeze(actor_context, place_words)
