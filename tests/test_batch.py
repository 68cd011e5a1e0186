"""Batch reprocessing: sources, what is up to date, resuming after a kill, time limits, Dask."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from card_reader import CardReader
from card_reader.batch import CardCase, discover_cases, fingerprint, process, read_manifest, run_batch
from card_reader.errors import InvalidManifest
from card_reader.models import CardFailure
from card_reader.ocr import FakeEngine, page_from_text
from card_reader.store import ResultStore

from test_pipeline import BACK, FRONT, card_photo

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "cards"


def card_folders(root: Path, count: int) -> Path:
    for i in range(count):
        folder = root / f"card{i:02d}"
        folder.mkdir(parents=True)
        card_photo(folder / "front.png")
        (folder / "typed.json").write_text(json.dumps({"member_id": "912345678"}))
    return root


def fake_reader() -> CardReader:
    return CardReader(engine=FakeEngine([page_from_text(FRONT), page_from_text(BACK)]))


def test_manifest_lines_in_jsonl_and_csv(tmp_path):
    (tmp_path / "a.jpg").write_bytes(b"x")
    (tmp_path / "cards.jsonl").write_text(
        '{"id": "a", "front": "a.jpg", "typed": {"member_id": "1"}}\n'
        '{"id": "b", "front": "s3://bucket/b-front.jpg", "back": "/abs/b-back.jpg", "typed": "b.json"}\n')
    a, b = read_manifest(tmp_path / "cards.jsonl")
    assert (a.front, a.typed, a.typed_form) == (str(tmp_path / "a.jpg"), None, {"member_id": "1"})
    assert (b.front, b.back, b.typed) == ("s3://bucket/b-front.jpg", "/abs/b-back.jpg", str(tmp_path / "b.json"))
    (tmp_path / "cards.csv").write_text('id,front,back,typed\nc,c.jpg,,"{""member_id"": ""2""}"\n')
    [c] = discover_cases(tmp_path / "cards.csv")
    assert (c.case, c.back, c.typed_form) == ("c", None, {"member_id": "2"})


@pytest.mark.parametrize("lines", ['{"id": "a"}', '{"front": "a.jpg"}',
                                   '{"id": "a", "front": "a.jpg"}\n{"id": "a", "front": "b.jpg"}', "not json"])
def test_a_bad_manifest_is_a_typed_error(tmp_path, lines):
    (tmp_path / "cards.jsonl").write_text(lines + "\n")
    with pytest.raises(InvalidManifest):
        read_manifest(tmp_path / "cards.jsonl")


def test_fingerprint_follows_the_files_and_the_form(tmp_path):
    card_folders(tmp_path, 1)
    [case] = discover_cases(tmp_path)
    before = fingerprint(case)
    assert fingerprint(case) == before
    time.sleep(0.01)
    card_photo(tmp_path / "card00" / "front.png", size=(1600, 1201))  # a new photo
    assert fingerprint(case) != before
    assert fingerprint(CardCase("x", case.front, typed_form={"member_id": "1"})) != \
        fingerprint(CardCase("x", case.front, typed_form={"member_id": "2"}))


def test_a_rerun_with_nothing_changed_does_no_ocr_and_a_changed_card_is_read_again(tmp_path):
    cases = discover_cases(card_folders(tmp_path / "cards", 3))
    reader = fake_reader()
    with ResultStore(f"sqlite:///{tmp_path / 'store.db'}") as store:
        first = process(cases, store, versions=reader.versions, source="cards", reader=reader)
        assert (first.read, first.skipped) == (3, 0) and reader.engine.calls > 0
        calls = reader.engine.calls
        again = process(cases, store, versions=reader.versions, source="cards", reader=reader)
        assert (again.read, again.skipped) == (0, 3) and reader.engine.calls == calls
        card_photo(tmp_path / "cards" / "card01" / "front.png", size=(1600, 1202))
        third = process(cases, store, versions=reader.versions, source="cards", reader=reader)
        assert (third.read, third.skipped) == (1, 2)
        assert store.count() == 4 and len(store.history("card01")) == 2


def test_a_failed_card_is_recorded_and_the_batch_goes_on(tmp_path):
    root = card_folders(tmp_path / "cards", 2)
    (root / "card00" / "front.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    reader = fake_reader()
    with ResultStore(f"sqlite:///{tmp_path / 'store.db'}") as store:
        summary = process(discover_cases(root), store, versions=reader.versions, source="cards", reader=reader)
        assert (summary.read, summary.failed) == (2, 1)
        assert isinstance(store.latest("card00").outcome, CardFailure)
        assert [r.card_id for r in store.review_queue()][0] == "card00"


# --- with the real engine, in worker processes ----------------------------------------------------------
def sample_manifest(tmp_path: Path, count: int) -> Path:
    clean = sorted(p for p in SAMPLES.iterdir() if p.is_dir() and p.name.endswith("_clean"))[:count]
    lines = [json.dumps({"id": p.name, "front": str(next(p.glob("front.*"))), "typed": str(p / "typed.json"),
                         **({"back": str(next(p.glob("back.*")))} if list(p.glob("back.*")) else {})})
             for p in clean]
    manifest = tmp_path / "cards.jsonl"
    manifest.write_text("\n".join(lines) + "\n")
    return manifest


@pytest.mark.e2e
def test_killed_batch_resumes_with_every_card_read_exactly_once(tmp_path):
    manifest = sample_manifest(tmp_path, 10)
    db = f"sqlite:///{tmp_path / 'store.db'}"
    command = [sys.executable, "-m", "card_reader.cli", "-q", "batch", str(manifest), "--db", db, "--workers", "2"]
    engine = create_engine(db)

    def stored() -> int:
        try:
            with engine.connect() as connection:
                return connection.execute(text("SELECT count(*) FROM results")).scalar_one()
        except Exception:  # the schema is not there yet
            return 0

    batch = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while stored() < 3 and time.monotonic() < deadline and batch.poll() is None:
        time.sleep(0.2)
    os.killpg(batch.pid, signal.SIGKILL)  # the batch and its workers, mid-card
    batch.wait()
    done_before = stored()
    assert 3 <= done_before < 10, "the batch was not killed mid-way"
    subprocess.run(command, check=True, timeout=600, stdout=subprocess.DEVNULL)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT card_id, count(*) FROM results GROUP BY card_id")).all()
        runs = connection.execute(text("SELECT cards_read, cards_skipped FROM runs ORDER BY id")).all()
    assert len(rows) == 10 and all(count == 1 for _, count in rows)
    assert runs[-1] == (10 - done_before, done_before)


@pytest.mark.e2e
def test_a_card_past_the_time_limit_fails_alone(tmp_path):
    cases = read_manifest(sample_manifest(tmp_path, 2))
    [stopped] = list(run_batch(cases[:1], workers=1, time_limit=0.05))
    assert isinstance(stopped, CardFailure) and stopped.error == "card_timeout"
    outcomes = list(run_batch(cases, workers=2, time_limit=120))
    assert sorted(o.case for o in outcomes) == sorted(c.case for c in cases)
    assert not any(isinstance(o, CardFailure) for o in outcomes)


@pytest.mark.e2e
def test_the_same_batch_runs_on_a_dask_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    cases = read_manifest(sample_manifest(tmp_path, 2))
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) \
            as cluster, ResultStore(f"sqlite:///{tmp_path / 'store.db'}") as store:
        versions = CardReader().versions
        summary = process(cases, store, versions=versions, source="manifest", scheduler=cluster.scheduler_address)
        assert (summary.read, summary.failed) == (2, 0)
        assert store.latest(cases[0].case).outcome.payer.id != ""
        again = process(cases, store, versions=versions, source="manifest", scheduler=cluster.scheduler_address)
        assert (again.read, again.skipped) == (0, 2)


def test_a_bad_inline_form_is_a_typed_failure_of_that_card_alone(tmp_path):
    root = card_folders(tmp_path / "cards", 1)
    case = CardCase("bad-form", str(root / "card00" / "front.png"), typed_form={"date_of_birth": "not a date"})
    from card_reader.batch import read_case

    outcome = read_case(case, fake_reader())
    assert isinstance(outcome, CardFailure) and outcome.error == "invalid_submission"
