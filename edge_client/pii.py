"""Personal data in free text: what visitors of a CV chatbot plausibly type, found and replaced.

Kinds, each replaced by a placeholder naming it:

| kind | placeholder | found when |
| --- | --- | --- |
| ``email`` | ``[EMAIL]`` | an address with a dotted domain |
| ``card`` | ``[CARD]`` | 13-19 digits (spaces or dashes allowed) of a card network's range, Luhn checksum valid |
| ``iban`` | ``[IBAN]`` | country code, check digits and 11-30 letters or digits, ISO 7064 mod 97-10 valid |
| ``national_id`` | ``[NATIONAL_ID]`` | UK National Insurance number (HMRC's letter rules), UK NHS number after "NHS" (mod 11), US Social Security number (NNN-NN-NNNN, not an unissued range), Canadian SIN (NNN NNN NNN, Luhn), Irish PPS number, Spanish DNI and NIE (check letters) |
| ``dob`` | ``[DOB]`` | a full date after "date of birth", "DOB", "born (on)", "birthday" |
| ``ip`` | ``[IP]`` | an IPv4 or IPv6 address (not a version such as ``Chrome/120.0.0.0`` or ``v1.2.3.4``) |
| ``postcode`` | ``[POSTCODE]`` | a UK or Canadian postcode, an Irish Eircode, a US ZIP code after a state code, any postal code after "postcode", "zip", "postal code", "PLZ", "code postal" |
| ``phone`` | ``[PHONE]`` | 7-15 digits written as a phone number (see :func:`looks_like_phone`) |

Checksums come from python-stdnum (a pure-Python, dependency-free library of number formats),
IP addresses from the standard library's ``ipaddress``. Heuristics err on the side of privacy
only where a false positive is cheap: a postcode needs its full format, a date of birth its label,
a 5-digit postal code a label or a state, a card its checksum. ``bench/reliability/pii.py`` prints
precision and recall per kind on a labelled set that includes the near-misses that must stay
(order numbers, ISO dates, versions, prices, years, times).

The work is regular expressions over the text (and a checksum per candidate): it runs on the
edge client's sender thread, never on the chatbot's request path.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from stdnum import luhn
from stdnum.ca import sin
from stdnum.es import dni, nie
from stdnum.gb import nhs
from stdnum.ie import pps
from stdnum.iso7064 import mod_97_10
from stdnum.us import ssn

PLACEHOLDERS: dict[str, str] = {
    "email": "[EMAIL]",
    "card": "[CARD]",
    "iban": "[IBAN]",
    "national_id": "[NATIONAL_ID]",
    "dob": "[DOB]",
    "ip": "[IP]",
    "postcode": "[POSTCODE]",
    "phone": "[PHONE]",
}
#: Kinds in order of precedence: where two findings overlap, the earlier kind wins.
KINDS: tuple[str, ...] = tuple(PLACEHOLDERS)
ALL_KINDS = frozenset(KINDS)
CONTACT_DETAILS = frozenset({"email", "phone"})


@dataclass(frozen=True, slots=True)
class PiiMatch:
    kind: str
    start: int
    end: int


# -- email -----------------------------------------------------------------------------------------

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")

# -- card: digits in groups, a network's first digit, the Luhn checksum ----------------------------

_CARD = re.compile(r"(?<![\w+\-.])[2-6]\d{3}(?:[ \-]?\d){9,15}(?![\w\-]|\.\d)")
_SEPARATORS = re.compile(r"[\s\-./()]")


def _card(text: str) -> bool:
    digits = _SEPARATORS.sub("", text)
    return 13 <= len(digits) <= 19 and luhn.is_valid(digits)


# -- IBAN: country, check digits, BBAN; mod 97-10 of the rearranged number ---------------------------

_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b", re.IGNORECASE)


def _iban_end(text: str) -> int:
    """Length of the longest valid IBAN at the start of ``text`` (0: none).

    The pattern may run on into a following word ("... 7654 32 THAN"), so shorter prefixes ending
    at a group boundary are tried too.
    """
    ends = [match.end() for match in re.finditer(r"[A-Z0-9]+", text, re.IGNORECASE)]
    for end in reversed(ends):
        compact = text[:end].replace(" ", "").upper()
        if 15 <= len(compact) <= 34 and mod_97_10.is_valid(compact[4:] + compact[:4]):
            return end
    return 0


# -- national identifiers ------------------------------------------------------------------------

# HMRC: first letter not D, F, I, Q, U, V; second not D, F, I, O, Q, U, V; prefixes BG, GB, KN,
# NK, NT, TN and ZZ never issued; suffix A-D.
_NINO = re.compile(
    r"\b(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
    r"[ \-]?\d{2}[ \-]?\d{2}[ \-]?\d{2}[ \-]?[A-D]\b",
    re.IGNORECASE,
)
_NHS = re.compile(r"\bNHS(?: number| no\.?)?:?\s*(\d{3}[ \-]?\d{3}[ \-]?\d{4})\b", re.IGNORECASE)
_SSN = re.compile(r"(?<![\w\-])\d{3}-\d{2}-\d{4}(?![\w\-])")
_SIN = re.compile(r"(?<![\w\-+])\d{3}([ \-])\d{3}\1\d{3}(?![\w\-])")
_PPS = re.compile(r"\b\d{7}[A-W][ABWTXZ]?\b")
_DNI = re.compile(r"\b\d{8}-?[A-Z]\b")
_NIE = re.compile(r"\b[XYZ]-?\d{7}-?[A-Z]\b")

_NATIONAL: tuple[tuple[re.Pattern[str], Callable[[str], bool] | None], ...] = (
    (_NINO, None),
    (_SSN, ssn.is_valid),
    (_SIN, sin.is_valid),
    (_PPS, pps.is_valid),
    (_DNI, dni.is_valid),
    (_NIE, nie.is_valid),
)

# -- date of birth, when labelled ----------------------------------------------------------------

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_DATE = (
    r"(?:\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})"
    r"|\d{4}[/.\-]\d{1,2}[/.\-]\d{1,2}"
    rf"|{_DAY}\s+(?:of\s+)?{_MONTH},?\s+\d{{4}}"
    rf"|{_MONTH}\s+{_DAY},?\s+\d{{4}})"
)
_DOB = re.compile(
    r"\b(?:date\s+of\s+birth|d\.?o\.?b\.?|born(?:\s+on)?|birth\s*date|birthday(?:\s+is)?)"
    rf"\s*(?:is\s+|was\s+|[:\-]\s*)?(?:the\s+)?({_DATE})(?!\d)",
    re.IGNORECASE,
)

# -- IP addresses ----------------------------------------------------------------------------------

_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?!\w|\.\d)")
_IPV6 = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{1,4}:){1,7}(?::|(?::[0-9A-Fa-f]{1,4}){1,7}|[0-9A-Fa-f]{1,4})"
    r"(?![\w:])"
)
#: Words after which a dotted quad is a version or a section, not an address.
_NOT_AN_ADDRESS = re.compile(
    r"(?:version|release|build|section|chapter|clause|paragraph|rule|step|v|ver\.?)\s*$",
    re.IGNORECASE,
)


def _ipv4(text: str, start: int, candidate: str) -> bool:
    before = text[max(0, start - 12) : start]
    if before.endswith("/") and len(before) >= 2 and before[-2].isalnum():
        return False  # a product token: Chrome/120.0.0.0
    if _NOT_AN_ADDRESS.search(before):
        return False
    try:
        ipaddress.IPv4Address(candidate)
    except ValueError:
        return False
    return True


def _ipv6(candidate: str) -> bool:
    if sum(char.isdigit() for char in candidate) < 1 or len(candidate.replace(":", "")) < 3:
        return False
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return False
    return True


# -- postcodes -------------------------------------------------------------------------------------

_UK_POSTCODE = re.compile(
    r"\b(?:[A-PR-UWYZ][A-HK-Y]?\d[A-HJKPSTUW\d]?|GIR) ?\d[ABD-HJLNP-UW-Z]{2}\b", re.IGNORECASE
)
_CA_POSTCODE = re.compile(
    r"\b[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d\b", re.IGNORECASE
)
#: Routing key (a letter and two digits, or D6W), then four characters, at least one a letter.
_EIRCODE = re.compile(
    r"\b(?:[AC-FHKNPRTV-Y]\d{2}|D6W) ?(?=[0-9]*[AC-FHKNPRTV-Y])[AC-FHKNPRTV-Y0-9]{4}\b"
)
_US_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ"
    "|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY"
)
_US_ZIP = re.compile(rf"\b(?:{_US_STATES}),?\s+(\d{{5}}(?:-\d{{4}})?)\b")
_LABELLED_POSTCODE = re.compile(
    r"\b(?:post\s*code|postal\s+code|zip(?:\s*code)?|plz|code\s+postal|cap)\s*(?:is\s+)?:?\s*"
    r"(\d{4,6}(?:-\d{3,4})?|[A-Z]{1,2}-?\d{4,5})\b",
    re.IGNORECASE,
)

# -- phone numbers -----------------------------------------------------------------------------------

# Candidates: an optional "+", then digits with the separators people type in phone numbers.
_PHONE = re.compile(r"(?<![\w+\-/.:#])(?:\+|\(\+?)?\d[\d ()\-.]{4,}\d(?![\w]|\.\d|-\w)")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DOTTED_QUAD = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_GROUP_SPLIT = re.compile(r"[ ()\-.]+")
#: Words after which a number is a reference, not a phone number.
_REFERENCE = re.compile(
    r"\b(?:order|ref(?:erence)?|invoice|ticket|case|booking|tracking|account|acct|po|isbn|issn"
    r"|id|job|issue|pr|#)\.?\s*(?:no\.?|number|#)?\s*:?\s*$",
    re.IGNORECASE,
)
MIN_PHONE_DIGITS = 7
MAX_PHONE_DIGITS = 15  # E.164


def looks_like_phone(candidate: str) -> bool:
    """7 to 15 digits written like a phone number; not an ISO date, a dotted quad or a decimal.

    With a leading "+" or a parenthesised area code: a phone number. A bare run of digits: only
    at national or international length (10 or more). Two groups: unless one is a decimal part or
    the two make a range. Dotted groups: 2 to 4 digits each (not a version number).
    """
    digits = sum(char.isdigit() for char in candidate)
    if not MIN_PHONE_DIGITS <= digits <= MAX_PHONE_DIGITS:
        return False
    if _ISO_DATE.fullmatch(candidate) or _DOTTED_QUAD.fullmatch(candidate):
        return False
    if candidate.startswith("+") or "(" in candidate:
        return True
    groups = [group for group in _GROUP_SPLIT.split(candidate) if group]
    if len(groups) == 1:
        return digits >= 10
    if len(groups) == 2:
        if "-" in candidate and len(groups[0]) == len(groups[1]) >= 4:
            return False  # a range: "2016-2019", "65000-75000"
        return "." not in candidate  # "555-1234" or "020 79460000", not "3.14159265"
    if "." in candidate and not all(2 <= len(group) <= 4 for group in groups):
        return False  # a version: "10.0.19045.2965", "2024.10.1"
    return [len(group) for group in groups] != [3, 2, 4]  # the shape of a US SSN


def _phone(text: str, start: int, candidate: str) -> bool:
    if _REFERENCE.search(text[max(0, start - 24) : start]):
        return False
    return looks_like_phone(candidate)


# -- finding and replacing -------------------------------------------------------------------------

_WORTH_A_LOOK = re.compile(r"[\d@]")
_NO_DIGITS = str.maketrans("", "", "0123456789")
_DOB_WORDS = ("birth", "dob", "d.o.b", "born")
_POSTCODE_WORDS = ("post", "zip", "plz", "code", "cap")


class _Text:
    """What every finder looks at first: the text, its digit count, its lower case."""

    __slots__ = ("digits", "lower", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.digits = len(text) - len(text.translate(_NO_DIGITS))
        self.lower = text.lower()


# Each finder first looks for what its kind cannot do without (an "@", enough digits, its label):
# most strings are ruled out for most kinds by a test far cheaper than the kind's own pattern.


def _emails(t: _Text) -> Iterator[tuple[int, int]]:
    if "@" in t.text:
        for match in _EMAIL.finditer(t.text):
            yield match.span()


def _cards(t: _Text) -> Iterator[tuple[int, int]]:
    if t.digits >= 13:
        for match in _CARD.finditer(t.text):
            if _card(match.group()):
                yield match.span()


def _ibans(t: _Text) -> Iterator[tuple[int, int]]:
    if t.digits >= 11:
        for match in _IBAN.finditer(t.text):
            end = _iban_end(match.group())
            if end:
                yield match.start(), match.start() + end


def _national_ids(t: _Text) -> Iterator[tuple[int, int]]:
    if t.digits >= 10 and "nhs" in t.lower:
        for match in _NHS.finditer(t.text):
            if nhs.is_valid(match.group(1)):
                yield match.span(1)
    if t.digits >= 6:
        for pattern, valid in _NATIONAL:
            for match in pattern.finditer(t.text):
                if valid is None or valid(match.group()):
                    yield match.span()


def _dates_of_birth(t: _Text) -> Iterator[tuple[int, int]]:
    if t.digits >= 4 and any(word in t.lower for word in _DOB_WORDS):
        for match in _DOB.finditer(t.text):
            yield match.span(1)


def _ip_addresses(t: _Text) -> Iterator[tuple[int, int]]:
    if t.digits >= 4 and t.text.count(".") >= 3:
        for match in _IPV4.finditer(t.text):
            if _ipv4(t.text, match.start(), match.group()):
                yield match.span()
    if t.text.count(":") >= 2:
        for match in _IPV6.finditer(t.text):
            if _ipv6(match.group()):
                yield match.span()


def _postcodes(t: _Text) -> Iterator[tuple[int, int]]:
    if not t.digits:
        return
    for pattern in (_UK_POSTCODE, _CA_POSTCODE, _EIRCODE):
        for match in pattern.finditer(t.text):
            yield match.span()
    if t.digits >= 5:
        for match in _US_ZIP.finditer(t.text):
            yield match.span(1)
    if t.digits >= 4 and any(word in t.lower for word in _POSTCODE_WORDS):
        for match in _LABELLED_POSTCODE.finditer(t.text):
            yield match.span(1)


def _phones(t: _Text) -> Iterator[tuple[int, int]]:
    if t.digits >= MIN_PHONE_DIGITS:
        for match in _PHONE.finditer(t.text):
            if _phone(t.text, match.start(), match.group()):
                yield match.span()


_FINDERS: dict[str, Callable[[_Text], Iterator[tuple[int, int]]]] = {
    "email": _emails,
    "card": _cards,
    "iban": _ibans,
    "national_id": _national_ids,
    "dob": _dates_of_birth,
    "ip": _ip_addresses,
    "postcode": _postcodes,
    "phone": _phones,
}


def find_pii(text: str, kinds: frozenset[str] = ALL_KINDS) -> list[PiiMatch]:
    """The personal data of the given ``kinds`` in ``text``, in order, without overlaps (the
    earlier kind in :data:`KINDS` wins an overlap, then the longer finding)."""
    if not _WORTH_A_LOOK.search(text):
        return []  # every kind has a digit or an "@": most questions end here
    view = _Text(text)
    chosen: list[PiiMatch] = []
    for kind in KINDS:  # in order of precedence
        if kind not in kinds:
            continue
        # The longer finding first: of two overlapping ones of the same kind, it is kept.
        spans = sorted(_FINDERS[kind](view), key=lambda span: (span[0] - span[1], span[0]))
        for start, end in spans:
            if all(end <= kept.start or start >= kept.end for kept in chosen):
                chosen.append(PiiMatch(kind, start, end))
    chosen.sort(key=lambda m: m.start)
    return chosen


def redact_personal_data(text: str, kinds: frozenset[str] = ALL_KINDS) -> str:
    """``text`` with every finding of :func:`find_pii` replaced by its kind's placeholder."""
    matches = find_pii(text, kinds)
    if not matches:
        return text
    parts: list[str] = []
    position = 0
    for match in matches:
        parts.append(text[position : match.start])
        parts.append(PLACEHOLDERS[match.kind])
        position = match.end
    parts.append(text[position:])
    return "".join(parts)
