"""Check what the client typed against what the card shows, and decide whether staff must look.

Every flag the product raises is declared once in ``POLICY`` below: its severity (what it risks) and
its message for staff. ``needs_review`` is true exactly when a warning or error flag is raised.
"""

from __future__ import annotations

import functools
import itertools
import logging
import os
import re
from dataclasses import dataclass, field, replace
from datetime import date
from types import MappingProxyType
from typing import Iterable, Mapping, Optional, Sequence, Union

from nicknames import NickNamer
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from .extract import LOST_LABEL_TRUST, PLAINLY_READ, Candidate, Extraction, SidePage, lost_label, number_rivals
from .ocr import Box, Line, Word
from .models import Check, CheckStatus, ClientSubmission, Flag, Severity, SideQuality
from .templates import UNKNOWN_PAYER, FieldType, PayerMatch, PayerTemplate, TemplateSet, portal_group_value
from .text import (canonical_look_alikes, name_read_as, normalise_identifier, normalise_name, squash,
                   strip_accents)

log = logging.getLogger(__name__)

LOW_CONFIDENCE = 0.45  # below this a reading cannot contradict what the client typed
# a name word read below this confidence and within a few letters of what was typed may be the typed
# name misread: unreadable, not a mistake (a nickname or another surname differs by more)
NAME_SURE = 0.8
NAME_UNSURE_EDITS = 2
# ... but a name read unsurely that shares almost nothing with the typed one (a fuzzy ratio under this:
# SMITH-JJONES for a typed Bianchi scores 21, a misread BLANCHL 71) still contradicts it
NAME_UNLIKE = 30
NAME_NOISE = 0.3  # ... unless read as unsurely as noise is (SWAMI at 0.20 for a typed Thompson): unreadable
# a name word read with a digit for one of its letters is unsure (under NAME_SURE), yet sure enough that
# a typed name far from it is a mistake
LETTER_UNREAD = 0.6
PLACEHOLDER = "XXXXXX"
NAME_FIELDS = ("first_name", "last_name")
PERSON_SUFFIX = re.compile(r"\d{1,2}")  # a relative's number after their name in the covered list
I, W, E = Severity.INFO, Severity.WARNING, Severity.ERROR


@dataclass(frozen=True)
class Rule:
    severity: Severity
    message: str


# The policy table: one row per flag code.
POLICY: dict[str, Rule] = {
    "member_id_mismatch": Rule(E, "Member ID typed as {typed} but the card shows {read}."),
    "member_id_typo": Rule(W, "Member ID typed as {typed} looks like a typo of {read} on the card ({why})."),
    "member_id_unreadable": Rule(W, "The member ID on the card could not be read with confidence; "
                                    "check it against the photo."),
    "group_number_mismatch": Rule(E, "Group number typed as {typed} but the card shows {read}."),
    "group_number_typo": Rule(W, "Group number typed as {typed} looks like a typo of {read} ({why})."),
    "group_number_unreadable": Rule(W, "The group number on the card could not be read with confidence; "
                                       "check it against the photo."),
    "group_number_unlike": Rule(W, "Group number typed as {typed} is not shaped like a {payer} group number, "
                                   "and the card shows none: check it against the photo."),
    "group_number_not_printed": Rule(W, "Group number typed as {typed}, but the card shows none: {payer} "
                                        "cards without one take XXXXXX. Check where the number came from."),
    "group_placeholder": Rule(I, "XXXXXX was typed as the portal asks; the card's group number is {read}: "
                                 "fill it in at the eligibility check."),
    "group_placeholder_unneeded": Rule(W, "XXXXXX was typed, but the card's group number {read} fits the "
                                          "portal's six characters: the portal value is {portal}."),
    "typed_distractor": Rule(E, "The {field_label} typed ({typed}) is the card's {distractor} number, not "
                                "its {field_label}; the card's {field_label} is {read}."),
    "payer_mismatch": Rule(E, "Insurance provider typed as {typed} but the card is from {read}."),
    "payer_parent_brand": Rule(E, "Insurance provider typed as {typed}, the parent brand; the card is a "
                                  "{read} card, so the provider to select is {read}."),
    "payer_unknown": Rule(W, "The payer could not be recognised on the card; confirm the insurance "
                             "provider ({typed}) against the photo."),
    "payer_unlisted": Rule(I, "The card's payer has no template; the typed provider ({typed}) is printed "
                              "on the card."),
    "payer_ambiguous": Rule(W, "The card matches more than one payer ({read}); confirm which one "
                               "administers the plan."),
    "name_mismatch": Rule(E, "{field_label} typed as {typed} but the card shows {read}{why}."),
    "name_typo": Rule(W, "{field_label} typed as {typed} looks like a typo of {read} on the card."),
    "date_of_birth_mismatch": Rule(E, "Date of birth typed as {typed} but the card shows {read}."),
    "school_name_missing": Rule(W, "Student Resources plans need the college or university's name; it was "
                                   "not sent and could not be read on the card: ask the client."),
    "school_name_from_card": Rule(W, "The school's name was not sent; the card shows {read}: add it to the "
                                     "client's record."),
    "school_name_mismatch": Rule(W, "School typed as {typed} but the card shows {read}."),
    "back_photo_missing": Rule(W, "{payer} requires photos of both sides of the card; the back is missing: "
                                  "ask the client for it."),
    "photo_retake": Rule(W, "{message}"),
    "photo_quality": Rule(I, "{message}"),
}

# What a quality issue means for the client (set by the pipeline from the measurements).
RETAKE_MESSAGES: dict[str, str] = {
    "card_not_found": "The card's edges could not be found: place the card on a plain, contrasting surface "
                      "and retake the photo with the whole card in view.",
    "blurry": "The photo is too blurry: hold the phone steady and retake it.",
    "too_small": "The card is too small in the photo: move closer so the card fills the frame.",
    "glare": "Glare hides part of the card: tilt the card away from the light and retake it.",
    "dark": "The photo is too dark: retake it in better light.",
    "low_text_confidence": "The text on the card is hard to read: retake the photo straight on, in focus.",
}


@dataclass(frozen=True)
class PrintedValue:
    """A typed number found printed word for word on the card where its reading was unsure or missing:
    the value as printed (the payer's punctuation kept) and the words that print it."""

    value: str
    words: tuple[Word, ...]


Matched = Union[Candidate, PrintedValue]  # what of the card a typed number matched where its first reading did not


