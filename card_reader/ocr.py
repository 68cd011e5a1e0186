"""The OCR engine interface and the word tree it returns.

An OCR result is a typed tree (page > block > line > word) with geometry and confidence, never a
bare string: extraction reasons about where words stand. The Tesseract binding lives in
``card_reader.tesseract`` alone; ``FakeEngine`` returns canned trees so that templates and checks
are tested without Tesseract.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Protocol, Sequence, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle in pixels: left, top, width, height."""

    x: int
    y: int
    w: int
    h: int

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    def union(self, other: "Box") -> "Box":
        x, y = min(self.x, other.x), min(self.y, other.y)
        return Box(x, y, max(self.right, other.right) - x, max(self.bottom, other.bottom) - y)

    def as_list(self) -> list[int]:
        return [self.x, self.y, self.w, self.h]

    @staticmethod
    def enclosing(boxes: Sequence["Box"]) -> "Box":
        out = boxes[0]
        for b in boxes[1:]:
            out = out.union(b)
        return out


@dataclass(frozen=True)
class Word:
    text: str
    box: Box
    confidence: float  # 0..1


@dataclass(frozen=True)
class Line:
    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def box(self) -> Box:
        return Box.enclosing([w.box for w in self.words])

    @property
    def confidence(self) -> float:
        return min((w.confidence for w in self.words), default=0.0)


@dataclass(frozen=True)
class Block:
    lines: tuple[Line, ...]

    @property
    def box(self) -> Box:
        return Box.enclosing([ln.box for ln in self.lines])


@dataclass(frozen=True)
class Page:
    """The OCR of one upright card side."""

    width: int
    height: int
    blocks: tuple[Block, ...] = ()

    @property
    def lines(self) -> list[Line]:
        return [ln for b in self.blocks for ln in b.lines]

    def words(self) -> Iterator[Word]:
        for b in self.blocks:
            for ln in b.lines:
                yield from ln.words

    @property
    def text(self) -> str:
        return "\n".join(ln.text for ln in self.lines)

    @property
    def mean_confidence(self) -> float:
        confs = [w.confidence for w in self.words()]
        return float(sum(confs) / len(confs)) if confs else 0.0


@dataclass(frozen=True)
class Orientation:
    """How far the image must be turned clockwise to be upright, and how sure the engine is."""

    rotate_degrees: int  # one of 0, 90, 180, 270
    confidence: float  # engine-specific scale; higher is surer


ALL_TURNS = (0, 90, 180, 270)


@runtime_checkable
class OcrEngine(Protocol):
    """What card-reader needs of an OCR engine."""

    name: str

    def version(self) -> str: ...

    def recognise(self, image: np.ndarray, *, psm: int | None = None) -> Page:
        """Read an upright image (BGR or grey) into the word tree."""
        ...

    def orientation(self, image: np.ndarray, *, turns: Sequence[int] = ALL_TURNS) -> Orientation:
        """How far (one of ``turns``, degrees clockwise) the image must be turned for its text to be upright."""
        ...


def orientation_by_reading(engine: OcrEngine, image: np.ndarray, turns: Sequence[int]) -> Orientation:
    """Read the image at each turn; the turn giving the most confidently read text wins.

    Slower than a dedicated detector but sure where one is not (short lines, big type, few words).
    The confidence is the winner's lead over the runner-up, 0..1.
    """
    evidence = {turn: text_evidence(engine.recognise(rotate_clockwise(image, turn))) for turn in turns}
    best = max(turns, key=lambda turn: evidence[turn])
    ranked = sorted(evidence.values(), reverse=True)
    lead = (ranked[0] - ranked[1]) / max(ranked[0], 1e-6) if len(ranked) > 1 else 1.0
    return Orientation(best, round(lead, 3))


def rotate_clockwise(image: np.ndarray, degrees: int) -> np.ndarray:
    """The image turned clockwise by a multiple of 90 degrees (a contiguous copy, as engines expect)."""
    return np.ascontiguousarray(np.rot90(image, -(degrees // 90) % 4)) if degrees % 360 else image


def text_evidence(page: Page) -> float:
    """How much confidently read text a page holds: upside-down or sideways text reads as low-confidence noise."""
    total = 0.0
    for word in page.words():
        letters = sum(ch.isalnum() for ch in word.text)
        if letters >= 3 and word.confidence >= 0.6:
            total += word.confidence * letters
    return total


def page_from_text(text: str, *, width: int = 1012, height: int = 638, confidence: float = 0.95,
                   char_width: int = 14, line_height: int = 34, column_gap: int = 3) -> Page:
    """Lay out plain text as a word tree, one line per text line, for tests and fake engines.

    Runs of ``column_gap`` or more spaces start a new block to the right, so that column
    layouts (label above value, BCBS-style prefix/number/suffix rows) can be written as text.
    """
    blocks: list[Block] = []
    for row, raw_line in enumerate(text.splitlines()):
        y = 20 + row * line_height
        words: list[Word] = []
        col = 0
        i = 0
        while i < len(raw_line):
            if raw_line[i] == " ":
                i += 1
                continue
            j = i
            while j < len(raw_line) and raw_line[j] != " ":
                j += 1
            token = raw_line[i:j]
            words.append(Word(token, Box(20 + i * char_width, y, len(token) * char_width, line_height - 10),
                              confidence))
            i = j
            col += 1
        if words:
            # split into blocks wherever the text has a wide gap
            segment: list[Word] = [words[0]]
            for prev, word in zip(words, words[1:]):
                gap_chars = (word.box.x - prev.box.right) // char_width
                if gap_chars >= column_gap:
                    blocks.append(Block((Line(tuple(segment)),)))
                    segment = []
                segment.append(word)
            blocks.append(Block((Line(tuple(segment)),)))
    return Page(width, height, tuple(blocks))


@dataclass
class FakeEngine:
    """Returns canned pages in order (or the same page every time); no Tesseract needed."""

    pages: list[Page] = field(default_factory=list)
    rotate_degrees: int = 0
    name: str = "fake"
    calls: int = 0

    def version(self) -> str:
        return "fake-1"

    def recognise(self, image: np.ndarray, *, psm: int | None = None) -> Page:
        page = self.pages[min(self.calls, len(self.pages) - 1)]
        self.calls += 1
        return page

    def orientation(self, image: np.ndarray, *, turns: Sequence[int] = ALL_TURNS) -> Orientation:
        return Orientation(self.rotate_degrees if self.rotate_degrees in turns else 0, 10.0)
