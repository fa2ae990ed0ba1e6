"""Feed entries -> clean NewArticle records: plain text, canonical URLs, UTC dates, stable keys.

Pure functions; `now` is passed in.
"""

from __future__ import annotations

import calendar
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote_plus, urljoin, urlsplit, urlunsplit

from bot.text import html_to_text, plain_to_text, shorten
from storage.types import NewArticle, StoredEntry

MAX_TITLE_CHARS = 300
MAX_SUMMARY_CHARS = 1500
MAX_GUID_CHARS = 1000
MAX_URL_CHARS = 2000
# A clock a little ahead of ours is not a future date worth correcting.
FUTURE_TOLERANCE = timedelta(minutes=10)
EARLIEST_DATE = datetime(1990, 1, 1, tzinfo=UTC)
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "html", "xhtml"})
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "igshid",
        "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id",
        "oly_enc_id", "rb_clickid", "s_cid", "vero_conv", "vero_id", "wickedid", "ref_src",
        "cmpid", "ocid", "spm", "at_medium", "at_campaign", "sr_share",
    }
)  # fmt: skip


def _is_tracking(name: str) -> bool:
    name = unquote_plus(name).lower()
    return name.startswith(("utm_", "pk_", "mtm_")) or name in TRACKING_PARAMS


def canonical_url(raw: str | None, base: str | None = None) -> str | None:
    """Absolute http(s) URL with lower-case host, no default port, fragment or tracking."""
    if not raw or not raw.strip():
        return None
    try:
        parts = urlsplit(urljoin(base, raw.strip()) if base else raw.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname
    if scheme not in ("http", "https") or not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != {"http": 80, "https": 443}[scheme]:
        host = f"{host}:{port}"
    kept = [
        pair for pair in parts.query.split("&") if pair and not _is_tracking(pair.split("=")[0])
    ]
    url = urlunsplit((scheme, host, parts.path or "/", "&".join(kept), ""))
    return url if len(url) <= MAX_URL_CHARS else None


def _text_of(entry: Mapping[str, Any], key: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str):
        return ""
    detail = entry.get(f"{key}_detail") or {}
    kind = str(detail.get("type", "text/html")).lower()
    return html_to_text(value) if kind in HTML_TYPES else plain_to_text(value)


def _summary_of(entry: Mapping[str, Any]) -> str:
    summary = _text_of(entry, "summary")
    if summary:
        return summary
    for content in entry.get("content") or ():
        value = content.get("value")
        if isinstance(value, str) and value.strip():
            kind = str(content.get("type", "text/html")).lower()
            return html_to_text(value) if kind in HTML_TYPES else plain_to_text(value)
    return ""


def entry_published(entry: Mapping[str, Any], now: datetime) -> datetime | None:
    """Published (else updated) time in UTC; absurd or unparseable dates give None."""
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed is None:
            continue
        try:
            moment = datetime.fromtimestamp(calendar.timegm(parsed), UTC)
        except (TypeError, ValueError, OverflowError, OSError):
            continue
        if moment < EARLIEST_DATE:
            continue
        return min(moment, now) if moment > now + FUTURE_TOLERANCE else moment
    return None


def _entry_link(entry: Mapping[str, Any], base: str | None) -> str | None:
    candidates = [entry.get("link")]
    candidates += [
        link.get("href")
        for link in entry.get("links") or ()
        if link.get("rel") in (None, "alternate")
    ]
    for candidate in candidates:
        url = canonical_url(candidate, base) if isinstance(candidate, str) else None
        if url:
            return url
    return None


def content_hash(title: str, summary: str) -> str:
    return hashlib.sha256(f"{title}\n{summary}".encode()).hexdigest()[:32]


def normalise_entry(entry: Mapping[str, Any], base: str | None, now: datetime) -> NewArticle | None:
    """One entry, or None when it has nothing a reader could use."""
    url = _entry_link(entry, base)
    title = shorten(_text_of(entry, "title"), MAX_TITLE_CHARS)
    summary = shorten(_summary_of(entry), MAX_SUMMARY_CHARS)
    if not title and not summary:
        return None
    if not title:
        title = shorten(summary, 120)
    guid = entry.get("id") if isinstance(entry.get("id"), str) else None
    guid = guid.strip()[:MAX_GUID_CHARS] or None if guid else None
    digest = content_hash(title, summary)
    key = guid or url or f"hash:{digest}"
    return NewArticle(key, guid, url, title, summary, entry_published(entry, now), digest)


def with_distinct_keys(articles: Sequence[NewArticle]) -> list[NewArticle]:
    """Give every article of one fetch its own key; drop exact repeats inside the fetch.

    A feed that reuses one guid for different items gets guid + link as the key of those items.
    """
    links_per_guid: dict[str, set[str | None]] = {}
    for article in articles:
        if article.guid:
            links_per_guid.setdefault(article.guid, set()).add(article.url)
    result, seen = [], set()
    for article in articles:
        if article.guid and len(links_per_guid[article.guid]) > 1:
            article = _rekeyed(article)
        if article.entry_key not in seen:
            seen.add(article.entry_key)
            result.append(article)
    return result


def _rekeyed(article: NewArticle) -> NewArticle:
    suffix = article.url or f"hash:{article.content_hash}"
    return replace(article, entry_key=f"{article.guid} {suffix}")


def new_articles(
    articles: Iterable[NewArticle], stored: Mapping[str, StoredEntry]
) -> list[NewArticle]:
    """Articles not stored yet; `stored` maps entry keys of the feed already stored to their data.

    A stored key whose URL and title both differ is a feed reusing a guid for a new item: the
    new item is kept under guid + link.
    """
    fresh = []
    for article in articles:
        known = stored.get(article.entry_key)
        if known is None:
            fresh.append(article)
        elif article.guid and known.url != article.url and known.title != article.title:
            fresh.append(_rekeyed(article))
    return fresh