@dataclass(frozen=True)
class Verdict:
    checks: list[Check]
    flags: list[Flag]
    # field -> what of the card the typed number matched where its first reading did not: a second reading,
    # or the words printing it plainly
    matched: Mapping[str, Matched] = field(default_factory=dict)
    # fields whose reading the typed form outweighs: read unsurely and contradicted by the client's word (a
    # six-character group where XXXXXX says the card's is not six characters), so not the card's reading
    set_aside: frozenset[str] = frozenset()

    @property
    def needs_review(self) -> bool:
        return any(f.severity in (Severity.WARNING, Severity.ERROR) for f in self.flags)


def flag(code: str, field: Optional[str] = None, **values: object) -> Flag:
    rule = POLICY[code]
    return Flag(code=code, severity=rule.severity, field=field, message=rule.message.format(**values))


def verify(submission: ClientSubmission, payer: PayerMatch, extraction: Extraction, templates: TemplateSet,
           *, has_back: bool, quality: dict[str, SideQuality], card_lines: Sequence[Line],
           names_read_again: Mapping[str, Sequence[Line]] = MappingProxyType({}),
           earlier_lines: Sequence[Line] = ()) -> Verdict:
    """Compare every typed field with the card and raise the flags the policy table calls for.

    ``names_read_again``: for a name word the card was read as that differs from the typed name
    (``doubted_names``), the line holding it read again in other renderings; they vote with it.
    ``earlier_lines``: the lines of the card's other readings (superseded by a re-read, or not kept); a
    name one of them prints as typed is printed (DANIEL before its unsure line was read again as
    "PANEL"), and where only they hold a line with the person's first name, that line is compared."""
    checks: list[Check] = []
    flags: list[Flag] = []
    template = payer.template
    fields = extraction.fields

    matched: dict[str, Matched] = {}
    set_aside: set[str] = set()
    member_check = None
    if submission.member_id is not None:
        member_check = _check_member_id(submission.member_id, extraction, template, card_lines, flags, matched)
        checks.append(member_check)
    if submission.group_number is not None:
        checks.append(_check_group(submission.group_number, extraction, template, card_lines, flags, has_back,
                                   matched, set_aside))
    checks.extend(_check_payer(submission.insurance_provider, payer, templates, card_lines, flags))
    # a person's name as the card prints it, without the label before it ("Name", its colon lost) and
    # what comes before that: the labels the template declares for people's names
    labels = {word for spec in template.fields.values() if spec.type == FieldType.PERSON_NAME
              for label in spec.labels for word in normalise_name(label).split()}

    def without_labels(lines: Iterable[Line]) -> list[Line]:
        return [_without_label(line, labels) for line in lines]

    checks.extend(_check_people(submission, fields, without_labels(card_lines), flags,
                                {name: without_labels(lines) for name, lines in names_read_again.items()},
                                without_labels(earlier_lines)))
    if submission.date_of_birth is not None:
        checks.append(_check_date_of_birth(submission, fields, flags))
    checks.extend(_check_school(submission, fields, template, flags))

    # the payer's policy; where the card's payer is not recognised, the policy of the payer typed
    policy_payer = template
    if payer.payer_id == UNKNOWN_PAYER and submission.insurance_provider:
        policy_payer = templates.resolve_alias(submission.insurance_provider)[0] or template
    if policy_payer.policies.photo_required and not has_back:
        flags.append(flag("back_photo_missing", payer=policy_payer.name))
    confirmed = member_check is not None and member_check.status == CheckStatus.MATCH
    flags.extend(_quality_flags(quality, fields.get("member_id"), confirmed))
    if any(c.status in (CheckStatus.MISMATCH, CheckStatus.PROBABLE_TYPO) for c in checks):
        log.info("typed form disagrees with the card on %s",
                 ", ".join(c.field for c in checks if c.status in (CheckStatus.MISMATCH,
                                                                     CheckStatus.PROBABLE_TYPO)))
    return Verdict(checks, flags, matched, frozenset(set_aside))


# --- identifiers -------------------------------------------------------------------------------
def _distractor_typed(field_name: str, typed_norm: str, extraction: Extraction,
                      template: PayerTemplate) -> Optional[tuple[str, Candidate]]:
    """The card's other number (Health Plan, Issuer, Rx group ...) that the client typed instead: as
    read, or its end, or (five characters or more) up to look-alikes and one glyph the reading added,
    dropped or took for another ("GNHAOS5" read for the Rx group GNHA05)."""
    typed_key = canonical_look_alikes(typed_norm)
    for name, spec in template.fields.items():
        if field_name not in spec.distractor_for or name not in extraction.fields:
            continue
        reading = extraction.fields[name]
        read_norm = normalise_identifier(reading.value)
        if typed_norm == read_norm or (len(typed_norm) >= 5 and (
                read_norm.endswith(typed_norm) or OSA.distance(typed_key, canonical_look_alikes(read_norm)) <= 1)):
            return name, reading
    return None


def _label(name: str) -> str:
    return name.replace("_", " ")


def _typo_reason(typed: str, read: str) -> Optional[str]:
    """Why two identifiers look like the same value mistyped, or None when they are simply different."""
    if len(read) < 4:
        return None
    if typed == read:  # the same characters, the punctuation elsewhere
        return "punctuation out of place"
    if canonical_look_alikes(typed) == canonical_look_alikes(read):
        return "look-alike characters"
    distance = OSA.distance(typed, read)
    if distance <= (1 if len(read) < 6 else 2):
        return f"{distance} character{'s' if distance > 1 else ''} off"
    return None


