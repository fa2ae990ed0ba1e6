"""Turning matches into weighted evidence, and evidence into tags.

Pure functions over one article. Weights are on a 0..1 scale: each piece of evidence has a
weight by what matched (a country name says more than a demonym) and where (the title counts
more than the body); a tag's weight combines its evidence with a noisy-or, so several weak
signals add up but never pass 1.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import pairwise
from typing import NamedTuple, TypeVar

from bot.tagging.lexicon import CountryMeaning
from bot.tagging.matching import ArticleText, Hit
from bot.tagging.taxonomy import Taxonomy
from storage.types import ActorTag, CountryRole, CountryTag, Evidence

STRENGTH_WEIGHT = {
    "name": 0.8, "place": 0.75, "capital": 0.75, "gazetteer": 0.6, "demonym": 0.45, "dateline": 0.4,
}  # fmt: skip
BODY_FACTOR = 0.7
MENTION_FACTOR = 0.35  # a country named only as a party ranks below every location
ACTOR_HOME_WEIGHT = 0.15
ACTOR_WEIGHT = 0.85
STRONG = frozenset({"name", "place", "capital"})
PLACES = frozenset({"place", "capital", "gazetteer"})
# Which evidence locates an article, best first: names and solid places; then package places
# (a lone little-known town abroad is more likely a misreading: "Mansura in Ar-Raqqa" is not
# Egypt); then demonyms ("Syrian refugees in Lebanon" is about Lebanon).
LOCATION_TIERS = (STRONG, STRONG | {"gazetteer"}, STRONG | {"gazetteer", "demonym"})


class CountryEvidence(NamedTuple):
    """One country reading of one match. (Named tuples: a few are made per article, and they
    are built several times faster than frozen dataclasses; they are never changed either.)"""

    code: str
    role: CountryRole
    strength: str  # name, place, capital, gazetteer, demonym, dateline, home, actor
    hit: Hit
    weight: float
    acting_state: bool = False  # a mention as the state acting or speaking ("Iran said")


class ActorEvidence(NamedTuple):
    actor_id: str
    hit: Hit
    weight: float
    named_countries: tuple[str, ...] = ()  # "Turkish Army" names Türkiye as the state acting


def field_weight(hit: Hit, base: float) -> float:
    return base if hit.field == "title" else base * BODY_FACTOR


def _rounded(weight: float) -> float:
    """Exactly `round(weight, 3)`, which works through decimal digits and is ten times slower.
    Scaling agrees with it except near a halfway value (0.2975 is 0.29749999... in binary, so
    `round` goes down where 297.5 goes up): those few are left to `round`."""
    scaled = weight * 1000
    nearest = round(scaled)
    if abs(abs(scaled - nearest) - 0.5) < 1e-6:
        return round(weight, 3)
    return nearest / 1000


def noisy_or(weights: Iterable[float]) -> float:
    remaining = 1.0
    for weight in weights:
        remaining *= 1.0 - weight
    return 1.0 - remaining


Item = TypeVar("Item", CountryEvidence, ActorEvidence)


def corroborated(items: list[Item], key: Callable[[Item], str]) -> list[Item]:
    """An acronym read in an ALL-CAPS field counts only if the same target shows up otherwise."""
    if not any([item.hit.shouted for item in items]):  # the usual case
        return items
    confirmed = {key(item) for item in items if not item.hit.shouted}
    return [item for item in items if not item.hit.shouted or key(item) in confirmed]


# --- shared names -----------------------------------------------------------------------------


def support(
    direct: Iterable[tuple[Hit, CountryMeaning]],
    actors: Iterable[ActorEvidence],
    taxonomy: Taxonomy,
) -> dict[str, int]:
    """How much the rest of the article points at each country, for shared names."""
    found: dict[str, int] = defaultdict(int)
    for _, meaning in direct:
        found[meaning.countries[0]] += 1
    for actor in actors:
        for code in taxonomy.actors[actor.actor_id].countries:
            found[code] += 1
    return found


def pick_shared(
    meaning: CountryMeaning, backing: Mapping[str, int], context: set[str]
) -> str | None:
    """Tripoli: Libya or Lebanon? The country with most support, else the default, else none."""
    context_of = dict(meaning.context)
    scores = {
        code: backing.get(code, 0) + len(context_of.get(code, frozenset()) & context)
        for code in meaning.countries
    }
    best = max(scores.values())
    winners = [code for code, score in scores.items() if score == best]
    if best > 0 and len(winners) == 1:
        return winners[0]
    return meaning.default


# --- tags -------------------------------------------------------------------------------------


def actor_home(code: str, actor: ActorEvidence, sole: bool) -> CountryEvidence:
    """An actor's home country is a weak mention; when the alias itself names the country
    ("Lebanese troops", "Turkish Army") it is that state acting, like "Turkish forces". `sole`:
    the actor has no other home country and acts at home (strength "home", a last-resort
    location: see `location_countries`)."""
    if code in actor.named_countries:
        weight = field_weight(actor.hit, STRENGTH_WEIGHT["demonym"])
        return CountryEvidence(code, "mention", "demonym", actor.hit, weight, acting_state=True)
    return CountryEvidence(
        code, "mention", "home" if sole else "actor", actor.hit, ACTOR_HOME_WEIGHT
    )


# The first of LOCATION_TIERS each strength is in. The tiers are nested, so a country's best
# evidence says from which tier on it counts as located.
_FIRST_TIER = {
    strength: min(i for i, tier in enumerate(LOCATION_TIERS) if strength in tier)
    for strength in LOCATION_TIERS[-1]
}
assert all(a <= b for a, b in pairwise(LOCATION_TIERS)), "location tiers must be nested"


def location_countries(
    by_country: Mapping[str, list[CountryEvidence]], names_a_place: Callable[[], bool]
) -> set[str]:
    """Which countries the article is located in, by the best evidence available (see
    LOCATION_TIERS). When nothing places the article but a state acts in it ("Turkish
    government imposes curfew"), the first state named, the subject of the story, is the best
    guess; failing that, the one home country of the actors named, if the article says that
    things happened somewhere (`names_a_place`, asked only then: "GNA and LNA forces clashed in
    Wadi al-Rabi" is in Libya); failing that, the dateline ("NAIROBI (Reuters) -"), where the
    reporter filed from."""
    best: dict[str, int] = {}  # country -> the first tier that locates it
    for code, items in by_country.items():
        tiers = [
            _FIRST_TIER[item.strength]
            for item in items
            if item.role == "location" and item.strength in _FIRST_TIER
        ]
        if tiers:
            best[code] = min(tiers)
    if best:
        first = min(best.values())
        return {code for code, tier in best.items() if tier == first}
    acting = [
        (item.hit.start, code)
        for code, items in by_country.items()
        for item in items
        if item.acting_state
    ]
    if acting:
        return {min(acting)[1]}
    homes = _with_strength(by_country, "home")
    if len(homes) == 1 and names_a_place():
        return homes
    return _with_strength(by_country, "dateline")


def _with_strength(by_country: Mapping[str, list[CountryEvidence]], strength: str) -> set[str]:
    return {
        code for code, items in by_country.items() if any(e.strength == strength for e in items)
    }


def evidence_of(
    items: Sequence[CountryEvidence] | Sequence[ActorEvidence], text: ArticleText
) -> tuple[Evidence, ...]:
    """Evidence records for the items' hits, once each, in text order."""
    if len(items) == 1:  # the usual case
        return (_evidence(items[0].hit, text),)
    # Hits never overlap (see `longest_matches`), so a start offset names one hit.
    by_start = {item.hit.start: item.hit for item in items}
    return tuple([_evidence(by_start[start], text) for start in sorted(by_start)])


def _evidence(hit: Hit, text: ArticleText) -> Evidence:
    """The hit's Evidence record, shared by every tag citing it (an actor and its country)."""
    if hit.evidence is None:
        hit.evidence = Evidence(text.joined[hit.start : hit.end], hit.field, hit.field_start)
    return hit.evidence


def country_tag(
    code: str, items: list[CountryEvidence], located: bool, text: ArticleText
) -> CountryTag:
    if located:
        locating = [e for e in items if e.role == "location" or e.acting_state]
        weight = noisy_or([e.weight for e in (locating or items)])  # else by actor homes
    else:
        weight = MENTION_FACTOR * noisy_or([e.weight for e in items])
    role: CountryRole = "location" if located else "mention"
    return CountryTag(code, role, _rounded(weight), evidence_of(items, text))


def actor_tags(actors: Iterable[ActorEvidence], text: ArticleText) -> tuple[ActorTag, ...]:
    by_actor: dict[str, list[ActorEvidence]] = defaultdict(list)
    for item in actors:
        by_actor[item.actor_id].append(item)
    tags = [
        ActorTag(
            actor_id,
            _rounded(noisy_or([e.weight for e in items])),
            evidence_of(items, text),
        )
        for actor_id, items in by_actor.items()
    ]
    return tuple(sorted(tags, key=lambda tag: (-tag.weight, tag.actor_id)))
