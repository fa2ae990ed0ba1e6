"""The tagger's normaliser: length-preserving folds, whatever the script or punctuation."""

from __future__ import annotations

import pytest

from bot.tagging.normalize import Normaliser, _fold_char

N = Normaliser()


def fold_by_character(text: str) -> str:
    """The reference: each character folded alone (outside the BMP: a space)."""
    return "".join(_fold_char(c) if ord(c) < 0x10000 else " " for c in text)


TEXTS = [
    ("Iraq's PMF", "Iraq s PMF"),
    ("Iraq’s “PMF” — in Ḩalab… ok", "Iraq s  PMF    in Halab  ok"),
    ("Côte d’Ivoire\xa0and Türkiye", "Cote d Ivoire and Turkiye"),
    ("Ṣanʿāʾ", "San a "),
    ("Київ – Kyiv", "       Kyiv"),  # other scripts: no alias uses them
    ("دمشق Damascus", "     Damascus"),
    ("Guinea-Bissau, 2024🙂", "Guinea Bissau  2024 "),
    ("Straße in München, señor", "Strase in Munchen  senor"),  # Latin-1 only: the byte table
    ("İstanbul, Łódź; Şırnak", "Istanbul  Lodz  Sirnak"),  # beyond Latin-1: the handler
    ("Путин, é ş: Kyiv", "       e s  Kyiv"),  # a run mixing scripts keeps its letters
    ("Путин заявил. Москва", " " * 20),  # a run without a letter: all spaces
    ("", ""),
]


@pytest.mark.parametrize(("text", "folded"), TEXTS)
def test_fold_keeps_length_and_matches_the_per_character_fold(text: str, folded: str) -> None:
    assert N.fold(text) == folded == fold_by_character(text)
    assert len(N.fold(text)) == len(text)
    kept, lowered = N.fold_and_lower(text)
    assert kept == folded
    assert lowered == folded.lower().encode("ascii")
