"""card_reader.prepare: ink found by contrast with its own background, whatever the card's colours."""

import math

import cv2
import numpy as np
import pytest

from card_reader.prepare import deblur, motion_kernel, prepare_for_ocr, shake_direction

W, H = 1280, 807


def card(shade: int = 215) -> np.ndarray:
    return np.full((H, W, 3), shade, np.uint8)


def write(image: np.ndarray, text: str, x: int, y: int, colour: int, scale: float = 1.6, thickness: int = 3) -> None:
    cv2.putText(image, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (colour,) * 3, thickness, cv2.LINE_AA)


def ink_share(binary: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> float:
    return float((binary[y0:y1, x0:x1] < 128).mean())


def test_dark_text_on_a_light_card_is_black_on_white():
    image = card()
    write(image, "MEMBER ID 912345678", 80, 200, 40)
    binary = prepare_for_ocr(image)
    assert 0.1 < ink_share(binary, 80, 160, 700, 210) < 0.6
    assert ink_share(binary, 80, 400, 700, 600) < 0.01


def test_white_text_on_a_dark_band_comes_out_black_on_white():
    image = card()
    image[40:150] = 60  # a navy header band
    write(image, "UnitedHealthcare", 80, 115, 245)
    binary = prepare_for_ocr(image)
    assert 0.1 < ink_share(binary, 80, 75, 500, 125) < 0.6  # the letters are ink ...
    assert ink_share(binary, 900, 50, 1200, 140) < 0.02  # ... the band itself is background


def test_text_under_a_glare_patch_keeps_its_polarity():
    """A reflection is brighter than the card around it; its paper must not read as light ink."""
    image = card(175)
    write(image, "381165", 610, 390, 110, scale=1.2)
    yy, xx = np.mgrid[0:H, 0:W]
    glow = 110 * np.exp(-((xx - 690) ** 2 + (yy - 378) ** 2) / (2 * 70.0 ** 2))  # a soft blown-out spot
    image = np.clip(image.astype(np.float32) + glow[..., None], 0, 255).astype(np.uint8)
    binary = prepare_for_ocr(image)
    assert ink_share(binary, 610, 325, 770, 352) < 0.02  # the bright paper above the text
    assert ink_share(binary, 610, 402, 770, 430) < 0.02  # and below it
    assert 0.08 < ink_share(binary, 610, 362, 770, 392) < 0.6


def test_bold_large_digits_stay_solid():
    image = card()
    write(image, "8", 200, 400, 30, scale=5.0, thickness=24)
    binary = prepare_for_ocr(image)
    ys, xs = np.nonzero(binary[200:420, 180:420] < 128)
    assert len(ys) > 0
    # the thick stroke is ink through its width: no hollow outline
    stroke = binary[300:320, 180:420] < 128
    runs = [len(run) for run in "".join("1" if v else "0" for v in stroke[10]).split("0") if run]
    assert max(runs) >= 18


def test_box_frame_around_a_value_is_removed():
    image = card()
    cv2.rectangle(image, (100, 300), (700, 420), (40, 40, 40), 3)
    write(image, "W123456789", 140, 380, 40)
    binary = prepare_for_ocr(image)
    assert ink_share(binary, 100, 300, 700, 304) < 0.05  # the frame's top edge is gone
    assert ink_share(binary, 140, 340, 600, 385) > 0.1  # the value stays


def test_a_small_box_whose_frame_blur_thickened_is_removed_and_the_value_touching_it_stays():
    """A 100-pixel box framed in a 6-pixel stroke (a thin frame under motion blur) fills 15% of its box:
    still a frame, and the value's first digit, touching the frame, is not taken with it."""
    image = card()
    cv2.rectangle(image, (850, 255), (1235, 350), (40, 40, 40), 6)
    write(image, "2021-484-7", 850, 325, 40)
    binary = prepare_for_ocr(image)
    assert ink_share(binary, 1226, 270, 1240, 340) < 0.05  # the frame's right side is gone
    assert ink_share(binary, 845, 240, 1240, 262) < 0.05  # and its top
    assert ink_share(binary, 862, 290, 890, 326) > 0.1  # the 2 touching it stays
    assert ink_share(binary, 900, 290, 1100, 326) > 0.1


def test_a_thickened_frame_glare_broke_at_a_corner_is_removed_too():
    """Glare took the frame's left side and the left end of its top: the three sides left are still a
    frame."""
    image = card()
    for start, end in (((560, 265), (834, 265)), ((834, 265), (834, 385)), ((834, 385), (447, 385))):
        cv2.line(image, start, end, (40, 40, 40), 8)
    write(image, "2021-754-5", 470, 340, 40)
    binary = prepare_for_ocr(image)
    assert ink_share(binary, 826, 280, 842, 370) < 0.05  # the right side is gone
    assert ink_share(binary, 480, 300, 700, 342) > 0.1  # the value stays


def test_a_bold_word_is_no_frame():
    """A large word's ink fills its box's middle, not a band along its sides: it stays."""
    image = card()
    write(image, "UnitedHealthcare", 60, 120, 40, scale=2.4, thickness=8)
    binary = prepare_for_ocr(image)
    assert ink_share(binary, 60, 70, 700, 125) > 0.15


@pytest.mark.parametrize("degrees", [0, 45, 90, 150])
def test_motion_kernel_is_a_line_in_its_direction(degrees):
    kernel = motion_kernel(9, degrees)
    assert kernel.sum() == pytest.approx(1.0)
    ys, xs = np.nonzero(kernel > kernel.max() / 2)
    centre = kernel.shape[0] // 2
    direction = np.array([math.cos(math.radians(degrees)), -math.sin(math.radians(degrees))])
    across = np.abs((xs - centre) * direction[1] - (ys - centre) * direction[0])  # distance off the line
    assert across.max() <= 1.0 and np.hypot(xs - centre, ys - centre).max() >= 3


def test_deblur_with_the_shake_restores_the_text_and_a_wrong_shake_does_not():
    """Text smeared by a known shake comes back close to the original when that shake is taken out; taking
    out a shake across it does less (what the pipeline's search for the shake relies on)."""
    sharp = card(235)
    write(sharp, "MEMBER ID 123456789", 60, 200, 30)
    write(sharp, "GROUP 0042-17", 60, 300, 30, scale=1.0, thickness=2)
    shake = motion_kernel(9, 90)
    blurred = cv2.filter2D(sharp, -1, shake, borderType=cv2.BORDER_REPLICATE)

    def error(image):  # over the text
        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(float)
        return float(np.abs(grey - sharp[..., 0])[150:320, 40:800].mean())

    right, wrong = deblur(blurred, shake), deblur(blurred, motion_kernel(9, 0))
    assert right.shape == sharp.shape and right.dtype == np.uint8
    assert error(right) < 0.9 * error(blurred) < 0.9 * error(wrong)


@pytest.mark.parametrize("degrees", [0, 30, 60, 90, 120, 165])
def test_the_direction_of_a_shake_is_measured_from_the_smear(degrees):
    """A card smeared by a straight shake changes least along it: the direction measured is within 20
    degrees of the shake's (the text's own strokes bias it), whichever way the shake went."""
    sharp = card(235)
    for row, text in enumerate(["MEMBER ID 123456789", "GROUP 0042-17", "Rx BIN 610279  PCN 9999", "JANE Q SMITH"]):
        write(sharp, text, 60, 150 + 110 * row, 30)
    blurred = cv2.filter2D(sharp, -1, motion_kernel(11, degrees), borderType=cv2.BORDER_REPLICATE)
    apart = abs(shake_direction(blurred) - degrees) % 180
    assert min(apart, 180 - apart) <= 20
