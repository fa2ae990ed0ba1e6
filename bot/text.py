"""Turning hostile feed markup into clean, bounded plain text.

Shared by ingest (titles, summaries) and tagging (JSON-lines input may hold HTML). Pure functions.
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from itertools import repeat

_TAG_LIKE = re.compile(r"</?[A-Za-z][^<>]*>")
# Content of these elements is never text a reader should see.
_SKIPPED_ELEMENTS = frozenset({"script", "style", "head", "title", "noscript", "template", "svg"})
# Elements that separate words visually; without a space "a<br>b" would read "ab".
_BREAKING_ELEMENTS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
        "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "img", "li", "main",
        "nav", "ol", "p", "pre", "section", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
        "ul",
    }
)  # fmt: skip


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_ELEMENTS:
            self._skip_depth += 1
        elif tag in _BREAKING_ELEMENTS:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BREAKING_ELEMENTS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_ELEMENTS:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _BREAKING_ELEMENTS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self.parts.append(data)


def fold_whitespace(text: str) -> str:
    """Collapse every run of whitespace (newlines, tabs, NBSP) into one space and trim."""
    return " ".join(text.split())  # str.split() splits on every Unicode space, like \s+


def parsed_text(markup: str) -> str:
    """The text HTMLParser reads (what `html_to_text` must equal): tags stripped, script and
    style content dropped, entities decoded exactly once, whitespace folded."""
    if "<" not in markup and "&" not in markup:
        return fold_whitespace(markup)
    extractor = _TextExtractor()
    extractor.feed(markup)
    extractor.close()
    return fold_whitespace("".join(extractor.parts))


# --- html_to_text: HTMLParser's reading, without the parser for simple markup ---------------
# The parser costs a few hundred microseconds per feed summary. Feed markup is nearly always
# simple (tags with well-formed attributes, entities, comments), and for such markup the
# parser's text is the text between the tags, entities decoded piece by piece, plus a space for
# each tag of a breaking element. `html_to_text` gets that with one regular expression split and
# list slicing, and hands anything else to the parser: a `<` that starts no simple tag,
# `<!DOCTYPE`, CDATA, odd comments or attributes, and every element whose content the parser
# treats specially (script, style, svg...). Falling back is always correct, so the fast path
# only has to be exact for what it accepts (tests/test_text.py compares the two).

# A tag: its name, and everything up to the next ">" as its attributes, checked below.
_TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9]*+)(?=[ \t\n\r\f/>])([^<>]*+)>")
# Markers no input may hold (it goes to the parser): one separates the attributes of all tags
# for one check, the other stands for a removed comment.
_SEPARATOR, _COMMENT_MARK = "\x00", "\x01"
# Attributes as the parser reads them when they are well formed: whitespace, a name, and an
# optional value, quoted (without < or >) or bare. Anything odder sends the markup to the parser.
# Possessive quantifiers (`*+`, `++`): the engine keeps no backtracking state (a third less
# work), and what they accept the backtracking form accepts too, so the check stays safe.
_SPACE = r"[ \t\n\r\f]"
_NOT = r"<>\x00\x01"  # characters no attribute may hold
_ATTRIBUTES = (
    rf"(?:{_SPACE}++[^\s\"'/={_NOT}]++(?:{_SPACE}*+={_SPACE}*+"
    rf"(?:\"[^\"{_NOT}]*+\"|'[^'{_NOT}]*+'|[^\s\"'=`{_NOT}]++))?+)*+{_SPACE}*+/?+"
)
_ALL_ATTRIBUTES = re.compile(rf"{_ATTRIBUTES}(?:\x00{_ATTRIBUTES})*+")
# A comment must not hold "--" nor start with ">" or "->", where parser versions disagree.
_COMMENT = re.compile(r"<!--(?![->])(?:[^-]|-(?!-))*-->")
# Elements whose content the parser does not read as ordinary markup, or reads differently
# from one Python release to the next (raw text, RCDATA, foreign content), or hides.
_SPECIAL = _SKIPPED_ELEMENTS | {
    "textarea", "xmp", "iframe", "noembed", "noframes", "plaintext", "math",
}  # fmt: skip
# Where a tag adds no space, a form feed: entities end at it as they end at the end of the text
# between two tags, which is where the parser decodes them. Removed after decoding.
_CUT = "\f"
_SPACING = dict.fromkeys(_BREAKING_ELEMENTS, " ")


def html_to_text(markup: str) -> str:
    """Strip tags, drop script/style content, decode entities exactly once, fold whitespace:
    exactly `parsed_text(markup)`, many times faster on simple markup (see below)."""
    if "<" not in markup:  # text with entities only: the parser decodes it all at once
        return fold_whitespace(unescape(markup) if "&" in markup else markup)
    if _CUT in markup or _SEPARATOR in markup or _COMMENT_MARK in markup:
        return parsed_text(markup)
    text = _COMMENT.sub(_COMMENT_MARK, markup) if "<!--" in markup else markup
    parts = _TAG.split(text)  # text, name, attributes, text, name, attributes, ..., text
    names = _SEPARATOR.join(parts[1::3]).lower().split(_SEPARATOR)
    attributes = _SEPARATOR.join(parts[2::3])
    if len(parts) == 1 or not _SPECIAL.isdisjoint(names):
        return parsed_text(markup)
    if _ALL_ATTRIBUTES.fullmatch(attributes) is None:
        return parsed_text(markup)
    parts[1::3] = map(_SPACING.get, names, repeat(_CUT))  # no Python loop: feeds hold many tags
    parts[2::3] = [""] * len(names)
    text = "".join(parts).replace(_COMMENT_MARK, _CUT)
    if "<" in text:  # a "<" that starts no simple tag
        return parsed_text(markup)
    if "&" in text:
        cuts = text.count(_CUT)
        text = unescape(text)
        if text.count(_CUT) != cuts:  # "&#12;" decoded to a form feed
            return parsed_text(markup)
    return fold_whitespace(text.replace(_CUT, ""))


def plain_to_text(text: str) -> str:
    """Clean text that is meant to be plain already: entities stay as written, stray tags go."""
    if "<" in text:
        text = _TAG_LIKE.sub(" ", text)
    return fold_whitespace(text)


def shorten(text: str, limit: int, ellipsis: str = "…") -> str:
    """Cut `text` to at most `limit` characters at a word boundary, marking the cut."""
    if len(text) <= limit:
        return text
    room = limit - len(ellipsis)
    if room <= 0:  # a computed budget of nothing must still be honoured, never exceeded
        return ellipsis[: max(limit, 0)]
    cut = text.rfind(" ", 0, room + 1)
    if cut < room // 2:  # one giant word: cutting inside it beats dropping most of the text
        cut = room
    return text[:cut].rstrip() + ellipsis