def _check_member_id(typed: str, extraction: Extraction, template: PayerTemplate, card_lines: Sequence[Line],
                     flags: list[Flag], matched: dict[str, Matched]) -> Check:
    field_name = "member_id"
    typed_norm = normalise_identifier(typed)
    reading = extraction.fields.get(field_name)
    read = reading.value if reading else None
    distractor = _distractor_typed(field_name, typed_norm, extraction, template)
    if read and typed_norm == normalise_identifier(read):
        return Check(field=field_name, typed=typed, read=read, status=CheckStatus.MATCH)
    if distractor:
        flags.append(flag("typed_distractor", field_name, field_label="member ID", typed=typed,
                          distractor=_label(distractor[0]), read=read or "unreadable"))
        return Check(field=field_name, typed=typed, read=read, status=CheckStatus.MISMATCH,
                     detail=f"the {_label(distractor[0])} number was typed as the member ID")
    if _unsure(reading) and (plainly := _printed_plainly(
            typed, field_name, template, card_lines,
            unlabelled=_no_other_field_reads(typed_norm, field_name, extraction))):
        return _confirmed_by(plainly, field_name, typed, PRINTED_PLAINLY, matched)
    if read is None:
        flags.append(flag("member_id_unreadable", field_name))
        return Check(field=field_name, typed=typed, status=CheckStatus.UNREADABLE,
                     detail="no member ID could be read on the card")
    second = next((c for c in extraction.alternatives.get(field_name, ())
                   if typed_norm == normalise_identifier(c.value)), None)
    if second is not None:
        return _confirmed_by(second, field_name, typed, SECOND_READING, matched)
    spec = template.fields.get(field_name)
    suffix = spec.person_suffix if spec else None
    read_norm = normalise_identifier(read)
    if suffix and typed_norm.startswith(read_norm) and _fullmatch(suffix, typed_norm[len(read_norm):]):
        flags.append(flag("member_id_typo", field_name, typed=typed, read=read,
                          why="the person's suffix was added"))
        return Check(field=field_name, typed=typed, read=read, status=CheckStatus.PROBABLE_TYPO,
                     detail=f"suggested: {read} (without the person's suffix)")
    return _compare_identifier(field_name, typed, typed_norm, reading, flags)


def _compare_identifier(field_name: str, typed: str, typed_norm: str, reading: Candidate,
                        flags: list[Flag]) -> Check:
    read_norm = normalise_identifier(reading.value)
    if reading.confidence < LOW_CONFIDENCE:
        flags.append(flag(f"{field_name}_unreadable", field_name))
        return Check(field=field_name, typed=typed, read=reading.value, status=CheckStatus.UNREADABLE,
                     detail=f"read {reading.value} with low confidence ({reading.confidence:.2f})")
    reason = _typo_reason(typed_norm, read_norm)
    if reason:
        flags.append(flag(f"{field_name}_typo", field_name, typed=typed, read=reading.value, why=reason))
        return Check(field=field_name, typed=typed, read=reading.value, status=CheckStatus.PROBABLE_TYPO,
                     detail=f"suggested: {reading.value} ({reason})")
    flags.append(flag(f"{field_name}_mismatch", field_name, typed=typed, read=reading.value))
    return Check(field=field_name, typed=typed, read=reading.value, status=CheckStatus.MISMATCH)


def _check_group(typed: str, extraction: Extraction, template: PayerTemplate, card_lines: Sequence[Line],
                 flags: list[Flag], has_back: bool, matched: dict[str, Matched], set_aside: set[str]) -> Check:
    field_name = "group_number"
    typed_norm = normalise_identifier(typed)
    reading = extraction.fields.get(field_name)
    spec = template.fields.get(field_name)
    if typed_norm == PLACEHOLDER:
        if reading is None:
            return Check(field=field_name, typed=typed, status=CheckStatus.PLACEHOLDER,
                         detail="no group number printed; staff fill it in at the eligibility check")
        portal = portal_group_value(template, reading.value)
        sure = reading.confidence >= LOW_CONFIDENCE
        if portal == PLACEHOLDER:
            # what was read, sure or not, is no six-character group: the placeholder is the right input
            flags.append(flag("group_placeholder", field_name, read=reading.value))
        elif sure:
            flags.append(flag("group_placeholder_unneeded", field_name, read=reading.value, portal=portal))
            return Check(field=field_name, typed=typed, read=reading.value, status=CheckStatus.MISMATCH,
                         detail=f"the portal takes the card's group number as {portal}")
        else:
            # six characters read unsurely (an Rx BIN beside the member ID, its label lost): too unsure to
            # contradict the client, who saw the card, and staff fill the group in at the eligibility check
            # anyway, so no review; not the card's group, but proposed
            set_aside.add(field_name)
            return Check(field=field_name, typed=typed, status=CheckStatus.PLACEHOLDER,
                         detail=f"read unsurely as {reading.value}, six characters where the placeholder says "
                                f"the card's group is not: not taken; staff fill it in at the eligibility check")
        return Check(field=field_name, typed=typed, read=reading.value, status=CheckStatus.PLACEHOLDER,
                     detail=f"proposed: {reading.value}{'' if sure else ' (read unsurely)'} (portal value {portal})")
    distractor = _distractor_typed(field_name, typed_norm, extraction, template)
    keep = spec.keep if spec else ""

    def agrees(value: str) -> bool:
        return typed_norm == normalise_identifier(value) and _punctuation_agrees(typed, value, keep)

    if reading is not None:
        if agrees(reading.value) or agrees(portal_group_value(template, reading.value)):
            return Check(field=field_name, typed=typed, read=reading.value, status=CheckStatus.MATCH)
        second = next((c for c in extraction.alternatives.get(field_name, ()) if agrees(c.value)), None)
        if second is not None:
            return _confirmed_by(second, field_name, typed, SECOND_READING, matched)
    if distractor:
        flags.append(flag("typed_distractor", field_name, field_label="group number", typed=typed,
                          distractor=_label(distractor[0]), read=reading.value if reading else "not printed"))
        return Check(field=field_name, typed=typed, read=reading.value if reading else None,
                     status=CheckStatus.MISMATCH,
                     detail=f"the {_label(distractor[0])} was typed as the group number")
    if _unsure(reading) and (plainly := _printed_plainly(typed, field_name, template, card_lines)):
        return _confirmed_by(plainly, field_name, typed, PRINTED_PLAINLY, matched)
    if reading is None:
        if template.policies.group_often_missing:
            if spec is not None and not spec.regex.fullmatch(normalise_identifier(typed, spec.keep)):
                # nothing on the card to check it against, and not even a group number's shape ("OSCARRX":
                # the Rx group's)
                flags.append(flag("group_number_unlike", field_name, typed=typed, payer=template.name))
                return Check(field=field_name, typed=typed, status=CheckStatus.MISMATCH,
                             detail=f"not shaped like a {template.name} group number; the card shows none")
            if not extraction.zones.get(field_name):
                # the card shows no group (not even its label): the form's input is then XXXXXX, and a
                # typed number came from somewhere else (the pharmacy group, another card)
                flags.append(flag("group_number_not_printed", field_name, typed=typed, payer=template.name))
            return Check(field=field_name, typed=typed, status=CheckStatus.NOT_ON_CARD,
                         detail=f"{template.name} cards often do not print the group number")
        if not has_back and not extraction.zones.get(field_name):
            # neither the number nor its label on the front: it is on the back, which was not photographed
            return Check(field=field_name, typed=typed, status=CheckStatus.NOT_ON_CARD,
                         detail="not on the front, and the back was not photographed")
        flags.append(flag("group_number_unreadable", field_name))
        return Check(field=field_name, typed=typed, status=CheckStatus.UNREADABLE,
                     detail="no group number could be read on the card")
    return _compare_identifier(field_name, typed, typed_norm, reading, flags)


