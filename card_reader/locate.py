"""Find the card on the photo, straighten it, and turn it upright.

Three steps, each a public function that can be inspected on its own (PassportEye's chain):

1. ``find_cards``: the card's outline, searched on a downscaled copy (fast, and table textures blur
   away). Outlines are proposed two independent ways, because each fails alone: quadrilaterals
   built from straight line segments (robust to a shadowed or partly low-contrast edge) and
   contours of edge and colour masks (robust where the edge is curved or broken). Every proposal is
   scored by what a card is: ID-1 proportions, evidence of an edge along each of its four sides,
   a sizeable share of the photo. A band or box printed on a card is not the card: an outline that
   shares a side with a larger plausible outline gives way to it, and the picture's own frame
   counts as one (a screenshot of the card alone). An outline too long for a card of its height may
   have left out a band of the card (a title band of nearly the table's colour): its long side moves
   out onto the band's edge where one is found (``with_lost_band``). Where nothing convinces, the whole image is read.
2. ``straighten``: the outline warped from the full-resolution photo to a fixed working size at
   ID-1 proportions (landscape), or the whole image deskewed by its text lines.
Which way is up is left to the text (``card_reader.ocr.read_upright``): a straightened card is
landscape, so only upside down is open, or for a crop whose text runs up and down, the two
sideways turns.
"""

from __future__ import annotations

import functools
import itertools
import logging
import math
from dataclasses import dataclass
from typing import Callable, Optional

import cv2
import numpy as np

from .load import LoadedImage

log = logging.getLogger(__name__)

CARD_ASPECT = 85.6 / 54.0  # ISO/IEC 7810 ID-1
CARD_WIDTH = 1280  # working width: cap height of small print lands near Tesseract's favoured 20-30 px
CARD_HEIGHT = round(CARD_WIDTH / CARD_ASPECT)
SEARCH_SIDE = 640  # longest side of the copy the outline is searched on
TEXTURE_KERNEL = 11  # median filter (pixels on the half-size search copy) wider than a table's pattern, narrower than a card

MIN_AREA_SHARE = 0.05  # a card smaller than this in the photo cannot be read anyway
MAX_AREA_SHARE = 0.995
MIN_OUTLINE_SCORE = 0.42
PARTNER_SCORE_SHARE = 0.5  # a second card beside the first may score half as well: a white card on a light table
ASPECT_TOLERANCE = 0.16  # log-aspect scale of the aspect fit: perspective stretches a card by 10-20%
FRAME_ASPECT_TOLERANCE = 0.12  # a picture this close to ID-1 may be the card itself (screenshot, tight crop)
FRAMED_CARD_SHARE = 0.12  # a picture of card proportions: a smaller outline in it is a detail of the card
FRAME_TOUCH = 0.01  # of the picture's width: an outline this near its frame touches it (a printed box in a crop)
COLOUR_SAMPLES = 64  # points along a side or line where colour is compared, step to step
COLOUR_JUMP = 8.0  # Lab units between neighbouring samples that make an abrupt change
MAX_MARGIN_JUMPS = 4  # a card's margin along one side: its colour, a band or a reflection crossing it; more is a pattern
MAX_SEGMENTS = 250  # the longest line segments merged into lines
SCORED_PROPOSALS = 30  # proposals with the most edge evidence, scored whole
SNAPPED_PROPOSALS = 6  # the best proposals are moved onto the edges near them and scored again
TABLE_COLOUR_DISTANCE = 12.0  # Lab units: a strip this close to the table's colour is table
TABLE_COLOURS = 4  # colours a patterned table is clustered into (gingham: two tones and their mix)
PATTERN_COLOUR_DISTANCE = 30.0  # Lab units between a table's colours that make it a pattern, not shading
TABLE_COLOUR_SHARE = 0.15  # of the border's pixels: a colour this common there is one of the table's
BORDER_MARGIN = 3  # search pixels: an edge this close to the picture's border is the frame, not evidence
TABLE_STRIP_SHARE = 0.4  # a table's stripe or a shadow left out of an outline is at most this share of it
NEST_SLACK = 0.015  # of the long side: a detail's outline this far past the card's along a shared edge is inside it
TABLE_INSIDE_SHARE = 0.9  # of an outline's inside in the table's colours: table, unless no side steps sharply
NEIGHBOUR_STEP = 45.0  # Lab units between just inside a side and just outside it: another object's edge
LOST_BAND_ASPECT = 1.1  # an outline this much longer than ID-1 for its height (perspective undone) may lack a band
BAND_STEPS = np.linspace(0.5, 1.5, 21)  # where the lost band's outer edge is looked for, in shares of the width it lacks
BAND_EDGE = 0.7  # of the moved side's points on an edge: the band's outer edge found
MIN_PRINT_SHARE = 0.006  # of a straightened region darker than around it: less is no card's side (``unprinted``)
RIVAL_SCORE = 0.3  # an outline this card-like, its margin aside, is another place the card may be (``rival_sides``)
RIVAL_OUTLINES = 3  # at most this many of them, the most card-like first
RIVAL_DISTINCT = 0.03  # of the photo's long side: an outline whose corners all stand this near another's is the same
MAX_SKEW = 20.0  # degrees: a whole image's text lines levelled by at most this much (steeper may be noise)
RIVAL_MAX_SKEW = 45.0  # ...and as another place the card may be: a card photographed turned, not found


@dataclass(frozen=True)
class Quad:
    """Four corners (top-left, top-right, bottom-right, bottom-left) and how card-like they are."""

    corners: np.ndarray  # float32 (4, 2)
    score: float

    @property
    def area(self) -> float:
        return float(cv2.contourArea(self.corners.astype(np.float32)))


@dataclass(frozen=True)
class CardRegion:
    """Where one card side is on the loaded photo, and how it was found."""

    corners: np.ndarray  # float32 (4, 2) on the loaded photo
    method: str  # outline | side_by_side | whole_image
    score: float


@dataclass(frozen=True)
class SideImage:
    """One card side, straightened (not yet turned upright: the text decides that), with the measurements
    quality verdicts need."""

    image: np.ndarray  # BGR, CARD_WIDTH wide
    card_found: bool
    method: str  # outline | side_by_side | whole_image
    outline: np.ndarray  # corners on the loaded photo, straightened image's top-left first; the frame for whole_image
    turns: tuple[int, ...]  # the clockwise turns that may make it upright: (0, 180) when its text runs across
    skew_degrees: float
    card_width_px: int  # the card's width on the photo
    sharpness: float
    glare: float
    brightness: float


def locate_cards(loaded: LoadedImage, *, expect_sides: int = 1) -> list[SideImage]:
    """The card sides on one photo, straightened: one normally, two when the photo holds front and back
    side by side (only looked for when ``expect_sides`` is 2)."""
    sides = []
    regions = find_cards(loaded.pixels, expect_sides=expect_sides, preview=loaded.preview)
    for region in regions:
        side = side_image(loaded.pixels, region)
        if len(regions) == 1 and region.method == "outline" and unprinted(side.image):
            # every side of a card prints something: a blank outline is a panel of it (the plain corner under
            # a coloured band, on a pale card on a white scan), and the whole photo is read instead
            log.debug("the outline found holds no print: reading the whole photo")
            side = side_image(loaded.pixels, whole_photo(loaded.pixels))
        sides.append(side)
    log.debug("located %d side(s) by %s", len(sides), sides[0].method)
    return sides


def side_image(photo: np.ndarray, region: CardRegion, *, max_skew: float = MAX_SKEW) -> SideImage:
    """The region straightened, with the measurements quality verdicts need."""
    card, skew, sideways = straighten(photo, region, max_skew=max_skew)
    # an outlined card is landscape after straightening, text across; a crop's text lines say which way
    turns = (90, 270) if sideways else (0, 180)
    return SideImage(image=card, card_found=region.method != "whole_image", method=region.method,
                     outline=region.corners, turns=turns, skew_degrees=skew,
                     card_width_px=int(round(_long_side(region.corners))), sharpness=sharpness(card),
                     glare=glare(card), brightness=brightness(card))


