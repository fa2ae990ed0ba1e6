"""Feed lists in and out: the shipped TOML seed list, OPML 2.0 import and export."""

from __future__ import annotations

import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import urlsplit

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from storage.types import Feed

FeedEntry = tuple[str, str | None]  # (url, name)


class FeedListError(ValueError):
    """A feed list or URL we cannot use; the message says which and why."""


def validate_feed_url(url: str) -> str:
    """The URL trimmed, if it is an absolute http(s) URL with a host; else FeedListError."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        raise FeedListError(f"{url!r} is not a valid URL") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise FeedListError(
            f"{url!r} is not an http(s) URL: give the full address, e.g. https://example.com/feed.xml"
        )
    if any(character.isspace() for character in url):
        raise FeedListError(f"{url!r} contains spaces: encode them as %20 or fix the address")
    return url


def load_seed_feeds(path: Path) -> list[FeedEntry]:
    """The [[feed]] tables of a TOML file such as config/feeds.toml."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise FeedListError(f"{path}: cannot read the feed list: {error}") from None
    feeds = []
    for index, table in enumerate(document.get("feed", []), start=1):
        if not isinstance(table, dict) or not isinstance(table.get("url"), str):
            raise FeedListError(f'{path}: feed #{index} needs a url = "https://..." line')
        try:
            url = validate_feed_url(table["url"])
        except FeedListError as error:
            raise FeedListError(f"{path}: feed #{index}: {error}") from None
        name = table.get("name")
        feeds.append((url, name if isinstance(name, str) and name.strip() else None))
    return feeds


@dataclass(frozen=True)
class OpmlFeeds:
    feeds: list[FeedEntry]
    skipped: list[str]  # outlines we could not use, each with the reason


def parse_opml(data: bytes, source: str = "OPML file") -> OpmlFeeds:
    """Every outline with an xmlUrl, nested folders included. Entity tricks are refused;
    an outline with a bad URL is skipped with its reason and the rest still import."""
    try:
        root = SafeET.fromstring(data)
    except (ET.ParseError, DefusedXmlException) as error:
        raise FeedListError(f"{source}: not a readable OPML file ({error})") from None
    if root.tag.lower() != "opml":
        raise FeedListError(f"{source}: not an OPML file (root element is <{root.tag}>)")
    feeds: list[FeedEntry] = []
    skipped: list[str] = []
    for outline in root.iter("outline"):
        url = outline.get("xmlUrl") or outline.get("xmlurl")
        if not url or url.strip() in {known for known, _ in feeds}:
            continue
        name = (outline.get("title") or outline.get("text") or "").strip()
        try:
            url = validate_feed_url(url)
        except FeedListError as error:
            skipped.append(str(error))
            continue
        # OPML requires `text`, so an unnamed feed is exported with its URL there: not a name.
        feeds.append((url, name if name and name != url else None))
    return OpmlFeeds(feeds, skipped)


def export_opml(feeds: Iterable[Feed], now: datetime) -> str:
    """OPML 2.0 text listing `feeds`."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = "Sitrep feeds"
    ET.SubElement(head, "dateCreated").text = format_datetime(now, usegmt=True)
    body = ET.SubElement(root, "body")
    for feed in feeds:
        attributes = {"type": "rss", "text": feed.display_name, "title": feed.display_name}
        attributes["xmlUrl"] = feed.url
        if feed.site_url:
            attributes["htmlUrl"] = feed.site_url
        ET.SubElement(body, "outline", attributes)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
