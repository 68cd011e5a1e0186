"""Normalisers shared by extraction and verification: one definition of "the same value"."""

from __future__ import annotations

import itertools
import re
import unicodedata
from datetime import date, datetime
from typing import Iterator, Optional

# Characters OCR (and people) confuse, each with the characters it may really be (a C whose gap blur
# closed reads as a zero).
LOOK_ALIKES: dict[str, str] = {
    "O": "0D", "0": "ODC", "D": "0O", "Q": "0O",
    "I": "1L", "L": "1I", "1": "IL", "|": "1I", "!": "1I",
    "S": "58", "5": "S",
    "B": "8", "8": "BS",
    "Z": "2", "2": "Z",
    "G": "6", "6": "G",
    "T": "7", "7": "T",
}
# One canonical character per look-alike family, to compare two values up to OCR confusions.
_CANONICAL = str.maketrans({"O": "0", "D": "0", "Q": "0", "I": "1", "L": "1", "S": "5", "B": "8",
                            "Z": "2", "G": "6", "T": "7"})


def squash(text: str) -> str:
    """Upper-case letters and digits only: how labels and payer names are compared."""
    return "".join(ch for ch in strip_accents(text).upper() if ch.isalnum())


def strip_accents(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


_SIGNS_AS_LETTERS = str.maketrans({"$": "S", "§": "S", "€": "C", "¢": "C", "£": "E"})


def normalise_identifier(text: str, keep: str = "") -> str:
    """Upper case, without spaces or punctuation other than ``keep`` (e.g. the dashes of a group), a kept
    character never doubled.

    Currency and section signs inside an identifier are OCR's readings of the letters they resemble
    ($ and § for S, € and ¢ for C, £ for E): copays are never identifiers.
    """
    text = strip_accents(text).upper().translate(_SIGNS_AS_LETTERS)
    kept = "".join(ch for ch in text if ch.isalnum() or ch in keep)
    for ch in keep:  # a dash read at the end of one word and the start of the next is one dash
        while ch * 2 in kept:
            kept = kept.replace(ch * 2, ch)
    return kept


def canonical_look_alikes(text: str) -> str:
    """Fold look-alike characters together (O and 0, I and 1, ...): equal here means "same to the eye"."""
    return normalise_identifier(text).translate(_CANONICAL)


def repairs(value: str, pattern: "re.Pattern[str]", *, max_changes: int = 3) -> Iterator[tuple[str, int]]:
    """Variants of ``value`` that fully match ``pattern``, fewest look-alike changes first.

    Only what the shape requires is changed, and only in context (``_in_context``): a value that
    already matches is returned as is.
    """
    if pattern.fullmatch(value):
        yield value, 0
        return
    positions = [i for i, ch in enumerate(value) if ch in LOOK_ALIKES]
    for changes in range(1, min(max_changes, len(positions)) + 1):
        found = False
        for chosen in itertools.combinations(positions, changes):
            for replacement in itertools.product(*(LOOK_ALIKES[value[i]] for i in chosen)):
                chars = list(value)
                for i, ch in zip(chosen, replacement):
                    chars[i] = ch
                candidate = "".join(chars)
                if pattern.fullmatch(candidate) and all(_in_context(value, candidate, i) for i in chosen):
                    found = True
                    yield candidate, changes
        if found:
            return


def _in_context(read: str, value: str, i: int) -> bool:
    """A character changed to a digit stands beside a digit, one changed to a letter beside a letter: the
    shape of an open identifier says how many digits it holds, not where ("ULAR41" is no "U1AR41"). An O
    the shape forbids is a zero wherever it stands: the engine reads a zero among letters as O
    ("5057419MCO")."""
    if read[i] == "O" and value[i] == "0":
        return True
    digit = value[i].isdigit()
    return any(0 <= j < len(value) and value[j].isalnum() and value[j].isdigit() == digit for j in (i - 1, i + 1))


def normalise_name(text: str) -> str:
    """Case, accents and punctuation other than hyphens are not differences in a name; nor are spaces
    around a hyphen (OCR reads ``SMITH-JONES`` as ``SMITH- JONES``). A capital ending a word in small
    letters is a middle initial the reading ran on (``LeticiaL`` of "Leticia L"): no name ends so."""
    text = re.sub(r"(?<=[a-z])(?=[A-Z]\b)", " ", strip_accents(text)).casefold()
    text = re.sub(r"[^a-z\- ]+", "", text.replace("'", "").replace(".", " "))
    text = re.sub(r" *- *", "-", " ".join(text.split()))
    return text.strip("-")


# Capital letters whose printed shapes OCR takes one for another (a cedilla read as G: FRANÇOIS as
# FRANGOIS; a stroke lost: EMILY as FMILY; an arch added or lost: SMITH as SNITH).
_NAME_LOOK_ALIKES = frozenset(frozenset(pair) for pair in
                              ("CG", "OD", "OQ", "DQ", "IL", "IJ", "LJ", "IT", "EF", "MN", "HN", "UV", "VY",
                               "BR", "PR", "CO"))


MIN_LOOK_ALIKE_NAME = 4  # MIA and NIA are two names: in a short name a look-alike may be a real difference


ACCENTED_VOWELS = frozenset("AEIOU")  # vowels names carry accents on (Ü, Ö, É ...)


def name_read_as(typed: str, read: str) -> bool:
    """Whether ``read`` is what OCR makes of the name ``typed``: the same letters but for a few read as
    a look-alike (at most one in four), and any reading of a letter the typed name accents: OCR for
    English drops, mangles or splits accented capitals (ZOË as ZO, MÜLLER as MALLER or MIILLER).

    Otherwise only substitutions: a letter added or dropped is a different spelling (ANN is not ANNE).
    """
    typed_chars = [(strip_accents(ch).upper(), strip_accents(ch) != ch) for ch in typed.strip()]
    typed_chars = [(base, accented) for base, accented in typed_chars if base.isalpha() or base == "-"]
    read_chars = [ch for ch in strip_accents(read).upper() if ch.isalpha() or ch == "-"]
    if read_chars == [base for base, _ in typed_chars]:
        return False  # no difference at all: the same name, not a misreading
    accents = [i for i, (_, accented) in enumerate(typed_chars) if accented]
    # each accented letter read as nothing, one letter or two (at most three accents are tried)
    for widths in itertools.product((0, 1, 2), repeat=min(len(accents), 3)):
        variant: list[tuple[str, bool]] = []
        for i, (base, accented) in enumerate(typed_chars):
            width = widths[accents.index(i)] if accented and accents.index(i) < len(widths) else 1
            variant += [(base, accented)] * width
        if len(variant) == len(read_chars) and _look_alike_reading(variant, read_chars):
            return True
    if not accents and len(read_chars) == len(typed_chars) + 1:
        # a client types the card's accented vowel plain (Muller for MÜLLER): one vowel split by OCR into
        # two other letters (MIILLER), never the vowel doubled (MIILLER is no Miller), and nothing else
        # read otherwise (OPEN is no Dan: D read as O besides)
        for i, (base, _) in enumerate(typed_chars):
            if base in ACCENTED_VOWELS and base not in read_chars[i:i + 2]:
                variant = typed_chars[:i] + [(base, True)] * 2 + typed_chars[i + 1:]
                if all(accented or letter == got for (letter, accented), got in zip(variant, read_chars)):
                    return True
    return False


def _look_alike_reading(typed_chars: list[tuple[str, bool]], read_chars: list[str]) -> bool:
    """Letter by letter: equal, read where the typed letter is accented, or a look-alike capital (at
    most one in four, in a name of four letters or more)."""
    look_alikes = [(base, got) for (base, accented), got in zip(typed_chars, read_chars)
                   if base != got and not accented]
    return len(look_alikes) <= max(1, len(read_chars) // 4) and all(
        len(read_chars) >= MIN_LOOK_ALIKE_NAME and frozenset(pair) in _NAME_LOOK_ALIKES for pair in look_alikes)


_DATE_FORMATS = ("%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y", "%m-%d-%y", "%Y-%m-%d", "%m.%d.%Y", "%b %d %Y",
                 "%d %b %Y", "%B %d %Y")


def parse_date(text: str) -> Optional[date]:
    """A date as US cards print it (month first), or None."""
    cleaned = re.sub(r"[,]", " ", text.strip())
    cleaned = " ".join(cleaned.split())
    for fmt in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
        if parsed.year < 1900:
            continue
        if fmt.endswith("%y") and parsed.year > date.today().year:
            parsed = parsed.replace(year=parsed.year - 100)
        return parsed
    return None


_PRINTED_DATE = re.compile(r"\d{1,2}/\d{1,2}/\d{2,4}|\d{1,2}([-.])\d{1,2}\1(?:19|20)\d{2}")
_SLASH_LOST_DATE = re.compile(r"\d{3,4}/(?:19|20)\d{2}")  # "1001/2025": blur took the first slash of 10/01/2025
# OCR may read a space after a separator blur widened ("855.237. 7361")
_PRINTED_PHONE = re.compile(r"(?:1[-.\s]?)?(?:\(\d{3}\)\s?|\d{3}[-.]\s?)\d{3}[-.]\s?\d{4}")


def is_date_or_phone(text: str) -> bool:
    """Whether a printed word is a date (month first, as US cards print them; or one whose first slash
    blur took) or a phone number, which no identifier is. A dash alone with a short year ("12-31-24") or
    the year first ("2020-11-1", a Student Resources group) is not taken for a date."""
    core = text.strip(" .,:;")
    if _PRINTED_PHONE.fullmatch(core) or _SLASH_LOST_DATE.fullmatch(core):
        return True
    return _PRINTED_DATE.fullmatch(core) is not None and parse_date(core) is not None


_AMOUNT = re.compile(r"\$(?:\d{1,3}(?:,\d{3})*|\d{4,5})(?:\.\d{2})?")


def is_amount(text: str) -> bool:
    """A dollar amount as cards print copays and deductibles ("$25", "$1,500", "$40.00")."""
    return _AMOUNT.fullmatch(text.strip(" .,:;|")) is not None


def mask(value: Optional[str]) -> str:
    """What a log line may show of a member ID, name or date of birth: only its length."""
    return f"<{len(value)} chars>" if value else "<empty>"
