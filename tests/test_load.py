"""card_reader.load.load_image: every accepted format, orientation, transparency, PDFs and every bad-input error.

All images are synthesised here (numpy / Pillow / pillow-heif / OpenCV) into tmp_path or memory; no image
files are committed. """

from __future__ import annotations

import io
import struct
import subprocess
import sys
import time
import warnings
import zlib
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import pillow_heif
import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from card_reader import load as load_module
from card_reader.errors import (DecompressionBomb, ImageEmpty, ImageNotFound, ImageTooLarge, ImageTruncated, InputError,
                                NotAnImage, UnsupportedFormat, error_code)
from card_reader.load import LoadedImage, load_image

pillow_heif.register_heif_opener()  # so the helpers below can *write* HEIC; load.py registers it for reading itself

WIDTH, HEIGHT = 96, 64  # landscape, so a missed or extra 90-degree turn shows in the shape
SECRET = b"JANE Q DOE 912345678"  # stands in for PHI inside a file; must never reach an error message
PRIVATE_DIR = "PATIENT-JANE-DOE"  # a directory name that must never reach an error message
EXIF_ORIENTATION = 0x0112
STORED_FROM_UPRIGHT = {  # numpy op giving the stored pixels for an upright image, per EXIF orientation
    1: lambda a: a,
    2: lambda a: a[:, ::-1],
    3: lambda a: np.rot90(a, 2),
    4: lambda a: a[::-1],
    5: lambda a: a.transpose(1, 0, 2),
    6: lambda a: np.rot90(a, 1),  # the viewer turns it 90 degrees clockwise, so it is stored turned anticlockwise
    7: lambda a: np.rot90(a, 2).transpose(1, 0, 2),
    8: lambda a: np.rot90(a, -1),
}
ROTATION = {1: 0, 2: 0, 3: 180, 4: 180, 5: 90, 6: 90, 7: 270, 8: 270}


# --- helpers ---------------------------------------------------------------------------------------------------------
def card_array(width: int = WIDTH, height: int = HEIGHT) -> np.ndarray:
    """An RGB card: white, red block top-left, green top-right, blue bottom-right (no symmetry survives a turn)."""
    a = np.full((height, width, 3), 255, np.uint8)
    b = height // 4
    a[:b, :b] = (255, 0, 0)
    a[:b, -b:] = (0, 255, 0)
    a[-b:, -b:] = (0, 0, 255)
    return a


def colour_at(pixels: np.ndarray, y: int, x: int) -> str:
    """Name the colour of a BGR pixel patch, tolerant of lossy codecs."""
    b, g, r = pixels[max(y - 2, 0):y + 3, max(x - 2, 0):x + 3].reshape(-1, 3).mean(axis=0)
    hi, lo = 170, 90
    if r > hi and g < lo and b < lo:
        return "red"
    if g > hi and r < lo and b < lo:
        return "green"
    if b > hi and r < lo and g < lo:
        return "blue"
    if min(r, g, b) > 220:
        return "white"
    if max(r, g, b) < 40:
        return "black"
    if 100 < min(r, g, b) and max(r, g, b) < 156 and max(r, g, b) - min(r, g, b) < 12:
        return "grey"
    return f"other{(int(b), int(g), int(r))}"


