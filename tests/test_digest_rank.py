"""The story score: each part moves it the documented way, and a realistic day ranks sensibly."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.digest.model import DigestArticle, Story
from bot.digest.rank import RankWeights, dead, explain, rank, score, severity_points

NOW = datetime(2026, 3, 11, 8, 0, tzinfo=UTC)
DEFAULT = RankWeights()
PARTS = ["sources", "actors", "severity", "casualties", "recency", "location"]


def article(
    id: int = 1,
    source: str = "Reuters",
    title: str = "Aid convoy reaches Khan Younis",
    hours_ago: float = 2.0,
    locations: tuple[str, ...] = ("PS",),
    actors: tuple[str, ...] = (),
    location_weight: float = 0.8,
    actor_weight: float = 0.0,
) -> DigestArticle:
    return DigestArticle(
        id, id, source, title, "", None, NOW - timedelta(hours=hours_ago),
        locations, actors, location_weight, actor_weight,
    )  # fmt: skip


def story(*articles: DigestArticle) -> Story:
    return Story(articles)


def covered_by(*sources: str, title: str = "Aid convoy reaches Khan Younis") -> Story:
    return story(*(article(i, source, title) for i, source in enumerate(sources, start=1)))


@pytest.mark.parametrize(
    ("higher", "lower"),
    [
        (covered_by("Reuters", "AP"), covered_by("Reuters")),
        (covered_by("Reuters", "AP", "AFP", "BBC"), covered_by("Reuters", "AP")),
        # Two feeds of one outlet are one source.
        (covered_by("Reuters", "AP"), covered_by("Reuters", "Reuters")),
        (story(article(title="Israeli strike kills 12 in Khan Younis")), story(article())),
        (story(article(title="Israeli strike kills 40 in Nuseirat")), story(article(title="Israeli strike kills 2 in Nuseirat"))),
        (story(article(title="Massacre in El Geneina")), story(article(title="Clashes in El Geneina"))),
        (story(article(title="Hostages kidnapped in Zamfara")), story(article(title="Villagers flee Zamfara"))),
        (story(article(title="Ransomware attack hits hospital")), story(article(title="Hospital updates its software"))),
        (story(article(hours_ago=1)), story(article(hours_ago=13))),
        (story(article(hours_ago=13)), story(article(hours_ago=30))),
        (story(article(actors=("hamas",), actor_weight=0.9)), story(article())),
        (story(article(actors=("hamas", "israel-defense-forces"), actor_weight=0.9)), story(article(actors=("hamas",), actor_weight=0.9))),
        (story(article(actors=("hamas",), actor_weight=0.9)), story(article(actors=("hamas",), actor_weight=0.3))),
        (story(article(location_weight=0.9)), story(article(location_weight=0.2))),
    ],
    ids=["two-sources-beat-one", "four-beat-two", "one-outlet-two-feeds-is-one-source",
         "severity-words", "more-dead", "massacre-beats-clashes", "kidnapping", "ransomware",
         "fresh-beats-half-day", "half-day-beats-day-old", "with-actor", "two-actors",
         "stronger-actor-tag", "stronger-location-tag"],
)  # fmt: skip
def test_all_else_equal_the_first_ranks_higher(higher: Story, lower: Story):
    assert score(higher, DEFAULT, NOW) > score(lower, DEFAULT, NOW)


@pytest.mark.parametrize(
    ("hours_ago", "expected"),
    [(0, 1.0), (12, 0.5), (24, 0.25), (36, 0.125), (-3, 1.0)],
    ids=["now", "one-half-life", "two-half-lives", "three-half-lives", "future-counts-as-now"],
)
def test_recency_halves_every_half_life(hours_ago: float, expected: float):
    parts = dict(explain(story(article(hours_ago=hours_ago)), DEFAULT, NOW))
    assert parts["recency"] == pytest.approx(DEFAULT.recency * expected)


def test_recency_counts_from_the_latest_report():
    old_story_still_reported = story(article(1, hours_ago=30), article(2, "AP", hours_ago=1))
    parts = dict(explain(old_story_still_reported, DEFAULT, NOW))
    assert parts["recency"] == pytest.approx(DEFAULT.recency * 0.5 ** (1 / 12))


@pytest.mark.parametrize(
    ("title", "count"),
    [
        ("Israeli strike kills 12 in Khan Younis, health officials say", 12),
        ("At least 12 killed in Israeli air strike on Khan Younis", 12),
        ("Gaza: Strike on Khan Younis leaves dozen dead", 12),
        ("Seven dead after Russian missiles hit Kharkiv", 7),
        ("Death toll from Mogadishu checkpoint car bombing rises to 15", 15),
        ("Russian missile strike kills 7, injures 30 in Kharkiv", 7),
        ("Dozens dead as boat capsizes off Libya", 24),
        ("Hundreds killed in Darfur, UN says", 200),
        ("RSF massacre in El Geneina: 1,200 killed", 1200),
        ("Two years after attack that killed 40, survivors wait", 40),
        ("Three days of shelling kill 9 in Kherson", 9),
        ("In 2024 strike killed 3 aid workers", 3),
        ("Drone strike injures 9 in Kharkiv", 0),
        ("Sudan army retakes Omdurman bridge", 0),
    ],
    ids=["kills-n", "n-killed", "dozen-dead", "word-number", "death-toll", "killed-not-injured",
         "dozens", "hundreds", "thousands-separator", "years-are-not-tolls", "days-are-not-tolls",
         "in-year", "injured-only", "no-casualties"],
)  # fmt: skip
def test_dead_read_from_headlines(title: str, count: int):
    assert dead(title) == count


@pytest.mark.parametrize(
    ("title", "points"),
    [
        ("Israeli strike kills 12 in Khan Younis", 3.5),
        ("Israeli airstrikes kill 12 in Khan Younis", 3.5),  # airstrike is a strike, once
        ("Twelve dead, 12 killed", 2.0),  # dead and killed are one word for the score
        ("RSF shelling hits El Fasher market", 1.5),
        ("Suicide bomber attacks mosque", 3.5),
        ("Ransomware gang claims breach of NHS trust", 2.5),
        ("Ceasefire talks resume in Cairo", 0.0),
    ],
    ids=["strike-kills", "airstrikes", "synonyms-once", "shelling", "suicide-bomber",
         "ransomware-breach", "none"],
)  # fmt: skip
def test_severity_points(title: str, points: float):
    assert severity_points(title) == pytest.approx(points)


ZEROED = {
    "sources": replace(DEFAULT, source=0.0),
    "actors": replace(DEFAULT, actor=0.0),
    "severity": replace(DEFAULT, severity=0.0),
    "casualties": replace(DEFAULT, casualties=0.0),
    "recency": replace(DEFAULT, recency=0.0),
    "location": replace(DEFAULT, location=0.0),
}


@pytest.mark.parametrize(("part", "zeroed"), ZEROED.items(), ids=ZEROED.keys())
def test_zeroing_a_weight_removes_its_part(part: str, zeroed: RankWeights):
    rich = story(
        article(1, "Reuters", "Israeli strike kills 12 in Khan Younis", 1, ("PS",), ("israel-defense-forces",), 0.9, 0.8),
        article(2, "AP", "At least 12 killed in Israeli air strike on Khan Younis", 2, ("PS",), (), 0.9, 0.0),
    )  # fmt: skip
    before, after = dict(explain(rich, DEFAULT, NOW)), dict(explain(rich, zeroed, NOW))
    assert before[part] > 0 and after[part] == 0
    assert {k: v for k, v in after.items() if k != part} == {
        k: v for k, v in before.items() if k != part
    }
    assert score(rich, zeroed, NOW) == pytest.approx(score(rich, DEFAULT, NOW) - before[part])


def test_explain_parts_sum_to_the_score_and_follow_the_formula():
    camp = story(
        article(1, "Reuters", "Israeli strikes kill 40 in Gaza refugee camp", 5, ("PS",), ("israel-defense-forces",), 0.9, 0.8),
        article(2, "AP", "At least 40 killed as Israeli strikes hit Nuseirat camp", 4, ("PS",), ("israel-defense-forces",), 0.9, 0.8),
        article(3, "Al Jazeera", "Israeli strikes on Nuseirat camp kill dozens", 4, ("PS",), (), 0.9, 0.0),
    )  # fmt: skip
    parts = explain(camp, DEFAULT, NOW)
    assert [name for name, _ in parts] == PARTS
    assert sum(value for _, value in parts) == pytest.approx(score(camp, DEFAULT, NOW))
    assert dict(parts) == pytest.approx(
        {
            "sources": 2.0 * math.log2(1 + 3),
            "actors": 1.0 * 1 * 0.8,
            "severity": 0.75 * (1.5 + 2.0),  # strike + killed
            "casualties": 1.5 * math.log10(1 + 40),
            "recency": 3.0 * 0.5 ** (4 / 12),
            "location": 1.0 * 0.9,
        }
    )


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        (lambda: RankWeights(source=-1.0), "cannot be negative"),
        (lambda: RankWeights(half_life=timedelta(0)), "half_life must be positive"),
    ],
    ids=["negative-weight", "zero-half-life"],
)
def test_impossible_weights_are_refused(weights, message: str):
    with pytest.raises(ValueError, match=message):
        weights()


def test_caps_keep_round_ups_and_lists_of_words_in_check():
    many_actors = story(article(actors=("a", "b", "c", "d", "e", "f"), actor_weight=1.0))
    assert dict(explain(many_actors, DEFAULT, NOW))["actors"] == pytest.approx(3.0)
    every_word = "Massacre genocide hostage kidnapped executed killed strike bomb explosion missile"
    assert dict(explain(story(article(title=every_word)), DEFAULT, NOW))[
        "severity"
    ] == pytest.approx(0.75 * 6.0)


def test_severity_terms_are_configurable():
    cyber_desk = replace(DEFAULT, severity_terms=(("ransomware", 4.0), ("phishing", 2.0)))
    phishing = story(article(title="Phishing campaign targets diplomats"))
    assert dict(explain(phishing, DEFAULT, NOW))["severity"] == 0
    assert dict(explain(phishing, cyber_desk, NOW))["severity"] == pytest.approx(0.75 * 2.0)


ONE_DAY = {
    "refugee camp strike, 40 dead, four outlets": story(
        article(1, "Reuters", "Israeli strikes kill 40 in Gaza refugee camp", 5, ("PS",), ("israel-defense-forces",), 0.9, 0.8),
        article(2, "AP", "At least 40 killed as Israeli strikes hit Nuseirat camp", 4, ("PS",), ("israel-defense-forces",), 0.9, 0.8),
        article(3, "Al Jazeera", "Israeli strikes on Nuseirat camp kill dozens", 4, ("PS",), (), 0.9, 0.0),
        article(4, "BBC", "Gaza: Dozens dead in strikes on Nuseirat", 3, ("PS",), (), 0.9, 0.0),
    ),
    "market suicide bombing, 25 dead, one outlet so far": story(
        article(11, "Garowe Online", "Suicide bombing kills 25 at Mogadishu market", 2, ("SO",), ("al-shabaab",), 0.9, 0.8),
    ),
    "militia drone attack on a US base": story(
        article(21, "Reuters", "Kataib Hezbollah claims drone attack on US base in Syria", 6, ("SY",), ("kataib-hezbollah",), 0.8, 0.9),
        article(22, "AFP", "Iraqi militia says it launched drones at American base in Syria", 5, ("SY",), (), 0.8, 0.0),
    ),
    "ceasefire talks resume, three outlets": story(
        article(31, "Reuters", "Hamas and Israel resume ceasefire talks in Cairo", 2, ("EG",), ("hamas",), 0.6, 0.7),
        article(32, "AP", "Ceasefire negotiations restart in Cairo", 1, ("EG",), (), 0.6, 0.0),
        article(33, "Al Jazeera", "Egypt hosts new round of Gaza truce talks", 1.5, ("EG",), (), 0.6, 0.0),
    ),
    "two killed in a clash yesterday": story(
        article(41, "Times of Israel", "Two killed in clashes with Israeli troops in Jenin", 20, ("PS",), ("israel-defense-forces",), 0.9, 0.6),
    ),
    "famine warning": story(
        article(51, "Reuters", "UN warns of famine in northern Gaza", 4, ("PS",), ("united-nations",), 0.7, 0.5),
        article(52, "BBC", "Northern Gaza on brink of famine, UN agency says", 3, ("PS",), ("united-nations",), 0.7, 0.5),
    ),
    "unexplained depot explosion": story(
        article(61, "AFP", "Explosion at arms depot in Syria's Hama", 8, ("SY",), (), 0.8, 0.0),
    ),
    "opinion piece": story(article(71, "Al Jazeera", "What next for Lebanon after the election?", 2, ("LB",), (), 0.4, 0.0)),
}  # fmt: skip


def test_a_realistic_day_ranks_as_an_analyst_would():
    """Mass casualties first, a fresh single-source bombing next; violence above diplomacy
    unless the violence is old and small; talk last."""
    ranked = rank(reversed(ONE_DAY.values()), DEFAULT, NOW)
    names = {id(story): name for name, story in ONE_DAY.items()}
    assert [names[id(story)] for story in ranked] == list(ONE_DAY)


def test_rank_breaks_ties_by_newest_then_first_article_id():
    older, newer = story(article(5, hours_ago=3)), story(article(4, hours_ago=2))
    twin_a, twin_b = story(article(7, hours_ago=2)), story(article(6, hours_ago=2))
    no_recency = replace(DEFAULT, recency=0.0)
    assert [s.lead.id for s in rank([older, twin_a, newer, twin_b], no_recency, NOW)] == [
        4,
        6,
        7,
        5,
    ]
    # The first article id, not the lead's: which headline leads is chosen after ranking.
    led_by_later = story(article(9, hours_ago=2), article(3, hours_ago=2))  # one source
    alone = story(article(6, hours_ago=2))
    assert rank([alone, led_by_later], no_recency, NOW) == [led_by_later, alone]


def test_stored_headline_facts_stand_for_the_title_with_the_default_terms():
    """Severity and dead stored when the article was placed are used as they are; other terms
    than the defaults read the title again."""
    plain = article(title="Talks resume in Doha")
    stored = replace(plain, severity=4.0, dead=99)
    assert score(story(stored), DEFAULT, NOW) > score(story(plain), DEFAULT, NOW)
    parts = dict(explain(story(stored), DEFAULT, NOW))
    assert parts["severity"] == DEFAULT.severity * 4.0
    assert parts["casualties"] == DEFAULT.casualties * math.log10(100)
    custom = replace(DEFAULT, severity_terms=(("talks", 1.0),))
    assert dict(explain(story(stored), custom, NOW))["severity"] == DEFAULT.severity * 1.0


def test_naive_now_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        score(story(article()), DEFAULT, datetime(2026, 3, 11, 8, 0))
