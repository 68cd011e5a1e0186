"""Many cards: where they are listed, reading them on all cores (or a Dask cluster) with a time limit per
card, and recording each in the results store as it finishes, so that a killed batch resumes.

A card is up to date when the store holds a result for the same input (its images and typed form, by
fingerprint) made with the same templates and engine; a batch reads only the cards that are not.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import multiprocessing
import os
import threading
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures import as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional, Union

import cv2

from .errors import CardReaderError, CardTimeout, ImageNotFound, InvalidManifest, error_code
from .models import CardFailure, Versions
from .pipeline import CardReader, load_submission, parse_submission
from .store import Outcome, ResultStore

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp", ".heic", ".heif", ".pdf"}
MANIFEST_SUFFIXES = {".jsonl", ".csv"}


@dataclass(frozen=True)
class CardCase:
    """One card: its id, its images (local paths or fsspec URLs such as ``s3://``) and the typed form
    (a JSON file's location, or the form itself from a manifest line)."""

    case: str
    front: Optional[str]
    back: Optional[str] = None
    typed: Optional[str] = None
    typed_form: Optional[dict] = field(default=None, compare=False)


# --- sources ----------------------------------------------------------------------------------------
def discover_cases(source: Union[str, Path]) -> list[CardCase]:
    """The cards of a folder of card folders (``front.*``, optionally ``back.*`` and ``typed.json``),
    or of a manifest file (``.jsonl`` or ``.csv``)."""
    source = Path(source)
    if source.is_file() and source.suffix.lower() in MANIFEST_SUFFIXES:
        return read_manifest(source)
    if not source.is_dir():
        raise ImageNotFound(f"{source.name} is neither a folder of card folders nor a .jsonl/.csv manifest")
    cases = []
    for folder in sorted(p for p in source.iterdir() if p.is_dir()):
        images = {p.stem.lower(): p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES}
        typed = folder / "typed.json"
        if "front" not in images and "back" not in images:
            continue
        cases.append(CardCase(folder.name, _str(images.get("front")), _str(images.get("back")),
                              str(typed) if typed.exists() else None))
    return cases


def read_manifest(path: Path) -> list[CardCase]:
    """A line per card: ``id``, ``front``, optional ``back`` and ``typed`` (a JSON file's location, or the
    form as a JSON object or string). Relative local locations are taken from the manifest's folder."""
    text = Path(path).read_text(encoding="utf-8")
    if path.suffix.lower() == ".csv":
        rows: list[dict] = list(csv.DictReader(io.StringIO(text)))
    else:
        rows = []
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except ValueError as exc:
                    raise InvalidManifest(f"{path.name} line {number} is not JSON") from exc
    cases, seen = [], set()
    for number, row in enumerate(rows, 1):
        card_id = str(row.get("id") or "").strip()
        if not card_id or not row.get("front"):
            raise InvalidManifest(f"{path.name} entry {number} needs an id and a front image")
        if card_id in seen:
            raise InvalidManifest(f"{path.name} lists card {card_id!r} twice")
        seen.add(card_id)
        typed = row.get("typed") or None
        form = None
        if isinstance(typed, dict) or (isinstance(typed, str) and typed.lstrip().startswith("{")):
            try:
                form, typed = (typed if isinstance(typed, dict) else json.loads(typed)), None
            except ValueError as exc:
                raise InvalidManifest(f"{path.name} entry {number}: the typed form is not JSON") from exc
        cases.append(CardCase(card_id, _located(row["front"], path), _located(row.get("back"), path),
                              _located(typed, path), form))
    return cases


def _located(location: Optional[str], manifest: Path) -> Optional[str]:
    if not location:
        return None
    if "://" in location or Path(location).is_absolute():
        return location
    return str(manifest.parent / location)


def _str(path: Optional[Path]) -> Optional[str]:
    return None if path is None else str(path)


def fingerprint(case: CardCase) -> str:
    """What identifies this card's input: each file's version as its filesystem reports it (size and
    modification time, an object store's ETag) and the typed form, without downloading an image."""
    import fsspec

    digest = hashlib.sha256(case.case.encode())
    for location in (case.front, case.back, case.typed):
        digest.update(b"\0" + (location or "").encode())
        if location:
            try:
                fs, path = fsspec.core.url_to_fs(location)
                digest.update(str(fs.checksum(path)).encode())
            except (FileNotFoundError, OSError):
                digest.update(b"missing")  # read as a failure; a new file changes the fingerprint
    if case.typed_form is not None:
        digest.update(json.dumps(case.typed_form, sort_keys=True).encode())
    return digest.hexdigest()


# --- reading one card -------------------------------------------------------------------------------
_LOCAL = threading.local()  # one warm reader per worker process (per thread on a threaded Dask worker)


def _worker_reader() -> CardReader:
    reader = getattr(_LOCAL, "reader", None)
    if reader is None:
        cv2.setNumThreads(1)  # a worker per core: OpenCV's own threads would only fight the others
        reader = _LOCAL.reader = CardReader(threads=1)  # the other cores read other cards
    return reader


def _open(location: str) -> Union[str, bytes]:
    """A local path as is (the loader checks its size before reading); any other URL's bytes."""
    if "://" not in location or location.startswith("file://"):
        return location.removeprefix("file://")
    import fsspec

    try:
        with fsspec.open(location, "rb") as handle:
            return handle.read()
    except FileNotFoundError as exc:
        raise ImageNotFound(f"no image at {location.split('://', 1)[0]}://...") from exc


def read_case(case: CardCase, reader: Optional[CardReader] = None) -> Outcome:
    """Read one card; any failure becomes a ``CardFailure`` with a stable code."""
    reader = reader or _worker_reader()
    try:
        if case.front is None:
            raise ImageNotFound("the card has no front photo")
        submission = load_submission(case.typed) if case.typed else parse_submission(case.typed_form)
        return reader.read(_open(case.front), _open(case.back) if case.back else None, submission, case=case.case)
    except CardReaderError as exc:
        log.warning("a card failed: %s", exc.code)
        return CardFailure(case=case.case, error=exc.code, message=str(exc))
    except Exception as exc:  # one bad card never stops a batch
        log.exception("a card failed unexpectedly")
        return CardFailure(case=case.case, error=error_code(exc), message=f"unexpected {type(exc).__name__}")


# --- running many ------------------------------------------------------------------------------------
def run_batch(cases: Iterable[CardCase], *, workers: Optional[int] = None, time_limit: Optional[float] = None,
              scheduler: Optional[str] = None, reader: Optional[CardReader] = None) -> Iterator[Outcome]:
    """Outcomes in completion order.

    A pool of worker processes, each keeping its engine warm, stops a card after ``time_limit``
    seconds by stopping its worker (and starting another). ``scheduler`` sends the cards to a Dask
    distributed cluster instead. ``workers=1`` without a time limit, or a ``reader`` of the caller's,
    reads in this process.
    """
    cases = list(cases)
    if scheduler:
        yield from _run_on_dask(cases, scheduler)
        return
    workers = workers or os.cpu_count() or 1
    if reader is not None or (workers == 1 and time_limit is None):
        reader = reader or CardReader(threads=1)  # one card at a time, on one core, as each worker does
        for case in cases:
            yield read_case(case, reader)
        return
    from pebble import ProcessExpired, ProcessPool

    # workers start fresh (spawn), not as forks of a process whose OpenCV threads may hold a lock
    with ProcessPool(max_workers=min(workers, max(1, len(cases))),
                     context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.schedule(read_case, (case,), timeout=time_limit): case for case in cases}
        for future in as_completed(futures):
            case = futures[future]
            try:
                yield future.result()
            except FutureTimeout:
                log.warning("a card took longer than %.0f s; its worker was stopped", time_limit)
                error = CardTimeout(f"reading took longer than the {time_limit:.0f} s limit")
                yield CardFailure(case=case.case, error=error.code, message=str(error))
            except ProcessExpired as exc:
                yield CardFailure(case=case.case, error="worker_died",
                                  message=f"the worker reading this card died (exit code {exc.exitcode})")


def _run_on_dask(cases: list[CardCase], scheduler: str) -> Iterator[Outcome]:
    """The same reading on a Dask distributed cluster; each Dask worker keeps its own engine warm.
    Images are read by the workers through fsspec, so they must reach the locations (s3://, a shared
    disk). Dask cannot stop a running task: the per-card time limit applies to the local pool only."""
    from distributed import Client, as_completed as dask_completed

    with Client(scheduler) as client:
        futures = client.map(read_case, cases, pure=False)
        for future in dask_completed(futures):
            yield future.result()


@dataclass
class BatchSummary:
    run_id: int
    read: int = 0
    skipped: int = 0
    failed: int = 0
    need_review: int = 0


def process(cases: list[CardCase], store: ResultStore, *, versions: Versions, source: str,
            workers: Optional[int] = None, time_limit: Optional[float] = None, scheduler: Optional[str] = None,
            reader: Optional[CardReader] = None, on_outcome: Optional[Callable[[Outcome], None]] = None,
            on_skipped: Optional[Callable[[int], None]] = None) -> BatchSummary:
    """Read the cards the store has no current result for and record each as it finishes.

    ``versions`` are those of the reader the workers build (a result records the versions that made
    it). Killed at any moment, a rerun reads only what was not recorded: each result is its own
    transaction, and the store holds one result per card, input and versions.
    """
    run_id = store.start_run(source, versions.templates, versions.engine)
    summary = BatchSummary(run_id)
    current = store.current_keys(versions.templates, versions.engine)
    prints = {case.case: fingerprint(case) for case in cases}
    todo = [case for case in cases if (case.case, prints[case.case]) not in current]
    summary.skipped = len(cases) - len(todo)
    if on_skipped:
        on_skipped(summary.skipped)
    for outcome in run_batch(todo, workers=workers, time_limit=time_limit, scheduler=scheduler, reader=reader):
        made_by = getattr(outcome, "versions", None) or versions
        stored = store.add(outcome.case, outcome, input_fingerprint=prints[outcome.case],
                           templates_version=made_by.templates, engine_version=made_by.engine, run_id=run_id)
        if stored is not None:
            summary.read += 1
            summary.failed += isinstance(outcome, CardFailure)
            summary.need_review += isinstance(outcome, CardFailure) or outcome.needs_review
        if on_outcome:
            on_outcome(outcome)
    store.finish_run(run_id, read=summary.read, skipped=summary.skipped)
    return summary
