"""Turning a flat card side into an uploaded file: a scan, a screenshot, a transparent PNG or a phone photo.

Photos put the card on a procedurally drawn table (wood, fabric, tablecloth, plain dark/light/white),
turn and tilt it, cast a shadow, light it unevenly, add glare, blur, sensor noise and JPEG loss, and may
store it sideways or rotated only by the EXIF Orientation tag. Degradations are scaled to the card's
size in the photo so a person can still read every hard case.
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass, field
from typing import Optional

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

PHOTO_SIZES = [(1600, 1200), (1600, 1200), (1280, 960), (1280, 960), (1440, 1080), (1200, 1600), (960, 1280)]
TWELVE_MP = (4032, 3024)
ORIENTATION_TRANSPOSE = {  # EXIF orientation -> how to store upright pixels so a viewer shows them upright
    6: Image.Transpose.ROTATE_90,   # viewer turns 90 clockwise
    8: Image.Transpose.ROTATE_270,  # viewer turns 90 counter-clockwise
    3: Image.Transpose.ROTATE_180,
}
SIDEWAYS = {  # variation -> pixels turned, with no EXIF to fix them
    "sideways_90": Image.Transpose.ROTATE_270,   # turned 90 degrees clockwise
    "sideways_270": Image.Transpose.ROTATE_90,   # turned 90 degrees counter-clockwise
    "upside_down_180": Image.Transpose.ROTATE_180,
}


@dataclass
class Upload:
    """One file the client uploads: the image, its format and the variations it carries."""

    image: Image.Image
    ext: str  # png | jpg | heic
    quality: int = 90
    exif_orientation: Optional[int] = None
    variations: list[str] = field(default_factory=list)
    # each card's corners (top-left, top-right, bottom-right, bottom-left of the upright card) on the
    # picture as a viewer shows it (EXIF applied): the truth the locate stage is measured against
    outlines: list[list[list[float]]] = field(default_factory=list)

    def encode(self) -> bytes:
        buf = io.BytesIO()
        kw = {}
        if self.exif_orientation:  # the tag that shows the stored pixels upright (JPEG and HEIC alike)
            exif = Image.Exif()
            exif[0x0112] = self.exif_orientation
            kw["exif"] = exif.tobytes()
        if self.ext == "png":
            self.image.save(buf, format="PNG", optimize=False, compress_level=6)
        elif self.ext == "jpg":
            self.image.convert("RGB").save(buf, format="JPEG", quality=self.quality, **kw)
        elif self.ext == "heic":
            import pillow_heif
            pillow_heif.register_heif_opener()
            self.image.convert("RGB").save(buf, format="HEIF", quality=self.quality, **kw)
        else:
            raise ValueError(self.ext)
        return buf.getvalue()


# ---------------------------------------------------------------- backgrounds

def smooth_noise(nrng: np.random.Generator, w: int, h: int, cell: int) -> np.ndarray:
    """Low-frequency noise in [0, 1]: random values on a coarse grid, upsampled."""
    gw, gh = max(2, w // cell + 2), max(2, h // cell + 2)
    g = nrng.random((gh, gw), dtype=np.float32)
    return cv2.resize(g, (w, h), interpolation=cv2.INTER_CUBIC).clip(0, 1)


def make_background(kind: str, w: int, h: int, rng: random.Random, nrng: np.random.Generator) -> np.ndarray:
    """A table surface as float32 HxWx3 in 0..255."""
    # Draw at most ~1600 px wide and upsample: textures need no more detail, and 12 MP stays fast.
    f = min(1.0, 1600 / max(w, h))
    sw, sh = max(8, int(w * f)), max(8, int(h * f))
    yy, xx = np.mgrid[0:sh, 0:sw].astype(np.float32)
    if kind == "wood":
        base = np.array(rng.choice([(150, 100, 60), (120, 80, 45), (185, 140, 95), (95, 60, 35)]), np.float32)
        warp = smooth_noise(nrng, sw, sh, 90) * 40 + smooth_noise(nrng, sw, sh, 25) * 6
        freq = rng.uniform(0.05, 0.12)
        if rng.random() < 0.5:
            xx, yy = yy, xx
        rings = 0.5 + 0.5 * np.sin((yy + warp) * freq)
        fine = smooth_noise(nrng, sw, sh, 3)
        shade = 0.78 + 0.17 * rings + 0.08 * fine
        img = base[None, None, :] * shade[..., None]
    elif kind == "fabric":
        base = np.array(rng.choice([(70, 90, 140), (140, 60, 60), (90, 110, 80), (160, 150, 130), (60, 60, 65)]),
                        np.float32)
        p = rng.uniform(3, 6)
        weave = 0.5 + 0.25 * np.sin(xx * 2 * math.pi / p) * np.sin(yy * 2 * math.pi / p)
        img = base[None, None, :] * (0.8 + 0.25 * weave + 0.1 * smooth_noise(nrng, sw, sh, 40))[..., None]
    elif kind == "tablecloth":
        c1 = np.array(rng.choice([(200, 40, 40), (40, 80, 160), (40, 120, 70), (220, 160, 40)]), np.float32)
        c2 = np.array((240, 238, 230), np.float32)
        cell = rng.randint(28, 60)
        a = ((xx // cell) % 2).astype(np.float32)
        b = ((yy // cell) % 2).astype(np.float32)
        t = (a + b) / 2  # gingham: 0, 0.5, 1
        img = c2[None, None] * (1 - t[..., None]) + c1[None, None] * t[..., None]
        img = img * (0.92 + 0.08 * smooth_noise(nrng, sw, sh, 6))[..., None]
    elif kind == "noise_texture":
        base = np.array(rng.choice([(130, 130, 125), (170, 160, 150), (90, 95, 100), (200, 195, 185)]), np.float32)
        n = 0.6 * smooth_noise(nrng, sw, sh, 60) + 0.4 * smooth_noise(nrng, sw, sh, 8)
        img = base[None, None] * (0.75 + 0.4 * n)[..., None]
    elif kind == "dark_plain":
        base = np.array(rng.choice([(35, 35, 40), (25, 30, 45), (50, 40, 35), (20, 20, 20)]), np.float32)
        img = base[None, None] * (0.9 + 0.2 * smooth_noise(nrng, sw, sh, 200))[..., None]
    elif kind == "light_plain":
        base = np.array(rng.choice([(215, 210, 200), (200, 205, 210), (225, 220, 205), (190, 195, 190)]), np.float32)
        img = base[None, None] * (0.93 + 0.1 * smooth_noise(nrng, sw, sh, 200))[..., None]
    elif kind == "white_plain":
        base = np.array(rng.choice([(248, 248, 246), (252, 252, 252), (244, 245, 247)]), np.float32)
        img = base[None, None] * (0.97 + 0.03 * smooth_noise(nrng, sw, sh, 200))[..., None]
    else:
        raise ValueError(kind)
    img = img.astype(np.float32)
    if (sw, sh) != (w, h):
        img = cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR)
    return img.clip(0, 255)


# ---------------------------------------------------------------- placing the card

def card_quad(cw: float, ch: float, angle_deg: float, tilt: tuple[float, float], jitter: float,
              rng: random.Random) -> np.ndarray:
    """Card corners (TL, TR, BR, BL) around (0, 0): foreshortened, rotated and jittered."""
    a, b = cw / 2, ch / 2
    tx, ty = tilt  # >0 shrinks the top edge / the right edge, as a card tilted away from the camera
    pts = np.array([[-a * (1 - tx), -b * (1 - ty)], [a * (1 - tx), -b * (1 + ty)],
                    [a * (1 + tx), b * (1 + ty)], [-a * (1 + tx), b * (1 - ty)]], np.float32)
    t = math.radians(angle_deg)
    rot = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]], np.float32)
    pts = pts @ rot.T
    pts += np.array([[rng.uniform(-jitter, jitter) * cw, rng.uniform(-jitter, jitter) * cw] for _ in range(4)],
                    np.float32)
    return pts


def fit_quad(pts: np.ndarray, w: int, h: int, margin: float, rng: random.Random) -> np.ndarray:
    """Scale the quad down if needed and place it at a random spot inside the photo."""
    mn, mx = pts.min(0), pts.max(0)
    size = mx - mn
    room = np.array([w - 2 * margin, h - 2 * margin], np.float32)
    k = min(1.0, float((room / size).min()))
    pts = pts * k
    mn, mx = pts.min(0), pts.max(0)
    ox = rng.uniform(margin - mn[0], w - margin - mx[0])
    oy = rng.uniform(margin - mn[1], h - margin - mx[1])
    return pts + np.array([ox, oy], np.float32)


def composite(canvas: np.ndarray, card: Image.Image, quad: np.ndarray, shadow: float, rng: random.Random) -> np.ndarray:
    """Warp the RGBA card onto ``quad`` of the canvas with a soft drop shadow."""
    h, w = canvas.shape[:2]
    target_w = float(np.linalg.norm(quad[1] - quad[0]))
    if target_w < card.width * 0.8:  # downscale first so the warp does not alias
        card = card.resize((max(8, int(target_w * 1.15)), max(8, int(target_w * 1.15 * card.height / card.width))),
                           Image.LANCZOS)
    arr = np.asarray(card, dtype=np.float32)
    alpha = arr[..., 3:4] / 255.0
    premult = np.concatenate([arr[..., :3] * alpha, alpha * 255.0], axis=2)
    src = np.array([[0, 0], [card.width, 0], [card.width, card.height], [0, card.height]], np.float32)
    m = cv2.getPerspectiveTransform(src, quad.astype(np.float32))
    warped = cv2.warpPerspective(premult, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                                 borderValue=0)
    a = (warped[..., 3] / 255.0).clip(0, 1)
    if shadow > 0:
        dx, dy = rng.uniform(-0.02, 0.03) * target_w, rng.uniform(0.005, 0.035) * target_w
        sm = cv2.warpAffine(a, np.float32([[1, 0, dx], [0, 1, dy]]), (w, h))
        sm = cv2.GaussianBlur(sm, (0, 0), max(1.0, target_w * rng.uniform(0.01, 0.03)))
        canvas = canvas * (1 - shadow * sm)[..., None]
    return canvas * (1 - a[..., None]) + warped[..., :3]


def lighting(img: np.ndarray, rng: random.Random, strength: float, low_light: bool,
             shadow_quad: Optional[np.ndarray]) -> tuple[np.ndarray, list[str]]:
    """Uneven light: a gradient, a vignette, optionally a soft shadow across part of the card, low light."""
    h, w = img.shape[:2]
    notes: list[str] = []
    f = 4 if max(w, h) > 2000 else 1
    sh, sw = h // f, w // f
    yy, xx = np.mgrid[0:sh, 0:sw].astype(np.float32)
    phi = rng.uniform(0, 2 * math.pi)
    t = ((xx / sw - 0.5) * math.cos(phi) + (yy / sh - 0.5) * math.sin(phi)) + 0.5
    light = 1.0 - strength * rng.uniform(0.5, 1.0) * t.clip(0, 1)
    r2 = ((xx / sw - 0.5) ** 2 + (yy / sh - 0.5) ** 2) * 2
    light *= 1.0 - strength * rng.uniform(0.2, 0.6) * r2
    if shadow_quad is not None:
        c = shadow_quad.mean(0) / f
        ang = rng.uniform(0, 2 * math.pi)
        nx, ny = math.cos(ang), math.sin(ang)
        width = float(np.linalg.norm(shadow_quad[1] - shadow_quad[0])) / f
        off = rng.uniform(-0.15, 0.2) * width
        d = (xx - c[0]) * nx + (yy - c[1]) * ny - off
        soft = max(3.0, width * rng.uniform(0.02, 0.08))
        mask = 1 / (1 + np.exp(np.clip(-d / soft, -60, 60)))  # clipped: exp overflows far from the edge
        light *= 1 - rng.uniform(0.28, 0.45) * mask
        notes.append("shadow_over_card")
    if low_light:
        light *= rng.uniform(0.5, 0.65)
        notes.append("low_light")
    if f > 1:
        light = cv2.resize(light, (w, h), interpolation=cv2.INTER_LINEAR)
    out = img * light[..., None]
    if low_light:
        out *= np.array([1.0, 0.95, 0.84], np.float32)[None, None]
    return out, notes


def add_glare(img: np.ndarray, quad: np.ndarray, rng: random.Random, strength: float) -> np.ndarray:
    h, w = img.shape[:2]
    u, v = rng.uniform(0.15, 0.85), rng.uniform(0.2, 0.8)
    top = quad[0] * (1 - u) + quad[1] * u
    bot = quad[3] * (1 - u) + quad[2] * u
    c = top * (1 - v) + bot * v
    cw = float(np.linalg.norm(quad[1] - quad[0]))
    ax, ay = cw * rng.uniform(0.08, 0.17), cw * rng.uniform(0.04, 0.09)
    x0, x1 = int(max(0, c[0] - 3 * ax)), int(min(w, c[0] + 3 * ax))
    y0, y1 = int(max(0, c[1] - 3 * ax)), int(min(h, c[1] + 3 * ax))
    if x1 <= x0 or y1 <= y0:
        return img
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    t = rng.uniform(0, math.pi)
    dx, dy = xx - c[0], yy - c[1]
    rx = dx * math.cos(t) + dy * math.sin(t)
    ry = -dx * math.sin(t) + dy * math.cos(t)
    g = np.exp(-((rx / ax) ** 2 + (ry / ay) ** 2) * 1.5) * strength
    patch = img[y0:y1, x0:x1]
    img[y0:y1, x0:x1] = patch + g[..., None] * (255.0 - patch)
    return img


def blur(img: np.ndarray, rng: random.Random, card_px: float, hard: bool) -> tuple[np.ndarray, list[str]]:
    """Gaussian or motion blur, capped by the card's size so the text survives."""
    cap = card_px / (650 if hard else 1100)
    if rng.random() < (0.4 if hard else 0.12):
        length = int(min(9, max(3, card_px / rng.uniform(110, 170) * (1 if hard else 0.6))))
        k = np.zeros((length, length), np.float32)
        k[length // 2, :] = 1
        rot = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), rng.uniform(0, 180), 1.0)
        k = cv2.warpAffine(k, rot, (length, length))
        k /= max(k.sum(), 1e-6)
        return cv2.filter2D(img, -1, k), ["motion_blur"]
    sigma = rng.uniform(0.3, 1.0) * min(cap, 2.0)
    if sigma < 0.35:
        return img, []
    return cv2.GaussianBlur(img, (0, 0), sigma), (["blur"] if sigma > 0.9 else [])


