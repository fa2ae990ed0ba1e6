"""Normalising feed entries: canonical URLs, clean text, sane dates, stable keys."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser
import pytest

from bot.ingest.normalise import (
    FUTURE_TOLERANCE,
    MAX_SUMMARY_CHARS,
    MAX_TITLE_CHARS,
    canonical_url,
    content_hash,
    entry_published,
    new_articles,
    normalise_entry,
    with_distinct_keys,
)
from storage.types import NewArticle, StoredEntry

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
BASE = "https://example.com/news/feed.xml"


@pytest.mark.parametrize(
    ("raw", "base", "expected"),
    [
        (
            "https://example.com/a?utm_source=x&id=3&utm_medium=y&b=2",
            None,
            "https://example.com/a?id=3&b=2",
        ),
        ("https://example.com/a?fbclid=abc", None, "https://example.com/a"),
        ("https://example.com/a?gclid=1&z=1&a=2", None, "https://example.com/a?z=1&a=2"),
        ("https://example.com/a?UTM_Campaign=x&q=1", None, "https://example.com/a?q=1"),
        ("https://example.com/a?utm%5Fsource=x&q=1", None, "https://example.com/a?q=1"),
        ("https://example.com/a?q=1&&utm_term=&", None, "https://example.com/a?q=1"),
        ("https://example.com/a?utmost=1", None, "https://example.com/a?utmost=1"),
        ("https://example.com/a?q=a%20b&r=%2F", None, "https://example.com/a?q=a%20b&r=%2F"),
        ("HTTPS://News.EXAMPLE.Com/Path/Case", None, "https://news.example.com/Path/Case"),
        ("https://example.com/a#comments", None, "https://example.com/a"),
        ("https://example.com:443/a", None, "https://example.com/a"),
        ("http://example.com:80/a", None, "http://example.com/a"),
        ("http://example.com:443/a", None, "http://example.com:443/a"),
        ("https://example.com:8443/a", None, "https://example.com:8443/a"),
        ("https://example.com", None, "https://example.com/"),
        ("/story/1", BASE, "https://example.com/story/1"),
        ("story/2?utm_source=rss", BASE, "https://example.com/news/story/2"),
        ("../up", BASE, "https://example.com/up"),
        ("//cdn.example.net/x", BASE, "https://cdn.example.net/x"),
        ("https://other.example/abs", BASE, "https://other.example/abs"),
        ("/relative/without/base", None, None),
        ("javascript:alert(1)", None, None),
        ("javascript:alert(1)", BASE, None),
        ("JavaScript:alert(1)", BASE, None),
        ("mailto:tips@example.com", None, None),
        ("ftp://example.com/file", None, None),
        ("data:text/html,<script>x</script>", None, None),
        ("file:///etc/passwd", None, None),
        ("http:///no-host", None, None),
        ("http://[2001:DB8::1]:8080/x", None, "http://[2001:db8::1]:8080/x"),
        ("https://[2001:db8::1]:443/x", None, "https://[2001:db8::1]/x"),
        ("http://[::1/", None, None),
        ("https://user:secret@Example.com/a", None, "https://example.com/a"),
        ("https://example.com:abc/a", None, None),
        ("https://example.com:99999/a", None, None),
        ("https://example.com:/a", None, "https://example.com/a"),
        ("  https://example.com/trim  ", None, "https://example.com/trim"),
        ("", None, None),
        ("   ", BASE, None),
        (None, BASE, None),
        ("https://example.com/" + "a" * 2100, None, None),
    ],
    ids=[
        "utm-removed-order-kept",
        "fbclid",
        "gclid-others-in-order",
        "tracking-case-insensitive",
        "tracking-percent-encoded",
        "empty-pairs-dropped",
        "utm-prefix-needs-underscore",
        "encoding-kept",
        "host-lowered-path-kept",
        "fragment-dropped",
        "https-default-port",
        "http-default-port",
        "http-on-443-kept",
        "custom-port",
        "empty-path-slash",
        "root-relative",
        "relative-with-tracking",
        "dot-dot",
        "protocol-relative",
        "absolute-ignores-base",
        "relative-no-base",
        "javascript",
        "javascript-with-base",
        "javascript-mixed-case",
        "mailto",
        "ftp",
        "data",
        "file",
        "no-host",
        "ipv6-port",
        "ipv6-default-port",
        "ipv6-malformed",
        "credentials-dropped",
        "port-not-a-number",
        "port-out-of-range",
        "port-empty",
        "whitespace-trimmed",
        "empty",
        "blank",
        "none",
        "too-long",
    ],
)
def test_canonical_url(raw, base, expected):
    assert canonical_url(raw, base) == expected


def test_canonical_url_is_idempotent():
    once = canonical_url("HTTP://Example.com:80/a?utm_source=x&b=1#top")
    assert once == "http://example.com/a?b=1"
    assert canonical_url(once) == once


def entry(**fields: Any) -> dict[str, Any]:
    """An entry in the shape feedparser gives (a dict of strings, *_detail and *_parsed)."""
    base: dict[str, Any] = {"id": "guid-1", "link": "https://example.com/story?utm_source=rss"}
    base.update(fields)
    return base


def html(value: str) -> dict[str, str]:
    return {"type": "text/html", "value": value}


def plain(value: str) -> dict[str, str]:
    return {"type": "text/plain", "value": value}


@pytest.mark.parametrize(
    ("fields", "title", "summary"),
    [
        (
            {"title": "Plain", "summary": "<p>One <b>bold</b></p><script>x()</script><p>two</p>"},
            "Plain",
            "One bold two",
        ),
        (
            {"title": "T", "summary": "AT&amp;amp;T", "summary_detail": html("AT&amp;amp;T")},
            "T",
            "AT&amp;T",
        ),
        (
            {"title": "AT&amp;T <b>deal</b>", "title_detail": plain("AT&amp;T <b>deal</b>")},
            "AT&amp;T deal",
            "",
        ),
        (
            {"title": "Rock &amp; roll", "title_detail": html("Rock &amp; roll"), "summary": "s"},
            "Rock & roll",
            "s",
        ),
        (
            {"title": "1 < 2 and 3 > 2", "title_detail": plain("1 < 2 and 3 > 2")},
            "1 < 2 and 3 > 2",
            "",
        ),
        ({"summary": "Only a summary here."}, "Only a summary here.", "Only a summary here."),
        (
            {"title": "  ", "content": [{"type": "text/html", "value": "<div>From content</div>"}]},
            "From content",
            "From content",
        ),
        (
            {"title": "T", "summary": "", "content": [{"type": "text/plain", "value": "a<b>c"}]},
            "T",
            "a c",
        ),
        (
            {"title": "Line\nbreaks\tand\u00a0nbsp", "summary": "x&nbsp;y<br>z"},
            "Line breaks and nbsp",
            "x y z",
        ),
        ({"title": 5, "summary": ["not", "text"], "content": [{"value": "ok"}]}, "ok", "ok"),
    ],
    ids=[
        "html-summary-stripped",
        "entities-decoded-once",
        "plain-title-stray-tags",
        "html-title-decoded",
        "plain-title-angle-brackets",
        "no-title-uses-summary",
        "blank-title-uses-content",
        "plain-content",
        "whitespace-folded",
        "non-string-fields-ignored",
    ],
)
def test_normalise_entry_text(fields, title, summary):
    article = normalise_entry(entry(**fields), BASE, NOW)
    assert article is not None
    assert (article.title, article.summary) == (title, summary)
    assert article.content_hash == content_hash(title, summary)


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"title": "", "summary": ""},
        {"title": "<img src=x>", "title_detail": html("<img src=x>")},
        {"summary": "<script>only()</script><style>p{}</style>"},
        {"title": "   \n\t ", "content": [{"value": "  "}]},
    ],
    ids=["nothing", "empty", "tag-only-title", "script-only", "whitespace-only"],
)
def test_normalise_entry_with_nothing_usable(fields):
    assert normalise_entry(entry(**fields), BASE, NOW) is None


def test_normalise_entry_fields():
    published = time.struct_time((2026, 2, 28, 9, 30, 0, 5, 59, 0))
    article = normalise_entry(
        entry(id="  tag:x,2026:1  ", title="T", published_parsed=published), BASE, NOW
    )
    assert article is not None
    assert article.guid == "tag:x,2026:1" and article.entry_key == "tag:x,2026:1"
    assert article.url == "https://example.com/story"
    assert article.published == datetime(2026, 2, 28, 9, 30, tzinfo=UTC)
    assert article.tags is None


@pytest.mark.parametrize(
    ("fields", "key", "url"),
    [
        ({"id": "g"}, "g", "https://example.com/story"),
        ({"id": "  "}, "https://example.com/story", "https://example.com/story"),
        ({"id": 42}, "https://example.com/story", "https://example.com/story"),
        ({"id": None, "link": "/rel"}, "https://example.com/rel", "https://example.com/rel"),
        ({"id": None, "link": "javascript:x", "links": []}, None, None),
        (
            {
                "id": None,
                "link": None,
                "links": [
                    {"rel": "enclosure", "href": "https://example.com/a.mp3"},
                    {"rel": "alternate", "href": "https://example.com/alt"},
                ],
            },
            "https://example.com/alt",
            "https://example.com/alt",
        ),
        ({"id": "x" * 1500}, "x" * 1000, "https://example.com/story"),
    ],
    ids=["guid", "blank-guid", "non-string-guid", "relative-link", "no-link", "links", "long-guid"],
)
def test_normalise_entry_keys(fields, key, url):
    article = normalise_entry(entry(title="Same title", **fields), BASE, NOW)
    assert article is not None
    assert article.url == url
    assert article.entry_key == (key or f"hash:{article.content_hash}")


def test_long_text_is_capped_at_a_word_boundary():
    words = " ".join(f"word{i}" for i in range(1000))
    article = normalise_entry(entry(title=words, summary=words), BASE, NOW)
    assert article is not None
    for text, limit in ((article.title, MAX_TITLE_CHARS), (article.summary, MAX_SUMMARY_CHARS)):
        assert len(text) <= limit and text.endswith("…")
        assert words.startswith(text[:-1]) and words[len(text) - 1] == " "


def test_missing_title_fallback_is_short():
    summary = " ".join(["lorem"] * 400)
    article = normalise_entry(entry(summary=summary), BASE, NOW)
    assert article is not None
    assert len(article.title) <= 120 and article.title.endswith("…")
    assert len(article.summary) <= MAX_SUMMARY_CHARS


def test_a_real_feedparser_entry():
    rss = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>C</title>
    <link>https://example.com/</link>
    <item><title>AT&amp;amp;T &lt;b&gt;wins&lt;/b&gt;</title><link>/s/1?fbclid=z</link>
    <guid isPermaLink="false">g-1</guid><pubDate>Sat, 28 Feb 2026 09:30:00 +0100</pubDate>
    <description>&lt;p&gt;Deal &amp;amp;amp; more&lt;/p&gt;&lt;script&gt;x&lt;/script&gt;
    </description>
    </item></channel></rss>"""
    parsed = feedparser.parse(rss, response_headers={"content-location": BASE})
    article = normalise_entry(parsed.entries[0], BASE, NOW)
    assert article is not None
    assert article.url == "https://example.com/s/1"
    assert article.guid == "g-1"
    assert article.summary == "Deal &amp; more"
    assert "<" not in article.title and "wins" in article.title
    assert article.published == datetime(2026, 2, 28, 8, 30, tzinfo=UTC)


