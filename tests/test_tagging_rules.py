"""Table-driven tests for every tagging rule, plus lookups, rendering, scoring and the own set.

One Tagger is built per module (a second or two) and shared by every test here.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.tagging.dateline import dateline_length
from bot.tagging.evaluation import Case, Score, judged_actors, read_own_cases, score_cases
from bot.tagging.render import tags_as_json, tags_as_text
from bot.tagging.resolve import LookupIndex, UnknownNameError, resolve_actor, resolve_place
from bot.tagging.tagger import Tagger
from bot.tagging.taxonomy import Taxonomy, load_taxonomy
from storage.types import ArticleTags

ROOT = Path(__file__).resolve().parents[1]
OWN_CASES = ROOT / "tests" / "data" / "tagging_cases.jsonl"


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy(ROOT / "config")


@pytest.fixture(scope="module")
def tagger(taxonomy: Taxonomy) -> Tagger:
    return Tagger(taxonomy)


@pytest.fixture(scope="module")
def lookups(taxonomy: Taxonomy) -> LookupIndex:
    return LookupIndex(taxonomy)


def located(tags: ArticleTags) -> set[str]:
    return {tag.code for tag in tags.countries if tag.role == "location"}


def mentioned(tags: ArticleTags) -> set[str]:
    return {tag.code for tag in tags.countries if tag.role == "mention"}


def actor_ids(tags: ArticleTags) -> set[str]:
    return {tag.actor_id for tag in tags.actors}


# (title, summary, expected locations, expected actors) — exact sets.
LONGEST_MATCH = [
    ("Kataib Hezbollah fighters deploy in Baghdad", "", {"IQ"}, {"kataib-hezbollah"}),
    ("Tehrik-i-Taliban Pakistan attack in Bannu", "", {"PK"}, {"ttp"}),
    ("Guinea-Bissau soldiers seize palace", "", {"GW"}, set()),
    ("South Sudan army clashes with rebels in Jonglei", "", {"SS"}, {"sspdf"}),
    ("Gunmen attack pipeline in Niger Delta", "", {"NG"}, set()),
    ("Bandits kill 12 in Niger State", "", {"NG"}, set()),
    ("Equatorial Guinea holds vote", "", {"GQ"}, set()),
    ("Papua New Guinea floods", "", {"PG"}, set()),
]


@pytest.mark.parametrize(("title", "summary", "locations", "actors"), LONGEST_MATCH)
def test_longest_match_wins(tagger, title, summary, locations, actors) -> None:
    tags = tagger.tag(title, summary)
    assert located(tags) == locations
    assert actor_ids(tags) == actors


# (title, summary, locations that must be present, locations that must be absent)
CASE_RULES = [
    ("Turkey detains suspects in Istanbul", "", {"TR"}, set()),
    ("Farmers fear turkey shortage", "Prices of turkey rose before the holidays.", set(), {"TR"}),
    ("Officials told us the plan is ready", "The plan is simple, they told us.", set(), {"US"}),
    ("Ceasefire Is Fragile, Mediators Warn", "The truce is holding in Gaza.", {"PS"}, {"US"}),
    ("US STRIKES HOUTHI TARGETS", "American jets hit sites near Hodeidah.", {"YE"}, set()),
    ("WHY THE WORLD IS WATCHING", "Voters in Brazil go to the polls.", {"BR"}, set()),
]


@pytest.mark.parametrize(("title", "summary", "present", "absent"), CASE_RULES)
def test_case_rules(tagger, title, summary, present, absent) -> None:
    codes = {tag.code for tag in tagger.tag(title, summary).countries}
    assert present <= located(tagger.tag(title, summary))
    assert not (absent & codes)


# (title, summary, actor that must be found or None, actor that must not be found or None)
ACRONYMS = [
    ("IS claims attack in Deir ez-Zor", "Islamic State militants killed four fighters.",
     "islamic-state", None),
    ("Who is to blame?", "It is unclear what is happening, analysts said.", None, "islamic-state"),
    ("KH fighters move to al-Qaim", "A PMF official in Iraq confirmed the deployment.",
     "kataib-hezbollah", None),
    ("KH said to be hiring", "Shares of the company rose.", None, "kataib-hezbollah"),
    ("AA captures outpost in Rakhine", "The Arakan Army fought the Myanmar military.",
     "arakan-army", None),
    ("AA meeting in London", "The support group met on Sunday.", None, "arakan-army"),
    ("ADF rebels kill villagers near Beni", "North Kivu officials blamed the militants.",
     "allied-democratic-forces", "australian-defence-force"),
    ("ADF deploys to bushfire zone", "The Australian Defence Force sent troops, Canberra said.",
     "australian-defence-force", "allied-democratic-forces"),
    ("RSF shells El Fasher", "The paramilitary group hit Darfur's last army-held city.",
     "rapid-support-forces", "reporters-without-borders"),
    ("RSF publishes press freedom index", "Reporters Without Borders said journalists suffer.",
     "reporters-without-borders", "rapid-support-forces"),
]  # fmt: skip


@pytest.mark.parametrize(("title", "summary", "wanted", "unwanted"), ACRONYMS)
def test_acronyms_need_case_and_context(tagger, title, summary, wanted, unwanted) -> None:
    found = actor_ids(tagger.tag(title, summary))
    if wanted:
        assert wanted in found
    if unwanted:
        assert unwanted not in found


# (title, summary, expected locations)
AMBIGUOUS_NAMES = [
    ("Georgia governor signs bill", "Lawmakers in Atlanta passed it in a county vote.", {"US"}),
    ("Georgia protests grow", "Crowds rallied in Tbilisi against the new law.", {"GE"}),
    ("Georgia election result disputed", "The Georgian opposition rejected it.", {"GE"}),
    ("Jordan Peterson speaks in Toronto", "The psychologist addressed a crowd.", {"CA"}),
    ("Chad Daniels wins coaching award", "He coached for ten years.", set()),
    ("Jordan closes border crossing", "Amman cited security concerns.", {"JO"}),
    ("Chad's army repels attack", "Soldiers fought in N'Djamena's outskirts.", {"TD"}),
    ("Clashes in Tripoli", "Fighting erupted in the Libyan capital.", {"LY"}),
    ("Protest in Tripoli", "Lebanese demonstrators blocked roads in the northern city.", {"LB"}),
    ("Blast in Tripoli", "The cause was not known.", set()),
    ("Floods in Hyderabad", "Telangana officials said thousands were displaced.", {"IN"}),
    ("Rally in Hyderabad", "Activists in Sindh protested a canal project.", {"PK"}),
    ("Riot in Cordoba", "Argentine police restored order.", {"AR"}),
    ("Airstrike in Rafah", "Palestinians said 12 people died.", {"PS"}),
    ("Militants attack police post in Kashmir", "Two officers were hurt in Anantnag.", {"IN"}),
    ("Fighting in eastern Congo", "Rebels advanced on Goma.", {"CD"}),
    ("Congo votes", "Polls opened in Brazzaville.", {"CG"}),
    ("Gunmen attack village in Rafi LGA, Niger", "Residents fled the area.", {"NG"}),
    ("Niger junta expels envoy", "The rulers in Niamey gave him 48 hours.", {"NE"}),
]


@pytest.mark.parametrize(("title", "summary", "locations"), AMBIGUOUS_NAMES)
def test_ambiguous_names_resolved_by_context(tagger, title, summary, locations) -> None:
    assert located(tagger.tag(title, summary)) == locations


# (title, summary, locations, mentions that must be present)
ROLES = [
    ("Saudi-led coalition strikes Marib", "Houthi fighters were killed.", {"YE"}, {"SA"}),
    ("Iranian-backed militia attacks base in Syria", "", {"SY"}, {"IR"}),
    ("US-made missiles hit depot in Bryansk", "", {"RU"}, {"US"}),
    ("Washington says Russian jets harassed drone over Syria", "", {"SY"}, {"US", "RU"}),
    ("Moscow denies targeting civilians in Kharkiv", "", {"UA"}, {"RU"}),
    ("Chinese foreign ministry criticises Manila over shoal in the Philippines", "", {"PH"},
     {"CN"}),
    ("Turkish forces shell villages near Aleppo", "", {"SY"}, {"TR"}),
    ("Venezuelan migrants stranded in Colombia", "", {"CO"}, {"VE"}),
    ("Tehran warns Israel after strike in Damascus", "", {"SY"}, {"IR", "IL"}),
    ("Lebanese pound falls against US dollar", "Protesters gathered in Beirut.", {"LB"}, set()),
    ("Military forces of India and Pakistan exchange fire in Poonch", "", {"IN"}, {"PK"}),
    ("Migrants in Caracas say they returned from Peru", "", {"VE"}, {"PE"}),
    ("US sanctions Iranian drone makers", "", {"US"}, {"IR"}),
]  # fmt: skip


@pytest.mark.parametrize(("title", "summary", "locations", "mentions"), ROLES)
def test_location_and_mention_roles(tagger, title, summary, locations, mentions) -> None:
    tags = tagger.tag(title, summary)
    assert located(tags) == locations
    assert mentions <= mentioned(tags)


# (field, the dateline it starts with or "")
DATELINE_FORMS = [
    ("DUBAI (Reuters) - Iran seized a tanker.", "DUBAI (Reuters) - "),
    ("BANGKOK, Jan 5 (AP) — Myanmar's army struck.", "BANGKOK, Jan 5 (AP) — "),
    ("KYIV, Ukraine — Russian missiles struck.", "KYIV, Ukraine — "),
    ("ST. LOUIS, Mo. (AP) — Police said.", "ST. LOUIS, Mo. (AP) — "),
    ("N'DJAMENA, Chad (Reuters) - Rebels advanced.", "N'DJAMENA, Chad (Reuters) - "),
    ("Quito, 24 Set 2018 (AFP) - O fundador.", "Quito, 24 Set 2018 (AFP) - "),
    ("WASHINGTON — The Pentagon said.", "WASHINGTON — "),
    ("Gaza - Israeli strikes kill five", ""),  # Title Case without an agency: a headline
    ("IRAN - US TALKS FAIL", ""),  # all capitals: a shouted headline
    ("US-Iran talks - what we know", ""),
    ("On 5 May 2020, in Los Angeles, police said.", ""),
]


@pytest.mark.parametrize(("field", "dateline"), DATELINE_FORMS)
def test_dateline_forms(field, dateline) -> None:
    assert field[: dateline_length(field)] == dateline


# (title, summary, locations, mentions): a dateline locates only a story nothing else locates.
DATELINES = [
    ("", "DUBAI (Reuters) - Iran seized a tanker in the Strait of Hormuz.", {"IR"}, {"AE"}),
    ("", "BANGKOK, Jan 5 (AP) — Myanmar's military bombed villages in Sagaing.", {"MM"}, {"TH"}),
    ("", "KYIV, Ukraine — Russian missiles struck Kharkiv overnight.", {"UA"}, {"RU"}),
    ("", "NAIROBI (Reuters) - Al-Shabaab fighters attacked a base in Lower Shabelle.", {"SO"},
     {"KE"}),
    ("", "BANGKOK (AP) — Police arrested 12 protesters on Sunday.", {"TH"}, set()),
    ("", "BEIRUT (Reuters) - Syrian government forces shelled rebel-held towns.", {"SY"}, {"LB"}),
    ("DUBAI (Reuters) - Iran seizes tanker in Gulf", "", {"IR"}, {"AE"}),
]  # fmt: skip


@pytest.mark.parametrize(("title", "summary", "locations", "mentions"), DATELINES)
def test_dateline_is_weak_location_evidence(tagger, title, summary, locations, mentions) -> None:
    tags = tagger.tag(title, summary)
    assert located(tags) == locations
    assert mentions <= mentioned(tags)


def test_dateline_keeps_its_evidence(tagger) -> None:
    tags = tagger.tag("", "DUBAI (Reuters) - Iran seized a tanker in the Strait of Hormuz.")
    [uae] = [tag for tag in tags.countries if tag.code == "AE"]
    assert [(e.text, e.field, e.start) for e in uae.evidence] == [("DUBAI", "body", 0)]


# (title, summary, actors present, actors absent): "National Guard" alone is shared by five
# actors; context words and the places named pick one, or none.
NATIONAL_GUARD = [
    ("Clash in Zacatecas", "Armed men clashed with National Guard officers.",
     {"mexico-national-guard"}, {"us-national-guard"}),
    ("", "In Culiacan, Sinaloa, National Guard troops were deployed by the state governor.",
     {"mexico-national-guard"}, {"us-national-guard"}),
    ("", "Trump sends National Guard troops to Los Angeles.", {"us-national-guard"},
     {"mexico-national-guard"}),
    ("", "National Guard units in Kharkiv repelled a Russian assault.",
     {"national-guard-of-ukraine"}, {"rosgvardia"}),
    ("", "Police and National Guard detained 30 protesters in Moscow.", {"rosgvardia"}, set()),
    ("", "The National Guard was deployed after the storms.", set(),
     {"us-national-guard", "mexico-national-guard"}),
]  # fmt: skip


@pytest.mark.parametrize(("title", "summary", "present", "absent"), NATIONAL_GUARD)
def test_shared_ambiguous_alias_goes_to_the_supported_actor(
    tagger, title, summary, present, absent
) -> None:
    found = actor_ids(tagger.tag(title, summary))
    assert present <= found
    assert not absent & found


# (title, summary, locations): a country's name used as a town's name is a namesake; a list of
# capitals is not.
NAMESAKES = [
    ("Nine dead in Sinaloa", "Gunmen clashed near the town of Costa Rica, south of Culiacan.",
     {"MX"}),
    ("", "Strikes hit Beirut, Damascus and Baghdad.", {"LB", "SY", "IQ"}),  # a list
    ("", "Strikes hit Beirut, Damascus.", {"LB", "SY"}),  # a capital after a comma: a list
    ("", "National Guard troops patrol Chicago as Mexico protests.", {"US", "MX"}),
]  # fmt: skip


@pytest.mark.parametrize(("title", "summary", "locations"), NAMESAKES)
def test_namesakes_are_dropped(tagger, title, summary, locations) -> None:
    assert located(tagger.tag(title, summary)) == locations


# (title, summary, locations): when nothing else locates a story that names a place the
# gazetteer does not know, the one home country of the actors in it does.
ACTOR_HOMES = [
    ("", "GNA and LNA forces reportedly clashed in Wadi al-Rabi.", {"LY"}),
    ("", "The OSCE SMM observed 8 explosions near Lozove.", {"UA"}),
    ("Houthis vow more attacks on shipping", "", set()),  # no place: only a mention
    ("", "APT29 hackers targeted embassies in Oslo and Lisbon.", {"NO", "PT"}),
    ("", "Fancy Bear hackers phished diplomats in Kestrel Bay.", set()),  # cyber: acts abroad
]  # fmt: skip


@pytest.mark.parametrize(("title", "summary", "locations"), ACTOR_HOMES)
def test_actor_home_locates_only_as_a_last_resort(tagger, title, summary, locations) -> None:
    assert located(tagger.tag(title, summary)) == locations


# (title, summary, expected locations)
PLACES = [
    ("M23 advances on Goma", "", {"CD"}),
    ("Drone hits Erbil airport", "", {"IQ"}),
    ("Drone hits Irbil", "", {"IQ"}),
    ("Strikes on Albukamal", "", {"SY"}),
    ("Strikes on al-Bukamal", "", {"SY"}),
    ("Strikes on Abu Kamal", "", {"SY"}),
    ("Strikes on Boukamal", "", {"SY"}),
    ("Shelling in Hodeidah", "", {"YE"}),
    ("Shelling in Hudaydah", "", {"YE"}),
    ("Siege of El Fasher", "", {"SD"}),
    ("Siege of al-Fashir", "", {"SD"}),
    ("Drone hits Kursk", "", {"RU"}),
    ("Raid in Jenin", "", {"PS"}),
    ("Fighting in Donbas", "", {"UA"}),
    ("Strike in Khan Younis", "", {"PS"}),
    ("Attack in Cabo Delgado", "", {"MZ"}),
    ("Clashes in Rakhine", "", {"MM"}),
    ("Bombing in Balochistan", "", {"PK"}),
    ("Gunfire in Nagorno-Karabakh", "", {"AZ"}),
    ("Blast in Ḩalab", "", {"SY"}),
    ("Fighting near Mansura in Ar-Raqqa", "", {"SY"}),
    ("Shells hit Abu Saida in Diyala", "", {"IQ"}),
    ("Clan clash near Xaaji-Cali, Middle Shabelle", "", {"SO"}),
]


@pytest.mark.parametrize(("title", "summary", "locations"), PLACES)
def test_places_tag_their_country(tagger, title, summary, locations) -> None:
    assert located(tagger.tag(title, summary)) == locations


def test_place_evidence_points_at_the_place(tagger) -> None:
    tags = tagger.tag("M23 advances on Goma", "")
    [congo] = [tag for tag in tags.countries if tag.code == "CD"]
    assert congo.role == "location"
    assert any(e.text == "Goma" and e.field == "title" and e.start == 16 for e in congo.evidence)


def test_actor_home_is_only_a_weak_mention(tagger) -> None:
    tags = tagger.tag("Houthis vow more attacks on shipping", "")
    assert "houthis" in actor_ids(tags)
    yemen = [tag for tag in tags.countries if tag.code == "YE"]
    assert yemen and yemen[0].role == "mention" and yemen[0].weight < 0.2


NORMALISATION = [
    ("Kata’ib Hizballah denies role", "", "kataib-hezbollah"),
    ("Kata'ib Hizballah denies role", "", "kataib-hezbollah"),
    ("kataib-hezbollah statement", "Kataib Hezbollah said it would respond.", "kataib-hezbollah"),
]


@pytest.mark.parametrize(("title", "summary", "actor"), NORMALISATION)
def test_apostrophes_hyphens_and_diacritics_are_ignored(tagger, title, summary, actor) -> None:
    assert actor in actor_ids(tagger.tag(title, summary))


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        ("Türkiye says talks went well", "Officials in Côte d'Ivoire and Türkiye met in Abidjan."),
        ("Car bomb in Mogadishu", "<p>A car bomb hit <b>Mogadishu</b> &amp; Afgooye.</p>"),
        ("Strikes on Ta'izz and Sana'a", "Residents of Ḩaḑramawt fled the fighting."),
    ],
)
def test_evidence_offsets_point_into_the_text_the_user_sees(tagger, title, summary) -> None:
    from bot.text import html_to_text

    fields = {"title": title, "body": html_to_text(summary) if "<" in summary else summary}
    tags = tagger.tag(title, summary)
    evidence = [e for tag in (*tags.countries, *tags.actors) for e in tag.evidence]
    assert evidence
    for item in evidence:
        assert fields[item.field][item.start : item.start + len(item.text)] == item.text


def test_html_summary_is_cleaned(tagger) -> None:
    tags = tagger.tag("Unrest", "<p>Protests in <b>Beirut</b></p><script>x = 'Iraq'</script>")
    assert located(tags) == {"LB"}


def test_stored_text_is_tagged_as_given(tagger) -> None:
    """Stored summaries are clean text already: a "<" or "&amp;" left in them is text (a code
    sample, a literal entity), so evidence offsets point into the summary as stored."""
    summary = "if (a <b> c) &amp; fighting in <Mosul> spread to Kirkuk."
    cleaned = "if (a c) & fighting in spread to Kirkuk."
    for markup, body, names in ((False, summary, {"Mosul", "Kirkuk"}), (True, cleaned, {"Kirkuk"})):
        tags = tagger.tag("", summary, markup=markup)
        evidence = [e for tag in tags.countries for e in tag.evidence]
        assert {e.text for e in evidence} == names
        for item in evidence:
            assert body[item.start : item.start + len(item.text)] == item.text


def test_tags_are_sorted_by_weight(tagger) -> None:
    tags = tagger.tag("Iraq and Syria: strikes", "The Iranian-backed group hit Erbil and Irbil.")
    weights = [tag.weight for tag in tags.countries]
    assert weights == sorted(weights, reverse=True)


def test_tag_batch_is_thread_safe_and_matches_tag(tagger) -> None:
    items = [(case.title, case.summary) for case in read_own_cases(OWN_CASES)[:60]]
    expected = [tagger.tag(title, summary) for title, summary in items]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda item: tagger.tag(*item), items))
    assert results == expected == tagger.tag_batch(items)


# --- lookups ----------------------------------------------------------------------------------

PLACE_LOOKUPS = [
    ("IQ", "country", {"IQ"}),
    ("iraq", "country", {"IQ"}),
    ("Türkiye", "country", {"TR"}),
    ("turkiye", "country", {"TR"}),
    ("Ivory Coast", "country", {"CI"}),
    ("Iraqi", "country", {"IQ"}),
    ("Levant", "region", {"IL", "JO", "LB", "PS", "SY"}),
    ("levant", "region", {"IL", "JO", "LB", "PS", "SY"}),
    ("Sahel", "region", {"BF", "ML", "MR", "NE", "TD"}),
]


@pytest.mark.parametrize(("text", "kind", "codes"), PLACE_LOOKUPS)
def test_resolve_place(taxonomy, text, kind, codes) -> None:
    query = resolve_place(taxonomy, text)
    assert query.kind == kind
    assert query.country_codes == codes


def test_resolve_parent_region_covers_its_leaves(lookups) -> None:
    query = lookups.resolve_place("Middle East")
    assert {"IQ", "SY", "YE", "IR", "TR"} <= query.country_codes


@pytest.mark.parametrize(
    "text", ["KH", "Kata'ib Hizballah", "kataib hezbollah", "KATAIB-HEZBOLLAH"]
)
def test_resolve_actor_forms(taxonomy, text) -> None:
    assert resolve_actor(taxonomy, text).actor_id == "kataib-hezbollah"


def test_resolve_actor_includes_descendants(lookups) -> None:
    query = lookups.resolve_actor("PMF")
    assert {"popular-mobilization-forces", "kataib-hezbollah"} <= query.actor_ids


def test_unknown_name_suggests_close_ones(lookups) -> None:
    with pytest.raises(UnknownNameError) as raised:
        lookups.resolve_place("Irak")
    assert raised.value.kind == "region" and "Iraq" in raised.value.suggestions
    assert str(raised.value).startswith('Unknown region "Irak". Did you mean: ')
    assert len(raised.value.suggestions) <= 5


def test_suggest_prefix(lookups) -> None:
    labels = [value for _, value in lookups.suggest("region", "lev")]
    assert labels[0] == "levant"
    actors = [value for _, value in lookups.suggest("actor", "hezb", limit=25)]
    assert "hezbollah" in actors and "kataib-hezbollah" in actors
    assert len(lookups.suggest("actor", "", limit=7)) == 7


# --- rendering --------------------------------------------------------------------------------


def test_json_shape(taxonomy, tagger) -> None:
    tags = tagger.tag("Kataib Hezbollah strikes near Baghdad", "The Iranian-backed group...")
    data = tags_as_json(taxonomy, 42, tags)
    assert set(data) == {"id", "countries", "regions", "actors"} and data["id"] == 42
    iraq = next(c for c in data["countries"] if c["code"] == "IQ")
    assert {"code", "name", "region", "role", "evidence"} <= set(iraq)
    assert iraq["name"] == "Iraq" and iraq["role"] == "location"
    assert all(set(e) == {"text", "field", "start"} for e in iraq["evidence"])
    assert data["regions"] == ["mesopotamia", "middle-east"]
    actor = data["actors"][0]
    assert {"id", "name", "aliases", "kind", "countries", "evidence"} <= set(actor)
    json.dumps(data)  # serialisable


def test_text_rendering_explains_each_tag(taxonomy, tagger) -> None:
    text = tags_as_text(taxonomy, tagger.tag("Blast in Baghdad", "Iraqi police said..."))
    assert "Iraq (IQ, Middle East > Mesopotamia) location" in text
    assert 'title: "Baghdad"' in text


# --- scoring ----------------------------------------------------------------------------------


def test_score_is_micro_averaged() -> None:
    score = Score()
    score.add(frozenset({"IQ", "SY"}), frozenset({"IQ"}))
    score.add(frozenset(), frozenset({"YE"}))
    assert (score.tp, score.fp, score.fn) == (1, 1, 1)
    assert score.precision == score.recall == score.f1 == 0.5


def test_score_cases_counts_children_as_their_gold_parent(taxonomy) -> None:
    found, gold = judged_actors(
        frozenset({"kataib-hezbollah"}),
        frozenset({"popular-mobilization-forces"}),
        frozenset(taxonomy.actors),
        taxonomy,
    )
    assert found == gold
    case = Case("x", "Blast in Baghdad", "", frozenset({"IQ"}), frozenset())
    report = score_cases([case], lambda title, body: ArticleTags(), taxonomy)
    assert report.countries.fn == 1 and report.misses[0].missing == {"IQ"}


def test_own_set_meets_quality_targets(taxonomy, tagger) -> None:
    report = score_cases(read_own_cases(OWN_CASES), tagger.tag, taxonomy)
    assert report.articles >= 170
    assert report.countries.f1 >= 0.95, report.misses
    assert report.actors.f1 >= 0.90, report.misses


@pytest.mark.parametrize(
    "weight",
    [0.0, 1.0, 0.56, 0.2975, 0.3115, 0.8625, 0.17149999999999999, 0.9985, 0.12345, 0.5, 1e-9],
)
def test_weights_round_exactly_as_round_does(weight: float) -> None:
    from bot.tagging.evidence import _rounded

    assert _rounded(weight) == round(weight, 3)
