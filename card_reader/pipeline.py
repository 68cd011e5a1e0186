"""The chain of stages that reads one card: load, locate, OCR, payer, extract, verify.

Each stage takes the previous stage's typed result; ``CardReader`` only wires them together, times
them and assembles the public ``CardResult``. The engine and templates are loaded once per reader,
so a worker that keeps its reader keeps them warm.
"""

from __future__ import annotations

import json
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional, Union

import cv2

from . import __version__
from .errors import InvalidSubmission, ProcessingError
from .extract import Extraction, SidePage, extract_fields, merge_extractions
from .load import ImageSource, LoadedImage, load_image
from .locate import SideImage, locate_cards
from .models import CardResult, ClientSubmission, FieldReading, PayerResult, SideQuality, Versions
from .ocr import OcrEngine, Page
from .prepare import prepare_for_ocr
from .templates import UNKNOWN_PAYER, PayerMatch, TemplateSet, load_templates, portal_group_value
from .verify import verify

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class QualityThresholds:
    """Below these a photo earns an issue in ``quality`` (a retake only if the reading suffers)."""

    min_sharpness: float = 60.0
    min_card_width_px: int = 500
    max_glare: float = 0.04
    min_ocr_confidence: float = 0.55


@dataclass(frozen=True)
class ReadSide:
    side: str
    image: SideImage
    page: Page
    exif_rotation: int


class CardReader:
    """Reads cards with one warm OCR engine and one validated template set."""

    def __init__(self, engine: Optional[OcrEngine] = None, templates: Optional[TemplateSet] = None,
                 thresholds: QualityThresholds = QualityThresholds()) -> None:
        if engine is None:
            from .tesseract import TesseractEngine

            engine = TesseractEngine()
        self.engine = engine
        self.templates = templates or load_templates()
        self.thresholds = thresholds
        self.versions = Versions(card_reader=__version__, engine=f"{engine.name} {engine.version()}",
                                 templates=self.templates.version)

    def read(self, front: ImageSource, back: Optional[ImageSource] = None,
             typed: Union[ClientSubmission, dict, None] = None, *, case: Optional[str] = None,
             debug_dir: Optional[Path] = None) -> CardResult:
        """Read one card (front photo, optional back photo) and check the typed form against it."""
        submission = _submission(typed)
        timings: dict[str, float] = {}
        with _timed(timings, "load"):
            loaded = [("front", load_image(front))] + ([("back", load_image(back))] if back is not None else [])
        with _timed(timings, "locate"):
            located: list[tuple[str, SideImage, int]] = []
            for side, image in loaded:
                found = locate_cards(image, self.engine, expect_sides=1 if back is not None else 2)
                if not found:
                    raise ProcessingError(f"no card could be found on the {side} photo")
                if back is None and len(found) >= 2:
                    located += [("front", found[0], image.exif_rotation), ("back", found[1], image.exif_rotation)]
                else:
                    located.append((side, found[0], image.exif_rotation))
        with _timed(timings, "prepare"):
            prepared = [prepare_for_ocr(img.image) for _, img, _ in located]
        with _timed(timings, "ocr"):
            sides = [ReadSide(side, img, self.engine.recognise(ready), exif)
                     for (side, img, exif), ready in zip(located, prepared)]
        with _timed(timings, "payer"):
            payer = self.templates.match([s.page for s in sides])
        with _timed(timings, "extract"):
            extraction = extract_fields(payer.template, [SidePage(s.side, s.page) for s in sides])
        if _unsure(extraction, payer):
            # a second pass with whole-page layout analysis, only where the first left doubt
            with _timed(timings, "ocr_second_pass"):
                second = [SidePage(s.side, self.engine.recognise(ready, psm=SECOND_PASS_PSM))
                          for s, ready in zip(sides, prepared)]
            with _timed(timings, "payer"):
                payer = self.templates.match([s.page for s in sides] + [p.page for p in second])
            with _timed(timings, "extract"):
                extraction = merge_extractions(
                    extract_fields(payer.template, [SidePage(s.side, s.page) for s in sides]),
                    extract_fields(payer.template, second))
        quality = {s.side: self._quality(s) for s in sides}
        card_lines = [line.text for s in sides for line in s.page.lines]
        with _timed(timings, "verify"):
            verdict = verify(submission, payer, extraction, self.templates, has_back=len(sides) > 1,
                             quality=quality, card_lines=card_lines)
        if debug_dir is not None:
            _write_debug(debug_dir, loaded, sides, extraction)
        result = CardResult(
            case=case,
            payer=PayerResult(id=payer.payer_id, name=payer.template.name, confidence=round(payer.confidence, 3),
                              also_matched=list(payer.also_matched)),
            fields=_field_readings(extraction, payer.template),
            checks=verdict.checks, flags=verdict.flags, needs_review=verdict.needs_review,
            quality=quality, timings_ms={k: round(v, 1) for k, v in timings.items()}, versions=self.versions)
        log.info("card read: payer=%s fields=%d review=%s in %.0f ms", result.payer.id, len(result.fields),
                 result.needs_review, sum(timings.values()))
        return result

    def _quality(self, side: ReadSide) -> SideQuality:
        t = self.thresholds
        img = side.image
        issues = []
        if img.sharpness < t.min_sharpness:
            issues.append("blurry")
        if img.card_width_px < t.min_card_width_px:
            issues.append("too_small")
        if img.glare > t.max_glare:
            issues.append("glare")
        if side.page.mean_confidence < t.min_ocr_confidence:
            issues.append("low_text_confidence")
        return SideQuality(card_found=img.card_found, method=img.method, rotation_applied=img.rotation_applied,
                           exif_rotation=side.exif_rotation, skew_degrees=round(img.skew_degrees, 2),
                           card_width_px=img.card_width_px, sharpness=round(img.sharpness, 1),
                           glare=round(img.glare, 4), ocr_confidence=round(side.page.mean_confidence, 3),
                           issues=issues)


