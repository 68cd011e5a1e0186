"""The locate stage on synthetic photos (no Tesseract): outline, straightening, measurements, and the
OCR stage's turn upright that follows it.

Every photo is drawn here: an ID-1 card face (rounded corners, text-like bars, and a marker row
along its top edge that says which way is up) is put on a background through a known homography,
so the true corners are known exactly. Which way is up is decided by a fake engine that "reads"
card words only when the marker is at the top, so that no OCR is needed to tell upright from
upside down.
"""

from __future__ import annotations

import itertools
import math

import cv2
import numpy as np
import pytest

from card_reader import locate
from card_reader.load import LoadedImage
from card_reader.locate import (CARD_HEIGHT, CARD_WIDTH, SEARCH_SIDE, SearchCopy, SideImage, background_distance,
                                border_colours, deskew_by_text, find_outlines, glare, locate_cards, order_corners,
                                polish_outline, sharpness, table_colours, text_skew, upright_corners, warp_card)
from card_reader.ocr import Block, Box, Line, Page, Word, read_upright, rotate_clockwise

# --- synthetic card and photos -------------------------------------------------------------------

FACE_W, FACE_H = 856, 540  # the card face drawn at 10 px/mm: 85.6 x 54 mm
CORNER_RADIUS = 32  # ISO corner radius 3.18 mm
INK = 35
TOLERANCE = 0.02  # corner error allowed, as a share of the card's long side


def card_face(shade: int = 240) -> np.ndarray:
    """A card face: a marker row along the top edge (left-heavy), text lines in the middle, nothing below."""
    face = np.full((FACE_H, FACE_W, 3), shade, np.uint8)
    for x0, x1 in ((60, 330), (360, 470), (500, 560)):
        cv2.rectangle(face, (x0, 50), (x1, 60), (INK,) * 3, -1)
    cv2.rectangle(face, (60, 75), (250, 83), (INK,) * 3, -1)
    for row in range(5):
        y, x = 170 + row * 48, 60
        for word in range(4 + row % 3):
            w = 40 + ((row * 7 + word * 13) % 5) * 22
            cv2.rectangle(face, (x, y), (x + w, y + 14), (INK,) * 3, -1)
            x += w + 22
            if x > FACE_W - 120:
                break
    return face


def card_alpha() -> np.ndarray:
    """The card's shape: a rectangle with rounded corners, antialiased."""
    mask = np.zeros((FACE_H, FACE_W), np.uint8)
    r, right, bottom = CORNER_RADIUS, FACE_W - 1 - CORNER_RADIUS, FACE_H - 1 - CORNER_RADIUS
    cv2.rectangle(mask, (r, 0), (right, FACE_H - 1), 255, -1)
    cv2.rectangle(mask, (0, r), (FACE_W - 1, bottom), 255, -1)
    for centre in ((r, r), (right, r), (right, bottom), (r, bottom)):
        cv2.circle(mask, centre, r, 255, -1, lineType=cv2.LINE_AA)
    return mask


def placement(centre, long_side: float, angle: float, tilt: float = 0.0) -> np.ndarray:
    """The card's true corners (face TL, TR, BR, BL) on the photo.

    ``angle`` turns the card clockwise on the photo (y points down); ``tilt`` shortens the top edge
    as a camera leaning over the card would.
    """
    w, h = long_side, long_side * FACE_H / FACE_W
    corners = np.array([[-w / 2 * (1 - tilt), -h / 2], [w / 2 * (1 - tilt), -h / 2], [w / 2, h / 2], [-w / 2, h / 2]])
    a = math.radians(angle)
    rotation = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    return (corners @ rotation.T + np.asarray(centre, float)).astype(np.float32)


def composite(background: np.ndarray, corners: np.ndarray, face: np.ndarray | None = None) -> np.ndarray:
    """The card face put on the background through the homography that sends its corners to ``corners``."""
    face = card_face() if face is None else face
    photo = background.copy()
    h, w = photo.shape[:2]
    x0, y0 = np.maximum(np.floor(corners.min(axis=0)).astype(int) - 2, 0)
    x1, y1 = np.minimum(np.ceil(corners.max(axis=0)).astype(int) + 2, (w, h))
    source = np.float32([[0, 0], [FACE_W, 0], [FACE_W, FACE_H], [0, FACE_H]])
    matrix = cv2.getPerspectiveTransform(source, (corners - (x0, y0)).astype(np.float32))
    size = (int(x1 - x0), int(y1 - y0))
    card = cv2.warpPerspective(face, matrix, size, flags=cv2.INTER_LINEAR).astype(np.float32)
    alpha = cv2.warpPerspective(card_alpha(), matrix, size, flags=cv2.INTER_LINEAR)[..., None] / 255.0
    region = photo[y0:y1, x0:x1].astype(np.float32)
    photo[y0:y1, x0:x1] = (region * (1 - alpha) + card * alpha).round().astype(np.uint8)
    return photo


def plain(size, value: int) -> np.ndarray:
    return np.full((size[1], size[0], 3), value, np.uint8)