def rival_sides(loaded: LoadedImage, found: SideImage, limit: int = RIVAL_OUTLINES) -> list[SideImage]:
    """Other places the card may be on the photo than ``found``, most card-like first.

    Asked for where the side found reads as almost no text: a box or panel printed on the card was
    outlined instead of the card, or a card on a checked table, its margin crossed by the pattern or a
    printed circle, was not found at all. The outlines that score as a card's with the margin left out
    (``RIVAL_SCORE``), and the whole photo, its text levelled however steeply it runs; the text read
    on each decides (the OCR stage reads them), not this stage.
    """
    search, scale = _search_copy(loaded.pixels, loaded.preview)
    lines = edge_lines(search, search.all_edges)
    proposals = line_quads(search, lines) + contour_quads(search.edges, search)
    scored = sorted(((outline_score(p, search.support, search.lab, margin=False), order_corners(p / scale))
                     for p in proposals), key=lambda sc: -sc[0])
    reach = RIVAL_DISTINCT * max(loaded.pixels.shape[:2])
    kept = [order_corners(found.outline.astype(np.float32))]
    rivals = []
    for score, corners in scored:
        if score < RIVAL_SCORE or len(rivals) >= limit:
            break
        if all(np.abs(corners - other).max() > reach for other in kept):
            kept.append(corners)
            rivals.append(side_image(loaded.pixels, CardRegion(landscape_corners(corners), "outline", score)))
    whole = side_image(loaded.pixels, whole_photo(loaded.pixels), max_skew=RIVAL_MAX_SKEW)
    if found.method != "whole_image" or abs(whole.skew_degrees - found.skew_degrees) > 1:
        rivals.append(whole)
    return rivals


# --- finding the outline ---------------------------------------------------------------------

def find_cards(photo: np.ndarray, *, expect_sides: int = 1, preview: Optional[np.ndarray] = None) -> list[CardRegion]:
    """Where the card (or, with ``expect_sides=2``, front and back side by side) is on the photo.

    The search runs on a copy SEARCH_SIDE pixels long, made from ``preview`` (a smaller decoding of the
    same photo) when there is one: shrinking a 12 MP photo costs more than finding the card on it.
    """
    search, scale = _search_copy(photo, preview)
    chosen = choose_outlines(find_outlines(search.image, search, expect_sides=expect_sides),
                             search.flat_lab.astype(np.float32), expect_sides=expect_sides)
    chosen = [with_lost_band(quad, search) or quad for quad in chosen]
    if not chosen:
        return [whole_photo(photo)]
    method = "side_by_side" if len(chosen) == 2 else "outline"
    return [CardRegion(landscape_corners(q.corners / scale), method, q.score) for q in chosen]


def _search_copy(photo: np.ndarray, preview: Optional[np.ndarray]) -> tuple["SearchCopy", float]:
    """The search copy of the photo, and its scale to the photo."""
    source = photo if preview is None else preview
    small, scale = _downscale(source, SEARCH_SIDE)
    return SearchCopy.of(small), scale * source.shape[1] / photo.shape[1]


