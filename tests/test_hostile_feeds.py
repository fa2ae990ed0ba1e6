"""Hostile documents: entity expansion, external entities and DTDs, bodies that look like paths."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.ingest.parse import FeedParseError, ParsedFeed, parse_feed
from tests.feedserver import FeedServer

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def _parse(body: bytes) -> ParsedFeed | None:
    try:
        return parse_feed(body, {"content-type": "application/rss+xml"}, "https://x.test/feed", NOW)
    except FeedParseError:
        return None


def _all_text(parsed: ParsedFeed | None) -> str:
    if parsed is None:
        return ""
    return " ".join([parsed.title or ""] + [a.title + " " + a.summary for a in parsed.articles])


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
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
<rss version="2.0"><channel><title>Laughs</title>
<item><title>&lol9;</title><link>https://x.test/1</link><description>&lol9;</description></item>
</channel></rss>"""


def test_billion_laughs_does_not_expand() -> None:
    parsed = _parse(BILLION_LAUGHS)
    assert _all_text(parsed).count("lol") < 1000


def test_external_entity_does_not_read_files(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-MARKER")
    body = f"""<?xml version="1.0"?>
<!DOCTYPE rss [ <!ENTITY xxe SYSTEM "file://{secret}"> ]>
<rss version="2.0"><channel><title>x</title>
<item><title>leak &xxe;</title><link>https://x.test/1</link></item></channel></rss>""".encode()
    assert "TOP-SECRET-MARKER" not in _all_text(_parse(body))


async def test_external_dtd_is_not_fetched(feed_server: FeedServer) -> None:
    dtd_url = feed_server.url("feed/evil.dtd")
    feed_server.feeds["evil.dtd"] = b'<!ENTITY leak "LEAKED">'
    body = f"""<?xml version="1.0"?>
<!DOCTYPE rss SYSTEM "{dtd_url}">
<rss version="2.0"><channel><title>x</title>
<item><title>hello &leak;</title><link>https://x.test/1</link></item></channel></rss>""".encode()
    assert "LEAKED" not in _all_text(_parse(body))
    assert feed_server.hits["evil.dtd"] == 0


@pytest.mark.parametrize("body", [b"/etc/passwd", b"main.py", b"http://127.0.0.1:9/x"])
def test_bodies_that_look_like_paths_or_urls_are_just_bytes(body: bytes) -> None:
    with pytest.raises(FeedParseError, match=r"not a (readable )?feed"):
        parse_feed(body, {}, "https://x.test/feed", NOW)


def test_script_and_markup_never_reach_text() -> None:
    body = b"""<rss version="2.0"><channel><title>t</title><item>
<title>&lt;script&gt;alert(1)&lt;/script&gt;Headline</title><link>javascript:alert(1)</link>
<description>&lt;p onclick="x()"&gt;Body &lt;b&gt;bold&lt;/b&gt;
&lt;script&gt;evil()&lt;/script&gt;&lt;/p&gt;</description>
</item></channel></rss>"""
    parsed = parse_feed(body, {}, "https://x.test/feed", NOW)
    [article] = parsed.articles
    assert "<" not in article.title and "evil" not in article.summary
    assert article.summary == "Body bold"
    assert article.url is None  # a javascript: link is no link
