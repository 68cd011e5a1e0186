"""The OCR engine interface and the word tree it returns.

An OCR result is a typed tree (page > block > line > word) with geometry and confidence, never a
bare string: extraction reasons about where words stand. The Tesseract binding lives in
``card_reader.tesseract`` alone; ``FakeEngine`` returns canned trees so that templates and checks
are tested without Tesseract.
"""

from __future__ import annotations

import statistics
from concurrent.futures import Executor, wait
from dataclasses import dataclass, field
from functools import cached_property
from typing import Iterator, Optional, Protocol, Sequence, runtime_checkable

import cv2
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

    def overlap(self, other: "Box") -> float:
        """The share of the smaller box that the two boxes have in common."""
        w = min(self.right, other.right) - max(self.x, other.x)
        h = min(self.bottom, other.bottom) - max(self.y, other.y)
        if w <= 0 or h <= 0:
            return 0.0
        return w * h / max(1, min(self.w * self.h, other.w * other.h))

    def padded(self, margin: int) -> "Box":
        return Box(self.x - margin, self.y - margin, self.w + 2 * margin, self.h + 2 * margin)

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

    @cached_property
    def rows(self) -> tuple["Line", ...]:
        """``text_rows`` of this page, worked out once: the payer match, extraction and the checks all
        read a side's rows, and a page never changes (new words make a new page)."""
        return tuple(_chain_rows(self))


@dataclass(frozen=True)
class Orientation:
    """How far the image must be turned clockwise to be upright, and how sure the engine is."""

    rotate_degrees: int  # one of 0, 90, 180, 270
    confidence: float  # engine-specific scale; higher is surer


ALL_TURNS = (0, 90, 180, 270)


@runtime_checkable
class OcrEngine(Protocol):
    """What card-reader needs of an OCR engine. One may also offer ``twin()``: an engine like it that
    reads on another thread beside it (``CardReader`` reads a card's sides at once only with one)."""

    name: str

    def version(self) -> str: ...

    def recognise(self, image: np.ndarray, *, psm: int | None = None) -> Page:
        """Read an upright image (BGR or grey) into the word tree."""
        ...

    def orientation(self, image: np.ndarray, *, turns: Sequence[int] = ALL_TURNS) -> Orientation:
        """How far (one of ``turns``, degrees clockwise) the image must be turned for its text to be upright."""
        ...


@dataclass(frozen=True)
class UprightReading:
    """A card side read the right way up: the page, the clockwise turn that made it upright, and how sure."""

    page: Page
    rotation: int
    confidence: float  # 1.0 when the first reading was plainly upright; else the winner's lead, 0..1
    readings: int  # how many turns were read to decide


MAX_WORD_GAP = 12.0  # in word heights: further apart, two words are not one line (label-value gaps are wide)
LINE_PSM = 7  # Tesseract's page segmentation mode for a single line of text
MIN_KNOWN_WORDS = 2  # card words (labels, payer names) read confidently that make a reading plainly upright
KEEP_UNCOVERED_CONFIDENCE = 0.6  # a first-pass word this sure survives a re-read that found nothing over it
GLYPH_GAP = 0.3  # in letter heights: words of one line this close were printed as one token (a space is wider)


def read_upright(engine: OcrEngine, image: np.ndarray, *, turns: Sequence[int] = (0, 180),
                 vocabulary: frozenset[str] = frozenset()) -> UprightReading:
    """Read the image at the first of ``turns``; only if that reading is not plainly upright, read the
    others too and keep the most convincing.

    The reading is the evidence: upside-down or sideways text never reads as "MEMBER" or "GROUP"
    with confidence, so a card that is upright (most are) costs one reading, not a probe per turn.
    ``vocabulary`` holds the words cards print (upper case, letters and digits only).
    """
    readings: dict[int, Page] = {}
    for turn in turns:
        readings[turn] = engine.recognise(rotate_clockwise(image, turn))
        if turn == turns[0] and known_words(readings[turn], vocabulary) >= MIN_KNOWN_WORDS:
            return UprightReading(readings[turn], turn, 1.0, 1)
    scores = {turn: (known_words(page, vocabulary), text_evidence(page)) for turn, page in readings.items()}
    best = max(turns, key=lambda turn: scores[turn])
    ranked = sorted((score[1] for score in scores.values()), reverse=True)
    lead = (ranked[0] - ranked[1]) / max(ranked[0], 1e-6) if len(ranked) > 1 else 1.0
    return UprightReading(readings[best], best, round(lead, 3), len(readings))


