"""Feed lists in and out: feed URL validation, the TOML seed list, OPML import and export."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.ingest.feedlist import (
    FeedListError,
    export_opml,
    load_seed_feeds,
    parse_opml,
    validate_feed_url,
)
from storage.types import Feed

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/feed.xml", "https://example.com/feed.xml"),
        ("http://example.com/rss", "http://example.com/rss"),
        ("  https://example.com/feed  ", "https://example.com/feed"),
        ("HTTPS://Example.com/Feed", "HTTPS://Example.com/Feed"),
        ("https://example.com:8443/feed?x=1#f", "https://example.com:8443/feed?x=1#f"),
        ("http://[2001:db8::1]/feed", "http://[2001:db8::1]/feed"),
        ("ftp://example.com/feed", None),
        ("file:///etc/passwd", None),
        ("javascript:alert(1)", None),
        ("example.com/feed", None),
        ("/feed.xml", None),
        ("https://", None),
        ("https:///feed", None),
        ("https://example.com:abc/", None),
        ("https://example.com:99999/", None),
        ("http://[::1/feed", None),
        ("", None),
        ("   ", None),
    ],
    ids=[
        "https",
        "http",
        "trimmed",
        "case-kept",
        "port-query-fragment",
        "ipv6",
        "ftp",
        "file",
        "javascript",
        "no-scheme",
        "relative",
        "no-host",
        "empty-host",
        "bad-port",
        "port-out-of-range",
        "bad-ipv6",
        "empty",
        "blank",
    ],
)
def test_validate_feed_url(url, expected):
    if expected is not None:
        assert validate_feed_url(url) == expected
        return
    with pytest.raises(FeedListError) as caught:
        validate_feed_url(url)
    assert repr(url.strip()) in str(caught.value)


def test_shipped_seed_list():
    feeds = load_seed_feeds(ROOT / "config" / "feeds.toml")
    assert len(feeds) >= 25
    urls = [url for url, _ in feeds]
    assert len(set(urls)) == len(urls)
    assert all(url.startswith(("https://", "http://")) for url in urls)
    assert all(validate_feed_url(url) == url for url in urls)
    assert all(name is None or (name.strip() and name == name.strip()) for _, name in feeds)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[[feed]]\nurl = "https://a.example/rss"\nname = "A"\n', [("https://a.example/rss", "A")]),
        ('[[feed]]\nurl = " https://a.example/rss "\n', [("https://a.example/rss", None)]),
        (
            '[[feed]]\nurl = "https://a.example/rss"\nname = "  "\n',
            [("https://a.example/rss", None)],
        ),
        ('[[feed]]\nurl = "https://a.example/rss"\nname = 3\n', [("https://a.example/rss", None)]),
        (
            '[[feed]]\nurl = "https://a.example/rss"\ntopic = "x"\n',
            [("https://a.example/rss", None)],
        ),
        ("# no feeds at all\n", []),
    ],
    ids=["name", "trimmed-url", "blank-name", "non-string-name", "extra-keys", "empty"],
)
def test_load_seed_feeds(tmp_path, text, expected):
    path = tmp_path / "feeds.toml"
    path.write_text(text, encoding="utf-8")
    assert load_seed_feeds(path) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[[feed]\nurl = 1\n", "cannot read the feed list"),
        ('[[feed]]\nname = "no url"\n', "feed #1 needs a url"),
        ('[[feed]]\nurl = "https://a/"\n[[feed]]\nurl = 5\n', "feed #2 needs a url"),
        ('[[feed]]\nurl = "ftp://a.example/"\n', "feed #1: 'ftp://a.example/' is not an http(s)"),
        ('feed = ["https://a.example/"]\n', "feed #1 needs a url"),
        (None, "cannot read the feed list"),
    ],
    ids=["invalid-toml", "missing-url", "second-bad", "bad-scheme", "not-tables", "missing-file"],
)
def test_load_seed_feeds_refuses_bad_files(tmp_path, text, fragment):
    path = tmp_path / "feeds.toml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(FeedListError) as caught:
        load_seed_feeds(path)
    assert str(path) in str(caught.value) and fragment in str(caught.value)


def opml(body: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0"><head><title>t</title></head>'
        f"<body>{body}</body></opml>"
    ).encode()


NESTED = opml(
    '<outline text="World">'
    '  <outline text="BBC" title="BBC World" type="rss" xmlUrl="https://bbc.example/rss"/>'
    '  <outline text="Deeper"><outline text="Inner" xmlUrl="https://inner.example/feed"/></outline>'
    "</outline>"
    '<outline text="Top" xmlUrl="https://top.example/atom"/>'
    '<outline text="A folder with no feeds"/>'
)


def test_parse_opml_nested_outlines():
    parsed = parse_opml(NESTED)
    assert parsed.feeds == [
        ("https://bbc.example/rss", "BBC World"),
        ("https://inner.example/feed", "Inner"),
        ("https://top.example/atom", "Top"),
    ]
    assert parsed.skipped == []


@pytest.mark.parametrize(
    ("body", "feeds", "skipped"),
    [
        (
            '<outline text="A" xmlUrl="https://a.example/"/>'
            '<outline text="A again" xmlUrl="https://a.example/"/>'
            '<outline text="A spaced" xmlUrl="  https://a.example/ "/>',
            [("https://a.example/", "A")],
            [],
        ),
        (
            '<outline text="bad" xmlUrl="ftp://bad.example/"/>'
            '<outline text="ok" xmlUrl="https://ok.example/"/>'
            '<outline text="js" xmlUrl="javascript:alert(1)"/>'
            '<outline text="ok2" xmlurl="https://ok2.example/"/>',
            [("https://ok.example/", "ok"), ("https://ok2.example/", "ok2")],
            ["ftp://bad.example/", "javascript:alert(1)"],
        ),
        ('<outline xmlUrl="https://n.example/"/>', [("https://n.example/", None)], []),
        ('<outline text="  " xmlUrl="https://n.example/"/>', [("https://n.example/", None)], []),
        (
            '<outline text="Caf&#233; &amp; Bar" xmlUrl="https://c.example/?a=1&amp;b=2"/>',
            [("https://c.example/?a=1&b=2", "Café & Bar")],
            [],
        ),
        ('<outline text="empty" xmlUrl=""/>', [], []),
        ("", [], []),
    ],
    ids=[
        "duplicates",
        "bad-url-skipped-rest-kept",
        "no-name",
        "blank-name",
        "entities",
        "empty-url-ignored",
        "empty-body",
    ],
)
def test_parse_opml_outlines(body, feeds, skipped):
    parsed = parse_opml(opml(body))
    assert parsed.feeds == feeds
    assert len(parsed.skipped) == len(skipped)
    for reason, url in zip(parsed.skipped, skipped, strict=True):
        assert url in reason and "not an http(s) URL" in reason


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<opml version="2.0"><body><outline text="&lol9;" xmlUrl="https://a.example/"/></body></opml>"""


