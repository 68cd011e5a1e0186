"""Measure the product on card folders that also hold ``expected.json``: the numbers that judge it."""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Optional

import cv2
import numpy as np

from .models import CardFailure, CheckStatus, Severity
from .store import Outcome
from .text import normalise_identifier, normalise_name


@dataclass(frozen=True)
class Expected:
    case: str
    payer: str
    member_id: str
    group_number: Optional[str]
    portal_group: str
    difficulty: str
    capture: str
    typed_errors: tuple[tuple[str, str], ...]
    outlines: Mapping[str, np.ndarray]  # side -> the card's true corners on its photo, upright top-left first
    dependents: Optional[tuple[str, ...]] = None  # "NAME SUFFIX" as printed; None when the card lists none
    # flags the payer's policy calls for on this upload even when the form is right (a required back
    # photo missing): raising them is correct, so they do not count as sending a correct form to review
    required_flags: tuple[str, ...] = ()

    @staticmethod
    def load(folder: Path) -> "Expected":
        data = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
        return Expected(folder.name, data["payer"], data["member_id"], data.get("group_number"),
                        data.get("portal_group", "XXXXXX"), data.get("difficulty", "unknown"),
                        data.get("capture", "unknown"),
                        tuple((e["field"], e["kind"]) for e in data.get("typed_errors", [])),
                        {side: np.asarray(o["corners"], np.float32)
                         for side, o in data.get("outlines", {}).items()},
                        tuple(data["dependents"]) if data.get("dependents") else None,
                        tuple(data.get("required_flags", ())))


@dataclass
class Tally:
    cards: int = 0
    payer: int = 0
    member_id: int = 0
    group_number: int = 0
    whole_card: int = 0
    failed: int = 0
    typed_mistakes: int = 0  # forms with a mistake in them ...
    mistakes_caught: int = 0  # ... sent to review with the mistyped field not a match
    correct_forms: int = 0  # forms without a mistake ...
    correct_forms_flagged: int = 0  # ... sent to review for anything but what the payer's policy requires

    def add(self, scores: "CardScore") -> None:
        self.cards += 1
        self.payer += scores.payer
        self.member_id += scores.member_id
        self.group_number += scores.group_number
        self.whole_card += scores.payer and scores.member_id and scores.group_number
        self.failed += scores.failed
        if scores.mistake_caught is None:
            self.correct_forms += 1
            self.correct_forms_flagged += scores.wrongly_flagged
        else:
            self.typed_mistakes += 1
            self.mistakes_caught += scores.mistake_caught


MIN_REGION_IOU = 0.9  # the region read covers the card this well (intersection over union) to count as found


@dataclass
class LocateTally:
    """How often each card side was found and straightened (sides whose true outline is known)."""

    sides: int = 0
    outlined: int = 0  # an outline was found (not the whole-image fallback)
    region: int = 0  # the region read is the card (IoU >= MIN_REGION_IOU), by outline or a tight crop
    upright: int = 0  # turned the right way up
    straightened: int = 0  # both: the card, upright

    def add(self, scores: "SideScore") -> None:
        self.sides += 1
        self.outlined += scores.outlined
        self.region += scores.region
        self.upright += scores.upright
        self.straightened += scores.region and scores.upright


@dataclass(frozen=True)
class SideScore:
    outlined: bool
    region: bool
    upright: bool


def score_sides(outcome: Outcome, expected: Expected) -> dict[str, SideScore]:
    """Each side's found region against its true outline: overlap, and whether its top-left corner is the
    card's (the rotation applied was right)."""
    scores = {}
    for side, truth in expected.outlines.items():
        quality = None if isinstance(outcome, CardFailure) else outcome.quality.get(side)
        if quality is None or quality.outline is None:
            scores[side] = SideScore(False, False, False)
            continue
        found = np.asarray(quality.outline, np.float32)
        top_left = int(np.argmin(np.linalg.norm(truth - found[0], axis=1)))
        scores[side] = SideScore(quality.card_found, outline_iou(found, truth) >= MIN_REGION_IOU, top_left == 0)
    return scores


