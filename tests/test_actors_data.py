"""Integrity checks for the actor taxonomy (config/actors.toml) and the ACLED gold-label map.

The taxonomy is hand-edited data, so these tests catch the mistakes people make when editing it:
duplicate ids or aliases, unknown kinds or countries, dangling parents, acronyms without context.
"""

from __future__ import annotations

import csv
import re
import tomllib
import unicodedata
from collections import defaultdict
from pathlib import Path
from typing import Any

import pycountry

ROOT = Path(__file__).resolve().parents[1]
ACTORS_PATH = ROOT / "config" / "actors.toml"
ACLED_MAP_PATH = ROOT / "tests" / "data" / "acled_actor_map.csv"

KINDS = frozenset(
    {
        "state_force",
        "armed_group",
        "militia",
        "terrorist_org",
        "intelligence_agency",
        "cyber_threat_group",
        "international_org",
        "political_leader",
    }
)
KEYS = frozenset(
    {"id", "name", "kind", "countries", "parent", "aliases", "acronyms", "context", "ambiguous"}
)
REQUIRED_KEYS = frozenset({"id", "name", "kind", "countries", "aliases"})
EXTRA_COUNTRY_CODES = frozenset({"XK"})  # Kosovo: user-assigned code, not in ISO 3166-1
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Letters, digits and the punctuation real names use (Lapsus$, NoName057(16), J&K, U.S., ULA/AA).
ALIAS_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 '\-.,&/$()]*$")
ACRONYM_PATTERN = re.compile(r"^[A-Z0-9][A-Za-z0-9&/\-]*$")
REQUIRED_PARENTS = {
    "kataib-hezbollah": "popular-mobilization-forces",
    "asaib-ahl-al-haq": "popular-mobilization-forces",
    "badr-organization": "popular-mobilization-forces",
    "harakat-hezbollah-al-nujaba": "popular-mobilization-forces",
    "kataib-sayyid-al-shuhada": "popular-mobilization-forces",
    "irgc-quds-force": "irgc",
    "iswap": "islamic-state",
    "iskp": "islamic-state",
    "islamic-state-sahel": "islamic-state",
    "islamic-state-somalia": "islamic-state",
    "iscap": "islamic-state",
    "islamic-state-mozambique": "islamic-state",
    "islamic-state-libya": "islamic-state",
    "islamic-state-sinai": "islamic-state",
    "al-qassam-brigades": "hamas",
    "aqap": "al-qaeda",
    "aqim": "al-qaeda",
    "al-shabaab": "al-qaeda",
    "jnim": "al-qaeda",
}


def normalise(text: str) -> str:
    """The comparison form of an alias: casefolded, no diacritics, hyphens as spaces."""
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.replace("-", " ").casefold().split())


def load_actors() -> list[dict[str, Any]]:
    with ACTORS_PATH.open("rb") as handle:
        data = tomllib.load(handle)
    assert set(data) == {"actor"}, f"unexpected top-level keys: {sorted(set(data) - {'actor'})}"
    return data["actor"]


def actors_by_id() -> dict[str, dict[str, Any]]:
    return {actor["id"]: actor for actor in load_actors()}


def test_status_line_is_first() -> None:
    first = ACTORS_PATH.read_text(encoding="utf-8").splitlines()[0]
    assert first in {"# status: in progress", "# status: complete"}


def test_enough_actors() -> None:
    assert len(load_actors()) >= 300


def test_keys_are_known_and_required_keys_present() -> None:
    for actor in load_actors():
        keys = set(actor)
        assert keys >= REQUIRED_KEYS, f"{actor.get('id')}: missing {REQUIRED_KEYS - keys}"
        assert keys <= KEYS, f"{actor['id']}: unknown keys {keys - KEYS}"


def test_ids_unique_and_well_formed() -> None:
    seen: set[str] = set()
    for actor in load_actors():
        actor_id = actor["id"]
        assert ID_PATTERN.match(actor_id), f"malformed id {actor_id!r}"
        assert actor_id not in seen, f"duplicate id {actor_id!r}"
        seen.add(actor_id)


def test_names_present() -> None:
    for actor in load_actors():
        assert isinstance(actor["name"], str)
        assert actor["name"].strip(), actor["id"]


def test_kinds_allowed() -> None:
    for actor in load_actors():
        assert actor["kind"] in KINDS, f"{actor['id']}: unknown kind {actor['kind']!r}"


def test_country_codes_valid() -> None:
    for actor in load_actors():
        countries = actor["countries"]
        assert isinstance(countries, list)
        assert len(countries) == len(set(countries)), f"{actor['id']}: repeated country"
        for code in countries:
            valid = code in EXTRA_COUNTRY_CODES or pycountry.countries.get(alpha_2=code)
            assert valid, f"{actor['id']}: invalid country code {code!r}"


