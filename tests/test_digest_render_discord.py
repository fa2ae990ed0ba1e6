"""The digest as Discord messages: every limit, every link whole, hostile text inert, order kept."""

from __future__ import annotations

import random
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.digest.layout import DigestView, Section, StoryLine, build_digest
from bot.digest.model import DigestArticle
from bot.digest.render_discord import (
    CONTINUED,
    TITLE_LIMIT,
    URL_LIMIT,
    digest_messages,
    empty_digest_message,
    inert,
    link_target,
    story_entry,
)
from bot.digest.window import Window
from bot.discord.safe import CONTENT_LIMIT
from bot.tagging.taxonomy import load_taxonomy

NOW = datetime(2026, 5, 8, 12, 0, tzinfo=UTC)
WINDOW = Window(NOW - timedelta(days=1), NOW)
HOSTILE = [
    "@everyone look",
    "<@123456789012345678> and <@&42> and <#77> and <@!5>",
    "[click me](https://evil.example/x)",
    "<https://evil.example/y> here",
    "**bold** __under__ ~~strike~~ ||spoiler|| `code` ```block```",
    "# big heading",
    "-# tiny",
    "> quote",
    "back\\slash\\",
    "]]]]]](<https://evil.example/z>)",
    "line\nbreak\n@here",
    "x" * 1000,
    "word " * 200,
    "\\" * 600,
    "_" * 700,
]
UNESCAPED = r"(?<!\\)(?:\\\\)*"  # an even run of backslashes (or none) escapes nothing
LINK_OPENING = re.compile(UNESCAPED + r"\]\(<")
LINK = re.compile(UNESCAPED + r"\]\(<([^>\s]*)>\)")


def _line(
    title: str, index: int = 0, url: str | None = "https://news.example/a", **changes
) -> StoryLine:
    line = StoryLine(
        title, url, ("Reuters", "AP", "BBC"), NOW - timedelta(hours=index % 20),
        ("Syria", "Lebanon"), ("Hezbollah",), 1.0, (index,),
    )  # fmt: skip
    return replace(line, **changes)


def _view(sections: tuple[Section, ...], window: Window = WINDOW) -> DigestView:
    stories = sum(len(section.stories) + section.more for section in sections)
    return DigestView(window, stories * 2, stories, sections, ())


def _generated(seed: int, regions: int, per_region: int, title_length: int) -> DigestView:
    """A view of hostile, long, varied stories; titles carry their order as `#n#`."""
    rng = random.Random(seed)
    sections = []
    counter = 0
    for region in range(regions):
        lines = []
        for _ in range(per_region):
            junk = "".join(rng.choice(HOSTILE) for _ in range(3))
            title = f"#{counter}# {junk}"[: max(title_length, len(f"#{counter}# "))]
            url = rng.choice(
                [
                    None,
                    f"https://news.example/{counter}?q=a b(c)",
                    "javascript:alert(1)",
                    "https://x.example/" + "p" * rng.randint(100, 600),
                ]
            )
            sources = tuple(rng.choice(HOSTILE)[:90] for _ in range(rng.randint(1, 8)))
            lines.append(
                _line(title, counter, url, sources=sources, actors=(rng.choice(HOSTILE),) * 4)
            )
            counter += 1
        sections.append(Section(f"Region {region} @everyone", tuple(lines), rng.randint(0, 50)))
    return _view(tuple(sections))


def _links_whole(message: str) -> bool:
    """Every unescaped `](<` is closed by `>)` in the same message, around a URL."""
    return len(LINK_OPENING.findall(message)) == len(LINK.findall(message))


GENERATED = [
    pytest.param(
        seed, regions, per_region, length, id=f"{regions}x{per_region}-title{length}-seed{seed}"
    )
    for seed, (regions, per_region, length) in enumerate(
        [
            (1, 1, 10),
            (1, 5, 80),
            (3, 5, 300),
            (12, 5, 1000),
            (1, 200, 1000),
            (10, 20, 200),
            (40, 5, 50),
            (2, 100, 1000),
        ]
    )
]


