"""Payer templates: extraction rules as data, one YAML file per payer, validated when loaded.

A template says how to recognise its payer (keywords), the names a client may type for it
(aliases), each field's labels, declared type and value shape, and the payer's policies. Files whose
name starts with ``_`` are shared bases that templates ``extends``; they are not payers. Matching a
card to a payer scores every template; a sub-brand (``parent`` set) beats its parent brand, and two
unrelated payers both matching is reported, not settled by file order.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from enum import Enum
from functools import cached_property
from pathlib import Path
from typing import Iterable, Literal, Optional, Sequence

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from rapidfuzz import fuzz

from .errors import TemplateError
from .ocr import Line, Page, text_rows
from .text import normalise_identifier, squash, strip_accents

log = logging.getLogger(__name__)

DEFAULT_TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "payer_templates"
UNKNOWN_PAYER = "unknown"


class FieldType(str, Enum):
    """How a value is read, repaired and compared; declared per field, never guessed from its name."""

    IDENTIFIER = "identifier"  # member IDs, group numbers: tokens joined without spaces, look-alikes repaired
    CODE = "code"  # Rx BIN/PCN/group, payer IDs, issuer numbers: like identifiers, informational
    PERSON_NAME = "person_name"  # two to four words of letters
    DATE = "date"
    PHONE = "phone"
    TEXT = "text"  # free text to the end of the line (plan names, schools)
    PERSON_LIST = "person_list"  # names one per line under the label, each with its person suffix (dependents)


class Placement(str, Enum):
    BESIDE = "beside"  # after the label on the same line (including glued: "ID:W123")
    BELOW = "below"  # under the label, as in column layouts


class FieldSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: FieldType
    labels: list[str] = Field(default_factory=list)
    pattern: Optional[str] = Field(default=None, description="regex the normalised value must fully match")
    placement: list[Placement] = Field(default_factory=lambda: [Placement.BESIDE, Placement.BELOW])
    keep: str = Field(default="", description="punctuation that is part of the value, e.g. '-'")
    compose: list[str] = Field(default_factory=list,
                               description="fields whose values, concatenated, also give this field")
    part: bool = Field(default=False, description="read only as a part another field composes (a BCBS "
                                                  "row's Prefix, Identification #): a template that composes "
                                                  "nothing from it does not read it, so its labels never "
                                                  "take the whole value from the field they are part of")
    person_suffix: Optional[str] = Field(default=None, description="a separate trailing token of this "
                                         "shape is the person's suffix, not part of the value")
    prominent: bool = Field(default=False, description="may be found without a label where it is printed "
                                                       "in larger type than the card's text (the card's main "
                                                       "number), with lower confidence")
    unlabelled: bool = Field(default=False, description="may be found by its shape alone, with lower "
                                                        "confidence; only for distinctive patterns")
    shape: Optional[str] = Field(default=None, description="regex a value found without a label must "
                                                           "fully match (defaults to pattern)")
    distractor_for: list[str] = Field(default_factory=list,
                                      description="portal fields this value is mistaken for")
    names_payer: bool = Field(default=False, description="a sub-brand's value of a shape (``shape``, else "
                                                         "``pattern``) that only it prints: read on a card of its "
                                                         "parent brand, it names the sub-brand whose logo was lost")
    max_tokens: int = 3

    @field_validator("pattern", "shape")
    @classmethod
    def _compiles(cls, value: Optional[str]) -> Optional[str]:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"pattern {value!r} does not compile: {exc}") from exc
        return value

    @field_validator("labels")
    @classmethod
    def _labels_have_letters(cls, value: list[str]) -> list[str]:
        for label in value:
            if not squash(label):
                raise ValueError(f"label {label!r} has no letters or digits")
        return value

    @model_validator(mode="after")
    def _findable(self) -> "FieldSpec":
        if not self.labels and not self.compose and not self.unlabelled:
            raise ValueError("a field needs labels, compose or unlabelled")
        if self.identifier_like and not self.pattern:
            raise ValueError(f"a field of type {self.type.value} needs a pattern")
        if (self.unlabelled or self.prominent) and not self.pattern:
            raise ValueError("a field found without its label needs a pattern")
        return self

    @property
    def identifier_like(self) -> bool:
        """Read as a compact token (an identifier or a code): words joined, look-alikes repaired."""
        return self.type in (FieldType.IDENTIFIER, FieldType.CODE)

    @property
    def regex(self) -> "re.Pattern[str]":
        return _compile(self.pattern or ".+")

    @property
    def shape_regex(self) -> "re.Pattern[str]":
        return _compile(self.shape or self.pattern or ".+")

    @property
    def fixed_prefix(self) -> str:
        """The capitals every value begins with, where the pattern starts with them (Oscar's ``OSC``)."""
        found = re.match(r"[A-Z]+(?![A-Z]*[?*+{])", self.pattern or "")
        return found.group() if found else ""


class PortalGroupRule(BaseModel):
    """How the portal's six-character group field is made from the printed group number."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["six_characters", "first_digits"] = "six_characters"
    digits: int = 6


class Policies(BaseModel):
    model_config = ConfigDict(extra="forbid")

    photo_required: bool = False
    school_name_required: bool = False
    group_often_missing: bool = False


class PayerTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    extends: Optional[str] = None
    parent: Optional[str] = Field(default=None, description="the brand this payer is a sub-brand of")
    generic: bool = Field(default=False, description="the fallback for payers without a template")
    keywords: list[str] = Field(default_factory=list)
    sub_brand_marks: list[str] = Field(default_factory=list, description=(
        "phrases only its sub-brands' cards print ('A UnitedHealthcare Company'): a card showing one is a "
        "sub-brand's, never this payer's own, even where the sub-brand's logo was not read"))
    aliases: list[str] = Field(default_factory=list)
    fields: dict[str, FieldSpec] = Field(default_factory=dict)
    portal_group: PortalGroupRule = Field(default_factory=PortalGroupRule)
    policies: Policies = Field(default_factory=Policies)

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not re.fullmatch(r"_?[a-z][a-z0-9_]*", value):
            raise ValueError(f"id {value!r} must be lower-case letters, digits and underscores")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> "PayerTemplate":
        for name, spec in self.fields.items():
            for part in spec.compose:
                if part not in self.fields:
                    raise ValueError(f"field {name!r} composes unknown field {part!r}")
        composed = {part for spec in self.fields.values() for part in spec.compose}
        self.fields = {name: spec for name, spec in self.fields.items() if not spec.part or name in composed}
        if not self.id.startswith("_") and not self.generic and not self.keywords:
            raise ValueError("a payer template needs keywords to be recognised by")
        for name, spec in self.fields.items():
            if spec.names_payer and not (self.parent and (spec.shape or spec.pattern)):
                raise ValueError(f"field {name!r} names the payer: only a sub-brand's field (with a parent) "
                                 "of a declared shape can")
        return self


@dataclass(frozen=True)
class PayerMatch:
    """The payer decided for a card, with the evidence that decided it."""

    template: PayerTemplate
    confidence: float
    also_matched: tuple[str, ...] = ()

    @property
    def payer_id(self) -> str:
        return UNKNOWN_PAYER if self.template.generic else self.template.id


class TemplateSet:
    """Every payer template, loaded and validated, plus the generic fallback."""

    def __init__(self, templates: Iterable[PayerTemplate], version: str) -> None:
        self.templates = {t.id: t for t in templates}
        self.version = version
        generics = [t for t in self.templates.values() if t.generic]
        if len(generics) != 1:
            raise TemplateError(f"exactly one generic template is needed, found {len(generics)}")
        self.generic = generics[0]
        for t in self.templates.values():
            if t.parent and t.parent not in self.templates:
                raise TemplateError(f"template {t.id!r}: parent {t.parent!r} is not a template")

    @cached_property
    def vocabulary(self) -> frozenset[str]:
        """The words cards print (labels, payer names), upper case, three characters or more: reading
        them with confidence is what tells an upright card from an upside-down one."""
        words = set()
        for template in self.templates.values():
            texts = [*([] if template.generic else [template.name]), *template.keywords, *(label for spec in template.fields.values()
                                                          for label in spec.labels)]
            for text in texts:
                words.update(w for w in re.split(r"[^A-Z0-9]+", text.upper()) if len(w) >= 3)
        return frozenset(words)

    @property
    def payers(self) -> list[PayerTemplate]:
        return [t for t in self.templates.values() if not t.generic]

    def get(self, payer_id: str) -> PayerTemplate:
        return self.templates.get(payer_id, self.generic)

    def match(self, pages: list[Page]) -> PayerMatch:
        """Name the payer from the card's text; sub-brands beat their parent brand. The text is read as the
        engine laid out its lines, and as the rows of words by geometry that join words of several of its
        lines (a brand the layout analysis split in two, "Student" | "Resources", is one row)."""
        lines = [_LineText(line) for page in pages for line in (*page.lines, *_joining_rows(page))]
        scores: dict[str, float] = {}
        for template in self.payers:
            score = max((_keyword_score(k, lines) for k in template.keywords), default=0.0)
            if score >= KEYWORD_MIN_SCORE:
                scores[template.id] = score
        # a sub-brand whose name was not read, on its parent's card that prints a value only the sub-brand
        # prints (Student Resources' policy number 2019-920-4 under a lost "StudentResources"), is named
        for template in self.payers:
            if template.parent in scores and template.id not in scores and \
                    _prints_own_value(template, [text.line for text in lines]):
                scores[template.id] = scores[template.parent]
        # a parent is implied by its sub-brand's card ("A UnitedHealthcare Company"): drop it, and where
        # only the mark was read, the card is a sub-brand's all the same (unknown beats a wrong payer)
        for payer_id in list(scores):
            parent = self.templates[payer_id].parent
            if parent in scores:
                del scores[parent]
        for payer_id in list(scores):
            if any(_keyword_score(mark, lines) >= MARK_MIN_SCORE for mark in self.templates[payer_id].sub_brand_marks):
                del scores[payer_id]
        if not scores:
            return PayerMatch(self.generic, 0.0)
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        best_id, best = ranked[0]
        others = tuple(pid for pid, _ in ranked[1:])
        confidence = best / 100.0 * (0.6 if others else 1.0)
        return PayerMatch(self.templates[best_id], confidence, others)

    def resolve_alias(self, typed: str) -> tuple[Optional[PayerTemplate], float]:
        """The template a client meant by what they typed as insurance provider, and how sure."""
        wanted = squash(typed)
        if not wanted:
            return None, 0.0
        best: tuple[Optional[PayerTemplate], float] = (None, 0.0)
        for template in self.payers:
            for name in [template.name, *template.aliases, *template.keywords]:
                candidate = squash(name)
                score = 100.0 if candidate == wanted else fuzz.ratio(candidate, wanted)
                if score > best[1]:
                    best = (template, score)
        return best if best[1] >= ALIAS_MIN_SCORE else (None, best[1])


def _joining_rows(page: Page) -> list[Line]:
    """The rows of words by geometry (``text_rows``) that hold words of more than one of the engine's lines."""
    line_of = {id(word): i for i, line in enumerate(page.lines) for word in line.words}
    return [row for row in text_rows(page) if len({line_of.get(id(word)) for word in row.words}) > 1]


KEYWORD_MIN_SCORE = 88.0
MARK_MIN_SCORE = 95.0  # a sub-brand mark read nearly whole ("UnitedHealthcare Community Plan" scores 88)
ALIAS_MIN_SCORE = 86.0
FUZZY_KEYWORD_CONFIDENCE = 0.5  # a short payer name read inexactly counts only from words read this surely
LONG_KEYWORD = 8  # letters: a longer name read all but a letter is no accident of noise, however unsure


# the US Postal Service's state and territory abbreviations, less ID (Idaho's is the label in "Payer ID 06111")
US_STATES = frozenset("AL AK AZ AR CA CO CT DE DC FL GA HI IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM "
                      "NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY AS GU MP PR VI".split())
ZIP = re.compile(r"\d{5}")


class _LineText:
    """A line's words as payer names are compared (squashed), worked out once for every keyword."""

    def __init__(self, line: Line) -> None:
        self.line = line
        self.pieces = [squash(word.text) for word in line.words]
        self.text = "".join(self.pieces)

    @cached_property
    def numbers(self) -> list[str]:
        """Its runs of letters and digits, for keywords that are numbers (a payer ID); not a ZIP code after
        a state's abbreviation ("Hartford, CT 06111": an address, though Oxford's payer ID is 06111)."""
        runs = re.split(r"[^0-9A-Z]+", strip_accents(self.line.text).upper())
        return [run for before, run in zip(["", *runs], runs) if not (before in US_STATES and ZIP.fullmatch(run))]


def _keyword_score(keyword: str, lines: Sequence[_LineText]) -> float:
    """How well a payer keyword appears on the card. Short keywords must be whole words, and numbers (a
    payer ID) whole numbers: 87726 is in "911-87726-04", not in "1-800-877-2600"."""
    wanted = squash(keyword)
    best = 0.0
    for line in lines:
        if any(ch.isdigit() for ch in wanted):
            if wanted in line.numbers:
                return 100.0
            continue
        if len(wanted) <= 4:  # as many whole words as the keyword has ("SR ID#" for "SR ID")
            span = len(keyword.split())
            if any("".join(line.pieces[i:i + span]) == wanted for i in range(len(line.pieces) - span + 1)):
                return 100.0
            continue
        if len(line.text) < len(wanted) - 1:
            continue
        match = fuzz.partial_ratio_alignment(wanted, line.text)
        if len(wanted) < LONG_KEYWORD and (_straddles(line.pieces, match.dest_start, match.dest_end) or (
                match.score < 100 and _read_confidence(line.line, line.pieces, match.dest_start, match.dest_end)
                < FUZZY_KEYWORD_CONFIDENCE)):
            continue  # two words that happen to spell a short name across them ("a los card" for oscar, its
            # lost's t dropped), or noise near one ("Ae TAS" for aetna on a dark, grainy back)
        best = max(best, match.score)
    return best


def _prints_own_value(template: PayerTemplate, lines: Iterable[Line]) -> bool:
    """Whether a word read surely on the card has the shape of a value only this payer prints."""
    shapes = [(spec.shape_regex, spec.keep) for spec in template.fields.values() if spec.names_payer]
    return any(word.confidence >= FUZZY_KEYWORD_CONFIDENCE and regex.fullmatch(normalise_identifier(word.text, keep))
               for regex, keep in shapes for line in lines for word in line.words)


def _straddles(pieces: list[str], start: int, end: int) -> bool:
    """Whether characters ``start``..``end`` of the squashed line run across words without starting where
    one starts or ending where one ends: letters of two words that happen to spell a name."""
    starts, ends, offset = set(), set(), 0
    for piece in pieces:
        starts.add(offset)
        offset += len(piece)
        ends.add(offset)
    return any(start < edge < end for edge in ends) and start not in starts and end not in ends


def _read_confidence(line: Line, pieces: list[str], start: int, end: int) -> float:
    """The engine's confidence in the words that hold characters ``start``..``end`` of the squashed line."""
    offset, held = 0, []
    for word, piece in zip(line.words, pieces):
        if piece and offset < end and offset + len(piece) > start:
            held.append(word.confidence)
        offset += len(piece)
    return sum(held) / len(held) if held else 0.0


def load_templates(directory: Path | str = DEFAULT_TEMPLATE_DIR) -> TemplateSet:
    """Load and validate every template; a broken file fails loudly, naming the file and the problem."""
    directory = Path(directory)
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise TemplateError(f"no templates in {directory}")
    raw: dict[str, tuple[Path, dict]] = {}
    digest = hashlib.sha256()
    for path in files:
        text = path.read_text(encoding="utf-8")
        digest.update(path.name.encode() + b"\0" + text.encode())
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise TemplateError(f"{path.name}: not valid YAML: {exc}") from exc
        if not isinstance(data, dict) or "id" not in data:
            raise TemplateError(f"{path.name}: a template is a mapping with an 'id'")
        if data["id"] in raw:
            raise TemplateError(f"{path.name}: id {data['id']!r} is also used by {raw[data['id']][0].name}")
        raw[data["id"]] = (path, data)
    templates = []
    for template_id, (path, data) in raw.items():
        if template_id.startswith("_"):
            continue
        merged = _merge_base(data, raw, path)
        try:
            templates.append(PayerTemplate.model_validate(merged))
        except ValidationError as exc:
            raise TemplateError(f"{path.name}: {_describe(exc)}") from exc
    return TemplateSet(templates, version=digest.hexdigest()[:12])


def _merge_base(data: dict, raw: dict[str, tuple[Path, dict]], path: Path) -> dict:
    """Fields and settings from the base a template extends; the template's own win."""
    base_id = data.get("extends")
    if not base_id:
        return data
    if base_id not in raw:
        raise TemplateError(f"{path.name}: extends unknown template {base_id!r}")
    base = _merge_base(raw[base_id][1], raw, raw[base_id][0])
    merged = {k: v for k, v in base.items() if k not in ("id", "extends")}
    merged.update({k: v for k, v in data.items() if k != "fields"})
    merged["fields"] = {**(base.get("fields") or {}), **(data.get("fields") or {})}
    return merged


def _describe(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors())


_PATTERNS: dict[str, "re.Pattern[str]"] = {}


def _compile(pattern: str) -> "re.Pattern[str]":
    if pattern not in _PATTERNS:
        _PATTERNS[pattern] = re.compile(pattern)
    return _PATTERNS[pattern]


def portal_group_value(template: PayerTemplate, printed: str) -> str:
    """What the portal's six-character group field should hold for this printed group number."""
    rule = template.portal_group
    if rule.kind == "first_digits":
        digits = "".join(ch for ch in printed if ch.isdigit())
        return digits[: rule.digits] if len(digits) >= rule.digits else "XXXXXX"
    compact = "".join(printed.split()).upper()
    return compact if len(compact) == 6 else "XXXXXX"
