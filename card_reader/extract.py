"""Pick each field's value from the OCR word tree the way staff read a card: by label and place.

For every field of the payer's template the labels are found on each side (forgivingly: OCR drops
colons, merges words, confuses letters); each label owns the words up to the next label, so a value
printed after "Rx Grp" or "Health Plan" never becomes the group number or the member ID. Values are
taken beside the label, glued to it ("ID:W123") or below it (column layouts), checked against the
field's declared shape, and repaired only where the shape requires (0/O, 1/I, 5/S ...), at a cost
in confidence.
"""

from __future__ import annotations

import functools
import itertools
import logging
import math
import re
import statistics
from dataclasses import dataclass, field, replace
from typing import Callable, Iterable, Iterator, Optional, Sequence

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from .ocr import Box, Line, Page, Word, text_rows, typical_height
from .templates import FieldSpec, FieldType, PayerTemplate, Placement
from .text import (canonical_look_alikes, is_amount, is_date_or_phone, normalise_identifier, parse_date, repairs, squash,
                   strip_accents)

log = logging.getLogger(__name__)

SHORT_LABEL = 4  # labels this short must match exactly (ID, GRP, SFX)
LONG_LABEL = 10  # letters: a label this long may carry two OCR slips ("Grow Number" for "Group Number")
LABEL_TAILS = frozenset({"", "NO", "NUMBER", "NBR", "NUM"})  # words that end a label, never start a value
LABEL_TAIL_WORDS = LABEL_TAILS - {""}  # ... and never stand inside one ("R81125 NUMBER")
FAR_BESIDE = 4.0  # in label heights: a value further along the line than this may belong to the next column
PROMINENT = 1.5  # times the card's typical word height: a value printed this large is the card's main number
LOGO_HEIGHT = 2.5  # times the side's median word height: a line this tall is a logo
PHRASE_GAP = 0.9  # in word heights: a wider space inside a line separates two phrases (cells, columns)
COLUMN_GAP = 2.0  # in word heights: a space this wide is no word space in any type; the next column starts there
LOST_LABEL_TRUST = 0.4  # a value beside a misread label: enough to confirm what a client typed, never to contradict it
PLACEMENT_FACTOR = {"beside": 1.0, "glued": 0.95, "below": 0.9, "composed": 0.95, "shape": 0.6, "prominent": 0.6,
                    "row": LOST_LABEL_TRUST}
REPAIR_FACTOR = 0.85  # per look-alike character changed
AMBIGUITY_FACTOR = 0.7  # when another candidate with a different value is nearly as good
MAIN_NUMBERS = ("member_id", "group_number")  # the card's two numbers, each often printed large beside the other
LOST_LABEL_SCORE = 55  # a misread label still this near its own wording ("Grea" for "Group": 57)
LOST_LABEL_MARGIN = 10  # ... and this much nearer its own field's labels than another's
LOST_LABEL_LETTERS = 4  # a shorter word is too little to say (P.O. scores 57 against "Grp No") ...
SHORT_LOST_LABEL_SCORE = 66  # ... unless, of three letters, it is one slip from a label ("GaP": GRP, 67)
TWO_LETTER_LOST_LABEL_SCORE = 80  # ... or, of two first on their line, two of a three-letter label's ("Gp": GRP)
ROW_MATE_HEIGHT = 1.5  # a number this much taller or shorter than the other main number is set in another type
COLUMN_REACH = 4.0  # in the other main number's heights: a value stacked in its column stands this near it
PLAINLY_READ = 0.85  # a word read this surely is what the card prints
AGREEMENT_BONUS = 0.15  # per further reading that found the same value
NAME_TYPES = (FieldType.PERSON_NAME, FieldType.PERSON_LIST)  # fields that hold people, never a number
# two to four words of capitals; a word may hold one digit between letters, a letter OCR read as one (an
# accented O as 6: GARCIA-L6PEZ), which verify takes as a letter unread
_NAME_WORD = r"[A-Z][A-Z'\-.]*(?:(?<=[A-Z])\d(?=[A-Z])[A-Z'\-.]*)?"
NAME_PATTERN = re.compile(rf"{_NAME_WORD}(?: {_NAME_WORD}){{1,3}}")
TEXT_STOP = re.compile(r"^\$|^\d{3}[-.)]\d{3}")  # money and phone numbers end a text value


@dataclass(frozen=True)
class SidePage:
    side: str  # "front" | "back"
    page: Page


@dataclass(frozen=True)
class Candidate:
    """One possible value of a field, with the evidence for it."""

    field: str
    value: str
    raw: str
    confidence: float
    side: str
    box: Box
    label: Optional[str]
    placement: str
    repaired: int = 0
    trust: float = 1.0  # what the label and place vouch for, apart from the OCR's own confidence (0..1)
    parts: tuple["Candidate", ...] = ()  # a value printed in parts (BCBS prefix, number): each part's reading


@dataclass(frozen=True)
class Zone:
    """Where a field's value was looked for on one side: beside or below one of its printed labels."""

    side: str
    box: Box
    placement: str  # beside | below a label; or, around a value found by its shape: word | left | above
    label: Optional[str] = None  # the label read, for a zone beside or below one
    trust: float = 1.0  # what the label and place vouch for a value found here (as ``Candidate.trust``)


