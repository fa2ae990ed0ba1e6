"""Datelines: "DUBAI (Reuters) -", "BANGKOK, Jan 5 (AP) —", "KYIV, Ukraine —".

A dateline says where the reporter filed from, and wire desks file stories about a whole region
from a few hubs (Dubai for Iran, Beirut for Syria, Nairobi for Somalia). So a place in a dateline
is weak evidence: it locates the story only when nothing else does (see evidence.py).

Accepted forms, at the very start of a field: a city in capitals, or any city followed by a news
agency in parentheses; then optionally ", Region" and ", date"; then a dash. A Title Case city
without an agency ("Gaza - Israeli strikes...") is too often a headline to count, and so is a
field in capitals throughout ("IRAN - US TALKS FAIL").
"""

from __future__ import annotations

import re

_WORD = r"[^\W\d_](?:[^\W\d_]|['’.])*"
_DATELINE = re.compile(
    rf"\s*(?P<place>{_WORD}(?:[ -]{_WORD}){{0,3}})"  # DUBAI, MEXICO CITY, N'DJAMENA, Quito
    rf"(?:,\s*{_WORD}(?: {_WORD}){{0,2}})?"  # , Ukraine / , Calif.
    r"(?:,\s*(?:[^\W\d_]{3,9}\.? \d{1,2}(?:,? \d{4})?|\d{1,2} [^\W\d_]{3,9}\.?(?: \d{4})?))?"
    r"\s*(?P<agency>\([^\W\d_][^()\n]{0,30}\))?"  # (Reuters), (AP), (ANSA)
    r"\s*(?:--|[-–—])\s"
)
_LOWER = re.compile(r"[a-z]")
# A dateline ends with a dash within its first characters. Testing for one with `in` first is
# far cheaper than running the pattern, and most fields have none.
_LONGEST = 90


def dateline_length(field: str) -> int:
    """How many leading characters of `field` are a dateline (0 when there is none)."""
    head = field[:_LONGEST]
    if "- " not in head and "—" not in head and "–" not in head:
        return 0
    found = _DATELINE.match(head)
    if found is None or _LOWER.search(field, found.end(), found.end() + 80) is None:
        return 0
    place = found.group("place")
    if found.group("agency") is None and not (place.isupper() and len(place) >= 3):
        return 0
    return found.end()
