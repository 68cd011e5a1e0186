"""Load an upload into upright pixels, or raise a typed error saying why it cannot be used.

Every check that can be made before decoding is made before decoding: the byte size, the format,
and the declared pixel count (a decompression bomb is refused from its header). Decoding goes
through Pillow (with pillow-heif for iPhone HEIC), the EXIF orientation tag is applied, and
transparency is flattened onto neutral grey: transparent corners must not read as black ink, and
a cut-out card's surroundings must differ from the card (most cards are white) for its outline to be found.
"""

from __future__ import annotations

import io
import os
import threading
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional, Union

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import (DecompressionBomb, ImageEmpty, ImageNotFound, ImageTooLarge, ImageTruncated, NotAnImage,
                     UnsupportedFormat)

MAX_FILE_BYTES = 40 * 1024 * 1024  # a 48 MP HEIC or an uncompressed 12 MP TIFF fits
MAX_PIXELS = 64_000_000  # above any phone camera; Pillow's own bomb guard is set to the same
PDF_RENDER_DPI = 300
TRANSPARENT_BACKGROUND = (128, 128, 128)  # RGB under transparent pixels: unlike a card (mostly white) or ink
PREVIEW_SIDE = 640  # an image four times longer than this comes with a preview a quarter or an eighth its size

# Pillow format names we accept (HEIF covers HEIC/HEIF via pillow-heif)
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "TIFF", "BMP", "HEIF", "MPO"})

_EXIF_ORIENTATION = 0x0112
_ROTATION_BY_ORIENTATION = {1: 0, 2: 0, 3: 180, 4: 180, 5: 90, 6: 90, 7: 270, 8: 270}

_heif_registered = False
_PILLOW_LIMIT_LOCK = threading.Lock()


def _register_heif() -> None:
    global _heif_registered
    if not _heif_registered:
        from pillow_heif import register_heif_opener

        register_heif_opener()
        _heif_registered = True


