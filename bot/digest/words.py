"""Words as clustering and ranking compare them: accents folded, marks dropped, numbers and
synonyms unified ("dead", "died", "killed" -> "kill"), crudely stemmed, names told apart.

Both sides of a comparison are normalised alike, so only consistency matters. Results are
cached: digest windows overlap, and ranking reads each headline several times.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Texts whose words are kept between digest builds: windows overlap and several subscriptions read
# the same articles, so each article is normally read once. About 3.5 kB each (measured with
# tracemalloc, headline cache included): at most ~90 MB, and only on an install that busy.
TEXT_CACHE = 25_000

_TOKEN = re.compile(r"\d{1,3}(?:,\d{3})+(?!\d)|\w+(?:['’.]\w+)*")
_NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "dozen": "12",
    "thirteen": "13", "fourteen": "14", "fifteen": "15", "sixteen": "16", "seventeen": "17",
    "eighteen": "18", "nineteen": "19", "twenty": "20", "thirty": "30", "forty": "40",
    "fifty": "50", "hundred": "100",
}  # fmt: skip
# Words outlets use interchangeably for the same fact; folded before stemming.
_SYNONYMS = {
    "killed": "kill", "killing": "kill", "killings": "kill", "dead": "kill", "death": "kill",
    "deaths": "kill", "die": "kill", "dies": "kill", "died": "kill", "deadly": "kill",
    "airstrike": "strike", "airstrikes": "strike", "struck": "strike",
    "blast": "explosion", "blasts": "explosion", "explosions": "explosion",
    "exploded": "explosion", "explodes": "explosion", "explode": "explosion",
    "kidnapped": "kidnap", "kidnapping": "kidnap", "abducted": "kidnap",
    "abducts": "kidnap", "abduction": "kidnap", "abduct": "kidnap",
    "vessel": "ship", "vessels": "ship",
    "american": "usa", "americans": "usa", "uav": "drone", "uavs": "drone",
}  # fmt: skip
_STOP_WORD_TEXT = """
    a about above after again against all also am amid among an and any are around as at be been
    before being below between both but by can could did do does during each few for from further
    had has have having he her here hers him his how i if in into is it its itself just least let
    me more most much my near no nor not now of off on once only or other our out over own per
    said same say says she should since so some such than that the their them then there these
    they this those through to too under until up upon us very via was we were what when where
    which while who whom why will with within would you your
    according week weeks day days hour hours today yesterday tonight morning evening night
    monday tuesday wednesday thursday friday saturday sunday
    new news latest live update updates breaking exclusive watch video photos analysis opinion
    report reports reported official officials people told statement sources source
"""
_STOP_WORDS = frozenset(_STOP_WORD_TEXT.split())
# Apostrophes, transliterations' ʿayn/hamza marks and abbreviation dots vanish inside a word.
_DROPPED_MARKS = str.maketrans("", "", "'.ʹʺʻʼʽʾʿˈˊˋ`´′‵")
_SENTENCE_OPENERS = ".:;!?\"'“‘([-–—|"  # a capital after one of these may just start a sentence
_KEEP_FINAL_S = ("ss", "us", "is", "as")  # Hamas, Abbas, ISIS, virus: not plurals


def words(text: str) -> list[str]:
    """Every word of `text`, normalised as described in the module docstring, stop words kept."""
    return list(_words(text))


def content_words(text: str) -> list[str]:
    """The words of `text` that say what happened: stop words removed, order kept."""
    return [word for word in _words(text) if word not in STOP_STEMS]


@lru_cache(maxsize=TEXT_CACHE)
def _words(text: str) -> tuple[str, ...]:
    """`words`, kept: ranking reads each headline several times (severity, dead, lead)."""
    return tuple(word for word, _ in tokens(text))


def tokens(text: str) -> list[tuple[str, bool]]:
    """Each normalised word of `text` with whether it is a name."""
    folded = _fold_accents(text)
    matches = list(_TOKEN.finditer(folded))
    raw = [match.group() for match in matches]
    if _is_title_case(raw[1:]):
        tokens = [(_normalise_token(token), False) for token in raw]
    else:
        tokens = [
            (_normalise_token(token), token[0].isupper() and _is_name(folded, match))
            for token, match in zip(raw, matches, strict=True)
        ]
    return [(word, name) for word, name in tokens if word]  # "ʿ" alone normalises to nothing


def _fold_accents(text: str) -> str:
    if text.isascii():  # most feed text: nothing to fold
        return text
    folded = unicodedata.normalize("NFKD", text)
    return "".join(char for char in folded if not unicodedata.combining(char))


def _is_title_case(raw_words: list[str]) -> bool:
    """Headlines In Title Case capitalise every word, so capitals there say nothing about names."""
    long_words = [word for word in raw_words if word.isalpha() and len(word) >= 4]
    capitalised = sum(word[0].isupper() for word in long_words)
    return len(long_words) >= 3 and capitalised >= 0.75 * len(long_words)


def _is_name(text: str, match: re.Match[str]) -> bool:
    """A capitalised word that does not open a sentence (or an all-capitals acronym)."""
    if not match.group()[0].isupper():
        return False
    position = match.start() - 1
    while position >= 0 and text[position].isspace():
        position -= 1
    return position >= 0 and text[position] not in _SENTENCE_OPENERS


@lru_cache(maxsize=1 << 17)  # news reuses a small vocabulary: most tokens are seen before
def _normalise_token(raw: str) -> str:
    token = raw.replace("’", "'")
    if token.endswith("'s"):
        token = token[:-2]
    token = token.translate(_DROPPED_MARKS)  # Kata'ib = Kataib, Sanʿaʾ = Sana, U.S = US
    if token in ("US", "USA"):  # upper case only: lower-case "us" is a pronoun
        return "usa"
    token = token.lower()
    if token[:1].isdigit():
        return token.replace(",", "")
    token = _NUMBER_WORDS.get(token, token)
    return _stem(_SYNONYMS.get(token, token))


def _stem(word: str) -> str:
    """Strip plural and -ed/-ing endings so "strikes", "striking" and "strike" meet; crude on
    purpose: both sides of a comparison are stemmed alike, so only consistency matters."""
    if len(word) <= 3 or not word.isalpha():
        return word
    stem = _strip_suffix(word)
    if stem != word and len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
        stem = stem[:-1]  # planned -> plann -> plan
    if stem.endswith("e") and len(stem) > 3:
        stem = stem[:-1]  # seize, seized, seizes -> seiz
    return stem


def _strip_suffix(word: str) -> str:
    if word.endswith(("ies", "ied")) and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "ches", "shes", "xes", "zes")):
        return word[:-2]
    if word.endswith("ias") or (word.endswith("s") and not word.endswith(_KEEP_FINAL_S)):
        return word[:-1]
    if word.endswith("ing") and len(word) >= 6:
        return word[:-3]
    if word.endswith("ed") and not word.endswith("eed") and len(word) >= 5:
        return word[:-2]
    return word


# Stop words meet text after normalisation ("were" becomes "wer"), so they are normalised too.
STOP_STEMS = frozenset(_normalise_token(word) for word in _STOP_WORDS)