@pytest.mark.parametrize(("seed", "regions", "per_region", "length"), GENERATED)
def test_generated_views_respect_limits_links_and_order(seed, regions, per_region, length) -> None:
    view = _generated(seed, regions, per_region, length)
    messages = digest_messages(view, "Daily digest @everyone")
    assert messages
    for message in messages:
        assert 0 < len(message) <= CONTENT_LIMIT
        assert _links_whole(message)
        assert "@everyone" not in message and "@here" not in message
        assert not re.search(r"<@[!&]?\d+>|<#\d+>", message)
        for target in LINK.findall(message):
            assert target.startswith("https://") and len(target) <= URL_LIMIT
    order = [int(n) for n in re.findall(r"\*\*\d+\.\*\* \[?\\?#(\d+)#", "\n".join(messages))]
    assert order == list(range(regions * per_region))


def test_a_long_section_continues_with_its_heading() -> None:
    lines = tuple(_line(f"Story {index} " + "long words " * 20, index) for index in range(200))
    messages = digest_messages(_view((Section("Levant", lines, 3),)), "Digest")
    assert len(messages) > 2
    assert messages[0].startswith("**Digest**") and "### Levant\n**1.**" in messages[0]
    for message in messages[1:]:
        assert message.startswith(f"### Levant{CONTINUED}\n**")
    assert messages[-1].endswith("…and 3 more in Levant")
    assert all(len(message) <= CONTENT_LIMIT for message in messages)


def test_sections_pack_greedily_and_header_summarises() -> None:
    sections = (
        Section("Levant", (_line("A", 0), _line("B", 1)), 4),
        Section("Sahel", (_line("C", 2),), 0),
    )
    [message] = digest_messages(_view(sections), "Morning sitrep")
    head, window, index = message.split("\n")[:3]
    assert head == "**Morning sitrep**"
    assert (
        window
        == f"<t:{int(WINDOW.start.timestamp())}:f> – <t:{int(WINDOW.end.timestamp())}:f> · **7 stories** from 14 articles"
    )
    assert index == "Levant 6 · Sahel 1"
    assert "\n\n### Levant\n**1.** [A](<https://news.example/a>)\n" in message
    assert "…and 4 more in Levant\n\n### Sahel\n**1.** [C]" in message
    assert "-# Reuters · also reported by AP, BBC · <t:" in message


@pytest.mark.parametrize(
    ("sources", "expected"),
    [
        (("Reuters",), "-# Reuters · <t:"),
        (("Reuters", "AP"), "-# Reuters · also reported by AP · <t:"),
        (("R", "A", "B", "C", "D", "E", "F"), "-# R · also reported by A, B, C +3 more · <t:"),
        (("@everyone *news*",), "-# @\u200beveryone \\*news\\* · <t:"),
    ],
)
def test_sources_lead_first_and_capped(sources, expected) -> None:
    entry = story_entry(1, _line("T", sources=sources))
    assert entry.split("\n")[1].startswith(expected)


@pytest.mark.parametrize(
    ("title", "url", "headline"),
    [
        ("Plain", "https://a.example/x", "**3.** [Plain](<https://a.example/x>)"),
        ("No link", None, "**3.** No link"),
        ("Bad scheme", "javascript:alert(1)", "**3.** Bad scheme"),
        ("Ftp", "ftp://a.example/x", "**3.** Ftp"),
        ("Too long", "https://a.example/" + "x" * 600, "**3.** Too long"),
        ("Spaces", "https://a.example/a b>c)", "**3.** [Spaces](<https://a.example/a%20b%3Ec%29>)"),
        (
            "[evil](https://e.example)",
            "https://a.example/",
            "**3.** [\\[evil\\](https:\u200b//e.example)](<https://a.example/>)",
        ),
        ("<https://e.example>", None, "**3.** <\u200bhttps:\u200b//e.example>"),
        ("<t:0:R> </cmd:1> <:e:1>", None, "**3.** <\u200bt:0:R> <\u200b/cmd:1> <\u200b:e:1>"),
        (
            "a lone * star, _ and ` and | and ~",
            None,
            "**3.** a lone \\* star, \\_ and \\` and \\| and \\~",
        ),
        ("see http:/e.example", None, "**3.** see http:\u200b/e.example"),
        ("a ]( b", "https://a.example/", "**3.** [a \\]( b](<https://a.example/>)"),
        ("", "https://a.example/", "**3.** [(untitled)](<https://a.example/>)"),
        ("*x* @here <@&1234>", None, "**3.** \\*x\\* @\u200bhere <\u200b@&1234>"),
        ("# heading\n> quote", None, "**3.** \\# heading > quote"),  # > only quotes at a line start
    ],
)
def test_headline_links_escaping_and_dropped_urls(title, url, headline) -> None:
    assert story_entry(3, _line(title, url=url)).split("\n")[0] == headline