def known_words(page: Page, vocabulary: frozenset[str]) -> int:
    """How many distinct card words (of three characters or more) the page holds, read with confidence."""
    found = set()
    for word in page.words():
        key = "".join(ch for ch in word.text.upper() if ch.isalnum())
        if len(key) >= 3 and word.confidence >= 0.6 and key in vocabulary:
            found.add(key)
    return len(found)


def orientation_by_reading(engine: OcrEngine, image: np.ndarray, turns: Sequence[int]) -> Orientation:
    """Every turn read, the most confidently read text wins (``read_upright`` without a vocabulary):
    slower than a dedicated detector but sure where one is not (short lines, big type, few words)."""
    reading = read_upright(engine, image, turns=turns)
    return Orientation(reading.rotation, reading.confidence)


def replace_words(page: Page, box: Box, words: Sequence[Word]) -> Page:
    """The page with the words whose centres lie in ``box`` replaced by ``words`` (a region read again),
    unless the new reading is clearly less sure, or holds much less text, than the words it would replace:
    reading a region again must not lose what the first pass read well (a label, a name). An old word
    read confidently that no new word covers stays: the second reading saw nothing there (a small label
    read at a large value's scale comes back as punctuation), which does not make the first one wrong."""
    words = [w for w in words if any(ch.isalnum() for ch in w.text)]

    def inside(word: Word) -> bool:
        return box.x <= word.box.cx <= box.right and box.y <= word.box.cy <= box.bottom and \
            (word.confidence < KEEP_UNCOVERED_CONFIDENCE or any(word.box.overlap(new.box) > 0.3 for new in words))

    old = [w for w in page.words() if inside(w)]
    new_chars, old_chars = _characters(words), _characters(old)
    if not new_chars or (old_chars and (new_chars < 0.6 * old_chars
                                        or _read_text(words) / new_chars < _read_text(old) / old_chars - 0.05)):
        return page
    blocks = []
    for block in page.blocks:
        lines = tuple(Line(kept) for line in block.lines if (kept := tuple(w for w in line.words if not inside(w))))
        if lines:
            blocks.append(Block(lines))
    return add_words(Page(page.width, page.height, tuple(blocks)), words)


def typical_height(rows: Sequence[Line]) -> Optional[float]:
    """The median height of the words of two letters or digits or more (None without any): the size of a
    side's ordinary text, against which logos and large numbers are told apart."""
    heights = [w.box.h for row in rows for w in row.words if sum(ch.isalnum() for ch in w.text) >= 2]
    return statistics.median(heights) if heights else None


def text_rows(page: Page) -> list[Line]:
    """Words chained left to right into text lines by geometry, not by Tesseract's layout guess."""
    return list(page.rows)


def _chain_rows(page: Page) -> list[Line]:
    """Words chained left to right into text lines by geometry, not by Tesseract's layout guess.

    A word's right neighbour is the nearest word to its right that shares most of its height, so a
    small label and the large value printed after it form one line even on a slightly skewed card,
    while two columns at nearly the same height stay apart when far from each other.
    """
    words = sorted(page.words(), key=lambda w: w.box.x)
    ends = [_word_end(word, words) for word in words]
    reach = MAX_WORD_GAP * max((w.box.h for w in words), default=0)  # no neighbour starts further right
    right: dict[int, int] = {}
    claimed: dict[int, tuple[float, int]] = {}
    for i, word in enumerate(words):
        best: Optional[tuple[float, int]] = None
        for j in range(i + 1, len(words)):
            other = words[j]
            gap = other.box.x - ends[i]
            if gap > reach:
                break  # the words are in order of their left edge: the rest are further still
            # Tesseract's boxes can overlap when it splits one printed token; a word that reaches further
            # right still continues the line, a word inside another's box does not
            if other.box.right <= ends[i] or not _same_line(word.box, other.box):
                continue
            if gap > MAX_WORD_GAP * max(word.box.h, other.box.h):
                continue
            # nearest first, and where boxes overlap (a split token), the one standing on the same baseline:
            # an engine's box may reach up into the label above a value, never below the value's baseline
            cost = max(gap, 0) + 2 * abs(word.box.bottom - other.box.bottom)
            if best is None or cost < best[0]:
                best = (cost, j)
        if best is not None and (best[1] not in claimed or claimed[best[1]][0] > best[0]):
            if best[1] in claimed:
                right.pop(claimed[best[1]][1], None)
            claimed[best[1]] = (best[0], i)
            right[i] = best[1]
    has_left = {j for j in right.values()}
    rows = []
    for i in range(len(words)):
        if i in has_left:
            continue
        chain, k = [words[i]], i
        while k in right:
            k = right[k]
            chain.append(words[k])
        rows.append(_rejoin_split_tokens(chain))
    return sorted(rows, key=lambda r: (r.box.y, r.box.x))