def outline_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two convex quadrilaterals."""
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    inter, _ = cv2.intersectConvexConvex(a, b)
    union = cv2.contourArea(a) + cv2.contourArea(b) - inter
    return float(inter / union) if union > 0 else 0.0


@dataclass(frozen=True)
class CardScore:
    case: str
    payer: bool
    member_id: bool
    group_number: bool
    failed: bool
    mistake_caught: Optional[bool]  # None when the form has no mistake
    wrongly_flagged: bool  # a correct form sent to review for anything but a required flag
    seconds: float


@dataclass
class Report:
    overall: Tally = field(default_factory=Tally)
    by_payer: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_difficulty: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    locate: LocateTally = field(default_factory=LocateTally)
    locate_by_difficulty: dict[str, LocateTally] = field(default_factory=lambda: defaultdict(LocateTally))
    locate_by_capture: dict[str, LocateTally] = field(default_factory=lambda: defaultdict(LocateTally))
    requiring_flags: int = 0  # uploads whose payer's policy calls for a flag (see Expected.required_flags)
    required_flags_raised: int = 0  # ... that raised every one of them
    listing_dependents: int = 0  # cards that print dependents (where the truth records them)
    dependents_read: int = 0  # ... whose dependents were all read, and nobody else
    seconds: list[float] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        def pct(n: int, d: int) -> Optional[float]:
            return round(100.0 * n / d, 1) if d else None

        def tally(t: Tally) -> dict:
            return {"cards": t.cards, "payer": pct(t.payer, t.cards), "member_id": pct(t.member_id, t.cards),
                    "group_number": pct(t.group_number, t.cards), "whole_card": pct(t.whole_card, t.cards),
                    "failed": t.failed}

        def review(t: Tally) -> dict:
            return {"typed_mistakes": t.typed_mistakes, "caught": pct(t.mistakes_caught, t.typed_mistakes),
                    "correct_forms": t.correct_forms, "flagged": pct(t.correct_forms_flagged, t.correct_forms)}

        def located(t: LocateTally) -> dict:
            return {"sides": t.sides, **{k: pct(getattr(t, k), t.sides)
                                         for k in ("outlined", "region", "upright", "straightened")}}

        return {
            "overall": tally(self.overall),
            "by_payer": {k: tally(v) for k, v in sorted(self.by_payer.items())},
            "by_difficulty": {k: tally(v) for k, v in sorted(self.by_difficulty.items())},
            "locate": located(self.locate),
            "locate_by_difficulty": {k: located(v) for k, v in sorted(self.locate_by_difficulty.items())},
            "locate_by_capture": {k: located(v) for k, v in sorted(self.locate_by_capture.items())},
            "typed_mistakes_caught": pct(self.overall.mistakes_caught, self.overall.typed_mistakes),
            "typed_mistakes": self.overall.typed_mistakes,
            "correct_forms_flagged": pct(self.overall.correct_forms_flagged, self.overall.correct_forms),
            "correct_forms": self.overall.correct_forms,
            "review_by_difficulty": {k: review(v) for k, v in sorted(self.by_difficulty.items())},
            "required_flags_raised": pct(self.required_flags_raised, self.requiring_flags),
            "requiring_flags": self.requiring_flags,
            "dependents_read": pct(self.dependents_read, self.listing_dependents),
            "listing_dependents": self.listing_dependents,
            "seconds_per_card_median": round(statistics.median(self.seconds), 2) if self.seconds else None,
            "seconds_per_card_p90": round(_percentile(self.seconds, 90), 2) if self.seconds else None,
        }


def score_card(outcome: Outcome, expected: Expected) -> CardScore:
    caught = mistake_caught(outcome, expected) if expected.typed_errors else None
    if isinstance(outcome, CardFailure):
        return CardScore(expected.case, False, False, False, True, caught, caught is None, 0.0)
    member = outcome.fields.get("member_id")
    group = outcome.fields.get("group_number")
    member_ok = member is not None and normalise_identifier(member.value) == normalise_identifier(expected.member_id)
    if expected.group_number is None:
        group_ok = group is None
    else:
        group_ok = group is not None and normalise_identifier(group.value) == normalise_identifier(
            expected.group_number)
    wrongly_flagged = caught is None and any(
        f.severity != Severity.INFO and f.code not in expected.required_flags for f in outcome.flags)
    return CardScore(expected.case, outcome.payer.id == expected.payer, member_ok, group_ok, False, caught,
                     wrongly_flagged, sum(outcome.timings_ms.values()) / 1000.0)


def mistake_caught(outcome: Outcome, expected: Expected) -> bool:
    """A typed mistake is caught when the card goes to review and the mistyped field is not a match."""
    if isinstance(outcome, CardFailure):
        return True  # a failed card goes to a person anyway
    if not outcome.needs_review:
        return False
    statuses = {c.field: c.status for c in outcome.checks}
    return any(statuses.get(_checked_field(f)) != CheckStatus.MATCH for f, _ in expected.typed_errors)


def _checked_field(typed_field: str) -> str:
    return {"name": "last_name"}.get(typed_field, typed_field)


def evaluate(outcomes: Iterable[Outcome], directory: Path) -> Report:
    report = Report()
    for outcome in outcomes:
        expected = Expected.load(Path(directory) / outcome.case)
        scores = score_card(outcome, expected)
        for tally in (report.overall, report.by_payer[expected.payer], report.by_difficulty[expected.difficulty]):
            tally.add(scores)
        for side_score in score_sides(outcome, expected).values():
            for tally in (report.locate, report.locate_by_difficulty[expected.difficulty],
                          report.locate_by_capture[expected.capture]):
                tally.add(side_score)
        if not scores.failed:
            report.seconds.append(scores.seconds)
        if not (scores.payer and scores.member_id and scores.group_number):
            report.misses.append(expected.case)
        if expected.required_flags:
            report.requiring_flags += 1
            report.required_flags_raised += not isinstance(outcome, CardFailure) and set(
                expected.required_flags) <= {f.code for f in outcome.flags}
        if expected.dependents:
            report.listing_dependents += 1
            report.dependents_read += dependents_read(outcome, expected)
    return report


def dependents_read(outcome: Outcome, expected: Expected) -> bool:
    """Every dependent the card prints read, with its suffix, and nobody else (case and accents aside)."""
    if isinstance(outcome, CardFailure) or "dependents" not in outcome.fields:
        return False
    def person(entry: str) -> tuple[str, str]:
        name, _, suffix = entry.strip().rpartition(" ")
        return (normalise_name(name), suffix) if suffix.isdigit() else (normalise_name(entry), "")

    read = [person(entry) for entry in outcome.fields["dependents"].value.split(";")]
    return read == [person(entry) for entry in expected.dependents or ()]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]
