"""Turning what a person types into a safe FTS5 query: everything is searched literally."""

from __future__ import annotations

import re
import unicodedata

MAX_SEARCH_CHARS = 300
MAX_SEARCH_TERMS = 20
_TOKEN = re.compile(r'"([^"]*)"|(\S+)')


class SearchQueryError(ValueError):
    """Search text we will not run, with the reason and the fix."""


def _words(text: str) -> list[str]:
    """Runs of letters, digits and combining marks, so FTS5 tokenises the query exactly as it
    tokenised the text. `\\w` stops at marks: it split a decomposed "Türkiye" (as some keyboards
    and pasted text give it) into "Tu rkiye", which matches nothing."""
    kept = (c if c.isalnum() or unicodedata.category(c).startswith("M") else " " for c in text)
    return "".join(kept).split()


def _phrase(words: list[str]) -> str:
    # Inside double quotes FTS5 treats every character literally; our words hold no quotes,
    # so operators (AND, NEAR, *, parentheses, column filters) lose their meaning.
    return '"' + " ".join(words) + '"'


def fts_query(text: str) -> str:
    """Words are ANDed; "quoted words" must appear together. Raises SearchQueryError."""
    text = text.strip()
    if not text:
        raise SearchQueryError("the search text is empty: give one or more words")
    if len(text) > MAX_SEARCH_CHARS:
        raise SearchQueryError(
            f"the search text is too long ({len(text)} characters): use at most {MAX_SEARCH_CHARS}"
        )
    terms = []
    for quoted, bare in _TOKEN.findall(text):
        words = _words(quoted or bare)
        if words:
            terms.append(_phrase(words))
    if not terms:
        raise SearchQueryError(f"the search text {text!r} has no letters or digits to look for")
    if len(terms) > MAX_SEARCH_TERMS:
        raise SearchQueryError(
            f"the search text has {len(terms)} terms: use at most {MAX_SEARCH_TERMS}"
        )
    return " ".join(terms)