SECOND_READING = "matches a second reading of the card"


def _confirmed_by(found: Matched, field_name: str, typed: str, detail: str, matched: dict[str, Matched]) -> Check:
    """A match on what of the card the typed number was found as, kept for ``confirmed_readings``."""
    matched[field_name] = found
    return Check(field=field_name, typed=typed, read=found.value, status=CheckStatus.MATCH, detail=detail)


def confirmed_readings(extraction: Extraction, verdict: Verdict, pages: Sequence[SidePage]) -> Extraction:
    """The card's numbers as the typed form confirms them: where the form matched not the field's first
    reading but a second one (a rival the re-readings' vote kept, or another pass's reading), or words
    printing it plainly where the field was read unsurely or not at all (its label lost), that reading
    becomes the field's, and a first reading is kept among its rivals. Two readings of a blurred digit
    (36012 and 36812) are both the card's; the one the client typed, unprompted, is the one a person
    checking the card would take. A mistyped form matching a misreading was already accepted by the
    check; this only makes the reading shown agree with the check. A reading the form outweighs
    (``Verdict.set_aside``) is no longer the field's, only a rival. ``pages``: the sides read, where the
    printed words are found."""
    fields, alternatives = dict(extraction.fields), dict(extraction.alternatives)
    for name in verdict.set_aside & fields.keys():
        alternatives[name] = (fields.pop(name), *alternatives.get(name, ()))
    for name, found in verdict.matched.items():
        first = fields.get(name)
        reading = found if isinstance(found, Candidate) else _printed_candidate(name, found, pages)
        if reading is None or (first is not None and
                               normalise_identifier(first.value) == normalise_identifier(reading.value)):
            continue  # the words are on no side read, or the first reading already is the value confirmed
        fields[name] = reading
        alternatives[name] = (*(() if first is None else (first,)),
                              *(c for c in alternatives.get(name, ()) if c.value != reading.value))
    return replace(extraction, fields=fields, alternatives=alternatives)


def _printed_candidate(name: str, printed: PrintedValue, pages: Sequence[SidePage]) -> Optional[Candidate]:
    """The words printing a typed value as a candidate of the side they are on, at the trust of a value
    beside a lost label (its label was not read)."""
    side = next((p.side for p in pages if printed.words[0] in p.page.words()), None)
    if side is None:
        return None
    text = " ".join(w.text for w in printed.words)
    return Candidate(name, printed.value, text, round(min(w.confidence for w in printed.words) * LOST_LABEL_TRUST, 3),
                     side, Box.enclosing([w.box for w in printed.words]), None, "row", trust=LOST_LABEL_TRUST)


UNLABELLED_TYPED_LENGTH = 8  # characters: a typed value this long printed word for word needs no label to confirm it
PRINTED_PLAINLY = "printed on the card as typed, read with confidence; its label was not read"


def _unsure(reading: Optional[Candidate]) -> bool:
    return reading is None or reading.confidence < LOW_CONFIDENCE


def _printed_plainly(typed: str, field_name: str, template: PayerTemplate, card_lines: Sequence[Line],
                     unlabelled: bool = False) -> Optional[PrintedValue]:
    """The typed value read surely, word for word, after what is left of the field's label (None where
    it is not).

    Where the field's label was misread (``Grea 324136`` for ``Group 324136``) the value it owned may
    still be read plainly. The typed value must have the field's shape, be read whole (a word, or two
    beside each other) at ``PLAINLY_READ`` confidence, follow a word nearer to one of the field's own
    labels than to any label of the card's other numbers (``Reser: 814799`` is an Rx group's), and
    stand on no line that names another number (Rx BIN, PCN, group or ID, payer ID, Issuer, Health
    Plan), so a distractor typed in its place is never confirmed.

    ``unlabelled`` (a member ID no other field was read as): a value of ``UNLABELLED_TYPED_LENGTH``
    characters or more may follow any word that is no other number's label, or start its line: its label
    lost whole (``1p# 106618135`` for ``ID# 106618135``): so many characters typed and printed alike are
    no accident of OCR."""
    spec = template.fields.get(field_name)
    if spec is None:
        return None
    forms = {normalise_identifier(typed), normalise_identifier(typed, spec.keep)}
    if not any(spec.regex.fullmatch(form) for form in forms):
        return None
    unlabelled = unlabelled and len(normalise_identifier(typed)) >= UNLABELLED_TYPED_LENGTH
    rivals = [name for name, other in template.fields.items() if field_name in other.distractor_for]
    others = [squash(label) for name in rivals for label in template.fields[name].labels]
    numbers = (field_name, *number_rivals(template, field_name))

    def after_own_label(before: Optional[Word]) -> bool:
        if before is None:
            return unlabelled
        lost = lost_label(before.text, template, numbers)
        return lost == field_name or (unlabelled and lost is None)

    for line in card_lines:
        if any(label and label in squash(line.text) for label in others):
            continue
        words = line.words
        for i in range(len(words)):
            for run in (words[i:i + 1], words[i:i + 2]):
                value = normalise_identifier("".join(w.text for w in run), spec.keep)
                if min(w.confidence for w in run) >= PLAINLY_READ and \
                        after_own_label(words[i - 1] if i else None) and value in forms:
                    return PrintedValue(value, tuple(run))
    return None


def _no_other_field_reads(typed_norm: str, field_name: str, extraction: Extraction) -> bool:
    """Whether no other field of the card was read as the typed value (the group number typed as the
    member ID is printed plainly too)."""
    return not any(name != field_name and normalise_identifier(c.value) == typed_norm
                   for name, c in extraction.fields.items())


def _punctuation_agrees(typed: str, read: str, keep: str) -> bool:
    """The payer's own punctuation (a Student Resources 2020-213-4) need not be typed, but where it is
    typed it stands where the card prints it: 2020-21-34 is a typo. A reading without any (OCR drops
    dashes) cannot say where they go."""
    def places(value: str) -> set[tuple[int, str]]:
        kept = normalise_identifier(value, keep)
        return {(i - n, ch) for n, (i, ch) in enumerate((i, ch) for i, ch in enumerate(kept) if ch in keep)}
    printed = places(read)
    return not printed or places(typed) <= printed