def _rejoin_split_tokens(words: Sequence[Word]) -> Line:
    """The line with a number the engine split at glyph spacing made one word again: large monospaced
    digits read as "13 19 3 5 12 2 3" for 1319351223. Only words of letters and digits, each holding a
    digit (a label's tail read close before a value, "io", stays apart), of one type size on one
    baseline, and no further apart than ``GLYPH_GAP``: no space a card prints between two words is that
    narrow."""
    joined: list[Word] = []
    for word in words:
        last = joined[-1] if joined else None
        if last is not None and _glued_bar(last, word):
            joined[-1] = Word(last.text + "1", last.box.union(word.box), min(last.confidence, word.confidence))
        elif last is not None and all(w.text.isalnum() and any(ch.isdigit() for ch in w.text) for w in (last, word)) \
                and min(last.box.h, word.box.h) >= 0.75 * max(last.box.h, word.box.h) \
                and abs(last.box.bottom - word.box.bottom) <= 0.2 * max(last.box.h, word.box.h) \
                and 0 <= word.box.x - last.box.right <= GLYPH_GAP * max(last.box.h, word.box.h):
            weight = len(last.text), len(word.text)
            confidence = (last.confidence * weight[0] + word.confidence * weight[1]) / sum(weight)
            joined[-1] = Word(last.text + word.text, last.box.union(word.box), confidence)
        else:
            joined.append(word)
    return Line(tuple(joined))


def _glued_bar(word: Word, bar: Word) -> bool:
    """A bar the engine split off the end of a number, touching or inside its box, and as tall as its
    digits: the number's last digit, a 1 (a serif 1 read "FPM27459668 |"). A box's side stands clear of
    the text it frames."""
    return bar.text in ("|", "!") and word.text[-1:].isdigit() and word.text.isalnum() \
        and bar.box.x - word.box.right <= 0.15 * word.box.h and bar.box.right > word.box.right \
        and 0.75 * word.box.h <= bar.box.h <= 1.6 * word.box.h \
        and bar.box.y <= word.box.y + 0.25 * word.box.h and bar.box.bottom >= word.box.bottom - 0.25 * word.box.h


def _word_end(word: Word, words: Sequence[Word]) -> int:
    """Where a word ends on its line. An engine's box sometimes runs on over the words after it ("Payer"
    boxed to the end of "Payer ID 20554"); where it holds whole words of the same line that start well
    inside it, and is far too wide for its letters, it ends where the first of them starts."""
    box = word.box
    if box.w <= box.h * max(1, len(word.text)):  # no letter is wider than it is tall
        return box.right
    inside = [w.box.x for w in words if w is not word and box.x + box.h <= w.box.x and w.box.right <= box.right
              and _same_line(box, w.box)]
    return min(inside, default=box.right)


def _same_line(a: Box, b: Box) -> bool:
    overlap = min(a.bottom, b.bottom) - max(a.y, b.y)
    return overlap >= 0.5 * min(a.h, b.h)


