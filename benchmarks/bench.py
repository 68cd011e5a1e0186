"""`make bench`: speed and memory, measured as ratios within one run on a shared, noisy machine.

1. Normalising a 12 MP photo (decode, EXIF, find the card, straighten it, measure its quality): the
   first photo in a fresh process and the median of the following ones, split into load and locate,
   and the process's peak memory. Targets (issue 3): under 150 ms and under 300 MB on one core.
2. The pipeline against a naive baseline on the same cards, sequentially in this process, so the
   time ratio compares like with like. The baseline is what one would write first: Tesseract over
   the whole photo (through pytesseract, one process per image), then regular expressions for the
   payer name, "ID" and "Group". It is also timed on the warm in-process engine the pipeline uses,
   so that neither side wins by its binding alone. Target (issue 4): no slower than the baseline,
   with at least three times its whole-card accuracy. The pipeline reads as a single card is read
   (``CardReader()``: a card's sides at once on two threads where there are two cores), and again on
   one thread; the CPU time of each, every thread's and every child process's, is shown beside the time.
3. Batch throughput: `card-reader batch`'s own path (a pool of warm workers, a per-card time limit,
   each result written to a fresh SQLite store) on the same cards with 1 worker and with all cores,
   in a fresh process each, and the largest worker's peak memory. Targets (issue 6): at least 1.8x
   the cards per second with 2 workers on a 2-core machine, under 400 MB per worker.
4. The HTTP service: `card-reader serve` started with 1 and with 2 workers (a fresh store each), and
   4 concurrent clients in this process uploading every card once over loopback: p50 and p95 latency
   per upload, cards per second, errors. Target (issue 7): p50 under 1.5 s and no errors at 4
   concurrent clients on this 2-core machine.

This is a benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
from rich.console import Console
from rich.table import Table

from card_reader.batch import discover_cases, read_case
from card_reader.evaluate import Expected, score_card
from card_reader.load import load_image
from card_reader.ocr import OcrEngine
from card_reader.pipeline import CardReader, default_engine
from card_reader.text import normalise_identifier

NAIVE_PAYERS = [("aetna", "aetna"), ("cigna", "cigna"), ("anthem", "anthem"), ("empire", "anthem"),
                ("oxford", "oxford"), ("studentresources", "uhc_student_resources"), ("umr", "umr"),
                ("oscar", "oscar"), ("unitedhealthcare", "uhc")]
NAIVE_MEMBER = re.compile(r"\b(?:MEMBER\s*ID|ID)\s*[#:.]?\s*([A-Z0-9][A-Z0-9\-]{4,})", re.I)
NAIVE_GROUP = re.compile(r"\b(?:GROUP(?:\s*(?:NUMBER|NO|#))?|GRP)\s*[#:.]?\s*([A-Z0-9][A-Z0-9\-]{2,})", re.I)

NORMALISE_SNIPPET = """
import json, sys, time
import cv2
cv2.setNumThreads(1)  # one core, as each batch worker runs
from card_reader.load import load_image
from card_reader.locate import locate_cards

def peak_mb():  # this process's peak resident memory (VmHWM; getrusage's maxrss survives exec on Linux)
    status = open("/proc/self/status").read()
    return int(status.split("VmHWM:")[1].split()[0]) / 1024

path, repeats = sys.argv[1], int(sys.argv[2])
before = peak_mb()
runs = []
for _ in range(repeats):
    start = time.perf_counter()
    loaded = load_image(path)
    loaded_at = time.perf_counter()
    sides = locate_cards(loaded)
    runs.append((loaded_at - start, time.perf_counter() - loaded_at))
