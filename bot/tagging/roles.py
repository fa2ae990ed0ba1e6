"""Is a country named as the place where things happen (location) or as a party (mention)?

Each function reads the lower-cased, normalised text around one match (punctuation is already
spaces, so "Iranian-backed" reads "iranian backed" and "Iraq's" reads "iraq s"). They are
heuristics tuned on the development sets; each pattern says why it exists.
"""

from __future__ import annotations

import re

# "Iranian-backed militia", "Saudi-led coalition", "US-made drones": the country is a sponsor.
_PARTY_SUFFIX = re.compile(
    r" (?:backed|led|made|funded|allied|supplied|sponsored|brokered|trained|armed|aligned|"
    r"affiliated|linked|based|built|supported|designated|controlled|run|installed|"
    r"mediated|drafted|proposed|imposed|manufactured|flagged|registered)\b"
)
# "Washington said", "Moscow has denied", "Iran on Monday warned": the government speaking.
_SPEECH = re.compile(
    r" (?:(?:has|have|had|also|later|again|previously|reportedly|quickly|publicly|officially|"
    r"strongly|firmly|repeatedly|swiftly|promptly|formally|would|will|could|may|might|"
    r"did not|does not|has not|is|was|were) )?(?:on \w+ )?"
    r"(?:said|says|denied|denies|deny|warned|warns|accused|accuses|rejected|rejects|condemned|"
    r"condemns|urged|urges|called on|calls on|announced|announces|insisted|insists|vowed|vows|"
    r"threatened|threatens|blamed|blames|responded|dismissed|dismisses|welcomed|welcomes|"
    r"demanded|demands|confirmed|confirms|stated|argued|argues|told|tells|declared|declares|"
    r"pledged|pledges|promised|promises|agreed|agrees|signed|signs|sanctioned|sanctions|"
    r"recalled|recalls|summoned|summons|expelled|expels|protested|criticized|criticised|"
    r"criticizes|criticises|praised|praises|offered|offers|sought|seeks|proposed|proposes|"
    r"expressed|expresses|opposed|opposes|voted|votes|imposed|imposes|approved|approves|"
    r"announced|hailed|hails|slammed|slams|denounced|denounces|wants|hopes|fears|believes|"
    r"considers|sees|plans|intends|refused|refuses|retaliated|retaliates|responded|responds|"
    r"ordered|orders|pressed|presses|mediated|brokered|supplied|supplies|backed|backs|"
    r"supported|supports|funded|funds|armed|arms|sent|sends|deployed|deploys|dispatched|"
    r"has been|have been|is to|plans to|wants to|is ready|is prepared|insists|"
    r"conducted|conducts|launched|launches|carried out|carries out|struck|strikes|bombed|"
    r"bombs|shelled|shells|attacked|attacks|invaded|invades|intervened|intervenes|fired|fires|"
    r"hit|hits|targeted|targets|downed|intercepted|intercepts|restore|restores|restored|"
    r"expels|expelled|suspends|suspended|recognises|recognizes|recognised|recognized|"
    r"(?:is|are|was|were) \w+ing)\b"
)
_COORDINATED = (
    re.compile(r" and (?:the )?[a-z]+(?: s)?(?= )"),
    re.compile(r" and (?:the )?[a-z]+ [a-z]+(?: s)?(?= )"),
)
# "Iran's foreign minister", "Turkish forces", "US sanctions": the state as an actor.
_STATE_ORGAN = (
    r"(?:foreign|defence|defense|interior|prime|president|presidential|presidency|government|"
    r"ministry|minister|ministers|ambassador|envoy|embassy|consulate|officials?|spokes\w+|"
    r"leader|leadership|king|crown|supreme|military|army|armed forces|navy|naval|air force|"
    r"forces|troops|soldiers|intelligence|spy|spies|state media|state television|state tv|"
    r"news agency|delegation|regime|diplomats?|diplomacy|mission|counterpart|warplanes|jets|"
    r"fighter jets|aircraft|drones?|missiles?|special forces|commandos|peacekeepers|contingent|"
    r"mediators?|negotiators?|central bank|parliament|cabinet|national security|security council|"
    r"revolutionary guards?|proxies|proxy|allies|ally|backers?|sponsors?|"
    r"top diplomat|top general|general|generals|commanders?|patrols?|convoys?|"
    r"officers?|secret service|coast guard|frigate|warships?|submarine|border guards?|"
    r"artillery|airstrikes?|air strikes?|strikes|raids?|shelling|bombardment|operations?|"
    r"base|bases|sanctions|curbs|tariffs|restrictions|embargo|export controls|aid|"
    r"weapons|arms|group|groups|operatives|agents|mercenaries|made|built)\b"
)
# "Venezuelan migrants", "Afghan refugees": people of that nationality, usually elsewhere.
_PEOPLE = (
    r"(?:refugees?|migrants?|nationals?|citizens?|asylum seekers|expatriates|diaspora|"
    r"tourists?|pilgrims|returnees|deportees|exiles|hostages|detainees|prisoners|sailors|"
    r"seafarers|crew|fishermen|volunteers|settlers|workers|students|residents of|hackers|"
    r"hacking groups?|cybercriminals|ransomware gangs?|"
    r"dollars?|currency|pound|rial|lira|dinar)\b"
)
_POSSESSIVE_ORGAN = re.compile(r" s (?:\w+ ){0,2}?" + _STATE_ORGAN)
_DEMONYM_ORGAN = re.compile(r" (?:\w+ ){0,2}?" + _STATE_ORGAN)
_DEMONYM_PEOPLE = re.compile(r" (?:\w+ ){0,2}?" + _PEOPLE)
# "military forces of Armenia", "forces of India and Pakistan", "troops from Chad".
_ORGAN_OF = re.compile(
    r"(?:forces|force|army|military|government|troops|soldiers|ministry|embassy|ambassador|"
    r"president|king|navy|intelligence|organization|organisation|agency|ministers?|officials?|"
    r"consulate|envoy|delegation|authorities|police|gendarmerie|militias?|units?|contingent|"
    r"peacekeepers|nationals?|citizens?|militants?|fighters|mercenaries|refugees|migrants) "
    r"(?:of|from) (?:the )?(?:[a-z]+ (?:[a-z]+ )?and )?$"
)
# "returned from Peru", "trucks coming from Bangladesh", "deported to Afghanistan": the
# country is where people come from or go, not where the event is.
_MOVEMENT = re.compile(
    r"(?:(?:returned|returning|return|returns|back|fled|fleeing|flee|repatriated|repatriation|"
    r"travelled|traveled|travelling|traveling|trip|coming|came|arrived|arriving|transferred|"
    r"smuggled|smuggling|imported|exported|flights?|flew|flown|taken|brought|moved|relocated|"
    r"escaped|evacuated|sent back|migration|routes?|displaced|launched|fired|shot) "
    r"(?:\w+ ){0,2}?(?:from|to|into) |(?:way|bound|headed|heading|en route|on their way) to "
    r"|(?:through|via) )(?:the )?(?:neighbouring |neighboring )?$"
)
# "border with Mali", "integration with Russia", "talks with Iran": the other party.
_RELATION = re.compile(
    r"(?:border|borders|frontier|integration|relations|ties|talks|agreement|deal|treaty|"
    r"union|cooperation|trade|negotiations|accord|alliance|normalisation|normalization|"
    r"dispute|rapprochement|summit|meeting|call|rift|spat|row|tensions?) "
    r"(?:\w+ )?(?:with|between|to) (?:the )?(?:[a-z]+ and )?$"
)
# "the Iranian border", "the Yemeni-Saudi border": the far side of a border.
_BORDER_AFTER = re.compile(r" (?:border|borders|frontier|side of the border)\b")
_PRO_ANTI = re.compile(r"\b(?:pro|anti|non) $")
# "Tehran warns Israel", "Kinshasa accuses Kigali", "vessels linked to Israel": the country is
# the one addressed or connected, not where things happen.
_ADDRESSEE = re.compile(
    r"\b(?:warns?|warned|threaten(?:s|ed)?|accus(?:es|ed|e)|urg(?:es|ed|e)|condemn(?:s|ed)?|"
    r"slam(?:s|med)?|blam(?:es|ed|e)|sanction(?:s|ed)?|criticis(?:es|ed)|criticiz(?:es|ed)|"
    r"punish(?:es|ed)?|retaliate against|retaliation against|linked to|tied to|bound for|"
    r"owned by|belonging to|loyal to|allied with|aligned with|close to|backed by|funded by|"
    r"supported by|armed by|trained by|sponsored by) (?:the )?$"
)
# "Russia behind attack", "Israel would be punished": the hidden hand or the target.
_BEHIND = re.compile(
    r" (?:(?:is |was |were |are )?behind|(?:would|will|must|should|could) (?:be|face|pay))\b"
)
# "discussed the war in Sudan", "talks on a ceasefire in Gaza": the topic of a meeting.
_TOPIC = re.compile(
    r"\b(?:discuss(?:ed|es|ing)?|focus(?:ed|es|ing)? on|talks? (?:on|about)|about|over) "
    r"(?:the |a )?(?:possible |proposed |new |ongoing )?"
    r"(?:war|ceasefire|conflict|crisis|situation|truce|peace|fighting|aid) in (?:the )?$"
)
_WINDOW = 60
# The words each "before" pattern above can end with (then maybe "the"). Searching a window
# with a regular expression that ends in `$` tries every start position, so `_named_as_party`
# only searches with the patterns that can end with the word actually before the match, and
# with none for most matches.
_ENDINGS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (_ORGAN_OF, ("of", "from", "and")),
    (_MOVEMENT, ("from", "to", "into", "through", "via", "neighbouring", "neighboring")),
    (_RELATION, ("with", "between", "to", "and")),
    (_PRO_ANTI, ("pro", "anti", "non")),
    (_ADDRESSEE, (
        "warn", "warns", "warned", "threaten", "threatens", "threatened", "accuse", "accuses",
        "accused", "urge", "urges", "urged", "condemn", "condemns", "condemned", "slam", "slams",
        "slammed", "blame", "blames", "blamed", "sanction", "sanctions", "sanctioned",
        "criticises", "criticised", "criticizes", "criticized", "punish", "punishes", "punished",
        "against", "to", "for", "by", "with",
    )),
    (_TOPIC, ("in",)),
)  # fmt: skip
_BEFORE_PARTY: dict[str, re.Pattern[str]] = {
    word: re.compile("|".join(f"(?:{p.pattern})" for p, words in _ENDINGS if word in words))
    for word in {word for _, words in _ENDINGS for word in words}
}
_LOCATIVE_WORDS = frozenset(
    {"in", "at", "near", "inside", "outside", "across", "throughout", "within"}
)