def _fullmatch(pattern: str, value: str) -> bool:
    return bool(re.fullmatch(pattern, value))


# --- payer ------------------------------------------------------------------------------------
def _check_payer(typed: Optional[str], payer: PayerMatch, templates: TemplateSet, card_lines: Sequence[Line],
                 flags: list[Flag]) -> list[Check]:
    if payer.also_matched:
        names = ", ".join([payer.template.name, *(templates.get(p).name for p in payer.also_matched)])
        flags.append(flag("payer_ambiguous", "insurance_provider", read=names))
    if typed is None:
        return []
    field_name = "insurance_provider"
    meant, _ = templates.resolve_alias(typed)
    found = payer.template
    if payer.payer_id == UNKNOWN_PAYER:
        if meant is None and _printed_on_card(typed, card_lines):
            flags.append(flag("payer_unlisted", field_name, typed=typed))
            return [Check(field=field_name, typed=typed, read=None, status=CheckStatus.MATCH,
                          detail="the typed provider is printed on the card (no template for it)")]
        flags.append(flag("payer_unknown", field_name, typed=typed))
        return [Check(field=field_name, typed=typed, read=None, status=CheckStatus.UNREADABLE,
                      detail="the payer could not be recognised on the card")]
    if meant is not None and meant.id == found.id:
        return [Check(field=field_name, typed=typed, read=found.name, status=CheckStatus.MATCH)]
    if meant is not None and found.parent == meant.id:
        flags.append(flag("payer_parent_brand", field_name, typed=typed, read=found.name))
        return [Check(field=field_name, typed=typed, read=found.name, status=CheckStatus.MISMATCH,
                      detail=f"{typed} is the parent brand; select {found.name}")]
    flags.append(flag("payer_mismatch", field_name, typed=typed, read=found.name))
    return [Check(field=field_name, typed=typed, read=found.name, status=CheckStatus.MISMATCH,
                  detail=f"the card is from {found.name}")]


# words every plan name uses: they say nothing about which payer it is
GENERIC_PAYER_WORDS = frozenset("""health healthcare insurance insurer medical medicare medicaid advantage plan plans
    hmo ppo epo pos care company co inc corp corporation group the of and for network choice""".split())


WEB_ADDRESS = re.compile(r"\bwww\b|\.(?:com|org|net|gov)\b", re.IGNORECASE)


def _printed_on_card(text: str, card_lines: Sequence[Line]) -> bool:
    """The typed provider's name is on the card: whole, or every distinctive word of it, as a word or
    inside the card's web address, which runs a payer's words together (blueshieldca.com). Letters are
    compared up to their look-alikes (a blurred Wellcare logo reads "welicare")."""
    wanted = canonical_look_alikes(text)
    lines = [canonical_look_alikes(line.text) for line in card_lines]
    if len(wanted) >= 3 and any(fuzz.partial_ratio(wanted, line) >= 90 for line in lines
                                if len(line) >= len(wanted) - 1):
        return True
    distinctive = [canonical_look_alikes(w) for w in normalise_name(text).split()
                   if len(w) >= 3 and w not in GENERIC_PAYER_WORDS]
    card_words = {canonical_look_alikes(w) for line in card_lines for w in normalise_name(line.text).split()}
    addresses = [line for line, read in zip(lines, card_lines) if WEB_ADDRESS.search(read.text)]
    return bool(distinctive) and all(any(fuzz.ratio(w, c) >= 88 for c in card_words)
                                     or (len(w) >= 4 and any(w in address for address in addresses))
                                     for w in distinctive)


# --- people -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class PrintedName:
    """A person's name as read on the card: its words, normalised, each with the OCR's confidence."""

    words: tuple[str, ...]
    confidences: tuple[float, ...]
    text: str  # as read, for messages

    @staticmethod
    def of_field(reading: Candidate, card_lines: Sequence[Line] = ()) -> "PrintedName":
        """The name a field holds; each word with the engine's confidence in that word where a card line
        read it inside the field's box (a surname read at 0.5 beside a first name read at 0.9 is not
        read at their field's confidence), else the field's."""
        words = tuple(normalise_name(reading.value).split())
        read = {}
        for line in card_lines:
            for word in line.words:
                if reading.box.overlap(word.box) > 0.5:
                    for text in normalise_name(word.text).split():
                        read[text] = min(read.get(text, 1.0), word.confidence)
        # a word with a digit among its letters (GARCIA-L6PEZ) has a letter unread: not read surely
        unread = {part for token in reading.value.split() if any(ch.isdigit() for ch in token)
                  for part in normalise_name(token).split()}
        return PrintedName(words, tuple(min(read.get(w, reading.confidence), LETTER_UNREAD if w in unread else 1.0)
                                        for w in words), reading.value)

    @staticmethod
    def of_line(line: Line) -> "PrintedName":
        """A line's name words, each with the confidence of the least sure word it was read from (a
        hyphenated name read as two words, ``SMITH- JONES``, is one), a label before them left out."""
        pieces: list[tuple[str, float]] = []
        words = list(line.words)
        while len(words) > 1 and words[0].text.endswith(":"):
            words.pop(0)  # a label before the name ("Name:", "Member:"): no part of it
        for word in words:
            text = re.sub(r"[^a-z\-]+", "", strip_accents(word.text).casefold())
            if not text:
                continue
            if pieces and (pieces[-1][0].endswith("-") or text.startswith("-")):
                pieces[-1] = (pieces[-1][0] + text, min(pieces[-1][1], word.confidence))
            else:
                pieces.append((text, word.confidence))
        pairs = [(text.strip("-"), confidence) for text, confidence in pieces if text.strip("-")]
        return PrintedName(tuple(text for text, _ in pairs), tuple(c for _, c in pairs),
                           " ".join(text for text, _ in pairs).upper())


def _without_label(line: Line, labels: set[str]) -> Line:
    """The line from after its last label word on (and what the line ran on into before it: "1D
    500775300 Name 8A} ABERNATHY-COLE"), where a name of two words or more follows."""
    words = line.words
    after = [i + 1 for i, word in enumerate(words[:-2]) if normalise_name(word.text) in labels]
    return Line(words[after[-1]:]) if after else line