def unread_regions(binary: np.ndarray, page: Page, *, min_height: int = 10) -> list[Box]:
    """Lines of ink that the reading left without words (Tesseract's layout analysis sometimes drops a
    whole line, a small label beside a large value most often): where to read once more."""
    ink = (binary < 128).astype(np.uint8)
    covered = np.zeros_like(ink)
    for word in page.words():
        b = word.box.padded(3)
        covered[max(0, b.y):max(0, b.bottom), max(0, b.x):max(0, b.right)] = 1
    unread = ink & (1 - covered)
    height = max(min_height, binary.shape[0] // 80)
    lines = cv2.morphologyEx(unread, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (height * 2, 1)))
    count, _, stats, _ = cv2.connectedComponentsWithStats(lines, connectivity=8)
    rows, cols = binary.shape
    pieces = []
    for x, y, w, h, area in stats[1:].tolist():
        at_border = x <= 2 or y <= 2 or x + w >= cols - 2 or y + h >= rows - 2  # the card's edge, not text
        if not at_border and height <= h <= rows // 4 and w >= 2 * height and area >= 0.15 * w * h:
            pieces.append(Box(x, y, w, h))
    # pieces of one line in one type size (a label and its value, a word space apart) are read together:
    # alone, a value loses what its label says, and a short label is too little for the engine (a small
    # label beside a large value stays apart: read as one line, the small print is lost)
    regions: list[Box] = []
    for piece in sorted(pieces, key=lambda b: b.x):
        near = next((i for i, r in enumerate(regions) if min(r.bottom, piece.bottom) - max(r.y, piece.y)
                     >= 0.5 * min(r.h, piece.h) and max(r.h, piece.h) <= 1.5 * min(r.h, piece.h)
                     and piece.x - r.right <= 3 * min(r.h, piece.h)), None)
        if near is None:
            regions.append(piece)
        else:
            regions[near] = regions[near].union(piece)
    return [r.padded(r.h // 4) for r in regions]


def split_stacked(engine: OcrEngine, binary: np.ndarray, page: Page, *, min_confidence: float) -> Page:
    """The page with each word whose box holds more than one line of ink split: the engine read a small
    label into the value under it ("Grp" above "955482" as one word), and the label was lost. The word
    keeps its text on the widest line of ink, its box shrunk to that line; the other lines are read
    again, and their words read surely added."""
    shrunk: dict[int, Word] = {}
    recovered: list[Word] = []
    for word in page.words():
        b = word.box
        crop = binary[max(0, b.y):max(0, b.bottom), max(0, b.x):max(0, b.right)]
        if sum(ch.isalnum() for ch in word.text) < 2 or not crop.size:
            continue
        bands = _ink_lines(crop)
        if len(bands) < 2:
            continue
        widest = _widest_line(crop, bands)
        shrunk[id(word)] = Word(word.text, Box(b.x, b.y + widest[0], b.w, widest[1] - widest[0]), word.confidence)
        for top, bottom in bands:
            if (top, bottom) != widest:
                recovered += [w for w in reread_region(engine, binary, Box(b.x, b.y + top, b.w, bottom - top))
                              if w.confidence >= min_confidence]
    if not shrunk:
        return page
    blocks = tuple(Block(tuple(Line(tuple(shrunk.get(id(w), w) for w in line.words)) for line in block.lines))
                   for block in page.blocks)
    return add_words(Page(page.width, page.height, blocks), recovered)


def add_words(page: Page, words: Sequence[Word]) -> Page:
    """The page with more words, as a block of their own."""
    if not words:
        return page
    return Page(page.width, page.height, (*page.blocks, Block((Line(tuple(words)),))))


def _characters(words: Sequence[Word]) -> int:
    return sum(ch.isalnum() for w in words for ch in w.text)


def _read_text(words: Sequence[Word]) -> float:
    """Letters and digits read, weighted by confidence."""
    return sum(w.confidence * sum(ch.isalnum() for ch in w.text) for w in words)


def reread_region(engine: OcrEngine, image: np.ndarray, box: Box, *, line_height: int = 48) -> list[Word]:
    """Read one region of an upright image (dark text on white) again, line by line.

    The region is cut into its lines of ink and each line is read alone, scaled so its letters are
    about ``line_height`` pixels tall: a small label above or beside a large value is lost when both
    are read as one line (the engine sizes a line by its tallest letters). The words come back in the
    image's coordinates.
    """
    x0, y0 = max(0, box.x), max(0, box.y)
    x1, y1 = min(image.shape[1], box.right), min(image.shape[0], box.bottom)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return []
    words: list[Word] = []
    for top, bottom in _ink_lines(image[y0:y1, x0:x1]):
        for left, right, upper, lower in _type_sizes(image[y0 + top:y0 + bottom, x0:x1]):
            words += _read_line(engine, image, Box(x0 + left, y0 + top + upper, right - left, lower - upper),
                                line_height)
    return words


def reread_dropped_line(engine: OcrEngine, renderings: Sequence[tuple[np.ndarray, int]], box: Box, *,
                        min_confidence: float) -> list[Word]:
    """A line the first reading dropped, read in each (image, letter height) rendering in turn until one
    reads all of it surely; the words read surely by the rendering that read most. A small label read
    surely beside a value read as noise is not the line read: the next rendering may read both."""
    best: list[Word] = []
    for image, height in renderings:
        words = reread_region(engine, image, box, line_height=height)
        sure = [w for w in words if w.confidence >= min_confidence]
        if _read_text(sure) > _read_text(best):
            best = sure
        if sure and len(sure) == len(words):
            break
    return best


TYPE_SIZE_RATIO = 1.6  # words this much taller or shorter than their neighbours are set in another type size


def _type_sizes(band: np.ndarray, margin: int = 3) -> list[tuple[int, int, int, int]]:
    """A line of ink cut where its type size changes (a small "Member ID" beside a large number: read as one
    line, scaled by the tall glyphs, the small ones are lost): runs of words of one height, each as
    (left, right, top, bottom) within the band; the whole band when it holds one size. Marks (a colon, a
    lone glyph, a piece of a rule) join the run nearest them."""
    ink = band < 128
    rows, cols = band.shape
    gap = max(4, rows // 3)
    # glyphs (or runs of them) split at the spaces between letters, then joined into pieces of ink split at
    # gaps wider than ``gap`` or where the type size changes: a small label closer to a large value than a
    # third of the line's height ("MEMBER ID" 19 pixels from a number 50 tall) is a piece of its own
    glyphs: list[list[int]] = []  # [left, right, top, bottom]
    for x in np.flatnonzero(ink.any(axis=0)).tolist():
        if glyphs and x - glyphs[-1][1] <= max(2, rows // 10):
            glyphs[-1][1] = x + 1
        else:
            glyphs.append([x, x + 1, 0, 0])
    for glyph in glyphs:
        inked = np.flatnonzero(ink[:, glyph[0]:glyph[1]].any(axis=1))
        glyph[2], glyph[3] = int(inked[0]), int(inked[-1]) + 1
    pieces: list[list[int]] = []
    for glyph in glyphs:
        if pieces and glyph[0] - pieces[-1][1] <= gap and _one_type_size(pieces[-1], glyph):
            pieces[-1] = _enclosing(pieces[-1], glyph)
        else:
            pieces.append(glyph)
    words = [p for p in pieces if p[3] - p[2] >= max(6, 0.2 * rows) and p[1] - p[0] >= 2 * (p[3] - p[2])]
    runs: list[list[int]] = []
    for word in words:
        if runs and _same_size(runs[-1][3] - runs[-1][2], word[3] - word[2]):
            runs[-1] = _enclosing(runs[-1], word)
        else:
            runs.append(list(word))
    if len(runs) <= 1:
        return [(0, cols, 0, rows)]
    for piece in pieces:
        if piece not in words:
            nearest = min(runs, key=lambda r: max(r[0] - piece[1], piece[0] - r[1], 0))
            nearest[:] = _enclosing(nearest, piece)
    return [(max(0, a - margin), min(cols, b + margin), max(0, c - margin), min(rows, d + margin))
            for a, b, c, d in runs]


def _one_type_size(piece: list[int], glyph: list[int]) -> bool:
    """Whether a glyph goes on with a piece of ink ([left, right, top, bottom]): of its height (within
    ``TYPE_SIZE_RATIO``), or a mark shorter than it (a colon, a dash, a small letter), never a glyph taller
    than the piece nor a word of smaller type (wider than twice its height)."""
    height, glyph_height = piece[3] - piece[2], glyph[3] - glyph[2]
    return _same_size(height, glyph_height) or (glyph_height < height and glyph[1] - glyph[0] < 2 * glyph_height)


def _same_size(height: int, other: int) -> bool:
    """Whether two heights of ink are one type size (within ``TYPE_SIZE_RATIO``)."""
    return max(height, other) <= TYPE_SIZE_RATIO * min(height, other)


def _enclosing(a: list[int], b: list[int]) -> list[int]:
    """The [left, right, top, bottom] enclosing two such boxes of ink."""
    return [min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3])]


def _ink_lines(crop: np.ndarray, min_height: int = 6) -> list[tuple[int, int]]:
    """Bands of rows holding ink (dark pixels), with a margin: the lines of text in a region."""
    rows = (crop < 128).sum(axis=1) > 0
    bands, start = [], None
    for y, inked in enumerate(list(rows) + [False]):
        if inked and start is None:
            start = y
        elif not inked and start is not None:
            if y - start >= min_height:
                bands.append([start, y])
            elif bands and start - bands[-1][1] <= 2:  # a dot or accent just off the line above
                bands[-1][1] = y
            start = None
    margin = 3
    return [(max(0, top - margin), min(len(rows), bottom + margin)) for top, bottom in bands]


def _widest_line(crop: np.ndarray, bands: Sequence[tuple[int, int]]) -> tuple[int, int]:
    """The band of ``_ink_lines`` whose ink spans most columns: the value, not a small label by it."""
    return max(bands, key=lambda band: int((crop[band[0]:band[1]] < 128).any(axis=0).sum()))


def _read_line(engine: OcrEngine, image: np.ndarray, box: Box, line_height: int) -> list[Word]:
    scale = min(4.0, max(0.5, line_height / max(1, box.h - 6)))
    crop = image[box.y:box.bottom, box.x:box.right]
    crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA)
    pad = 12  # Tesseract reads a line poorly when its ink touches the image border
    crop = cv2.copyMakeBorder(crop, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)
    page = engine.recognise(crop, psm=LINE_PSM)
    return [Word(w.text, Box(box.x + round((w.box.x - pad) / scale), box.y + round((w.box.y - pad) / scale),
                             max(1, round(w.box.w / scale)), max(1, round(w.box.h / scale))), w.confidence)
            for w in page.words()]


# (rendering, letter height) a value is read at again, the most unlike first: the engine's misreads change
# with the scale and the rendering, and a vote that is plain after the first few stops there
VALUE_VARIANTS = ((0, 36), (1, 28), (2, 48), (0, 28), (1, 48), (2, 36), (0, 48), (1, 36), (2, 28))


def read_value_box(engines: Sequence[OcrEngine], images: Sequence[np.ndarray], box: Box, *,
                   pool: Optional[Executor] = None) -> Iterator[tuple[tuple[str, float], ...]]:
    """Read the line around one value's box again, lazily: each variant (``VALUE_VARIANTS``) by each engine
    in turn, a reading being its words with their confidences (none where the engine read nothing), so
    that reading ``i`` is engine ``i % len(engines)``'s.

    A value read on the whole page can be misread where the same engine reads it right alone, at
    another scale or from another rendering; the readings vote (``extract.settle_value``, which finds
    the value among the words each reading holds, and stops reading once the vote is plain). The
    engine's word boxes can miss a whole glyph at either end, so the crop reaches two letter heights
    further each way, and on along the line's ink (``_line_run``). Glyphs the crop cuts through (a
    neighbour's at either end, the line above or below reaching in) and rules or frames running through
    it are blanked; they are found on the first two images (dark ink on white). Where the box holds two
    lines of ink (a label above the value read into the value's word), only the widest is read.
    With a ``pool`` (a thread per engine), the engines read each variant at once; both readings are in
    before either is yielded, so no engine is still reading when the caller stops taking readings.
    """
    pad = max(2, box.h // 4)
    rows, cols = images[0].shape[:2]
    y0, y1 = max(0, box.y - pad), min(rows, box.bottom + pad)
    x0, x1 = _line_run(images[0], box)
    if box.w < 4 or box.h < 4 or x1 - x0 < 4 or y1 - y0 < 4:
        return
    letter_height = box.h
    lines = _ink_lines(images[0][y0:y1, x0:x1])
    if len(lines) > 1:  # a small label above or below the value read into its box ("ID:" over the number)
        top, bottom = _widest_line(images[0][y0:y1, x0:x1], lines)
        y0, y1, letter_height = y0 + top, y0 + bottom, max(4, bottom - top - 6)  # less the band's margins
    ink = np.zeros((y1 - y0, x1 - x0), np.uint8)
    for image in images[:2]:  # the binary image lost the box frames; the ink rendering still has them
        ink |= image[y0:y1, x0:x1] < 128
    # a rule or a band's edge reaching in would carry the glyphs it touches away with it (a dark title
    # band's wavy edge meeting a 9's top): straight runs of ink three letter heights long, which no glyph
    # has, are blanked on their own first
    rule = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (3 * letter_height, 1)))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink & ~rule, connectivity=8)
    x, y, w, h = (stats[:, i] for i in range(4))
    # a neighbour's glyph cut by the crop: at its ends, or a line above or below reaching in
    overlap = np.minimum(y + h, box.bottom - y0) - np.maximum(y, box.y - y0)
    cut = ((x == 0) & (x0 > 0)) | ((x + w == x1 - x0) & (x1 < cols)) | \
        (((y == 0) | (y + h == y1 - y0)) & (overlap < h / 2))
    through = ((y == 0) & (y + h == y1 - y0)) | ((x == 0) & (x + w == x1 - x0))  # a rule or frame
    unwanted = cut | through
    unwanted[0] = False  # the background
    blank = cv2.dilate(unwanted[labels].astype(np.uint8) | rule, np.ones((3, 3), np.uint8)) > 0
    blank &= ~((labels > 0) & ~unwanted[labels])  # never into a glyph that stays
    # each variant by every engine in turn: a vote is plain only once the models, which misread different
    # glyphs, agree (one model reading a blurred 0 as 6 at three scales is one mistake made three times)
    for rendering, height in VALUE_VARIANTS:
        if rendering >= len(images):
            continue
        crop = images[rendering][y0:y1, x0:x1].copy()
        crop[blank] = 255
        scale = min(4.0, max(0.25, height / letter_height))
        scaled = cv2.resize(crop, None, fx=scale, fy=scale,
                            interpolation=cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA)
        crop = cv2.copyMakeBorder(scaled, 12, 12, 12, 12, cv2.BORDER_CONSTANT, value=255)
        if pool is None:
            pages: Iterator[Page] = (engine.recognise(crop, psm=LINE_PSM) for engine in engines)
        else:
            futures = [pool.submit(engine.recognise, crop, psm=LINE_PSM) for engine in engines]
            wait(futures)
            pages = iter([future.result() for future in futures])
        for page in pages:
            yield tuple((w.text, w.confidence) for row in page.rows for w in row.words)


