"""Making hostile feed text safe and small enough for Discord. Pure functions.

Feed text may carry markdown, mention syntax and enormous strings. Everything shown is escaped,
and every limit is met by shortening text at a word boundary: links are never cut (a title is
shortened instead, or the link dropped when even a short title cannot fit) and an escape is never
split from the character it protects.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from discord.utils import escape_markdown, escape_mentions

from bot.text import shorten

# https://discord.com/developers/docs/resources/message#embed-object-embed-limits
CONTENT_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELDS_LIMIT = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
AUTHOR_LIMIT = 256
EMBEDS_TOTAL_LIMIT = 6000
EMBEDS_PER_MESSAGE = 10
CHOICE_NAME_LIMIT = 100
CHOICE_VALUE_LIMIT = 100
_MENTION = re.compile(r"<(@[!&]?|#)(\d+)>")


def clean(text: str) -> str:
    """Feed text as inert Discord text: no markdown, no mentions, no pings."""
    text = _MENTION.sub(lambda m: f"<\u200b{m.group(1)}{m.group(2)}>", text)
    return escape_mentions(escape_markdown(text))


def fit(text: str, limit: int) -> str:
    """Clean `text`, then shorten it to `limit` without leaving a dangling backslash."""
    cleaned = clean(text)
    if len(cleaned) <= limit:
        return cleaned
    raw = text
    while len(cleaned) > limit and raw:
        # Shorten the raw text and re-escape, so an escape never loses its partner.
        # Escaping can double the length, so cut in proportion and try again.
        raw = shorten(raw, max(1, min(len(raw) - 1, len(raw) * limit // len(cleaned))))
        cleaned = clean(raw)
    return cleaned[:limit]


def safe_url(url: str | None) -> str | None:
    """An http(s) URL safe inside markdown link syntax, or None."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return quote(url, safe=":/?#[]@!$&'*+,;=%~-._")  # spaces, parens, <> become %-escapes


def link(title: str, url: str | None, limit: int) -> str:
    """`[title](url)` within `limit` characters: the title shrinks, the URL never does."""
    target = safe_url(url)
    if target is None:
        return fit(title, limit)
    room = limit - len(target) - 4  # [ ] ( )
    if room < 8:  # no room for a readable title: show the title alone
        return fit(title, limit)
    text = fit(title, room - title.count("]")).replace("]", "\\]")
    return f"[{text}]({target})"