def external_entity(target: Path) -> bytes:
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE opml [<!ENTITY xxe SYSTEM "file://{target}">]>\n'
        '<opml version="2.0"><body><outline text="&xxe;" xmlUrl="https://a.example/"/>'
        "</body></opml>"
    ).encode()


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "not a readable OPML file"),
        (b"this is not xml", "not a readable OPML file"),
        (b"<opml><body>", "not a readable OPML file"),
        (b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>', "root element is <rss>"),
        (b"<html><body><outline xmlUrl='https://a.example/'/></body></html>", "root element"),
        (BILLION_LAUGHS, "not a readable OPML file"),
    ],
    ids=["empty", "not-xml", "truncated", "rss-not-opml", "html", "billion-laughs"],
)
def test_parse_opml_refuses(data, fragment):
    with pytest.raises(FeedListError) as caught:
        parse_opml(data, source="feeds.opml")
    message = str(caught.value)
    assert message.startswith("feeds.opml: ") and fragment in message
    assert "lol" * 10 not in message  # never expanded


def test_parse_opml_refuses_external_entities(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT", encoding="utf-8")
    with pytest.raises(FeedListError, match="not a readable OPML file") as caught:
        parse_opml(external_entity(secret))
    assert "TOP-SECRET-CONTENT" not in str(caught.value)


def feed(feed_id: int, url: str, name: str | None, title: str | None, site: str | None) -> Feed:
    return Feed(
        id=feed_id,
        url=url,
        name=name,
        title=title,
        site_url=site,
        etag=None,
        last_modified=None,
        added_at=NOW,
        last_checked=None,
        last_updated=None,
        next_check=NOW,
        error_count=0,
        last_error=None,
        disabled_reason=None,
    )


def test_export_opml_round_trips():
    feeds = [
        feed(1, "https://a.example/rss", "Named", "Own title", "https://a.example/"),
        feed(2, "https://b.example/feed?x=1&y=2", None, "B's <own> title & more", None),
        feed(3, "https://c.example/atom", "Café «Ünïcode» داعش", None, None),
    ]
    text = export_opml(feeds, NOW)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">')
    assert "Sun, 01 Mar 2026 12:00:00 GMT" in text
    assert 'htmlUrl="https://a.example/"' in text
    parsed = parse_opml(text.encode("utf-8"))
    assert parsed.skipped == []
    assert parsed.feeds == [
        ("https://a.example/rss", "Named"),
        ("https://b.example/feed?x=1&y=2", "B's <own> title & more"),
        ("https://c.example/atom", "Café «Ünïcode» داعش"),
    ]


def test_export_of_a_feed_without_any_name_does_not_invent_one():
    text = export_opml([feed(1, "https://bare.example/rss", None, None, None)], NOW)
    assert parse_opml(text.encode("utf-8")).feeds == [("https://bare.example/rss", None)]


def test_export_opml_empty():
    text = export_opml([], NOW)
    assert parse_opml(text.encode("utf-8")).feeds == []