def parsed_time(moment: datetime) -> time.struct_time:
    return moment.utctimetuple()


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, None),
        ({"published_parsed": None}, None),
        ({"published_parsed": "garbage"}, None),
        ({"published_parsed": (2026, 13, 45, 0, 0, 0, 0, 0, 0)}, None),
        ({"published_parsed": (10000, 1, 1, 0, 0, 0, 0, 0, 0)}, None),
        ({"published_parsed": parsed_time(NOW - timedelta(days=1))}, NOW - timedelta(days=1)),
        ({"published_parsed": parsed_time(NOW + timedelta(days=30))}, NOW),
        ({"published_parsed": parsed_time(NOW + FUTURE_TOLERANCE)}, NOW + FUTURE_TOLERANCE),
        ({"published_parsed": parsed_time(datetime(1989, 12, 31, tzinfo=UTC))}, None),
        ({"published_parsed": parsed_time(datetime(1970, 1, 1, tzinfo=UTC))}, None),
        (
            {"published_parsed": parsed_time(datetime(1990, 1, 1, tzinfo=UTC))},
            datetime(1990, 1, 1, tzinfo=UTC),
        ),
        (
            {
                "published_parsed": parsed_time(datetime(1970, 1, 1, tzinfo=UTC)),
                "updated_parsed": parsed_time(NOW - timedelta(hours=2)),
            },
            NOW - timedelta(hours=2),
        ),
        (
            {"published_parsed": "bad", "created_parsed": parsed_time(NOW - timedelta(hours=3))},
            NOW - timedelta(hours=3),
        ),
    ],
    ids=[
        "missing",
        "none",
        "not-a-tuple",
        "impossible-date",
        "year-10000",
        "past",
        "future-clamped",
        "slightly-ahead-kept",
        "pre-1990",
        "epoch-zero",
        "1990",
        "falls-back-to-updated",
        "falls-back-to-created",
    ],
)
def test_entry_published(fields, expected):
    published = entry_published(fields, NOW)
    assert published == expected
    if published is not None:
        assert published.tzinfo is UTC


