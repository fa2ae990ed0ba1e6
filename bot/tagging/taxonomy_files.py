"""Reading and checking regions.toml, places.toml and actors.toml into a `Taxonomy`.

Every error names the file, the entry (table and its id or name) and what is wrong, because
the people who edit these files are analysts, not the developers.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import NoReturn

from bot.tagging.gazetteer import GazetteerSettings, PackageCountry, package_countries
from bot.tagging.normalize import Normaliser
from bot.tagging.places_assembly import assemble_places
from bot.tagging.taxonomy import (
    ACTOR_KINDS,
    Actor,
    Country,
    PersonNameRule,
    Place,
    Region,
    SharedName,
    Taxonomy,
    TaxonomyError,
)

_REGION_ID = re.compile(r"[a-z0-9][a-z0-9-]*")
_ACTOR_ID = re.compile(r"[a-z0-9][a-z0-9_-]*")
SHARED_KINDS = frozenset({"place", "name", "demonym"})


class Entry:
    """One TOML table with typed accessors whose errors name the file and the entry."""

    def __init__(self, data: object, file: str, label: str) -> None:
        self.file, self.label = file, label
        if not isinstance(data, dict):
            self.fail("must be a table")
        self.data: dict[str, object] = data

    def fail(self, message: str) -> NoReturn:
        raise TaxonomyError(f"{self.file}: {self.label}: {message}")

    def text(self, key: str, default: str | None = None) -> str:
        value = self.data.get(key, default)
        if not isinstance(value, str) or not value.strip():
            self.fail(f'"{key}" must be a non-empty string')
        return value.strip()

    def optional_text(self, key: str) -> str | None:
        return self.text(key) if key in self.data else None

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.fail(f'"{key}" must be a list of non-empty strings')
        return tuple(dict.fromkeys(v.strip() for v in value))

    def integer(self, key: str, default: int) -> int:
        value = self.data.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            self.fail(f'"{key}" must be a whole number >= 0')
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            self.fail(f'"{key}" must be true or false')
        return value

    def codes(self, key: str, known: Iterable[str]) -> tuple[str, ...]:
        codes = self.texts(key)
        unknown = sorted(set(codes) - set(known))
        if unknown:
            self.fail(f'unknown country code {", ".join(unknown)} in "{key}"')
        return codes


def read_toml(path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise TaxonomyError(f"{path.name}: file not found at {path}") from None
    except tomllib.TOMLDecodeError as error:
        raise TaxonomyError(f"{path.name}: not valid TOML: {error}") from None


def entries(doc: Mapping[str, object], table: str, file: str, id_key: str) -> list[Entry]:
    """The `[[table]]` array as Entries labelled like `[[region]] "levant"` (or `#3`)."""
    raw = doc.get(table, [])
    if not isinstance(raw, list):
        raise TaxonomyError(f"{file}: {table} must be an array of tables ([[{table}]])")
    found = []
    for number, data in enumerate(raw, start=1):
        name = data.get(id_key) if isinstance(data, dict) else None
        label = f'[[{table}]] "{name}"' if isinstance(name, str) else f"[[{table}]] #{number}"
        found.append(Entry(data, file, label))
    return found


# --- regions.toml ---------------------------------------------------------------------------


def parse_regions(doc: Mapping[str, object], known_codes: Iterable[str]) -> dict[str, Region]:
    file, regions = "regions.toml", {}
    for entry in entries(doc, "region", file, "id"):
        region_id = entry.text("id")
        if not _REGION_ID.fullmatch(region_id):
            entry.fail("id must be lower-case letters, digits and hyphens")
        if region_id in regions:
            entry.fail(f'duplicate region id "{region_id}"')
        parent = entry.optional_text("parent")
        countries = entry.codes("countries", known_codes)
        regions[region_id] = Region(region_id, entry.text("name"), parent, countries)
    _check_region_tree(regions, file)
    _check_region_coverage(regions, known_codes, file)
    return regions


def _check_region_tree(regions: Mapping[str, Region], file: str) -> None:
    for region in regions.values():
        if region.parent is not None and region.parent not in regions:
            raise TaxonomyError(
                f'{file}: [[region]] "{region.id}": unknown parent "{region.parent}"'
            )
        seen = [region.id]
        parent = region.parent
        while parent is not None:
            if parent in seen:
                cycle = " -> ".join([*seen, parent])
                raise TaxonomyError(f'{file}: [[region]] "{region.id}": region cycle {cycle}')
            seen.append(parent)
            parent = regions[parent].parent
        if region.countries and any(r.parent == region.id for r in regions.values()):
            raise TaxonomyError(
                f'{file}: [[region]] "{region.id}": has child regions, so it cannot list '
                "countries (only leaf regions do)"
            )


def _check_region_coverage(
    regions: Mapping[str, Region], known_codes: Iterable[str], file: str
) -> None:
    owner: dict[str, str] = {}
    for region in regions.values():
        for code in region.countries:
            if code in owner and owner[code] != region.id:
                raise TaxonomyError(
                    f'{file}: [[region]] "{region.id}": country {code} is already in region '
                    f'"{owner[code]}"; a country belongs to exactly one leaf region'
                )
            owner[code] = region.id
    missing = sorted(set(known_codes) - set(owner))
    if missing:
        raise TaxonomyError(f"{file}: countries in no region: {', '.join(missing)}")


# --- places.toml ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CountryVariant:
    code: str
    name: str | None
    names: tuple[str, ...]
    demonyms: tuple[str, ...]
    acronyms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PlacesFile:
    gazetteer: GazetteerSettings
    countries: tuple[CountryVariant, ...]
    places: tuple[Place, ...]
    shared_names: tuple[SharedName, ...]
    ignored_phrases: tuple[str, ...]
    person_names: PersonNameRule


def _table(doc: Mapping[str, object], key: str, file: str) -> Entry:
    return Entry(doc.get(key, {}), file, f"[{key}]")


def _share(entry: Entry, key: str) -> float:
    value = entry.data.get(key, 0.0)
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value < 1:
        entry.fail(f'"{key}" must be a number from 0 to 1')
    return float(value)


def parse_places(
    doc: Mapping[str, object], known_codes: Iterable[str], normaliser: Normaliser
) -> PlacesFile:
    file, codes = "places.toml", tuple(known_codes)
    gazetteer = _table(doc, "gazetteer", file)
    settings = GazetteerSettings(
        gazetteer.integer("min_population", 100000),
        gazetteer.integer("focus_min_population", 15000),
        frozenset(gazetteer.codes("focus_countries", codes)),
        _share(gazetteer, "focus_share_of_country"),
        gazetteer.flag("alternate_names", True),
        frozenset(normaliser.key(n) for n in gazetteer.texts("stop_names")),
    )
    person = _table(doc, "person_names", file)
    return PlacesFile(
        settings,
        tuple(_country_variants(doc, codes, file, normaliser)),
        tuple(_curated_places(doc, codes, file)),
        tuple(_shared_names(doc, codes, file)),
        _table(doc, "ignore", file).texts("phrases"),
        PersonNameRule(frozenset(person.texts("names")), frozenset(person.texts("place_words"))),
    )


def _country_variants(
    doc: Mapping[str, object], codes: tuple[str, ...], file: str, normaliser: Normaliser
) -> Iterator[CountryVariant]:
    seen: set[str] = set()
    owner: dict[str, str] = {}  # name key -> country code, across all entries
    for entry in entries(doc, "country", file, "code"):
        code = entry.text("code")
        if code not in codes:
            entry.fail(f'unknown country code "{code}"')
        if code in seen:
            entry.fail(f"country {code} has two [[country]] entries; merge them")
        seen.add(code)
        names, demonyms = entry.texts("names"), entry.texts("demonyms")
        acronyms = entry.texts("acronyms")
        for name in (*names, *demonyms, *acronyms):
            other = owner.setdefault(normaliser.key(name), code)
            if other != code:
                entry.fail(
                    f'duplicate alias "{name}", already a name of {other} (a name several '
                    "countries share goes in a [[shared_name]])"
                )
        yield CountryVariant(code, entry.optional_text("name"), names, demonyms, acronyms)


def _curated_places(
    doc: Mapping[str, object], codes: tuple[str, ...], file: str
) -> Iterator[Place]:
    for entry in entries(doc, "place", file, "name"):
        country = entry.text("country")
        if country not in codes:
            entry.fail(f'unknown country code "{country}"')
        kind = entry.text("kind", "area")
        yield Place(entry.text("name"), entry.texts("aliases"), country, kind)


def _shared_names(
    doc: Mapping[str, object], codes: tuple[str, ...], file: str
) -> Iterator[SharedName]:
    for entry in entries(doc, "shared_name", file, "name"):
        countries = entry.codes("countries", codes)
        if not countries:
            entry.fail('"countries" must list at least one country')
        default = entry.optional_text("default")
        if default is not None and default not in countries:
            entry.fail(f'default "{default}" is not one of its countries')
        kind = entry.text("kind", "place")
        if kind not in SHARED_KINDS:
            entry.fail(f"kind must be one of {', '.join(sorted(SHARED_KINDS))}")
        context_entry = Entry(entry.data.get("context", {}), file, f"{entry.label} context")
        context = {code: context_entry.texts(code) for code in context_entry.data}
        if set(context) - set(countries):
            entry.fail("context lists a country that is not one of its countries")
        context_view = MappingProxyType(context)
        yield SharedName(entry.text("name"), countries, default, kind, context_view)


# --- actors.toml ----------------------------------------------------------------------------


def parse_actors(doc: Mapping[str, object], known_codes: Iterable[str]) -> dict[str, Actor]:
    file, codes, actors = "actors.toml", tuple(known_codes), {}
    for entry in entries(doc, "actor", file, "id"):
        actor = _actor(entry, codes)
        if actor.id in actors:
            entry.fail(f'duplicate actor id "{actor.id}"')
        actors[actor.id] = actor
    _check_actor_parents(actors, file)
    _check_actor_aliases(actors, file)
    return actors


def _actor(entry: Entry, codes: tuple[str, ...]) -> Actor:
    actor_id = entry.text("id")
    if not _ACTOR_ID.fullmatch(actor_id):
        entry.fail("id must be lower-case letters, digits, hyphens or underscores")
    kind = entry.text("kind")
    if kind not in ACTOR_KINDS:
        entry.fail(f'unknown kind "{kind}" (one of {", ".join(sorted(ACTOR_KINDS))})')
    aliases, ambiguous = entry.texts("aliases"), entry.texts("ambiguous")
    stray = sorted(set(ambiguous) - set(aliases))
    if stray:
        entry.fail(f"ambiguous lists {', '.join(stray)}, which are not among its aliases")
    parent = entry.optional_text("parent")
    return Actor(
        actor_id, entry.text("name"), kind, entry.codes("countries", codes), parent,
        aliases, entry.texts("acronyms"), entry.texts("context"), ambiguous,
    )  # fmt: skip


def _check_actor_parents(actors: Mapping[str, Actor], file: str) -> None:
    for actor in actors.values():
        seen = [actor.id]
        parent = actor.parent
        while parent is not None:
            if parent not in actors:
                raise TaxonomyError(f'{file}: [[actor]] "{seen[-1]}": unknown parent "{parent}"')
            if parent in seen:
                cycle = " -> ".join([*seen, parent])
                raise TaxonomyError(f'{file}: [[actor]] "{actor.id}": parent cycle {cycle}')
            seen.append(parent)
            parent = actors[parent].parent


def _check_actor_aliases(actors: Mapping[str, Actor], file: str) -> None:
    """Two actors may share an alias only when both mark it ambiguous (context decides)."""
    normaliser, owner = Normaliser(), dict[str, Actor]()
    for actor in actors.values():
        for alias in (actor.name, *actor.aliases):
            key = normaliser.key(alias)
            if not key:
                raise TaxonomyError(f'{file}: [[actor]] "{actor.id}": alias "{alias}" is empty')
            other = owner.get(key)
            if other and other.id != actor.id and not _both_ambiguous(alias, actor, other):
                raise TaxonomyError(
                    f'{file}: [[actor]] "{actor.id}": duplicate alias "{alias}", already used '
                    f'by "{other.id}" (list it under "ambiguous" in both to let context decide)'
                )
            owner[key] = actor


def _both_ambiguous(alias: str, first: Actor, second: Actor) -> bool:
    def marked(actor: Actor) -> bool:
        return alias.casefold() in {a.casefold() for a in actor.ambiguous}

    return marked(first) and marked(second)


# --- assembly -------------------------------------------------------------------------------


def build_countries(
    package: Mapping[str, PackageCountry],
    places_file: PlacesFile,
    regions: Mapping[str, Region],
    normaliser: Normaliser,
) -> dict[str, Country]:
    """Package names plus curated variants. A package name that is a [[shared_name]] or a
    curated name of another country (pycountry calls both Congos "Congo") is dropped quietly."""
    curated = {variant.code: variant for variant in places_file.countries}
    leaf_of = {code: region.id for region in regions.values() for code in region.countries}
    shared = {normaliser.key(s.name) for s in places_file.shared_names}
    curated_owner = {
        normaliser.key(name): variant.code
        for variant in curated.values()
        for name in (*variant.names, *variant.demonyms)
    }
    countries = {}
    for code, base in sorted(package.items()):
        variant = curated.get(code) or CountryVariant(code, None, (), ())
        name = variant.name or base.name
        names = [n for n in (name, *variant.names, *base.names)
                 if normaliser.key(n) not in shared
                 and curated_owner.get(normaliser.key(n), code) == code]  # fmt: skip
        names = list(dict.fromkeys(names))
        countries[code] = Country(
            code, name, leaf_of[code], tuple(names), variant.demonyms, variant.acronyms
        )
    return countries


def _check_country_names(countries: Mapping[str, Country], shared: Iterable[SharedName]) -> None:
    """A name or demonym may denote one country only; shared ones go in [[shared_name]]."""
    normaliser, owner = Normaliser(), dict[str, str]()
    shared_keys = {normaliser.key(s.name) for s in shared}
    for country in countries.values():
        for name in (*country.names, *country.demonyms, *country.acronyms):
            key = normaliser.key(name)
            if key in shared_keys:
                raise TaxonomyError(
                    f'places.toml: [[country]] "{country.code}": "{name}" is also a '
                    "[[shared_name]]; keep it in one place only"
                )
            if owner.get(key, country.code) != country.code:
                raise TaxonomyError(
                    f'places.toml: [[country]] "{country.code}": duplicate alias "{name}", '
                    f"already a name of {owner[key]} (declare it as a [[shared_name]])"
                )
            owner[key] = country.code


def build_taxonomy(config_dir: Path) -> Taxonomy:
    normaliser = Normaliser()
    package = package_countries()
    codes = tuple(package)
    regions = parse_regions(read_toml(config_dir / "regions.toml"), codes)
    places_file = parse_places(read_toml(config_dir / "places.toml"), codes, normaliser)
    actors = parse_actors(read_toml(config_dir / "actors.toml"), codes)
    countries = build_countries(package, places_file, regions, normaliser)
    _check_country_names(countries, places_file.shared_names)
    region_names = [region.name for region in regions.values()]
    places = assemble_places(places_file, countries, package, region_names, normaliser)
    return Taxonomy(
        countries=MappingProxyType(countries),
        regions=MappingProxyType(regions),
        places=places,
        actors=MappingProxyType(actors),
        shared_names=places_file.shared_names,
        ignored_phrases=places_file.ignored_phrases,
        person_names=places_file.person_names,
    )