def _check_people(submission: ClientSubmission, fields: dict[str, Candidate], card_lines: Sequence[Line],
                  flags: list[Flag], read_again: Mapping[str, Sequence[Line]],
                  earlier_lines: Sequence[Line]) -> list[Check]:
    """The patient's name, and for a dependent the policy holder's, against the names on the card."""
    printed = [PrintedName.of_field(c, card_lines) for c in (fields.get("member_name"), fields.get("subscriber_name"))
               if c is not None]
    dependents = fields.get("dependents")
    listed = {normalise_name(person) for person in dependents.value.split(";")} if dependents else set()
    holder_lines = [line for line in card_lines if normalise_name(line.text) not in listed and not _relatives_line(line)]
    if submission.is_policy_holder is not False:
        return _check_name("", submission.first_name, submission.last_name, printed, card_lines, flags,
                           read_again, earlier_lines, holder_lines)
    # the dependent may not be printed; the card's member or subscriber is the policy holder, and a line
    # that holds the holder's name as typed, with no person suffix, is theirs, not a dependent's of the
    # same first name (a relative's line of the same name, "EMILY HADDAD 03", is the dependent's)
    holder = submission.policy_holder
    holder_tokens = normalise_name(f"{holder.first_name or ''} {holder.last_name or ''}").split() if holder else []

    def not_holders(lines: Sequence[Line]) -> list[Line]:
        return [line for line in lines if _relatives_line(line) or not _holds_name(line, holder_tokens)]

    checks = _check_name("", submission.first_name, submission.last_name, [], not_holders(card_lines), flags,
                         read_again, not_holders(earlier_lines))
    if holder is not None:
        checks += _check_name("policy_holder.", holder.first_name, holder.last_name, printed, card_lines, flags,
                              read_again, earlier_lines, holder_lines)
    return checks


def _check_name(prefix: str, first: Optional[str], last: Optional[str], printed: list[PrintedName],
                card_lines: Sequence[Line], flags: list[Flag], read_again: Mapping[str, Sequence[Line]],
                earlier_lines: Sequence[Line], holder_lines: Optional[Sequence[Line]] = None) -> list[Check]:
    """``holder_lines``: for the policy holder (the card's member), the lines where an unlabelled name
    with the typed last name is theirs (no relative's: no listed dependent, no person suffix); None for
    a dependent, whose name may be on a relative's line (the list of covered members)."""
    typed_parts = [(f"{prefix}first_name", first), (f"{prefix}last_name", last)]
    typed_parts = [(name, value) for name, value in typed_parts if value]
    if not typed_parts:
        return []
    typed_tokens = normalise_name(" ".join(v for _, v in typed_parts)).split()
    # printed anywhere on the card, in any order, by any reading of it: the same person
    if any(_holds_name(line, typed_tokens) for line in (*card_lines, *earlier_lines)):
        return [Check(field=name, typed=value, read=value, status=CheckStatus.MATCH) for name, value in typed_parts]
    # the name field, unless it holds nothing like any typed part (a field taken from noise, "GARVICAS
    # TUFT AWAY"): then an unlabelled line that holds the typed name, or what OCR made of it
    reading = printed[0] if printed else None
    if reading is None or not any(_names_token(part, part, word) for part in typed_tokens for word in reading.words):
        relatives = holder_lines is None
        reading = (_name_line(first, card_lines, family=last, relatives=relatives)
                   or _name_line(first, earlier_lines, family=last, relatives=relatives)
                   or _name_line(last, holder_lines or ()) or reading)
    if reading is None:
        return [Check(field=name, typed=value, status=CheckStatus.NOT_ON_CARD,
                      detail="the card does not print this person's name legibly")
                for name, value in typed_parts]
    typed_norms = [normalise_name(v) for _, v in typed_parts]
    others = _other_readings(reading, typed_norms, (*card_lines, *earlier_lines), holder_lines)
    checks = []
    for part, ((name, value), index) in enumerate(zip(typed_parts, _align(typed_norms, list(reading.words)))):
        label = "Policy holder's " + _label(name.split(".")[-1]) if prefix else _label(name).capitalize()
        check, raised = _check_part(name, value, typed_norms[part], label, reading, index, read_again)
        if check.status is CheckStatus.UNREADABLE:
            # read unsurely here: another reading of the same person (the line read again deblurred, a
            # dependent's line beside the member field) may read the part surely; it contradicts the typed
            # name only where this reading is nothing like it either (GEENA for a typed D'Angelo), never
            # where this reading is the typed name misread (FRANCO for François: TRANCE on another line)
            misread = OSA.distance(typed_norms[part], check.read or "") <= NAME_UNSURE_EDITS
            for other in others:
                again = _check_part(name, value, typed_norms[part], label, other,
                                    _align(typed_norms, list(other.words))[part], read_again)
                if again[0].status is CheckStatus.MATCH or (
                        not misread and again[0].status is not CheckStatus.UNREADABLE):
                    check, raised = again
                    break
        checks.append(check)
        if raised is not None:
            flags.append(raised)
    return checks


def _other_readings(reading: PrintedName, typed_norms: list[str], lines: Sequence[Line],
                    holder_lines: Optional[Sequence[Line]]) -> list[PrintedName]:
    """Other lines that read the same person's name: each holds the typed first name as typed (only this
    person has it) or, where a line cannot be a relative's (``holder_lines``), the typed last name; the
    surest reading first."""
    if len(typed_norms) < 2:
        return []
    first, last = typed_norms[0], typed_norms[-1]
    holders = {id(line) for line in holder_lines or ()}
    found: dict[tuple[str, ...], PrintedName] = {}
    for line in lines:
        name = PrintedName.of_line(line)
        # a digit among a word's letters is a letter unread ("GARCIA-L6PEZ"), not a name read surely
        if not 2 <= len(name.words) <= 4 or name.words == reading.words or any(
                any(ch.isdigit() for ch in word.text) and any(ch.isalpha() for ch in word.text) for word in line.words):
            continue
        if first in name.words or (last in name.words and id(line) in holders):
            kept = found.get(name.words)
            if kept is None or min(kept.confidences) < min(name.confidences):
                found[name.words] = name
    return sorted(found.values(), key=lambda name: -min(name.confidences))