def test_parents_exist_and_have_no_cycles() -> None:
    by_id = actors_by_id()
    for actor_id, actor in by_id.items():
        seen = [actor_id]
        parent = actor.get("parent")
        while parent is not None:
            assert parent in by_id, f"{actor_id}: unknown parent {parent!r}"
            assert parent not in seen, f"parent cycle: {' -> '.join([*seen, parent])}"
            seen.append(parent)
            parent = by_id[parent].get("parent")


def test_required_parent_examples() -> None:
    by_id = actors_by_id()
    for child, parent in REQUIRED_PARENTS.items():
        assert child in by_id, f"missing actor {child!r}"
        assert by_id[child].get("parent") == parent, f"{child}: parent should be {parent!r}"
    assert "parent" not in by_id["ttp"], "the TTP is not a branch of the Afghan Taliban"


def test_aliases_well_formed() -> None:
    for actor in load_actors():
        aliases = actor["aliases"]
        assert isinstance(aliases, list)
        for alias in aliases:
            assert ALIAS_PATTERN.match(alias), f"{actor['id']}: odd characters in {alias!r}"
            assert alias == alias.strip() and "  " not in alias, f"{actor['id']}: {alias!r}"
            # Short tokens belong in `acronyms`, where matching is case-sensitive and needs context.
            assert len(normalise(alias).replace(" ", "")) >= 4, f"{actor['id']}: {alias!r}"


def test_alias_belongs_to_one_actor_unless_ambiguous_in_all() -> None:
    """A shared alias ("National Guard") must be marked ambiguous by every owner, so that
    context decides and no owner takes it alone."""
    owners: dict[str, set[str]] = defaultdict(set)
    ambiguous: dict[str, set[str]] = defaultdict(set)
    for actor in load_actors():
        for alias in actor["aliases"]:
            owners[normalise(alias)].add(actor["id"])
        for alias in actor.get("ambiguous", []):
            ambiguous[normalise(alias)].add(actor["id"])
    shared = {
        alias: sorted(ids)
        for alias, ids in owners.items()
        if len(ids) > 1 and ids != ambiguous[alias]
    }
    assert not shared, f"aliases owned by several actors, not ambiguous in all: {shared}"


def test_acronyms_written_as_acronyms() -> None:
    for actor in load_actors():
        for acronym in actor.get("acronyms", []):
            assert ACRONYM_PATTERN.match(acronym), f"{actor['id']}: {acronym!r}"
            capitals = sum(ch.isupper() or ch.isdigit() for ch in acronym)
            lower = sum(ch.islower() for ch in acronym)
            assert capitals >= 2 and lower <= capitals, f"{actor['id']}: {acronym!r}"


def test_acronyms_and_ambiguous_aliases_have_context() -> None:
    for actor in load_actors():
        if actor.get("acronyms") or actor.get("ambiguous"):
            assert actor.get("context"), f"{actor['id']}: acronyms/ambiguous need context"


def test_shared_acronyms_have_context_everywhere() -> None:
    owners: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for actor in load_actors():
        for acronym in actor.get("acronyms", []):
            owners[acronym].append(actor)
    for acronym, actors in owners.items():
        if len(actors) > 1:
            for actor in actors:
                message = f"{actor['id']}: shared acronym {acronym} lacks context"
                assert actor.get("context"), message


def test_ambiguous_aliases_are_listed_aliases() -> None:
    for actor in load_actors():
        aliases = set(actor["aliases"])
        for alias in actor.get("ambiguous", []):
            assert alias in aliases, f"{actor['id']}: ambiguous {alias!r} not in aliases"


def test_context_entries_are_meaningful() -> None:
    for actor in load_actors():
        context = actor.get("context", [])
        assert len(context) == len(set(context)), f"{actor['id']}: repeated context entry"
        for entry in context:
            # One- and two-letter entries ("US", "UN") would match pronouns and articles.
            assert len(entry.strip()) >= 3, f"{actor['id']}: context entry {entry!r} too short"


def test_lists_hold_strings_without_repeats() -> None:
    for actor in load_actors():
        for key in ("aliases", "acronyms", "context", "ambiguous"):
            values = actor.get(key, [])
            assert all(isinstance(value, str) for value in values), f"{actor['id']}.{key}"
        normalised = [normalise(alias) for alias in actor["aliases"]]
        assert len(normalised) == len(set(normalised)), f"{actor['id']}: repeated alias"
        acronyms = actor.get("acronyms", [])
        assert len(acronyms) == len(set(acronyms)), f"{actor['id']}: repeated acronym"


def test_acled_map_refers_to_known_actors() -> None:
    by_id = actors_by_id()
    with ACLED_MAP_PATH.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["label", "actor_id"]
        rows = list(reader)
    assert rows, "empty ACLED actor map"
    labels = [row["label"] for row in rows]
    assert len(labels) == len(set(labels)), "a label is mapped twice"
    unknown = sorted({row["actor_id"] for row in rows} - set(by_id))
    assert not unknown, f"unknown actor ids in the ACLED map: {unknown}"