peak = peak_mb()
print(json.dumps({"runs": runs, "peak_mb": peak, "added_mb": peak - before, "method": sides[0].method}))
"""
GENERATED_12MP = [("uhc", "ordinary"), ("aetna", "ordinary"), ("anthem", "ordinary"), ("oscar", "ordinary"),
                  ("cigna", "hard"), ("umr", "hard")]  # 12 MP phone photos made for the benchmark (seed 12)


def naive_read(engine: OcrEngine, front: Path, back: Path | None) -> tuple[str, str | None, str | None]:
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


def twelve_mp_photos(directory: Path, scratch: Path) -> list[Path]:
    """The 12 MP photos among the cards, and six more made by the sample generator (ordinary and hard
    light, several payers and tables), so the figure is not one photo's."""
    photos = []
    for folder in sorted(p for p in directory.iterdir() if p.is_dir()):
        expected = folder / "expected.json"
        if expected.exists() and "twelve_mp" in json.loads(expected.read_text())["variations"]:
            photos += sorted(folder.glob("front.*"))
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "samples"))
    from generate import CaseSpec, make_case

    for index, (payer, difficulty) in enumerate(GENERATED_12MP):
        spec = CaseSpec(payer=payer, difficulty=difficulty, capture="photo", twelve_mp=True, no_back=True)
        case_id, files, _, _ = make_case(index, spec, seed=12, kinds_used={})
        for name, data in files.items():
            path = scratch / f"{case_id}_{name}"
            path.write_bytes(data)
            photos.append(path)
    return photos


def normalise_12mp(directory: Path, console: Console, processes: int = 2, repeats: int = 5) -> None:
    """Time and peak memory of load + locate on 12 MP photos, each in fresh processes on one core: the first
    photo a process normalises (what a one-shot command pays: OpenCV's first calls set up) and the median
    of the following ones (what a running worker pays per upload)."""
    table = Table(title="Normalising a 12 MP photo on one core (decode, EXIF, find, straighten, measure)")
    for column in ("photo", "pixels", "method", "first ms", "warm median ms", "of which load ms",
                   "of which locate ms", "peak MB (process)", "added MB"):
        table.add_column(column, justify="left" if column in ("photo", "method") else "right")
    warm_all, peaks = [], []
    with tempfile.TemporaryDirectory() as scratch:
        for photo in twelve_mp_photos(directory, Path(scratch)):
            results = [json.loads(subprocess.run([sys.executable, "-c", NORMALISE_SNIPPET, str(photo), str(repeats)],
                                                 check=True, capture_output=True, text=True).stdout)
                       for _ in range(processes)]
            first = [sum(r["runs"][0]) * 1000 for r in results]
            warm = [run for r in results for run in r["runs"][1:]]
            warm_all.append(statistics.median(sum(run) for run in warm) * 1000)
            peaks.append(max(r["peak_mb"] for r in results))
            height, width = load_image(photo).pixels.shape[:2]
            name = photo.name if photo.parent.name.startswith("tmp") else f"{photo.parent.name}/{photo.name}"
            table.add_row(name, f"{width}x{height}", results[0]["method"],
                          f"{statistics.median(first):.0f}", f"{warm_all[-1]:.0f}",
                          f"{statistics.median(run[0] for run in warm) * 1000:.0f}",
                          f"{statistics.median(run[1] for run in warm) * 1000:.0f}",
                          f"{peaks[-1]:.0f}", f"{max(r['added_mb'] for r in results):.0f}")
    console.print(table)
    console.print(f"median over {len(warm_all)} photos: {statistics.median(warm_all):.0f} ms warm, "
                  f"peak {max(peaks):.0f} MB; targets (issue 3): under 150 ms and under 300 MB on one core")