def _check_part(name: str, value: str, typed_norm: str, label: str, reading: PrintedName, index: int,
                read_again: Mapping[str, Sequence[Line]]) -> tuple[Check, Optional[Flag]]:
    """One typed name part (``typed_norm``: normalised) against the word of ``reading`` it aligns with, and
    the flag it raises."""
    read_tokens = list(reading.words)
    position, confidence = read_tokens[index], reading.confidences[index]
    if typed_norm == position or _joined(typed_norm) in _spans(read_tokens):
        return Check(field=name, typed=value, read=position, status=CheckStatus.MATCH), None
    if name_read_as(value, position):
        return Check(field=name, typed=value, read=position, status=CheckStatus.MATCH,
                     detail=f"the card reads {position.upper()}: letters OCR takes one for another"), None
    if _read_again_as_typed(typed_norm, position, confidence, read_again.get(position, ())):
        return Check(field=name, typed=value, read=typed_norm, status=CheckStatus.MATCH,
                     detail=f"first read as {position.upper()}; read again, the card reads it as typed"), None
    if len(position) == 1 < len(typed_norm):
        # an initial ("LUCA K" of "Luca K Garcia-L6pez", the reading cut at a digit) is no name to differ
        return Check(field=name, typed=value, read=position, status=CheckStatus.UNREADABLE,
                     detail=f"the card was read only as far as the initial {position.upper()}"), None
    hyphen_part = "-" in position and typed_norm in position.split("-")
    unlike = fuzz.ratio(typed_norm, position) < NAME_UNLIKE and len(position) >= 4 and confidence >= NAME_NOISE
    if not hyphen_part and ((confidence < LOW_CONFIDENCE and not unlike) or (
            confidence < NAME_SURE and OSA.distance(typed_norm, position) <= NAME_UNSURE_EDITS)):
        return Check(field=name, typed=value, read=position, status=CheckStatus.UNREADABLE,
                     detail=_read_unsurely(position.upper(), confidence)), None
    why = ": part of the hyphenated name is missing" if hyphen_part else (
        f": {value} is a nickname for {position.upper()}" if _is_nickname(typed_norm, position) else "")
    if not why and len(position) >= 4 and OSA.distance(typed_norm, position) == 1:
        return (Check(field=name, typed=value, read=position, status=CheckStatus.PROBABLE_TYPO,
                      detail=f"suggested: {position.upper()}"),
                flag("name_typo", name, field_label=label, typed=value, read=position.upper()))
    return (Check(field=name, typed=value, read=position, status=CheckStatus.MISMATCH, detail=why.lstrip(": ")),
            flag("name_mismatch", name, field_label=label, typed=value, read=reading.text, why=why))


def _holds_name(line: Line, tokens: Sequence[str]) -> bool:
    """Whether a line holds every one of a typed name's words, in any order (hyphens and spaces aside)."""
    spans = _spans(normalise_name(line.text).split())
    return bool(tokens) and all(_joined(t) in spans for t in tokens)


def doubted_names(checks: Sequence[Check]) -> list[str]:
    """The name words the card was read as where a typed name differs from them (a typo or a mismatch):
    the lines holding them are worth reading again (``verify``'s ``names_read_again``) before a client's
    correct name is sent to staff for a glyph OCR took for another or a middle initial it ran on."""
    return list(dict.fromkeys(c.read for c in checks if c.field.split(".")[-1] in NAME_FIELDS and c.read
                              and c.status in (CheckStatus.PROBABLE_TYPO, CheckStatus.MISMATCH)))


def _read_again_as_typed(typed: str, position: str, confidence: float, readings: Sequence[Line]) -> bool:
    """Whether the line read again outvotes the first reading: readings that hold the typed name against
    those that hold the word first read (and the first reading itself), each weighted by the square of
    its confidence in that word; a reading holding neither (noise) does not vote."""
    for_typed, for_first = 0.0, confidence ** 2
    for line in readings:
        name = PrintedName.of_line(line)
        read = dict(zip(name.words, name.confidences))
        if typed in read or _joined(typed) in _spans(name.words):
            for_typed += read.get(typed, min(name.confidences)) ** 2
        elif position in read:
            for_first += read[position] ** 2
    return for_typed > for_first


def _joined(name: str) -> str:
    return name.replace(" ", "").replace("-", "")


def _spans(words: Sequence[str], longest: int = 3) -> set[str]:
    """Runs of up to ``longest`` consecutive words, joined without spaces or hyphens: a name as typed
    may be printed in words (De la Cruz) or split by OCR's spacing (NOV AK, ABE RNATHY-COLE)."""
    return {_joined("".join(words[i:j])) for i in range(len(words))
            for j in range(i + 1, min(len(words), i + longest) + 1)}


def _align(typed: list[str], read: list[str]) -> list[int]:
    """For each typed name part, the index of the printed word it is compared with: each part its own
    word, in whatever order the card prints them (LAST, FIRST), the nearest spellings paired."""
    def cost(part: str, index: int) -> tuple:
        word = read[index]
        return (part not in word.split("-"), len(word) < 2 <= len(part), OSA.distance(part, word), index)

    if len(read) < len(typed):
        return [min(range(len(read)), key=lambda i: cost(part, i)) for part in typed]
    pairings = itertools.permutations(range(len(read)), len(typed))
    best = min(pairings, key=lambda chosen: [sum(x) for x in zip(*(cost(p, i) for p, i in zip(typed, chosen)))])
    return list(best)


def _name_line(typed_name: Optional[str], card_lines: Sequence[Line],
               family: Optional[str] = None, relatives: bool = True) -> Optional[PrintedName]:
    """An unlabelled line that reads like a person's name and holds ``typed_name``, or what OCR may
    have made of it: where to compare, not yet a verdict. Else, with the ``family`` name on the line
    too, a longer name with the typed one's first letter is the one it shortens (EMILY for a typed Em,
    THOMAS for Tom, KATHERINE for Kate: a short form, which the comparison then calls a mismatch); not
    on a relative's line (a person suffix: "MARGARET WILLIAMS 03" for Mateo) unless ``relatives``.

    The caller passes the first name, which only this person has; the last name only over lines that
    cannot be a relative's (the policy holder's, with the listed dependents taken out).
    """
    if not typed_name:
        return None
    wanted = normalise_name(typed_name)
    surname = normalise_name(family) if family else None
    names = [(line, name) for line in card_lines if 2 <= len((name := PrintedName.of_line(line)).words) <= 4
             and all(t.replace("-", "").isalpha() for t in name.words)]
    for _, name in names:
        if any(_names_token(typed_name, wanted, t) for t in name.words) or _joined(wanted) in _spans(name.words):
            return name
    if not surname or len(wanted) < 2:
        return None
    family_names = [name for line, name in names if _joined(surname) in _spans(name.words)
                    and (relatives or not _relatives_line(line))]
    # beside the family name, a name the typed one is a known nickname of (PEGGY of MARGARET, BILL of
    # WILLIAM: no letter in common to go by)
    formal = [name for name in family_names for t in name.words if t != surname and _is_nickname(wanted, t)]
    if formal:
        return formal[0]
    # of the longer names with its first letter, the one beginning most like it
    longer = [(len(os.path.commonprefix([t, wanted])), name) for name in family_names for t in name.words
              if t != surname and t[0] == wanted[0] and len(t) > len(wanted)]
    return max(longer, key=lambda found: found[0])[1] if longer else None


