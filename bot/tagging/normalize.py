"""Length-preserving text normalisation shared by the tagger, the alias keys and user lookups.

Every character of the input maps to exactly one character of the output, so an offset found in
the normalised text is the same offset in the text the user sees. Three forms exist:

* `folded`: ASCII only; diacritics removed (Ḩalab -> Halab), apostrophes, hyphens, dashes and
  all other punctuation turned into spaces, case kept. Letters of scripts no alias uses
  (Cyrillic, Arabic...) are spaces too. Case rules (acronyms, capitals) read it.
* `lowered`: `folded` in lower case. The automaton runs over it.
* `key`: `lowered` with runs of spaces collapsed and trimmed: how aliases are stored.

Turning punctuation into spaces makes every word boundary a space, so the automaton can store
keys padded with one space on each side and only ever report whole-word matches. "Iraq's"
becomes "iraq s" (possessive keeps the name whole), "Guinea-Bissau" becomes "guinea bissau".
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Mapping
from types import MappingProxyType

_SPACES = re.compile(r" {2,}")
# Letters NFD cannot split into a base letter plus marks, but which news text spells both ways.
_EXTRA_FOLDS = {
    "ı": "i", "İ": "I", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D",
    "ħ": "h", "Ħ": "H", "ŧ": "t", "Ŧ": "T", "ß": "s", "æ": "a", "Æ": "A", "œ": "o", "Œ": "O",
    "þ": "t", "Þ": "T", "ð": "d", "Ð": "D", "ŋ": "n", "Ŋ": "N", "ə": "a", "Ə": "A", "ǝ": "e",
    "ʃ": "s",
}  # fmt: skip
# Modifier letters used as ʿayn/hamza in transliterations (Ṣanʿāʾ): read like apostrophes.
_APOSTROPHE_LIKE = "ʹʺʻʼʽʾʿˈˊˋ`´′‵"


def _fold_char(char: str) -> str:
    """One character's folded form, always one ASCII character: a base letter or digit, else a
    space (punctuation, symbols, and letters and digits of scripts no alias uses)."""
    if char in _EXTRA_FOLDS:
        return _EXTRA_FOLDS[char]
    if char in _APOSTROPHE_LIKE:
        return " "
    category = unicodedata.category(char)
    if char.isascii():
        return char if category[0] in "LN" else " "
    if category[0] in "PSZC" or category == "Mn":  # a stray combining mark would glue words
        return " "
    base = unicodedata.normalize("NFD", char)[0]
    return base if base.isascii() and base.isalpha() else " "


class _NonAsciiTable(dict[int, str]):
    """Folds for the Basic Multilingual Plane; anything beyond (emoji) reads as a space."""

    def __missing__(self, code: int) -> str:
        return " "


def _build_other_table() -> Mapping[int, str]:
    table = _NonAsciiTable((code, _fold_char(chr(code))) for code in range(128, 0x10000))
    # ASCII punctuation and spaces fold to a space either way; listed so a run of another
    # script can take in the spaces and punctuation between its words (see below).
    table.update((ord(char), " ") for char in _ASCII_NOT_ALNUM)
    return MappingProxyType(table)


_ASCII_NOT_ALNUM = "".join(chr(code) for code in range(128) if not chr(code).isalnum())
# Built once at import (about 0.1 s) and never changed: the fold of every non-ASCII character.
_OTHER = _build_other_table()
# The fold of every Latin-1 character as a byte table: Latin-1 text (English, French, German,
# Spanish news) is encoded and folded at C speed, with no Python call per accented letter.
_LATIN1 = bytes(ord(_fold_char(chr(code))) for code in range(256))
_ERROR_HANDLER = "sitrep.tagging.fold"
# From a character the Latin-1 codec cannot encode, the run up to the next ASCII letter or
# digit: a whole Cyrillic or Arabic sentence is then one call of the handler, not one per word.
_FOLD_RUN = re.compile(r"[^A-Za-z0-9]+")
# The non-ASCII characters that fold to a letter or digit (é, ß, ı...): a run without any is
# all spaces, which spares the per-character lookups of a long run in another script.
_FOLDS_TO_LETTER = re.compile(
    "[" + "".join(re.escape(chr(code)) for code, folded in _OTHER.items() if folded != " ") + "]"
)


def _fold_unencodable(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: the Latin-1 encoder calls it for each run of other characters, so
    Latin-1 text (most of any news feed) is folded at C speed and only the rest is looked up."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    run = _FOLD_RUN.match(error.object, error.start)
    end = run.end() if run is not None else error.end  # never None: it starts at a non-ASCII
    text = error.object[error.start : end]
    if _FOLDS_TO_LETTER.search(text) is None:  # Cyrillic, Arabic...: all spaces, at C speed
        return " " * len(text), end
    return text.translate(_OTHER), end  # a dictionary lookup per character


codecs.register_error(_ERROR_HANDLER, _fold_unencodable)

# The characters beyond Latin-1 that news text uses most, all folding to a space: replaced at
# C speed before encoding, so that the error handler (a Python call per run) is left with the
# rest.
_COMMON_PUNCTUATION = "\u2019\u2018\u201c\u201d\u2014\u2013\u2026"  # ’‘“”—–…
assert all(_OTHER[ord(char)] == " " for char in _COMMON_PUNCTUATION)


def _without_common_punctuation(text: str) -> str:
    for char in _COMMON_PUNCTUATION:
        if char in text:
            text = text.replace(char, " ")
    return text


class Normaliser:
    """Folds text; pure and safe to share between threads (its tables are read-only)."""

    def _fold_bytes(self, text: str) -> bytes:
        if not text.isascii():
            text = _without_common_punctuation(text)
        return text.encode("latin-1", _ERROR_HANDLER).translate(_LATIN1)

    def fold(self, text: str) -> str:
        """Same length as `text`, ASCII only: diacritics folded, punctuation and letters of
        other scripts to spaces, case kept."""
        return self._fold_bytes(text).decode("ascii")

    def fold_and_lower(self, text: str) -> tuple[str, bytes]:
        """`fold(text)` and its lower-case form as ASCII bytes (the automaton reads bytes)."""
        folded = self._fold_bytes(text)
        return folded.decode("ascii"), folded.lower()

    def key(self, text: str) -> str:
        """The comparison form of an alias or of what a user typed."""
        return _SPACES.sub(" ", self.fold(text).lower()).strip()

    def key_keep_case(self, text: str) -> str:
        """Like `key` but keeping case: what an acronym must look like in `folded` text."""
        return _SPACES.sub(" ", self.fold(text)).strip()


_VOWEL_PAIR = re.compile(r"(?<=[aeiou])(?=[aeiou])")


def apostrophe_variants(key: str) -> list[str]:
    """Keys for spellings with one apostrophe the alias does not show.

    The text "Kata'ib" normalises to "kata ib", so an alias written "Kataib" also needs the key
    "kata ib". Transliterated Arabic puts its apostrophes between two vowels (Kata'ib, Sana'a,
    Ta'izz, Jama'at, Shi'a), so one variant per vowel pair covers the spellings seen in news.
    Only for words of 5+ letters, where a split never makes an ordinary word.
    """
    variants: list[str] = []
    offset = 0
    for word in key.split(" "):
        if len(word) >= 5:
            for match in _VOWEL_PAIR.finditer(word):
                cut = offset + match.start()
                variants.append(key[:cut] + " " + key[cut:])
        offset += len(word) + 1
    return variants
