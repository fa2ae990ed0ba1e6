"""Hostile feed text in Discord output: escaped, never pinging, inside every size limit, links whole."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import discord
import pytest

from bot.commands.views import (
    ArticleDetail,
    ArticleItem,
    CountLine,
    Listing,
    LookupPage,
    LookupRequest,
    TagLine,
)
from bot.discord import render
from bot.discord.safe import clean, fit, link, safe_url

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
HOSTILE = (
    "**Breaking** @everyone <@123456789012345678> <@&1> [click](https://evil.test) `x` ||spoiler||"
)


@pytest.mark.parametrize(
    ("text", "must_not_contain"),
    [
        ("@everyone rise", "@everyone"),
        ("@here now", "@here"),
        ("<@123456789012345678> hi", "<@123456789012345678>"),
        ("<@&42> role", "<@&42>"),
        ("<#42> channel", "<#42>"),
        ("**bold**", "**bold**"),
        ("[a](https://x.test)", "(?<!\\\\)\\[a\\]\\("),
        ("`code`", "`code`"),
        ("||spoiler||", "||spoiler||"),
    ],
)
def test_clean_makes_markup_and_mentions_inert(text, must_not_contain) -> None:
    result = clean(text)
    if must_not_contain.startswith("(?<!"):  # a pattern: an unescaped link opening
        assert re.search(must_not_contain, result) is None
    else:
        assert must_not_contain not in result


@pytest.mark.parametrize("limit", [1, 2, 5, 11, 50, 256])
@pytest.mark.parametrize("text", [HOSTILE * 20, "word " * 1000, "\\" * 500, "*" * 500, "x" * 5000])
def test_fit_respects_limit_and_never_leaves_a_dangling_escape(text, limit) -> None:
    result = fit(text, limit)
    assert len(result) <= limit
    stripped = result.rstrip("…")
    assert (len(stripped) - len(stripped.rstrip("\\"))) % 2 == 0  # escapes come in pairs


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://x.test/a", "https://x.test/a"),
        ("http://x.test/a b(c)", "http://x.test/a%20b%28c%29"),
        ("javascript:alert(1)", None),
        ("ftp://x.test/", None),
        ("https:///nohost", None),
        (None, None),
    ],
)
def test_safe_url(url, expected) -> None:
    assert safe_url(url) == expected


@pytest.mark.parametrize("limit", [20, 40, 80, 200, 600])
def test_link_never_cuts_the_url(limit) -> None:
    url = "https://news.example.org/2026/11/02/a-long-story-slug-about-events"
    result = link("A very long headline " * 20, url, limit)
    assert len(result) <= limit
    assert url in result or "](" not in result  # the whole URL, or no link at all


def _item(n: int, title: str = HOSTILE) -> ArticleItem:
    return ArticleItem(
        n,
        title * 3,
        f"https://x.test/{n}",
        "Wire @everyone",
        NOW,
        ("Iraq",),
        ("Mesopotamia",),
        ("Kata'ib Hezbollah",),
    )


def test_lookup_page_fits_limits_with_many_long_items() -> None:
    request = LookupRequest("Heading " * 100, NOW, 25, None, None, None)
    page = LookupPage(request, tuple(_item(n) for n in range(25)), 0, 300)
    embed = render.lookup_page(page)
    assert render.within_limits(embed) and len(embed.title or "") <= 256
    assert "…and" in (embed.description or "")  # items that did not fit are counted, not cut
    assert "@everyone" not in (embed.description or "")
    assert "Page 1 of 12" in (embed.footer.text or "")


def test_article_fields_fit() -> None:
    evidence = tuple(f'body: "{HOSTILE}"' for _ in range(50))
    tags = tuple(TagLine(f"Country {n} (location)", 0.5, evidence) for n in range(60))
    detail = ArticleDetail(_item(1), HOSTILE * 200, None, NOW, tags, tags)
    embed = render.article(detail)
    assert render.within_limits(embed)
    assert all(len(field.value or "") <= 1024 for field in embed.fields)
    assert len(embed.fields) <= 25


def test_listing_fits() -> None:
    lines = tuple(CountLine(f"Region {HOSTILE}", HOSTILE, n) for n in range(400))
    embed = render.listing(Listing("Regions", lines))
    assert render.within_limits(embed) and "…and" in (embed.description or "")


def test_embeds_are_discord_embeds() -> None:
    assert isinstance(render.error("x"), discord.Embed)


@pytest.mark.parametrize(("total", "shown"), [(7, "7"), (1000, "1,000"), (1001, "1,000+")])
def test_capped_counts_read_as_more_than(total, shown) -> None:
    page = LookupPage(LookupRequest("Heading", NOW, 10, None, None, None), (_item(1),), 0, total)
    assert page.total_text == shown
    assert f"{shown} articles" in (render.lookup_page(page).footer.text or "")
