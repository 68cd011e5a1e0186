"""Prepare a straightened card side for OCR: dark text on white, whatever the card's colours.

Cards print white text on coloured bands and values inside ruled boxes; Tesseract's own
binarisation and layout analysis lose both. Text is found by its contrast with the local
background (either polarity), and long straight rules are removed, so every word reaches the
engine as black on white.
"""

from __future__ import annotations

import cv2
import numpy as np


MIN_TEXT_CONTRAST = 18  # grey levels; below this a difference is paper texture or sensor noise


def prepare_for_ocr(image: np.ndarray) -> np.ndarray:
    """A binary image (text black, background white) of the same size, ruled lines removed."""
    text = text_mask(image)
    height, width = text.shape
    horizontal = cv2.morphologyEx(text, cv2.MORPH_OPEN,
                                  cv2.getStructuringElement(cv2.MORPH_RECT, (max(20, width // 12), 1)))
    vertical = cv2.morphologyEx(text, cv2.MORPH_OPEN,
                                cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(20, height // 13))))
    rules = cv2.dilate(cv2.bitwise_or(horizontal, vertical), np.ones((5, 5), np.uint8))
    return 255 - cv2.subtract(text, rules)


def text_mask(image: np.ndarray) -> np.ndarray:
    """White where ink differs from its local background (either polarity), black elsewhere."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    kernel = max(31, (grey.shape[1] // 25) | 1)  # wider than a glyph stroke, narrower than a band
    background = cv2.medianBlur(grey, kernel)
    contrast = cv2.absdiff(grey, background)
    otsu, _ = cv2.threshold(contrast, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    _, text = cv2.threshold(contrast, max(otsu, MIN_TEXT_CONTRAST), 255, cv2.THRESH_BINARY)
    return text
