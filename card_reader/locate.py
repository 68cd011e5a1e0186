"""Find the card on the photo, straighten it, and turn it upright.

The outline is searched on a downscaled copy (fast, and texture on a table blurs away) with two
independent proposers, edges and colour difference from the photo's border, because either fails
alone: a white card on a white table has no colour difference, a card on wood grain drowns in edges.
Every proposed quadrilateral is scored by what a card is (ID-1 proportions, straight edges along its
whole outline, a sizeable share of the photo) and the best is warped from the full-resolution photo
to a fixed working size. When no outline convinces (a tight crop, a scan, a screenshot), the whole
image is used, deskewed by its text lines, and ``method`` says so. The text itself then decides the
orientation. Each step is a public function so that it can be inspected on its own.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Optional

import cv2
import numpy as np

from .load import LoadedImage
from .ocr import OcrEngine, rotate_clockwise
from .prepare import text_mask

log = logging.getLogger(__name__)

CARD_ASPECT = 85.6 / 54.0  # ISO/IEC 7810 ID-1
CARD_WIDTH = 1280  # working width: cap height of small print lands near Tesseract's favoured 20-30 px
CARD_HEIGHT = round(CARD_WIDTH / CARD_ASPECT)
SEARCH_SIDE = 640  # longest side of the copy the outline is searched on
TEXTURE_KERNEL = 11  # median filter (pixels on the half-size search copy) wider than a table's pattern, narrower than a card

MIN_AREA_SHARE = 0.06  # a card smaller than this in the photo cannot be read anyway
MAX_AREA_SHARE = 0.985  # an outline this large is the photo's own border
MIN_OUTLINE_SCORE = 0.45
PROBE_SIDE = 800  # the orientation probe's longest side


@dataclass(frozen=True)
class Quad:
    """Four corners (top-left, top-right, bottom-right, bottom-left) and how card-like they are."""

    corners: np.ndarray  # float32 (4, 2)
    score: float

    @property
    def area(self) -> float:
        return float(cv2.contourArea(self.corners.astype(np.float32)))


@dataclass(frozen=True)
class SideImage:
    """One card side, straightened and upright, with the measurements quality verdicts need."""

    image: np.ndarray  # BGR, CARD_WIDTH wide
    card_found: bool
    method: str  # outline | side_by_side | whole_image
    outline: Optional[np.ndarray]  # corners on the loaded photo, when an outline was found
    rotation_applied: int  # degrees clockwise, decided from the text
    skew_degrees: float
    card_width_px: int  # the card's width on the photo
    sharpness: float
    glare: float
    orientation_confidence: float


def locate_cards(loaded: LoadedImage, engine: OcrEngine, *, expect_sides: int = 1) -> list[SideImage]:
    """The card sides on one photo: one normally, two when the photo holds front and back side by side."""
    photo = loaded.pixels
    small, scale = _downscale(photo, SEARCH_SIDE)
    candidates = find_outlines(small)
    chosen: list[Quad] = []
    if candidates:
        best = candidates[0]
        chosen = [best]
        if expect_sides >= 2:
            partner = _side_by_side_partner(best, candidates[1:])
            if partner is not None:
                chosen = sorted([best, partner], key=lambda q: (q.corners[:, 0].mean(), q.corners[:, 1].mean()))
    sides = []
    if chosen:
        method = "side_by_side" if len(chosen) == 2 else "outline"
        for quad in chosen:
            corners = quad.corners / scale
            card = warp_card(photo, corners)
            sides.append(_finish(card, engine, method=method, outline=corners, card_found=True,
                                 card_width_px=int(round(_long_side(corners))), skew=0.0, landscape=True))
    else:
        card, skew = deskew_by_text(photo)
        card = _resize_to_width(card, CARD_WIDTH)
        landscape = card.shape[1] >= 1.15 * card.shape[0]  # a card-shaped crop: only upside down is left to decide
        sides.append(_finish(card, engine, method="whole_image", outline=None, card_found=False,
                             card_width_px=max(photo.shape[:2]), skew=skew, landscape=landscape))
    log.debug("located %d side(s) by %s", len(sides), sides[0].method)
    return sides


# --- finding the outline ---------------------------------------------------------------------

def find_outlines(image: np.ndarray) -> list[Quad]:
    """Card-like quadrilaterals on a (small) photo, best first; empty when none convinces."""
    flat = erase_texture(image)
    edges = edge_map(image, flat)
    support = cv2.dilate(edges, np.ones((7, 7), np.uint8))  # an outline may sit 3 px off its edge
    area = image.shape[0] * image.shape[1]
    quads: list[Quad] = []
    for mask in (cv2.dilate(edges, np.ones((3, 3), np.uint8), iterations=2), colour_mask(flat)):
        contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        for contour in contours:
            if cv2.contourArea(cv2.convexHull(contour)) < MIN_AREA_SHARE * area:
                continue
            corners = _quad_from_contour(contour)
            if corners is None:
                continue
            score = _score(corners, support, area)
            if score >= MIN_OUTLINE_SCORE:
                quads.append(Quad(corners, score))
    return _distinct(sorted(quads, key=lambda q: -q.score))


def erase_texture(image: np.ndarray) -> np.ndarray:
    """A wide median filter (on a half-size copy, for speed) that erases table textures (gingham, wood
    grain) and the card's own print but keeps the card's edge."""
    h, w = image.shape[:2]
    half = cv2.resize(image, (max(1, w // 2), max(1, h // 2)), interpolation=cv2.INTER_AREA)
    return cv2.resize(cv2.medianBlur(half, TEXTURE_KERNEL), (w, h), interpolation=cv2.INTER_LINEAR)


def edge_map(image: np.ndarray, flat: np.ndarray) -> np.ndarray:
    """Edges at two scales: fine (a white card on a white table) and with textures and print erased."""
    fine = cv2.Canny(cv2.GaussianBlur(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), (5, 5), 0), 12, 36)
    return cv2.bitwise_or(fine, cv2.Canny(cv2.cvtColor(flat, cv2.COLOR_BGR2GRAY), 10, 30))


def colour_mask(flat: np.ndarray) -> np.ndarray:
    """Where the (texture-erased) photo differs in colour from its own border, the table; holes filled."""
    lab = cv2.cvtColor(flat, cv2.COLOR_BGR2LAB).astype(np.float32)
    border = np.concatenate([lab[:4].reshape(-1, 3), lab[-4:].reshape(-1, 3),
                             lab[:, :4].reshape(-1, 3), lab[:, -4:].reshape(-1, 3)])
    background = np.median(border, axis=0)
    distance = np.linalg.norm(lab - background, axis=2)
    distance = np.clip(distance * (255.0 / max(distance.max(), 1.0)), 0, 255).astype(np.uint8)
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
        lines.append((np.array([x0, y0]), np.array([vx, vy])))
    refined = []
    for i in range(4):
        p = _intersect(lines[i - 1], lines[i])
        if p is None or np.linalg.norm(p - corners[i]) > 0.08 * perimeter:
            return corners
        refined.append(p)
    return np.array(refined, dtype=np.float32)


def _densify(points: np.ndarray, step: float = 2.0) -> np.ndarray:
    """Points every ``step`` pixels along a closed polyline (CHAIN_APPROX_SIMPLE keeps only vertices)."""
    out = []
    for a, b in zip(points, np.roll(points, -1, axis=0)):
        n = max(1, int(np.linalg.norm(b - a) / step))
        out.append(a + (b - a) * (np.arange(n)[:, None] / n))
    return np.concatenate(out).astype(np.float32)


def _intersect(first, second) -> Optional[np.ndarray]:
    (p, r), (q, s) = first, second
    cross = r[0] * s[1] - r[1] * s[0]
    if abs(cross) < 1e-6:
        return None
    t = ((q - p)[0] * s[1] - (q - p)[1] * s[0]) / cross
    return p + t * r


def order_corners(points: np.ndarray) -> np.ndarray:
    """Top-left, top-right, bottom-right, bottom-left, whatever order the points came in."""
    centre = points.mean(axis=0)
    angles = np.arctan2(points[:, 1] - centre[1], points[:, 0] - centre[0])
    ordered = points[np.argsort(angles)]  # clockwise in image coordinates, starting near the left
    start = int(np.argmin(ordered.sum(axis=1)))
    return np.roll(ordered, -start, axis=0).astype(np.float32)


def _score(corners: np.ndarray, support: np.ndarray, image_area: float) -> float:
    """0..1: how much the quadrilateral looks like a card's outline."""
    area = cv2.contourArea(corners)
    share = area / image_area
    if share < MIN_AREA_SHARE or share > MAX_AREA_SHARE or not cv2.isContourConvex(corners.reshape(-1, 1, 2)):
        return 0.0
    sides = [float(np.linalg.norm(corners[(i + 1) % 4] - corners[i])) for i in range(4)]
    long_side = (sides[0] + sides[2]) / 2
    short_side = (sides[1] + sides[3]) / 2
    if min(long_side, short_side) < 1:
        return 0.0
    aspect = max(long_side, short_side) / min(long_side, short_side)
    aspect_fit = math.exp(-abs(math.log(aspect / CARD_ASPECT)) / 0.18)
    angles_ok = all(55 <= _angle(corners[i - 1], corners[i], corners[(i + 1) % 4]) <= 125 for i in range(4))
    if not angles_ok:
        return 0.0
    edge_fit = _edge_support(corners, support)
    size_fit = min(1.0, math.sqrt(share / 0.25))
    return edge_fit ** 1.5 * (0.35 + 0.65 * aspect_fit) * (0.6 + 0.4 * size_fit)