def assert_upright_card(pixels: np.ndarray) -> None:
    """The card_array layout, in BGR, the right way up (at whatever scale it came back)."""
    h, w = pixels.shape[:2]
    assert w > h, f"expected landscape, got {w}x{h}"
    b = h // 8  # centre of a marker block
    assert colour_at(pixels, b, b) == "red"
    assert colour_at(pixels, b, w - 1 - b) == "green"
    assert colour_at(pixels, h - 1 - b, w - 1 - b) == "blue"
    assert colour_at(pixels, h - 1 - b, b) == "white"
    assert colour_at(pixels, h // 2, w // 2) == "white"


def encode(image: Image.Image | np.ndarray, fmt: str, orientation: int | None = None, **kwargs) -> bytes:
    """Encode with Pillow; an EXIF orientation is written as raw EXIF (pillow-heif then writes irot as iPhones do)."""
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image)
    if orientation is not None:
        exif = Image.Exif()
        exif[EXIF_ORIENTATION] = orientation
        kwargs["exif"] = exif.tobytes()
    if fmt == "JPEG":
        kwargs.setdefault("quality", 95)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def noise_array(seed: int = 1) -> np.ndarray:
    """Incompressible pixels, so that half of the file is half of the image data."""
    return np.random.default_rng(seed).integers(0, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares width x height RGB pixels but carries almost no data: a bomb costs nothing to make."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


def pdf_bytes(*pages: np.ndarray, resolution: float = 150) -> bytes:
    """A PDF with one image per page, as a scanner would produce."""
    first, *rest = [Image.fromarray(p) for p in pages]
    buffer = io.BytesIO()
    first.save(buffer, "PDF", resolution=resolution, save_all=bool(rest), append_images=rest)
    return buffer.getvalue()


def empty_pdf_bytes() -> bytes:
    """A well-formed PDF whose page tree has no pages."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 3\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref


@lru_cache(maxsize=1)
def twelve_megapixel_jpeg() -> bytes:
    """A 4032x3024 photo, the size of an ordinary phone camera shot (encoded once per run)."""
    a = np.full((3024, 4032, 3), 235, np.uint8)
    a[:200, :200] = (255, 0, 0)
    return encode(a, "JPEG", quality=80)


@pytest.fixture(autouse=True)
def _restore_pillow_limit():
    """load_image writes Pillow's global bomb limit; put it back so no test depends on another's max_pixels."""
    before = Image.MAX_IMAGE_PIXELS
    yield
    Image.MAX_IMAGE_PIXELS = before


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A directory whose name must never appear in an error message."""
    d = tmp_path / PRIVATE_DIR
    d.mkdir()
    return d


@pytest.fixture
def good_png(folder: Path) -> Path:
    """A valid card PNG on disk, to show that loading still works."""
    p = folder / "good.png"
    p.write_bytes(encode(card_array(), "PNG"))
    return p


# --- good inputs -----------------------------------------------------------------------------------------------------
ACCEPTED = [("JPEG", ".jpg"), ("PNG", ".png"), ("WEBP", ".webp"), ("TIFF", ".tiff"), ("BMP", ".bmp"), ("HEIF", ".heic")]


@pytest.mark.parametrize("fmt,suffix", ACCEPTED, ids=[f for f, _ in ACCEPTED])
def test_each_accepted_format_loads_as_bgr(folder, fmt, suffix):
    """Every accepted format decodes to HxWx3 uint8 BGR with the right metadata (red must land in channel 2)."""
    path = folder / f"card{suffix}"
    path.write_bytes(encode(card_array(), fmt))
    result = load_image(path)
    assert isinstance(result, LoadedImage)
    assert result.format == fmt
    assert result.pixels.shape == (HEIGHT, WIDTH, 3)
    assert result.pixels.dtype == np.uint8
    assert result.pixels.flags["C_CONTIGUOUS"]
    assert result.exif_rotation == 0
    assert result.original_size == (WIDTH, HEIGHT)
    red = result.pixels[:HEIGHT // 4 - 3, :HEIGHT // 4 - 3].reshape(-1, 3).mean(axis=0)
    assert red[2] > 200 and red[0] < 60 and red[1] < 60, f"not BGR: red block reads {red}"
    assert_upright_card(result.pixels)


@pytest.mark.parametrize("wrap", [bytes, bytearray, str, Path], ids=["bytes", "bytearray", "str-path", "Path"])
def test_every_source_type_gives_the_same_pixels(good_png, wrap):
    """Bytes (an upload) and both kinds of path decode identically."""
    source = wrap(good_png.read_bytes()) if wrap in (bytes, bytearray) else wrap(good_png)
    result = load_image(source)
    assert result.format == "PNG"
    np.testing.assert_array_equal(result.pixels, cv2.imread(str(good_png), cv2.IMREAD_COLOR))


def test_mpo_from_a_camera_loads_its_first_frame():
    """MPO (multi-picture JPEG, as some cameras write) is accepted and the primary picture is used."""
    first, second = card_array(), np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    data = encode(first, "MPO", save_all=True, append_images=[Image.fromarray(second)])
    result = load_image(data)
    assert result.format == "MPO"
    assert_upright_card(result.pixels)


def test_grayscale_png_becomes_three_equal_channels():
    """An 8-bit grey scan keeps its tones and is widened to three identical channels."""
    ramp = np.tile(np.linspace(0, 255, WIDTH).astype(np.uint8), (HEIGHT, 1))
    result = load_image(encode(ramp, "PNG"))
    assert result.pixels.shape == (HEIGHT, WIDTH, 3)
    assert (result.pixels == result.pixels[..., :1]).all(), "the three channels must be identical"
    np.testing.assert_array_equal(result.pixels[..., 0], ramp)


def test_one_bit_png_is_black_and_white():
    """A bilevel fax-style scan comes out as 0/255, not as 0/1."""
    bits = np.zeros((HEIGHT, WIDTH), bool)
    bits[:, WIDTH // 2:] = True
    result = load_image(encode(Image.fromarray(bits), "PNG"))
    assert colour_at(result.pixels, HEIGHT // 2, 5) == "black"
    assert colour_at(result.pixels, HEIGHT // 2, WIDTH - 5) == "white"


def _grey16(fmt: str, big_endian: bool = False) -> bytes:
    ramp = np.tile(np.linspace(0, 65535, WIDTH).astype(np.uint16), (HEIGHT, 1))
    if big_endian:  # Pillow writes an "MM" (Motorola) TIFF from this mode, as some scanners do
        return encode(Image.frombytes("I;16B", (WIDTH, HEIGHT), ramp.astype(">u2").tobytes()), fmt)
    return encode(Image.fromarray(ramp), fmt)


@pytest.mark.parametrize("data", [
    pytest.param(lambda: _grey16("PNG"), id="png"),
    pytest.param(lambda: _grey16("TIFF"), id="tiff-little-endian"),
    pytest.param(lambda: _grey16("TIFF", big_endian=True), id="tiff-big-endian"),
])
def test_16_bit_grayscale_is_scaled_not_clipped(data):
    """16-bit grey is divided down to 8 bits; a plain convert would clip nearly everything to white."""
    result = load_image(data())
    grey = result.pixels[0, :, 0].astype(int)
    assert result.pixels.dtype == np.uint8
    assert grey[0] <= 2 and grey[-1] >= 250
    assert 100 <= grey[WIDTH // 2] <= 155, f"mid-tone became {grey[WIDTH // 2]}"
    assert (np.diff(grey) >= 0).all(), "the ramp must stay monotonic"


@pytest.mark.parametrize("alpha", [False, True], ids=["rgb16", "rgba16"])
def test_16_bit_colour_png_keeps_its_colours(alpha):
    """A 16-bit-per-channel PNG (written by OpenCV) comes back as 8-bit BGR with red still red."""
    a = np.zeros((HEIGHT, WIDTH, 4 if alpha else 3), np.uint16)
    a[..., 2] = 65535  # OpenCV is BGR(A): this is red
    if alpha:
        a[..., 3] = 65535
    ok, png = cv2.imencode(".png", a)
    assert ok
    result = load_image(png.tobytes())
    assert result.pixels.dtype == np.uint8
    assert colour_at(result.pixels, HEIGHT // 2, WIDTH // 2) == "red"


def test_palette_png_keeps_its_colours():
    """A palette (P-mode) PNG is expanded to true colour, not to its palette indices."""
    palette_image = Image.fromarray(card_array()).quantize(colors=8)
    assert palette_image.mode == "P"
    result = load_image(encode(palette_image, "PNG"))
    assert_upright_card(result.pixels)


def test_palette_png_transparent_index_becomes_grey():
    """A palette PNG whose background index is transparent flattens onto neutral grey."""
    a = np.zeros((HEIGHT, WIDTH), np.uint8)  # index 0 everywhere ...
    a[16:48, 24:72] = 1  # ... index 1 (red) in the middle
    image = Image.fromarray(a, "P")
    image.putpalette([0, 0, 0, 255, 0, 0] + [0, 0, 0] * 254)
    result = load_image(encode(image, "PNG", transparency=0))
    assert colour_at(result.pixels, 3, 3) == "grey"  # transparent black must not show as black
    assert colour_at(result.pixels, HEIGHT // 2, WIDTH // 2) == "red"


def _rgba_with_clear_corners(mode: str = "RGBA") -> Image.Image:
    a = np.zeros((HEIGHT, WIDTH, 4), np.uint8)
    a[..., 0] = 255  # opaque red card ...
    a[..., 3] = 255
    for ys in (slice(0, 8), slice(-8, None)):
        for xs in (slice(0, 8), slice(-8, None)):
            a[ys, xs] = (0, 0, 0, 0)  # ... with fully transparent (black-under-alpha) rounded corners
    image = Image.fromarray(a, "RGBA")
    return image.convert("LA") if mode == "LA" else image


@pytest.mark.parametrize("fmt,mode,kwargs", [
    ("PNG", "RGBA", {}), ("PNG", "LA", {}), ("WEBP", "RGBA", {"lossless": True}), ("TIFF", "RGBA", {}),
], ids=["png-rgba", "png-la", "webp-rgba", "tiff-rgba"])
def test_transparent_corners_become_grey_not_black(fmt, mode, kwargs):
    """Cut-out card PNGs have clear corners; they must read as a neutral table, never as black ink."""
    result = load_image(encode(_rgba_with_clear_corners(mode), fmt, **kwargs))
    h, w = result.pixels.shape[:2]
    for y, x in [(2, 2), (2, w - 3), (h - 3, 2), (h - 3, w - 3)]:
        assert colour_at(result.pixels, y, x) == "grey", f"corner ({y},{x})"
    if mode == "LA":  # the opaque body is the grey of pure red (luma 76), not washed out to white
        assert np.abs(result.pixels[h // 2, w // 2].astype(int) - 76).max() <= 2
    else:
        assert colour_at(result.pixels, h // 2, w // 2) == "red"


def test_cmyk_jpeg_is_converted_to_bgr():
    """Print-workflow CMYK JPEGs come back as BGR with the right colour."""
    result = load_image(encode(Image.fromarray(card_array()).convert("CMYK"), "JPEG"))
    assert result.pixels.shape == (HEIGHT, WIDTH, 3)
    assert_upright_card(result.pixels)


def test_corrupt_exif_block_is_ignored():
    """A garbage APP1/EXIF segment must not stop a readable photo from loading."""
    jpeg = encode(card_array(), "JPEG")
    payload = b"Exif\0\0II*\0\x08\0\0\0\xff\xff" + bytes(40)  # an IFD claiming 65535 entries
    data = jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]
    with pytest.warns(UserWarning):  # Pillow says "Corrupt EXIF data"
        result = load_image(data)
    assert result.exif_rotation == 0
    assert_upright_card(result.pixels)


def test_twelve_megapixel_photo_loads_with_default_limits():
    """Pillow's bomb guard (set from MAX_PIXELS) must not refuse an ordinary 4032x3024 phone photo."""
    result = load_image(twelve_megapixel_jpeg())
    assert result.pixels.shape == (3024, 4032, 3)
    assert result.original_size == (4032, 3024)
    assert colour_at(result.pixels, 100, 100) == "red"


def test_twelve_megapixel_photo_loads_even_if_pillow_limit_was_lowered(monkeypatch):
    """Another library lowering PIL.Image.MAX_IMAGE_PIXELS must not make load_image refuse a 12 MP photo."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000_000)
    assert load_image(twelve_megapixel_jpeg()).pixels.shape == (3024, 4032, 3)


def test_heic_loads_in_a_fresh_interpreter(folder):
    """load_image registers pillow-heif itself; callers must not have to (this test module registers it)."""
    path = folder / "card.heic"
    path.write_bytes(encode(card_array(), "HEIF"))
    code = ("import sys; from card_reader.load import load_image; r = load_image(sys.argv[1]); "
            "print(r.format, r.pixels.shape)")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["HEIF", f"({HEIGHT},", f"{WIDTH},", "3)"]


# --- EXIF orientation ------------------------------------------------------------------------------------------------
def _sideways(fmt: str, orientation: int) -> bytes:
    """A file whose stored pixels are the card turned/mirrored, with the EXIF tag that undoes it."""
    return encode(np.ascontiguousarray(STORED_FROM_UPRIGHT[orientation](card_array())), fmt, orientation=orientation)


ORIENTATION_CASES = ([("JPEG", o) for o in range(1, 9)]
                     + [(fmt, o) for fmt in ("PNG", "WEBP", "TIFF", "HEIF") for o in (3, 6, 8)])


@pytest.mark.parametrize("fmt,orientation", ORIENTATION_CASES, ids=[f"{f}-{o}" for f, o in ORIENTATION_CASES])
def test_exif_orientation_makes_the_image_upright(fmt, orientation):
    """Whatever way the phone stored it, the returned pixels are the card the right way up."""
    result = load_image(_sideways(fmt, orientation))
    assert result.pixels.shape == (HEIGHT, WIDTH, 3)
    assert_upright_card(result.pixels)


REPORT_CASES = [pytest.param(f, o, id=f"{f}-{o}") for f in ("JPEG", "PNG", "WEBP") for o in (1, 3, 6, 8)]
REPORT_CASES += [pytest.param("JPEG", o, id=f"JPEG-mirrored-{o}") for o in (2, 4, 5, 7)]
# decoders that turn the image themselves (libheif, Pillow's TIFF reader) must still report the tag
REPORT_CASES += [pytest.param(f, o, id=f"{f}-{o}") for f in ("TIFF", "HEIF") for o in (3, 6, 8)]


@pytest.mark.parametrize("fmt,orientation", REPORT_CASES)
def test_exif_rotation_and_stored_size_are_reported(fmt, orientation):
    """exif_rotation is the clockwise turn the tag asked for; original_size is the size as stored in the file."""
    stored = STORED_FROM_UPRIGHT[orientation](card_array())
    result = load_image(_sideways(fmt, orientation))
    assert (result.exif_rotation, result.original_size) == (ROTATION[orientation], (stored.shape[1], stored.shape[0]))


@pytest.mark.parametrize("orientation", [0, 9, 65535])
def test_out_of_range_orientation_is_treated_as_upright(orientation):
    """A nonsense orientation value is ignored rather than guessed at or crashed on."""
    result = load_image(encode(card_array(), "JPEG", orientation=orientation))
    assert result.exif_rotation == 0
    assert_upright_card(result.pixels)


# --- PDF -------------------------------------------------------------------------------------------------------------
def test_pdf_first_page_is_rendered_at_300_dpi(folder):
    """A scanned-card PDF gives its picture back: format PDF, same aspect and colours, 300 dpi (2x a 150 dpi scan)."""
    path = folder / "scan.pdf"
    path.write_bytes(pdf_bytes(card_array(480, 300), resolution=150))
    result = load_image(path)
    assert result.format == "PDF"
    assert result.exif_rotation == 0
    h, w = result.pixels.shape[:2]
    assert abs(w - 960) <= 2 and abs(h - 600) <= 2
    assert result.original_size == (w, h)
    assert abs(w / h - 480 / 300) < 0.01
    assert result.pixels.dtype == np.uint8
    assert_upright_card(result.pixels)


def test_pdf_uses_the_first_page_only():
    """A two-page PDF (front, then something else) yields the front."""
    result = load_image(pdf_bytes(card_array(), np.zeros((HEIGHT, WIDTH, 3), np.uint8)))
    assert_upright_card(result.pixels)


def test_pdf_render_is_scaled_down_to_max_pixels():
    """A large PDF page is rendered smaller rather than allocating past max_pixels (1% slack for rounding)."""
    result = load_image(pdf_bytes(card_array(480, 300)), max_pixels=100_000)
    h, w = result.pixels.shape[:2]
    assert w * h <= 100_000 * 1.01
    assert w * h >= 100_000 * 0.9, "it should still use most of the budget"
    assert_upright_card(result.pixels)


def test_damaged_pdf_is_truncated():
    """A PDF cut in half (or with garbage after the header) is reported as damaged, not as a crash."""
    data = pdf_bytes(card_array())
    for bad in (data[:len(data) // 2], b"%PDF-1.4\nnot really a pdf"):
        with pytest.raises(ImageTruncated) as info:
            load_image(bad)
        assert info.value.code == "image_truncated"


def test_pdf_without_pages_is_refused_as_unreadable():
    """PDFium will not open a PDF without pages; card-reader reports it as unreadable (decided, see load.py)."""
    with pytest.raises(ImageTruncated, match="no pages"):
        load_image(empty_pdf_bytes())


# --- bad inputs ------------------------------------------------------------------------------------------------------
def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def _truncated(fmt: str, **kwargs) -> bytes:
    data = encode(noise_array(), fmt, **kwargs)
    return data[:len(data) // 2]


def _random_bytes() -> bytes:
    rng = np.random.default_rng(7)
    noise = rng.integers(0, 256, 4096, dtype=np.uint8).tobytes()
    return noise[:2048] + SECRET + noise[2048:]


def _png_with_secret(array: np.ndarray) -> bytes:
    info = PngInfo()
    info.add_text("Comment", SECRET.decode())
    return encode(array, "PNG", pnginfo=info)


def _missing(folder: Path) -> Path:
    return folder / "missing.jpg"


def _directory(folder: Path) -> Path:
    d = folder / "front.jpg"
    d.mkdir()
    return d


# name -> (make(folder) -> (source, kwargs), expected class, expected stable code)
BAD_INPUTS = {
    "empty-path": (lambda d: (_write(d, "empty.jpg", b""), {}), ImageEmpty, "image_empty"),
    "empty-bytes": (lambda d: (b"", {}), ImageEmpty, "image_empty"),
    "truncated-jpeg": (lambda d: (_write(d, "cut.jpg", _truncated("JPEG", comment=SECRET)), {}),
                       ImageTruncated, "image_truncated"),
    "truncated-png": (lambda d: (_png_with_secret(noise_array())[:10_000], {}), ImageTruncated, "image_truncated"),
    "truncated-webp": (lambda d: (_truncated("WEBP"), {}), ImageTruncated, "image_truncated"),
    "truncated-tiff": (lambda d: (_truncated("TIFF"), {}), ImageTruncated, "image_truncated"),
    "truncated-bmp": (lambda d: (_truncated("BMP"), {}), ImageTruncated, "image_truncated"),
    "truncated-heic": (lambda d: (_truncated("HEIF"), {}), ImageTruncated, "image_truncated"),
    "random-bytes": (lambda d: (_random_bytes(), {}), NotAnImage, "not_an_image"),
    "text-file": (lambda d: (_write(d, "card.jpg", b"Member: " + SECRET + b"\n" * 50), {}), NotAnImage, "not_an_image"),
    "too-small": (lambda d: (encode(np.zeros((8, 8, 3), np.uint8), "PNG"), {}), NotAnImage, "not_an_image"),
    "gif": (lambda d: (_write(d, "card.gif", encode(card_array(), "GIF", comment=SECRET)), {}),
            UnsupportedFormat, "unsupported_format"),
    "ico": (lambda d: (encode(card_array(), "ICO"), {}), UnsupportedFormat, "unsupported_format"),
    "pcx": (lambda d: (encode(card_array(), "PCX"), {}), UnsupportedFormat, "unsupported_format"),
    "ppm": (lambda d: (encode(card_array(), "PPM"), {}), UnsupportedFormat, "unsupported_format"),
    "tga": (lambda d: (encode(card_array(), "TGA"), {}), UnsupportedFormat, "unsupported_format"),
    "bomb-header": (lambda d: (_write(d, "bomb.png", png_header_only(20_000, 20_000)), {}),
                    DecompressionBomb, "decompression_bomb"),
    "bomb-max-pixels": (lambda d: (_png_with_secret(card_array()), {"max_pixels": WIDTH * HEIGHT - 1}),
                        DecompressionBomb, "decompression_bomb"),
    "too-large-path": (lambda d: (_write(d, "big.png", _png_with_secret(card_array())), {"max_bytes": 100}),
                       ImageTooLarge, "image_too_large"),
    "too-large-bytes": (lambda d: (_png_with_secret(card_array()), {"max_bytes": 100}),
                        ImageTooLarge, "image_too_large"),
    "missing-path": (lambda d: (_missing(d), {}), ImageNotFound, "image_not_found"),
    "directory": (lambda d: (_directory(d), {}), ImageNotFound, "image_not_found"),
    "damaged-pdf": (lambda d: (b"%PDF-1.7\n" + SECRET + b"\n%%EOF", {}), ImageTruncated, "image_truncated"),
}


@pytest.fixture(params=list(BAD_INPUTS))
def bad_input(request, folder):
    """(source, kwargs, expected class, expected code) for one kind of unusable upload."""
    make, cls, code = BAD_INPUTS[request.param]
    source, kwargs = make(folder)
    return source, kwargs, cls, code


def test_bad_input_raises_its_typed_error(bad_input):
    """Each kind of bad upload raises its own InputError subclass with its stable code and CLI exit code 3."""
    source, kwargs, cls, code = bad_input
    with pytest.raises(InputError) as info:
        load_image(source, **kwargs)
    exc = info.value
    assert type(exc) is cls, f"{type(exc).__name__}: {exc}"
    assert exc.code == code == error_code(exc)
    assert exc.exit_code == 3


def test_bad_input_error_does_not_leak(bad_input, caplog):
    """No chained Pillow/OS traceback, no file bytes, no directory path, in the message or the logs."""
    source, kwargs, cls, _ = bad_input
    caplog.set_level("DEBUG")
    with pytest.raises(cls) as info:
        load_image(source, **kwargs)
    exc = info.value
    assert exc.__cause__ is None
    assert exc.__context__ is None or exc.__suppress_context__, f"chained to {exc.__context__!r}"
    text = f"{exc} {exc.args!r} {exc.message}"
    assert exc.message and len(exc.message) < 200
    assert SECRET.decode() not in text and SECRET.decode() not in caplog.text
    assert PRIVATE_DIR not in text and PRIVATE_DIR not in caplog.text
    if isinstance(source, bytes) and len(source) >= 16:
        assert source[:16].decode("latin-1") not in text


def test_good_input_still_loads_after_bad_input(bad_input, good_png):
    """A refused upload leaves nothing broken (Pillow limits, plugins, warning filters) for the next one."""
    source, kwargs, cls, _ = bad_input
    with pytest.raises(cls):
        load_image(source, **kwargs)
    assert_upright_card(load_image(good_png).pixels)
    assert load_image(twelve_megapixel_jpeg()).pixels.shape == (3024, 4032, 3)


@pytest.mark.parametrize("fmt", ["GIF", "ICO", "PCX"])
def test_unsupported_format_message_names_the_format(fmt):
    """The person is told what they sent and what to send instead."""
    with pytest.raises(UnsupportedFormat) as info:
        load_image(encode(card_array(), fmt))
    assert fmt in str(info.value) and "JPEG" in str(info.value)


@pytest.mark.parametrize("size", [(20_000, 20_000), (12_000, 12_000), (9_000, 8_000), (8_001, 8_000)],
                         ids=["400MP-header", "144MP", "72MP", "just-over-64MP"])
def test_decompression_bomb_is_refused_from_the_header_quickly(size):
    """Bombs are refused before decoding, both above 2x the limit (Pillow's error) and just over it (its warning)."""
    if size == (20_000, 20_000):
        data = png_header_only(*size)
    else:  # a real, fully decodable 1-bit PNG: tiny on disk, huge in memory
        data = encode(Image.new("1", size), "PNG")
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught, pytest.raises(DecompressionBomb) as info:
        warnings.simplefilter("always")
        load_image(data)
    assert time.perf_counter() - start < 1.0
    assert not caught, "Pillow's DecompressionBombWarning must become the typed error, not also leak as a warning"
    assert info.value.code == "decompression_bomb"
    assert "64,000,000" in str(info.value)


def test_max_pixels_boundary():
    """max_pixels is inclusive: exactly at the limit loads, one pixel over is a bomb (and says the limit)."""
    data = encode(card_array(), "PNG")
    assert load_image(data, max_pixels=WIDTH * HEIGHT).pixels.shape == (HEIGHT, WIDTH, 3)
    for limit in (WIDTH * HEIGHT - 1, WIDTH * HEIGHT // 2 + 1, 100):  # between 1x-2x of the limit and far over it
        with pytest.raises(DecompressionBomb) as info:
            load_image(data, max_pixels=limit)
        assert f"{limit:,}" in str(info.value)


def test_max_bytes_boundary(good_png):
    """max_bytes is inclusive for both paths and uploads."""
    size = good_png.stat().st_size
    for source in (good_png, good_png.read_bytes()):
        assert load_image(source, max_bytes=size).format == "PNG"
        with pytest.raises(ImageTooLarge):
            load_image(source, max_bytes=size - 1)


def test_oversized_file_is_refused_without_reading_it(good_png, monkeypatch):
    """The size limit is checked from stat() before the file is read into memory."""
    def refuse(self):
        raise AssertionError("the file was read")

    size = good_png.stat().st_size
    monkeypatch.setattr(Path, "read_bytes", refuse)
    for limit in (size - 1, 10):
        with pytest.raises(ImageTooLarge):
            load_image(good_png, max_bytes=limit)


def test_default_byte_limit_refuses_an_upload_over_40_mb():
    """The default max_bytes is MAX_FILE_BYTES (40 MiB); one byte over is refused before decoding."""
    assert load_module.MAX_FILE_BYTES == 40 * 1024 * 1024
    with pytest.raises(ImageTooLarge):
        load_image(b"\xff\xd8\xff" + bytes(load_module.MAX_FILE_BYTES))


def test_pillow_global_limit_is_not_left_changed():
    """A per-call max_pixels must not leak into Pillow's global guard for unrelated code."""
    load_image(encode(card_array(), "PNG"), max_pixels=10_000)
    with Image.open(io.BytesIO(twelve_megapixel_jpeg())) as other:  # some other code in the same process
        assert other.size == (4032, 3024)