def gingham(size, square: int = 20) -> np.ndarray:
    """A red-and-white gingham tablecloth of ``square``-pixel checks."""
    y, x = np.mgrid[0:size[1], 0:size[0]]
    across, down = (x // square) % 2, (y // square) % 2
    cloth = np.empty((size[1], size[0], 3), np.uint8)
    cloth[:] = (235, 235, 240)
    cloth[(across + down) == 1] = (170, 160, 225)
    cloth[(across == 1) & (down == 1)] = (70, 60, 190)
    return cloth


def wood(size, seed: int = 0) -> np.ndarray:
    """Brown wood grain: wavy stripes and streaky noise."""
    y, x = np.mgrid[0:size[1], 0:size[0]].astype(np.float32)
    grain = np.sin(y / 7.0 + 3 * np.sin(x / 150.0)) * 0.5 + 0.5
    noise = cv2.GaussianBlur(np.random.default_rng(seed).normal(0, 1, (size[1], size[0])).astype(np.float32),
                             (0, 0), sigmaX=12, sigmaY=1.5)
    value = 0.6 * grain + 0.4 * (noise / (np.abs(noise).max() + 1e-6) * 0.5 + 0.5)
    return np.clip(np.float32([40, 90, 150]) * (0.6 + 0.6 * value[..., None]), 0, 255).astype(np.uint8)


def shadow(photo: np.ndarray, strength: float = 0.45) -> np.ndarray:
    """A soft shadow darkening the right part of the photo (a ramp over 30% of its width)."""
    w = photo.shape[1]
    ramp = np.clip((np.arange(w, dtype=np.float32) - 0.35 * w) / (0.3 * w), 0, 1)
    return (photo * (1 - strength * ramp)[None, :, None]).astype(np.uint8)


PHOTO = (1600, 1200)
BACKGROUNDS = {
    "dark": lambda size: plain(size, 40),
    "light": lambda size: plain(size, 200),
    "near_white": lambda size: plain(size, 225),  # with a 245 card: white on white, low contrast
    "gingham": gingham,
    "wood": wood,
}


def card_photo(background: str = "dark", *, angle: float = 0.0, tilt: float = 0.0, shaded: bool = False,
               size=PHOTO, long_side: float = 900.0, shade: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A photo of one card in the middle of the background, and the card's true corners."""
    corners = placement((size[0] / 2 + 20, size[1] / 2 + 10), long_side, angle, tilt)
    face = card_face(shade or (245 if background == "near_white" else 240))
    photo = composite(BACKGROUNDS[background](size), corners, face)
    return (shadow(photo) if shaded else photo), corners


def loaded(pixels: np.ndarray) -> LoadedImage:
    return LoadedImage(pixels, "PNG", 0, (pixels.shape[1], pixels.shape[0]))


def corner_error(found: np.ndarray, true: np.ndarray) -> float:
    """The largest corner distance under the best matching of found to true corners (order-free)."""
    return min(float(np.linalg.norm(found[list(p)] - true, axis=1).max()) for p in itertools.permutations(range(4)))


def long_side(corners: np.ndarray) -> float:
    return max(float(np.linalg.norm(corners[(i + 1) % 4] - corners[i])) for i in range(4))


def ink_bands(image: np.ndarray) -> tuple[float, float]:
    """Share of dark pixels in the top and bottom quarters."""
    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    ink = grey < 128
    quarter = max(1, grey.shape[0] // 4)
    return float(ink[:quarter].mean()), float(ink[-quarter:].mean())


def marker_on_top(image: np.ndarray) -> bool:
    top, bottom = ink_bands(image)
    return image.shape[1] > image.shape[0] and top > 2 * bottom + 1e-3


# --- fake engine --------------------------------------------------------------------------------

CARD_WORDS = frozenset({"MEMBER", "GROUP", "PLAN"})


def page(width: int, height: int, confidence: float) -> Page:
    words = tuple(Word(text, Box(10 + 120 * i, 10, 100, 30), confidence) for i, text in enumerate(sorted(CARD_WORDS)))
    return Page(width, height, (Block((Line(words),)),))


class MarkerEngine:
    """Reads card words confidently only from an upright image (landscape, marker row on top)."""

    name = "marker"

    def __init__(self):
        self.recognised: list[tuple[int, ...]] = []

    def version(self) -> str:
        return "marker-1"

    def recognise(self, image: np.ndarray, *, psm: int | None = None) -> Page:
        self.recognised.append(image.shape)
        return page(image.shape[1], image.shape[0], 0.95 if marker_on_top(image) else 0.2)


def upright(side: SideImage, engine: MarkerEngine | None = None) -> tuple[np.ndarray, int]:
    """The located side turned upright by what the OCR stage reads, and the turn it took."""
    reading = read_upright(engine or MarkerEngine(), side.image, turns=side.turns, vocabulary=CARD_WORDS)
    return rotate_clockwise(side.image, reading.rotation), reading.rotation


# --- finding the outline -------------------------------------------------------------------------

OUTLINE_CASES = [
    pytest.param(background, angle, tilt, shaded, id=f"{background}-{angle}deg{'-tilt' if tilt else ''}"
                                                    f"{'-shadow' if shaded else ''}")
    for background in BACKGROUNDS
    for angle, tilt, shaded in ((0, 0.0, False), (15, 0.12, False), (25, 0.0, True), (90, 0.12, True))
]


@pytest.mark.parametrize("background,angle,tilt,shaded", OUTLINE_CASES)
def test_outline_found_on_backgrounds(background, angle, tilt, shaded):
    """The card's corners are found wherever it lies, however turned and tilted, and it is straightened."""
    photo, true = card_photo(background, angle=angle, tilt=tilt, shaded=shaded)
    [side] = locate_cards(loaded(photo))
    assert isinstance(side, SideImage)
    assert side.method == "outline" and side.card_found
    assert side.image.shape == (CARD_HEIGHT, CARD_WIDTH, 3)
    assert corner_error(side.outline, true) <= TOLERANCE * long_side(true)
    assert side.card_width_px == pytest.approx(long_side(true), rel=0.03)
    assert side.skew_degrees == 0.0
    assert marker_on_top(upright(side)[0])


@pytest.mark.parametrize("background,size,angle,tilt", [
    ("gingham", 650, 5, 0.0),  # about 40% of the photo's width
    ("wood", 650, -10, 0.0),
    ("gingham", 1250, 3, 0.05),  # nearly filling the frame
])
def test_outline_found_small_and_large(background, size, angle, tilt):
    """A card far from the camera or filling the frame, under a shadow, is found just as well."""
    photo, true = card_photo(background, angle=angle, tilt=tilt, shaded=True, long_side=size)
    [side] = locate_cards(loaded(photo))
    assert side.method == "outline"
    assert corner_error(side.outline, true) <= TOLERANCE * long_side(true)
    assert side.card_width_px == pytest.approx(long_side(true), rel=0.03)


def test_small_tilted_card_on_white_table():
    """A third of the photo wide, tilted, white on white: the corners are still where the card's are."""
    photo, true = card_photo("near_white", angle=20, tilt=0.1, long_side=520)
    [side] = locate_cards(loaded(photo))
    assert side.method == "outline"
    assert corner_error(side.outline, true) <= TOLERANCE * long_side(true)


@pytest.mark.parametrize("background", ["near_white", "gingham"])
def test_find_outlines_puts_the_card_first(background):
    """On a search-size photo the best proposal is the card itself, and proposals come best first."""
    photo, true = card_photo(background, angle=10, tilt=0.05, size=(SEARCH_SIDE, 480), long_side=380)
    quads = find_outlines(photo)
    assert quads, "no outline proposed"
    assert corner_error(quads[0].corners, true) <= TOLERANCE * long_side(true)
    assert [q.score for q in quads] == sorted((q.score for q in quads), reverse=True)
    assert np.allclose(quads[0].corners, order_corners(quads[0].corners))


def test_outline_askew_onto_a_checked_table_is_polished_back_onto_the_card():
    """An outline whose side runs on past the card's corner over a checked table (a line merged from the
    card's edge and the pattern's) is moved back: its margin strip then lies on the card alone."""
    photo, true = card_photo("gingham", angle=4, size=(SEARCH_SIDE, 480), long_side=400)
    askew = order_corners(true.copy())
    askew[1] += (16, -4)  # the top-right corner out on the cloth
    everywhere = np.full(photo.shape[:2], 255, np.uint8)  # every side counts as on an edge: only the margin moves it
    score, polished = polish_outline(askew, 0.0, everywhere, SearchCopy.of(photo).lab)
    assert score > 0
    assert corner_error(polished, true) <= 0.6 * corner_error(askew, true)


def test_large_photo_is_warped_from_full_resolution():
    """A 12 MP photo is searched small but straightened from its own pixels, outline in its coordinates."""
    size = (4032, 3024)
    photo, true = card_photo("dark", angle=12, tilt=0.08, size=size, long_side=2600)
    [side] = locate_cards(loaded(photo))
    assert side.image.shape == (CARD_HEIGHT, CARD_WIDTH, 3)
    assert corner_error(side.outline, true) <= TOLERANCE * long_side(true)
    assert side.card_width_px == pytest.approx(long_side(true), rel=0.03)
    # the same outline warped from the search-size copy is visibly softer
    small = cv2.resize(photo, (SEARCH_SIDE, SEARCH_SIDE * 3 // 4), interpolation=cv2.INTER_AREA)
    from_small = warp_card(cv2.resize(small, size, interpolation=cv2.INTER_LINEAR), side.outline)
    assert sharpness(side.image) > 2 * sharpness(from_small)


@pytest.mark.parametrize("angle,turned", [(-90, 0), (90, 180), (-80, 0)])
def test_card_on_its_short_side_comes_out_landscape(angle, turned):
    """A card standing on its short side (portrait in a portrait photo) is straightened landscape, then upright."""
    photo, true = card_photo("wood", angle=angle, size=(1200, 1600), long_side=1000)
    [side] = locate_cards(loaded(photo))
    assert side.method == "outline"
    assert side.image.shape == (CARD_HEIGHT, CARD_WIDTH, 3)
    assert corner_error(side.outline, true) <= TOLERANCE * long_side(true)
    image, turn = upright(side)
    assert turn == turned and marker_on_top(image)
    assert np.allclose(upright_corners(side.outline, turn), true, atol=TOLERANCE * long_side(true))


# --- orientation ---------------------------------------------------------------------------------

@pytest.mark.parametrize("angle", [0, 8])
def test_upright_card_is_read_once(angle):
    """A card that reads as card words at the first turn is not read again to decide which way is up."""
    photo, _ = card_photo("gingham", angle=angle)
    [side] = locate_cards(loaded(photo))
    engine = MarkerEngine()
    image, turn = upright(side, engine)
    assert turn == 0 and marker_on_top(image)
    assert len(engine.recognised) == 1


@pytest.mark.parametrize("angle", [180, 172])
def test_upside_down_card_turned_by_text_evidence(angle):
    """The first reading finds no card words, so the other turn is read and the confident reading wins."""
    photo, true = card_photo("gingham", angle=angle)
    [side] = locate_cards(loaded(photo))
    assert side.method == "outline" and side.turns == (0, 180)  # a landscape card is only tried at 0 and 180
    engine = MarkerEngine()
    reading = read_upright(engine, side.image, turns=side.turns, vocabulary=CARD_WORDS)
    assert reading.rotation == 180 and reading.readings == 2
    assert marker_on_top(rotate_clockwise(side.image, reading.rotation))
    assert reading.confidence > 0.5  # the margin between the two readings
    assert np.allclose(upright_corners(side.outline, 180), true, atol=TOLERANCE * long_side(true))


SIDEWAYS = [(cv2.ROTATE_90_CLOCKWISE, 270), (cv2.ROTATE_90_COUNTERCLOCKWISE, 90)]


@pytest.mark.parametrize("code,turn", SIDEWAYS)
def test_sideways_crop_is_read_at_the_two_sideways_turns_only(code, turn):
    """A sideways tight crop has no outline to say which way is long; its text lines run up and down, so
    only the two sideways turns are read, and the upright one wins."""
    [side] = locate_cards(loaded(cv2.rotate(card_face(), code)))
    assert side.method == "whole_image" and side.turns == (90, 270)
    engine = MarkerEngine()
    image, found = upright(side, engine)
    assert found == turn and marker_on_top(image)
    assert len(engine.recognised) <= 2


def test_text_lines_inside_a_printed_border_still_say_which_way_the_text_runs():
    """A screenshot whose card prints a thin frame round its face: the frame encloses every text line, and
    a few upright scraps outside it (a rounded corner's arc) must not outvote the lines inside."""
    face = card_face()
    cv2.rectangle(face, (40, 30), (FACE_W - 41, FACE_H - 31), (INK,) * 3, 2)
    for y in (60, 300):
        cv2.rectangle(face, (4, y), (6, y + 55), (INK,) * 3, -1)
    frame = np.array([[0, 0], [FACE_W - 1, 0], [FACE_W - 1, FACE_H - 1], [0, FACE_H - 1]], np.float32)
    _, skew, sideways = locate.straighten(face, locate.CardRegion(frame, "whole_image", 1.0))
    assert not sideways and skew == 0.0


@pytest.mark.parametrize("background", ["dark", "gingham"])
def test_the_places_offered_for_a_side_that_read_as_no_text_hold_the_card_and_the_whole_photo(background):
    """A box printed on the card taken for the card (its text then reads as nothing): the card's own outline
    is among the other places offered, the box is not, and the whole photo comes last, its text
    levelled though it runs more steeply than a crop's may."""
    photo, true = card_photo(background, angle=30)
    box = np.float32([true[0] + (true[2] - true[0]) * 0.5, true[1] + (true[2] - true[1]) * 0.5, true[2],
                      true[3] + (true[2] - true[3]) * 0.5])  # the card's lower right quarter
    found = locate.side_image(photo, locate.CardRegion(box, "outline", 0.5))
    rivals = locate.rival_sides(loaded(photo), found)
    assert any(r.method == "outline" and corner_error(r.outline, true) <= TOLERANCE * long_side(true)
               for r in rivals)
    assert all(corner_error(r.outline, box) > 0.05 * long_side(true) for r in rivals)
    assert rivals[-1].method == "whole_image" and not rivals[-1].card_found
    if background == "dark":  # the table's pattern is no text line; the card's bars are, 30 degrees askew
        assert abs(rivals[-1].skew_degrees) > locate.MAX_SKEW
        assert abs(locate.straighten(photo, locate.whole_photo(photo))[1]) <= locate.MAX_SKEW


# --- two cards on one photo ----------------------------------------------------------------------

@pytest.mark.parametrize("sizes", [(800, 740), (740, 800)], ids=["larger-left", "larger-right"])
def test_side_by_side(sizes):
    """Front and back photographed together: both found when two sides are expected, ordered left to right."""
    size = (1800, 1000)
    left = placement((470, 500), sizes[0], 4)
    right = placement((1330, 510), sizes[1], -3)
    photo = composite(composite(plain(size, 50), left), right)

    sides = locate_cards(loaded(photo), expect_sides=2)
    assert [s.method for s in sides] == ["side_by_side", "side_by_side"]
    for side, true in zip(sides, (left, right)):
        assert corner_error(side.outline, true) <= TOLERANCE * long_side(true)
        assert side.image.shape == (CARD_HEIGHT, CARD_WIDTH, 3) and marker_on_top(upright(side)[0])

    [single] = locate_cards(loaded(photo), expect_sides=1)
    assert single.method == "outline"
    assert min(corner_error(single.outline, t) for t in (left, right)) <= TOLERANCE * long_side(left)


@pytest.mark.parametrize("square", [24, 30, 40])
def test_side_by_side_on_a_checked_cloth(square):
    """On a checked tablecloth a card's side merges with the cloth's lines and runs askew; the second card is
    still found, its outline polished back onto it (roughly: the proposal polished may end at a band
    printed across the card, a tenth of its height in)."""
    size = (1800, 1000)
    left, right = placement((470, 500), 780, 2), placement((1330, 510), 780, -3)
    photo = composite(composite(gingham(size, square), left), right)
    sides = locate_cards(loaded(photo), expect_sides=2)
    assert [s.method for s in sides] == ["side_by_side", "side_by_side"]
    errors = sorted(corner_error(side.outline, true) / long_side(true) for side, true in zip(sides, (left, right)))
    assert errors[0] <= TOLERANCE and errors[1] <= 0.08


def test_a_second_card_no_proposal_outlined_is_looked_for_by_three_sides(monkeypatch):
    """A second card whose fourth side is lost on the table (a peach card's edge on a beige table) is in no
    four-sided proposal; with two sides expected it is looked for by three of its sides, as a lone card is."""
    size = (1800, 1000)
    left, right = placement((470, 500), 780, 2), placement((1330, 510), 780, -3)
    photo = composite(composite(plain(size, 150), left), right)
    for name in ("line_quads", "contour_quads"):  # every proposal of the left card lost
        found = getattr(locate, name)
        monkeypatch.setattr(locate, name, lambda *a, _found=found, **k: [q for q in _found(*a, **k)
                                                                         if np.asarray(q)[:, 0].mean() > 320])
    sides = locate_cards(loaded(photo), expect_sides=2)
    assert [s.method for s in sides] == ["side_by_side", "side_by_side"]
    for side, true in zip(sides, (left, right)):
        assert corner_error(side.outline, true) <= TOLERANCE * long_side(true)


# --- whole-image fallback ------------------------------------------------------------------------

@pytest.mark.parametrize("upside_down", [False, True])
def test_tight_crop_falls_back_to_whole_image(upside_down):
    """A crop or screenshot of the card alone has no outline: the whole image is used and says so."""
    crop = cv2.rotate(card_face(), cv2.ROTATE_180) if upside_down else card_face()
    [side] = locate_cards(loaded(crop))
    assert side.method == "whole_image" and not side.card_found
    h, w = crop.shape[:2]
    assert side.outline.tolist() == [[0, 0], [w, 0], [w, h], [0, h]]  # the region read: the whole frame
    assert side.card_width_px == FACE_W
    assert side.image.shape[1] == CARD_WIDTH
    image, turn = upright(side)
    assert turn == (180 if upside_down else 0) and marker_on_top(image)


def test_an_outline_holding_no_print_gives_way_to_the_whole_photo(monkeypatch):
    """The outline search took the plain corner of a pale card (under its band, on a white scan) for the
    card: straightened, it holds no print, which no side of a card does, so the whole photo is read. The
    card's own face, and the same face blurred past reading, are print."""
    face = card_face()
    photo = composite(plain((1200, 900), 250), np.float32([[150, 150], [150 + FACE_W, 150],
                                                          [150 + FACE_W, 150 + FACE_H], [150, 150 + FACE_H]]), face)
    blank_corner = np.float32([[600, 560], [950, 560], [950, 680], [600, 680]])  # under the text lines
    monkeypatch.setattr(locate, "find_cards", lambda *a, **k: [locate.CardRegion(blank_corner, "outline", 0.9)])
    [side] = locate_cards(loaded(photo))
    assert side.method == "whole_image"
    assert locate.unprinted(np.full((400, 640, 3), 240, np.uint8))
    assert not locate.unprinted(face)
    assert not locate.unprinted(cv2.GaussianBlur(face, (0, 0), 6))


def test_printed_panel_touching_the_frame_of_a_tight_crop_is_not_the_card():
    """A card-shaped panel printed in a corner of a card that fills the picture (a cut-out PNG: a few
    pixels of flattened transparency around it) is a detail of the card, not the card."""
    face = card_face()
    h, w = face.shape[:2]
    panel_w = int(w * 0.45)
    cv2.rectangle(face, (w - 1 - panel_w, h - 1 - int(panel_w / 1.586)), (w - 1, h - 1), (90, 160, 90), -1)
    crop = cv2.copyMakeBorder(face, 6, 6, 6, 6, cv2.BORDER_CONSTANT, value=(128, 128, 128))
    [side] = locate_cards(loaded(crop))
    assert side.method == "whole_image" and side.card_width_px == crop.shape[1]


def test_a_small_panel_printed_on_a_screenshot_of_the_card_is_not_the_card():
    """A screenshot of the card alone, its outline the picture's frame: a card-shaped panel printed on it,
    away from the frame and a small part of the picture, is a detail; the whole picture is read."""
    face = card_face(245)
    cv2.rectangle(face, (560, 150), (700, 370), (120, 60, 20), -1)  # an upright card-shaped panel
    [side] = locate_cards(loaded(face))
    assert side.method == "whole_image"


def test_a_large_panel_turned_across_a_screenshot_of_the_card_is_not_the_card():
    """A panel of the card's proportions standing upright on a screenshot of the card (a gradient's edge),
    a quarter of the picture: a card so turned would fill at most two fifths of a picture of its own
    proportions, so it is the card's print; the whole picture is read."""
    face = card_face(245)
    h, w = face.shape[:2]
    top, bottom = int(0.12 * h), int(0.88 * h)
    left = int(0.55 * w)
    cv2.rectangle(face, (left, top), (left + int((bottom - top) / 1.586), bottom), (120, 60, 20), -1)
    [side] = locate_cards(loaded(face))
    assert side.method == "whole_image"


def test_panel_across_a_pale_card_on_a_pale_frame_is_not_the_card():
    """A screenshot of a pale card with a card-shaped panel printed across its right side, on an app's pale
    frame: the strip the panel leaves out matches the frame's colour, yet it is most of the card, so it is
    card, not table (a table's stripe beside a card is narrower than the card)."""
    face = card_face(250)
    h, w = face.shape[:2]
    cv2.rectangle(face, (int(w * 0.6), 0), (w - 1, h - 1), (225, 190, 150), -1)
    cv2.rectangle(face, (0, 0), (w - 1, h - 1), (190, 190, 190), 3)
    margin = 14
    corners = np.float32([[margin, margin], [margin + w, margin], [margin + w, margin + h], [margin, margin + h]])
    shot = composite(plain((w + 2 * margin, h + 2 * margin), 244), corners, face)
    [side] = locate_cards(loaded(shot))
    assert side.card_width_px >= 0.95 * FACE_W


def test_a_card_stands_out_from_each_colour_of_a_checked_cloth():
    """A mid-grey card on a black-and-white check has the cloth's median colour; measured against each of
    the cloth's colours it stands out. A plain table is one colour."""
    cloth = np.where(((np.indices((480, 640)).sum(axis=0) // 24) % 2 == 0)[..., None], 20, 235).astype(np.uint8)
    cloth = np.repeat(cloth, 3, axis=2)
    cloth[140:340, 170:470] = 128
    lab = cv2.cvtColor(cloth, cv2.COLOR_BGR2LAB)
    border = border_colours(lab)
    card, table = (slice(160, 320), slice(190, 450)), (slice(0, 100), slice(0, 640))
    colours = table_colours(border)
    assert len(colours) == 2
    for against, stands_out in ((np.median(border, axis=0)[None], False), (colours, True)):
        distance = background_distance(lab, against).astype(float)
        assert (distance[card].mean() > 3 * distance[table].mean()) == stands_out
    assert len(table_colours(border_colours(cv2.cvtColor(plain((640, 480), 90), cv2.COLOR_BGR2LAB)))) == 1


def text_scan(angle: float) -> np.ndarray:
    """A white page of text lines, turned by ``angle`` degrees as cv2.getRotationMatrix2D turns (anticlockwise)."""
    scan = np.full((1100, 1700, 3), 255, np.uint8)
    rng = np.random.default_rng(1)
    for row in range(14):
        y, x = 120 + row * 60, 150
        while x < 1450:
            w = int(rng.integers(40, 160))
            cv2.rectangle(scan, (x, y), (min(x + w, 1550), y + 16), (20, 20, 20), -1)
            x += w + 25
    matrix = cv2.getRotationMatrix2D((850, 550), angle, 1.0)
    return cv2.warpAffine(scan, matrix, (1700, 1100), flags=cv2.INTER_CUBIC, borderValue=(255, 255, 255))


@pytest.mark.parametrize("angle", [-5, 5, 3])
def test_scan_is_deskewed_by_its_text(angle):
    """text_skew gives the turn that levels the text (OpenCV's sign), and deskew_by_text applies it."""
    scan = text_scan(angle)
    assert text_skew(scan) == pytest.approx(-angle, abs=1.0)
    level, used = deskew_by_text(scan)
    assert used == pytest.approx(-angle, abs=1.0)
    assert abs(text_skew(level)) < 0.5
    [side] = locate_cards(loaded(scan))
    assert side.method == "whole_image" and not side.card_found
    assert side.skew_degrees == pytest.approx(-angle, abs=1.0)


def test_level_scan_is_left_alone():
    scan = text_scan(0)
    level, used = deskew_by_text(scan)
    assert used == 0.0 and level is scan


@pytest.mark.parametrize("background", ["dark", "light", "gingham", "wood", "gingham_shadow"])
def test_no_card_no_bogus_outline(background):
    """A photo of the table alone must fall back to the whole image, not invent a card outline."""
    if background == "gingham_shadow":
        photo = shadow(gingham(PHOTO))
    else:
        photo = BACKGROUNDS[background](PHOTO)
    [side] = locate_cards(loaded(photo))
    assert not side.card_found
    assert side.method == "whole_image"


# --- corners, sharpness, glare -------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(6))
def test_order_corners_whatever_the_input_order(seed):
    """Any permutation of a card's corners comes back top-left, top-right, bottom-right, bottom-left."""
    rng = np.random.default_rng(seed)
    true = placement(rng.uniform(200, 800, 2), rng.uniform(150, 600), rng.uniform(-40, 40), rng.uniform(-0.2, 0.2))
    true = true + rng.normal(0, 2, true.shape).astype(np.float32)  # not quite a rectangle
    for permutation in itertools.permutations(range(4)):
        ordered = order_corners(true[list(permutation)])
        assert ordered.dtype == np.float32
        np.testing.assert_allclose(ordered, true, atol=1e-4)


def test_sharpness_drops_when_blurred():
    """The same card through the same pipeline measures less sharp when the photo is out of focus."""
    photo, _ = card_photo("dark", angle=8)
    blurred = cv2.GaussianBlur(photo, (0, 0), 3)
    [sharp_side] = locate_cards(loaded(photo))
    [blurred_side] = locate_cards(loaded(blurred))
    assert blurred_side.method == "outline"
    assert blurred_side.sharpness < 0.5 * sharp_side.sharpness
    card = cv2.resize(card_face(), (CARD_WIDTH, CARD_HEIGHT))
    assert sharpness(cv2.GaussianBlur(card, (0, 0), 2)) < sharpness(card)


def glaring_card(patch: float = 0.12) -> np.ndarray:
    """A 200-grey card with a blown-out white reflection covering about ``patch`` of it."""
    card = cv2.resize(card_face(200), (CARD_WIDTH, CARD_HEIGHT))
    side = int(math.sqrt(patch * CARD_WIDTH * CARD_HEIGHT))
    cv2.ellipse(card, (CARD_WIDTH // 2 + 150, CARD_HEIGHT // 2), (side // 2 + side // 8, side // 2 - side // 8),
                20, 0, 360, (255, 255, 255), -1)
    return card


@pytest.mark.parametrize("name,card,low,high", [
    ("blank white screenshot", np.full((CARD_HEIGHT, CARD_WIDTH, 3), 255, np.uint8), 0.0, 0.001),
    ("white card with print", cv2.resize(card_face(255), (CARD_WIDTH, CARD_HEIGHT)), 0.0, 0.001),
    ("grey card, no reflection", cv2.resize(card_face(200), (CARD_WIDTH, CARD_HEIGHT)), 0.0, 0.001),
    ("grey card, blown-out patch", glaring_card(), 0.08, 0.16),
])
def test_glare(name, card, low, high):
    """Glare is a blown-out patch brighter than the card, not white paper itself."""
    assert low <= glare(card) <= high


def test_white_screenshot_reports_no_glare():
    """A screenshot of a white card goes through the whole pipeline without reading as glare."""
    screenshot = np.full((540, 856, 3), 255, np.uint8)
    screenshot[200:220, 100:700] = INK
    [side] = locate_cards(loaded(screenshot))
    assert side.method == "whole_image"
    assert side.glare < 0.001


def test_glare_measured_on_the_located_card():
    """A reflection on a photographed grey card shows in the located side's glare."""
    photo, _ = card_photo("dark", angle=5, shade=200)
    corners = placement((PHOTO[0] / 2 + 60, PHOTO[1] / 2 + 10), 260, 20)
    cv2.fillConvexPoly(photo, corners.astype(np.int32), (255, 255, 255), lineType=cv2.LINE_AA)
    [side] = locate_cards(loaded(photo))
    assert side.method == "outline"
    assert side.glare > 0.03


def test_a_second_card_scoring_half_as_well_is_still_the_partner():
    """A white card on a light table shows weaker edges than its dark-printed partner beside it."""
    from card_reader.locate import Quad, _side_by_side_partner

    def quad(x, score):
        return Quad(np.float32([[x, 100], [x + 300, 100], [x + 300, 290], [x, 290]]), score)

    best = quad(50, 0.94)
    assert _side_by_side_partner(best, [quad(500, 0.52)]) is not None
    assert _side_by_side_partner(best, [quad(500, 0.40)]) is None  # a decoy well below the first card
    assert _side_by_side_partner(best, [quad(120, 0.90)]) is None  # overlapping: the same card


def test_an_outline_with_a_corner_off_the_picture_is_no_card():
    """A proposal run out over the table past the picture's edge (its sides on the table's grain) is no
    card's outline: the card in the photo is whole."""
    from card_reader.locate import outline_score

    support = np.full((480, 640), 255, np.uint8)  # edge evidence everywhere: only the geometry decides
    lab = np.zeros((480, 640, 3), np.float32)
    inside = np.float32([[100, 100], [440, 100], [440, 314], [100, 314]])
    assert outline_score(inside, support, lab) > 0.5
    off = inside.copy()
    off[3] = (-20, 330)
    assert outline_score(off, support, lab) == 0.0


def test_three_sides_found_and_the_fourth_lost_make_an_outline(monkeypatch):
    """A white card's right edge over a checked cloth's white squares gives no line: the two sides found
    whole beside the left one end where the card ends, and the fourth side joins those ends. A line that
    ends short of them (a rule printed on the card) meets neither at an end and makes no outline."""
    from card_reader import locate

    def line(x0, y0, x1, y1):
        start, end = np.array([x0, y0], float), np.array([x1, y1], float)
        length = float(np.linalg.norm(end - start))
        return locate._Line(start, (end - start) / length, 0.0, length, length, (0.0, length))

    top, bottom, left, rule = line(100, 100, 540, 100), line(100, 377, 540, 377), line(100, 100, 100, 377), \
        line(300, 150, 300, 320)
    monkeypatch.setattr(locate, "straight_lines", lambda search: [top, bottom, left, rule])
    monkeypatch.setattr(locate, "could_be_card_edge", lambda *_: True)
    search = SearchCopy.of(np.full((480, 640, 3), 128, np.uint8))
    quads = locate.three_side_quads(search, locate.edge_lines(search, np.zeros((480, 640), np.uint8)))
    assert [q.round().tolist() for q in quads] == [[[100, 100], [540, 100], [540, 377], [100, 377]]]


def test_a_stretch_of_table_beside_the_card_is_no_card_but_a_white_card_on_a_white_table_is():
    """An outline of wood grain whose top side is the card's lower edge: table inside, the card's colour
    just past that side. A white card on a white table is table-coloured inside too, and kept."""
    from card_reader.locate import Quad, _not_table

    size = (640, 480)
    card = placement((250, 140), 330, 0)
    below = np.float32([card[3], card[2], [card[2][0] + 20, 430], [card[3][0] - 10, 440]])
    search = SearchCopy.of(composite(wood(size), card))
    assert [q.score for q in _not_table([Quad(card, 0.8), Quad(below, 0.9)], search)] == [0.8]
    white = SearchCopy.of(composite(plain(size, 240), card))
    assert len(_not_table([Quad(card, 0.8)], white)) == 1


def test_a_white_cards_title_band_is_never_cut_off_once_a_shadow_grew_the_outline(monkeypatch):
    """A white card on a white table, a shadow below it: the outline grows to take in the shadow's edge.
    Beside the shadow's dark strip, the card's pale title band left out of the grown outline passes for
    table; left out of the card's own outline it does not, so the outline never shrinks under the title."""
    from card_reader import locate
    from card_reader.locate import Quad, _card_among_nested

    def box(top, bottom, score):
        return Quad(np.float32([[100, top], [500, top], [500, bottom], [100, bottom]]), score)

    card, with_shadow, under_title = box(100, 350, 0.98), box(100, 385, 0.7), box(160, 350, 0.65)
    table_strips = {(id(with_shadow.corners), id(under_title.corners))}  # band and shadow: the table's colour
    monkeypatch.setattr(locate, "_strip_is_table", lambda outer, inner, lab: (id(outer), id(inner)) in table_strips)
    assert _card_among_nested(card, [card, with_shadow, under_title], np.zeros((480, 640, 3), np.float32)) \
        is with_shadow
    # where what it leaves out of the best outline is table too (that outline took in a shadow), it shrinks
    table_strips.add((id(card.corners), id(under_title.corners)))
    assert _card_among_nested(card, [card, with_shadow, under_title], np.zeros((480, 640, 3), np.float32)) \
        is under_title


def test_the_card_grows_over_an_outline_inside_it_whose_corners_run_a_few_pixels_past_its_own():
    """A glare streak across a card makes an outline sharing the card's left side, scored best; found along
    the same edge, its corners stand 5 pixels outside the card's outline (about 1% of the card's long
    side): it still lies inside the card, which is chosen."""
    from card_reader.locate import Quad, _card_among_nested

    card = Quad(np.float32([[76, 124], [533, 29], [566, 303], [148, 403]]), 0.90)
    streak = Quad(np.float32([[72, 121], [330, 67], [470, 327], [145, 405]]), 0.97)
    lab = np.zeros((480, 640, 3), np.float32)
    lab[..., 0] = 50  # a grey table
    cv2.fillConvexPoly(lab, np.round(card.corners).astype(np.int32), (90, 0, 0))  # a white card
    assert _card_among_nested(streak, [streak, card], lab) is card


def test_a_title_band_left_outside_the_outline_is_taken_back():
    """A dark title band along the card's top has a weak edge against the table and a strong one against
    the card's white: an outline along the latter is too long for a card of its height, and its top side
    moves out onto the band's edge. A long pale object's own outline (nothing but table beyond its
    sides) is left as it is."""
    from card_reader.locate import Quad, outline_score, with_lost_band

    def lost_band(photo: np.ndarray, corners: np.ndarray) -> Quad | None:
        search = SearchCopy.of(photo)
        return with_lost_band(Quad(corners, outline_score(corners, search.support, search.lab)), search)

    size, band = (640, 480), FACE_H // 5
    face = card_face()
    face[:band] = (120, 70, 30)  # dark blue
    card = placement((320, 240), 420, 4)
    below_band = card.copy()
    below_band[0] += (card[3] - card[0]) * band / FACE_H
    below_band[1] += (card[2] - card[1]) * band / FACE_H
    found = lost_band(composite(plain(size, 110), card, face), below_band)
    assert found is not None and corner_error(found.corners, card) < 0.02 * 420
    ruler = placement((320, 240), 420, 4) * np.float32([1, 0.8]) + np.float32([0, 48])  # twice as long as high
    assert lost_band(composite(plain(size, 110), ruler), ruler) is None
