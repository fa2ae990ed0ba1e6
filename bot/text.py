"""Turning hostile feed markup into clean, bounded plain text.

Shared by ingest (titles, summaries) and tagging (JSON-lines input may hold HTML). Pure functions.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

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


def html_to_text(markup: str) -> str:
    """Strip tags, drop script/style content, decode entities exactly once, fold whitespace."""
    if "<" not in markup and "&" not in markup:
        return fold_whitespace(markup)
    extractor = _TextExtractor()
    extractor.feed(markup)
    extractor.close()
    return fold_whitespace("".join(extractor.parts))


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
