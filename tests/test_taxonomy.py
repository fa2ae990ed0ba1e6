"""The taxonomy files: the shipped config is complete, and the loader names every fault."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pycountry
import pytest

from bot.tagging.taxonomy import Taxonomy, TaxonomyError, load_taxonomy

CONFIG = Path(__file__).resolve().parents[1] / "config"
ALL_CODES = sorted({c.alpha_2 for c in pycountry.countries} | {"XK"})


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy(CONFIG)


def test_every_iso_country_is_in_exactly_one_leaf_region() -> None:
    regions = tomllib.loads((CONFIG / "regions.toml").read_text(encoding="utf-8"))["region"]
    parents = {region.get("parent") for region in regions}
    seen: dict[str, str] = {}
    for region in regions:
        for code in region.get("countries", []):
            assert code not in seen, f"{code} in {seen.get(code)} and {region['id']}"
            assert region["id"] not in parents, f"{region['id']} lists countries but has children"
            seen[code] = region["id"]
    assert sorted(seen) == ALL_CODES


def test_loaded_taxonomy_maps_every_country_to_a_leaf(taxonomy: Taxonomy) -> None:
    assert sorted(taxonomy.countries) == ALL_CODES
    assert taxonomy.region_of("IQ").id == "mesopotamia"
    assert [r.name for r in taxonomy.region_path("IQ")] == ["Middle East", "Mesopotamia"]
    assert taxonomy.region_of("XK").id == "balkans"
    assert {"IL", "JO", "LB", "PS", "SY"} <= taxonomy.countries_in_region("levant")
    assert taxonomy.countries_in_region("middle-east") >= {"IQ", "IR", "SY", "YE"}


def test_curated_names_and_packages_are_merged(taxonomy: Taxonomy) -> None:
    turkey = taxonomy.countries["TR"]
    assert {"Turkey", "Türkiye"} <= set(turkey.names)
    assert "Turkish" in turkey.demonyms
    assert "Congo-Brazzaville" in taxonomy.countries["CG"].names
    assert "Congo" not in taxonomy.countries["CG"].names  # shared with CD: a [[shared_name]]
    places = {(p.name, p.country) for p in taxonomy.places}
    assert ("Goma", "CD") in places and ("Albukamal", "SY") in places
    assert not any(p.name in {"Of", "Male", "Split", "Reading"} for p in taxonomy.places)


def test_actor_hierarchy(taxonomy: Taxonomy) -> None:
    pmf = taxonomy.descendants_of("popular-mobilization-forces")
    assert "kataib-hezbollah" in pmf and "popular-mobilization-forces" in pmf
    assert "kataib-hezbollah" in {a.id for a in taxonomy.children_of("popular-mobilization-forces")}


# --- loader errors, on small config folders written by the tests ------------------------------

REGIONS_OK = f"""
[[region]]
id = "world"
name = "World"
countries = {json.dumps(ALL_CODES)}
"""
ACTORS_OK = """
[[actor]]
id = "alpha"
name = "Alpha Brigade"
kind = "militia"
countries = ["IQ"]
aliases = ["Alpha Brigade", "Alpha Fighters"]
"""


def write_config(
    folder: Path, regions: str = REGIONS_OK, places: str = "", actors: str = ACTORS_OK
):
    (folder / "regions.toml").write_text(regions, encoding="utf-8")
    (folder / "places.toml").write_text(places, encoding="utf-8")
    (folder / "actors.toml").write_text(actors, encoding="utf-8")
    return folder


LOADER_ERRORS = [
    (
        "duplicate region id",
        {"regions": REGIONS_OK + '[[region]]\nid = "world"\nname = "Again"\n'},
        'regions.toml: [[region]] "world": duplicate region id',
    ),
    (
        "unknown parent",
        {"regions": REGIONS_OK + '[[region]]\nid = "x"\nname = "X"\nparent = "nowhere"\n'},
        'regions.toml: [[region]] "x": unknown parent "nowhere"',
    ),
    (
        "region cycle",
        {
            "regions": REGIONS_OK
            + '[[region]]\nid = "a"\nname = "A"\nparent = "b"\n'
            + '[[region]]\nid = "b"\nname = "B"\nparent = "a"\n'
        },
        "region cycle",
    ),
    (
        "unknown country code",
        {"regions": REGIONS_OK.replace('"AD"', '"QQ", "AD"')},
        "unknown country code QQ",
    ),
    (
        "country missing from regions",
        {"regions": REGIONS_OK.replace('"AD", ', "")},
        "countries in no region: AD",
    ),
    (
        "country in two leaves",
        {"regions": REGIONS_OK + '[[region]]\nid = "b"\nname = "B"\ncountries = ["IQ"]\n'},
        "country IQ is already in region",
    ),
    (
        "duplicate actor alias",
        {
            "actors": ACTORS_OK
            + '[[actor]]\nid = "beta"\nname = "Beta"\nkind = "militia"\ncountries = []\n'
            + 'aliases = ["Alpha Fighters"]\n'
        },
        'actors.toml: [[actor]] "beta": duplicate alias "Alpha Fighters", already used by "alpha"',
    ),
    (
        "unknown actor parent",
        {"actors": ACTORS_OK + 'parent = "omega"\n'},
        'actors.toml: [[actor]] "alpha": unknown parent "omega"',
    ),
    (
        "unknown actor kind",
        {"actors": ACTORS_OK.replace('"militia"', '"gang"')},
        'unknown kind "gang"',
    ),
    (
        "ambiguous alias not among aliases",
        {"actors": ACTORS_OK + 'ambiguous = ["Alpha"]\ncontext = ["Iraq"]\n'},
        "ambiguous lists Alpha, which are not among its aliases",
    ),
    (
        "duplicate place alias",
        {
            "places": 'place = [{ name = "Erbil", country = "IQ", aliases = ["Irbil"] },'
            ' { name = "Arbil", country = "IQ", aliases = ["Irbil"] }]'
        },
        'places.toml: [[place]] "Arbil" (IQ): duplicate alias "Irbil"',
    ),
    (
        "place alias shadows a country name",
        {"places": 'place = [{ name = "Iraq", country = "SY" }]'},
        'alias "Iraq" is already a name of IQ',
    ),
    (
        "place in unknown country",
        {"places": 'place = [{ name = "Atlantis", country = "ZZ" }]'},
        'places.toml: [[place]] "Atlantis": unknown country code "ZZ"',
    ),
    (
        "shared name default outside its countries",
        {"places": '[[shared_name]]\nname = "Tripoli"\ncountries = ["LY", "LB"]\ndefault = "SY"\n'},
        'default "SY" is not one of its countries',
    ),
    (
        "country name used by two countries",
        {
            "places": 'country = [{ code = "CD", names = ["Congo"] }, { code = "CG", names = ["Congo"] }]'
        },
        'duplicate alias "Congo"',
    ),
    ("invalid TOML", {"places": "place = ["}, "places.toml: not valid TOML"),
]


@pytest.mark.parametrize(
    ("what", "files", "message"), LOADER_ERRORS, ids=[e[0] for e in LOADER_ERRORS]
)
def test_loader_errors_name_the_file_entry_and_fault(
    tmp_path: Path, what: str, files: dict[str, str], message: str
) -> None:
    write_config(tmp_path, **files)
    with pytest.raises(TaxonomyError) as raised:
        load_taxonomy(tmp_path)
    assert message in str(raised.value), what


def test_missing_file_is_reported(tmp_path: Path) -> None:
    write_config(tmp_path)
    (tmp_path / "actors.toml").unlink()
    with pytest.raises(TaxonomyError, match=r"actors.toml: file not found"):
        load_taxonomy(tmp_path)