def _submission(typed: Union[ClientSubmission, dict, None]) -> ClientSubmission:
    if typed is None:
        return ClientSubmission()
    if isinstance(typed, ClientSubmission):
        return typed
    try:
        return ClientSubmission.model_validate(typed)
    except ValueError as exc:
        fields = sorted({str(e["loc"][0]) for e in getattr(exc, "errors", lambda: [])() if e.get("loc")})
        raise InvalidSubmission(f"the typed form is not valid (fields: {', '.join(fields) or '?'})") from None


def load_submission(path: Union[str, Path]) -> ClientSubmission:
    """A typed form from a JSON file, with a typed error (no values echoed) when it is malformed."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidSubmission(f"the typed form {Path(path).name} is not readable JSON") from exc
    if not isinstance(data, dict):
        raise InvalidSubmission(f"the typed form {Path(path).name} must be a JSON object")
    return _submission(data)


SECOND_PASS_PSM = 3  # automatic layout: finds small labels that sparse-text mode drops beside large values
SURE_CONFIDENCE = 0.75


def _unsure(extraction: Extraction, payer: PayerMatch) -> bool:
    """Whether the first OCR pass left the payer, member ID or group number in doubt."""
    member = extraction.fields.get("member_id")
    group = extraction.fields.get("group_number")
    return (payer.payer_id == UNKNOWN_PAYER or member is None or member.confidence < SURE_CONFIDENCE
            or (group is None and not payer.template.policies.group_often_missing)
            or (group is not None and group.confidence < SURE_CONFIDENCE))


def _field_readings(extraction: Extraction, template) -> dict[str, FieldReading]:
    out = {}
    for name, c in extraction.fields.items():
        out[name] = FieldReading(value=c.value, confidence=c.confidence, side=c.side, box=c.box.as_list(),
                                 raw=c.raw, label=c.label,
                                 portal_value=portal_group_value(template, c.value) if name == "group_number"
                                 else None)
    return out


@contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = timings.get(stage, 0.0) + (time.perf_counter() - start) * 1000


def _write_debug(directory: Path, photos: list[tuple[str, LoadedImage]], sides: list[ReadSide], extraction: Extraction) -> None:
    """The outline found on each photo (red), each side straightened, with OCR words boxed (grey) and
    chosen fields boxed (green)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, photo in photos:
        canvas = photo.pixels.copy()
        for s in sides:
            if s.image.outline is not None and (s.side == name or s.image.method == "side_by_side"):
                cv2.polylines(canvas, [s.image.outline.astype("int32")], True, (0, 0, 255),
                              max(2, canvas.shape[1] // 300))
        cv2.imwrite(str(directory / f"{name}_photo_outline.jpg"), canvas)
    for s in sides:
        canvas = s.image.image.copy()
        if canvas.ndim == 2:
            canvas = cv2.cvtColor(canvas, cv2.COLOR_GRAY2BGR)
        cv2.imwrite(str(directory / f"{s.side}_straightened.png"), canvas)
        for word in s.page.words():
            b = word.box
            cv2.rectangle(canvas, (b.x, b.y), (b.right, b.bottom), (160, 160, 160), 1)
        for name, c in extraction.fields.items():
            if c.side == s.side:
                b = c.box
                cv2.rectangle(canvas, (b.x, b.y), (b.right, b.bottom), (0, 160, 0), 2)
                cv2.putText(canvas, name, (b.x, max(12, b.y - 4)), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 120, 0), 1)
        cv2.imwrite(str(directory / f"{s.side}_ocr.png"), canvas)


_DEFAULT_READER: Optional[CardReader] = None


def read_card(front: ImageSource, back: Optional[ImageSource] = None,
              typed: Union[ClientSubmission, dict, None] = None, **options) -> CardResult:
    """One call for the common case: read a card with the default engine and templates."""
    global _DEFAULT_READER
    if _DEFAULT_READER is None:
        _DEFAULT_READER = CardReader()
    return _DEFAULT_READER.read(front, back, typed, **options)
