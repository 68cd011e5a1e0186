"""Drawing the flat card sides with PIL, in many layouts, fonts and colour schemes.

The variety is the point: no reader rule should be tunable to one layout, font, label wording or colour.
A side is returned as RGBA at ID-1 proportions (85.6 x 54 mm) filling the image exactly; the rounded
corners are transparent so the photographer can place the card on any background.
"""

from __future__ import annotations

import glob
import os
import random
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Optional

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .content import CardContent, PrintedField

ID1_ASPECT = 85.6 / 54.0
LAYOUTS = ["label_beside", "label_above", "two_column_grid", "header_boxes", "bcbs_prefix_row", "big_id"]

# Family name -> (regular file stem, bold file stem). Missing files are skipped at run time.
FONT_FAMILIES = {
    "DejaVuSans": ("DejaVuSans", "DejaVuSans-Bold"),
    "DejaVuSansCondensed": ("DejaVuSansCondensed", "DejaVuSansCondensed-Bold"),
    "DejaVuSerif": ("DejaVuSerif", "DejaVuSerif-Bold"),
    "DejaVuSansMono": ("DejaVuSansMono", "DejaVuSansMono-Bold"),
    "LiberationSans": ("LiberationSans-Regular", "LiberationSans-Bold"),
    "LiberationSerif": ("LiberationSerif-Regular", "LiberationSerif-Bold"),
    "LiberationMono": ("LiberationMono-Regular", "LiberationMono-Bold"),
    "FreeSans": ("FreeSans", "FreeSansBold"),
    "FreeSerif": ("FreeSerif", "FreeSerifBold"),
    "FreeMono": ("FreeMonoBold", "FreeMonoBold"),
    "Arimo": ("Arimo-Regular", "Arimo-Bold"),
    "Tinos": ("Tinos-Regular", "Tinos-Bold"),
    "Cousine": ("Cousine-Regular", "Cousine-Bold"),
    "NimbusSans": ("NimbusSans-Regular", "NimbusSans-Bold"),
    "NimbusSansNarrow": ("NimbusSansNarrow-Regular", "NimbusSansNarrow-Bold"),
    "NimbusRoman": ("NimbusRoman-Regular", "NimbusRoman-Bold"),
    "NimbusMonoPS": ("NimbusMonoPS-Bold", "NimbusMonoPS-Bold"),
    "URWGothic": ("URWGothic-Book", "URWGothic-Demi"),
    "C059": ("C059-Roman", "C059-Bold"),
    "P052": ("P052-Roman", "P052-Bold"),
    "URWBookman": ("URWBookman-Light", "URWBookman-Demi"),
}
FONT_DIRS = ["/usr/share/fonts", "/usr/local/share/fonts", os.path.expanduser("~/.fonts"),
             os.path.expanduser("~/.local/share/fonts"), "/Library/Fonts", "C:/Windows/Fonts"]


@lru_cache(maxsize=1)
def available_families() -> dict[str, tuple[str, str]]:
    """Families whose files exist here, as (regular path, bold path); sorted for determinism."""
    files: dict[str, str] = {}
    for d in FONT_DIRS:
        for ext in ("ttf", "otf"):
            for path in sorted(glob.glob(os.path.join(d, "**", f"*.{ext}"), recursive=True)):
                files.setdefault(os.path.splitext(os.path.basename(path))[0], path)
    out = {}
    for fam, (reg, bold) in FONT_FAMILIES.items():
        if reg in files:
            out[fam] = (files[reg], files.get(bold, files[reg]))
    return dict(sorted(out.items()))


@lru_cache(maxsize=512)
def load_font(path: Optional[str], size: int) -> ImageFont.FreeTypeFont:
    size = max(6, int(size))
    if path is None:
        return ImageFont.load_default(size)
    return ImageFont.truetype(path, size)


class Overflow(Exception):
    """Content did not fit at this scale; the caller retries smaller."""


def mix(a: tuple, b: tuple, t: float) -> tuple:
    return tuple(int(round(x * (1 - t) + y * t)) for x, y in zip(a, b))


def luminance(c: tuple) -> float:
    return (0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]) / 255


@dataclass
class CardStyle:
    """Everything visual chosen for one card, shared by its front and back."""

    width: int
    height: int
    family: str
    logo_family: str
    value_bold: bool
    label_bold: bool
    label_upper: bool
    bg_kind: str
    bg_colors: tuple
    gradient_dir: int
    text_color: tuple
    label_color: tuple
    band_color: tuple
    header: str  # logo_left | logo_right | band
    border: bool
    radius: int
    decorations: list = field(default_factory=list)
    sizes: dict = field(default_factory=dict)


