"""Prepare a straightened card side for OCR: dark text on white, whatever the card's colours.

Cards print white text on coloured bands, values in large bold type, and values inside ruled boxes;
Tesseract's own global binarisation and layout analysis lose all three. Ink is found by its
contrast with the background around it, in the polarity that background calls for:

- the dark-on-light contrast is the morphological black-hat (closing minus image) and the
  light-on-dark contrast the top-hat (image minus opening), with a structuring element wider than
  any stroke, so a bold 60-pixel digit stays solid where a median background would hollow it;
- which of the two applies is decided by the background at a larger scale: on a light card dark
  ink, on a dark band light ink;
- box frames and long thin rules are removed, so that a value inside a box reaches the engine as
  the only thing on its line.
"""

from __future__ import annotations

import cv2
import numpy as np

MIN_TEXT_CONTRAST = 18  # grey levels; below this a difference is paper texture or sensor noise
STROKE_WIDTH_SHARE = 28  # structuring element: the card's width over this, wider than the boldest stroke
FRAME_FILL = 0.12  # a component this empty inside its bounding box, and large, is a box frame
FRAME_BAND_SHARE = 8  # a frame's band along its box's sides: the box's smaller side over this
FRAME_BAND_INK = 0.7  # a thickened frame: this share of its ink, at least, in that band ...
FRAME_SIDE_RUN = 0.6  # ... running along this share of three sides, at least (corners rounded)


def prepare_for_ocr(image: np.ndarray, contrast: np.ndarray | None = None) -> np.ndarray:
    """A binary image (text black, background white) of the same size, box frames and rules removed."""
    text = text_mask(image, contrast)
    text = cv2.subtract(text, cv2.dilate(box_frames(text), np.ones((3, 3), np.uint8)))
    return 255 - cv2.subtract(text, thin_rules(text))


def ink_image(contrast: np.ndarray) -> np.ndarray:
    """The ink contrast as a grey image, dark text on white, antialiasing kept: for reading a region again
    with Tesseract's own (there local) threshold instead of ours."""
    strong = contrast[contrast >= MIN_TEXT_CONTRAST]
    top = float(np.percentile(strong, 90)) if strong.size else 255.0
    return 255 - np.clip(contrast.astype(np.float32) * (255.0 / max(top, 1.0)), 0, 255).astype(np.uint8)


