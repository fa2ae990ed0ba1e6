"""A digest as plain Discord message contents: a header, then one block per region. Pure.

Every message is at most `CONTENT_LIMIT` (2000) characters. Messages are packed greedily and split
only between lines: a story (its headline line and its facts line) is never split, and a region
that runs over into the next message repeats its heading there as "Levant (continued)".

Feed text is hostile. Titles and source names (and our own region, country and actor names, for
good measure) are folded to one line, markdown-escaped and mention-neutralised, and URLs inside them
are defanged (a zero-width space after `https:`), so a title holding `[text](url)` or `<http…>`
shows as text, never as a link. The only links are the ones we build, `[headline](<url>)`: the
angle brackets stop Discord from unfurling a preview per story. A URL that is not http(s) or is
longer than `URL_LIMIT` is dropped (the headline shows unlinked); a long entry is shortened by
cutting the headline text, never the URL or the link syntax.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from bot.digest.layout import DigestView, Section, StoryLine
from bot.discord.safe import CONTENT_LIMIT, clean, safe_url
from bot.text import fold_whitespace, shorten

URL_LIMIT = 512  # longer than any real article URL; such a URL is dropped, never cut
TITLE_LIMIT = 256  # a headline past this is cut: it reads as a paragraph, not a title
MIN_LINKED_TITLE = 16
NAME_LIMIT = 80  # one source, country or actor name
HEADING_LIMIT = 200
DEFAULT_HEADING = "Sitrep digest"
REGION_LIMIT = 100
INDEX_LIMIT = 1200  # the header's one-line index of regions
OTHER_SOURCES_SHOWN = 3
COUNTRIES_SHOWN = 3
ACTORS_SHOWN = 4
CONTINUED = " (continued)"
# The longest section heading ("### " + region + CONTINUED) plus its newline always fits beside
# one entry, so any entry can start a fresh message.
ENTRY_LIMIT = CONTENT_LIMIT - (len("### ") + REGION_LIMIT + len(CONTINUED) + 1)
# A markdown character and the backslashes before it; the lookbehind keeps this linear.
_MARKUP = re.compile(r"(?<!\\)(\\*)([\[\]*_~`|])")


def inert(text: str, limit: int) -> str:
    """Feed text as one inert line of at most `limit` characters (after escaping)."""
    # A zero-width space after every ":" before "/" (http:/x autolinks too) and after every "<"
    # (mentions, <http…>, <t:…>, </command:…>): neither URLs nor Discord's <…> syntax can form.
    raw = fold_whitespace(text).replace(":/", ":\u200b/").replace("<", "<\u200b")
    # Escaping only adds characters, so cut first: discord.py's escaping is quadratic in length.
    raw = shorten(raw, max(limit, 0))
    shown = _escape_the_rest(clean(raw))
    while len(shown) > limit:
        # Escaping can double the length: cut the raw text in proportion and escape again,
        # so a backslash is never separated from the character it protects.
        shorter = shorten(raw, max(0, min(len(raw) - 1, len(raw) * limit // len(shown))))
        if not shorter or shorter == raw:
            return ""
        raw, shown = shorter, _escape_the_rest(clean(shorter))
    return shown


def _escape_the_rest(cleaned: str) -> str:
    """Escape each markdown character `clean` left alone: brackets, and a lone `*`, `_`, `~`,
    backtick or `|` (discord.py escapes those only in pairs, but pieces of feed text sit side by
    side on one line and could pair up). `clean` doubles literal backslashes, so an odd run
    before a character means it is escaped already."""
    return _MARKUP.sub(
        lambda m: m.group(1) + ("" if len(m.group(1)) % 2 else "\\") + m.group(2), cleaned
    )


def link_target(url: str | None) -> str | None:
    """The URL as it may appear inside `<...>` in a link, or None to show no link at all."""
    if url is None or len(url) > URL_LIMIT:
        return None
    target = safe_url(url)  # http(s) only; spaces, parens and <> become %-escapes
    return target if target is not None and len(target) <= URL_LIMIT else None


def stamp(moment: datetime, style: str) -> str:
    """A Discord timestamp, shown to each reader in their own time zone."""
    return f"<t:{int(moment.timestamp())}:{style}>"


def _headline(title: str, url: str | None, limit: int) -> str:
    target = link_target(url)
    overhead = len(target) + len("[](<>)") if target else 0
    if limit - overhead < MIN_LINKED_TITLE:  # cannot happen with today's limits; stay safe
        target, overhead = None, 0
    text = inert(title, min(TITLE_LIMIT, limit - overhead)) or "(untitled)"
    return f"[{text}](<{target}>)" if target else text


def _names(names: Sequence[str], shown: int) -> str:
    listed = ", ".join(inert(name, NAME_LIMIT) for name in names[:shown])
    return f"{listed} +{len(names) - shown} more" if len(names) > shown else listed


def _facts(line: StoryLine) -> str:
    facts: list[str] = []
    if line.sources:
        facts.append(inert(line.sources[0], NAME_LIMIT))
    if len(line.sources) > 1:
        facts.append(f"also reported by {_names(line.sources[1:], OTHER_SOURCES_SHOWN)}")
    facts.append(stamp(line.time, "R"))
    if line.countries:
        facts.append(_names(line.countries, COUNTRIES_SHOWN))
    if line.actors:
        facts.append(_names(line.actors, ACTORS_SHOWN))
    return "-# " + " · ".join(facts)  # -# is Discord's small grey subtext


def story_entry(rank: int, line: StoryLine) -> str:
    """One story as two lines, at most `ENTRY_LIMIT` characters: the headline gives way."""
    number = f"**{rank}.** "
    facts = _facts(line)
    room = ENTRY_LIMIT - len(number) - len("\n") - len(facts)
    return f"{number}{_headline(line.title, line.url, room)}\n{facts}"


def _window(view: DigestView, between: str = " – ") -> str:
    return f"{stamp(view.window.start, 'f')}{between}{stamp(view.window.end, 'f')}"


def _heading(heading: str) -> str:
    return f"**{inert(heading, HEADING_LIMIT) or DEFAULT_HEADING}**"


def _region(section: Section) -> str:
    return inert(section.region, REGION_LIMIT) or "Unnamed region"


def _index(sections: Sequence[Section]) -> str:
    """`Levant 7 · Sahel 3 · …`, as many regions as fit, then how many were left out."""
    entries = [f"{_region(section)} {len(section.stories) + section.more}" for section in sections]
    shown: list[str] = []
    for position, entry in enumerate(entries):
        tail = f" · +{len(entries) - position} more regions"
        if len(" · ".join([*shown, entry])) + len(tail) > INDEX_LIMIT:
            return " · ".join(shown) + tail
        shown.append(entry)
    return " · ".join(shown)


def _header(view: DigestView, heading: str) -> str:
    stories = "story" if view.stories == 1 else "stories"
    articles = "article" if view.articles == 1 else "articles"
    lines = [
        _heading(heading),
        f"{_window(view)} · **{view.stories} {stories}** from {view.articles} {articles}",
    ]
    if view.sections:
        lines.append(_index(view.sections))
    return "\n".join(lines)


def empty_digest_message(view: DigestView, heading: str) -> str:
    """The one short message for a window with nothing new."""
    return f"{_heading(heading)}: nothing new from {_window(view, ' to ')}."


class _Packer:
    """Greedy packing of whole blocks into messages of at most `limit` characters."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.messages: list[str] = []

    def fits(self, text: str, separator: str) -> bool:
        return bool(self.messages) and (
            len(self.messages[-1]) + len(separator) + len(text) <= self.limit
        )

    def add(self, text: str, separator: str, opening: str = "") -> None:
        """Append `text` to the last message, or start a new one with `opening` before it."""
        if self.fits(text, separator):
            self.messages[-1] += separator + text
        else:
            self.messages.append(f"{opening}\n{text}" if opening else text)


def _section_blocks(section: Section) -> list[str]:
    blocks = [story_entry(rank, line) for rank, line in enumerate(section.stories, 1)]
    if section.more:
        region = _region(section)
        blocks.append(f"…and {section.more} more in {region}")
    return blocks


def _pack_section(packer: _Packer, section: Section) -> None:
    region = _region(section)
    blocks = _section_blocks(section)
    if not blocks:
        return
    # The heading travels with the first story, so a heading never ends a message alone.
    packer.add(f"### {region}\n{blocks[0]}", "\n\n")
    for block in blocks[1:]:
        packer.add(block, "\n", opening=f"### {region}{CONTINUED}")


def digest_messages(view: DigestView, heading: str) -> list[str]:
    """The digest as message contents, in order, each at most 2000 characters."""
    if view.empty:
        return [empty_digest_message(view, heading)]
    packer = _Packer(CONTENT_LIMIT)
    packer.add(_header(view, heading), "")
    for section in view.sections:
        _pack_section(packer, section)
    return packer.messages