def choose_style(rng: random.Random, content: CardContent, layout: str, white_card: bool) -> CardStyle:
    fams = list(available_families()) or ["default"]
    width = rng.randint(900, 1400)
    height = int(round(width / ID1_ASPECT))
    family = rng.choice(fams)
    logo_family = family if rng.random() < 0.4 else rng.choice(fams)
    brand, accent = content.logo_color, content.accent_color
    if white_card:
        bg_kind, bg = "white", ((255, 255, 255), (252, 252, 250))
    else:
        bg_kind = rng.choice(["white", "white", "pastel", "gradient", "gradient", "colored"])
        white = (255, 255, 255)
        if bg_kind == "white":
            bg = (mix(white, (245, 242, 235), rng.random() * 0.5),) * 2
        elif bg_kind == "pastel":
            bg = (mix(white, accent, rng.uniform(0.12, 0.3)),) * 2
        elif bg_kind == "gradient":
            bg = (mix(white, accent, rng.uniform(0.0, 0.15)), mix(white, accent, rng.uniform(0.3, 0.55)))
        else:
            bg = (mix(white, rng.choice([accent, brand, (120, 180, 220), (180, 220, 190)]),
                      rng.uniform(0.25, 0.4)),) * 2
    text_color = rng.choice([(15, 15, 15), (30, 30, 35), (10, 25, 60), (0, 0, 0), (40, 30, 30)])
    label_color = rng.choice([text_color, (90, 90, 95), mix(brand, (0, 0, 0), 0.2), (70, 70, 70)])
    if luminance(label_color) > 0.45:
        label_color = (70, 70, 70)
    header = "band" if layout == "header_boxes" else rng.choice(["logo_left", "logo_left", "logo_right", "band"])
    band_color = mix(brand, (0, 0, 0), rng.uniform(0.0, 0.35))
    s = {
        "label": rng.uniform(23, 30), "value": rng.uniform(33, 44), "small": rng.uniform(22, 27),
        "logo": rng.uniform(62, 92), "tagline": rng.uniform(22, 27), "big": rng.uniform(52, 66),
    }
    decos = rng.sample(["corner_circle", "wave", "stripe", "dots", "arc"], rng.choice([0, 1, 1, 2]))
    return CardStyle(width, height, family, logo_family, rng.random() < 0.5, rng.random() < 0.3,
                     rng.random() < 0.3, bg_kind, bg, rng.choice([0, 1, 2]), text_color, label_color,
                     band_color, header, rng.random() < 0.35, int(width * rng.uniform(0.03, 0.045)),
                     decos, s)


class Sheet:
    """One side being drawn: the image, the pen, and text helpers sized in card units (width/1000)."""

    def __init__(self, style: CardStyle, scale: float, content: CardContent):
        self.style, self.scale, self.content = style, scale, content
        self.w, self.h = style.width, style.height
        self.u = style.width / 1000.0
        self.img = background(style)
        self.draw = ImageDraw.Draw(self.img)
        self.margin = int(38 * self.u)
        self.printed: set[str] = set()

    def font(self, size_u: float, bold: bool = False, family: Optional[str] = None) -> ImageFont.FreeTypeFont:
        fam = available_families().get(family or self.style.family)
        path = None if fam is None else (fam[1] if bold else fam[0])
        return load_font(path, round(size_u * self.u * self.scale))

    def px(self, size_u: float) -> int:
        return int(round(size_u * self.u * self.scale))

    def text(self, x: float, y: float, s: str, size_u: float, bold: bool = False, fill=None,
             max_w: Optional[float] = None, family: Optional[str] = None, anchor: str = "la") -> tuple[int, int]:
        """Draw ``s`` with its top-left at (x, y), shrinking to ``max_w``; returns (width, line height)."""
        f = self.font(size_u, bold, family)
        w = self.draw.textlength(s, font=f)
        wanted = f.size
        while max_w is not None and w > max_w and f.size > 8:
            f = load_font(f.path, int(f.size * 0.93))
            w = self.draw.textlength(s, font=f)
        if f.size < wanted * 0.5 or f.size < 11:
            raise Overflow(s)  # one tiny field is worse than everything a bit smaller
        asc, desc = f.getmetrics()
        if y + asc + desc > self.h - 4 or (anchor == "la" and x + w > self.w - 4):
            raise Overflow(s)
        self.draw.text((x, y), s, font=f, fill=fill or self.style.text_color, anchor=anchor)
        return int(w), int((asc + desc) * 1.12)

    def label_text(self, label: Optional[str]) -> Optional[str]:
        if not label:
            return label
        return label.upper() if self.style.label_upper else label

    def field_beside(self, x, y, f: PrintedField, lsize, vsize, max_w, value_x=None) -> int:
        st = self.style
        lab = self.label_text(f.label)
        h = 0
        vx = x
        if lab:
            lw, lh = self.text(x, y + self.px(vsize - lsize) * 0.6, lab, lsize, st.label_bold, st.label_color,
                               max_w=max_w * 0.55)
            vx = value_x if value_x and value_x > x + lw + self.px(8) else x + lw + self.px(12)
            h = lh
        _, vh = self.text(vx, y, f.value, vsize, st.value_bold, max_w=max(40, x + max_w - vx))
        self.printed.add(f.key)
        return max(h, vh)

    def field_above(self, x, y, f: PrintedField, lsize, vsize, max_w) -> int:
        st = self.style
        lab = self.label_text(f.label)
        h = 0
        if lab:
            _, h = self.text(x, y, lab, lsize, st.label_bold, st.label_color, max_w=max_w)
            h = int(h * 0.95)
        _, vh = self.text(x, y + h, f.value, vsize, st.value_bold, max_w=max_w)
        self.printed.add(f.key)
        return h + vh