def article(key: str, url: str | None, title: str = "t", guid: str | None = "g") -> NewArticle:
    return NewArticle(key, guid, url, title, "s", None, content_hash(title, "s"))


@pytest.mark.parametrize(
    ("items", "expected_keys"),
    [
        (
            [article("g", "https://a/1"), article("g", "https://a/2"), article("g", "https://a/3")],
            ["g https://a/1", "g https://a/2", "g https://a/3"],
        ),
        ([article("g", "https://a/1"), article("g", "https://a/1")], ["g"]),
        (
            [article("g", "https://a/1"), article("g", "https://a/2"), article("g", "https://a/1")],
            ["g https://a/1", "g https://a/2"],
        ),
        (
            [article("g", None, title="x"), article("g", "https://a/2")],
            [f"g hash:{content_hash('x', 's')}", "g https://a/2"],
        ),
        (
            [article("https://a/1", "https://a/1", guid=None)] * 2
            + [article("https://a/2", "https://a/2", guid=None)],
            ["https://a/1", "https://a/2"],
        ),
        (
            [article("g1", "https://a/1", guid="g1"), article("g2", "https://a/2", guid="g2")],
            ["g1", "g2"],
        ),
        ([], []),
    ],
    ids=[
        "reused-guid-keyed-by-link",
        "exact-repeat-dropped",
        "reused-guid-and-repeat",
        "reused-guid-without-link",
        "no-guid-repeat-dropped",
        "distinct-guids-untouched",
        "empty",
    ],
)
def test_with_distinct_keys(items, expected_keys):
    assert [a.entry_key for a in with_distinct_keys(items)] == expected_keys


