#!/usr/bin/env python3
"""Generate synthetic insurance-card cases: card photos plus what the card says and what the client typed.

    python samples/generate.py --out samples/cards --count 40 --seed 7

Each case is a folder ``<out>/<NNN>_<payer>_<capture>_<difficulty>/`` with ``front.<ext>``, usually
``back.<ext>``, ``expected.json`` (the truth about the card and the upload) and ``typed.json`` (the
portal form). The same seed gives byte-identical files. See samples/README.md.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

from cardgen.content import TEMPLATE_PAYERS, UNKNOWN, build_card  # noqa: E402
from cardgen.photo import (PhotoPlan, Upload, capture_photo, capture_scan, capture_screenshot,  # noqa: E402
                           capture_transparent_png, orient)
from cardgen.render import render_card  # noqa: E402
from cardgen.typed import build_typed  # noqa: E402

BACK_PHOTO_REQUIRED = {"cigna", "anthem"}

DISTRACTOR_KEYS = ["health_plan", "issuer", "rx_bin", "rx_pcn", "rx_group", "rx_id", "payer_id", "cms_contract",
                   "effective_date"]
CASE_DIR = re.compile(r"^\d{3,}_[a-z_]+_(scan|screenshot|photo|transparent_png)_(clean|ordinary|hard)$")


@dataclass
class CaseSpec:
    """What the planner decided for one case before any drawing."""

    payer: str
    difficulty: str
    capture: str
    orientation: Optional[str] = None  # sideways_90 | sideways_270 | upside_down_180 | exif_6 | exif_8 | exif_3
    heic: bool = False
    side_by_side: bool = False
    twelve_mp: bool = False
    white_on_white: bool = False
    glare: Optional[bool] = None
    no_back: bool = False
    dependent: bool = False
    n_errors: int = 0


# Every variation appears at least once in any set of about 16 cases or more.
FORCED = [
    dict(difficulty="clean", capture="transparent_png"),
    dict(difficulty="clean", capture="screenshot"),
    dict(difficulty="clean", capture="scan"),
    dict(difficulty="ordinary", capture="photo", heic=True),
    dict(difficulty="hard", capture="photo", orientation="exif_6"),
    dict(difficulty="hard", capture="photo", orientation="sideways_90"),
    dict(difficulty="hard", capture="photo", orientation="upside_down_180"),
    dict(difficulty="ordinary", capture="photo", side_by_side=True),
    dict(difficulty="hard", capture="photo", twelve_mp=True, no_back=True),
    dict(difficulty="hard", capture="photo", white_on_white=True),
    dict(difficulty="hard", capture="photo", glare=True),
    dict(difficulty="ordinary", capture="photo", no_back=True),
    dict(difficulty="hard", capture="photo", orientation="exif_8", heic=False),
    dict(difficulty="hard", capture="photo", orientation="sideways_270"),
    dict(difficulty="ordinary", capture="photo", orientation="exif_3"),
    dict(difficulty="clean", capture="scan", no_back=True),
]


def plan_cases(count: int, seed: int) -> list[CaseSpec]:
    """Decide payer, difficulty, capture and variations for every case, balanced and covering all kinds."""
    rng = random.Random(seed)
    n_unknown = round(count * 0.175) if count >= 6 else 0
    payers = [TEMPLATE_PAYERS[i % len(TEMPLATE_PAYERS)] for i in range(count - n_unknown)] + [UNKNOWN] * n_unknown
    rng.shuffle(payers)

    target = {"clean": round(count * 0.3), "hard": round(count * 0.3)}
    target["ordinary"] = count - target["clean"] - target["hard"]
    specs: list[dict] = [dict(f) for f in FORCED[:count]]
    for s in specs:
        target[s["difficulty"]] -= 1
    twelve_left = max(0, count // 20 - sum(1 for s in specs if s.get("twelve_mp")))
    for diff in ("clean", "ordinary", "hard"):
        for _ in range(max(0, target[diff])):
            if len(specs) >= count:
                break
            s: dict = {"difficulty": diff}
            if diff == "clean":
                s["capture"] = rng.choices(["scan", "screenshot", "transparent_png"], [0.4, 0.32, 0.28])[0]
            else:
                s["capture"] = "photo"
                hard = diff == "hard"
                if rng.random() < (0.3 if hard else 0.06):
                    s["orientation"] = rng.choice(["sideways_90", "sideways_270", "upside_down_180",
                                                   "exif_6", "exif_8", "exif_3"] if hard else ["exif_6", "exif_8"])
                s["heic"] = rng.random() < 0.08
                s["side_by_side"] = rng.random() < 0.05
                s["white_on_white"] = hard and rng.random() < 0.12
                if hard and twelve_left > 0 and rng.random() < 0.15:
                    s["twelve_mp"] = True
                    twelve_left -= 1
            s["no_back"] = rng.random() < 0.12
            specs.append(s)
    while len(specs) < count:
        specs.append(dict(difficulty="ordinary", capture="photo"))
    rng.shuffle(specs)
    # Exact shares rather than coin flips, so even a small set has ~55% correct forms and ~20% dependents.
    n_correct = round(count * 0.55)
    n_two = round(count * 0.06)
    n_errors = [0] * n_correct + [2] * n_two + [1] * (count - n_correct - n_two)
    rng.shuffle(n_errors)
    dependent = [True] * round(count * 0.2) + [False] * (count - round(count * 0.2))
    rng.shuffle(dependent)
    # Every payer gets at least one form with a mistake, so payer-specific mistakes (issuer, health plan,
    # parent brand, missing school) show up even in a small set.
    for p in dict.fromkeys(payers):
        mine = [i for i, q in enumerate(payers) if q == p]
        if mine and all(n_errors[i] == 0 for i in mine):
            donors = [i for i, q in enumerate(payers) if n_errors[i] > 0 and q != p
                      and sum(1 for j, r in enumerate(payers) if r == q and n_errors[j] > 0) > 1]
            if donors:
                d = donors[0]
                n_errors[mine[0]], n_errors[d] = n_errors[d], n_errors[mine[0]]
    out = []
    for payer, s, ne, dep in zip(payers, specs, n_errors, dependent):
        if s.get("side_by_side"):
            s["no_back"] = False
            s["orientation"] = None
        s["n_errors"] = ne
        s["dependent"] = dep
        out.append(CaseSpec(payer=payer, **s))
    return out


def capture(spec: CaseSpec, card_sides, rng: random.Random, nrng: np.random.Generator, front: bool) -> Upload:
    if spec.capture == "scan":
        return capture_scan(card_sides[0], rng, nrng)
    if spec.capture == "screenshot":
        return capture_screenshot(card_sides[0], rng)
    if spec.capture == "transparent_png":
        return capture_transparent_png(card_sides[0], rng)
    plan = PhotoPlan(hard=spec.difficulty == "hard",
                     background="white_plain" if spec.white_on_white else None,
                     twelve_mp=spec.twelve_mp and front, glare=spec.glare if front else None,
                     side_by_side=spec.side_by_side)
    up = capture_photo(card_sides, plan, rng, nrng)
    if front:
        up = orient(up, spec.orientation)
    if spec.heic:
        up.ext, up.quality = "heic", rng.randint(60, 80)
    return up


def make_case(index: int, spec: CaseSpec, seed: int, kinds_used: dict) -> tuple[str, dict[str, bytes], dict, dict]:
    rng = random.Random(f"{seed}:{index}")
    nrng = np.random.default_rng([seed, index])
    case_id = f"{index:03d}_{spec.payer}_{spec.capture}_{spec.difficulty}"
    content = build_card(rng, spec.payer, want_dependents=spec.dependent)
    for attempt in range(6):
        try:
            rendered = render_card(content, rng, white_card=spec.white_on_white)
            break
        except RuntimeError:
            if attempt == 5:
                raise
    files: dict[str, bytes] = {}
    variations: list[str] = []
    outlines: dict[str, dict] = {}
    if spec.side_by_side:
        up = capture(spec, [rendered["front"], rendered["back"]], rng, nrng, front=True)
        files[f"front.{up.ext}"] = up.encode()
        variations += up.variations + ["side_by_side"]
        visible = rendered["printed"]
        outlines = {side: {"file": f"front.{up.ext}", "corners": corners}
                    for side, corners in zip(("front", "back"), up.outlines)}
    else:
        up = capture(spec, [rendered["front"]], rng, nrng, front=True)
        files[f"front.{up.ext}"] = up.encode()
        variations += up.variations
        visible = set(rendered["front_keys"])
        outlines["front"] = {"file": f"front.{up.ext}", "corners": up.outlines[0]}
        if spec.no_back:
            variations.append("no_back")
        else:
            bup = capture(spec, [rendered["back"]], rng, nrng, front=False)
            files[f"back.{bup.ext}"] = bup.encode()
            variations += [v for v in bup.variations if v not in variations]
            visible |= rendered["back_keys"]
            outlines["back"] = {"file": f"back.{bup.ext}", "corners": bup.outlines[0]}
    if spec.heic:
        variations.append("heic")
    if spec.white_on_white and "white_on_white" not in variations:
        variations.append("white_on_white")
    variations = list(dict.fromkeys(variations))

    typed, errors = build_typed(rng, content, spec.dependent, spec.n_errors, kinds_used)
    c = content
    expected = {
        "case": case_id,
        "payer": c.payer,
        "payer_name": c.payer_name,
        "member_id": c.member_id,
        "member_id_printed": c.member_id_printed,
        "group_number": c.group_number,
        "portal_group": c.portal_group,
        "member_first_name": c.first_printed,
        "member_last_name": c.last_printed,
        "member_date_of_birth": c.subscriber.dob.isoformat() if c.dob_printed else None,
        "school_name": c.school,
        "dependents": [f"{p.first} {p.last} {sfx}" for p, sfx in c.dependents] if "dependents" in visible else None,
        "difficulty": spec.difficulty,
        "capture": spec.capture,
        "variations": variations,
        "layout": rendered["layout"],
        "font": rendered["font"],
        "distractors": {k: c.distractors[k] for k in DISTRACTOR_KEYS if k in c.distractors and k in visible},
        "typed_errors": errors,
        # DOMAIN.md: Cigna and Blue Cross Blue Shield (Anthem) need photos of both sides
        "required_flags": ["back_photo_missing"] if spec.no_back and c.payer in BACK_PHOTO_REQUIRED else [],
        "side_by_side": spec.side_by_side,
        "outlines": outlines,
    }
    return case_id, files, expected, typed


def dump(obj: dict) -> bytes:
    return (json.dumps(obj, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, type=Path, help="folder to write the case folders into")
    ap.add_argument("--count", type=int, default=40, help="number of cases")
    ap.add_argument("--seed", type=int, default=7, help="random seed; the same seed gives identical files")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    if args.count < 1:
        ap.error("--count must be at least 1")
    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.iterdir():  # remove cases of an earlier run, nothing else
        if old.is_dir() and CASE_DIR.match(old.name) and (old / "expected.json").exists():
            shutil.rmtree(old)
    t0 = time.time()
    kinds_used: dict = {}
    for i, spec in enumerate(plan_cases(args.count, args.seed)):
        case_id, files, expected, typed = make_case(i, spec, args.seed, kinds_used)
        d = args.out / case_id
        d.mkdir()
        for name, data in files.items():
            (d / name).write_bytes(data)
        (d / "expected.json").write_bytes(dump(expected))
        (d / "typed.json").write_bytes(dump(typed))
        if not args.quiet:
            print(f"{case_id:45s} {' '.join(sorted(files))}", flush=True)
    if not args.quiet:
        print(f"{args.count} cases in {time.time() - t0:.1f} s -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