@functools.cache
def _nicknames() -> NickNamer:
    return NickNamer()  # the curated table of English given names and their nicknames, read once


def _is_nickname(typed: str, printed: str) -> bool:
    """Whether ``typed`` is a known nickname or diminutive of the given name ``printed`` (both normalised)."""
    return typed != printed and printed in _nicknames().canonicals_of(typed)


def _relatives_line(line: Line) -> bool:
    """A line with a person suffix, a word of one or two digits ("MARGARET WILLIAMS 03"): a covered
    relative's, not the card member's. A date the member's line ran on into is no suffix."""
    return any(PERSON_SUFFIX.fullmatch(w.text.strip(".,:;-")) for w in line.words)


def _names_token(typed: str, wanted: str, token: str) -> bool:
    """The same name as typed, as OCR reads it, with a letter of the next word glued on, or within a few
    letters of it (a long name read poorly)."""
    return token == wanted or name_read_as(typed, token) or (
        len(wanted) >= 3 and len(token) == len(wanted) + 1 and (token.startswith(wanted) or token.endswith(wanted))
    ) or (len(wanted) >= 6 and OSA.distance(wanted, token) <= NAME_UNSURE_EDITS)


def _check_date_of_birth(submission: ClientSubmission, fields: dict[str, Candidate],
                         flags: list[Flag]) -> Check:
    typed = submission.date_of_birth.isoformat()
    reading = fields.get("date_of_birth")
    if reading is None or submission.is_policy_holder is False:
        return Check(field="date_of_birth", typed=typed, status=CheckStatus.NOT_ON_CARD,
                     detail="cards rarely print the date of birth")
    if reading.value == typed:
        return Check(field="date_of_birth", typed=typed, read=reading.value, status=CheckStatus.MATCH)
    if reading.confidence < NAME_SURE or reading.value > date.today().isoformat():
        # a 1 read as 4 ("12/14/4989"): as for a name, an unsure or impossible reading contradicts nothing
        return Check(field="date_of_birth", typed=typed, read=reading.value, status=CheckStatus.UNREADABLE,
                     detail=_read_unsurely(reading.value, reading.confidence))
    flags.append(flag("date_of_birth_mismatch", "date_of_birth", typed=typed, read=reading.value))
    return Check(field="date_of_birth", typed=typed, read=reading.value, status=CheckStatus.MISMATCH)


def _check_school(submission: ClientSubmission, fields: dict[str, Candidate], template: PayerTemplate,
                  flags: list[Flag]) -> list[Check]:
    reading = fields.get("school_name")
    typed = submission.school_name
    if not template.policies.school_name_required:
        return []
    if typed is None:
        if reading is None:
            flags.append(flag("school_name_missing", "school_name"))
        else:
            flags.append(flag("school_name_from_card", "school_name", read=reading.value))
        return []
    if reading is None:
        return [Check(field="school_name", typed=typed, status=CheckStatus.NOT_ON_CARD)]
    if _same_school(typed, reading.value):
        return [Check(field="school_name", typed=typed, read=reading.value, status=CheckStatus.MATCH)]
    # read as noise (its words' own confidence, whatever its place vouches for), it contradicts nothing
    as_noise = reading.confidence < LOW_CONFIDENCE * reading.trust
    if as_noise or (reading.confidence < NAME_SURE and _misread_part(typed, reading.value)):
        return [Check(field="school_name", typed=typed, read=reading.value, status=CheckStatus.UNREADABLE,
                      detail=_read_unsurely(reading.value, reading.confidence))]
    flags.append(flag("school_name_mismatch", "school_name", typed=typed, read=reading.value))
    return [Check(field="school_name", typed=typed, read=reading.value, status=CheckStatus.MISMATCH)]


def _same_school(typed: str, read: str) -> bool:
    """The same school, spelled in full or abbreviated (``Univ.``, ``Inst.``) and with words added or
    left out (``University of X`` for ``X University``) as long as the rest agrees."""
    read_words = normalise_name(read).split()
    typed_words = [next((r for r in read_words if len(w) >= 3 and r.startswith(w)), w)
                   for w in normalise_name(typed).split()]
    return fuzz.token_set_ratio(" ".join(typed_words), " ".join(read_words)) >= 85


def _read_unsurely(read: str, confidence: float) -> str:
    """The detail of a name, school or birth date check that is ``unreadable``: what was read, how surely."""
    return f"the card's {read} was read with low confidence ({confidence:.2f})"


def _misread_part(typed: str, read: str) -> bool:
    """Whether every word read (of three letters or more) is within a third of its letters, at most two,
    of a typed word: part of the typed school misread (``Gay University`` of a typed ``Hollins Bay
    University``, ``Univexsiiy of`` of ``University of Northwood``), not another school."""
    typed_words = normalise_name(typed).split()
    read_words = [w for w in normalise_name(read).split() if len(w) >= 3]
    return bool(read_words) and all(
        any(OSA.distance(w, t) <= min(NAME_UNSURE_EDITS, len(w) // 3) for t in typed_words) for w in read_words)


# --- photos -----------------------------------------------------------------------------------
def _quality_flags(quality: dict[str, SideQuality], member_id: Optional[Candidate],
                   confirmed: bool) -> Iterable[Flag]:
    """A retake only when the photo's problems left the member ID unread; otherwise a note. A reading
    the typed member ID confirms is trusted whatever its confidence: a retake would tell nothing new."""
    trusted = confirmed or (member_id is not None and member_id.confidence >= LOW_CONFIDENCE)
    for side, q in quality.items():
        for issue in q.issues:
            message = f"{side.capitalize()} photo: {RETAKE_MESSAGES.get(issue, issue)}"
            retake = not trusted and (side == "front" or member_id is None)
            yield flag("photo_retake" if retake else "photo_quality", None, message=message)