def pipeline_vs_baseline(directory: Path, console: Console) -> None:
    cases = discover_cases(directory)
    reader = CardReader()
    # the same pipeline on one thread too, so that the threads' share of the gain shows in the same run
    pipelines = {"card-reader pipeline": reader,
                 **({"card-reader pipeline (one thread)": CardReader(threads=1)} if reader.threads > 1 else {})}
    from card_reader.tesseract import TesseractEngine

    baselines = {"naive baseline (pytesseract)": TesseractEngine(), "naive baseline (warm engine)": default_engine()}
    results = {name: {"payer": 0, "member_id": 0, "group_number": 0, "whole": 0, "seconds": [], "cpu": 0.0}
               for name in [*pipelines, *baselines]}
    for case in cases:
        expected = Expected.load(directory / case.case)
        for name, pipeline_reader in pipelines.items():
            start, cpu = time.perf_counter(), _cpu_seconds()
            score = score_card(read_case(case, pipeline_reader), expected)
            pipeline = results[name]
            pipeline["seconds"].append(time.perf_counter() - start)
            pipeline["cpu"] += _cpu_seconds() - cpu
            for key in ("payer", "member_id", "group_number"):
                pipeline[key] += getattr(score, key)
            pipeline["whole"] += score.payer and score.member_id and score.group_number
        for name, engine in baselines.items():
            start, cpu = time.perf_counter(), _cpu_seconds()
            payer, member, group = naive_read(engine, case.front, case.back)
            tally = results[name]
            tally["seconds"].append(time.perf_counter() - start)
            tally["cpu"] += _cpu_seconds() - cpu
            ok = (payer == expected.payer,
                  member is not None and normalise_identifier(member) == normalise_identifier(expected.member_id),
                  (group is None) if expected.group_number is None else
                  (group is not None and normalise_identifier(group) == normalise_identifier(expected.group_number)))
            for key, good in zip(("payer", "member_id", "group_number"), ok):
                tally[key] += good
            tally["whole"] += all(ok)

    n = len(cases)
    table = Table(title=f"Pipeline vs naive baseline on {n} cards (sequential, one process, interleaved)")
    for column in ("reader", "payer %", "member ID %", "group %", "whole card %", "median s/card", "total s",
                   "CPU s"):
        table.add_column(column, justify="right" if column != "reader" else "left")
    for name, r in results.items():
        table.add_row(name, *(f"{100 * r[k] / n:.1f}" for k in ("payer", "member_id", "group_number", "whole")),
                      f"{statistics.median(r['seconds']):.2f}", f"{sum(r['seconds']):.1f}", f"{r['cpu']:.1f}")
    console.print(table)
    for pipeline_name in pipelines:
        ours = results[pipeline_name]
        for name in baselines:
            base = results[name]
            console.print(f"{pipeline_name} against the {name}: time ratio pipeline/baseline "
                          f"{sum(ours['seconds']) / sum(base['seconds']):.2f}x, "
                          f"CPU time ratio {ours['cpu'] / max(base['cpu'], 1e-9):.2f}x, "
                          f"whole-card accuracy ratio {ours['whole'] / max(1, base['whole']):.1f}x "
                          f"(baseline whole-card right on {base['whole']} of {n})")
    console.print(f"the pipeline reads a card's sides, and a value's re-readings by its two models, on {reader.threads} "
                  "threads; the baselines read on one. CPU time counts every thread's, and the tesseract "
                  "processes' the pytesseract baseline starts")


def _cpu_seconds() -> float:
    """This process's CPU time (every thread) and that of its finished children (pytesseract's tesseract)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


BATCH_SNIPPET = """
import json, resource, sys, tempfile, time
from card_reader.batch import discover_cases, process
from card_reader.pipeline import CardReader
from card_reader.store import ResultStore

directory, workers = sys.argv[1], int(sys.argv[2])
cases = discover_cases(directory)
versions = CardReader(threads=1).versions
with tempfile.TemporaryDirectory() as scratch, ResultStore(f"sqlite:///{scratch}/bench.db") as store:
    start = time.perf_counter()
    summary = process(cases, store, versions=versions, source=directory, workers=workers, time_limit=120)
    seconds = time.perf_counter() - start