@pytest.mark.parametrize(
    ("incoming", "stored", "expected_keys"),
    [
        (article("g", "https://a/1"), {}, ["g"]),
        (article("g", "https://a/1", title="new"), {"g": StoredEntry("https://a/1", "t")}, []),
        (article("g", "https://a/2", title="t"), {"g": StoredEntry("https://a/1", "t")}, []),
        (
            article("g", "https://a/2", title="other"),
            {"g": StoredEntry("https://a/1", "t")},
            ["g https://a/2"],
        ),
        (
            article("g", None, title="other"),
            {"g": StoredEntry("https://a/1", "t")},
            [f"g hash:{content_hash('other', 's')}"],
        ),
        (
            article("hash:1", None, title="other", guid=None),
            {"hash:1": StoredEntry(None, "t")},
            [],
        ),
        (article("g", "https://a/1"), {"h": StoredEntry("https://a/1", "t")}, ["g"]),
    ],
    ids=[
        "unknown-key-is-new",
        "same-url-edited-title-not-new",
        "same-title-moved-url-not-new",
        "reused-guid-is-new-rekeyed",
        "reused-guid-without-url",
        "no-guid-never-rekeyed",
        "other-key-irrelevant",
    ],
)
def test_new_articles(incoming, stored, expected_keys):
    fresh = new_articles([incoming], stored)
    assert [a.entry_key for a in fresh] == expected_keys
    assert all(a.url == incoming.url and a.title == incoming.title for a in fresh)