@dataclass(frozen=True)
class Extraction:
    """The best candidate per field, the rivals it beat, and where each field's value was looked for."""

    fields: dict[str, Candidate]
    alternatives: dict[str, tuple[Candidate, ...]] = field(default_factory=dict)
    zones: dict[str, tuple[Zone, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class _LabelHit:
    field: str
    label: str
    row: int
    start: int
    end: int  # exclusive word index
    score: float
    box: Box
    glued: str = ""  # the value part of a word that holds both label and value


_SideRead = tuple[str, list[Line], list[_LabelHit], Optional[float]]  # side, its rows, label hits, typical height


def extract_fields(template: PayerTemplate, pages: Iterable[SidePage]) -> Extraction:
    """Read every field the template declares from the card's sides: by their labels first, then, for
    a field no label gave a value, by its shape or prominence among the words no other field took."""
    candidates: dict[str, list[Candidate]] = {name: [] for name in template.fields}
    zones: dict[str, list[Zone]] = {}
    read: list[_SideRead] = []
    for side_page in pages:
        rows = _labels_split_off(text_rows(side_page.page), template)
        hits = _find_labels(template, rows)
        typical = typical_height(rows)
        if typical:  # a label is never set in a logo's type ("Blue Shie 1d of california": no "ID")
            hits = [h for h in hits if not _in_logo_type(h, rows, typical)]
        for hit in hits:
            spec = template.fields[hit.field]
            candidates[hit.field].extend(_candidates_for_hit(hit, spec, rows, hits, side_page.side))
            zones.setdefault(hit.field, []).extend(_value_zones(hit, spec, rows, hits, side_page))
        read.append((side_page.side, rows, hits, typical))
    for name, spec in template.fields.items():
        if spec.compose:
            composed = _compose(name, spec, candidates)
            if composed:
                # a direct reading of one part alone (the number under "Identification #", perhaps repaired
                # to fit the whole value's shape) is superseded
                parts = [c for part in spec.compose for c in candidates[part]]
                candidates[name] = [c for c in candidates[name]
                                    if not any(c.value == p.value or (c.side == p.side and c.box.overlap(p.box) > 0.5)
                                               for p in parts)] + [composed]
            else:
                # the first part's header lost ("ix ID Number Sfx"): the word before the number, of its shape,
                # supersedes the number read alone as the whole value
                prefixed = [found for c in candidates[spec.compose[-1]]
                            if (found := _with_part_before(name, template, c, read))]
                # the number's header lost too but for a label of the whole ("Prefix  ID Humbe  Sfx"): a
                # value read under it that takes repairs to be a whole value (A02129824 as AOZ129824) is
                # the number, after the prefix read under its own header on its line, however far
                prefixed += [found for c in candidates[name] if c.repaired
                             and (found := _with_part_before(name, template, c, read, candidates[spec.compose[0]]))]
                if prefixed:
                    candidates[name] = [c for c in candidates[name]
                                        if not any(c.value == p.parts[-1].value or (
                                            c.side == p.side and c.box.overlap(p.parts[-1].box) > 0.5)
                                                   for p in prefixed)] + prefixed
            if not candidates[name]:
                # the whole value printed under one part's label ("ID Number" above "RCA A43102083"),
                # repaired where the whole value's shape requires ("XPNNO5744526": an O touching a digit)
                candidates[name] = [whole for part in spec.compose for c in candidates[part]
                                    if (whole := _part_as_whole(name, template, c))]
    for name, spec in template.fields.items():
        if candidates[name] or not (spec.unlabelled or spec.prominent or name in MAIN_NUMBERS):
            continue
        for side, rows, hits, typical in read:
            # the first part of the field's own value (a BCBS prefix read under its label) is no other field's
            taken = _taken_boxes(candidates, side, (name, *spec.compose[:1]))
            if name in MAIN_NUMBERS:
                candidates[name].extend(_after_lost_label(name, template, rows, hits, side, taken))
            if spec.unlabelled:
                candidates[name].extend(_shape_candidates(name, template, rows, hits, side, taken))
            if spec.prominent and not candidates[name]:
                candidates[name].extend(_prominent_candidates(name, template, rows, hits, side, taken, typical))
    for name in MAIN_NUMBERS:
        if name in template.fields and not candidates[name]:
            candidates[name] = _mates_of_other_number(name, template, read, candidates)
    chosen: dict[str, Candidate] = {}
    alternatives: dict[str, tuple[Candidate, ...]] = {}
    for name, found in candidates.items():
        if not found:
            continue
        best, rivals = _choose(found)
        chosen[name] = best
        if rivals:
            alternatives[name] = rivals
    return Extraction(chosen, alternatives, {name: tuple(found) for name, found in zones.items()})


@dataclass(frozen=True)
class _Label:
    field: str
    printed: str
    squashed: str
    key: str  # squashed with OCR slips folded (see _label_key)


@dataclass(eq=False)  # hashed by identity: one per template, the key of ``_row_matches``'s cache
class _LabelIndex:
    """Every label of a template, longest first, so 'Rx Grp' claims words before 'Grp'."""

    labels: tuple[_Label, ...]

    @functools.cached_property
    def glued_endings(self) -> frozenset[str]:
        """The labels long enough to be split off a value OCR ran them onto (``GLUED_LABEL``)."""
        return frozenset(label.squashed for label in self.labels if len(label.squashed) >= GLUED_LABEL)

    def squashed(self, field: str) -> list[str]:
        return [label.squashed for label in self.labels if label.field == field]


_LABEL_INDEXES: dict[int, tuple[PayerTemplate, _LabelIndex]] = {}


def _label_index(template: PayerTemplate) -> _LabelIndex:
    """The template's ``_LabelIndex``, made once per template (templates are loaded once and kept)."""
    cached = _LABEL_INDEXES.get(id(template))
    if cached is None or cached[0] is not template:
        entries = [_Label(name, label, squash(label), _label_key(squash(label)))
                   for name, spec in template.fields.items() for label in spec.labels]
        index = _LabelIndex(tuple(sorted(entries, key=lambda e: -len(e.squashed))))
        cached = _LABEL_INDEXES[id(template)] = (template, index)
    return cached[1]


GLUED_LABEL = 5  # letters: a label this long read run on after a value ("6234MT11ARXBIN") is split off


def _labels_split_off(rows: list[Line], template: PayerTemplate) -> list[Line]:
    """Rows with a long label that OCR ran on after a value, with no space read ("6234MT11ARXBIN": the
    group number and the next column's "RXBIN"), split into two words, the box shared by letters."""
    endings = _label_index(template).glued_endings
    out = []
    for row in rows:
        words = []
        for word in row.words:
            text = word.text.rstrip(":#")
            upper = text.upper()
            ending = next((e for e in endings if upper.endswith(e) and len(text) > len(e)
                           and any(ch.isdigit() for ch in text[:-len(e)])), None) \
                if any(ch.isdigit() for ch in text) else None
            if ending is None or not text[-len(ending):].isalpha():
                words.append(word)
                continue
            cut = len(word.text) - len(ending) - (len(word.text) - len(text))
            split_x = word.box.x + round(word.box.w * cut / len(word.text))
            words += [Word(word.text[:cut], Box(word.box.x, word.box.y, split_x - word.box.x, word.box.h),
                           word.confidence),
                      Word(word.text[cut:], Box(split_x, word.box.y, word.box.right - split_x, word.box.h),
                           word.confidence)]
        out.append(Line(tuple(words)) if len(words) != len(row.words) else row)
    return out


def _find_labels(template: PayerTemplate, rows: list[Line]) -> list[_LabelHit]:
    index = _label_index(template)
    found = [_LabelHit(label.field, label.printed, r, start, end, score,
                       Box.enclosing([w.box for w in row.words[start:end]]), glued)
             for r, row in enumerate(rows)
             for label, start, end, score, glued in _row_matches(index, tuple(w.text for w in row.words))]
    found = [hit for hit in found if not _spelt_as_another(hit, found, rows[hit.row])
             and not _two_headers(hit, found, rows[hit.row])]
    # each word belongs to one label: longer labels first, then better scores
    found.sort(key=lambda h: (-len(squash(h.label)) * h.score, -h.score))  # exact and long first
    # the same words may label two fields ("Member" for a name, "Member #" for an ID): the value decides
    owner: dict[tuple[int, int], tuple[int, int, int]] = {}
    kept: list[_LabelHit] = []
    for hit in found:
        span = (hit.row, hit.start, hit.end)
        cells = [(hit.row, i) for i in range(hit.start, hit.end)]
        if any(owner.get(cell, span) != span for cell in cells):
            continue
        owner.update({cell: span for cell in cells})
        kept.append(hit)
    taken = set(owner)
    return [hit for hit in kept if not _tail_of_garbled_label(hit, rows[hit.row], index, taken)]


def _two_headers(hit: _LabelHit, found: list[_LabelHit], row: Line) -> bool:
    """Whether words that spell a label stand a column gap apart and those after the gap are a label of
    their own: two columns' headers ("SUBSCRIBER" of "SUBSCRIBER NAME", its second word lost to glare,
    and the next column's "ID:"), not one label. Words after the gap that are no label leave it standing
    ("MEMBER:  IDa", the colon read as a letter: only the whole spells a label)."""
    words = row.words
    gaps = [i for i in range(hit.start + 1, hit.end) if _apart(words[i - 1], words[i], COLUMN_GAP)]
    return any(other.row == hit.row and other.start == gap and other.end <= hit.end and other is not hit
               for gap in gaps for other in found)


def _spelt_as_another(hit: _LabelHit, found: list[_LabelHit], row: Line) -> bool:
    """Whether a label read with slips takes in words that spell another field's label exactly (OCR's
    usual slips folded, as labels are compared) and are not spelt so in its own ("GROUP # MEMBER ID"
    is two slips from "Group Number", both in "MEMBER"): those words were read, not misread, and belong
    to the other label. Words its own label spells the same way leave it standing ("Rx Group Numbr"
    holds "Group", "Paver 1D" the "ID" of "Payer ID")."""
    if hit.score >= 1.0 or hit.glued:
        return False
    own = _label_key(squash(hit.label))
    return any(other.field != hit.field and other.score >= 1.0 and not other.glued and other.row == hit.row
               and other.start < hit.end and hit.start < other.end
               and _label_key(squash("".join(w.text for w in row.words[max(hit.start, other.start):
                                                                        min(hit.end, other.end)]))) not in own
               for other in found)


def _tail_of_garbled_label(hit: _LabelHit, row: Line, index: _LabelIndex, taken: set[tuple[int, int]]) -> bool:
    """Whether a label is the end of another field's longer label whose first word OCR garbled by a letter
    ("Re ID" on a Cigna back: the Rx ID, not the member's "ID"). One letter off in a word of two says
    little to find a label by, but enough to turn away the shorter one it ends with."""
    if hit.start == 0 or (hit.row, hit.start - 1) in taken:
        return False
    before, tail = squash(row.words[hit.start - 1].text), squash(hit.label)
    return any(label.field != hit.field and label.squashed.endswith(tail) and
               len(head := label.squashed[:-len(tail)]) == len(before) >= 2 and Levenshtein.distance(head, before) <= 1
               for label in index.labels)


@functools.lru_cache(maxsize=1024)
def _row_matches(index: _LabelIndex, texts: tuple[str, ...]) -> tuple[tuple[_Label, int, int, float, str], ...]:
    """Every label matched in a row of words (by their texts): (label, start, end, score, glued value).
    Kept while a card is read (its extraction runs again on readings that change a few of its rows);
    ``forget_rows`` drops them once it is, so no card's text outlives its reading."""
    found = []
    texts = tuple(BANG_FOR_I.sub("I", text) for text in texts)
    squashed = [squash(text) for text in texts]
    for start in range(len(texts)):
        if not squashed[start]:
            continue
        # the text of one to five words from here, and its key: computed once for every label
        spans, text = [], ""
        for end in range(start + 1, min(start + 5, len(texts)) + 1):
            text += squashed[end - 1]
            spans.append((end, text, _label_key(text)))
        # a short label is spelt exactly, or glued to its value: it starts as the words do
        firsts = {text[0], *(key[:1] for _, _, key in spans)}
        for label in index.labels:
            if len(label.squashed) <= SHORT_LABEL and label.squashed[:1] not in firsts and label.key[:1] not in firsts:
                continue
            hit = _match_label_at(texts, spans, label)
            if hit:
                end, score, glued = hit
                found.append((label, start, end, score, glued))
    return tuple(found)


def forget_rows() -> None:
    """Drop the rows of text kept while a card was read (``_row_matches``)."""
    _row_matches.cache_clear()


def _match_label_at(texts: tuple[str, ...], spans: list[tuple[int, str, str]],
                    label: _Label) -> Optional[tuple[int, float, str]]:
    """Whether the words from a start spell the label: (end, score, glued value) or None.

    ``spans`` holds, for each end, the squashed text of the words start..end and its key."""
    wanted, wanted_key = label.squashed, label.key
    before = ""
    for end, text, key in spans:
        if key == wanted_key:
            return end, 1.0, ""
        if len(wanted) > SHORT_LABEL:
            allowed = _allowed_edits(wanted)
            edits = Levenshtein.distance(key, wanted_key, score_cutoff=allowed) \
                if abs(len(key) - len(wanted_key)) <= 1 else allowed + 1
            if edits > allowed and len(text) == len(wanted) and Levenshtein.distance(text, wanted, score_cutoff=1) <= 1:
                edits = 1  # one slip that the folding made worse ("RN GRP": Rx Grp's X read as N, folded to M)
            if edits <= allowed:
                return end, 1.0 - edits / len(wanted), ""
        if len(before) < len(wanted) < len(text) and text.startswith(wanted):
            glued = _after_label(texts[end - 1], len(wanted) - len(before))
            return (end, 0.95, glued) if glued else None
        if len(text) > len(wanted) + 2:
            return None
        before = text
    return None


BANG_FOR_I = re.compile(r"!(?=[A-Za-z])")  # "Rx !D": an I's dot and stem read as "!" before the letters it starts


_LABEL_CONFUSIONS = str.maketrans({"0": "O", "1": "I", "5": "S", "8": "B", "|": "I", "G": "C"})


def _label_key(text: str) -> str:
    """A label as compared: OCR's usual slips inside words folded away (rn for m, 0 for O, 1 for I, C for G)."""
    return text.replace("RN", "M").replace("VV", "W").translate(_LABEL_CONFUSIONS)


def _allowed_edits(label: str) -> int:
    """OCR slips a label may carry: one letter in a short label, two in a long one."""
    return 1 if len(label) < LONG_LABEL else 2


def _after_label(word_text: str, label_chars: int) -> str:
    """What follows the first ``label_chars`` letters/digits of a word, without leading punctuation: a
    value glued to its label ("ID:W123", "GRP#4471"). Without a separator, only what is mostly digits
    ("ID4471"): letters running on make a longer word ("IDENTIFICATION" is not "ID" + "ENTIFICATION")."""
    seen = 0
    for i, ch in enumerate(word_text):
        if ch.isalnum():
            seen += 1
            if seen == label_chars:
                rest = word_text[i + 1:]
                value = rest.lstrip(":#.-_ ")
                digits = sum(c.isdigit() for c in value)
                return value if value != rest or digits >= len(value) - digits else ""
    return ""


def _value_words_after(row: Line, start: int, stop: int, max_tokens: int) -> list[Word]:
    """Words from ``start`` that belong to one value: close together, before the next label."""
    words: list[Word] = []
    for word in row.words[start:stop]:
        if not words and _closes_label(word.text):
            continue  # a lone ':' or '#', the "No." of "GRP No." the label list did not spell out, or the end
            # of a label OCR garbled ("Member 10:" for "Member ID:")
        if words:
            gap = word.box.x - words[-1].box.right
            if gap > 1.2 * max(words[-1].box.h, word.box.h) or _past_frame(word.text):
                break  # far off, or in the next cell of a row of boxes
        words.append(word)
        if _tokens(w.text for w in words) >= max_tokens:
            break
    return words


def _closes_label(text: str) -> bool:
    """A word that ends a label, never starts a value: a lone mark, a tail (``LABEL_TAILS``), a colon, or
    a '#' read with a speck beside it ("Group #4   521187": no value is one character long)."""
    return squash(text) in LABEL_TAILS or _label_end(text) or MARK_AND_SPECK.fullmatch(text) is not None


MARK_AND_SPECK = re.compile(r"#\w")


def _label_end(text: str) -> bool:
    """A word ending in a colon ends a label: a value never does, unless it is a number of four digits or
    more whose last stroke blur or glare turned into one ("33391:" of 3339129 split by a glint; "2021-470:"
    of the policy 2021-470-7, its second dash so read)."""
    return text.endswith(":") and not NUMBER_BROKEN_AT_COLON.fullmatch(text)


NUMBER_BROKEN_AT_COLON = re.compile(r"(?=(?:-?\d){4})\d[\d\-]*:")


def _past_frame(text: str) -> bool:
    """A word after a frame's side read as a bar ("||600428"): the next cell of a row of boxes."""
    return text.startswith("|")


def _tokens(texts: Iterable[str]) -> int:
    """How many words a value is read in, not counting lone marks: "235609 - 417 - 06318" is three."""
    return sum(any(ch.isalnum() for ch in text) for text in texts)


def _run_ends(texts: Sequence[str], start: int, max_tokens: int) -> range:
    """The ends of the runs of words from ``start`` holding one to ``max_tokens`` words (``_tokens``)."""
    end = start + 1
    while end < len(texts) and _tokens(texts[start:end + 1]) <= max_tokens:
        end += 1
    return range(start + 1, end + 1)


def _label_tail(spec: FieldSpec, hit: _LabelHit) -> bool:
    """Whether another field's label hit is the last word of one of this field's labels ("ID" of "Group ID")."""
    tail = squash(hit.label)
    return any(squash(label).endswith(tail) and squash(label) != tail for label in spec.labels)


def _next_hit_start(hits: list[_LabelHit], row: int, after: int, default: int) -> int:
    starts = [h.start for h in hits if h.row == row and h.start >= after]
    return min(starts, default=default)


def _in_logo_type(hit: _LabelHit, rows: Sequence[Line], typical: float) -> bool:
    """Whether a label hit is set in a logo's type: its box, and the usual word of its row, ``LOGO_HEIGHT``
    times the side's typical height. One tall box among ordinary words is the engine's box reaching up
    into a band above the label ("Group" boxed 61 px tall beside "# 756776"), not a logo."""
    if hit.box.h < LOGO_HEIGHT * typical:
        return False
    heights = sorted(w.box.h for w in rows[hit.row].words)
    return heights[len(heights) // 2] >= LOGO_HEIGHT * typical


def _candidates_for_hit(hit: _LabelHit, spec: FieldSpec, rows: list[Line], hits: list[_LabelHit],
                        side: str) -> list[Candidate]:
    if spec.type == FieldType.PERSON_LIST:
        return _people_below(hit, spec, rows, hits, side)
    out: list[Candidate] = []
    row = rows[hit.row]
    stop = _next_hit_start(hits, hit.row, hit.end, len(row.words))
    max_tokens = spec.max_tokens if spec.identifier_like else 6
    if Placement.BESIDE in spec.placement:
        if hit.glued:
            glued_word = row.words[hit.end - 1]
            following = _value_words_after(row, hit.end, stop, max_tokens - 1)
            out += _read_value(hit, spec, [Word(hit.glued, glued_word.box, glued_word.confidence), *following],
                               side, "glued")
        else:
            out += _read_value(hit, spec, _value_words_after(row, hit.end, stop, max_tokens), side, "beside")
            tail = next((h for h in hits if h.row == hit.row and h.start == stop), None)
            if not out and tail is not None and _label_tail(spec, tail):
                # the label's last word, set apart by a stray mark ("GROUP JP 1D 466673" for Group ID), read
                # as another field's label: the value after it is this label's
                after = _value_words_after(row, tail.end, _next_hit_start(hits, hit.row, tail.end, len(row.words)),
                                           max_tokens)
                out += _read_value(hit, spec, after, side, "beside")
    # a value far off along the line may be the next column's: one standing right under the label is its
    # own (labels above values, the columns' lines drifting together on a tilted card); unless it starts
    # where another label's value beside it starts (a short label in a column of labels, "Grp", its value
    # in the column of values), or is of the field's own shape, one found even with no label (a school's
    # name beside "SCHOOL", not the member's name under it)
    far = all(c.box.x - _label_right(hit, row, c.box) > FAR_BESIDE * hit.box.h
              and not _in_value_column(c.box, hit, rows, hits)
              and not (spec.shape and spec.shape_regex.fullmatch(c.value)) for c in out)
    if Placement.BELOW in spec.placement and far:
        passed: list[Word] = []  # text of the label's size under it, on the lines nearer than the value's
        for below in _rows_below(hit, rows):
            words = _column_words(hit, rows[below], hits, below, max_tokens,
                                  identifier=spec.identifier_like)
            found = _read_value(hit, spec, words, side, "below")
            if found:
                # other text between a value and the label (over half of the narrower of the two wide, and
                # wholly above the value: not the top of its own line split off, nor a speck on it) is no
                # part of a column: an address's "CT 06147" three lines under "ID", with a date right under
                # it, is not its value; the end of a name under the label's first word is no such text
                if not any(min(w.box.right, c.box.right) - max(w.box.x, c.box.x) > min(w.box.w, c.box.w) / 2
                           and w.box.bottom <= c.box.y for w in passed for c in found):
                    out = found
                break
            passed += [w for w in words if any(ch.isalnum() for ch in w.text) and 2 * w.box.h >= hit.box.h]
    return out


def _label_right(hit: _LabelHit, row: Line, value: Box) -> int:
    """Where a label ends before its value beside it: at its last word, or at the mark after it that closes
    it ("Member  #  H87893587": the '#' the value stands near)."""
    right = hit.box.right
    for word in row.words[hit.end:]:
        if word.box.x >= value.x or not _closes_label(word.text):
            break
        right = word.box.right
    return right


def _in_value_column(box: Box, hit: _LabelHit, rows: list[Line], hits: list[_LabelHit]) -> bool:
    """Whether a value beside ``hit`` starts, within a letter height, where the value beside another label
    of the same column of labels (left edges within a letter height) starts: a column of values beside
    the column of labels, however far the tab stop ("Name:" and "ID Number", both values at x=355)."""
    for other in hits:
        if other.row == hit.row or abs(other.box.x - hit.box.x) > hit.box.h:
            continue
        row = rows[other.row]
        value = _value_words_after(row, other.end, len(row.words), 1)  # past a lone '#' or ':'
        if value and abs(value[0].box.x - box.x) <= hit.box.h:
            return True
    return False


MAX_PEOPLE = 8  # lines of a list of people read under its label


def _people_below(hit: _LabelHit, spec: FieldSpec, rows: list[Line], hits: list[_LabelHit],
                  side: str) -> list[Candidate]:
    """The people listed one per line under a label ("Dependents": "OLIVIA SCHMIDT 02"), from the first
    line to the first that is no name: each a name and its person suffix where printed, joined by "; "."""
    labelled = {h.row for h in hits}
    lines = [r for r in sorted(range(len(rows)), key=lambda r: rows[r].box.y)
             if rows[r].box.y >= hit.box.bottom - 0.2 * hit.box.h and r not in labelled
             and abs(rows[r].box.x - hit.box.x) <= 2 * hit.box.h]
    people: list[tuple[str, Line]] = []
    bottom = hit.box.bottom
    for r in lines[:MAX_PEOPLE]:
        row = rows[r]
        if row.box.y - bottom > 1.5 * row.box.h:
            break  # a gap: the list has ended
        words = list(row.words)
        suffix = words.pop().text if len(words) > 2 and _is_suffix(spec, words[-1].text) else None
        name = _person_name(" ".join(w.text for w in words))
        if name is None:
            break
        people.append((name + (f" {suffix.strip('.,:')}" if suffix else ""), row))
        bottom = row.box.bottom
    if not people:
        return []
    confidence = min(w.confidence for _, row in people for w in row.words) * PLACEMENT_FACTOR["below"]
    return [Candidate(hit.field, "; ".join(p for p, _ in people), " / ".join(row.text for _, row in people),
                      round(confidence * hit.score, 3), side, Box.enclosing([row.box for _, row in people]),
                      hit.label, "below", trust=hit.score * PLACEMENT_FACTOR["below"])]


def _value_zones(hit: _LabelHit, spec: FieldSpec, rows: list[Line], hits: list[_LabelHit],
                 side_page: SidePage) -> list[Zone]:
    """The areas where this label's value should stand: to its right up to the next label on the line,
    and under it (as the template's placement allows)."""
    page = side_page.page
    height = max(hit.box.h, rows[hit.row].box.h // 2)
    zones = []
    if Placement.BESIDE in spec.placement:
        row = rows[hit.row]
        stop = _next_hit_start(hits, hit.row, hit.end, len(row.words))
        left = hit.box.right
        right = row.words[stop].box.x if stop < len(row.words) else min(page.width, left + 30 * height)
        top, bottom = hit.box.y - height, hit.box.bottom + height
        if right - left > height:
            zones.append(Zone(side_page.side, _clip(Box(left, top, right - left, bottom - top), page), "beside",
                              hit.label, hit.score * PLACEMENT_FACTOR["beside"]))
    if Placement.BELOW in spec.placement:
        left, top = hit.box.x - height, hit.box.bottom
        width = max(hit.box.w + 2 * height, 20 * height)
        zones.append(Zone(side_page.side, _clip(Box(left, top, width, 3 * height), page), "below",
                          hit.label, hit.score * PLACEMENT_FACTOR["below"]))
    return [z for z in zones if z.box.w > 0 and z.box.h > 0]


def shape_zones(spec: FieldSpec, pages: Iterable[SidePage], *, skip: set[str] = frozenset(),
                limit: int = 2) -> list[Zone]:
    """Where a field's value and its label may stand when none of its labels was read: each run of words
    that spells a value of the field's shape (OCR splits values), and the space to its left and above
    it, where the unread label must be. A small label printed on one line with a large value is lost
    when the line is read whole (the engine sizes a line by its tallest letters), so these are read apart."""
    zones = []
    for side_page in pages:
        page = side_page.page
        for row in text_rows(page):
            for i in range(len(row.words)):
                run = _shaped_run(spec, row.words, i, skip)
                if run is None:
                    continue
                b = Box.enclosing([w.box for w in run])
                h = b.h
                left = max(row.words[0].box.x if i else 0, b.x - 10 * h)
                zones += [Zone(side_page.side, _clip(b.padded(h // 3), page), "word"),
                          Zone(side_page.side, _clip(Box(left - h // 2, b.y - h // 3, b.x - left + h // 2,
                                                         h + 2 * (h // 3)), page), "left"),
                          Zone(side_page.side, _clip(Box(b.x - h, b.y - 2 * h, b.w + 2 * h, 2 * h), page), "above")]
                break
            if len(zones) >= 3 * limit:
                break
    return [z for z in zones if z.box.w > 4 and z.box.h > 4][:3 * limit]


def _shaped_run(spec: FieldSpec, words: tuple[Word, ...], start: int, skip: set[str]) -> Optional[list[Word]]:
    """The words from ``start`` (one to ``max_tokens``) that together spell a value of the field's shape,
    starting with a word that holds a digit (a value is not started by its label)."""
    if not any(ch.isdigit() for ch in words[start].text):
        return None
    for end in _run_ends([w.text for w in words], start, spec.max_tokens):
        value = normalise_identifier(_identifier_text(spec, " ".join(w.text for w in words[start:end])), spec.keep)
        if value and value not in skip and next(repairs(value, spec.regex, max_changes=2), None) is not None:
            return list(words[start:end])
    return None


def _clip(box: Box, page: Page) -> Box:
    x0, y0 = max(0, box.x), max(0, box.y)
    x1, y1 = min(page.width, box.right), min(page.height, box.bottom)
    return Box(x0, y0, max(0, x1 - x0), max(0, y1 - y0))


def _rows_below(hit: _LabelHit, rows: list[Line]) -> list[int]:
    """Lines under a label, nearest first, within about two label heights."""
    reach = hit.box.bottom + 2.5 * hit.box.h
    below = [r for r, row in enumerate(rows)
             if r != hit.row and row.box.cy > hit.box.bottom - 0.2 * hit.box.h and row.box.y <= reach
             and row.box.right >= hit.box.x - hit.box.h and row.box.x <= hit.box.right + hit.box.h]
    return sorted(below, key=lambda r: rows[r].box.y)


def _column_words(hit: _LabelHit, row: Line, hits: list[_LabelHit], row_index: int,
                  max_tokens: int, identifier: bool = False) -> list[Word]:
    """Words of a lower row that stand under the label: from the first word overlapping its span, or
    failing one, starting near it (the last letter of a name in the column to the left, printed close,
    ends short of the label and starts no value). An ``identifier`` (a compact token, unlike a school's
    name, which may run on under the next header) ends where the next column's header begins."""
    label_cells = {i for h in hits if h.row == row_index for i in range(h.start, h.end)}
    for slack in (0, hit.box.h):
        left, right = hit.box.x - slack, hit.box.right + slack
        for i, word in enumerate(row.words):
            if word.box.right < left or word.box.x > right:
                continue
            if i in label_cells or _beside_label(hit, row, hits, row_index, i):
                return []
            stop = _next_hit_start(hits, row_index, i, len(row.words))
            if identifier:  # a suffix "01" read "or" under "SUFFIX" is no part of the number under "ID NUMBER"
                stop = next((k for k in range(i + 1, stop) if _under_other_header(hit, hits, row.words[k])), stop)
            words = _value_words_after(row, i, stop, max_tokens)
            # a wide label ("Identification Number" over "ZLK    455824693"): columns of one value under
            # it are one value, however wide the space between them
            under = list(itertools.takewhile(lambda w: w.box.x <= hit.box.right, row.words[i:stop]))
            if words and under[:len(words)] == words and _tokens(w.text for w in under) <= max_tokens:
                return under if len(under) > len(words) else words
            return words
    return []


def _under_other_header(hit: _LabelHit, hits: list[_LabelHit], word: Word) -> bool:
    """Whether a word's middle stands under another label of ``hit``'s row (not one read from its words)."""
    middle = word.box.x + word.box.w / 2
    return any(h.row == hit.row and (h.end <= hit.start or h.start >= hit.end) and h.box.x <= middle <= h.box.right
               for h in hits)


def _beside_label(hit: _LabelHit, row: Line, hits: list[_LabelHit], row_index: int, index: int) -> bool:
    """Whether the word at ``index`` of a lower row follows another field's label closely in that row
    (past its '#' or ':'): that label's value, not one under ``hit`` ("PAYER ID # 94036" under a logo
    read as "ID#"; a value far along the line may be the next column's)."""
    word = row.words[index]
    return any(h.row == row_index and h.field != hit.field and h.end <= index and
               word.box.x - h.box.right <= FAR_BESIDE * h.box.h and
               all(squash(w.text) in LABEL_TAILS for w in row.words[h.end:index]) for h in hits)


def _read_value(hit: _LabelHit, spec: FieldSpec, words: list[Word], side: str,
                placement: str) -> list[Candidate]:
    """The value a label's words spell (``_read_words``), trusted as far as the label was read."""
    return _read_words(hit.field, spec, words, side, placement, hit.score, hit.label)


def _read_words(name: str, spec: FieldSpec, words: list[Word], side: str, placement: str,
                label_score: float = 1.0, label: Optional[str] = None) -> list[Candidate]:
    """The candidate made from the first 1..n words, longest valid first; the shape decides. Words of
    prose before an identifier (the rest of a garbled label) are passed over, and a box's side read as
    a letter before it ("If 3339129") is left out where the value does not take it in."""
    runs = [words]
    if spec.identifier_like:
        words = list(itertools.dropwhile(lambda w: _prose_in(spec, w.text), words))
        if len(words) > 1 and FRAME_BAR.fullmatch(words[0].text):
            words = words[1:]  # no value holds a bar: the box's side, with a speck read beside it ("|e")
        runs = [words] + ([words[1:]] if len(words) > 1 and FRAME_REMNANT.fullmatch(words[0].text) else [])
        # a label's closing word is never inside a value ("R81125 NUMBER": the next label's, read on)
        runs = [list(itertools.takewhile(lambda w: squash(w.text) not in LABEL_TAIL_WORDS, run)) for run in runs]
    for run in runs:
        for n in range(len(run), 0, -1):
            chosen = run[:n]
            if n > 1 and _is_suffix(spec, chosen[-1].text):
                continue
            parsed = _parse(spec, chosen)
            if parsed is None:
                continue
            value, raw, repaired = parsed
            trust = label_score * PLACEMENT_FACTOR[placement]
            confidence = statistics.fmean(w.confidence for w in chosen) * trust * REPAIR_FACTOR ** repaired
            return [Candidate(name, value, raw, round(confidence, 3), side,
                              Box.enclosing([w.box for w in chosen]), label, placement, repaired, trust)]
    return []


def _is_suffix(spec: FieldSpec, text: str) -> bool:
    """Whether a separate word is the person's suffix printed after the ID ("01"), not part of it."""
    if not spec.person_suffix or not any(ch.isdigit() for ch in text):
        return False
    # one look-alike allowed: "O1" is the suffix 01, not the last letters of the ID
    return next(repairs(text.strip(".,:"), re.compile(spec.person_suffix), max_changes=1), None) is not None


def _parse(spec: FieldSpec, words: list[Word]) -> Optional[tuple[str, str, int]]:
    """The value these words spell under the field's type and shape: (value, raw, repairs) or None."""
    raw = " ".join(w.text for w in words)
    if spec.identifier_like:
        if any(_prose_in(spec, w.text) or is_date_or_phone(w.text) for w in words) or is_date_or_phone(raw) \
                or _copays(words) or _holds_a_word(words):
            return None
        # a colon between digits is a glyph blur or glare broke ("33391: 29"), or the value's own dash; a
        # bracket after a digit, before more, a 1 whose foot serif OCR took for one ("W6 ] 4] 3" of W61413)
        text = DIGIT_BRACKET.sub("1", _identifier_text(spec, raw))
        one_word = len(words) == 1
        readings = ([COLON_IN_DIGITS.sub("-", text)] if "-" in spec.keep else []) + [COLON_IN_DIGITS.sub("", text)]
        # (text, a suffix may be glued to it, repairs it costs), tried in turn
        attempts = [(reading, one_word, 0) for reading in dict.fromkeys(readings)]
        if "-" in spec.keep and SPACE_IN_DIGITS.search(readings[-1]):  # a dash blur lost ("2023 846-8")
            attempts.append((SPACE_IN_DIGITS.sub("-", readings[-1]), False, 1))
        if spec.keep:  # a dash read where the card prints none ("6766-49-660-65039"): where they go is unknown
            attempts.append((normalise_identifier(readings[-1]), one_word, 1))
        for reading, glued_suffix, cost in attempts:
            parsed = _parse_identifier(spec, reading, glued_suffix=glued_suffix)
            if parsed:
                return parsed[0], raw, parsed[1] + cost
        return None
    if spec.type == FieldType.PERSON_NAME:
        value = _person_name(raw)
        return (value, raw, 0) if value and spec.regex.fullmatch(strip_accents(value)) else None
    if spec.type == FieldType.DATE:
        parsed = parse_date(raw)
        return (parsed.isoformat(), raw, 0) if parsed else None
    if spec.type == FieldType.PHONE:
        digits = re.sub(r"\D", "", raw)
        if len(digits) == 11 and digits.startswith("1"):
            digits = digits[1:]
        return (f"{digits[:3]}-{digits[3:6]}-{digits[6:]}", raw, 0) if len(digits) == 10 else None
    tokens = []
    for token in raw.split():
        if TEXT_STOP.search(token):
            break
        tokens.append(token)
    value = " ".join(tokens).strip(" :,;")
    return (value, raw, 0) if value and spec.regex.fullmatch(value) else None


DISTINCT_PREFIX = 3  # letters: a fixed prefix this long (Oscar's OSC) is no glyph a speck makes
BRACKET_J = re.compile(r"(?<=[A-Za-z])[)\]](?=\s*[A-Za-z0-9]|\s*$)")  # a bracket after a letter, before more or at the end
COLON_IN_DIGITS = re.compile(r"(?<=\d):\s*(?=\d)")
SPACE_IN_DIGITS = re.compile(r"(?<=\d)\s+(?=\d)")
DIGIT_BRACKET = re.compile(r"(?<=\d)\s*[\[\]]\s*(?=[A-Za-z0-9])")


def _parse_identifier(spec: FieldSpec, text: str, *, glued_suffix: bool) -> Optional[tuple[str, int]]:
    """The identifier ``text`` spells under the field's shape, and the look-alikes repaired to fit it."""
    value = normalise_identifier(text, spec.keep).strip("-/.")
    if not value:
        return None
    if spec.person_suffix:  # the person's suffix after a dash ("912345678-01") is not part of the ID
        dashed = re.fullmatch(rf"(.+?)\s*[-\u2010-\u2013]\s*(?:{spec.person_suffix})", text.strip())
        if dashed:
            for repaired, changes in repairs(normalise_identifier(dashed.group(1), spec.keep), spec.regex):
                return repaired, changes
    as_read = next(repairs(value, spec.regex), None)
    # a J's hook read as a bracket after a letter ("TL) 538464081" for TLJ538464081): the glyph is kept as
    # the J where that needs fewer look-alike repairs than the value the bracket's loss leaves
    hooked, changes = BRACKET_J.subn("J", text)
    if changes and (as_read is None or as_read[1] > 0):
        found = next(repairs(normalise_identifier(hooked, spec.keep).strip("-/."), spec.regex), None)
        if found and (as_read is None or found[1] + changes <= as_read[1]):
            return found[0], found[1] + changes
    if as_read is not None:
        return as_read
    if spec.person_suffix and glued_suffix:  # the person's suffix read glued ("260608457 01" as "26060845701")
        glued = re.search(f"(?:{spec.person_suffix})$", value)
        if glued and glued.start() > 0:
            for repaired, changes in repairs(value[:glued.start()], spec.regex):
                return repaired, changes + 1
    return _after_stray(value, spec, spec.regex)


def _after_stray(value: str, spec: FieldSpec, shape: "re.Pattern[str]") -> Optional[tuple[str, int]]:
    """The value from its distinctive prefix on, where a speck or a glyph of the label was read glued
    before it ("0OSC55690793"), each character left out counted as a repair. The prefix may carry a
    look-alike of its own ("10SC36784523": its O read as a zero beside the stray)."""
    prefix = spec.fixed_prefix
    if len(prefix) < DISTINCT_PREFIX:
        return None
    as_printed = re.compile(re.escape(prefix))
    for start in (1, 2):
        if next(repairs(value[start:start + len(prefix)], as_printed), None) is not None:
            for repaired, changes in repairs(value[start:], shape, max_changes=2):
                return repaired, changes + start
    return None


STROKE_IN_WORD = re.compile(r"(?<=[^\W\d_])[!|]|[!|](?=[^\W\d_])")  # a "!" or "|" touching a letter


def _person_name(raw: str) -> Optional[str]:
    """The name two to four words spell, in capitals, or None when they are no name. A "!" or "|" in a
    word of letters is the stroke of an I (``ME!`` for MEI), or of an l among small letters."""
    raw = STROKE_IN_WORD.sub(lambda m: "l" if _beside_small_letter(m.string, m.start()) else "I", raw)
    value = " ".join(t.strip(",:;") for t in raw.upper().split())
    return value if NAME_PATTERN.fullmatch(strip_accents(value)) else None


def _beside_small_letter(text: str, i: int) -> bool:
    return any(0 <= j < len(text) and text[j].islower() for j in (i - 1, i + 1))


def _identifier_text(spec: FieldSpec, raw: str) -> str:
    """The text an identifier is read from: what follows a parenthesis is another number (a Student
    Resources policy's "(710)"), unless the value's shape keeps parentheses."""
    return raw if "(" in spec.keep else raw.split("(")[0]


def _owned(name: str, template: PayerTemplate, rows: list[Line], hits: list[_LabelHit],
           taken: list[Box]) -> set[tuple[int, int]]:
    """The words (row, index) another field may claim: another field's value (``taken``: their boxes),
    a label's own words, and the words in a label's reach that could be its value (a nine-digit number
    after "Member" when OCR lost the "ID" is no name, so the name label does not own it). A field's own
    label that read no value owns nothing beyond itself."""
    reach = template.fields[name].max_tokens
    owned = {(r, i) for r, row in enumerate(rows) for i, word in enumerate(row.words)
             if any(word.box.overlap(box) > 0.5 for box in taken)}
    for h in hits:
        owned.update((h.row, i) for i in range(h.start, h.end))
        if h.field != name:
            owned.update((h.row, i) for i in range(h.end, min(h.end + reach, len(rows[h.row].words)))
                         if _parse(template.fields[h.field], [rows[h.row].words[i]]) is not None)
    return owned


def _prominent_candidates(name: str, template: PayerTemplate, rows: list[Line], hits: list[_LabelHit],
                          side: str, taken: list[Box], typical: Optional[float]) -> list[Candidate]:
    """Values of the field's pattern printed in larger type than the card's text (``typical``, the side's
    ``typical_height``), of solid words no other field claims: the card's main number, whose small label
    was lost beside it (a label read at the value's scale). Dates, phones and dashed numbers are not solid."""
    spec = template.fields[name]
    if not typical:
        return []
    large = PROMINENT * typical
    owned = _owned(name, template, rows, hits, taken)
    out = []
    for r, row in enumerate(rows):
        for i, word in enumerate(row.words):
            if (r, i) in owned or word.box.h < large or not any(ch.isdigit() for ch in word.text):
                continue
            if i > 0 and lost_label(row.words[i - 1].text, template) not in (None, name):
                continue  # after what is left of another field's label ("Srouo 78845105": the group's)
            words = _value_words_after(row, i, len(row.words), spec.max_tokens)
            if all((r, i + k) not in owned and _solid(w.text, spec.keep) for k, w in enumerate(words)):
                prefix = row.words[i - 1] if i > 0 and (r, i - 1) not in owned else None
                prefixed = _read_words(name, spec, [prefix, *words], side, "prominent") \
                    if prefix is not None and _prefix_of(prefix, word, template, spec) else []
                out += prefixed or _read_words(name, spec, words, side, "prominent")
    return out


def _prefix_of(prefix: Word, number: Word, template: PayerTemplate, spec: FieldSpec) -> bool:
    """Whether a word is the prefix of a value printed before its number in the same type, its label lost:
    of the shape of the value's first part where it is printed in parts (a BCBS member ID, "XEH
    290960966"), or the capitals every value begins with (Oscar's "OSC"); as tall, a word space before it."""
    shaped = prefix.text == spec.fixed_prefix != "" or (
        bool(spec.compose) and template.fields[spec.compose[0]].regex.fullmatch(prefix.text) is not None)
    return shaped and _of_size(prefix.box.h, number.box.h) and \
        0 <= number.box.x - prefix.box.right <= PHRASE_GAP * number.box.h


def _after_lost_label(name: str, template: PayerTemplate, rows: list[Line], hits: list[_LabelHit],
                      side: str, taken: list[Box]) -> list[Candidate]:
    """The value beside what is left of the field's own label ("Srouo 78845105" for the group number; past
    a mark its last word left, "wemser © 24774161"), or, where the field's values stand under their labels,
    under it ("GROLG" over 737281), where every word of it was read plainly, trusted as little as a label
    so misread is (``LOST_LABEL_TRUST``)."""
    spec = template.fields[name]
    owned = _owned(name, template, rows, hits, taken)
    owned_words = {id(rows[r].words[i]) for r, i in owned}
    out = []

    def plain(words: Sequence[Word]) -> bool:
        return bool(words) and all(w.confidence >= PLAINLY_READ and id(w) not in owned_words for w in words)

    for r, row in enumerate(rows):
        for i, word in enumerate(row.words):
            # the cheap tests first: a label of letters, then what is left of the field's own
            if (r, i) in owned or any(ch.isdigit() for ch in word.text) or \
                    not lost_label_of(word.text, template, name, line_start=i == 0):
                continue
            start = i + 1 + (i + 2 < len(row.words) and _closes_label(row.words[i + 1].text))
            beside = _value_words_after(row, start, len(row.words), spec.max_tokens) \
                if start < len(row.words) and any(ch.isdigit() for ch in row.words[start].text) else []
            if plain(beside):
                out += _read_words(name, spec, beside, side, "beside", LOST_LABEL_TRUST, word.text)
            elif Placement.BELOW in spec.placement and not beside:
                hit = _LabelHit(name, word.text, r, i, i + 1, LOST_LABEL_TRUST, word.box)
                below = next(iter(_rows_below(hit, rows)), None)
                words = [] if below is None else _column_words(hit, rows[below], hits, below, spec.max_tokens,
                                                               identifier=spec.identifier_like)
                # under it, not a line beside it that a reading of its top half ("ORR 7°70 GRAD") set apart
                if plain(words) and any(ch.isdigit() for w in words for ch in w.text) and \
                        min(w.box.y for w in words) >= word.box.bottom - 0.2 * word.box.h:
                    out += _read_words(name, spec, words, side, "below", LOST_LABEL_TRUST, word.text)
    return out


def _taken_boxes(candidates: dict[str, list[Candidate]], side: str, spare: Sequence[str]) -> list[Box]:
    """Where the fields other than ``spare`` found their values on a side: words no other field may take."""
    return [c.box for other, found in candidates.items() if other not in spare for c in found if c.side == side]


@dataclass(frozen=True)
class _TypeSize:
    """The size of a line's type: its height, and how far apart its characters stand (the box's width
    over the characters in it), which blur does not stretch as it stretches a box's height."""

    height: float
    advance: float

    @classmethod
    def of(cls, printed: Sequence[tuple[Box, str]]) -> "_TypeSize":
        return cls(statistics.median(box.h for box, _ in printed),
                   statistics.median(box.w / max(1, len(text.replace(" ", ""))) for box, text in printed))

    def sets(self, word: Word) -> bool:
        """Whether the word is set in this type: of its height (``ROW_MATE_HEIGHT``), or, where a ghost of the
        line smeared the box taller, of its advance."""
        return _of_size(word.box.h, self.height) or \
            (word.box.h > self.height and _of_size(word.box.w / max(1, len(word.text)), self.advance))


def _of_size(mine: float, theirs: float) -> bool:
    """Whether two measures of type (heights, or advances) are of one type: within ``ROW_MATE_HEIGHT``."""
    return theirs / ROW_MATE_HEIGHT <= mine <= theirs * ROW_MATE_HEIGHT


def _mates_of_other_number(name: str, template: PayerTemplate, read: list[_SideRead],
                           candidates: dict[str, list[Candidate]]) -> list[Candidate]:
    """The value printed beside the card's other main number where the labels of both were lost: in
    its row ("413504958  74820341" under an unread "ID  Group"), else alone in the column it heads or
    ends ("HETEZ6863530" over an unread "Group No" over "81058MT"; the line may run on into the next
    column). The one word of the field's shape there standing apart from its neighbours (a cell, not the
    end of "H8559 927"), solid (no date's slashes: "62/22/1967" is a misread date of birth, not a
    group), unrepaired, read plainly, of the other number's size, under no other field's header, claimed
    by no other field.
    Trusted as a lost label's value (``LOST_LABEL_TRUST``): enough to confirm what a client typed,
    never to contradict it."""
    spec = template.fields[name]
    other = next(n for n in MAIN_NUMBERS if n != name)
    in_row: list[Candidate] = []
    in_column: list[Candidate] = []
    for side, rows, hits, _ in read:
        anchors = [c for c in candidates.get(other, ()) if c.side == side]
        if not anchors:
            continue
        owned = _owned(name, template, rows, hits, _taken_boxes(candidates, side, (name,)))

        def mate(r: int, i: int, size: _TypeSize) -> list[Candidate]:
            word = rows[r].words[i]
            if (r, i) in owned or word.confidence < PLAINLY_READ or not size.sets(word) or \
                    any(ch in "()" and ch not in spec.keep for ch in word.text) or \
                    not _solid(word.text, spec.keep) or _under_another_label(name, template, rows, r, word):
                return []
            return [c for c in _read_words(name, spec, [word], side, "row") if not c.repaired]

        for r, row in enumerate(rows):
            beside = [w for w in row.words if any(w.box.overlap(c.box) > 0.5 for c in anchors)]
            if beside:
                # a box's border read as a glyph ("|") is no neighbour: the cell's number still stands apart
                glyphs = tuple(w for w in row.words if any(ch.isalnum() for ch in w.text))
                alone = {id(phrase[0]) for phrase in _phrases(glyphs) if len(phrase) == 1}
                in_row += [c for i, word in enumerate(row.words) if id(word) in alone
                           for c in mate(r, i, _TypeSize.of([(w.box, w.text) for w in beside]))]
                continue
            # alone in its column of the line (the line may run on into another column), but for specks: a
            # dot, or a scrap of the lost label under half its height
            place = {id(w): i for i, w in enumerate(row.words)}
            for phrase in _phrases(row.words, COLUMN_GAP):
                solid = [place[id(w)] for w in phrase
                         if any(ch.isalnum() for ch in w.text) and 2 * w.box.h >= max(v.box.h for v in phrase)]
                if len(solid) != 1:
                    continue
                word = row.words[solid[0]]
                if any(abs(word.box.x - c.box.x) <= c.box.h and abs(word.box.y - c.box.y) <= COLUMN_REACH * c.box.h
                       for c in anchors):
                    in_column += mate(r, solid[0], _TypeSize.of([(c.box, c.raw) for c in anchors]))
    for found in (in_row, in_column):
        if found:
            return found if len({c.value for c in found}) == 1 else []
    return []


def _under_another_label(name: str, template: PayerTemplate, rows: list[Line], row: int, word: Word) -> bool:
    """Whether what is left of the header above a word is another field's label, nearer to it than to
    this field's own ("SIN" over 600428: 67 to the Rx BIN's "BIN"). Three letters say enough here, where
    they only turn a value away."""
    index = _label_index(template)

    def nearness(text: str, fields: Iterable[str]) -> float:
        return max((fuzz.ratio(text, label) for field in fields for label in index.squashed(field)), default=0.0)

    others = [other for other, spec in template.fields.items() if other != name and spec.labels
              and spec.type not in NAME_TYPES]  # a number under "Name" ("ake" of a smudged "Group") is no name
    for above in reversed(rows[max(0, row - 2):row]):
        over = [squash(w.text) for w in above.words if min(w.box.right, word.box.right) > max(w.box.x, word.box.x)
                and word.box.y - w.box.bottom < 2 * word.box.h]
        if over:
            nearest = [(nearness(text, others), nearness(text, [name])) for text in over
                       if len(text) >= 3 and text not in LABEL_TAIL_WORDS]  # "Number" ends anyone's label
            return any(theirs >= LOST_LABEL_SCORE and theirs - own >= LOST_LABEL_MARGIN for theirs, own in nearest)
    return False


def lost_label_of(text: str, template: PayerTemplate, name: str, *, line_start: bool = False) -> bool:
    """Whether a misread word is what is left of ``name``'s label: nearer its labels than those of the
    card's other main number and of the numbers a client may take for it (an Rx group's for the group's)."""
    return lost_label(text, template, (name, *number_rivals(template, name)), line_start=line_start) == name


def number_rivals(template: PayerTemplate, name: str) -> tuple[str, ...]:
    """The fields a main number's lost label is told from: the card's other main number, and the numbers
    a client may take for it (``distractor_for``)."""
    return (*(n for n in MAIN_NUMBERS if n != name),
            *(other for other, spec in template.fields.items() if name in spec.distractor_for))


def lost_label(text: str, template: PayerTemplate, fields: Sequence[str] = MAIN_NUMBERS, *,
               line_start: bool = False) -> Optional[str]:
    """Which of ``fields`` a misread word is the label of ("Srouo" for "Group": the group number's): the
    one whose labels it is nearest to, if still ``LOST_LABEL_SCORE`` near; None for a word like none of
    them, or nearly as near two of them ("wromber": 67 to "Group Number", 62 to "Member"). A word of two
    letters counts only first on its line (``line_start``), where a label stands: inside a line it is
    any word's (a state's "MN" is no "MRN")."""
    word = squash(text)
    if len(word) < LOST_LABEL_LETTERS - (2 if line_start else 1):
        return None
    index = _label_index(template)
    nearest = {name: max(fuzz.ratio(word, label) for label in index.squashed(name))
               for name in fields if name in template.fields and template.fields[name].labels}
    ranked = sorted(nearest.items(), key=lambda item: -item[1])
    score = LOST_LABEL_SCORE if len(word) >= LOST_LABEL_LETTERS else \
        SHORT_LOST_LABEL_SCORE if len(word) == LOST_LABEL_LETTERS - 1 else TWO_LETTER_LOST_LABEL_SCORE
    if not ranked or ranked[0][1] < score or (len(ranked) > 1 and
                                              ranked[0][1] - ranked[1][1] < LOST_LABEL_MARGIN):
        return None
    return ranked[0][0]


def _shape_candidates(name: str, template: PayerTemplate, rows: list[Line], hits: list[_LabelHit],
                      side: str, taken: list[Box]) -> list[Candidate]:
    """Values found by a distinctive shape alone (no label), never a word that another field may claim."""
    spec = template.fields[name]
    owned = _owned(name, template, rows, hits, taken)
    out = []
    for r, row in enumerate(rows):
        if spec.type == FieldType.TEXT:
            if any(h.row == r for h in hits):
                continue
            for phrase in _phrases(row.words):
                if _caption_before(phrase, spec):
                    phrase = phrase[1:]
                text = " ".join(w.text for w in phrase)
                if spec.shape_regex.fullmatch(text):
                    out.append(Candidate(name, text, text, round(min(w.confidence for w in phrase)
                                                                * PLACEMENT_FACTOR["shape"], 3),
                                         side, Box.enclosing([w.box for w in phrase]), None, "shape",
                                         trust=PLACEMENT_FACTOR["shape"]))
            continue
        for i in range(len(row.words)):
            # printed as one solid token (a phone number, a ZIP+4 or a dated range is not an ID), or split
            # by OCR at one of the value's own dashes ("660447 -427-44219"): the longest run that fits
            joined = _joined_at_keep(row, i, spec)
            for words in (joined[:n] for n in range(len(joined), 0, -1)):
                found = _shaped(name, spec, words, side)
                if (found is None or found.repaired) and spec.compose and i > 0 and (r, i - 1) not in owned:
                    # a value printed in parts whose header row was lost (SJM | BN2131912): with the word
                    # before it of the first part's shape, the value needs no repair (not BNZ131912)
                    found = _with_first_part(name, template, row.words[i - 1], words, side) or found
                if found and not any((r, i + k) in owned for k in range(len(words))):
                    out.append(found)
                    break
    return out


def _caption_before(phrase: Sequence[Word], spec: FieldSpec) -> bool:
    """Whether the phrase's first word is a caption set apart by its case ("UNIVERSITY Cedar Valley
    College"): in capitals before words that are not, which are of the field's shape without it."""
    first, rest = phrase[0].text, [w.text for w in phrase[1:]]
    return (len(rest) >= 2 and first.isupper() and len(first) >= 3 and not all(w.isupper() for w in rest)
            and bool(spec.shape_regex.fullmatch(" ".join(rest))))


def _part_as_whole(name: str, template: PayerTemplate, part: Candidate) -> Optional[Candidate]:
    """A part's value read as the whole field's value, repaired only where the whole value's shape requires,
    and trusted the less for each look-alike changed; repaired only when it begins with the first part as
    printed (a number without its prefix is not made one: B01495572 is no BOI495572)."""
    spec = template.fields[name]
    for repaired, changes in repairs(part.value, spec.regex, max_changes=2):
        if changes and not template.fields[spec.compose[0]].regex.match(part.value):
            return None
        return replace(part, field=name, value=repaired, repaired=part.repaired + changes,
                       confidence=round(part.confidence * REPAIR_FACTOR ** changes, 3))
    return None


def _with_part_before(name: str, template: PayerTemplate, last: Candidate, read: Sequence[_SideRead],
                      headed: Sequence[Candidate] = ()) -> Optional[Candidate]:
    """A value printed in two parts whose last part was read (under its label) and whose first part's label
    was lost: composed with the word before it in its row (``_with_first_part``). A first part read under
    its own header (``headed``) is a column of the same row of headers: within reach however far."""
    for side, rows, _, _ in read:
        if side != last.side:
            continue
        for row in rows:
            inside = [i for i, w in enumerate(row.words) if w.box.overlap(last.box) > 0.5]
            if inside and inside[0] > 0:
                before = row.words[inside[0] - 1]
                found = _with_first_part(name, template, before, [row.words[i] for i in inside], side,
                                         math.inf if any(p.side == side and p.box.overlap(before.box) > 0.5
                                                         for p in headed) else FAR_BESIDE)
                if found:
                    return replace(found, trust=min(found.trust, last.trust), label=last.label)
    return None


def _with_first_part(name: str, template: PayerTemplate, before: Word, words: list[Word],
                     side: str, reach: float = FAR_BESIDE) -> Optional[Candidate]:
    """The value of a field printed in two parts, composed from the word before ``words`` and ``words``,
    where each has its part's shape unrepaired (the first as printed: "Box" of "P.O. Box 618681" is no
    prefix) and the first stands within its ``reach`` (``FAR_BESIDE`` letter heights: the next column of a
    prefix row)."""
    spec = template.fields[name]
    if len(spec.compose) != 2 or not template.fields[spec.compose[0]].regex.fullmatch(before.text) \
            or words[0].box.x - before.box.right > reach * before.box.h:
        return None
    parts = [_shaped(part, template.fields[part], chosen, side)
             for part, chosen in zip(spec.compose, ([before], words))]
    if any(part is None or part.repaired for part in parts):
        return None
    return _joined(name, spec, parts)


def _shaped(name: str, spec: FieldSpec, words: list[Word], side: str) -> Optional[Candidate]:
    """The value these words spell together, if solid and of the field's shape (repaired at most twice)."""
    text = _identifier_text(spec, "".join(w.text for w in words))
    if not _solid(text, spec.keep):
        return None
    value = normalise_identifier(text, spec.keep)
    found = (next(repairs(value, spec.shape_regex, max_changes=2), None)
             or _after_stray(value, spec, spec.shape_regex)) if value else None
    if found is None:
        return None
    repaired, changes = found
    confidence = min(w.confidence for w in words) * PLACEMENT_FACTOR["shape"] * REPAIR_FACTOR ** changes
    return Candidate(name, repaired, " ".join(w.text for w in words), round(confidence, 3), side,
                     Box.enclosing([w.box for w in words]), None, "shape", changes, PLACEMENT_FACTOR["shape"])


def _joined_at_keep(row: Line, start: int, spec: FieldSpec) -> list[Word]:
    """The word at ``start`` and those after it, close beside it, that OCR split off a value holding a
    character the value keeps: at that character (a dash ending one word or starting the next), or past
    it ("76-443 144", a blurred digit read as a space)."""
    words = [row.words[start]]
    for word in row.words[start + 1:]:
        previous = words[-1]
        near = word.box.x - previous.box.right <= 1.2 * max(previous.box.h, word.box.h)
        kept = any(ch in spec.keep for w in (*words, word) for ch in w.text)
        if not (spec.keep and near and kept) or _tokens(w.text for w in (*words, word)) > spec.max_tokens:
            break
        words.append(word)
    return words


FRAME_BAR = re.compile(r"[|\[\]{}]+[a-z]?")  # a printed box's side read as bars, perhaps a speck beside it
FRAME_REMNANT = re.compile(r"[|!\[\]{}()Iilf]{1,2}")  # the side of a printed box read as a letter or two
PROSE_LETTERS = frozenset("abdefghijklmnqrty")  # lower-case letters unlike their capitals (not c o s u v w x z p)


def _copays(words: list[Word]) -> bool:
    """Dollar amounts with their labels ("$500 UC $100", "PCP $25"): a line of copays. A lone amount beside
    digits may be OCR's "$" for an 8 or an S at an identifier's start ("$35 674040")."""
    amounts = [i for i, w in enumerate(words) if is_amount(w.text)]
    return len(amounts) >= 2 or any(words[j].text.strip(".,:;|").isalpha()
                                    for i in amounts for j in (i - 1, i + 1) if 0 <= j < len(words))


def _prose(text: str) -> bool:
    """A word set in lower case ("sneer", "jdentifical", "Austin", "Box") or an abbreviation ("P.O."): prose
    or a garbled label, never part of an identifier, which cards print in capitals and digits (OCR may
    still lower a lone C, O, S or W)."""
    return (sum(ch in PROSE_LETTERS for ch in text) >= 2 or re.fullmatch(r"[A-Z][a-z]{2,}", text) is not None
            or re.fullmatch(r"(?:[A-Za-z]\.){2,}", text) is not None)


def _prose_in(spec: FieldSpec, text: str) -> bool:
    """``_prose``, but for the capitals every value of the field begins with, which the engine may set in
    lower case ("Osc 13364956" for OSC13364956)."""
    return _prose(text) and text.upper() != spec.fixed_prefix


def _word_of_letters(text: str) -> bool:
    """A word of five letters or more and no digit ("THOMPSON", "MEDICARE"): a name or a word, never one
    of the groups an identifier is printed in (a BCBS prefix has three letters)."""
    core = text.strip(".,:;#|")
    return len(core) >= 5 and core.isalpha()


def _holds_a_word(words: Sequence[Word]) -> bool:
    """Whether a run of several words holds a word of letters (``_word_of_letters``) printed apart from
    the words beside it. One the engine split off the rest of its token stands closer to it than half a
    letter's width, before it or after it ("KMZHT 2188299" for KMZHT2188299, "6531 ABDDDC" for
    6531ABDDDC); a space between words is wider. Words without geometry (a re-read line's) are taken as
    apart."""
    if len(words) < 2:
        return False

    def glued(left: Optional[Word], right: Optional[Word], pitch: float) -> bool:
        return left is not None and right is not None and left.box.w > 0 and right.box.w > 0 \
            and right.box.x - left.box.right <= 0.5 * pitch

    for before, word, after in zip([None, *words[:-1]], words, [*words[1:], None]):
        if _word_of_letters(word.text):
            pitch = word.box.w / max(1, len(word.text))
            if not glued(before, word, pitch) and not glued(word, after, pitch):
                return True
    return False


def _solid(text: str, keep: str = "") -> bool:
    """Letters and digits (and the value's own ``keep`` characters) only, apart from marks at either end
    (a colon, a quote, a stray '»' from the edge of a box)."""
    core = re.sub(rf"^[^\w{re.escape(keep)}]+|[^\w{re.escape(keep)}]+$", "", text)
    return bool(core) and all(ch.isalnum() or ch in keep for ch in core)


def _phrases(words: tuple[Word, ...], gap: float = PHRASE_GAP) -> list[tuple[Word, ...]]:
    """A line cut where the space between two words is wider than a word space (``gap`` word heights): a
    school's name printed in the same line as an ID, across a box border, is a phrase of its own."""
    phrases, start = [], 0
    for i in range(1, len(words)):
        if _apart(words[i - 1], words[i], gap):
            phrases.append(words[start:i])
            start = i
    phrases.append(words[start:])
    return phrases


def _apart(left: Word, right: Word, gap: float) -> bool:
    """Whether the space between two words of a line is wider than ``gap`` word heights (the taller's)."""
    return right.box.x - left.box.right > gap * max(left.box.h, right.box.h)


def _compose(name: str, spec: FieldSpec, candidates: dict[str, list[Candidate]]) -> Optional[Candidate]:
    """A value printed in parts (BCBS prefix + number) joined, when every part was read."""
    parts = []
    for part in spec.compose:
        if not candidates.get(part):
            return None
        parts.append(_choose(candidates[part])[0])
    return _joined(name, spec, parts)


def _joined(name: str, spec: FieldSpec, parts: Sequence[Candidate]) -> Optional[Candidate]:
    """The parts' values joined into one value of the field's shape, read on one side from words of their
    own (a number read with the prefix's word in it already holds the prefix); else None."""
    value = "".join(p.value for p in parts)
    if not spec.regex.fullmatch(value) or len({p.side for p in parts}) != 1 or \
            any(a.box.overlap(b.box) > 0.5 for a, b in itertools.combinations(parts, 2)):
        return None
    return Candidate(name, value, " ".join(p.raw for p in parts),
                     round(min(p.confidence for p in parts) * PLACEMENT_FACTOR["composed"], 3), parts[0].side,
                     Box.enclosing([p.box for p in parts]),
                     " + ".join(p.label or "" for p in parts) if any(p.label for p in parts) else None, "composed",
                     sum(p.repaired for p in parts), min(p.trust for p in parts) * PLACEMENT_FACTOR["composed"],
                     tuple(parts))


def combine_readings(readings: list[Extraction]) -> Extraction:
    """One extraction from several readings of the same card (the first pass and region re-reads).

    Each field's value is decided by vote, weighted by confidence: values read alike by several
    passes win and gain confidence; a value that a rival nearly matches loses confidence.
    """
    if len(readings) == 1:
        return readings[0]
    fields: dict[str, Candidate] = {}
    alternatives: dict[str, tuple[Candidate, ...]] = {}
    names = dict.fromkeys(name for reading in readings for name in reading.fields)
    for name in names:
        votes: dict[str, list[Candidate]] = {}
        read = [r.fields[name] for r in readings if name in r.fields]
        wholes = [c for c in read if c.placement == "composed"]
        for reading in readings:
            if name in reading.fields:
                found = _read_on(_as_whole(reading.fields[name], wholes), read)
                votes.setdefault(found.value, []).append(found)
        weight = {value: sum(c.confidence for c in found) for value, found in votes.items()}
        ranked = sorted(votes, key=lambda value: -weight[value])
        winner = max(votes[ranked[0]], key=lambda c: c.confidence)
        confidence = min(1.0, winner.confidence * (1 + AGREEMENT_BONUS * (len(votes[ranked[0]]) - 1)))
        if len(ranked) > 1 and weight[ranked[1]] >= 0.6 * weight[ranked[0]]:
            confidence *= AMBIGUITY_FACTOR
        fields[name] = Candidate(**{**winner.__dict__, "confidence": round(confidence, 3)})
        rivals = [max(votes[value], key=lambda c: c.confidence) for value in ranked[1:]]
        rivals += [c for reading in readings for c in reading.alternatives.get(name, ()) if c.value != winner.value]
        if rivals:
            alternatives[name] = tuple(rivals)
    # one printed number is never both the member ID and the group number: the field less sure of it
    # gives it up for its next reading, or goes unread
    member, group = fields.get("member_id"), fields.get("group_number")
    if member is not None and group is not None and member.value == group.value:
        _give_up(min(MAIN_NUMBERS, key=lambda n: fields[n].confidence), fields, alternatives)
    return Extraction(fields, alternatives, readings[0].zones)


def _give_up(name: str, fields: dict[str, Candidate], alternatives: dict[str, tuple[Candidate, ...]]) -> None:
    """The field gives up its value for its next reading of another value, or goes unread."""
    lost = fields[name].value
    others = [c for c in alternatives.get(name, ()) if c.value != lost]
    if others:
        fields[name] = replace(others[0], confidence=round(others[0].confidence * AMBIGUITY_FACTOR, 3))
        alternatives[name] = tuple(others[1:])
    else:
        del fields[name]
        alternatives.pop(name, None)


def without_distractors(extraction: Extraction, template: PayerTemplate) -> Extraction:
    """A member ID or group number read from the very words another field read as its own, where that
    field is one a client may take for it (an Rx group's "RX GROUP 925743", read as "GROUP 925743" by
    a reading that split the label): the distractor's label is the longer, so the number is its, and the
    main field gives it up. The two may differ by look-alikes, where one field's shape repaired the
    reading ("RDSZ18" of an Rx group, "RDS218" of a group under a garbled "py croup")."""
    fields, alternatives = dict(extraction.fields), dict(extraction.alternatives)
    for name in MAIN_NUMBERS:
        found = fields.get(name)
        if found is not None and any(
                other in fields and name in spec.distractor_for and fields[other].side == found.side
                and fields[other].box.overlap(found.box) > 0.5
                and canonical_look_alikes(fields[other].value) == canonical_look_alikes(found.value)
                for other, spec in template.fields.items()):
            _give_up(name, fields, alternatives)
    return replace(extraction, fields=fields, alternatives=alternatives)


def _as_whole(candidate: Candidate, wholes: list[Candidate]) -> Candidate:
    """A reading of a value printed in parts that another reading composed whole: the number without its
    BCBS prefix (the prefix's column lost in a re-read, the number repaired to fit, perhaps with one stray
    glyph read before it: "S$Z4387010" of SHU | SZ4387010) votes for the whole."""
    read = canonical_look_alikes(candidate.value)
    for whole in wholes:
        if whole.value != candidate.value and any(
                len(part) >= len(whole.value) // 2 and canonical_look_alikes(whole.value).endswith(part)
                for part in (read, read[1:])):
            return replace(whole, confidence=candidate.confidence)
    return candidate


def _read_on(candidate: Candidate, others: list[Candidate]) -> Candidate:
    """A reading that stopped at the value's own punctuation (262584 of 262584-412-89332, the rest lost
    to glare) votes for the value another reading read on past it, whole."""
    value = candidate.value
    for other in others:
        if len(other.value) > len(value) + 1 and other.value.startswith(value) \
                and not other.value[len(value)].isalnum():
            return replace(other, confidence=candidate.confidence)
    return candidate


MIN_RIVAL_SHARE = 0.2  # a value read again that wins less of the vote is not kept as a second reading
PLAIN_VOTE = 3  # readings that all agree with the value, each surely, settle it without the rest
PLAIN_CONFIDENCE = 0.85


Reading = Sequence[tuple[str, float]]  # a line read again: its words, with their confidences


def settle_value(spec: FieldSpec, candidate: Candidate, readings: Iterable[Reading], *, voters: int = 1,
                 when_split: Optional[Callable[[], Iterable[Reading]]] = None
                 ) -> tuple[Candidate, tuple[Candidate, ...]]:
    """The value decided by a vote between the chosen candidate and more readings of the line around it.

    In each reading (its words, with confidences) the value is the run of words that spells a value
    of the field's shape closest to the candidate's (the reading also holds a label's tail or a '#'
    left of it, a person's suffix right of it); a reading where no such run is near it votes for
    nothing. Values that differ only in punctuation the shape allows (76-306920, 76306920) are one
    vote, spelt with the punctuation where a reading saw it. Votes are weighted by the square of the run's
    confidence (a sure reading outweighs several unsure ones), less where look-alikes had to be
    repaired. The winner's confidence is what its label and place vouch for (``trust``) times its
    readings' confidence (weighted like the votes) times its share of the vote; a sure page reading loses
    only to a value with a majority. Values that won a fair
    share of the vote too are returned as rivals (second readings). ``readings`` may be lazy: once every
    reading agrees with the value, enough of them surely, and among the sure ones at least one by each
    of the ``voters`` engines (whose readings take turns), no more are taken: one model reading a
    blurred 0 as 6 at three scales is one mistake made three times, which the other may not make.
    Where the readings are all taken and split (some read another value), ``when_split`` gives more
    (the line read from another view of it), which vote too.
    """
    def key(value: str) -> str:
        return "".join(ch for ch in value if ch not in spec.keep)

    base = min(1.0, candidate.confidence / max(candidate.trust, 1e-6))
    votes: dict[str, list[tuple[float, str, int, str]]] = {
        key(candidate.value): [(base, candidate.raw, candidate.repaired, candidate.value)]}
    unread = 0.0
    sure_voters: set[int] = set()

    first_view: list[tuple[dict[str, float], float]] = []  # the votes before another view's were taken

    def taken() -> Iterator[Reading]:
        yield from readings
        if when_split is not None and len(votes) > 1:
            first_view.append(({k: sum(c ** 2 for c, _, _, _ in found) for k, found in votes.items()}, unread))
            yield from when_split()

    for index, words in enumerate(taken()):
        found = _closest_run(spec, words, candidate.value)
        if found is None:
            unread += (sum(c for _, c in words) / max(1, len(words))) ** 2
            continue
        value, raw, repaired, confidence = found
        votes.setdefault(key(value), []).append((confidence * REPAIR_FACTOR ** repaired, raw, repaired, value))
        if confidence * REPAIR_FACTOR ** repaired >= PLAIN_CONFIDENCE:
            sure_voters.add(index % voters)
        if len(votes) == 1 and not unread and len(sure_voters) == voters and (base >= PLAIN_CONFIDENCE) + sum(
                c >= PLAIN_CONFIDENCE for c, _, _, _ in votes[key(candidate.value)][1:]) >= PLAIN_VOTE:
            break  # every reading so far agrees, enough of them surely (a sure page reading counts too) and
            # by every engine: the rest are not read; an unsure reading that agrees is no reason to read on
    weight = {k: sum(c ** 2 for c, _, _, _ in found) for k, found in votes.items()}
    total = sum(weight.values()) + unread
    if total <= 0:
        return candidate, ()
    ranked = sorted(weight, key=lambda k: -weight[k])
    own = key(candidate.value)
    if ranked[0] != own and base >= PLAIN_CONFIDENCE and weight[ranked[0]] < total / 2:
        # a sure page reading stands where the readings of its box alone split, giving no value a majority
        # (43652 read surely on the page; alone, 43662 in under half the vote): one crop read at several
        # scales is one view, its readings not independent, and split, they outvote no sure reading
        ranked.remove(own)
        ranked.insert(0, own)

    def as_candidate(k: str) -> Candidate:
        found = votes[k]
        spellings: dict[str, float] = {}
        for c, _, _, value in found:
            spellings[value] = spellings.get(value, 0.0) + c ** 2 + 1e-9
        sure = sum(c ** 3 for c, _, _, _ in found) / max(weight[k], 1e-9)  # confidence, weighted like the votes
        # OCR drops a dash more often than it invents one: the spelling with the value's punctuation wins
        spelt = max(spellings, key=lambda v: (sum(ch in spec.keep for ch in v), spellings[v]))
        return replace(candidate, value=spelt, raw=max(found)[1],
                       repaired=min(r for _, _, r, _ in found),
                       confidence=round(candidate.trust * sure * weight[k] / total, 3))

    def fair_share(k: str) -> bool:
        # in the vote, or in the first view's alone: the other view's readings (all of one value, say)
        # take no second reading away that the first view gave its share
        return weight[k] >= MIN_RIVAL_SHARE * total or any(
            before.get(k, 0.0) >= MIN_RIVAL_SHARE * (sum(before.values()) + unread_before)
            for before, unread_before in first_view)

    rivals = tuple(as_candidate(k) for k in ranked[1:] if fair_share(k))
    return as_candidate(ranked[0]), rivals


def settle_unread(name: str, spec: FieldSpec, zone: Zone, words: Sequence[Word], readings: Iterable[Reading], *,
                  voters: int = 1, when_split: Optional[Callable[[], Iterable[Reading]]] = None
                  ) -> Optional[tuple[Candidate, tuple[Candidate, ...]]]:
    """A value its label was read beside but the page did not read whole (a shadow's edge across it:
    "GROUP 32. 0-825-16277" for 327190-825-16277): its words read again (``readings``, as for
    ``settle_value``, all of them taken), the run of the field's shape nearest what the page read in
    each, and the run read most (weighted as votes are) seeding a vote that the readings decide. None
    where no reading holds such a run."""
    near = "".join(ch for w in words for ch in w.text if ch.isalnum() or ch in spec.keep)
    if not near:
        return None
    taken = list(readings)
    weight: dict[str, float] = {}
    spelt: dict[str, tuple[str, int]] = {}  # value -> its first reading's raw words and repairs
    for reading in taken:
        found = _closest_run(spec, reading, near)
        if found is not None:
            value, raw, repaired, confidence = found
            weight[value] = weight.get(value, 0.0) + (confidence * REPAIR_FACTOR ** repaired) ** 2
            spelt.setdefault(value, (raw, repaired))
    if not weight:
        return None
    value = max(weight, key=weight.__getitem__)
    raw, repaired = spelt[value]
    # the seed carries no vote of its own (base 0): every reading, the one it came from too, votes once
    seed = Candidate(name, value, raw, 0.0, zone.side, Box.enclosing([w.box for w in words]), zone.label,
                     zone.placement, repaired, zone.trust)
    winner, rivals = settle_value(spec, seed, taken, voters=voters, when_split=when_split)
    return (winner, rivals) if winner.confidence > 0 else None


def settle_parts(template: PayerTemplate, candidate: Candidate,
                 readings: Sequence[Iterable[Sequence[tuple[str, float]]]], *, voters: int = 1) -> Candidate:
    """A value printed in parts settled part by part (``readings``: each part's box read again), each part
    against its own field's shape (a prefix's J read as ')' is no prefix), and joined again; the
    candidate as it was when the settled parts no longer make a value of its shape."""
    parts = [settle_value(template.fields[part.field], part, found, voters=voters)[0]
             for part, found in zip(candidate.parts, readings)]
    return _joined(candidate.field, template.fields[candidate.field], parts) or candidate


def _closest_run(spec: FieldSpec, words: Sequence[tuple[str, float]],
                 near: str) -> Optional[tuple[str, str, int, float]]:
    """The run of words spelling a value of the field's shape closest to ``near`` (value, raw, repairs,
    mean confidence), or None when no run comes within a third of the longer one's length of it. Runs that
    fit the shape as read come before runs repaired into it; a run that reads on past the value's own
    punctuation is the value whole."""
    best: Optional[tuple[tuple, tuple[str, str, int, float]]] = None
    # a label's tail glued on ("Grp#M21842", "ID:W123") is cut off where the separator stands
    words = [(part, confidence) for text, confidence in words for part in re.split(r"[#:]", text) if part]
    for start in range(len(words)):
        # a line read alone holds one value, which large type may come back in more words than a value
        # is printed in ("H62 1 060 1 3"): any run may be it, the closest wins
        for end in range(start + 1, len(words) + 1):
            run = words[start:end]
            if end - start > 1 and (_is_suffix(spec, run[-1][0]) or any(_past_frame(t) for t, _ in run[1:])):
                continue
            parsed = _parse(spec, [Word(text, Box(0, 0, 0, 0), confidence) for text, confidence in run])
            if parsed is None:
                continue
            confidence = sum(c for _, c in run) / len(run)
            # the value read on past its own punctuation (391809 → 391809-061-83270) is the same value, whole
            extends = len(parsed[0]) > len(near) and parsed[0].startswith(near) and parsed[0][len(near)] in spec.keep
            distance = 0 if extends else Levenshtein.distance(parsed[0], near)
            # a run read as the shape wants beats one repaired into it ("XY T282940817" is XYT282940817, not
            # T282940817 repaired to TZB2940817); a stray mark beside the value is not part of it
            rank = (parsed[2], distance, not extends, len(run), -confidence)
            if distance <= max(2, len(near) // 3, len(parsed[0]) // 3) and (best is None or rank < best[0]):
                best = (rank, (*parsed, confidence))
    return None if best is None else best[1]


def _choose(found: list[Candidate]) -> tuple[Candidate, tuple[Candidate, ...]]:
    """The most confident candidate; its confidence drops when a different value is nearly as good."""
    ranked = sorted(found, key=lambda c: -c.confidence)
    best = ranked[0]
    rivals = tuple(c for c in ranked[1:] if c.value != best.value)
    if rivals and rivals[0].confidence >= 0.85 * best.confidence:
        best = Candidate(**{**best.__dict__, "confidence": round(best.confidence * AMBIGUITY_FACTOR, 3)})
    return best, rivals
