"""Bytes + headers -> normalised articles. Synchronous and CPU-bound: callers run it off the loop.

feedparser never sees a URL or a path: it gets a BytesIO (a bare bytes argument could be taken
for a file name) and the response headers it needs for encoding and relative links. HTML
sanitising and relative-URI rewriting inside content are off because we keep plain text only.
"""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import feedparser

from bot.ingest.normalise import canonical_url, normalise_entry, with_distinct_keys
from bot.text import plain_to_text, shorten
from storage.types import NewArticle

log = logging.getLogger(__name__)


GENERIC_MEDIA_TYPES = frozenset(
    {"", "application/octet-stream", "text/plain", "binary/octet-stream"}
)


class FeedParseError(Exception):
    """The body is not a feed we can use; the message is the reason recorded for the feed."""


@dataclass(frozen=True)
class ParsedFeed:
    title: str | None
    site_url: str | None
    articles: list[NewArticle]
    entry_count: int
    warning: str | None  # feedparser's complaint about a feed it could still read


def _describe(error: Any) -> str:
    text = " ".join(str(error).split())
    return shorten(f"{type(error).__name__}: {text}" if text else type(error).__name__, 200)


def _run_feedparser(body: bytes, headers: Mapping[str, str]) -> Any:
    try:
        return feedparser.parse(
            io.BytesIO(body),
            response_headers=dict(headers),
            resolve_relative_uris=False,
            sanitize_html=False,
        )
    except Exception as error:  # hostile bytes must never take the poller down
        raise FeedParseError(f"the feed parser failed: {_describe(error)}") from None


def _normalise_all(entries: list[Any], base: str, now: datetime) -> tuple[list[NewArticle], int]:
    articles, broken = [], 0
    for entry in entries:
        try:
            # A plain dict: FeedParserDict lookups remap keys and may warn, on every access.
            article = normalise_entry(dict(entry), base, now)
        except Exception:  # one malformed entry must not cost the others
            log.debug("skipping an entry that could not be normalised", exc_info=True)
            broken += 1
            continue
        if article is not None:
            articles.append(article)
    return with_distinct_keys(articles), broken


def _looks_like_json(body: bytes, headers: Mapping[str, str]) -> bool:
    if "json" in headers.get("content-type", "").lower():
        return True
    return body[:64].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


def _json_time(value: Any) -> time.struct_time | None:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.utctimetuple() if moment.tzinfo else None


def _json_entry(item: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON Feed item in the shape feedparser gives entries (what normalise_entry reads)."""
    html = item.get("content_html") or item.get("summary")
    summary, kind = (html, "text/html") if html else (item.get("content_text"), "text/plain")
    return {
        "id": str(item["id"]) if item.get("id") is not None else None,
        "link": item.get("url") or item.get("external_url"),
        "title": item.get("title"),
        "title_detail": {"type": "text/plain"},
        "summary": summary,
        "summary_detail": {"type": kind},
        "published_parsed": _json_time(item.get("date_published")),
        "updated_parsed": _json_time(item.get("date_modified")),
    }


def _parse_json_feed(body: bytes) -> dict[str, Any]:
    """JSON Feed 1.x, which feedparser 6 does not read."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as error:
        raise FeedParseError(f"not a readable JSON feed: {_describe(error)}") from None
    if not isinstance(document, dict) or "jsonfeed.org" not in str(document.get("version", "")):
        raise FeedParseError("not a feed: JSON without a JSON Feed version")
    items = document.get("items")
    items = [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []
    feed = {"title": document.get("title"), "link": document.get("home_page_url")}
    return {"version": "json1", "feed": feed, "entries": [_json_entry(item) for item in items]}


def _parser_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers for feedparser. A missing, generic or plain-text Content-Type becomes XML (its
    charset kept): feedparser distrusts such documents, yet many servers send them for feeds.
    text/html stays, so feedparser's lenient parser can still read a feed served as a page.
    No Content-Location is invented: feedparser would resolve every guid and link against it,
    which costs a fifth of its time; normalise resolves the links that need it."""
    result = dict(headers)
    media_type, _, params = result.get("content-type", "").partition(";")
    if media_type.strip().lower() in GENERIC_MEDIA_TYPES:
        result["content-type"] = "application/xml" + (f";{params}" if params else "")
    return result


def parse_feed(body: bytes, headers: Mapping[str, str], url: str, now: datetime) -> ParsedFeed:
    """Parse and normalise one fetched body. Raises FeedParseError when nothing usable is in it."""
    if not body.strip():
        raise FeedParseError("empty response body")
    if _looks_like_json(body, headers):
        parsed = _parse_json_feed(body)
    else:
        parsed = _run_feedparser(body, _parser_headers(headers))
    entries = list(parsed.get("entries") or ())
    articles, broken = _normalise_all(entries, url, now) if entries else ([], 0)
    if not articles and parsed.get("bozo"):
        raise FeedParseError(f"not a readable feed: {_describe(parsed.get('bozo_exception'))}")
    if not entries and not parsed.get("version"):
        raise FeedParseError("not a feed: no RSS, Atom or JSON Feed document found")
    if entries and not articles:
        raise FeedParseError(f"none of its {len(entries)} entries has a title, summary or link")
    warnings = []
    if parsed.get("bozo"):
        warnings.append(f"read despite errors: {_describe(parsed.get('bozo_exception'))}")
    if broken:
        warnings.append(f"{broken} malformed entries skipped")
    feed = parsed.get("feed") or {}
    title = plain_to_text(feed.get("title") or "") or None
    return ParsedFeed(
        title=shorten(title, 200) if title else None,
        site_url=canonical_url(feed.get("link"), url)
        if isinstance(feed.get("link"), str)
        else None,
        articles=articles,
        entry_count=len(entries),
        warning="; ".join(warnings) or None,
    )