def _last_word(before: str) -> str:
    """The word right before a match, skipping an article ("in the Gaza Strip" -> "in")."""
    words = before[-40:].rsplit(None, 2)  # the last two words, after what precedes them
    if words and words[-1] in ("the", "a"):
        words.pop()
    return words[-1] if words else ""


def _squeezed(window: str) -> str:
    """Runs of spaces as one space ("U.S. envoy" reads "u s  envoy" once punctuation is gone).
    Runs are short, so `replace` beats a regular expression."""
    while "  " in window:
        window = window.replace("  ", " ")
    return window


def speaks(after: str) -> bool:
    """The country or its capital is the subject of a speech, policy or military verb, alone or
    with a partner ("Turkey and Russia conducted a joint patrol")."""
    if _SPEECH.match(after):
        return True
    for coordinated in _COORDINATED:
        partner = coordinated.match(after)
        if partner and _SPEECH.match(after, partner.end()):
            return True
    return False


def _named_as_party(before: str, last_word: str, after: str) -> bool:
    """A sponsor ("Iranian-backed"), owner of a named organ ("forces of Armenia"), origin or
    destination ("returned from Peru"), counterpart ("border with Mali"), addressee ("warns
    Israel"), topic ("talks on the war in Sudan") or the far side of a border."""
    if _PARTY_SUFFIX.match(after):
        return True
    before_party = _BEFORE_PARTY.get(last_word)
    return before_party is not None and before_party.search(before) is not None


