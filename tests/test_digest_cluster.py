"""One story per event: hand-made groups of real-style headlines and the stories they must form."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.digest.cluster import (
    LONG_MATCH_SIMILARITY,
    SAME_EVENT_SIMILARITY,
    choose_lead,
    cluster,
    similarity,
    vetoed,
    words_match,
)
from bot.digest.model import DigestArticle, Story
from bot.digest.words import content_words

T0 = datetime(2026, 3, 10, 6, 0, tzinfo=UTC)

# Outlets and their feed ids; Al Jazeera has two feeds that can carry the same article.
FEEDS = {
    "Reuters": 1, "AP": 2, "Al Jazeera": 3, "BBC": 4, "AFP": 5, "Times of Israel": 6,
    "The Record": 7, "BleepingComputer": 8, "Dawn": 9, "Kyiv Independent": 10,
    "Sudan Tribune": 11, "Garowe Online": 12, "Premium Times": 13, "Al Jazeera (Middle East)": 14,
}  # fmt: skip


def art(
    id: int,
    source: str,
    title: str,
    summary: str = "",
    hours: float = 0.0,
    locs: tuple[str, ...] = (),
    actors: tuple[str, ...] = (),
) -> DigestArticle:
    return DigestArticle(
        id=id,
        feed_id=FEEDS[source],
        source=source.split(" (")[0],  # "Al Jazeera (Middle East)" is a second feed of Al Jazeera
        title=title,
        summary=summary,
        url=f"https://example.org/{id}",
        time=T0 + timedelta(hours=hours),
        locations=locs,
        actors=actors,
        location_weight=0.8 if locs else 0.0,
        actor_weight=0.7 if actors else 0.0,
    )


@dataclass(frozen=True)
class Group:
    articles: tuple[DigestArticle, ...]
    stories: tuple[frozenset[int], ...]  # expected partition by article id


def group(articles: list[DigestArticle], *stories: set[int]) -> Group:
    return Group(tuple(articles), tuple(frozenset(story) for story in stories))


IDF = ("israel-defense-forces",)
KHAN_YOUNIS_STRIKE = [
    art(101, "Reuters", "Israeli strike kills 12 in Khan Younis, health officials say",
        "An Israeli air strike on a house in Khan Younis in the southern Gaza Strip killed 12 people, "
        "including children, Palestinian health officials said.", 0, ("PS",), IDF),
    art(102, "AP", "At least 12 killed in Israeli air strike on Khan Younis",
        "Twelve people were killed when an Israeli airstrike hit a family home in the southern Gaza "
        "city of Khan Younis overnight, hospital officials said.", 1.5, ("PS",), IDF),
    art(103, "Al Jazeera", "Gaza: Strike on Khan Younis leaves dozen dead", "", 3, ("PS",)),
]  # fmt: skip

GROUPS = {
    "same strike from three outlets merges": group(KHAN_YOUNIS_STRIKE, {101, 102, 103}),
    "strike and aid convoy in the same town stay apart": group(
        [
            art(111, "Reuters", "Strike kills 12 in Khan Younis", "", 0, ("PS",)),
            art(112, "AP", "Aid convoy reaches Khan Younis", "", 2, ("PS",)),
        ],
        {111},
        {112},
    ),
    "militia drone attack named two ways merges": group(
        [
            art(
                121,
                "Reuters",
                "Kataib Hezbollah claims drone attack on US base in Syria",
                "The Iran-backed Iraqi group said it targeted the al-Tanf garrison with drones; "
                "no US casualties were reported.",
                0,
                ("SY",),
                ("kataib-hezbollah",),
            ),
            art(
                122,
                "AFP",
                "Iraqi militia says it launched drones at American base in Syria",
                "An Iran-aligned armed group in Iraq said it attacked the US base at al-Tanf in "
                "southern Syria with several drones.",
                4,
                ("SY",),
            ),
        ],
        {121, 122},
    ),
    "ransomware claim on one victim merges, another victim stays apart": group(
        [
            art(
                131,
                "The Record",
                "Ransomware gang LockBit claims attack on Boeing",
                "The LockBit ransomware group listed Boeing on its leak site and threatened to "
                "publish data stolen from the aerospace company.",
                0,
                ("US",),
                ("lockbit",),
            ),
            art(
                132,
                "BleepingComputer",
                "Boeing investigating LockBit ransomware gang's claims of data theft",
                "Boeing says it is assessing a claim by the LockBit ransomware gang, which says it "
                "stole sensitive data from the company.",
                5,
                ("US",),
                ("lockbit",),
            ),
            art(
                133,
                "Reuters",
                "LockBit hackers claim attack on UK hospital trust",
                "The ransomware gang said it stole patient records from an NHS trust in the north "
                "of England.",
                6,
                ("GB",),
                ("lockbit",),
            ),
        ],
        {131, 132},
        {133},
    ),
    "two events in one Sudanese war stay apart": group(
        [
            art(
                141,
                "Sudan Tribune",
                "RSF shells El Fasher market, killing 20",
                "Rapid Support Forces artillery hit the main market in El Fasher, North Darfur, "
                "activists said.",
                0,
                ("SD",),
                ("rapid-support-forces",),
            ),
            art(
                142,
                "Reuters",
                "Sudan army retakes Omdurman bridge",
                "The Sudanese Armed Forces said they had recaptured a key bridge in Omdurman from "
                "the RSF.",
                3,
                ("SD",),
                ("sudanese-armed-forces",),
            ),
            art(
                143,
                "AFP",
                "Shelling of El Fasher market kills 20, activists say",
                "Paramilitary shelling struck a crowded market in El Fasher, killing at least 20 "
                "civilians.",
                4,
                ("SD",),
                ("rapid-support-forces",),
            ),
        ],
        {141, 143},
        {142},
    ),
    "same words in two cities are vetoed by location": group(
        [
            art(151, "Reuters", "Bomb kills 5 in Kabul", "", 0, ("AF",)),
            art(152, "AP", "Bomb kills 5 in Peshawar", "", 1, ("PK",)),
        ],
        {151},
        {152},
    ),
    "the same headline three days apart is two events": group(
        [
            art(161, "Reuters", "Israeli strike kills 5 in Rafah", "", 0, ("PS",)),
            art(162, "AP", "Israeli strike kills 5 in Rafah", "", 72, ("PS",)),
        ],
        {161},
        {162},
    ),
    "one outlet's two stories stay apart": group(
        [
            art(
                171,
                "Kyiv Independent",
                "Russian missile strike on Kharkiv kills 7",
                "",
                0,
                ("UA",),
                ("russian-armed-forces",),
            ),
            art(
                172,
                "Kyiv Independent",
                "Russian drone strike on Kharkiv injures 9",
                "",
                5,
                ("UA",),
                ("russian-armed-forces",),
            ),
        ],
        {171},
        {172},
    ),
    "number words meet digits across outlets": group(
        [
            art(
                181,
                "Kyiv Independent",
                "Russian missile strike on Kharkiv kills 7",
                "Seven people were killed when a missile hit an apartment block.",
                0,
                ("UA",),
                ("russian-armed-forces",),
            ),
            art(
                182,
                "BBC",
                "Seven dead after Russian missiles hit Kharkiv apartment block",
                "",
                2,
                ("UA",),
            ),
            art(
                183,
                "AFP",
                "Ukrainian drones set Russian oil refinery ablaze in Ryazan",
                "",
                3,
                ("RU",),
                ("armed-forces-of-ukraine",),
            ),
        ],
        {181, 182},
        {183},
    ),
    "the same article in two feeds of one outlet merges": group(
        [
            art(
                191,
                "Al Jazeera",
                "Houthis claim missile attack on cargo ship in Red Sea",
                "",
                0,
                ("YE",),
                ("houthis",),
            ),
            art(
                192,
                "Al Jazeera (Middle East)",
                "Houthis claim missile attack on cargo ship in Red Sea",
                "",
                0.2,
                ("YE",),
                ("houthis",),
            ),
            art(
                193,
                "Reuters",
                "Yemen's Houthis say they fired missiles at cargo vessel in Red Sea",
                "",
                1,
                ("YE",),
                ("houthis",),
            ),
        ],
        {191, 192, 193},
    ),
    "an article cannot chain two vetoed stories together": group(
        [
            art(
                201,
                "Reuters",
                "Suicide bomber kills 5 at mosque in Kabul during Friday prayers",
                "",
                0,
                ("AF",),
                ("islamic-state",),
            ),
            art(
                202,
                "Dawn",
                "Suicide bomber kills 5 at mosque in Peshawar",
                "",
                1,
                ("PK",),
                ("islamic-state",),
            ),
            art(
                203,
                "AFP",
                "Suicide bombing kills 5 at mosque during Friday prayers",
                "Islamic State claimed the attack on worshippers.",
                2,
                (),
                ("islamic-state",),
            ),
        ],
        {201, 203},
        {202},
    ),
    "a hotel siege told with and without the group's name merges": group(
        [
            art(
                211,
                "Garowe Online",
                "Al-Shabaab attack on Mogadishu hotel kills 9",
                "Militants stormed a hotel near the presidential palace in Mogadishu, security "
                "officials said, before troops ended the siege.",
                0,
                ("SO",),
                ("al-shabaab",),
            ),
            art(
                212,
                "AP",
                "Gunmen storm hotel in Somali capital; nine dead",
                "Attackers stormed a hotel in Mogadishu, killing nine people before security "
                "forces ended the siege.",
                2,
                ("SO",),
            ),
        ],
        {211, 212},
    ),
    "a school kidnapping reported in other words merges": group(
        [
            art(
                221,
                "Premium Times",
                "Gunmen kidnap 30 students from school in Kaduna",
                "Armed men abducted 30 students from a secondary school in Kaduna State, police "
                "said.",
                0,
                ("NG",),
            ),
            art(
                222,
                "Reuters",
                "Armed men abduct 30 pupils from Nigerian school",
                "Gunmen kidnapped 30 students from a school in northwest Nigeria's Kaduna State.",
                3,
                ("NG",),
            ),
            art(223, "AFP", "Bandits kill 12 villagers in Zamfara raid", "", 4, ("NG",)),
        ],
        {221, 222},
        {223},
    ),
    "two attacks blamed on rival groups are vetoed by actor": group(
        [
            art(
                231,
                "Premium Times",
                "Jihadists kill 10 soldiers in attack on army base in Borno",
                "",
                0,
                ("NG",),
                ("iswap",),
            ),
            art(
                232,
                "AFP",
                "Jihadists kill 10 farmers in attack on village in Borno",
                "",
                1,
                ("NG",),
                ("boko-haram",),
            ),
        ],
        {231},
        {232},
    ),
    "strikes in two towns of one territory stay apart": group(
        [
            art(251, "Reuters", "Israeli strike kills 5 in Rafah", "", 0, ("PS",), IDF),
            art(252, "AP", "Israeli strike kills 3 in Khan Younis", "", 2, ("PS",), IDF),
            art(
                253,
                "Al Jazeera",
                "Five killed as Israeli strike hits tent camp in Rafah",
                "",
                3,
                ("PS",),
                IDF,
            ),
        ],
        {251, 253},
        {252},
    ),
    "missile strikes on two cities stay apart": group(
        [
            art(
                261,
                "Kyiv Independent",
                "Russian missile strike on Kharkiv kills 7",
                "",
                0,
                ("UA",),
                ("russian-armed-forces",),
            ),
            art(
                262,
                "Reuters",
                "Russian missile strike on Odesa port kills 4",
                "",
                1,
                ("UA",),
                ("russian-armed-forces",),
            ),
        ],
        {261},
        {262},
    ),
    "two attacks in one capital stay apart": group(
        [
            art(
                271,
                "Garowe Online",
                "Al-Shabaab attack on Mogadishu hotel kills 9",
                "",
                0,
                ("SO",),
                ("al-shabaab",),
            ),
            art(
                272,
                "AFP",
                "Suicide bombing at Mogadishu military base kills 6",
                "",
                5,
                ("SO",),
                ("al-shabaab",),
            ),
        ],
        {271},
        {272},
    ),
    "two ship attacks by one group stay apart": group(
        [
            art(
                281,
                "Reuters",
                "Houthis claim missile attack on cargo ship in Red Sea",
                "",
                0,
                ("YE",),
                ("houthis",),
            ),
            art(
                282,
                "AP",
                "Houthis claim drone attack on oil tanker in Gulf of Aden",
                "",
                6,
                ("YE",),
                ("houthis",),
            ),
        ],
        {281},
        {282},
    ),
    "two kidnappings in one state stay apart": group(
        [
            art(
                291,
                "Premium Times",
                "Gunmen kidnap 30 students from school in Kaduna",
                "",
                0,
                ("NG",),
            ),
            art(
                292, "Reuters", "Gunmen kidnap 12 worshippers from church in Kaduna", "", 8, ("NG",)
            ),
        ],
        {291},
        {292},
    ),
    "a death toll update from another outlet merges": group(
        [
            art(
                301,
                "Reuters",
                "Car bomb kills 8 at checkpoint in Mogadishu",
                "A car bomb exploded at a busy security checkpoint near the Somali parliament.",
                0,
                ("SO",),
            ),
            art(
                302,
                "AP",
                "Death toll from Mogadishu checkpoint car bombing rises to 15",
                "The toll from Saturday's car bomb at a checkpoint near parliament rose to 15, "
                "officials said.",
                9,
                ("SO",),
                ("al-shabaab",),
            ),
        ],
        {301, 302},
    ),
    "a Title Case headline still merges with sentence case": group(
        [
            art(
                311,
                "BBC",
                "Israeli Strike Kills 12 In Khan Younis, Health Officials Say",
                "",
                0,
                ("PS",),
            ),
            art(
                312, "AP", "At least 12 killed in Israeli air strike on Khan Younis", "", 1, ("PS",)
            ),
        ],
        {311, 312},
    ),
    "untagged articles never merge": group(
        [
            art(241, "Reuters", "Explosion at chemical plant kills 4", "", 0),
            art(242, "AP", "Explosion at chemical plant kills 4", "", 1),
        ],
        {241},
        {242},
    ),
}


def partition(stories: list[Story]) -> set[frozenset[int]]:
    return {frozenset(article.id for article in story.articles) for story in stories}


@pytest.mark.parametrize("case", GROUPS.values(), ids=GROUPS.keys())
def test_groups_form_the_expected_stories(case: Group):
    assert partition(cluster(case.articles)) == set(case.stories)


def by_id(case: Group) -> dict[int, DigestArticle]:
    return {article.id: article for article in case.articles}


@pytest.mark.parametrize("name", GROUPS.keys(), ids=GROUPS.keys())
def test_input_order_does_not_change_the_stories(name: str):
    articles = list(GROUPS[name].articles)
    expected = cluster(articles)
    assert cluster(reversed(articles)) == expected
    assert cluster(articles[1:] + articles[:1]) == expected


@pytest.mark.parametrize(
    ("name", "lead", "sources", "locations", "actors"),
    [
        ("same strike from three outlets merges", 101, ("Reuters", "AP", "Al Jazeera"), ("PS",), IDF),
        ("the same article in two feeds of one outlet merges", 191, ("Al Jazeera", "Reuters"), ("YE",), ("houthis",)),
        ("militia drone attack named two ways merges", 121, ("Reuters", "AFP"), ("SY",), ("kataib-hezbollah",)),
        ("a school kidnapping reported in other words merges", 222, ("Reuters", "Premium Times"), ("NG",), ()),
        ("a death toll update from another outlet merges", 302, ("AP", "Reuters"), ("SO",), ("al-shabaab",)),
    ],
    ids=["three-outlets", "two-feeds-one-outlet", "named-two-ways", "kidnapping", "toll-update"],
)  # fmt: skip
def test_story_lead_sources_and_tags(name, lead, sources, locations, actors):
    (story,) = [s for s in cluster(GROUPS[name].articles) if len(s.articles) > 1]
    assert (story.lead.id, story.sources, story.locations, story.actors) == (
        lead,
        sources,
        locations,
        actors,
    )
    assert story.time == min(article.time for article in story.articles)
    assert [a.id for a in story.articles[1:]] == sorted(
        (a.id for a in story.articles[1:]), key=lambda i: (by_id(GROUPS[name])[i].time, i)
    )


@pytest.mark.parametrize(
    ("titles", "lead"),
    [
        (["Strike kills 12", "Israeli strike kills 12 in Khan Younis"], 2),  # more informative
        (["Israeli strike kills 12 in Khan Younis", "Israeli strike kills 12 in Khan Younis"], 1),  # tie: earliest
        (["Gaza strike", "Gaza strike kills 12", "Strike in Gaza kills 12, officials say",
          "Watch: aftermath"], 2),  # shares most with the others, then longest
    ],
    ids=["longer", "tie-earliest", "most-shared"],
)  # fmt: skip
def test_choose_lead(titles: list[str], lead: int):
    articles = [art(i, "Reuters", title, "", hours=i) for i, title in enumerate(titles, start=1)]
    assert choose_lead(articles).id == lead


def test_stories_come_in_time_order_then_id():
    articles = [
        art(5, "Reuters", "Aid convoy reaches Khan Younis", "", 2, ("PS",)),
        art(4, "AP", "Protest in Tel Aviv over hostages", "", 1, ("IL",)),
        art(3, "BBC", "Floods hit Kabul", "", 1, ("AF",)),
        art(9, "AFP", "Israeli Strike Kills 12 In Khan Younis", "", 0, ("PS",)),
        art(8, "Reuters", "Israeli strike kills 12 in Khan Younis", "", 3, ("PS",)),
    ]
    assert [[a.id for a in story.articles] for story in cluster(articles)] == [
        [9, 8],
        [3],
        [4],
        [5],
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Israeli airstrikes kill 12", ["israeli", "strik", "kill", "12"]),
        ("At least 12 killed, dozen dead", ["at", "least", "12", "kill", "12", "kill"]),
        ("U.S. and US forces; us", ["usa", "and", "usa", "forc", "us"]),
        ("American drones hit Kata'ib Hizballah", ["usa", "dron", "hit", "kataib", "hizballah"]),
        ("Militias' rockets struck Ṣanʿāʾ", ["militia", "rocket", "strik", "sana"]),
        ("1,200 civilians", ["1200", "civilian"]),
        ("Hamas, ISIS and Abbas", ["hamas", "isis", "and", "abbas"]),
        ("Shelling, shelled, shells", ["shell", "shell", "shell"]),
        ("Clashes with gunmen; casualties", ["clash", "with", "gunmen", "casualty"]),
        ("Blast, explosions: exploded", ["explosion", "explosion", "explosion"]),
        ("Iraq's militia", ["iraq", "militia"]),
    ],
    ids=["airstrikes", "number-words", "united-states", "synonyms", "accents-plural-possessive",
         "thousands", "names-ending-in-s", "stemming", "es-plurals", "blast", "possessive"],
)  # fmt: skip
def test_words_are_normalised(text: str, expected: list[str]):
    assert cluster_words(text) == expected


def cluster_words(text: str) -> list[str]:
    from bot.digest.words import words

    return words(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Israeli strike kills 12 in Khan Younis, officials say", ["israeli", "strik", "kill", "12", "khan", "younis"]),
        ("LIVE: Breaking news update on the war", ["war"]),
        ("", []),
    ],
    ids=["headline", "filler", "empty"],
)  # fmt: skip
def test_content_words_drop_filler(text: str, expected: list[str]):
    assert content_words(text) == expected


KABUL = art(1, "Reuters", "Bomb kills 5 in Kabul", "", 0, ("AF",), ("islamic-state",))


@pytest.mark.parametrize(
    ("other", "expected"),
    [
        (art(2, "AP", "Bomb kills 5 in Kabul", "", 35, ("AF",)), False),
        (art(2, "AP", "Bomb kills 5 in Kabul", "", 37, ("AF",)), True),  # beyond 36 h
        (art(2, "AP", "Bomb kills 5 in Kabul", "", -37, ("AF",)), True),  # either way
        (art(2, "Reuters", "Bomb kills 5 in Kabul", "", 1, ("AF",)), True),  # same feed
        (art(2, "AP", "Bomb kills 5", "", 1, ("PK",)), True),  # disjoint locations
        (art(2, "AP", "Bomb kills 5", "", 1, ("PK", "AF")), False),  # overlapping locations
        (art(2, "AP", "Bomb kills 5", "", 1, ()), False),  # no location: no veto
        (art(2, "AP", "Bomb kills 5", "", 1, ("AF",), ("taliban",)), True),  # disjoint actors
        (art(2, "AP", "Bomb kills 5", "", 1, ("AF",), ("taliban", "islamic-state")), False),
    ],
    ids=["near", "too-late", "too-early", "same-feed", "other-country", "shared-country",
         "untagged", "other-actor", "shared-actor"],
)  # fmt: skip
def test_vetoed(other: DigestArticle, expected: bool):
    assert vetoed(KABUL, other, timedelta(hours=36)) is expected
    assert vetoed(other, KABUL, timedelta(hours=36)) is expected


@pytest.mark.parametrize(
    ("first", "second", "low", "high"),
    [
        ("Bomb kills 5 in Kabul", "Bomb kills 5 in Kabul", 1.0, 1.0),
        ("Bomb kills 5 in Kabul", "", 0.0, 0.0),
        ("Bomb kills 5 in Kabul", "Floods hit Lagos", 0.0, 0.0),
        ("Strike kills 12 in Khan Younis", "Aid convoy reaches Khan Younis", 0.0, SAME_EVENT_SIMILARITY - 0.1),
        ("Israeli strike kills 5 in Rafah", "Israeli strike kills 3 in Khan Younis", 0.0, SAME_EVENT_SIMILARITY - 0.1),
        ("Israeli strike kills 12 in Khan Younis", "At least 12 killed in Israeli air strike on Khan Younis", SAME_EVENT_SIMILARITY + 0.1, 1.0),
    ],
    ids=["identical", "empty", "unrelated", "shared-place-only", "different-towns", "paraphrase"],
)  # fmt: skip
def test_similarity(first: str, second: str, low: float, high: float):
    one, two = art(1, "Reuters", first), art(2, "AP", second)
    assert low - 1e-9 <= similarity(one, two) <= high + 1e-9
    assert similarity(one, two) == pytest.approx(similarity(two, one))


@pytest.mark.parametrize(
    ("window", "expected"),
    [(timedelta(hours=36), {frozenset({101, 102, 103})}),
     (timedelta(hours=2), {frozenset({101, 102}), frozenset({103})}),
     (timedelta(minutes=30), {frozenset({101}), frozenset({102}), frozenset({103})})],
    ids=["default", "two-hours", "thirty-minutes"],
)  # fmt: skip
def test_window_bounds_the_whole_story(window: timedelta, expected: set[frozenset[int]]):
    assert partition(cluster(KHAN_YOUNIS_STRIKE, window)) == expected


def test_a_slowly_repeated_story_is_cut_at_the_window():
    """Same headline every 20 h from a new outlet: a chain would span 80 h; no story may exceed 36 h."""
    outlets = ["Reuters", "AP", "AFP", "BBC", "Dawn"]
    articles = [
        art(i, outlet, "Bomb kills 5 in Kabul", "", 20 * i, ("AF",))
        for i, outlet in enumerate(outlets)
    ]
    stories = cluster(articles)
    assert partition(stories) == {frozenset({0, 1}), frozenset({2, 3}), frozenset({4})}


def synthetic_batch(count: int, seed: int) -> list[DigestArticle]:
    """Headlines from a Zipf-like vocabulary, many repeated by other outlets with a word changed."""
    import random

    rng = random.Random(seed)
    vocabulary = [f"w{index}" for index in range(2000)]
    weights = [1 / (index + 1) for index in range(2000)]
    countries = ["PS", "IL", "UA", "SD", "SY", "YE", "AF", "NG"]
    articles: list[DigestArticle] = []
    while len(articles) < count:
        title = rng.choices(vocabulary, weights, k=8)
        place, start = rng.choice(countries), rng.uniform(0, 36)
        actors = tuple(rng.sample(["a1", "a2", "a3"], rng.randint(0, 1)))
        for _ in range(rng.choice([1, 1, 2, 3])):
            title[rng.randrange(8)] = rng.choices(vocabulary, weights)[0]
            articles.append(
                DigestArticle(
                    len(articles), rng.randint(1, 40), f"outlet {rng.randint(1, 40)}", " ".join(title),
                    "", None, T0 + timedelta(hours=start + rng.uniform(0, 3)), (place,), actors,
                )
            )  # fmt: skip
    return articles


@pytest.mark.parametrize("seed", [1, 2], ids=["seed-1", "seed-2"])
def test_a_large_batch_keeps_every_rule(seed: int):
    articles = synthetic_batch(1500, seed)
    stories = cluster(articles)
    assert sorted(a.id for s in stories for a in s.articles) == sorted(a.id for a in articles)
    assert any(len(story.articles) > 1 for story in stories)
    for story in stories:
        members = story.articles
        assert len({a.feed_id for a in members}) == len(members)  # one article per feed
        assert max(a.time for a in members) - min(a.time for a in members) <= timedelta(hours=36)
        assert not any(
            vetoed(a, b, timedelta(hours=36)) for a in members for b in members if a is not b
        )
    assert [(s.time, min(a.id for a in s.articles if a.time == s.time)) for s in stories] == sorted(
        (s.time, min(a.id for a in s.articles if a.time == s.time)) for s in stories
    )


@pytest.mark.parametrize(
    ("tag_lists", "expected"),
    [
        ([("SY", "IQ"), ("SY",), ("IQ", "SY")], ("SY", "IQ")),  # most articles first
        ([("IQ", "SY"), ("SY", "IQ")], ("IQ", "SY")),  # tie: best rank, then alphabetical
        ([("LB",), ()], ("LB",)),
        ([(), ()], ()),
    ],
    ids=["by-support", "tie", "some-untagged", "none"],
)
def test_story_locations_by_support(tag_lists, expected):
    story = Story(tuple(art(i, "Reuters", "x", "", 0, locs) for i, locs in enumerate(tag_lists)))
    assert story.locations == expected


def test_a_story_needs_an_article():
    with pytest.raises(ValueError, match="at least one article"):
        Story(())


def test_article_time_must_be_aware():
    with pytest.raises(ValueError, match="timezone-aware"):
        DigestArticle(1, 1, "Reuters", "t", "", None, datetime(2026, 3, 10))


# --- candidate generation: the index finds what comparing every pair would -------------------


def all_pairs_rule(articles: list[DigestArticle], window: timedelta) -> set[frozenset[int]]:
    """The rule cluster() must honour, checked the slow way: every pair that shares a location or
    actor, is not vetoed and is similar enough."""
    return {
        frozenset((one.id, two.id))
        for index, one in enumerate(articles)
        for two in articles[index + 1 :]
        if (set(one.locations) & set(two.locations) or set(one.actors) & set(two.actors))
        and not vetoed(one, two, window)
        and words_match(one, two)
    }


def candidate_pairs(articles: list[DigestArticle], window: timedelta) -> set[frozenset[int]]:
    from bot.digest.cluster import _similar_pairs, article_text

    ordered = sorted(articles, key=lambda article: (article.time, article.id))
    pairs = _similar_pairs(ordered, [article_text(article) for article in ordered], window)
    return {frozenset((ordered[one].id, ordered[two].id)) for one, two in pairs}


SMALL_BATCHES = {
    **{name: list(case.articles) for name, case in GROUPS.items()},
    "synthetic-300-seed-1": synthetic_batch(300, 1),
    "synthetic-300-seed-2": synthetic_batch(300, 2),
}


@pytest.mark.parametrize("name", SMALL_BATCHES.keys(), ids=SMALL_BATCHES.keys())
def test_the_index_finds_every_pair_the_all_pairs_rule_would(name: str):
    articles = SMALL_BATCHES[name]
    window = timedelta(hours=36)
    assert candidate_pairs(articles, window) == all_pairs_rule(articles, window)


@pytest.mark.parametrize(
    ("articles", "merged"),
    [
        (KHAN_YOUNIS_STRIKE, True),
        ([art(1, "Reuters", "Strike kills 12 in Khan Younis", "", 0, ("PS",)),
          art(2, "AP", "Aid convoy reaches Khan Younis", "", 2, ("PS",))], False),
        ([art(1, "Reuters", "Bomb kills 5 in Kabul market", "", 0, ("AF",)),
          art(2, "AP", "Bomb kills 5 in Kabul market", "", 1, ("AF",))], True),
        ([art(1, "Reuters", "Bomb kills 5 in Kabul market", "", 0, ("AF",)),
          art(2, "Reuters", "Bomb kills 5 in Kabul market", "", 1, ("AF",))], False),  # one feed
        ([art(1, "Reuters", "Bomb kills 5 in Kabul market", "", 0, ("AF",)),
          art(2, "AP", "Bomb kills 5 in Kabul market", "", 1, ("PK",))], False),  # two places
    ],
    ids=["same-event-three-outlets", "other-event-same-town", "identical-two-outlets",
         "identical-one-feed", "identical-two-countries"],
)  # fmt: skip
def test_small_groups_merge_as_the_rule_says(articles: list[DigestArticle], merged: bool):
    stories = cluster(articles)
    assert (len(stories) == 1) is merged
    assert bool(candidate_pairs(articles, timedelta(hours=36))) is merged


def test_thousands_of_near_identical_reports_stay_bounded_and_keep_every_rule():
    """The worst case for an index: every article alike. Postings are capped, so this is linear;
    stories still hold one article per feed and fit the window."""
    articles = [
        DigestArticle(
            index,
            index % 40,
            f"outlet {index % 40}",
            f"Drone strike hits Kharkiv plant {index % 3}",
            "Officials said the attack cut power to thousands of homes",
            None,
            T0 + timedelta(minutes=index),
            ("UA",),
            ("russian-armed-forces",),
        )
        for index in range(1200)
    ]
    stories = cluster(articles)
    assert sorted(a.id for s in stories for a in s.articles) == list(range(1200))
    for story in stories:
        assert len({a.feed_id for a in story.articles}) == len(story.articles) <= 40
        assert story.latest - story.time <= timedelta(hours=36)
    assert max(len(story.articles) for story in stories) > 10  # they do merge


# --- quality on real headlines ---------------------------------------------------------------

LABELED = Path(__file__).parent / "data" / "duplicate_groups.jsonl"


def pairwise_quality(articles: list[DigestArticle], groups: dict[int, str]) -> tuple[float, float]:
    """Pairwise precision and recall of cluster() against the labels, as bench/digest.py counts."""
    from bench.digest import pairwise

    merged = {
        (min(one.id, two.id), max(one.id, two.id))
        for story in cluster(articles)
        for one, two in itertools.combinations(story.articles, 2)
    }
    precision, recall, _ = pairwise(merged, groups)
    return precision, recall


def labeled_set(shared_tag: bool) -> tuple[list[DigestArticle], dict[int, str]]:
    """tests/data/duplicate_groups.jsonl (read as bench/digest.py reads it): real items of
    ../shared/corpus/real-feeds, tagged by the real tagger, with their event label. `shared_tag`
    gives every item one location (and no actor) to measure the words alone."""
    from bench.digest import labeled_set as read_labeled_set

    articles, groups = read_labeled_set(LABELED)
    if shared_tag:
        articles = [replace(article, locations=("ZZ",), actors=()) for article in articles]
    return articles, groups


def test_the_labeled_set_is_well_formed():
    rows = [json.loads(line) for line in LABELED.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 150 and len({row["id"] for row in rows}) == len(rows)
    groups: dict[str, list[dict[str, object]]] = {}
    for row in rows:
        groups.setdefault(str(row["group"]), []).append(row)
        assert row["feed"] and row["title"] and datetime.fromisoformat(row["time"]).tzinfo
    multi = [members for members in groups.values() if len(members) > 1]
    assert len(multi) >= 10
    for members in multi:  # one article per outlet: what clustering can merge at all
        assert len({member["feed"] for member in members}) == len(members)


@pytest.mark.parametrize(
    ("shared_tag", "min_precision", "min_recall"),
    [(False, 0.95, 0.0), (True, 0.95, 0.1)],
    ids=["real-tags", "words-alone"],
)
def test_labeled_pairs_reach_the_measured_floor(
    shared_tag: bool, min_precision: float, min_recall: float
):
    """Measured (bench/digest.py): real tags P 1.00 R 0.00 (the tagger leaves the German items
    that form most events untagged); words alone P 1.00 R 0.11."""
    precision, recall = pairwise_quality(*labeled_set(shared_tag))
    assert precision >= min_precision and recall >= min_recall


# --- the window read -------------------------------------------------------------------------


async def test_the_window_read_matches_the_two_step_read(storage):
    """DigestStore.arrived_with_tags gives what arrived_between + tags.for_articles give, tags in
    the same order, without evidence, and leaves backlog and other windows out."""
    from storage.types import ActorTag, ArticleTags, CountryTag, Evidence, FeedState, NewArticle

    feed = await storage.feeds.add("http://127.0.0.1:9/a.xml", T0)
    proof = (Evidence("Gaza", "title", 0),)

    def new(key: str, tags: ArticleTags) -> NewArticle:
        return NewArticle(key, key, f"https://x.example/{key}", f"title {key}", "", T0, key, tags)

    tagged = ArticleTags(
        (CountryTag("PS", "location", 0.6, proof), CountryTag("IL", "location", 0.9, proof),
         CountryTag("US", "mention", 0.3, proof)),
        (ActorTag("hamas", 0.5, proof), ActorTag("israel-defense-forces", 0.8, proof)),
    )  # fmt: skip
    state = FeedState(T0, T0)
    await storage.articles.store_fetch(
        feed.id, [new("a", tagged), new("b", ArticleTags())], state, T0, False, "v"
    )
    await storage.articles.store_fetch(feed.id, [new("c", tagged)], state, T0, True, "v")  # backlog
    later = T0 + timedelta(hours=5)
    await storage.articles.store_fetch(feed.id, [new("d", tagged)], state, later, False, "v")
    start, end = T0 - timedelta(hours=1), T0 + timedelta(hours=1)
    found = await storage.digests.arrived_with_tags(start, end)
    articles = await storage.digests.arrived_between(start, end)
    tags = await storage.tags.for_articles([article.id for article in articles])
    assert [article for article, _ in found] == articles and len(articles) == 2
    for (_, window_tags), article in zip(found, articles, strict=True):
        expected = tags[article.id]
        assert window_tags == ArticleTags(
            tuple(CountryTag(t.code, t.role, t.weight, ()) for t in expected.countries),
            tuple(ActorTag(t.actor_id, t.weight, ()) for t in expected.actors),
        )
    assert [tag.code for tag in found[0][1].countries] == ["IL", "PS", "US"]


# --- what the words must say -----------------------------------------------------------------

KHARKIV_WIRE = (
    "Russian missiles and drones hit Kharkiv energy sites, cutting power to thousands",
    "KYIV, Jan 8 (WW) - Russia struck energy facilities in Kharkiv overnight with ballistic missiles"
    " and more than 40 drones, the regional governor said, leaving about 180,000 households without"
    " power in sub-zero temperatures.",
)
KHARKIV_LOCAL = (
    "Kharkiv: massive overnight attack targets power grid, 180,000 homes without electricity",
    "Russia launched ballistic missiles and Shahed-type drones at Kharkiv overnight, damaging two"
    " substations and cutting heat and power to households, the regional governor said.",
)
TANKER_WIRE = (
    "Iran's Revolutionary Guards seize foreign tanker near Strait of Hormuz",
    "Iran's Revolutionary Guards seized the Comoros-flagged tanker Nova Calypso in the Gulf of Oman"
    " on Wednesday, accusing it of smuggling fuel, state media reported.",
)
TANKER_LOCAL = (
    "Iran's IRGC seizes tanker in Gulf of Oman over alleged fuel smuggling",
    "Iranian state media say the Islamic Revolutionary Guard Corps navy boarded the Comoros-flagged"
    " Nova Calypso and detained its 16 crew members.",
)


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        (KHARKIV_WIRE, KHARKIV_LOCAL, True),
        ((KHARKIV_WIRE[0], ""), (KHARKIV_LOCAL[0], ""), False),
        (("Gunmen kidnap 30 students from school in Kaduna", ""),
         ("Gunmen kidnap 12 worshippers from church in Kaduna", ""), False),
        (TANKER_WIRE, TANKER_LOCAL, True),
        (("Israeli strike in Rafah kills 5, Hamas says", ""),
         ("Israeli strike in Khan Younis kills 3, Hamas says", ""), False),
    ],
    ids=["long-reports-share-many-words", "their-headlines-alone", "headlines-sharing-a-template",
         "some-names-written-two-ways", "two-towns-one-named-actor"],
)  # fmt: skip
def test_words_match(first: tuple[str, str], second: tuple[str, str], expected: bool):
    """Long reports of one event sharing LONG_MATCH_WORDS words merge below SAME_EVENT_SIMILARITY;
    a headline naming what the other never mentions cuts the score by the share of its own names
    left unmentioned (the actor both name does not dilute two different towns)."""
    one, two = art(1, "Reuters", *first), art(2, "AP", *second)
    assert words_match(one, two) is expected
    assert words_match(two, one) is expected
    if expected and similarity(one, two) < SAME_EVENT_SIMILARITY:
        assert similarity(one, two) >= LONG_MATCH_SIMILARITY


@pytest.mark.parametrize(
    ("dateline", "is_dateline"),
    [("KYIV, Jan 8 (Reuters) - ", True), ("GOMA, Congo, Jan 9 (WW) - ", True),
     ("PORT SUDAN, Jan 6 - ", True), ("KYIV, Ukraine (AP) — ", True), ("NATO allies - ", False)],
    ids=["city-date-agency", "city-country-date-agency", "two-word-city-date", "city-agency",
         "not-a-dateline"],
)  # fmt: skip
def test_a_wire_dateline_says_nothing_about_the_event(dateline: str, is_dateline: bool):
    floods = art(1, "Reuters", "Floods hit farms", dateline + "Floods hit farms in the east")
    budget = art(2, "AP", "Parliament passes budget", dateline + "Parliament passes the budget")
    assert (similarity(floods, budget) == 0.0) is is_dateline


# --- quality on the demo week ----------------------------------------------------------------

# Stories the demo README says must stay apart: near misses and same place, same day (titles).
DEMO_APART = [
    ("Houthis say they targeted", "FACTBOX-WHAT IS KNOWN"),
    ("Houthis claim missile attack", "FACTBOX-WHAT IS KNOWN"),
    ("Russian missiles and drones hit Kharkiv", "Kharkiv court jails"),
    ("Kharkiv: massive overnight attack", "Kharkiv court jails"),
    ("Georgian police use water cannon", "Georgia protests detention"),
    ("Tbilisi: thousands protest", "Georgia protests detention"),
    ("Iraqi armed group claims drone attack", "Baghdad and Erbil agree"),
    ("Drones target U.S.-led coalition base", "Baghdad and Erbil agree"),
    ("Air strike on tent camp in Khan Younis", "Nasser Hospital in Khan Younis"),
    ("Somalia: suicide car bomb", "Somalia: parliament adopts electoral law"),
    ("Car bomb kills at least seven", "Somalia: parliament adopts electoral law"),
]


@pytest.fixture(scope="module")
def demo_week(tagging) -> tuple[list[DigestArticle], dict[int, str]]:
    from bench.digest import demo_labeled_set

    return demo_labeled_set(tagging)


def test_the_demo_labels_name_reports_of_one_event_from_several_outlets(demo_week):
    articles, groups = demo_week
    feeds = {article.id: article.feed_id for article in articles}
    events: dict[str, list[int]] = {}
    for article_id, event in groups.items():
        events.setdefault(event, []).append(article_id)
    multi = {event: ids for event, ids in events.items() if len(ids) > 1}
    assert len(articles) == 109 and len(multi) == 17
    for ids in multi.values():
        assert len({feeds[article_id] for article_id in ids}) == len(ids)
        times = [article.time for article in articles if article.id in ids]
        assert max(times) - min(times) <= timedelta(hours=6)


def test_the_demo_week_reaches_the_measured_floor(demo_week):
    """Measured (bench/digest.py --only quality): P 1.00 R 0.72, 93 stories for 88 events. The
    misses are vetoes on the tags (North Korea's launch tagged Japan in one report, the Coral
    Meridian crew story tagged the Philippines, the Sagaing strike's two reports naming disjoint
    actors, the Salt Typhoon advisory tagged CA/GB against the US) and the two Kharkiv reports
    (cosine 0.31, 11 shared words: below both rules)."""
    precision, recall = pairwise_quality(*demo_week)
    assert precision >= 0.95 and recall >= 0.68


def test_the_demo_week_keeps_near_misses_apart(demo_week):
    articles, _ = demo_week
    story_of = {
        article.title: number
        for number, story in enumerate(cluster(articles))
        for article in story.articles
    }

    def story(start: str) -> int:
        (found,) = [number for title, number in story_of.items() if title.startswith(start)]
        return found

    for first, second in DEMO_APART:
        assert story(first) != story(second), (first, second)
