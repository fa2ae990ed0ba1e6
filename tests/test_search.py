"""Full-text search: whatever a person types is searched literally or refused with a reason."""

from __future__ import annotations

import asyncio
import sqlite3
import unicodedata
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage import SearchQueryError, Storage, open_storage
from storage.search import MAX_SEARCH_CHARS, MAX_SEARCH_TERMS, fts_query
from storage.types import FeedState, NewArticle

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TITLES = {
    "and": "Talks between Kataib Hezbollah and the government",
    "is": "Islamic State claims attack near Raqqa",
    "reversed": "State media: the Islamic world reacts",
    "turkiye": "Protests in Türkiye after the vote",
    "arabic": "هجوم لتنظيم داعش في العراق",
    "hebrew": "ירי רקטות מעזה",
    "near": "NEAR the border: a report",
    "column": "title: foo and bar",
    "harakat": "بيان من مُحَمَّد",
    "hyphen": "al-Shabaab fighters seize town",
    "hindi": "हिन्दी समाचार",
    "snake": "the under_score case",
}


async def build(path: Path) -> None:
    async with open_storage(path) as opened:
        feed = await opened.feeds.add("https://example.com/feed", NOW)
        articles = [
            NewArticle(key, key, f"https://news.example/{key}", title, f"body of {key}", None, key)
            for key, title in TITLES.items()
        ]
        await opened.articles.store_fetch(
            feed.id, articles, FeedState(NOW, NOW + timedelta(hours=1)), NOW, False
        )