def role_of(lowered: str, start: int, end: int, strength: str, comma_after: bool = False) -> str:
    """What one country match says: "location"; "party" (a sponsor, origin, destination,
    addressee, the far side of a border, or the nationality of people); or "state" (the state
    acting or speaking: "Iran said", "Turkish forces"). Parties and states are both mentions; a
    state is also the best guess of where things happen when nothing else in the article says
    (see the tagger). A name followed by a comma ("in Valparaiso, Zacatecas, armed men
    clashed") is no verb's subject."""
    before = _squeezed(lowered[max(0, start - _WINDOW) : start])
    after = "" if comma_after else _squeezed(lowered[end : end + _WINDOW])
    last_word = _last_word(before)
    if _named_as_party(before, last_word, after):
        return "party"
    if strength in ("name", "demonym") and _BORDER_AFTER.match(after):
        return "party"
    if strength == "demonym":
        if _DEMONYM_PEOPLE.match(after):
            return "party"
        return "state" if _DEMONYM_ORGAN.match(after) else "location"
    if strength in ("name", "capital"):
        return _state_or_location(last_word, after)
    return "location"


def _state_or_location(last_word: str, after: str) -> str:
    if _BEHIND.match(after):
        return "party"
    if speaks(after):  # "officials in Ankara said": still the government speaking
        return "state"
    if last_word in _LOCATIVE_WORDS:  # "in Jordan drone attack": the place itself
        return "location"
    as_state = _POSSESSIVE_ORGAN.match(after) or _DEMONYM_ORGAN.match(after)
    return "state" if as_state else "location"