def _angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    u, v = a - b, c - b
    cos = float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v) + 1e-9))
    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))


def _edge_support(corners: np.ndarray, support: np.ndarray) -> float:
    """Share of the outline (corners excluded, they are rounded) that lies on an image edge."""
    h, w = support.shape
    hits = total = 0
    for i in range(4):
        a, b = corners[i], corners[(i + 1) % 4]
        for t in np.linspace(0.1, 0.9, 40):
            x, y = a + (b - a) * t
            xi, yi = int(round(x)), int(round(y))
            total += 1
            if 0 <= xi < w and 0 <= yi < h and support[yi, xi]:
                hits += 1
    return hits / total


def _distinct(quads: list[Quad]) -> list[Quad]:
    """Drop proposals that are the same outline found twice."""
    kept: list[Quad] = []
    for quad in quads:
        if all(np.abs(quad.corners - other.corners).max() > 6 for other in kept):
            kept.append(quad)
    return kept


def _side_by_side_partner(best: Quad, others: list[Quad]) -> Optional[Quad]:
    """A second card of similar size beside the best one (front and back in one picture)."""
    best_poly = best.corners.reshape(-1, 1, 2)
    for other in others:
        if other.score < 0.6 * best.score or not 0.6 <= other.area / best.area <= 1.6:
            continue
        centre = tuple(float(v) for v in other.corners.mean(axis=0))
        if cv2.pointPolygonTest(best_poly, centre, False) >= 0:
            continue
        if any(cv2.pointPolygonTest(best_poly, tuple(float(v) for v in p), False) > 0 for p in other.corners):
            continue
        return other
    return None


