"""The Tesseract engine: the one module that talks to pytesseract.

Tesseract's own OpenMP threading is pinned to one thread (``OMP_THREAD_LIMIT=1``) so that parallel
card workers do not fight over cores.
"""

from __future__ import annotations

import logging
import os
import re
from functools import lru_cache
from typing import Sequence

import numpy as np

from .errors import EngineError, EngineNotFound, EngineTimeout
from .ocr import ALL_TURNS, Block, Box, Line, Orientation, Page, Word, orientation_by_reading

log = logging.getLogger(__name__)

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

import pytesseract  # noqa: E402  (after pinning the thread count for the subprocess it spawns)

DEFAULT_PSM = 11  # sparse text: cards are islands of labels and values, not paragraphs
TRUSTED_OSD_CONFIDENCE = 6.0  # from here Tesseract's orientation detector is right on cards; below, read and compare


class TesseractEngine:
    """Recognises a card side with the Tesseract binary through pytesseract."""

    name = "tesseract"

    def __init__(self, *, lang: str = "eng", timeout_s: float = 30.0, oem: int = 1) -> None:
        self.lang = lang
        self.timeout_s = timeout_s
        self.oem = oem
        self.version()  # fail at construction, not mid-batch, when the binary is missing

    def version(self) -> str:
        return _tesseract_version()

    def twin(self) -> "TesseractEngine":
        """Itself: each image is read by a process of its own, so threads may share this engine."""
        return self

    def recognise(self, image: np.ndarray, *, psm: int | None = None) -> Page:
        psm = DEFAULT_PSM if psm is None else psm
        config = f"--oem {self.oem} --psm {psm} -c preserve_interword_spaces=0"
        rgb = image[:, :, ::-1] if image.ndim == 3 else image
        try:
            data = pytesseract.image_to_data(rgb, lang=self.lang, config=config,
                                             output_type=pytesseract.Output.DICT, timeout=self.timeout_s)
        except pytesseract.TesseractError as exc:  # a RuntimeError too: caught first
            raise EngineError(f"Tesseract failed with status {exc.status}") from exc
        except RuntimeError as exc:  # pytesseract raises a bare RuntimeError on timeout
            raise EngineTimeout(f"Tesseract took longer than {self.timeout_s:.0f} s") from exc
        return _page_from_data(data, width=image.shape[1], height=image.shape[0])

    def orientation(self, image: np.ndarray, *, turns: Sequence[int] = ALL_TURNS) -> Orientation:
        """Tesseract's orientation detector where all four turns are open and it is sure; reading otherwise."""
        if set(turns) == set(ALL_TURNS):
            verdict = self._detect_orientation(image)
            if verdict.confidence >= TRUSTED_OSD_CONFIDENCE:
                return verdict
        return orientation_by_reading(self, image, turns)

    def _detect_orientation(self, image: np.ndarray) -> Orientation:
        rgb = image[:, :, ::-1] if image.ndim == 3 else image
        try:
            osd = pytesseract.image_to_osd(rgb, config="--psm 0 -c min_characters_to_try=10",
                                           timeout=self.timeout_s)
        except pytesseract.TesseractError:
            return Orientation(0, 0.0)  # too little text to decide: no evidence either way
        except RuntimeError as exc:
            raise EngineTimeout(f"Tesseract orientation took longer than {self.timeout_s:.0f} s") from exc
        rotate = re.search(r"Rotate:\s*(\d+)", osd)
        confidence = re.search(r"Orientation confidence:\s*([\d.]+)", osd)
        return Orientation(int(rotate.group(1)) % 360 if rotate else 0,
                           float(confidence.group(1)) if confidence else 0.0)


@lru_cache(maxsize=1)
def _tesseract_version() -> str:
    try:
        return str(pytesseract.get_tesseract_version())
    except pytesseract.TesseractNotFoundError as exc:
        raise EngineNotFound("Tesseract is not installed: install the Debian packages tesseract-ocr and "
                             "tesseract-ocr-eng (make does this for you)") from exc


def _page_from_data(data: dict[str, list], *, width: int, height: int) -> Page:
    """Group Tesseract's flat TSV rows into blocks and lines, keeping only real words."""
    blocks: dict[tuple[int, int], dict[tuple[int, int], list[Word]]] = {}
    for i, text in enumerate(data["text"]):
        text = (text or "").strip()
        conf = float(data["conf"][i])
        if not text or conf < 0:
            continue
        word = Word(text, Box(int(data["left"][i]), int(data["top"][i]), int(data["width"][i]),
                              int(data["height"][i])), max(0.0, min(1.0, conf / 100.0)))
        block_key = (data["page_num"][i], data["block_num"][i])
        line_key = (data["par_num"][i], data["line_num"][i])
        blocks.setdefault(block_key, {}).setdefault(line_key, []).append(word)
    return Page(width, height, tuple(
        Block(tuple(Line(tuple(words)) for words in lines.values())) for lines in blocks.values()))