@dataclass(frozen=True)
class SearchCopy:
    """The photo at search size and the renderings the outline proposers and scores look at, made once."""

    image: np.ndarray  # BGR, SEARCH_SIDE long
    flat: np.ndarray  # table textures and the card's print erased
    flat_lab: np.ndarray  # uint8 Lab of ``flat``
    half_channels: tuple[np.ndarray, ...]  # lightness and stretched colour axes of ``flat`` at half size
    lab: np.ndarray  # float32 Lab of the photo, noise smoothed: where colours are compared point to point
    border: np.ndarray  # Lab colours along the photo's border (``border_colours``)
    table: np.ndarray  # the table's colours (``table_colours`` of the border)

    @staticmethod
    def of(image: np.ndarray) -> "SearchCopy":
        flat = erase_texture(image)
        flat_lab = cv2.cvtColor(flat, cv2.COLOR_BGR2LAB)
        h, w = image.shape[:2]
        half = cv2.resize(flat, (max(1, w // 2), max(1, h // 2)), interpolation=cv2.INTER_AREA)
        lab = cv2.cvtColor(cv2.GaussianBlur(image, (5, 5), 0), cv2.COLOR_BGR2LAB).astype(np.float32)
        border = border_colours(flat_lab)
        return SearchCopy(image, flat, flat_lab, _edge_channels(cv2.cvtColor(half, cv2.COLOR_BGR2LAB), chroma_gain=6.0),
                          lab, border, table_colours(border))

    # the edge maps, made once when first asked for (the outline search, then a lost band's check)
    @functools.cached_property
    def edges(self) -> np.ndarray:
        return edge_map(self)

    @functools.cached_property
    def all_edges(self) -> np.ndarray:
        return self.edges | soft_edge_map(self)

    @functools.cached_property
    def support(self) -> np.ndarray:
        return _support_map(self.all_edges)


def find_outlines(image: np.ndarray, search: Optional[SearchCopy] = None, *, expect_sides: int = 1) -> list[Quad]:
    """Card-like quadrilaterals on a search-size photo, best first; empty when none convinces. With
    ``expect_sides=2``, a second card is looked for as hard as the first (``polish_outline``)."""
    search = search or SearchCopy.of(image)
    edges, all_edges, support = search.edges, search.all_edges, search.support
    lab = search.lab
    lines = edge_lines(search, all_edges)
    proposals = line_quads(search, lines) + contour_quads(edges, search)
    if not proposals:
        return _distinct(_three_side_outlines(search, lines, edges, support))
    # the edge evidence bounds the score: only the proposals with the most, and enough to reach the bar
    # after snapping, are scored whole
    fits = _edge_fits(np.array(proposals), support)
    ranked = np.argsort(-fits)[:SCORED_PROPOSALS]
    scored = sorted(((outline_score(proposals[i], support, lab), proposals[i]) for i in ranked
                     if fits[i] ** 1.5 >= 0.6 * MIN_OUTLINE_SCORE), key=lambda sc: -sc[0])
    quads, askew = [], []
    for rank, (score, corners) in enumerate(scored):
        if rank < SNAPPED_PROPOSALS and score > 0:
            snapped = snap_to_edges(corners, edges)
            snapped_score = outline_score(snapped, support, lab)
            if snapped_score > score:
                score, corners = snapped_score, snapped
        if score >= MIN_OUTLINE_SCORE:
            quads.append(Quad(corners, score))
        elif outline_score(corners, support, lab, margin=False) >= MIN_OUTLINE_SCORE:
            askew.append((score, corners))  # a card's shape whose margin crosses a pattern
    # as a last resort, where no card (or, two sides expected, no second card) was found: a side may run
    # askew onto a patterned table; a second card is looked for only beside the first
    best = max(quads, key=lambda q: q.score, default=None)
    if best is None or (expect_sides >= 2 and _side_by_side_partner(best, [q for q in quads if q is not best]) is None):
        for score, corners in askew[:SNAPPED_PROPOSALS]:
            score, corners = polish_outline(corners, score, support, lab)
            polished = Quad(corners, score)
            if score >= MIN_OUTLINE_SCORE and (best is None or _side_by_side_partner(best, [polished])):
                quads.append(polished)
        if best is not None and expect_sides >= 2 and \
                _side_by_side_partner(best, [q for q in quads if q is not best]) is None:
            # the second card's fourth side lost on the table (a peach card's edge on beige), like a lone card's
            def beside(corners: np.ndarray) -> bool:
                return _side_by_side_partner(best, [Quad(corners, best.score)]) is not None

            partner = _side_by_side_partner(best, _three_side_outlines(search, lines, edges, support, beside))
            if partner is not None:
                quads.append(partner)
    quads = _not_table(quads, search)
    if not quads:
        quads = _three_side_outlines(search, lines, edges, support)
    return _distinct(sorted(quads, key=lambda q: -q.score))


def _not_table(quads: list[Quad], search: SearchCopy) -> list[Quad]:
    """The outlines that are not a stretch of table beside a card: table-coloured inside, with a side on
    the card's edge (table just inside it, something else just outside) and the others on the table's
    grain. A white card on a white table is table-coloured inside too, but just inside each side is card."""
    flat_lab = search.flat_lab.astype(np.float32)
    shape = flat_lab.shape[:2]

    def table_distance(colours: np.ndarray) -> np.ndarray:
        return np.min([np.linalg.norm(colours - colour, axis=-1) for colour in search.table], axis=0)

    def table_beside_card(corners: np.ndarray) -> bool:
        if not any(np.linalg.norm(outer - inner) > NEIGHBOUR_STEP and table_distance(inner) < TABLE_COLOUR_DISTANCE
                   and table_distance(outer) > NEIGHBOUR_STEP for inner, outer in _side_colours(corners, flat_lab)):
            return False  # the cheap test first: a card's outline has card just inside every side
        inside = cv2.erode(_polygon_mask(corners, shape), np.ones((9, 9), np.uint8))[::4, ::4] > 0
        return bool(inside.any()) and \
            np.mean(table_distance(flat_lab[::4, ::4][inside]) < TABLE_COLOUR_DISTANCE) >= TABLE_INSIDE_SHARE

    return [q for q in quads if not table_beside_card(q.corners)]


def with_lost_band(quad: Quad, search: SearchCopy) -> Optional[Quad]:
    """The outline with one of its long sides moved out over a band of the card it left outside, if it is
    too long for a card of its height (perspective undone) and that explains it; else None.

    A title band whose colour is close to the table's (dark blue on a grey or blue table) has a weak
    edge where it meets the table and a strong one where it meets the card's white: the outline runs
    along the latter and loses the band with the payer's name. The side is moved out parallel to
    itself, along the short sides, to where the card's proportions put it, give or take half. It must
    stop on an edge there where the colour steps (band to table: a side moved off the card's own edge
    onto the table's grain steps nowhere), take in no table, give the card's proportions, and score
    better than the outline without the band."""
    corners = order_corners(quad.corners)
    aspect = _long_aspect(corners, search.image.shape)
    if aspect < CARD_ASPECT * LOST_BAND_ASPECT:
        return None
    edges, support = search.edges, search.support
    lacking = aspect / CARD_ASPECT - 1  # of the short sides' length
    flat_lab = search.flat_lab.astype(np.float32)
    lengths = [float(np.linalg.norm(corners[(i + 1) % 4] - corners[i])) for i in range(4)]
    long_sides = (0, 2) if lengths[0] + lengths[2] >= lengths[1] + lengths[3] else (1, 3)
    found = []
    for i in long_sides:
        j = (i + 1) % 4
        outward_i, outward_j = corners[i] - corners[i - 1], corners[j] - corners[(j + 1) % 4]
        moves = []
        for share in BAND_STEPS * lacking:
            moved = corners.copy()
            moved[i], moved[j] = corners[i] + outward_i * share, corners[j] + outward_j * share
            if _hits(_side_points(moved[i], moved[j]), support).mean() >= BAND_EDGE:
                moves += [Quad(c, outline_score(c, support, search.lab)) for c in (moved, snap_to_edges(moved, edges))
                          if _long_aspect(c, search.image.shape) < CARD_ASPECT * LOST_BAND_ASPECT]
        band = max(moves, key=lambda q: q.score, default=None)
        if band is None:
            continue
        inner, outer = _side_colours(order_corners(band.corners), flat_lab)[i]
        if np.linalg.norm(inner - outer) >= TABLE_COLOUR_DISTANCE and not _strip_is_table(band.corners, corners, flat_lab):
            found.append(band)
    best = max(found, key=lambda q: q.score, default=None)
    return best if best is not None and best.score > quad.score and _not_table([best], search) else None


def _long_aspect(corners: np.ndarray, shape: tuple[int, ...]) -> float:
    """The rectified proportions, long side over short (0 where they cannot be told)."""
    aspect = rectified_aspect(corners, shape)
    return max(aspect, 1 / aspect) if aspect else 0.0


def _side_colours(corners: np.ndarray, flat_lab: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each side's median colour just inside it and just outside it."""
    centre = corners.mean(axis=0)
    h, w = flat_lab.shape[:2]
    inward = (centre - corners) * 0.06

    def colour(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        points = _side_points(a, b, 32)
        x = np.clip(np.round(points[:, 0]).astype(int), 0, w - 1)
        y = np.clip(np.round(points[:, 1]).astype(int), 0, h - 1)
        return np.median(flat_lab[y, x], axis=0)

    ends = [(corners[i], corners[(i + 1) % 4], inward[i], inward[(i + 1) % 4]) for i in range(4)]
    return [(colour(a + da, b + db), colour(a - da, b - db)) for a, b, da, db in ends]


def _three_side_outlines(search: SearchCopy, lines: list["_Line"], edges: np.ndarray, support: np.ndarray,
                         wanted: Callable[[np.ndarray], bool] = lambda corners: True) -> list[Quad]:
    """Last of all: three sides found, the fourth not (a white card's edge over a checked cloth's white
    squares): it runs between the far ends of the two sides found whole beside the third. ``wanted``:
    which proposals are worth scoring (where they stand, their size)."""
    quads = []
    for proposed in filter(wanted, three_side_quads(search, lines)):
        score, corners = max(((outline_score(c, support, search.lab), c)
                              for c in (proposed, snap_to_edges(proposed, edges))), key=lambda sc: sc[0])
        if score >= MIN_OUTLINE_SCORE:
            quads.append(Quad(corners, score))
    return _not_table(sorted(quads, key=lambda q: -q.score), search)


def snap_to_edges(corners: np.ndarray, edges: np.ndarray, reach: int = 6) -> np.ndarray:
    """Each side moved onto the edge pixels found within ``reach`` pixels across it (a line fitted to
    them), so an outline proposed a few pixels off lands on the card's edge."""
    h, w = edges.shape
    lines = []
    offsets = np.arange(-reach, reach + 1)
    for i in range(4):
        a, b = corners[i], corners[(i + 1) % 4]
        length = float(np.linalg.norm(b - a))
        if length < 1:
            return corners
        unit = (b - a) / length
        normal = np.array([-unit[1], unit[0]], np.float32)
        base = _side_points(a, b, 40)
        candidates = base[:, None, :] + offsets[None, :, None] * normal[None, None, :]
        xi = np.clip(np.round(candidates[..., 0]).astype(int), 0, w - 1)
        yi = np.clip(np.round(candidates[..., 1]).astype(int), 0, h - 1)
        on_edge = edges[yi, xi] > 0
        found = on_edge.any(axis=1)
        if found.mean() < 0.5:
            lines.append(_Line(a.astype(np.float64), unit.astype(np.float64)))
            continue
        nearest = np.argmin(np.where(on_edge, np.abs(offsets)[None, :], reach + 1), axis=1)
        points = candidates[np.arange(len(base)), nearest][found].astype(np.float32)
        vx, vy, x0, y0 = cv2.fitLine(points, cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
        lines.append(_Line(np.array([x0, y0]), np.array([vx, vy])))
    return order_corners(_corners_of(lines, corners, max_shift=3 * reach))


def polish_outline(corners: np.ndarray, score: float, support: np.ndarray, lab: np.ndarray,
                   steps: tuple[int, ...] = (4, 2), reach: float = 16.0) -> tuple[float, np.ndarray]:
    """The outline with a corner or two nudged (at most ``reach`` pixels) to calm its margin. A side merged
    from the card's edge and a table line beyond it runs askew, out over the table at one end, and the
    margin strip inside it crosses the pattern; moving that corner back onto the card calms the margin and
    keeps every side on an edge. Only the margin is bettered: the proportions are left as found."""
    start = order_corners(corners)
    best, jumps = start, _margin_jumps(start, lab)
    edge = min(_hits(_side_points(start[i], start[(i + 1) % 4]), support).mean() for i in range(4))
    for step in steps:
        improved = True
        while improved and jumps:
            improved = False
            for i, (dx, dy) in itertools.product(range(4), ((step, 0), (-step, 0), (0, step), (0, -step))):
                moved = best.copy()
                moved[i] += (dx, dy)
                if np.linalg.norm(moved[i] - start[i]) > reach:
                    continue
                moved_jumps = _margin_jumps(moved, lab)
                sides = [_hits(_side_points(moved[k], moved[(k + 1) % 4]), support).mean() for k in range(4)]
                if moved_jumps < jumps and min(sides) >= edge - 0.02:
                    best, jumps, improved = moved, moved_jumps, True
    polished = outline_score(best, support, lab)
    return (polished, best) if polished > score else (score, corners)


def choose_outlines(quads: list[Quad], flat_lab: np.ndarray, *, expect_sides: int = 1) -> list[Quad]:
    """The card's outline among the proposals (two, side by side, when two sides are expected).

    A band or box printed on the card yields an outline that shares sides with the card's own: the
    larger outline wins. The picture's frame stands for the card when the picture has the card's
    proportions (a screenshot or a tight crop) and the outline touches the frame or is a small part of
    the picture (a panel or a logo's box on the card): then nothing is chosen.
    """
    if not quads:
        return []
    best = _card_among_nested(quads[0], quads, flat_lab)
    h, w = flat_lab.shape[:2]
    frame = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    if _aspect_fit(frame, FRAME_ASPECT_TOLERANCE) > 0.3 and (
            _shares_side(best.corners, frame, reach=FRAME_TOUCH) or best.area < FRAMED_CARD_SHARE * w * h
            or _turned_across(best.corners, w, h)):
        return []
    if expect_sides >= 2:
        partner = _side_by_side_partner(best, [q for q in quads if q is not best])
        if partner is not None:
            return sorted([best, partner], key=lambda q: (q.corners[:, 0].mean(), q.corners[:, 1].mean()))
    return [best]


def erase_texture(image: np.ndarray) -> np.ndarray:
    """A wide median filter (on a half-size copy, for speed) that erases table textures (gingham, wood
    grain) and the card's own print but keeps the card's edge."""
    h, w = image.shape[:2]
    half = cv2.resize(image, (max(1, w // 2), max(1, h // 2)), interpolation=cv2.INTER_AREA)
    return cv2.resize(cv2.medianBlur(half, TEXTURE_KERNEL), (w, h), interpolation=cv2.INTER_LINEAR)


def edge_map(search: SearchCopy) -> np.ndarray:
    """The edges a card's outline may lie on.

    Edges of the texture-erased copy in lightness and in both colour axes (a blue card on a grey table
    of the same lightness still differs in colour), and fine edges of the photo itself (a white card
    on a white table). Textures make fine edges too; the outline score tells a card's edge from a
    pattern's by the card's even margin.
    """
    edges = np.zeros(search.image.shape[:2], np.uint8)
    for channel in _edge_channels(search.flat_lab):
        edges |= cv2.Canny(channel, 10, 30)
    grey = cv2.GaussianBlur(cv2.cvtColor(search.image, cv2.COLOR_BGR2GRAY), (5, 5), 0)
    return edges | cv2.Canny(grey, 12, 36)


def soft_edge_map(search: SearchCopy) -> np.ndarray:
    """Soft, faint edges (a pale card on white paper, an edge in shadow): found at half size, where their
    ramp is twice as steep, with colour differences stretched further. Evidence for a side, but too
    blurred to place it."""
    h, w = search.image.shape[:2]
    edges = np.zeros((h, w), np.uint8)
    for channel in search.half_channels:
        edges |= cv2.resize(cv2.Canny(channel, 6, 18), (w, h), interpolation=cv2.INTER_NEAREST)
    return edges


def _edge_channels(lab: np.ndarray, chroma_gain: float = 3.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lightness and the two colour axes of a Lab image, the colour axes stretched (colour differences
    between a card and a table are small numbers): where edges are looked for."""
    lightness, a, b = cv2.split(lab)
    return lightness, *(cv2.convertScaleAbs(c.astype(np.int16) - 128, alpha=chroma_gain) for c in (a, b))


def _support_map(edges: np.ndarray) -> np.ndarray:
    """Edges widened by a pixel each way (an outline fitted on a small copy may sit that far off), with the
    picture's border blanked: the frame of the picture is never evidence of a card's edge."""
    support = cv2.dilate(edges, np.ones((5, 5), np.uint8))
    m = BORDER_MARGIN
    support[:m], support[-m:], support[:, :m], support[:, -m:] = 0, 0, 0, 0
    return support


def line_quads(search: SearchCopy, lines: list["_Line"]) -> list[np.ndarray]:
    """Quadrilaterals bounded by two pairs of the lines (``edge_lines``) that may be a card's edges."""
    h, w = search.image.shape[:2]
    pairs = []
    for a, b in itertools.combinations(lines, 2):
        if _angle_between(a, b) <= 20 and _gap(a, b) >= 0.12 * min(h, w):
            pairs.append((a, b))
    quads = []
    for (a, b), (c, d) in itertools.combinations(pairs, 2):
        if not 55 <= _angle_between(a, c) <= 125:
            continue
        corners = [_cross(a, c), _cross(c, b), _cross(b, d), _cross(d, a)]
        if any(p is None for p in corners):
            continue
        corners = np.array(corners, np.float32)
        if (corners[:, 0] < -0.02 * w).any() or (corners[:, 0] > 1.02 * w).any() or \
                (corners[:, 1] < -0.02 * h).any() or (corners[:, 1] > 1.02 * h).any():
            continue
        quads.append(order_corners(corners))
    return quads


def three_side_quads(search: SearchCopy, lines: list["_Line"]) -> list[np.ndarray]:
    """Quadrilaterals from two roughly parallel lines (of ``edge_lines``) and a third meeting both at an
    end of the stretch each was found on; the fourth side joins the other ends of those stretches."""
    h, w = search.image.shape[:2]
    reach = 0.06 * min(h, w)  # a found stretch's end this near the third line meets it
    quads = []
    for a, b in itertools.combinations(lines, 2):
        if _angle_between(a, b) > 20 or _gap(a, b) < 0.12 * min(h, w):
            continue
        for c in lines:
            if c is a or c is b or not 55 <= _angle_between(a, c) <= 125:
                continue
            ends = [_far_end(line, _cross(line, c), reach) for line in (a, b)]
            near = [_cross(line, c) for line in (a, b)]
            if any(p is None for p in (*ends, *near)):
                continue
            corners = np.array([near[0], near[1], ends[1], ends[0]], np.float32)
            if (corners[:, 0] < 0).any() or (corners[:, 0] > w).any() or (corners[:, 1] < 0).any() or \
                    (corners[:, 1] > h).any():
                continue
            quads.append(order_corners(corners))
    return quads


def edge_lines(search: SearchCopy, edges: np.ndarray, max_lines: int = 14) -> list["_Line"]:
    """The longest straight lines that could be a card's edge (``could_be_card_edge``), longest first:
    found once, for both the four-side and the three-side proposals."""
    near_edges = cv2.dilate(edges, np.ones((3, 3), np.uint8))
    return list(itertools.islice((line for line in straight_lines(search)
                                  if could_be_card_edge(line, near_edges, search.lab)), max_lines))


def _far_end(line: "_Line", meeting: Optional[np.ndarray], reach: float) -> Optional[np.ndarray]:
    """The end of the line's found stretch away from ``meeting``, if the other end is there."""
    if meeting is None:
        return None
    at = float((meeting - line.point) @ line.direction)
    if abs(at - line.start) <= reach:
        return line.point + line.end * line.direction
    if abs(at - line.end) <= reach:
        return line.point + line.start * line.direction
    return None


def straight_lines(search: SearchCopy) -> list["_Line"]:
    """Long straight lines on the search-size photo: line segments (LSD) merged where collinear."""
    h, w = search.image.shape[:2]
    detector = cv2.createLineSegmentDetector()
    segments = []
    # soft, low-contrast edges (a pale card on white paper) are found as lines on a half-size copy,
    # where their ramp is twice as steep, with colour differences stretched further
    # (the photo's own grey too, for the sharp edges the texture filter rounds); lines are placed
    # exactly later, when the best outlines are snapped to the edges
    grey = cv2.resize(cv2.cvtColor(search.image, cv2.COLOR_BGR2GRAY), (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    sources = [*search.half_channels, grey]
    for source in sources:
        found = detector.detect(source)[0]
        if found is not None:
            segments.append(found.reshape(-1, 4) * 2.0)
    if not segments:
        return []
    return _merge_segments(np.concatenate(segments), 0.06 * min(h, w), max_gap=0.15 * min(h, w))


def could_be_card_edge(line: "_Line", near_edges: np.ndarray, lab: np.ndarray) -> bool:
    """A line lying on edges with one colour along at least one of its sides (the card's margin), which
    the lines of a checked or striped table lack."""
    return _hits(line.points(40), near_edges).mean() >= 0.5 and _one_sided(line, lab) <= MAX_MARGIN_JUMPS


@dataclass(frozen=True)
class _Line:
    """A straight line through ``point`` along the unit vector ``direction``; ``start``..``end`` is the stretch
    (signed distances from ``point``) that segments were found on, ``length`` their summed length."""

    point: np.ndarray
    direction: np.ndarray
    start: float = 0.0
    end: float = 0.0
    length: float = 0.0
    core: tuple[float, float] = (0.0, 0.0)  # the stretch of the longest segment on it

    @property
    def normal(self) -> np.ndarray:
        return np.array([-self.direction[1], self.direction[0]])

    def points(self, n: int, offset: float = 0.0, trim: float = 0.0, core: bool = False) -> np.ndarray:
        """``n`` points along the found stretch (or only its longest segment's), ``trim`` of it left out at
        each end, ``offset`` to the side."""
        start, end = self.core if core else (self.start, self.end)
        span = end - start
        t = np.linspace(start + trim * span, end - trim * span, n)
        return self.point[None, :] + t[:, None] * self.direction[None, :] + offset * self.normal[None, :]


def _merge_segments(segments: np.ndarray, shortest: float, max_gap: float) -> list[_Line]:
    """Collinear segments joined into lines where they nearly meet (one card edge is often found in
    pieces, under a reflection or a shadow), longest first."""
    vectors = segments[:, 2:] - segments[:, :2]
    lengths = np.linalg.norm(vectors, axis=1)
    keep = lengths >= shortest / 2
    segments, vectors, lengths = segments[keep], vectors[keep], lengths[keep]
    order = np.argsort(-lengths)[:MAX_SEGMENTS]  # print and texture make many short ones; edges are long
    n = len(order)
    points, directions = np.zeros((n, 2)), np.zeros((n, 2))
    start, end, total, core = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
    count = 0
    cos_limit = math.cos(math.radians(3))
    for i in order:
        direction = vectors[i] / lengths[i]
        ends = segments[i].reshape(2, 2)
        if count:
            d, p = directions[:count], points[:count]
            normals = np.stack([-d[:, 1], d[:, 0]], axis=1)
            relative = ends[:, None, :] - p[None]  # (2 ends, lines, xy)
            offsets = np.abs(np.einsum("eij,ij->ei", relative, normals))
            along = np.einsum("eij,ij->ei", relative, d)
            near = (np.abs(d @ direction) >= cos_limit) & (offsets.max(axis=0) <= 3.0) & \
                (along.min(axis=0) <= end[:count] + max_gap) & (along.max(axis=0) >= start[:count] - max_gap)
            hits = np.flatnonzero(near)
            if len(hits):
                k = hits[0]
                start[k], end[k] = min(start[k], along[:, k].min()), max(end[k], along[:, k].max())
                total[k] += lengths[i]
                continue
        half = lengths[i] / 2
        points[count], directions[count] = ends.mean(axis=0), direction
        start[count], end[count], total[count], core[count] = -half, half, lengths[i], half
        count += 1
    lines = [_Line(points[k], directions[k], float(start[k]), float(end[k]), float(total[k]),
                   (-float(core[k]), float(core[k]))) for k in range(count) if total[k] >= shortest]
    return sorted(lines, key=lambda ln: -ln.length)


def _one_sided(line: _Line, lab: np.ndarray, offset: float = 4.0) -> int:
    """Colour jumps along the calmer side of a line's longest segment: few on a card's edge, whose margin
    runs along one side, many on a line of a checked or striped pattern (a line may run on past the
    card, along the table, so only the longest piece found is judged)."""
    return min(_colour_jumps(line.points(COLOUR_SAMPLES, side, trim=0.1, core=True), lab) for side in (-offset, offset))


def _colour_jumps(points: np.ndarray, lab: np.ndarray) -> int:
    """How often the colour changes abruptly from one sample point to the next (a lone odd sample, as
    where the samples graze a band's boundary, is smoothed away first)."""
    h, w = lab.shape[:2]
    xi = np.clip(np.round(points[:, 0]).astype(int), 0, w - 1)
    yi = np.clip(np.round(points[:, 1]).astype(int), 0, h - 1)
    colours = lab[yi, xi]
    a, b, c = colours[:-2], colours[1:-1], colours[2:]
    colours = np.maximum(np.minimum(a, b), np.minimum(np.maximum(a, b), c))  # median of three, per channel
    steps = np.linalg.norm(np.diff(colours, axis=0), axis=1)
    return int((steps > COLOUR_JUMP).sum())


def _angle_between(a: _Line, b: _Line) -> float:
    cos = abs(float(a.direction @ b.direction))
    return math.degrees(math.acos(min(1.0, cos)))


def _gap(a: _Line, b: _Line) -> float:
    """Distance from b's point to line a."""
    normal = np.array([-a.direction[1], a.direction[0]])
    return abs(float((b.point - a.point) @ normal))


def _cross(a: _Line, b: _Line) -> Optional[np.ndarray]:
    cross = a.direction[0] * b.direction[1] - a.direction[1] * b.direction[0]
    if abs(cross) < 1e-6:
        return None
    delta = b.point - a.point
    t = (delta[0] * b.direction[1] - delta[1] * b.direction[0]) / cross
    return a.point + t * a.direction


def contour_quads(edges: np.ndarray, search: SearchCopy) -> list[np.ndarray]:
    """Quadrilaterals fitted to the contours of the closed edge map and of the colour masks (against the
    table's typical colour, and, on a patterned table, against each of its colours)."""
    area = edges.shape[0] * edges.shape[1]
    quads = []
    masks = [cv2.dilate(edges, np.ones((3, 3), np.uint8), iterations=2)]
    masks.append(colour_mask(search.flat_lab, np.median(search.border, axis=0)[None]))
    if len(search.table) > 1:
        masks.append(colour_mask(search.flat_lab, search.table))
    for mask in masks:
        contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        for contour in contours:
            if cv2.contourArea(cv2.convexHull(contour)) < MIN_AREA_SHARE * area:
                continue
            corners = _quad_from_contour(contour)
            if corners is not None:
                quads.append(corners)
    return quads


def border_colours(flat_lab: np.ndarray) -> np.ndarray:
    """The Lab colours of a strip along the photo's border: the table, where the card does not reach it."""
    lab = flat_lab.astype(np.float32)
    return np.concatenate([lab[:4].reshape(-1, 3), lab[-4:].reshape(-1, 3),
                           lab[:, :4].reshape(-1, 3), lab[:, -4:].reshape(-1, 3)])


def table_colours(border: np.ndarray, count: int = TABLE_COLOURS) -> np.ndarray:
    """The colours of a patterned table (gingham: two tones and their mix), each common along the border;
    one colour (the median) for a plain table, shaded or not (its clusters lie within
    ``PATTERN_COLOUR_DISTANCE`` of one another)."""
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 1.0)
    # started from lightness quantiles, not at random: the same photo always gives the same outline
    ranks = np.argsort(np.argsort(border[:, 0], kind="stable"), kind="stable")
    start = (ranks * count // len(border)).astype(np.int32).reshape(-1, 1)
    _, labels, centres = cv2.kmeans(border, count, start, criteria, 1, cv2.KMEANS_USE_INITIAL_LABELS)
    shares = np.bincount(labels.ravel(), minlength=count) / len(labels)
    centres = centres[shares >= TABLE_COLOUR_SHARE]
    spread = max((float(np.linalg.norm(a - b)) for a in centres for b in centres), default=0.0)
    return centres if spread > PATTERN_COLOUR_DISTANCE else np.median(border, axis=0)[None]


def background_distance(flat_lab: np.ndarray, colours: np.ndarray) -> np.ndarray:
    """How far each pixel's colour is from the nearest of the table's ``colours``, stretched to 0..255: a
    card shows here whatever its colour, even where its lightness equals the table's, and on a gingham
    or striped table, none of whose colours is its median, it differs from each."""
    lab = flat_lab.astype(np.float32)
    distance = np.full(lab.shape[:2], np.inf, np.float32)
    for colour in colours:
        difference = lab - colour
        squared = cv2.transform(cv2.multiply(difference, difference), np.ones((1, 3), np.float32))
        distance = cv2.min(distance, cv2.sqrt(squared))
    return np.clip(distance * (255.0 / max(float(distance.max()), 1.0)), 0, 255).astype(np.uint8)


def colour_mask(flat_lab: np.ndarray, colours: np.ndarray) -> np.ndarray:
    """Where the (texture-erased) photo differs in colour from the table's ``colours``; holes filled."""
    distance = background_distance(flat_lab, colours)
    _, foreground = cv2.threshold(distance, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9))
    foreground = cv2.morphologyEx(foreground, cv2.MORPH_CLOSE, kernel, iterations=2)
    foreground = cv2.morphologyEx(foreground, cv2.MORPH_OPEN, kernel)
    return _fill_holes(foreground)


def _fill_holes(mask: np.ndarray) -> np.ndarray:
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    filled = np.zeros_like(mask)
    cv2.drawContours(filled, contours, -1, 255, thickness=cv2.FILLED)
    return filled


def _quad_from_contour(contour: np.ndarray) -> Optional[np.ndarray]:
    """Four corners fitted to a contour's straight sides (rounded corners included)."""
    hull = cv2.convexHull(contour)
    perimeter = cv2.arcLength(hull, True)
    approx = None
    for epsilon in (0.02, 0.03, 0.045, 0.06, 0.08):
        candidate = cv2.approxPolyDP(hull, epsilon * perimeter, True)
        if len(candidate) == 4:
            approx = candidate.reshape(4, 2).astype(np.float32)
            break
        if len(candidate) < 4:
            break
    if approx is None:
        approx = cv2.boxPoints(cv2.minAreaRect(hull)).astype(np.float32)
    corners = order_corners(approx)
    return _refine_corners(corners, contour.reshape(-1, 2).astype(np.float32), perimeter)


def _refine_corners(corners: np.ndarray, points: np.ndarray, perimeter: float) -> np.ndarray:
    """Intersect lines fitted to each side's contour points, so rounded corners do not pull corners inward."""
    if len(points) < 8:
        return corners
    dense = _densify(points)
    lines = []
    for i in range(4):
        a, b = corners[i], corners[(i + 1) % 4]
        direction = b - a
        length = float(np.linalg.norm(direction))
        if length < 1:
            return corners
        unit = direction / length
        normal = np.array([-unit[1], unit[0]])
        rel = dense - a
        t = rel @ unit / length
        d = np.abs(rel @ normal)
        near = dense[(t > 0.12) & (t < 0.88) & (d < max(3.0, 0.015 * perimeter))]
        if len(near) < 5:
            return corners
        vx, vy, x0, y0 = cv2.fitLine(near, cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
        lines.append(_Line(np.array([x0, y0]), np.array([vx, vy])))
    return _corners_of(lines, corners, max_shift=0.08 * perimeter)


def _corners_of(lines: list["_Line"], corners: np.ndarray, *, max_shift: float) -> np.ndarray:
    """The corners where consecutive side lines cross; ``corners`` unchanged when a crossing is missing or
    lands more than ``max_shift`` from the corner it replaces (a side fitted to something else)."""
    crossed = []
    for i in range(4):
        p = _cross(lines[i - 1], lines[i])
        if p is None or np.linalg.norm(p - corners[i]) > max_shift:
            return corners
        crossed.append(p)
    return np.array(crossed, dtype=np.float32)


def _densify(points: np.ndarray, step: float = 2.0) -> np.ndarray:
    """Points every ``step`` pixels along a closed polyline (CHAIN_APPROX_SIMPLE keeps only vertices)."""
    starts = points
    vectors = np.roll(points, -1, axis=0) - points
    counts = np.maximum(1, (np.linalg.norm(vectors, axis=1) / step).astype(int))
    owner = np.repeat(np.arange(len(points)), counts)
    fraction = (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)) / np.repeat(counts, counts)
    return (starts[owner] + vectors[owner] * fraction[:, None]).astype(np.float32)


def order_corners(points: np.ndarray) -> np.ndarray:
    """Top-left, top-right, bottom-right, bottom-left, whatever order the points came in."""
    centre = points.mean(axis=0)
    angles = np.arctan2(points[:, 1] - centre[1], points[:, 0] - centre[0])
    ordered = points[np.argsort(angles)]  # clockwise in image coordinates, starting near the left
    start = int(np.argmin(ordered.sum(axis=1)))
    return np.roll(ordered, -start, axis=0).astype(np.float32)


def outline_score(corners: np.ndarray, support: np.ndarray, lab: np.ndarray, *, margin: bool = True) -> float:
    """0..1: how much the quadrilateral looks like a card's outline on this photo.

    Every side must lie on an edge (the weakest side counts: three sides of a table pattern and one
    of the card make no card), just inside each side the colour must be nearly constant (a card's
    margin; a checked or striped table changes colour all along), the proportions must be ID-1's up
    to perspective, and a larger share of the photo is more likely the card than a detail on it.
    """
    corners = order_corners(corners)
    h, w = support.shape
    share = cv2.contourArea(corners) / (h * w)
    if not MIN_AREA_SHARE <= share <= MAX_AREA_SHARE or not cv2.isContourConvex(corners.reshape(-1, 1, 2)):
        return 0.0
    if not ((corners >= -BORDER_MARGIN) & (corners <= np.float32([w, h]) + BORDER_MARGIN)).all():
        return 0.0  # a corner off the picture: the card is not whole in it, or the outline is no card's
    if not all(55 <= _angle(corners[i - 1], corners[i], corners[(i + 1) % 4]) <= 125 for i in range(4)):
        return 0.0
    points = np.concatenate([_side_points(corners[i], corners[(i + 1) % 4]) for i in range(4)])
    sides = _hits(points, support).reshape(4, -1).mean(axis=1)
    edge_fit = float(np.mean(sides)) * min(1.0, float(sides.min()) / 0.5)
    aspect_fit = _aspect_fit(corners, ASPECT_TOLERANCE, support.shape)
    size_fit = min(1.0, math.sqrt(share / 0.2))
    score = edge_fit ** 1.5 * (0.3 + 0.7 * aspect_fit) * (0.7 + 0.3 * size_fit)
    if score < MIN_OUTLINE_SCORE or not margin:
        return score  # the margin can only lower it
    return score * 0.7 ** max(0, _margin_jumps(corners, lab) - MAX_MARGIN_JUMPS)


def _edge_fits(quads: np.ndarray, support: np.ndarray) -> np.ndarray:
    """The edge evidence of many ordered quadrilaterals (n, 4, 2) at once: mean side support, lowered
    where the weakest side has less than half (as ``outline_score`` counts it)."""
    t = np.linspace(0.08, 0.92, 48)[None, None, :, None]
    a, b = quads[:, :, None, :], np.roll(quads, -1, axis=1)[:, :, None, :]
    points = a + (b - a) * t  # (n, 4 sides, 48, 2)
    h, w = support.shape
    xi = np.round(points[..., 0]).astype(int)
    yi = np.round(points[..., 1]).astype(int)
    inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
    hits = np.zeros(xi.shape, bool)
    hits[inside] = support[yi[inside], xi[inside]] > 0
    sides = hits.mean(axis=2)
    return sides.mean(axis=1) * np.minimum(1.0, sides.min(axis=1) / 0.5)


def _margin_jumps(corners: np.ndarray, lab: np.ndarray) -> int:
    """Colour jumps along a strip just inside the outline, on its worst side. A card's margin is one
    colour, or two where a band crosses it; a pattern changes colour all along."""
    centre = corners.mean(axis=0)
    inset = corners + (centre - corners) * 0.04
    return max(_colour_jumps(_side_points(inset[i], inset[(i + 1) % 4], COLOUR_SAMPLES), lab) for i in range(4))


def _side_points(a: np.ndarray, b: np.ndarray, n: int = 48) -> np.ndarray:
    """Points along a side, its ends left out (a card's corners are rounded)."""
    return a[None, :] + (b - a)[None, :] * _side_steps(n)


@functools.lru_cache(maxsize=8)
def _side_steps(n: int) -> np.ndarray:
    """Where ``_side_points`` samples a side, as fractions of it: made once per count (every proposal's
    four sides are sampled alike)."""
    steps = np.linspace(0.08, 0.92, n)[:, None]
    steps.flags.writeable = False
    return steps


def _hits(points: np.ndarray, mask: np.ndarray) -> np.ndarray:
    h, w = mask.shape
    xi = np.round(points[:, 0]).astype(int)
    yi = np.round(points[:, 1]).astype(int)
    inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
    hits = np.zeros(len(points), bool)
    hits[inside] = mask[yi[inside], xi[inside]] > 0
    return hits


def _aspect_fit(corners: np.ndarray, tolerance: float, shape: Optional[tuple[int, ...]] = None) -> float:
    """1 for ID-1 proportions (either way round), falling off with the log of the ratio. With the photo's
    ``shape``, the proportions are those of the flat rectangle the camera saw (perspective undone)."""
    aspect = rectified_aspect(corners, shape) if shape is not None else _side_ratio(corners)
    if not aspect:
        return 0.0
    aspect = max(aspect, 1 / aspect)
    return math.exp(-abs(math.log(aspect / CARD_ASPECT)) / tolerance)


def _side_ratio(corners: np.ndarray) -> float:
    sides = [float(np.linalg.norm(corners[(i + 1) % 4] - corners[i])) for i in range(4)]
    first, second = (sides[0] + sides[2]) / 2, (sides[1] + sides[3]) / 2
    return first / second if min(first, second) >= 1 else 0.0


def rectified_aspect(corners: np.ndarray, shape: tuple[int, ...]) -> float:
    """Width over height of the rectangle whose perspective image is this quadrilateral.

    Zhang and He's whiteboard method: with the principal point at the photo's centre, the focal length
    and the true proportions follow from the four corners. Where the corners cannot tell the focal
    length (a view square-on, or tilted about one axis only), the side ratio is the best estimate.
    """
    h, w = shape[:2]
    tl, tr, br, bl = ((float(x) - w / 2, float(y) - h / 2, 1.0) for x, y in order_corners(corners))
    m1, m2, m3, m4 = tl, tr, bl, br
    denominator2 = _triple(m2, m4, m3)
    denominator3 = _triple(m3, m4, m2)
    if abs(denominator2) < 1e-9 or abs(denominator3) < 1e-9:
        return _side_ratio(corners)
    k2 = _triple(m1, m4, m3) / denominator2
    k3 = _triple(m1, m4, m2) / denominator3
    n2 = [k2 * a - b for a, b in zip(m2, m1)]
    n3 = [k3 * a - b for a, b in zip(m3, m1)]
    if abs(n2[2] * n3[2]) < 1e-12:
        return _side_ratio(corners)
    focal2 = -(n2[0] * n3[0] + n2[1] * n3[1]) / (n2[2] * n3[2])
    if not (0.3 * max(h, w)) ** 2 <= focal2 <= (5.0 * max(h, w)) ** 2:
        return _side_ratio(corners)
    width2 = (n2[0] ** 2 + n2[1] ** 2) / focal2 + n2[2] ** 2
    height2 = (n3[0] ** 2 + n3[1] ** 2) / focal2 + n3[2] ** 2
    return math.sqrt(width2 / height2) if height2 > 0 else _side_ratio(corners)


def _triple(a: tuple, b: tuple, c: tuple) -> float:
    """(a x b) . c for 3-vectors (numpy's cross is slow on single small vectors)."""
    return ((a[1] * b[2] - a[2] * b[1]) * c[0] + (a[2] * b[0] - a[0] * b[2]) * c[1]
            + (a[0] * b[1] - a[1] * b[0]) * c[2])


def _angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    u, v = a - b, c - b
    cos = float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v) + 1e-9))
    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))


def _distinct(quads: list[Quad]) -> list[Quad]:
    """Drop proposals that are the same outline found twice."""
    kept: list[Quad] = []
    for quad in quads:
        if all(np.abs(quad.corners - other.corners).max() > 6 for other in kept):
            kept.append(quad)
    return kept


def _card_among_nested(best: Quad, quads: list[Quad], flat_lab: np.ndarray) -> Quad:
    """The card among outlines nested in one another along shared sides.

    A band or box printed on the card gives an outline inside the card's, sharing sides with it: the
    outline grows to the largest one around it whose extra strip is not the table's colour. A table's
    stripe or a shadow next to the card gives one around the card: the outline then shrinks to the
    innermost one inside it whose left-out strip clearly is the table, and narrower than the card (a
    card-shaped part of a pale card, turned across it, is not the card on a pale table).
    """
    rivals = [q for q in quads if q is not best and q.score >= 0.6 * best.score]
    current = best
    for other in sorted(rivals, key=lambda q: -q.area):
        # found along the same edge, the two outlines' corners stand a few pixels apart: the card's may lie
        # inside the detail's there (``NEST_SLACK``); a detail taken for the card is worse than a stripe
        if other.area >= 1.05 * current.area and _nested(other, current, NEST_SLACK * _long_side(other.corners)) and \
                not _strip_is_table(other.corners, current.corners, flat_lab):
            current = other
            break
    # the innermost outline that leaves out only table; once grown (a shadow's edge beside the card
    # taken in), it leaves out of the best outline only table too: on a white table, a white card's pale
    # title band left out of the grown outline looks like the table beside the shadow's dark strip
    inner = [q for q in (*rivals, best) if current is best or q is best or _contains(q.corners, best.corners)
             or _strip_is_table(best.corners, q.corners, flat_lab)]
    for other in sorted(inner, key=lambda q: q.area):
        if (1 - TABLE_STRIP_SHARE) * current.area <= other.area <= current.area / 1.05 and \
                _nested(current, other) and _strip_is_table(current.corners, other.corners, flat_lab):
            return other
    return current


def _nested(outer: Quad, inner: Quad, slack: float = 3.0) -> bool:
    return _contains(outer.corners, inner.corners, slack) and _shares_side(inner.corners, outer.corners)


def _strip_is_table(outer: np.ndarray, inner: np.ndarray, flat_lab: np.ndarray) -> bool:
    """Whether the part of ``outer`` outside ``inner`` clearly has the colour of the table around ``outer``,
    not of the inside of ``inner`` (median colours on the texture-erased photo). In doubt, it is card."""
    shape = flat_lab.shape[:2]
    centre = outer.mean(axis=0)
    around = _polygon_mask(outer + (outer - centre) * 0.08, shape) & ~_polygon_mask(outer, shape)
    strip = _polygon_mask(outer, shape) & ~cv2.dilate(_polygon_mask(inner, shape), np.ones((9, 9), np.uint8))
    card = cv2.erode(_polygon_mask(inner, shape), np.ones((13, 13), np.uint8))
    if min(np.count_nonzero(m) for m in (around, strip, card)) < 20:
        return False
    strip_colour = np.median(flat_lab[strip > 0], axis=0)
    to_table = float(np.linalg.norm(strip_colour - np.median(flat_lab[around > 0], axis=0)))
    to_card = float(np.linalg.norm(strip_colour - np.median(flat_lab[card > 0], axis=0)))
    return to_table < min(TABLE_COLOUR_DISTANCE, 0.5 * to_card)


def _polygon_mask(polygon: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(mask, np.round(polygon).astype(np.int32), 255)
    return mask


def _contains(outer: np.ndarray, inner: np.ndarray, slack: float = 3.0) -> bool:
    polygon = outer.reshape(-1, 1, 2).astype(np.float32)
    return all(cv2.pointPolygonTest(polygon, (float(x), float(y)), True) >= -slack for x, y in inner)


def _turned_across(corners: np.ndarray, width: int, height: int) -> bool:
    """Whether an outline's long sides run across the picture's long sides (within 30 degrees of square
    to them): in a picture of the card's own proportions, a card so turned would fill at most two fifths
    of it; a panel of the card's print does that far more often (a gradient's edge on a screenshot)."""
    sides = [corners[(i + 1) % 4] - corners[i] for i in range(4)]
    dx, dy = max(sides, key=lambda v: float(np.hypot(*v)))
    angle = math.degrees(math.atan2(abs(float(dy)), abs(float(dx))))  # 0: along the x axis
    return angle > 60 if width >= height else angle < 30


def _shares_side(inner: np.ndarray, outer: np.ndarray, reach: float = 0.03) -> bool:
    """Whether a side of ``inner`` lies along a side of ``outer`` (both its ends within ``reach`` of the
    outer's long side from it)."""
    reach *= _long_side(outer)
    for i in range(4):
        a, b = outer[i], outer[(i + 1) % 4]
        near = [_distance_to_segment(p, a, b) <= reach for p in inner]
        if any(near[j] and near[(j + 1) % 4] for j in range(4)):
            return True
    return False


def _distance_to_segment(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    ab = b - a
    t = float(np.clip((p - a) @ ab / max(float(ab @ ab), 1e-9), 0.0, 1.0))
    return float(np.linalg.norm(p - (a + t * ab)))


def _side_by_side_partner(best: Quad, others: list[Quad]) -> Optional[Quad]:
    """A second card of similar size beside the best one (front and back in one picture)."""
    best_poly = best.corners.reshape(-1, 1, 2)
    for other in others:
        if other.score < PARTNER_SCORE_SHARE * best.score or not 0.6 <= other.area / best.area <= 1.6:
            continue
        centre = tuple(float(v) for v in other.corners.mean(axis=0))
        if cv2.pointPolygonTest(best_poly, centre, False) >= 0:
            continue
        if any(cv2.pointPolygonTest(best_poly, tuple(float(v) for v in p), False) > 0 for p in other.corners):
            continue
        return other
    return None


# --- straightening ---------------------------------------------------------------------------

def straighten(photo: np.ndarray, region: CardRegion, *,
               max_skew: float = MAX_SKEW) -> tuple[np.ndarray, float, bool]:
    """The card side as a flat, level image CARD_WIDTH wide, the text skew (up to ``max_skew``) removed
    (whole images only), and whether its text runs up and down (a whole image stored sideways; an
    outlined card is made landscape)."""
    if region.method == "whole_image":  # brought to the working size first: turning 12 MP costs ten times more
        small = _resize_to_width(photo, CARD_WIDTH)
        angles, weights, vertical = _text_line_blobs(small)  # one look at the text lines for both answers
        card, skew = _turn(small, _median_angle(angles, weights, max_skew))
        return _resize_to_width(card, CARD_WIDTH), skew, _mostly_vertical(weights, vertical)
    return warp_card(photo, region.corners), 0.0, False


def landscape_corners(corners: np.ndarray) -> np.ndarray:
    """Corners ordered so that the first side is a long one: the card's top when straightened landscape."""
    corners = order_corners(corners.astype(np.float32))
    top = np.linalg.norm(corners[1] - corners[0]) + np.linalg.norm(corners[2] - corners[3])
    left = np.linalg.norm(corners[3] - corners[0]) + np.linalg.norm(corners[2] - corners[1])
    if left > top:  # the card stands on its short side in the photo: start from the bottom-left corner
        corners = np.roll(corners, -3, axis=0)
    return corners


def upright_corners(corners: np.ndarray, rotation: int) -> np.ndarray:
    """The corners reordered after the straightened card was turned ``rotation`` degrees clockwise (by the
    OCR stage), so the upright card's top-left comes first."""
    return np.roll(corners, -{0: 0, 90: 3, 180: 2, 270: 1}[rotation % 360], axis=0)


def warp_card(photo: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """The card inside ``corners`` (full-resolution photo coordinates) at CARD_WIDTH x CARD_HEIGHT, landscape."""
    target = np.array([[0, 0], [CARD_WIDTH - 1, 0], [CARD_WIDTH - 1, CARD_HEIGHT - 1], [0, CARD_HEIGHT - 1]],
                      dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(landscape_corners(corners), target)
    return cv2.warpPerspective(photo, matrix, (CARD_WIDTH, CARD_HEIGHT), flags=cv2.INTER_CUBIC,
                               borderMode=cv2.BORDER_REPLICATE)


def deskew_by_text(image: np.ndarray, max_degrees: float = MAX_SKEW) -> tuple[np.ndarray, float]:
    """The image turned so that its text lines are level (modulo 90 degrees), and the angle used."""
    return _turn(image, text_skew(image, max_degrees))


def text_skew(image: np.ndarray, max_degrees: float = MAX_SKEW) -> float:
    """The median angle of the text lines (degrees, counter-clockwise positive as OpenCV rotates)."""
    angles, weights, _ = _text_line_blobs(image)
    return _median_angle(angles, weights, max_degrees)


def _median_angle(angles: list[float], weights: list[float], max_degrees: float = MAX_SKEW) -> float:
    """The length-weighted median text line angle; 0 when there is none or it is implausibly steep."""
    if not angles:
        return 0.0
    order = np.argsort(angles)
    cumulative = np.cumsum(np.array(weights)[order])
    median = float(np.array(angles)[order][np.searchsorted(cumulative, cumulative[-1] / 2)])
    return median if abs(median) <= max_degrees else 0.0


def _turn(image: np.ndarray, angle: float) -> tuple[np.ndarray, float]:
    """The image turned by ``angle`` degrees (OpenCV's sign) on a canvas holding all of it; tiny angles skipped."""
    if abs(angle) < 0.3:
        return image, 0.0
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w, new_h = int(h * sin + w * cos), int(h * cos + w * sin)
    matrix[0, 2] += new_w / 2 - w / 2
    matrix[1, 2] += new_h / 2 - h / 2
    turned = cv2.warpAffine(image, matrix, (new_w, new_h), flags=cv2.INTER_CUBIC, borderValue=(255, 255, 255))
    return turned, angle


def _mostly_vertical(weights: list[float], vertical: list[bool]) -> bool:
    """Whether most text line length runs up and down the image (a card photographed or stored sideways)."""
    across = sum(w for w, v in zip(weights, vertical) if not v)
    return sum(weights) - across > across


def _text_line_blobs(image: np.ndarray) -> tuple[list[float], list[float], list[bool]]:
    """Text lines as blobs of smeared ink: their angle (modulo 90), length, and whether they run vertically."""
    small, _ = _downscale(image, 1000)
    grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
    binary = cv2.adaptiveThreshold(grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 15)
    angles, weights, vertical = [], [], []
    for kernel in ((25, 3), (3, 25)):  # lines of text, whichever way the image is turned
        blobs = cv2.morphologyEx(binary, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, kernel))
        # every contour, not just the outermost: a card's printed border (a screenshot's rounded frame)
        # encloses all its text lines, and would hide them; a blob's holes are too short or square to count
        contours, _ = cv2.findContours(blobs, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        for contour in contours:
            (_, _), (w, h), a = cv2.minAreaRect(contour)
            long_side, short_side = max(w, h), min(w, h)
            if long_side < 40 or short_side < 4 or long_side < 4 * short_side:
                continue
            _, _, box_w, box_h = cv2.boundingRect(contour)
            if w < h:
                a -= 90
            angles.append(((a + 45) % 90) - 45)  # angle modulo 90: sideways text levels the same way
            weights.append(long_side)
            vertical.append(box_h > box_w)
    return angles, weights, vertical


# --- orientation and measurements ------------------------------------------------------------

def whole_photo(photo: np.ndarray) -> CardRegion:
    """The photo's frame as the card's region: a tight crop or screenshot, or no outline found."""
    h, w = photo.shape[:2]
    return CardRegion(np.float32([[0, 0], [w, 0], [w, h], [0, h]]), "whole_image", 0.0)


def unprinted(card: np.ndarray) -> bool:
    """Next to no print on the straightened region: under ``MIN_PRINT_SHARE`` of it darker than its
    surroundings (a median over a tenth of its width) by 10 grey levels. Text blurred past reading still
    leaves several times that (a shaken back, the faintest over eighteen sets: 0.9%)."""
    grey = cv2.cvtColor(card, cv2.COLOR_BGR2GRAY) if card.ndim == 3 else card
    small = _resize_to_width(grey, 320)
    darker = cv2.medianBlur(small, 31).astype(np.int16) - small.astype(np.int16)
    return float((darker > 10).mean()) < MIN_PRINT_SHARE


def sharpness(card: np.ndarray) -> float:
    """Variance of the Laplacian on the straightened card: low when blurred (comparable because size is fixed)."""
    grey = cv2.cvtColor(card, cv2.COLOR_BGR2GRAY) if card.ndim == 3 else card
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def glare(card: np.ndarray) -> float:
    """Share of the card blown out to white well above the card's own brightness (a reflection, not paper),
    measured on a half-size copy (a share needs no fine detail)."""
    card = cv2.resize(card, (card.shape[1] // 2, card.shape[0] // 2), interpolation=cv2.INTER_AREA)
    grey = cv2.cvtColor(card, cv2.COLOR_BGR2GRAY) if card.ndim == 3 else card
    hsv = cv2.cvtColor(card, cv2.COLOR_BGR2HSV) if card.ndim == 3 else None
    local = cv2.blur(grey, (31, 31))
    blown = (grey >= 245) & (grey.astype(np.int16) - np.median(grey) >= 30)
    if hsv is not None:
        blown &= hsv[:, :, 1] <= 40
    blown &= local >= 200  # a bright patch, not a thin white glyph on a dark band
    return float(blown.mean())


def brightness(card: np.ndarray) -> float:
    """How bright the card's light parts are (95th percentile of grey, 0..255): a white or pale card, or
    the light print of a dark one, is well above 140 in any usable light."""
    grey = cv2.cvtColor(card[::4, ::4], cv2.COLOR_BGR2GRAY) if card.ndim == 3 else card[::4, ::4]
    return float(np.percentile(grey, 95))


def _downscale(image: np.ndarray, longest: int) -> tuple[np.ndarray, float]:
    scale = min(1.0, longest / max(image.shape[:2]))
    if scale >= 1.0:
        return image, 1.0
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA), scale


def _resize_to_width(image: np.ndarray, width: int) -> np.ndarray:
    """Resized to ``width``. A large shrink is made by a whole factor first (averaging pixel blocks is
    several times cheaper than an arbitrary factor on a 12 MP photo), then by what is left."""
    factor = image.shape[1] // width
    if factor >= 2:
        image = cv2.resize(image, (image.shape[1] // factor, image.shape[0] // factor), interpolation=cv2.INTER_AREA)
    scale = width / image.shape[1]
    if abs(scale - 1) < 0.01:
        return image
    height = max(1, round(image.shape[0] * scale))
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA)


def _long_side(corners: np.ndarray) -> float:
    return max(float(np.linalg.norm(corners[(i + 1) % 4] - corners[i])) for i in range(4))