def background(style: CardStyle) -> Image.Image:
    w, h = style.width, style.height
    c0, c1 = np.array(style.bg_colors[0], np.float32), np.array(style.bg_colors[1], np.float32)
    if style.gradient_dir == 0:
        t = np.linspace(0, 1, w, dtype=np.float32)[None, :].repeat(h, 0)
    elif style.gradient_dir == 1:
        t = np.linspace(0, 1, h, dtype=np.float32)[:, None].repeat(w, 1)
    else:
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        t = (xx / w + yy / h) / 2
    arr = c0 * (1 - t[..., None]) + c1 * t[..., None]
    return Image.fromarray(arr.clip(0, 255).astype(np.uint8), "RGB")


def draw_decorations(sheet: Sheet, rng: random.Random) -> None:
    st, c = sheet.style, sheet.content
    d, w, h = sheet.draw, sheet.w, sheet.h
    bg = st.bg_colors[1]
    tint = mix(bg, c.accent_color, rng.uniform(0.25, 0.45))
    tint2 = mix(bg, c.logo_color, rng.uniform(0.12, 0.25))
    for deco in st.decorations:
        if deco == "corner_circle":
            r = int(h * rng.uniform(0.25, 0.45))
            cx, cy = w - int(r * rng.uniform(0.2, 0.6)), h - int(r * rng.uniform(0.2, 0.6))
            d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=tint)
        elif deco == "wave":
            base = h - int(h * rng.uniform(0.05, 0.09))
            amp, freq, ph = h * 0.02, rng.uniform(1.5, 3.5), rng.uniform(0, 6.28)
            pts = [(x, base + amp * np.sin(ph + freq * 6.28 * x / w)) for x in range(0, w + 20, 20)]
            d.polygon(pts + [(w, h), (0, h)], fill=tint)
        elif deco == "stripe":
            y = int(h * rng.choice([0.0, 0.96]))
            d.rectangle([0, y, w, y + int(h * 0.04)], fill=mix(bg, c.logo_color, 0.6))
        elif deco == "dots":
            x0, y0 = int(w * 0.78), int(h * 0.05)
            for i in range(6):
                for j in range(4):
                    r = int(h * 0.008)
                    cx, cy = x0 + i * int(w * 0.03), y0 + j * int(w * 0.03)
                    d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=tint2)
        elif deco == "arc":
            r = int(w * rng.uniform(0.4, 0.7))
            cx, cy = int(w * rng.uniform(0.6, 1.1)), int(h * rng.uniform(-0.6, -0.2))
            d.arc([cx - r, cy - r, cx + r, cy + r], 0, 360, fill=tint, width=int(h * 0.02))