@dataclass(frozen=True)
class LoadedImage:
    """An upright BGR image (uint8, 3 channels) and what was learnt while loading it."""

    pixels: np.ndarray
    format: str
    exif_rotation: int  # degrees clockwise the EXIF tag asked for (and that were applied)
    original_size: tuple[int, int]  # width, height as stored in the file
    preview: Optional[np.ndarray] = None  # a quarter- or eighth-size copy of a large image, for finding the card

    @staticmethod
    def of(pixels: np.ndarray, fmt: str, exif_rotation: int, original_size: tuple[int, int]) -> "LoadedImage":
        """With a preview when the image is large: shrinking by a whole factor, averaging pixel blocks, is
        several times cheaper than by an arbitrary one (or than asking the JPEG decoder a second time)."""
        h, w = pixels.shape[:2]
        factor = 8 if max(h, w) >= 8 * PREVIEW_SIDE else 4 if max(h, w) >= 4 * PREVIEW_SIDE else 1
        preview = None if factor == 1 else cv2.resize(pixels, (w // factor, h // factor), interpolation=cv2.INTER_AREA)
        return LoadedImage(pixels, fmt, exif_rotation, original_size, preview)


ImageSource = Union[str, "os.PathLike[str]", bytes]


def load_image(source: ImageSource, *, max_bytes: int = MAX_FILE_BYTES, max_pixels: int = MAX_PIXELS) -> LoadedImage:
    """Decode a path or bytes into upright BGR pixels, with a typed error for every bad input."""
    data = _read_bytes(source, max_bytes)
    name = Path(source).name if not isinstance(source, (bytes, bytearray)) else "upload"
    if data[:5] == b"%PDF-":
        return _load_pdf(data, name, max_pixels)
    _register_heif()
    try:
        with _pillow_guard_off(), warnings.catch_warnings():
            # Pillow's own guard uses a process-wide limit; ours is per call and checked just below
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            fmt = image.format or "unknown"
            if fmt not in ACCEPTED_FORMATS:
                raise UnsupportedFormat(f"{name} is a {fmt} image; send JPEG, PNG, WebP, TIFF, BMP or HEIC")
            width, height = image.size
            if width * height > max_pixels:
                raise DecompressionBomb(f"{name} declares {width}x{height} pixels, over the limit of {max_pixels:,}")
            if width < 16 or height < 16:
                raise NotAnImage(f"{name} is only {width}x{height} pixels: too small to hold a card")
            # some decoders turn the image themselves (libheif at open, Pillow's TIFF reader at load)
            # and then reset the tag: read what the file declared before that happens
            orientation = int(image.info.get("original_orientation") or image.getexif().get(_EXIF_ORIENTATION, 1))
            if fmt in ("JPEG", "MPO") and image.mode in ("RGB", "L") and _jpeg_complete(data):
                return _load_jpeg(data, fmt, orientation, (width, height))
            image.load()
    except Image.DecompressionBombError:
        raise DecompressionBomb(f"{name} declares more pixels than the limit of {max_pixels:,}") from None
    except UnidentifiedImageError:
        raise NotAnImage(f"{name} is not an image card-reader can read") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageTruncated(f"{name} is cut short or corrupt ({type(exc).__name__})") from None
    rotation = _ROTATION_BY_ORIENTATION.get(orientation, 0)
    already_turned = fmt == "HEIF" or image.getexif().get(_EXIF_ORIENTATION, 1) != orientation
    stored_size = (height, width) if already_turned and rotation in (90, 270) else (width, height)
    upright = ImageOps.exif_transpose(image)
    return LoadedImage.of(_to_bgr(upright), fmt, rotation, stored_size)


def _jpeg_complete(data: bytes) -> bool:
    """Whether a JPEG ends with its end-of-image marker (libjpeg decodes a cut file without complaint)."""
    return data.rstrip(b"\0").endswith(b"\xff\xd9")


def _load_jpeg(data: bytes, fmt: str, orientation: int, stored_size: tuple[int, int]) -> LoadedImage:
    """The common phone photo, decoded by libjpeg-turbo straight to BGR (no intermediate copies)."""
    pixels = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
    if pixels is None:
        raise ImageTruncated("the JPEG file is cut short or corrupt")
    return LoadedImage.of(_apply_orientation(pixels, orientation), fmt, _ROTATION_BY_ORIENTATION.get(orientation, 0),
                          stored_size)


def _apply_orientation(pixels: np.ndarray, orientation: int) -> np.ndarray:
    """The pixels shown as the EXIF Orientation tag asks (turns and mirrors), as Pillow's exif_transpose does."""
    if orientation in (2, 4, 5, 7):
        pixels = cv2.flip(pixels, 1)  # mirrored first, then turned: 2 -> 1, 4 -> 3, 5 -> 8, 7 -> 6
        orientation = {2: 1, 4: 3, 5: 8, 7: 6}[orientation]
    turn = {3: cv2.ROTATE_180, 6: cv2.ROTATE_90_CLOCKWISE, 8: cv2.ROTATE_90_COUNTERCLOCKWISE}.get(orientation)
    return cv2.rotate(pixels, turn) if turn is not None else pixels


@contextmanager
def _pillow_guard_off() -> Iterator[None]:
    """Pillow's process-wide pixel limit, lifted while we open a file (our own per-call limit applies)."""
    with _PILLOW_LIMIT_LOCK:
        saved = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = None
        try:
            yield
        finally:
            Image.MAX_IMAGE_PIXELS = saved


def _read_bytes(source: ImageSource, max_bytes: int) -> bytes:
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    else:
        path = Path(source)
        try:
            size = path.stat().st_size
        except OSError:
            raise ImageNotFound(f"{path.name} does not exist or cannot be opened") from None
        if not path.is_file():
            raise ImageNotFound(f"{path.name} is not a file")
        if size > max_bytes:
            raise ImageTooLarge(f"{path.name} is {size / 1e6:.1f} MB, over the limit of {max_bytes / 1e6:.0f} MB")
        try:
            data = path.read_bytes()
        except OSError:
            raise ImageNotFound(f"{path.name} cannot be read") from None
    if not data:
        raise ImageEmpty("the file is empty")
    if len(data) > max_bytes:
        raise ImageTooLarge(f"the upload is {len(data) / 1e6:.1f} MB, over the limit of {max_bytes / 1e6:.0f} MB")
    return data


def _to_bgr(image: Image.Image) -> np.ndarray:
    """Flatten any mode to 8-bit BGR; transparency goes onto neutral grey, a table unlike card or ink."""
    if image.mode.startswith("I") or image.mode == "F":  # 16-bit or float grey, as scanners write
        values = np.asarray(image, dtype=np.float64)
        top = 1.0 if image.mode == "F" and values.max(initial=0) <= 1.0 else (65535.0 if values.max(initial=0) > 255 else 255.0)
        image = Image.fromarray(np.clip(values * (255.0 / top), 0, 255).astype(np.uint8), "L")
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA"):
        rgba = image.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, TRANSPARENT_BACKGROUND)
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        image = canvas
    rgb = np.asarray(image.convert("RGB"))
    return np.ascontiguousarray(rgb[:, :, ::-1])


def _load_pdf(data: bytes, name: str, max_pixels: int) -> LoadedImage:
    """The first page of a scanned PDF, rendered at 300 dpi (pypdfium2: Chrome's PDF renderer)."""
    try:
        import pypdfium2 as pdfium
    except ImportError:  # pragma: no cover - declared in pyproject
        raise UnsupportedFormat("PDF support needs pypdfium2") from None
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:  # PDFium refuses a PDF without pages the same way
        raise ImageTruncated(f"{name} is a damaged PDF or has no pages") from None
    try:
        page = document[0]
        width_pt, height_pt = page.get_size()
        scale = PDF_RENDER_DPI / 72
        if width_pt * height_pt * scale * scale > max_pixels:
            scale = (max_pixels / (width_pt * height_pt)) ** 0.5
        image = page.render(scale=scale).to_pil()
    finally:
        document.close()
    return LoadedImage.of(_to_bgr(image), "PDF", 0, image.size)