def sensor_noise(img: np.ndarray, nrng: np.random.Generator, sigma: float) -> np.ndarray:
    h, w = img.shape[:2]
    lum = nrng.standard_normal((h, w), dtype=np.float32) * sigma
    chroma = nrng.standard_normal((h // 2 + 1, w // 2 + 1, 3), dtype=np.float32) * (sigma * 0.35)
    chroma = cv2.resize(chroma, (w, h), interpolation=cv2.INTER_NEAREST)
    return img + lum[..., None] + chroma


def to_image(arr: np.ndarray) -> Image.Image:
    return Image.fromarray(np.clip(arr + 0.5, 0, 255).astype(np.uint8), "RGB")


# ---------------------------------------------------------------- captures

def capture_scan(card: Image.Image, rng: random.Random, nrng: np.random.Generator) -> Upload:
    """A flatbed scan at about 300 dpi: near-white paper, small margin, skew under 3 degrees."""
    dpi = rng.uniform(270, 320)
    cw = int(85.6 / 25.4 * dpi)
    ch = int(cw / card.width * card.height)
    margin = rng.randint(int(cw * 0.04), int(cw * 0.14))
    w, h = cw + 2 * margin + rng.randint(0, 80), ch + 2 * margin + rng.randint(0, 60)
    paper = np.full((h, w, 3), rng.uniform(243, 254), np.float32)
    pts = card_quad(cw, ch, rng.uniform(-2.8, 2.8), (0, 0), 0, rng)
    quad = fit_quad(pts, w, h, margin * 0.3, rng)
    out = composite(paper, card, quad, rng.uniform(0.08, 0.2), rng)
    out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.3, 0.6))
    ext = "png" if rng.random() < 0.4 else "jpg"
    return Upload(to_image(out), ext, 90, outlines=[_corners(quad)])


