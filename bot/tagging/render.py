"""Showing tags to people (text) and to programs (JSON), always with the evidence."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.tagging.taxonomy import Taxonomy
from storage.types import ActorTag, ArticleTags, CountryTag, Evidence

EVIDENCE_SHOWN = 4  # per tag in text; JSON keeps all


def _quoted(evidence: Iterable[Evidence]) -> str:
    return "; ".join(f'{item.field}: "{item.text}"' for item in evidence)


def _region_label(taxonomy: Taxonomy, code: str) -> str:
    if code not in taxonomy.countries:
        return "unknown region"
    return " > ".join(region.name for region in taxonomy.region_path(code))


def _country_line(taxonomy: Taxonomy, tag: CountryTag) -> str:
    country = taxonomy.countries.get(tag.code)
    name = country.name if country else tag.code
    region = _region_label(taxonomy, tag.code)
    evidence = _quoted(tag.evidence[:EVIDENCE_SHOWN])
    return f"{name} ({tag.code}, {region}) {tag.role} {tag.weight:.2f} — {evidence}"


def _actor_line(taxonomy: Taxonomy, tag: ActorTag) -> str:
    actor = taxonomy.actors.get(tag.actor_id)
    name, kind = (actor.name, actor.kind) if actor else (tag.actor_id, "unknown")
    evidence = _quoted(tag.evidence[:EVIDENCE_SHOWN])
    return f"{name} [{tag.actor_id}, {kind}] {tag.weight:.2f} — {evidence}"


def tags_as_text(taxonomy: Taxonomy, tags: ArticleTags) -> str:
    """One line per country and per actor, strongest first, each with why it was tagged:
    `Iraq (IQ, Middle East > Mesopotamia) location 0.92 — title: "Baghdad"; body: "Iraqi"`."""
    lines = ["Countries:"] if tags.countries else ["Countries: none"]
    lines += [f"  {_country_line(taxonomy, tag)}" for tag in tags.countries]
    lines += ["Actors:"] if tags.actors else ["Actors: none"]
    lines += [f"  {_actor_line(taxonomy, tag)}" for tag in tags.actors]
    return "\n".join(lines)


def _evidence_json(evidence: Iterable[Evidence]) -> list[dict[str, Any]]:
    return [{"text": e.text, "field": e.field, "start": e.start} for e in evidence]


def _location_regions(taxonomy: Taxonomy, tags: ArticleTags) -> list[str]:
    """Region ids (leaf and every parent) of the location countries, in first-seen order."""
    found: dict[str, None] = {}
    for tag in tags.countries:
        if tag.role == "location" and tag.code in taxonomy.countries:
            for region in reversed(taxonomy.region_path(tag.code)):
                found.setdefault(region.id, None)
    return list(found)


def tags_as_json(taxonomy: Taxonomy, item_id: object, tags: ArticleTags) -> dict[str, Any]:
    """`{"id", "countries": [...], "regions": [...], "actors": [...]}`; see config/README.md."""
    countries = [
        {
            "code": tag.code,
            "name": taxonomy.countries[tag.code].name
            if tag.code in taxonomy.countries
            else tag.code,
            "region": taxonomy.countries[tag.code].region_id
            if tag.code in taxonomy.countries
            else None,
            "role": tag.role,
            "weight": tag.weight,
            "evidence": _evidence_json(tag.evidence),
        }
        for tag in tags.countries
    ]
    actors = []
    for tag in tags.actors:
        actor = taxonomy.actors.get(tag.actor_id)
        actors.append({
            "id": tag.actor_id,
            "name": actor.name if actor else tag.actor_id,
            "aliases": list(actor.aliases) if actor else [],
            "kind": actor.kind if actor else None,
            "countries": list(actor.countries) if actor else [],
            "weight": tag.weight,
            "evidence": _evidence_json(tag.evidence),
        })  # fmt: skip
    regions = _location_regions(taxonomy, tags)
    return {"id": item_id, "countries": countries, "regions": regions, "actors": actors}