# --- straightening ---------------------------------------------------------------------------

def warp_card(photo: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """The card inside ``corners`` (full-resolution photo coordinates) at CARD_WIDTH x CARD_HEIGHT, landscape."""
    corners = order_corners(corners.astype(np.float32))
    top = np.linalg.norm(corners[1] - corners[0]) + np.linalg.norm(corners[2] - corners[3])
    left = np.linalg.norm(corners[3] - corners[0]) + np.linalg.norm(corners[2] - corners[1])
    if left > top:  # the card stands on its short side in the photo: start from the bottom-left corner
        corners = np.roll(corners, -3, axis=0)
    target = np.array([[0, 0], [CARD_WIDTH - 1, 0], [CARD_WIDTH - 1, CARD_HEIGHT - 1], [0, CARD_HEIGHT - 1]],
                      dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(corners, target)
    return cv2.warpPerspective(photo, matrix, (CARD_WIDTH, CARD_HEIGHT), flags=cv2.INTER_CUBIC,
                               borderMode=cv2.BORDER_REPLICATE)


def deskew_by_text(image: np.ndarray, max_degrees: float = 20.0) -> tuple[np.ndarray, float]:
    """The image turned so that its text lines are level (modulo 90 degrees), and the angle used."""
    angle = text_skew(image, max_degrees)
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


def text_skew(image: np.ndarray, max_degrees: float = 20.0) -> float:
    """The median angle of the text lines (degrees, counter-clockwise positive as OpenCV rotates)."""
    small, _ = _downscale(image, 1000)
    grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    binary = cv2.adaptiveThreshold(grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 15)
    angles, weights = [], []
    for kernel in ((25, 3), (3, 25)):  # lines of text, whichever way the image is turned
        blobs = cv2.morphologyEx(binary, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, kernel))
        contours, _ = cv2.findContours(blobs, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        for contour in contours:
            (_, _), (w, h), a = cv2.minAreaRect(contour)
            long_side, short_side = max(w, h), min(w, h)
            if long_side < 40 or short_side < 4 or long_side < 4 * short_side:
                continue
            if w < h:
                a -= 90
            a = ((a + 45) % 90) - 45  # angle modulo 90: sideways text levels the same way
            angles.append(a)
            weights.append(long_side)
    if not angles:
        return 0.0
    order = np.argsort(angles)
    cumulative = np.cumsum(np.array(weights)[order])
    median = float(np.array(angles)[order][np.searchsorted(cumulative, cumulative[-1] / 2)])
    return median if abs(median) <= max_degrees else 0.0


# --- orientation and measurements ------------------------------------------------------------

def orient(card: np.ndarray, engine: OcrEngine, *, landscape_card: bool) -> tuple[np.ndarray, int, float]:
    """The card turned upright as its text says, the degrees turned (clockwise) and the engine's confidence.

    A card found by its outline, or a card-shaped crop, is already landscape: only upside down is
    left to decide, which keeps a sideways misreading from ever turning a good card.
    """
    turns = (0, 180) if landscape_card else (0, 90, 180, 270)
    verdict = engine.orientation(_orientation_probe(card), turns=turns)
    rotate = verdict.rotate_degrees % 360 if verdict.rotate_degrees % 360 in turns else 0
    return rotate_clockwise(card, rotate), rotate, verdict.confidence


def _orientation_probe(card: np.ndarray) -> np.ndarray:
    """Dark text on white at a reduced size: quick to read twice (ruled lines kept: they do not mislead here)."""
    return 255 - text_mask(_downscale(card, PROBE_SIDE)[0])


def sharpness(card: np.ndarray) -> float:
    """Variance of the Laplacian on the straightened card: low when blurred (comparable because size is fixed)."""
    grey = cv2.cvtColor(card, cv2.COLOR_BGR2GRAY) if card.ndim == 3 else card
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def glare(card: np.ndarray) -> float:
    """Share of the card blown out to white well above the card's own brightness (a reflection, not paper)."""
    grey = cv2.cvtColor(card, cv2.COLOR_BGR2GRAY) if card.ndim == 3 else card
    hsv = cv2.cvtColor(card, cv2.COLOR_BGR2HSV) if card.ndim == 3 else None
    local = cv2.blur(grey, (61, 61))
    blown = (grey >= 245) & (grey.astype(np.int16) - np.median(grey) >= 30)
    if hsv is not None:
        blown &= hsv[:, :, 1] <= 40
    blown &= local >= 200  # a bright patch, not a thin white glyph on a dark band
    return float(blown.mean())


def _finish(card: np.ndarray, engine: OcrEngine, *, method: str, outline: Optional[np.ndarray], card_found: bool,
            card_width_px: int, skew: float, landscape: bool) -> SideImage:
    upright, rotation, confidence = orient(card, engine, landscape_card=landscape)
    if rotation in (90, 270):
        upright = _resize_to_width(upright, CARD_WIDTH)
    return SideImage(image=upright, card_found=card_found, method=method, outline=outline,
                     rotation_applied=rotation, skew_degrees=skew, card_width_px=card_width_px,
                     sharpness=sharpness(upright), glare=glare(upright), orientation_confidence=confidence)


def _downscale(image: np.ndarray, longest: int) -> tuple[np.ndarray, float]:
    scale = min(1.0, longest / max(image.shape[:2]))
    if scale >= 1.0:
        return image, 1.0
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA), scale


def _resize_to_width(image: np.ndarray, width: int) -> np.ndarray:
    scale = width / image.shape[1]
    if abs(scale - 1) < 0.01:
        return image
    height = max(1, round(image.shape[0] * scale))
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA)


def _long_side(corners: np.ndarray) -> float:
    return max(float(np.linalg.norm(corners[(i + 1) % 4] - corners[i])) for i in range(4))