# the pool's workers are this process's only children: the largest one's peak resident memory
worker_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"cards": summary.read, "failed": summary.failed, "seconds": seconds, "worker_peak_mb": worker_mb}))
"""


def batch_throughput(directory: Path, console: Console) -> None:
    import os

    cores = os.cpu_count() or 1
    rows = []
    for workers in sorted({1, cores}):
        out = subprocess.run([sys.executable, "-c", BATCH_SNIPPET, str(directory), str(workers)],
                             capture_output=True, text=True, check=True)
        rows.append((workers, json.loads(out.stdout.strip().splitlines()[-1])))
    table = Table(title=f"Batch throughput on {rows[0][1]['cards']} cards (card-reader batch's path, fresh store)")
    for column in ("workers", "cards", "failed", "seconds", "cards/s", "speed-up", "largest worker peak MB"):
        table.add_column(column, justify="right")
    base = rows[0][1]["cards"] / rows[0][1]["seconds"]
    for workers, r in rows:
        rate = r["cards"] / r["seconds"]
        table.add_row(str(workers), str(r["cards"]), str(r["failed"]), f"{r['seconds']:.1f}", f"{rate:.2f}",
                      f"{rate / base:.2f}x", f"{r['worker_peak_mb']:.0f}")
    console.print(table)


def service_latency(directory: Path, console: Console, clients: int = 4) -> None:
    import os
    import socket
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    token = "bench-token-0123456789abcdef"
    cases = discover_cases(directory)
    uploads = []
    for case in cases:
        files = {"front": (Path(case.front).name, Path(case.front).read_bytes(), "application/octet-stream")}
        if case.back:
            files["back"] = (Path(case.back).name, Path(case.back).read_bytes(), "application/octet-stream")
        uploads.append((files, Path(case.typed).read_text() if case.typed else "{}"))
    table = Table(title=f"HTTP service: {len(uploads)} uploads, {clients} concurrent clients on loopback")
    for column in ("workers", "ok", "errors", "p50 s", "p95 s", "cards/s"):
        table.add_column(column, justify="right")
    for workers in (1, 2):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        scratch = tempfile.mkdtemp()
        server = subprocess.Popen([sys.executable, "-m", "card_reader.cli", "-q", "serve", "--port", str(port),
                                   "--workers", str(workers), "--db", f"sqlite:///{scratch}/bench.db"],
                                  env={**os.environ, "CARD_READER_API_TOKENS": token},
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                try:
                    if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)

            def upload(item):
                files, typed = item
                start = time.perf_counter()
                response = httpx.post(f"{url}/v1/cards", files=files, data={"typed": typed}, timeout=120,
                                      headers={"Authorization": f"Bearer {token}"})
                return response.status_code, time.perf_counter() - start

            started = time.perf_counter()
            with ThreadPoolExecutor(clients) as pool:
                answers = list(pool.map(upload, uploads))
            wall = time.perf_counter() - started
        finally:
            server.terminate()
            server.wait(timeout=60)
        latencies = sorted(seconds for status, seconds in answers if status == 200)
        ok = len(latencies)
        table.add_row(str(workers), str(ok), str(len(answers) - ok),
                      f"{statistics.median(latencies):.2f}" if latencies else "-",
                      f"{_percentile(latencies, 95):.2f}" if latencies else "-", f"{ok / wall:.2f}")
    console.print(table)


def _percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("directory", type=Path)
    parser.add_argument("--skip-normalise", action="store_true")
    parser.add_argument("--only", choices=("normalise", "pipeline", "batch", "service"), action="append",
                        help="run only these sections (default: all)")
    args = parser.parse_args()
    console = Console(width=150)
    wanted = set(args.only or ("normalise", "pipeline", "batch", "service"))
    if args.skip_normalise:
        wanted.discard("normalise")
    sections = [("normalise", normalise_12mp), ("pipeline", pipeline_vs_baseline), ("batch", batch_throughput),
                ("service", service_latency)]
    for name, section in sections:
        if name in wanted:
            section(args.directory, console)
    return 0


if __name__ == "__main__":
    sys.exit(main())