def capture_screenshot(card: Image.Image, rng: random.Random) -> Upload:
    """The card crop exactly (as an insurer app shows it), sometimes inside a thin app frame."""
    notes = []
    if rng.random() < 0.4:
        pad = rng.randint(6, 28)
        bar = rng.choice([0, rng.randint(40, 80)])
        fc = rng.choice([(255, 255, 255), (242, 242, 247), (30, 30, 34), (230, 236, 245)])
        frame = Image.new("RGB", (card.width + 2 * pad, card.height + 2 * pad + bar), fc)
        if bar:
            d = ImageDraw.Draw(frame)
            bc = rng.choice([(0, 90, 170), (40, 40, 45), (245, 245, 245)])
            d.rectangle([0, 0, frame.width, bar], fill=bc)
            tc = (255, 255, 255) if sum(bc) < 400 else (20, 20, 20)
            d.text((pad + 8, bar // 4), rng.choice(["Digital ID Card", "My Card", "Member ID Card"]), fill=tc,
                   font=ImageFont.load_default(int(bar * 0.45)))
        frame.paste(card, (pad, pad + bar), card)
        notes.append("app_frame")
        return Upload(frame, "png", variations=notes, outlines=[_box_corners(pad, pad + bar, card.width, card.height)])
    flat = Image.new("RGB", card.size, rng.choice([(255, 255, 255), (0, 0, 0), (240, 240, 240)]))
    flat.paste(card, (0, 0), card)
    return Upload(flat, "png", variations=notes, outlines=[_box_corners(0, 0, card.width, card.height)])


def capture_transparent_png(card: Image.Image, rng: random.Random) -> Upload:
    """The card cut out with transparent rounded corners (RGBA), sometimes with a transparent margin."""
    pad = rng.choice([0, 0, rng.randint(4, 30)])
    out = Image.new("RGBA", (card.width + 2 * pad, card.height + 2 * pad), (0, 0, 0, 0))
    out.paste(card, (pad, pad))
    return Upload(out, "png", outlines=[_box_corners(pad, pad, card.width, card.height)])


@dataclass
class PhotoPlan:
    """What the planner asks of a photo; the rest is drawn at random within the difficulty."""

    hard: bool
    background: Optional[str] = None
    twelve_mp: bool = False
    glare: Optional[bool] = None
    side_by_side: bool = False


def capture_photo(cards: list[Image.Image], plan: PhotoPlan, rng: random.Random,
                  nrng: np.random.Generator) -> Upload:
    """A phone photo of one card (or front and back side by side) on a table."""
    hard = plan.hard
    notes: list[str] = []
    if plan.twelve_mp:
        w, h = TWELVE_MP if rng.random() < 0.7 else TWELVE_MP[::-1]
        notes.append("twelve_mp")
    elif plan.side_by_side:
        w, h = rng.choice([(2000, 1200), (1800, 1200), (1600, 1200)])
    else:
        w, h = rng.choice(PHOTO_SIZES)
    kinds = ["wood", "fabric", "noise_texture", "dark_plain", "light_plain", "tablecloth"]
    if hard:
        kinds += ["white_plain", "dark_plain", "wood"]
    bg_kind = plan.background or rng.choice(kinds)
    if bg_kind == "white_plain":  # white_on_white only when the planner also made the card white
        notes.append("white_on_white" if plan.background == "white_plain" else "white_background")
    canvas = make_background(bg_kind, w, h, rng, nrng)
    quads = []
    n = len(cards)
    min_card_px = 620 if not plan.twelve_mp else 1400
    for i, card in enumerate(cards):
        if n == 1:
            cover = rng.uniform(0.35, 0.8) if hard else rng.uniform(0.45, 0.8)
            cw = max(min_card_px, cover * w)
            cw = min(cw, 0.92 * min(w, h * 1.585))
        else:
            cw = rng.uniform(0.4, 0.46) * w
        ch = cw * card.height / card.width
        max_angle = 25 if hard else 11
        angle = rng.uniform(-max_angle, max_angle) if n == 1 else rng.uniform(-6, 6)
        tilt_max = 0.12 if hard else 0.05
        tilt = (rng.uniform(-tilt_max, tilt_max), rng.uniform(-tilt_max, tilt_max) * 0.6)
        if hard and abs(tilt[0]) > 0.08:
            notes.append("strong_perspective")
        pts = card_quad(cw, ch, angle, tilt, 0.012 if hard else 0.006, rng)
        if n == 1:
            quad = fit_quad(pts, w, h, 0.03 * w, rng)
        else:
            half = w / 2
            sub = fit_quad(pts, int(half), h, 0.02 * w, rng)
            quad = sub + np.array([i * half, 0], np.float32)
        quads.append(quad)
        canvas = composite(canvas, card, quad, rng.uniform(0.25, 0.55), rng)
    card_px = min(float(np.linalg.norm(q[1] - q[0])) for q in quads)
    low_light = hard and rng.random() < 0.3
    part_shadow = quads[0] if rng.random() < (0.35 if hard else 0.12) else None
    canvas, light_notes = lighting(canvas, rng, rng.uniform(0.25, 0.45) if hard else rng.uniform(0.05, 0.25),
                                   low_light, part_shadow)
    notes += light_notes
    glare = plan.glare if plan.glare is not None else (rng.random() < (0.35 if hard else 0.08))
    if glare:
        canvas = add_glare(canvas, quads[0], rng, rng.uniform(0.5, 0.72) if hard else rng.uniform(0.35, 0.55))
        notes.append("glare")
    canvas, blur_notes = blur(canvas, rng, card_px * (w / 1600 if plan.twelve_mp else 1.0), hard)
    notes += blur_notes
    sigma = rng.uniform(2.5, 5.5) if hard else rng.uniform(1.0, 3.0)
    if low_light:
        sigma *= 1.4
    canvas = sensor_noise(canvas, nrng, sigma)
    q = rng.randint(45, 75) if hard else rng.randint(70, 92)
    if plan.twelve_mp:
        q = max(q, 70)
    if q < 56 and card_px < 800:
        q = 56
    if q < 56:
        notes.append("heavy_jpeg")
    return Upload(to_image(canvas), "jpg", q, variations=sorted(set(notes), key=notes.index),
                  outlines=[_corners(quad) for quad in quads])


def _corners(quad: np.ndarray) -> list[list[float]]:
    return [[round(float(x), 1), round(float(y), 1)] for x, y in quad]


def _box_corners(x: int, y: int, w: int, h: int) -> list[list[float]]:
    return [[float(x), float(y)], [float(x + w), float(y)], [float(x + w), float(y + h)], [float(x), float(y + h)]]


def _turn_outlines(outlines: list, transpose: Image.Transpose, width: int, height: int) -> list:
    """Corners moved with pixels that PIL turned by ``transpose`` (the picture was ``width`` x ``height``)."""
    def move(x: float, y: float) -> list[float]:
        if transpose == Image.Transpose.ROTATE_270:  # turned 90 degrees clockwise
            return [round(height - y, 1), round(x, 1)]
        if transpose == Image.Transpose.ROTATE_90:  # turned 90 degrees counter-clockwise
            return [round(y, 1), round(width - x, 1)]
        return [round(width - x, 1), round(height - y, 1)]  # ROTATE_180
    return [[move(x, y) for x, y in outline] for outline in outlines]


def orient(upload: Upload, variation: Optional[str]) -> Upload:
    """Store the picture sideways/upside down in the pixels, or rotated with an EXIF tag that undoes it."""
    if not variation:
        return upload
    if variation in SIDEWAYS:
        width, height = upload.image.size
        upload.image = upload.image.transpose(SIDEWAYS[variation])
        upload.outlines = _turn_outlines(upload.outlines, SIDEWAYS[variation], width, height)
        upload.variations.append(variation)
    elif variation.startswith("exif_"):
        o = int(variation.split("_")[1])
        upload.image = upload.image.transpose(ORIENTATION_TRANSPOSE[o])
        upload.exif_orientation = o
        upload.variations += ["exif_rotated", f"exif_orientation_{o}"]
    else:
        raise ValueError(variation)
    return upload
