"""`make bench`: the pipeline against a naive baseline on the same cards, in one run.

The baseline is what one would write first: Tesseract over the whole photo, then regular
expressions for the payer name, "ID" and "Group". Both run sequentially in this process, so the
time ratio compares like with like on a shared, noisy machine. This is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

import cv2
from rich.console import Console
from rich.table import Table

from card_reader.batch import discover_cases, read_case
from card_reader.evaluate import Expected, score_card
from card_reader.load import load_image
from card_reader.pipeline import CardReader
from card_reader.tesseract import TesseractEngine
from card_reader.text import normalise_identifier

NAIVE_PAYERS = [("aetna", "aetna"), ("cigna", "cigna"), ("anthem", "anthem"), ("empire", "anthem"),
                ("oxford", "oxford"), ("studentresources", "uhc_student_resources"), ("umr", "umr"),
                ("oscar", "oscar"), ("unitedhealthcare", "uhc")]
NAIVE_MEMBER = re.compile(r"\b(?:MEMBER\s*ID|ID)\s*[#:.]?\s*([A-Z0-9][A-Z0-9\-]{4,})", re.I)
NAIVE_GROUP = re.compile(r"\b(?:GROUP(?:\s*(?:NUMBER|NO|#))?|GRP)\s*[#:.]?\s*([A-Z0-9][A-Z0-9\-]{2,})", re.I)


def naive_read(engine: TesseractEngine, front: Path, back: Path | None) -> tuple[str, str | None, str | None]:
    text = ""
    for path in (front, back):
        if path is not None:
            image = load_image(path).pixels
            text += "\n" + engine.recognise(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), psm=3).text
    squashed = re.sub(r"[^a-z]", "", text.lower())
    payer = next((pid for key, pid in NAIVE_PAYERS if key in squashed), "unknown")
    member = NAIVE_MEMBER.search(text)
    group = NAIVE_GROUP.search(text)
    return payer, member.group(1) if member else None, group.group(1) if group else None


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("directory", type=Path)
    args = parser.parse_args()
    cases = discover_cases(args.directory)
    reader = CardReader()
    engine = TesseractEngine()
    pipeline = {"payer": 0, "member_id": 0, "group_number": 0, "whole": 0, "seconds": []}
    naive = {"payer": 0, "member_id": 0, "group_number": 0, "whole": 0, "seconds": []}
    for case in cases:
        expected = Expected.load(args.directory / case.case)
        start = time.perf_counter()
        score = score_card(read_case(case, reader), expected)
        pipeline["seconds"].append(time.perf_counter() - start)
        for key in ("payer", "member_id", "group_number"):
            pipeline[key] += getattr(score, key)
        pipeline["whole"] += score.payer and score.member_id and score.group_number

        start = time.perf_counter()
        payer, member, group = naive_read(engine, case.front, case.back)
        naive["seconds"].append(time.perf_counter() - start)
        ok = (payer == expected.payer,
              member is not None and normalise_identifier(member) == normalise_identifier(expected.member_id),
              (group is None) if expected.group_number is None else
              (group is not None and normalise_identifier(group) == normalise_identifier(expected.group_number)))
        for key, good in zip(("payer", "member_id", "group_number"), ok):
            naive[key] += good
        naive["whole"] += all(ok)

    n = len(cases)
    table = Table(title=f"Pipeline vs naive baseline on {n} cards (sequential, one process)")
    for column in ("reader", "payer %", "member ID %", "group %", "whole card %", "median s/card", "total s"):
        table.add_column(column, justify="right" if column != "reader" else "left")
    for name, r in (("card-reader pipeline", pipeline), ("naive baseline", naive)):
        table.add_row(name, *(f"{100 * r[k] / n:.1f}" for k in ("payer", "member_id", "group_number", "whole")),
                      f"{statistics.median(r['seconds']):.2f}", f"{sum(r['seconds']):.1f}")
    console = Console()
    console.print(table)
    ratio = sum(pipeline["seconds"]) / sum(naive["seconds"])
    accuracy_ratio = pipeline["whole"] / max(1, naive["whole"])
    console.print(f"time ratio pipeline/baseline: {ratio:.2f}x   whole-card accuracy ratio: {accuracy_ratio:.1f}x "
                  f"(baseline whole-card right on {naive['whole']} of {n})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