@pytest.fixture(scope="module")
def search_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once per module: every test here only reads."""
    path = tmp_path_factory.mktemp("search") / "search.db"
    asyncio.run(build(path))
    return path


@pytest.fixture
async def searchable(search_db: Path) -> AsyncIterator[Storage]:
    async with open_storage(search_db) as opened:
        yield opened


async def found(storage: Storage, text: str) -> set[str]:
    return {article.guid or "" for article in await storage.articles.find(search=text)}


# Hostile input -> the articles it must find (a set, maybe empty) or the words of the refusal.
HOSTILE = [
    ('"', "no letters or digits"),
    ('""', "no letters or digits"),
    ("'", "no letters or digits"),
    ("AND", {"and", "column"}),
    ("OR NOT", set()),
    ("NEAR(", {"near", "is"}),  # the word "near", wherever it is
    ("NEAR(a b", set()),
    ("*", "no letters or digits"),
    ("a*", {"near"}),  # the single word "a", not a prefix search
    ("(", "no letters or digits"),
    (")))", "no letters or digits"),
    ("title:foo", {"column"}),  # not a column filter
    ("-foo", {"column"}),
    ("^foo", {"column"}),
    ('"unbalanced', set()),
    ('"unbalanced islamic', set()),
    ("{a b}", set()),
    ("{title summary}: state", set()),
    ("🔥💣", "no letters or digits"),
    ("🔥 state", {"is", "reversed"}),
    ("داعش", {"arabic"}),
    ("מעזה", {"hebrew"}),
    ("\x00", "no letters or digits"),
    ("islamic\x00state", {"is"}),  # NUL separates words
    ("\u0308", set()),  # a lone combining mark
    ("_", "no letters or digits"),
    ("x" * 10_000, "too long"),
    (" ".join(f"w{i}" for i in range(50)), "at most 20"),
    ("body OR 1=1; DROP TABLE articles; --", set()),
    ("Robert'); DROP TABLE articles;--", set()),
    ("state AND", set()),
    ("\u202eetats", set()),  # right-to-left override, then a word
    ("   ", "empty"),
    ("", "empty"),
]
HOSTILE_IDS = [
    "double-quote",
    "empty-quotes",
    "single-quote",
    "AND",
    "OR-NOT",
    "NEAR-open",
    "NEAR-unclosed",
    "star",
    "prefix-star",
    "open-paren",
    "close-parens",
    "column-filter",
    "minus",
    "caret",
    "unbalanced-quote",
    "unbalanced-quote-two-words",
    "braces",
    "column-set",
    "emoji-only",
    "emoji-and-word",
    "arabic",
    "hebrew-rtl",
    "nul",
    "nul-between-words",
    "lone-combining-mark",
    "underscore",
    "10kB",
    "50-words",
    "sql-or",
    "sql-quote",
    "trailing-operator",
    "rtl-override",
    "blank",
    "empty",
]


@pytest.mark.parametrize(("text", "expected"), HOSTILE, ids=HOSTILE_IDS)
async def test_hostile_search_text(searchable, text, expected):
    if isinstance(expected, str):
        with pytest.raises(SearchQueryError, match=expected) as caught:
            await searchable.articles.find(search=text)
        assert "\n" not in str(caught.value)
        assert len(str(caught.value)) < 400  # a 10 kB input is not echoed back
        return
    try:
        result = await found(searchable, text)
    except sqlite3.Error as error:  # pragma: no cover - the failure being guarded against
        pytest.fail(f"{text!r} reached SQLite as syntax: {error}")
    assert result == expected
    assert await searchable.articles.count() == len(TITLES)  # nothing was dropped


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"islamic state"', {"is"}),
        ("islamic state", {"is", "reversed"}),
        ('"state islamic"', set()),
        ('"Islamic   STATE" raqqa', {"is"}),
        ("Turkiye", {"turkiye"}),
        ("TÜRKIYE", {"turkiye"}),
        (unicodedata.normalize("NFD", "Türkiye"), {"turkiye"}),
        ("al-Shabaab", {"hyphen"}),
        ("al Shabaab", {"hyphen"}),
        ('"Shabaab al"', set()),
        ("مُحَمَّد", {"harakat"}),
        ("हिन्दी", {"hindi"}),
        ("under_score", {"snake"}),
        ("body", set(TITLES)),  # summaries are searched too
        ("kataib hezbollah", {"and"}),
    ],
    ids=[
        "phrase",
        "words-any-order",
        "phrase-order-matters",
        "phrase-plus-word",
        "diacritics-folded",
        "case-folded",
        "decomposed-query",
        "hyphenated-is-a-phrase",
        "hyphen-as-space",
        "hyphen-order",
        "arabic-with-harakat",
        "hindi-vowel-signs",
        "underscore-word",
        "summary",
        "two-words",
    ],
)
async def test_search_semantics(searchable, text, expected):
    assert await found(searchable, text) == expected


async def test_search_combines_with_since_and_limit(searchable):
    assert len(await searchable.articles.find(search="body", limit=3)) == 3
    later = NOW + timedelta(seconds=1)
    assert await searchable.articles.find(search="body", since=later) == []


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("islamic state", '"islamic" "state"'),
        ('"islamic state"', '"islamic state"'),
        ("AND OR NOT", '"AND" "OR" "NOT"'),
        ("NEAR(a, b)", '"NEAR a" "b"'),
        ('say "x"y', '"say" "x" "y"'),
        ("title:foo*", '"title foo"'),
        ("Tu\u0308rkiye", '"Tu\u0308rkiye"'),
        ('"', None),
    ],
    ids=[
        "words",
        "phrase",
        "operators-quoted",
        "near-call",
        "quote-mid-word",
        "column",
        "mark-kept-in-word",
        "quote",
    ],
)
def test_fts_query_quotes_every_term(text, query):
    if query is None:
        with pytest.raises(SearchQueryError):
            fts_query(text)
    else:
        assert fts_query(text) == query


def test_limits_are_exact():
    fts_query("x" * MAX_SEARCH_CHARS)
    with pytest.raises(SearchQueryError, match="too long"):
        fts_query("x" * (MAX_SEARCH_CHARS + 1))
    fts_query(" ".join(["w"] * MAX_SEARCH_TERMS))
    with pytest.raises(SearchQueryError, match=f"{MAX_SEARCH_TERMS + 1} terms"):
        fts_query(" ".join(["w"] * (MAX_SEARCH_TERMS + 1)))