def text_mask(image: np.ndarray, contrast: np.ndarray | None = None) -> np.ndarray:
    """White where ink differs from its background (in the polarity the background calls for), black elsewhere."""
    contrast = ink_contrast(image) if contrast is None else contrast
    otsu, _ = cv2.threshold(contrast, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    _, text = cv2.threshold(contrast, max(otsu, MIN_TEXT_CONTRAST), 255, cv2.THRESH_BINARY)
    return text


def ink_contrast(image: np.ndarray) -> np.ndarray:
    """How far each pixel stands out from its background as ink: 0 on paper, high on a stroke."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    height, width = grey.shape
    size = max(31, (width // STROKE_WIDTH_SHARE) | 1)
    element = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    closed = cv2.morphologyEx(grey, cv2.MORPH_CLOSE, element).astype(np.int16)  # the light level around
    opened = cv2.morphologyEx(grey, cv2.MORPH_OPEN, element).astype(np.int16)  # the dark level around
    quarter = cv2.resize(grey, (max(1, width // 4), max(1, height // 4)), interpolation=cv2.INTER_AREA)
    # twice the structuring element (a fourteenth of the card): local enough to follow a glare patch (wider,
    # the patch's paper reads as light ink on a darker background), wide enough that a bold digit's strokes
    # stay a minority of the window
    kernel = max(15, (width // 56) | 1)
    background = cv2.resize(cv2.medianBlur(quarter, kernel), (width, height),
                            interpolation=cv2.INTER_LINEAR).astype(np.int16)
    pixel = grey.astype(np.int16)
    light_background = (background - opened) >= (closed - background)
    for top, bottom in dark_bands(grey):
        light_background[top:bottom] = False  # near its edge, a square window mixes the band with the card
    return np.where(light_background, closed - pixel, pixel - opened).clip(0, 255).astype(np.uint8)


def dark_bands(grey: np.ndarray, min_height_share: float = 0.04, darker_by: int = 60) -> list[tuple[int, int]]:
    """Rows of full-width bands much darker than the card (a header band behind a white logo): runs of
    rows whose typical brightness is far below the card's."""
    rows = np.median(grey[:, ::4], axis=1)
    card = float(np.median(rows))
    dark = rows < card - darker_by
    bands, start = [], None
    for y, is_dark in enumerate(list(dark) + [False]):
        if is_dark and start is None:
            start = y
        elif not is_dark and start is not None:
            if y - start >= min_height_share * len(rows):
                bands.append((start, y))
            start = None
    return bands


def box_frames(mask: np.ndarray) -> np.ndarray:
    """Box frames and separators: connected components much larger than a glyph yet hollow.

    A thin frame is mostly empty inside its bounding box (``FRAME_FILL``). Blur thickens a small box's
    frame past that share, and a value touching the frame joins it: such a component is still a frame
    when nearly all its ink lies in a band along its box's sides and runs along three of them or four
    (``_frame_band``); then only that band is taken, and the value touching it stays."""
    height, width = mask.shape
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    x, y, w, h, area = (stats[:, i] for i in range(5))
    large = (w >= width / 12) | (h >= height / 8)
    large[0] = False  # the background
    frames = np.zeros_like(mask)
    for index in np.flatnonzero(large):
        left, top, right, bottom = x[index], y[index], x[index] + w[index], y[index] + h[index]
        ink = labels[top:bottom, left:right] == index
        if area[index] < FRAME_FILL * w[index] * h[index]:
            frames[top:bottom, left:right][ink] = 255
        elif (band := _frame_band(ink)) is not None:
            frames[top:bottom, left:right][ink & band] = 255
    return frames


def _frame_band(ink: np.ndarray) -> np.ndarray | None:
    """The band along the sides of a component's box where its frame lies, or None when it is no frame:
    at least ``FRAME_BAND_INK`` of its ink in the band, and ink along most of three sides of it at least
    (glare may break a frame at a corner, leaving its side apart)."""
    rows, cols = ink.shape
    reach = max(3, min(rows, cols) // FRAME_BAND_SHARE)
    if min(rows, cols) < 4 * reach:
        return None  # a bar, a line or a word: no inside to frame
    band = np.ones_like(ink)
    band[reach:-reach, reach:-reach] = False
    if (ink & band).sum() < FRAME_BAND_INK * ink.sum():
        return None
    sides = (ink[:reach].any(axis=0), ink[-reach:].any(axis=0),
             ink[:, :reach].any(axis=1), ink[:, -reach:].any(axis=1))
    return band if sum(side.mean() >= FRAME_SIDE_RUN for side in sides) >= 3 else None


def thin_rules(mask: np.ndarray) -> np.ndarray:
    """Long thin straight strokes (underlines, separators), widened a pixel: not the stems of big digits."""
    height, width = mask.shape
    horizontal = cv2.morphologyEx(mask, cv2.MORPH_OPEN,
                                  cv2.getStructuringElement(cv2.MORPH_RECT, (max(20, width // 8), 1)))
    vertical = cv2.morphologyEx(mask, cv2.MORPH_OPEN,
                                cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(20, height // 6))))
    rules = cv2.bitwise_or(horizontal, vertical)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(rules)
    thickness = stats[:, cv2.CC_STAT_AREA] / np.maximum(1, np.maximum(stats[:, 2], stats[:, 3]))
    thin = thickness <= max(4.0, width / 200)
    thin[0] = False
    if not thin.any():
        return np.zeros_like(mask)
    return cv2.dilate((thin[labels] * 255).astype(np.uint8), np.ones((3, 3), np.uint8))


def motion_kernel(length: int, degrees: float) -> np.ndarray:
    """The blur a straight shake of the camera during the exposure makes: a line ``length`` pixels long
    through the kernel's centre, ``degrees`` anticlockwise from the horizontal, summing to one."""
    size = length | 1
    kernel = np.zeros((size, size), np.float32)
    kernel[size // 2, size // 2 - length // 2:size // 2 - length // 2 + length] = 1.0
    turn = cv2.getRotationMatrix2D((size / 2 - 0.5, size / 2 - 0.5), degrees, 1.0)
    kernel = cv2.warpAffine(kernel, turn, (size, size), flags=cv2.INTER_LINEAR)
    return kernel / max(float(kernel.sum()), 1e-6)


def shake_direction(image: np.ndarray) -> float:
    """The direction of a straight shake, in ``motion_kernel``'s degrees: the one along which the image
    changes least. A shake smears every edge along it, so the brightness gradient's energy is lowest
    there: the minor axis of the gradients' structure tensor. On a sharp card it is whatever direction
    its strokes favour; a shake found along it reads no better than the photo, and is not kept."""
    grey = (cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image).astype(np.float32)
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    xx, yy, xy = float(np.mean(gx * gx)), float(np.mean(gy * gy)), float(np.mean(gx * gy))
    major = 0.5 * np.degrees(np.arctan2(2 * xy, xx - yy))  # image axes: y points down
    return float((-(major + 90.0)) % 180.0)  # the minor axis, anticlockwise as the kernel turns


def deblur(image: np.ndarray, kernel: np.ndarray, iterations: int = 10) -> np.ndarray:
    """The image with a known blur taken out (Richardson-Lucy deconvolution of its grey), as BGR.

    Ten iterations sharpen glyphs smeared by a shake without the ringing more would add. Two OpenCV
    convolutions an iteration: scikit-image's implementation would bring SciPy in for this one loop."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    observed = grey.astype(np.float32) / 255.0
    flipped = np.ascontiguousarray(kernel[::-1, ::-1])
    estimate = observed.copy()
    for _ in range(iterations):
        blurred = cv2.filter2D(estimate, -1, kernel, borderType=cv2.BORDER_REPLICATE)
        ratio = observed / np.maximum(blurred, 1e-3)
        estimate = np.clip(estimate * cv2.filter2D(ratio, -1, flipped, borderType=cv2.BORDER_REPLICATE), 0.0, 1.0)
    return cv2.cvtColor((estimate * 255.0 + 0.5).astype(np.uint8), cv2.COLOR_GRAY2BGR)
