"""Hostile feed markup -> clean, bounded plain text."""

from __future__ import annotations

import random

import pytest

from bot.text import fold_whitespace, html_to_text, parsed_text, plain_to_text, shorten


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("plain words", "plain words"),
        ("<p>One</p><p>Two</p>", "One Two"),
        ("a<br>b<br/>c<br />d", "a b c d"),
        ("<b>bo</b>ld", "bold"),
        ("x<script>alert('hi')</script>y", "xy"),
        ("x<style>p { color: red }</style>y", "xy"),
        ("<SCRIPT>alert(1)</SCRIPT>visible", "visible"),
        ("<script>if (a < b) { x('</p>') }</script>after", "after"),
        ("<noscript>no</noscript><template>t</template><svg><text>s</text></svg>ok", "ok"),
        ("<html><head><title>Page</title></head><body>Body</body></html>", "Body"),
        ("AT&amp;amp;T", "AT&amp;T"),
        ("AT&amp;T", "AT&T"),
        ("&lt;script&gt;alert(1)&lt;/script&gt;", "<script>alert(1)</script>"),
        ("caf&eacute; &#233; &#xE9;", "café é é"),
        ("a&nbsp;b\u00a0c", "a b c"),
        ("  lots \n\n of\t\twhite   space  ", "lots of white space"),
        ("<ul><li>one</li><li>two</li></ul>", "one two"),
        ("<td>a</td><td>b</td>", "a b"),
        ("<div>a<!-- hidden comment -->b</div>", "ab"),
        ("<a href='javascript:x()' onclick='y()'>link</a>", "link"),
        ("<img src=x onerror=alert(1)>caption", "caption"),
        ("1 < 2 and 3 > 2", "1 < 2 and 3 > 2"),
        ("unclosed <b>bold", "unclosed bold"),
        ("<script>never closed", ""),
        ("R&D", "R&D"),
        ("", ""),
        ("<p></p>", ""),
    ],
    ids=[
        "plain",
        "paragraphs",
        "line-breaks",
        "inline-no-space",
        "script-dropped",
        "style-dropped",
        "upper-case-script",
        "script-with-markup-inside",
        "other-hidden-elements",
        "head-and-title-dropped",
        "entities-decoded-once",
        "entity",
        "escaped-markup-stays-text",
        "named-and-numeric-entities",
        "nbsp-folded",
        "whitespace-folded",
        "list-items",
        "table-cells",
        "comment-dropped",
        "attributes-dropped",
        "img-attributes-dropped",
        "bare-angle-brackets",
        "unclosed-tag",
        "unclosed-script",
        "bare-ampersand",
        "empty",
        "empty-element",
    ],
)
def test_html_to_text(markup, expected):
    assert html_to_text(markup) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("AT&amp;T", "AT&amp;T"),
        ("a <b>bold</b> move", "a bold move"),
        ("1 < 2 > 0", "1 < 2 > 0"),
        ("x<br/>y", "x y"),
        ("Fish & chips", "Fish & chips"),
        (" a\n\tb\u00a0c ", "a b c"),
        ("<<b>>", "< >"),
        ("", ""),
    ],
    ids=[
        "entities-stay",
        "stray-tags-go",
        "comparisons-stay",
        "self-closing",
        "ampersand",
        "whitespace",
        "nested-brackets",
        "empty",
    ],
)
def test_plain_to_text(text, expected):
    assert plain_to_text(text) == expected


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("exactly10!", 10, "exactly10!"),
        ("aaaa bbbb cccc", 10, "aaaa bbbb…"),
        ("aaaa bbbb cccc", 9, "aaaa…"),
        ("aaaa    bbbb cccc", 9, "aaaa…"),
        ("a " + "x" * 50, 20, "a " + "x" * 17 + "…"),  # a giant word is cut inside
        ("x" * 50, 10, "x" * 9 + "…"),
        ("word " * 10, 12, "word word…"),
        ("abc def", 1, "…"),
        ("abc def", 4, "abc…"),
    ],
    ids=[
        "fits",
        "exact-fit",
        "word-boundary",
        "boundary-before-room",
        "space-run-trimmed",
        "giant-word",
        "one-word",
        "repeated",
        "only-ellipsis",
        "tiny",
    ],
)
def test_shorten(text, limit, expected):
    result = shorten(text, limit)
    assert result == expected
    assert len(result) <= limit


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 8, 13, 50, 120, 300])
def test_shorten_never_exceeds_the_limit(limit):
    text = "The quick brown fox jumps over the lazy dog, " * 20
    result = shorten(text, limit)
    assert len(result) <= limit
    assert result.endswith("…")
    assert text.startswith(result[:-1])


@pytest.mark.parametrize(
    ("limit", "ellipsis", "expected"),
    [(0, "…", ""), (-5, "…", ""), (2, " [...]", " ["), (6, " [...]", " [...]")],
    ids=["zero", "negative", "ellipsis-longer-than-limit", "ellipsis-exactly"],
)
def test_shorten_with_no_room_for_text(limit, ellipsis, expected):
    assert shorten("some long text here", limit, ellipsis) == expected


def test_shorten_with_a_custom_ellipsis():
    assert shorten("alpha beta gamma", 13, " [...]") == "alpha [...]"


def test_fold_whitespace():
    assert fold_whitespace("\u00a0 a \u2003 b \r\n") == "a b"


# Markup the fast path of html_to_text must read exactly as HTMLParser does, and markup it must
# hand to the parser (odd tags, comments, entities across tags, special elements).
MARKUP_PIECES = [
    "<p>", "</p>", "<br/>", "<br />", "<BR>", "<b>", "</b>", '<span class="x">', "</span>",
    "<a href='u?a=1&amp;b=2'>", "</a>", "<!-- c -->", "<!---->", "<!-->", "<!-- a -- b -->",
    "<svg>", "</svg>", "<svg/>", "<head>", "</head>", "<script>x<y</script>", "<style>p{}</style>",
    "&amp;", "&amp", "&lt;", "&gt;", "&#32;", "&#x27;", "&nbsp;", "&#12;", "&", "&am", "p;", "<",
    ">", "a < b", "x<y", "<y", "y>", "\n", " ", "\t", "\f", "\x00", "\x01", "\xa0", "Iraq",
    "<img src=x.jpg>", "<img src=x/>", "<td>", "</td>", "<o:p>", "<p\x0b>", "<a b=c d='e' f>",
    '<a b="c"d>', "<!DOCTYPE html>", "<?xml x?>", "<![CDATA[x]]>", "</>", "</ p>", "</p x>",
    "<p/>", "<title>", "<textarea>", "<a =b>", "<a b==c>", '<a\nhref="x"\n>', '<a href="x>y">',
    "<a b=`c`>", "&copy", "é", "<Div>", "</DIV >", "<li\t>", "<pre>", "<pa>", "ſcript", "<\u212a>",
]  # fmt: skip


def test_fast_markup_reading_matches_the_html_parser() -> None:
    pieces = random.Random(7)
    for _ in range(20_000):
        markup = "".join(pieces.choices(MARKUP_PIECES, k=pieces.randint(1, 8)))
        assert html_to_text(markup) == parsed_text(markup), markup
