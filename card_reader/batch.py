"""Many cards: find the card folders, read them on all cores, and let one bad card fail alone."""

from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Optional

import cv2

from .errors import CardReaderError, error_code
from .models import CardFailure, ClientSubmission
from .pipeline import CardReader, load_submission
from .store import Outcome

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp", ".heic", ".heif", ".pdf"}


@dataclass(frozen=True)
class CardCase:
    """One card folder: ``front.*``, optionally ``back.*`` and ``typed.json``; other files are ignored."""

    case: str
    front: Optional[Path]
    back: Optional[Path]
    typed: Optional[Path]


def discover_cases(directory: Path) -> list[CardCase]:
    directory = Path(directory)
    cases = []
    for folder in sorted(p for p in directory.iterdir() if p.is_dir()):
        images = {p.stem.lower(): p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES}
        typed = folder / "typed.json"
        if "front" not in images and "back" not in images:
            continue
        cases.append(CardCase(folder.name, images.get("front"), images.get("back"),
                              typed if typed.exists() else None))
    return cases


_WORKER_READER: Optional[CardReader] = None


def _init_worker() -> None:
    """A worker per core: OpenCV's own threads would only fight the other workers for the cores."""
    global _WORKER_READER
    cv2.setNumThreads(1)
    _WORKER_READER = CardReader()


def read_case(case: CardCase, reader: Optional[CardReader] = None) -> Outcome:
    """Read one case; any failure becomes a ``CardFailure`` line with a stable code."""
    reader = reader or _WORKER_READER or CardReader()
    try:
        if case.front is None:
            raise CardReaderError("the card folder has no front photo")
        submission = load_submission(case.typed) if case.typed else ClientSubmission()
        return reader.read(case.front, case.back, submission, case=case.case)
    except CardReaderError as exc:
        log.warning("card %s failed: %s", case.case, exc.code)
        return CardFailure(case=case.case, error=exc.code, message=str(exc))
    except Exception as exc:  # one bad card never stops a batch
        log.exception("card %s failed unexpectedly", case.case)
        return CardFailure(case=case.case, error=error_code(exc), message=f"unexpected {type(exc).__name__}")


def run_batch(cases: Iterable[CardCase], *, workers: Optional[int] = None) -> Iterator[Outcome]:
    """Results in completion order; ``workers=1`` runs in this process (no pool)."""
    cases = list(cases)
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(cases) <= 1:
        reader = CardReader()
        for case in cases:
            yield read_case(case, reader)
        return
    # workers start fresh (spawn), not as forks of a process whose OpenCV threads may hold a lock
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker,
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        yield from pool.map(read_case, cases, chunksize=1)