def _line_run(binary: np.ndarray, box: Box, gap: float = 0.5, reach: int = 6) -> tuple[int, int]:
    """The columns of a value's line to read again: two letter heights past its box each way, and on
    along the ink that continues it with no gap wider than ``gap`` letter heights (a glyph the engine
    split off as another word, or dropped: a large ID read as "X YT \\"2 282940817"), at most ``reach``
    letter heights. The ink is the binary image's, which has lost the frames of a row of boxes."""
    cols = binary.shape[1]
    ink = (binary[box.y:box.bottom] < 128).sum(axis=0) >= 2
    widest = max(1, round(gap * box.h))
    left, right = box.x, box.right
    while left > max(0, box.x - reach * box.h):
        window = ink[max(0, left - widest):left]
        if not window.any():
            break
        left = max(0, left - widest) + int(np.flatnonzero(window)[0])
    while right < min(cols, box.right + reach * box.h):
        window = ink[right:right + widest]
        if not window.any():
            break
        right += int(np.flatnonzero(window)[-1]) + 1
    return (max(0, min(box.x - 2 * box.h, left - box.h // 2)),
            min(cols, max(box.right + 2 * box.h, right + box.h // 2)))


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
    """Returns canned pages in order (or the same page every time); no Tesseract needed. Single lines
    (``LINE_PSM``: a region or value read again) come from ``lines`` in turn, and read as nothing once
    those run out."""

    pages: list[Page] = field(default_factory=list)
    rotate_degrees: int = 0
    name: str = "fake"
    calls: int = 0
    lines: list[Page] = field(default_factory=list)
    line_calls: int = 0

    def version(self) -> str:
        return "fake-1"

    def recognise(self, image: np.ndarray, *, psm: int | None = None) -> Page:
        if psm == LINE_PSM:
            self.line_calls += 1
            if self.line_calls <= len(self.lines):
                return self.lines[self.line_calls - 1]
            return Page(image.shape[1], image.shape[0])
        page = self.pages[min(self.calls, len(self.pages) - 1)]
        self.calls += 1
        return page

    def orientation(self, image: np.ndarray, *, turns: Sequence[int] = ALL_TURNS) -> Orientation:
        return Orientation(self.rotate_degrees if self.rotate_degrees in turns else 0, 10.0)