@pytest.mark.parametrize(
    "title", ["x" * 1000, "word " * 300, "\\" * 1000, "*" * 999, "]" * 800, "@everyone " * 120]
)
@pytest.mark.parametrize("url", ["https://a.example/" + "y" * 490, None])
def test_long_titles_are_cut_never_the_url(title, url) -> None:
    entry = story_entry(1, _line(title, url=url))
    headline = entry.split("\n")[0]
    if url:
        assert headline.endswith(f"](<{url}>)")
        text = headline[len("**1.** [") : -len(f"](<{url}>)")]
    else:
        text = headline[len("**1.** ") :]
    assert len(text) <= TITLE_LIMIT
    assert text.endswith("…") or text == ""  # an all-markup title may not survive at all
    assert not re.search(r"(?<!\\)(\\\\)*\\$", text.rstrip("…"))  # no dangling escape


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("fine", 10, "fine"),
        ("a_b", 10, "a\\_b"),
        ("one two three four", 10, "one two…"),
        ("****", 3, "…"),
        ("x", 0, ""),
        ("[a]", 10, "\\[a\\]"),
        ("already \\[", 20, "already \\\\\\["),
    ],
)
def test_inert(text, limit, expected) -> None:
    assert inert(text, limit) == expected


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("https://a.example/x", "https://a.example/x"),
        ("http://a.example/x", "http://a.example/x"),
        ("mailto:a@b.example", None),
        ("https:///nohost", None),
        (
            "https://a.example/" + "x" * (URL_LIMIT - 18),
            "https://a.example/" + "x" * (URL_LIMIT - 18),
        ),
        ("https://a.example/" + "x" * (URL_LIMIT - 17), None),
        ("https://a.example/" + " " * 200, None),  # fine raw, too long once %-escaped
        (None, None),
    ],
)
def test_link_target(url, target) -> None:
    assert link_target(url) == target


def test_empty_digest_is_one_short_message() -> None:
    view = DigestView(WINDOW, 0, 0, (), ())
    message = empty_digest_message(view, "Daily @everyone")
    assert digest_messages(view, "Daily @everyone") == [message]
    assert "\n" not in message and len(message) < 200
    assert (
        message
        == f"**Daily @\u200beveryone**: nothing new from <t:{int(WINDOW.start.timestamp())}:f> to <t:{int(WINDOW.end.timestamp())}:f>."
    )
    assert empty_digest_message(view, " \n ").startswith("**Sitrep digest**: nothing new")


def test_many_regions_index_is_capped() -> None:
    sections = tuple(Section(f"Region {n} " + "z" * 90, (_line(f"T{n}", n),), 0) for n in range(60))
    messages = digest_messages(_view(sections), "Digest")
    index = messages[0].split("\n")[2]
    assert index.endswith("more regions") and len(index) <= 1200
    assert all(len(message) <= CONTENT_LIMIT for message in messages)


def test_a_real_layout_renders(tmp_path: Path) -> None:
    taxonomy = load_taxonomy(Path(__file__).resolve().parents[1] / "config")
    articles = [
        DigestArticle(
            n,
            n % 3,
            f"Outlet {n % 3}",
            f"Strike near Aleppo kills {n}",
            "",
            f"https://o.example/{n}",
            NOW - timedelta(hours=n),
            ("SY",),
        )
        for n in range(1, 9)
    ] + [
        DigestArticle(
            20, 5, "Cyber desk", "Ransomware hits _hospital_", "", None, NOW - timedelta(hours=1)
        )
    ]
    view = build_digest(articles, taxonomy, WINDOW, NOW)
    messages = digest_messages(view, "Digest")
    text = "\n".join(messages)
    assert "Ransomware hits \\_hospital\\_" in text
    assert all(len(message) <= CONTENT_LIMIT and _links_whole(message) for message in messages)
    assert view.per_region_day and isinstance(view.per_region_day[0][1], date)