def draw_bcbs_emblem(sheet: Sheet, x: int, y: int, size: int, color: tuple) -> int:
    """A simple cross and shield, so Blue Cross Blue Shield cards carry their marks."""
    d = sheet.draw
    t = size // 3
    d.rectangle([x + t, y, x + 2 * t, y + size], fill=color)
    d.rectangle([x, y + t, x + size, y + 2 * t], fill=color)
    sx = x + size + size // 5
    d.polygon([(sx, y), (sx + size, y), (sx + size, y + size * 0.55), (sx + size / 2, y + size),
               (sx, y + size * 0.55)], fill=color)
    d.rectangle([sx + size * 0.42, y + size * 0.15, sx + size * 0.58, y + size * 0.75], fill=(255, 255, 255))
    d.rectangle([sx + size * 0.22, y + size * 0.33, sx + size * 0.78, y + size * 0.49], fill=(255, 255, 255))
    return int(2 * size + size // 5)


def draw_header(sheet: Sheet, rng: random.Random, small: bool = False) -> int:
    """Logo text (and taglines, plan name, emblem); returns the y where the body may start."""
    st, c, u = sheet.style, sheet.content, sheet.u
    m = sheet.margin
    logo_size = st.sizes["logo"] * (0.55 if small else 1.0)
    if len(c.logo) > 12:
        logo_size *= 0.62
    logo_color = c.logo_color
    y = m * 0.8
    x = m
    if st.header == "band":
        f = sheet.font(logo_size, True, st.logo_family)
        band_h = int(sum(f.getmetrics()) * 1.1 + m * 0.7 + (sheet.px(st.sizes["tagline"]) * 1.2 if c.taglines else 0))
        sheet.draw.rectangle([0, 0, sheet.w, band_h], fill=st.band_color)
        logo_color = (255, 255, 255)
        y = m * 0.45
    if c.emblem == "bcbs":
        size = int(logo_size * u * sheet.scale * 0.8)
        col = (255, 255, 255) if st.header == "band" else c.logo_color
        if st.header == "logo_right":
            draw_bcbs_emblem(sheet, sheet.w - m - int(2.2 * size), int(y), size, col)
        else:
            x += draw_bcbs_emblem(sheet, x, int(y), size, col) + int(14 * u)
    maxw = sheet.w - x - m
    f = sheet.font(logo_size, True, st.logo_family)
    lw = sheet.draw.textlength(c.logo, font=f)
    if st.header == "logo_right" and c.emblem != "bcbs":
        x = max(m, sheet.w - m - min(lw, maxw))
    elif st.header == "logo_right":
        maxw = sheet.w - 2 * m - int(2.4 * logo_size * u * sheet.scale)
    _, lh = sheet.text(x, y, c.logo, logo_size, True, logo_color, max_w=maxw, family=st.logo_family)
    y += lh
    tag_color = (235, 235, 235) if st.header == "band" else mix(c.logo_color, (60, 60, 60), 0.3)
    for tag in c.taglines:
        _, th = sheet.text(x, y, tag, st.sizes["tagline"], rng.random() < 0.5, tag_color, max_w=maxw)
        y += th
    if st.header == "band":
        y = max(y, sheet.draw._image.size[1] * 0)  # band bottom is below the texts
        y += m * 0.35
    if c.plan_name:
        pc = (235, 235, 235) if st.header == "band" and False else mix(c.logo_color, (30, 30, 30), 0.4)
        if st.header == "band":
            y_plan = y + m * 0.2
        else:
            y_plan = y
        _, ph = sheet.text(sheet.margin, y_plan, c.plan_name, st.sizes["small"] * 1.05, True, pc,
                           max_w=sheet.w - 2 * sheet.margin)
        y = y_plan + ph
        sheet.printed.add("plan_name")
    return int(y + m * 0.25)


def primary_fields(c: CardContent, rng: random.Random, with_id: bool = True) -> list[PrintedField]:
    out = [PrintedField("member_name", c.name_label, c.name_printed)]
    if with_id:
        out.append(PrintedField("member_id", c.id_label, c.member_id_printed))
    if c.group_printed:
        out.append(PrintedField("group", c.group_label, c.group_printed))
    if c.school:
        out.append(PrintedField("school", rng.choice(["School", "Institution:", "University", None]), c.school))
    if c.dob_printed:
        out.append(PrintedField("dob", rng.choice(["DOB", "DOB:", "Date of Birth", "Birth Date"]), c.dob_printed))
    return out


def order_primary(fields: list[PrintedField], rng: random.Random) -> list[PrintedField]:
    """Name first mostly, but sometimes the ID or group leads."""
    if rng.random() < 0.3:
        head, rest = fields[:1], fields[1:]
        rng.shuffle(rest)
        return rest[:1] + head + rest[1:]
    head, rest = fields[:1], fields[1:]
    if rng.random() < 0.3:
        rest = rest[::-1]
    return head + rest


def draw_rows(sheet: Sheet, x, y, y_max, fields, lsize, vsize, max_w, beside: bool, value_x=None,
              gap_u: float = 6) -> int:
    for f in fields:
        if beside:
            h = sheet.field_beside(x, y, f, lsize, vsize, max_w, value_x)
        else:
            h = sheet.field_above(x, y, f, lsize, vsize, max_w)
        y += h + sheet.px(gap_u)
        if y > y_max + sheet.px(4):
            raise Overflow(f.value)
    return y


def draw_dependents(sheet: Sheet, x, y, y_max, max_w, rng: random.Random, size) -> int:
    c = sheet.content
    if not c.dependents:
        return y
    upper = c.first_printed.isupper()
    _, h = sheet.text(x, y, rng.choice(["Dependents:", "Dependents", "DEPENDENTS", "Covered Members:"]),
                      size, True, sheet.style.label_color, max_w=max_w)
    y += h
    for p, sfx in c.dependents:
        name = f"{p.first} {p.last}"
        name = name.upper() if upper else name
        _, h = sheet.text(x, y, f"{name}  {sfx}", size, False, max_w=max_w)
        y += h
        if y > y_max + sheet.px(4):
            raise Overflow("dependents")
    sheet.printed.add("dependents")
    return y


def draw_copays(sheet: Sheet, x, y, max_w, size, rng: random.Random, boxed: bool) -> int:
    c = sheet.content
    if not c.copays:
        return y
    text = "   ".join(c.copays) if rng.random() < 0.6 else "  |  ".join(c.copays)
    _, h = sheet.text(x, y, text, size, False, max_w=max_w)
    if boxed:
        sheet.draw.rectangle([x - sheet.px(6), y - sheet.px(4), x + max_w, y + h], outline=sheet.style.label_color,
                             width=max(1, sheet.px(1.5)))
    sheet.printed.add("copays")
    return y + h


def layout_front(sheet: Sheet, layout: str, rng: random.Random) -> None:
    st, c = sheet.style, sheet.content
    m = sheet.margin
    w, h = sheet.w, sheet.h
    s = st.sizes
    y = draw_header(sheet, rng)
    extras = list(c.front_extra)
    footer_lines = list(c.footer)
    fh = sum(sheet.px(s["small"]) * 1.2 for _ in footer_lines)
    copay_h = sheet.px(s["small"]) * 1.4 if c.copays else 0
    y_max = h - m * 0.7 - fh - copay_h
    right_x = int(w * rng.uniform(0.56, 0.64))
    prim = order_primary(primary_fields(c, rng, with_id=layout != "bcbs_prefix_row"), rng)

    if layout == "label_beside":
        aligned = rng.random() < 0.5
        value_x = m + int(sheet.px(s["label"]) * rng.uniform(6.5, 8.5)) if aligned else None
        split = len(extras) > 2 or rng.random() < 0.4
        col_w = (right_x - m - sheet.px(10)) if split else w - 2 * m
        yy = draw_rows(sheet, m, y, y_max, prim, s["label"], s["value"], col_w, True, value_x)
        if split:
            draw_rows(sheet, right_x, y, y_max, extras, s["small"], s["small"] * 1.1, w - m - right_x, True)
            yy = draw_dependents(sheet, m, yy, y_max, col_w, rng, s["small"])
        else:
            yy = draw_rows(sheet, m, yy, y_max, extras, s["small"], s["small"] * 1.1, col_w, True)
            yy = draw_dependents(sheet, m, yy, y_max, col_w, rng, s["small"])
    elif layout == "label_above":
        pairs = rng.random() < 0.6
        yy = y
        name, rest = prim[0], prim[1:]
        yy += sheet.field_above(m, yy, name, s["label"], s["value"], w - 2 * m) + sheet.px(8)
        if pairs:
            colw = (w - 2 * m) // 2
            for i in range(0, len(rest), 2):
                row = rest[i:i + 2]
                hs = [sheet.field_above(m + j * colw, yy, f, s["label"], s["value"], colw - sheet.px(10))
                      for j, f in enumerate(row)]
                yy += max(hs) + sheet.px(8)
        else:
            yy = draw_rows(sheet, m, yy, y_max, rest, s["label"], s["value"], right_x - m - sheet.px(10), False)
        if extras:
            n = min(4, len(extras))
            cw = (w - 2 * m) // n
            for i in range(0, len(extras), n):
                row = extras[i:i + n]
                hs = [sheet.field_above(m + j * cw, yy, f, s["small"] * 0.95, s["small"] * 1.1, cw - sheet.px(8))
                      for j, f in enumerate(row)]
                yy += max(hs) + sheet.px(4)
                if yy > y_max:
                    raise Overflow("extras")
        yy = draw_dependents(sheet, m, yy, y_max, w - 2 * m, rng, s["small"])
    elif layout == "two_column_grid":
        beside = rng.random() < 0.5
        cells = prim[1:] + extras
        left: list[PrintedField] = [prim[0]]
        right: list[PrintedField] = []
        for f in cells:
            if f.key in ("member_id",) or (f.key == "group" and rng.random() < 0.5):
                left.append(f)
            elif len(right) <= len(left):
                right.append(f)
            else:
                left.append(f)
        colw = right_x - m - sheet.px(10)
        draw_rows(sheet, m, y, y_max, left[:1], s["label"], s["value"], w - 2 * m, beside)
        y2 = y + sheet.px(s["value"] + (0 if beside else s["label"])) * 1.15 + sheet.px(8)
        yl = draw_rows(sheet, m, y2, y_max, left[1:], s["label"], s["value"] * 0.95, colw, beside)
        draw_rows(sheet, right_x, y2, y_max, right, s["small"], s["small"] * 1.12, w - m - right_x, beside)
        draw_dependents(sheet, m, yl, y_max, colw, rng, s["small"])
    elif layout == "header_boxes":
        yy = draw_rows(sheet, m, y, y_max, [prim[0]], s["label"], s["value"], w - 2 * m, rng.random() < 0.5)
        # three boxes; a fifth primary field (a Student Resources policy number after the school and the
        # birth date) is printed in the rows below, never dropped
        boxed, extras = prim[1:4], prim[4:] + extras
        if len(boxed) < 3 and extras and rng.random() < 0.5:
            boxed.append(extras.pop(0))
        n = len(boxed)
        gap = sheet.px(12)
        bw = (w - 2 * m - gap * (n - 1)) // max(1, n)
        bh = 0
        for i, f in enumerate(boxed):
            bx = m + i * (bw + gap)
            hh = sheet.field_above(bx + sheet.px(10), yy + sheet.px(8), f, s["label"] * 0.9, s["value"],
                                   bw - sheet.px(20))
            bh = max(bh, hh + sheet.px(16))
        for i in range(n):
            bx = m + i * (bw + gap)
            sheet.draw.rounded_rectangle([bx, yy, bx + bw, yy + bh], radius=sheet.px(10),
                                         outline=st.band_color, width=max(2, sheet.px(2.5)))
        yy += bh + sheet.px(10)
        half = (w - 2 * m) // 2
        yl = draw_rows(sheet, m, yy, y_max, extras[::2], s["small"], s["small"] * 1.1, half - sheet.px(10), True)
        draw_rows(sheet, m + half, yy, y_max, extras[1::2], s["small"], s["small"] * 1.1, half, True)
        draw_dependents(sheet, m, yl, y_max, half, rng, s["small"])
    elif layout == "bcbs_prefix_row":
        prefix, number, suffix = c.bcbs_split
        heads = rng.choice([("PREFIX", "ID NUMBER", "SFX"), ("Prefix", "Identification #", "Suffix"),
                            ("Prefix", "ID Number", "Sfx"), ("PREFIX", "IDENTIFICATION NUMBER", "SUFFIX")])
        name_f = prim[0]
        yy = draw_rows(sheet, m, y, y_max, [name_f], s["label"], s["value"], w - 2 * m, rng.random() < 0.5)
        if rng.random() < 0.6:
            _, th = sheet.text(m, yy, sheet.label_text(c.id_label) or "Member ID", s["label"], True,
                               st.label_color, max_w=w - 2 * m)
            yy += th
        cols = [m, m + int(w * rng.uniform(0.17, 0.22)), m + int(w * rng.uniform(0.5, 0.56))]
        for cx, hd in zip(cols, heads):
            sheet.text(cx, yy, hd, s["label"] * 0.85, st.label_bold, st.label_color, max_w=w * 0.3)
        yy += int(sheet.px(s["label"]) * 1.25)
        vals = (prefix, number, suffix)
        for cx, v in zip(cols, vals):
            _, vh = sheet.text(cx, yy, v, s["value"] * 1.05, st.value_bold or rng.random() < 0.5, max_w=w * 0.32)
        if rng.random() < 0.5:
            lc = mix(st.label_color, (255, 255, 255), 0.4)
            sheet.draw.line([m, yy - sheet.px(4), w - m, yy - sheet.px(4)], fill=lc, width=max(1, sheet.px(1.5)))
        sheet.printed.add("member_id")
        yy += vh + sheet.px(8)
        rest = prim[1:] + extras
        half = (w - 2 * m) // 2
        left = [f for f in rest if f.key in ("group", "dob")]
        others = [f for f in rest if f.key not in ("group", "dob")]
        yl = draw_rows(sheet, m, yy, y_max, left, s["label"], s["value"] * 0.9, half, True)
        draw_rows(sheet, m + half, yy, y_max, others, s["small"], s["small"] * 1.05, half, True)
        draw_dependents(sheet, m, yl, y_max, half - sheet.px(10), rng, s["small"])
    elif layout == "big_id":
        name = [f for f in prim if f.key == "member_name"]
        rest = [f for f in prim if f.key not in ("member_name",)]
        yy = draw_rows(sheet, m, y, y_max, name, s["label"], s["value"] * 0.9, w - 2 * m, rng.random() < 0.5)
        lab = sheet.label_text(c.id_label)
        if rng.random() < 0.5:
            _, lh = sheet.text(m, yy, lab, s["label"] * 0.85, st.label_bold, st.label_color, max_w=w * 0.4)
            yy += lh
            _, vh = sheet.text(m, yy, c.member_id_printed, s["big"], True, max_w=w - 2 * m)
        else:
            f = sheet.font(s["big"], True)
            lw, _ = sheet.text(m, yy + sheet.px(s["big"] - s["label"]) * 0.7, lab, s["label"] * 0.85,
                               st.label_bold, st.label_color, max_w=w * 0.3)
            _, vh = sheet.text(m + lw + sheet.px(12), yy, c.member_id_printed, s["big"], True,
                               max_w=w - 2 * m - lw - sheet.px(12))
        sheet.printed.add("member_id")
        yy += vh + sheet.px(6)
        rest = [f for f in rest if f.key != "member_id"]
        colw = right_x - m - sheet.px(10)
        yl = draw_rows(sheet, m, yy, y_max, rest, s["label"], s["value"] * 0.9, colw, True)
        draw_rows(sheet, right_x, yy, y_max, extras, s["small"], s["small"] * 1.05, w - m - right_x, True)
        draw_dependents(sheet, m, yl, y_max, colw, rng, s["small"])
    else:
        raise ValueError(layout)

    yb = h - m * 0.6 - fh - copay_h
    if c.copays:
        draw_copays(sheet, m, yb, w - 2 * m, s["small"], rng, rng.random() < 0.4)
        yb += copay_h
    for line in footer_lines:
        _, lh = sheet.text(m, yb, line, s["small"] * 0.95, False, st.label_color, max_w=w - 2 * m)
        yb += lh


def wrap(sheet: Sheet, text: str, size_u: float, max_w: float) -> list[str]:
    f = sheet.font(size_u)
    lines, cur = [], ""
    for word in text.split():
        trial = f"{cur} {word}".strip()
        if sheet.draw.textlength(trial, font=f) <= max_w:
            cur = trial
        else:
            lines.append(cur)
            cur = word
    if cur:
        lines.append(cur)
    return lines


def layout_back(sheet: Sheet, rng: random.Random) -> None:
    st, c = sheet.style, sheet.content
    m, w, h, s = sheet.margin, sheet.w, sheet.h, st.sizes
    y = m * 0.7
    if rng.random() < 0.6:
        _, lh = sheet.text(m, y, c.logo, s["logo"] * 0.45, True, c.logo_color, max_w=w * 0.6, family=st.logo_family)
        y += lh
    if rng.random() < 0.2:  # a barcode-like strip, top right, text starts below it
        x = w - m - int(w * 0.28)
        y = max(y, m * 0.6 + int(h * 0.1) + sheet.px(8))
        for i in range(70):
            bw = rng.choice([1, 2, 2, 3]) * max(1, int(sheet.u))
            if rng.random() < 0.55:
                sheet.draw.rectangle([x, m * 0.6, x + bw, m * 0.6 + int(h * 0.1)], fill=(20, 20, 20))
            x += bw + max(1, int(sheet.u))
    two_cols = rng.random() < 0.5
    fsize = s["small"] * rng.uniform(1.02, 1.15)
    y_max = h - m * 0.5
    fields = list(c.back_fields)
    if two_cols:
        half = (w - 2 * m) // 2
        left, right = fields[: (len(fields) + 1) // 2], fields[(len(fields) + 1) // 2:]
        yl = draw_rows(sheet, m, y, y_max, left, fsize * 0.95, fsize, half - sheet.px(12), True, gap_u=4)
        yr = draw_rows(sheet, m + half, y, y_max, right, fsize * 0.95, fsize, half, True, gap_u=4)
        y = max(yl, yr)
    else:
        y = draw_rows(sheet, m, y, y_max, fields, fsize * 0.95, fsize, w - 2 * m, True, gap_u=4)
    # claims address
    lines = [rng.choice(["Send claims to:", "Submit claims to:", "Medical Claims:", "Claims Address:"])] + \
        c.claims_address
    addr_x = m
    if rng.random() < 0.5:
        addr = ", ".join(c.claims_address)
        lines = [f"{lines[0]} {addr}"]
    for i, line in enumerate(lines):
        _, lh = sheet.text(addr_x, y, line, fsize * 0.95, i == 0, max_w=w - 2 * m)
        y += lh
    sheet.printed.add("claims_address")
    y += sheet.px(6)
    psize = s["small"] * 0.82
    for para in c.back_paragraphs:
        for line in wrap(sheet, para, psize, w - 2 * m):
            if y + sheet.px(psize) * 1.2 > y_max:
                return
            _, lh = sheet.text(m, y, line, psize, False, st.label_color)
            y += lh


def finish(sheet: Sheet) -> Image.Image:
    """Border and transparent rounded corners."""
    st = sheet.style
    if st.border:
        sheet.draw.rounded_rectangle([1, 1, sheet.w - 2, sheet.h - 2], radius=st.radius,
                                     outline=mix(st.label_color, (255, 255, 255), 0.5), width=max(2, int(sheet.u * 2)))
    mask = Image.new("L", (sheet.w, sheet.h), 0)
    ImageDraw.Draw(mask).rounded_rectangle([0, 0, sheet.w - 1, sheet.h - 1], radius=st.radius, fill=255)
    out = sheet.img.convert("RGBA")
    out.putalpha(mask)
    return out


SCALES = [1.0, 0.92, 0.85, 0.78, 0.72, 0.66, 0.6, 0.55, 0.5]


def render_side(content: CardContent, style: CardStyle, layout: str, rng_seed: int, back: bool) -> tuple[Image.Image, set]:
    """Draw one side, shrinking the type until everything fits; returns (RGBA image, printed keys)."""
    last_err = None
    for scale in SCALES:
        rng = random.Random(rng_seed)  # same choices at every scale
        sheet = Sheet(style, scale, content)
        draw_decorations(sheet, random.Random(rng_seed + 1))
        try:
            if back:
                layout_back(sheet, rng)
            else:
                layout_front(sheet, layout, rng)
        except Overflow as err:
            last_err = err
            continue
        printed = set(sheet.printed)
        printed.update(f.key for f in (content.back_fields if back else content.front_extra)
                       if f.key in sheet.printed)
        return finish(sheet), printed
    raise RuntimeError(f"card content does not fit even at the smallest scale: {last_err}")


def pick_layout(rng: random.Random, content: CardContent) -> str:
    if content.bcbs_split:
        return "bcbs_prefix_row"
    return rng.choice([l for l in LAYOUTS if l != "bcbs_prefix_row"])


def render_card(content: CardContent, rng: random.Random, white_card: bool = False) -> dict:
    """Render front and back; returns images, layout and font names, and the keys printed per side."""
    layout = pick_layout(rng, content)
    style = choose_style(rng, content, layout, white_card)
    front, front_keys = render_side(content, style, layout, rng.randrange(1 << 30), back=False)
    back_style = style
    if rng.random() < 0.5:  # backs are often plainer
        back_style = CardStyle(**{**style.__dict__, "bg_kind": "white",
                                  "bg_colors": ((255, 255, 255), (250, 250, 248)) if not white_card else style.bg_colors,
                                  "decorations": []})
    back, back_keys = render_side(content, back_style, layout, rng.randrange(1 << 30), back=True)
    return {"front": front, "back": back, "layout": layout, "font": style.family,
            "printed": front_keys | back_keys, "front_keys": front_keys, "back_keys": back_keys}
