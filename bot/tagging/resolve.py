"""Resolving what a user types in a lookup ("Levant", "IQ", "Türkiye", "kataib hezbollah").

Comparison ignores case, diacritics, apostrophes, hyphens and spacing, so "Kata'ib Hizballah",
"kataib-hizballah" and "KATAIB HIZBALLAH" are the same. Country codes and names win over
region names and ids; an actor lookup covers the actor and everything below it (PMF includes
Kataib Hezbollah). `LookupIndex` is built once per taxonomy (a few milliseconds) and is then
read-only; the module functions build one per call for convenience.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from bot.tagging.taxonomy import Taxonomy

PlaceKind = Literal["country", "region"]
LookupKind = Literal["region", "actor"]
MAX_SUGGESTIONS = 5


@dataclass(frozen=True, slots=True)
class PlaceQuery:
    label: str  # "Iraq (IQ)" or "Levant"
    kind: PlaceKind
    value: str  # the country code or region id
    country_codes: frozenset[str]


@dataclass(frozen=True, slots=True)
class ActorQuery:
    label: str
    actor_id: str
    actor_ids: frozenset[str]  # the actor and its descendants


class UnknownNameError(LookupError):
    """Nothing matched; carries up to five close names for a "did you mean" reply."""

    def __init__(self, kind: LookupKind, text: str, suggestions: list[str]) -> None:
        self.kind, self.text, self.suggestions = kind, text, suggestions
        message = f'Unknown {kind} "{text}".'
        if suggestions:
            message += f" Did you mean: {', '.join(suggestions)}?"
        super().__init__(message)


def lookup_key(text: str) -> str:
    """Letters and digits only, lower case, diacritics removed: what lookups compare."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c))


@dataclass(frozen=True, slots=True)
class _Target:
    label: str
    value: str
    rank: int  # lower is preferred when several targets share a key


class LookupIndex:
    """Name -> country/region and name -> actor tables for one taxonomy."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self._places: dict[str, _Target] = {}
        self._actors: dict[str, _Target] = {}
        self._place_names: dict[str, str] = {}  # key -> display form, for suggestions
        self._actor_names: dict[str, str] = {}
        self._index_places()
        self._index_actors()

    def _add(
        self, table: dict[str, _Target], names: dict[str, str], form: str, target: _Target
    ) -> None:
        key = lookup_key(form)
        if key and (key not in table or table[key].rank > target.rank):
            table[key] = target
        if key:
            names.setdefault(key, form)

    def _index_places(self) -> None:
        for country in self.taxonomy.countries.values():
            target = _Target(f"{country.name} ({country.code})", country.code, 1)
            self._add(self._places, self._place_names, country.code, _Target(
                target.label, country.code, 0))  # fmt: skip
            for form in (country.name, *country.names, *country.acronyms, *country.demonyms):
                self._add(self._places, self._place_names, form, target)
        for shared in self.taxonomy.shared_names:
            if shared.default and shared.kind != "place":
                country = self.taxonomy.countries[shared.default]
                target = _Target(f"{country.name} ({country.code})", country.code, 2)
                self._add(self._places, self._place_names, shared.name, target)
        for region in self.taxonomy.regions.values():
            target = _Target(region.name, f"region:{region.id}", 3)
            for form in (region.name, region.id):
                self._add(self._places, self._place_names, form, target)

    def _index_actors(self) -> None:
        for actor in self.taxonomy.actors.values():
            short = actor.acronyms[0] if actor.acronyms else None
            label = f"{actor.name} ({short})" if short else actor.name
            for rank, forms in enumerate(([actor.id, actor.name], actor.aliases, actor.acronyms)):
                for form in forms:
                    self._add(self._actors, self._actor_names, form, _Target(label, actor.id, rank))

    # --- lookups -----------------------------------------------------------------------------

    def resolve_place(self, text: str) -> PlaceQuery:
        target = self._places.get(lookup_key(text))
        if target is None:
            raise UnknownNameError("region", text, self._suggest_names(text, self._place_names))
        if target.value.startswith("region:"):
            region_id = target.value.removeprefix("region:")
            codes = self.taxonomy.countries_in_region(region_id)
            return PlaceQuery(target.label, "region", region_id, codes)
        return PlaceQuery(target.label, "country", target.value, frozenset({target.value}))

    def resolve_actor(self, text: str) -> ActorQuery:
        target = self._actors.get(lookup_key(text))
        if target is None:
            raise UnknownNameError("actor", text, self._suggest_names(text, self._actor_names))
        ids = self.taxonomy.descendants_of(target.value)
        return ActorQuery(target.label, target.value, ids)

    def suggest(self, kind: LookupKind, prefix: str, limit: int = 25) -> list[tuple[str, str]]:
        """(label, value) pairs whose name or alias starts with `prefix` (or has a word that
        does), best first: exact, then name prefixes, then word prefixes; for autocomplete."""
        table = self._places if kind == "region" else self._actors
        names = self._place_names if kind == "region" else self._actor_names
        wanted = lookup_key(prefix)
        scored: dict[str, tuple[int, str, str]] = {}
        for key, target in table.items():
            score = _prefix_score(key, names[key], wanted)
            if score is None:
                continue
            value = target.value.removeprefix("region:")
            best = scored.get(value)
            candidate = (score + target.rank, target.label, value)
            if best is None or candidate < best:
                scored[value] = candidate
        ranked = sorted(scored.values())[:limit]
        return [(label, value) for _, label, value in ranked]

    def _suggest_names(self, text: str, names: dict[str, str]) -> list[str]:
        close = difflib.get_close_matches(lookup_key(text), list(names), MAX_SUGGESTIONS, 0.6)
        return _unique(names[key] for key in close)


def _prefix_score(key: str, display: str, wanted: str) -> int | None:
    if not wanted:
        return 20
    if key == wanted:
        return 0
    if key.startswith(wanted):
        return 10
    words = (lookup_key(word) for word in display.replace("-", " ").split())
    if any(word.startswith(wanted) for word in words):
        return 20
    return None


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def resolve_place(taxonomy: Taxonomy, text: str) -> PlaceQuery:
    return LookupIndex(taxonomy).resolve_place(text)


def resolve_actor(taxonomy: Taxonomy, text: str) -> ActorQuery:
    return LookupIndex(taxonomy).resolve_actor(text)


def suggest(
    taxonomy: Taxonomy, kind: LookupKind, prefix: str, limit: int = 25
) -> list[tuple[str, str]]:
    return LookupIndex(taxonomy).suggest(kind, prefix, limit)
