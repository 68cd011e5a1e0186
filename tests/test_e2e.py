"""End to end on the committed sample photos with the real Tesseract engine.

The accuracy floors here are regressions guards set below the measured numbers (README); the
targets themselves are tracked by `card-reader eval`, not by this test.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from card_reader import CardReader
from card_reader.batch import discover_cases, run_batch
from card_reader.evaluate import evaluate
from card_reader.models import CardFailure

pytestmark = pytest.mark.e2e
SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "cards"


@pytest.fixture(scope="module")
def report():
    cases = discover_cases(SAMPLES)
    outcomes = list(run_batch(cases, workers=2))
    return outcomes, evaluate(outcomes, SAMPLES)


def test_every_sample_card_is_read_without_failure(report):
    outcomes, _ = report
    assert len(outcomes) == len(discover_cases(SAMPLES)) >= 30
    assert [o.case for o in outcomes if isinstance(o, CardFailure)] == []


def test_accuracy_floors(report):
    data = report[1].as_dict()["overall"]
    assert data["payer"] >= PAYER_FLOOR, data
    assert data["member_id"] >= MEMBER_FLOOR, data
    assert data["group_number"] >= GROUP_FLOOR, data


def test_dependents_floor(report):
    data = report[1].as_dict()
    assert data["listing_dependents"] >= 5 and data["dependents_read"] >= DEPENDENTS_FLOOR, data


def test_card_found_and_straightened_floor(report):
    data = report[1].as_dict()["locate"]
    assert data["sides"] >= 60 and data["straightened"] >= STRAIGHTENED_FLOOR, data
    assert data["upright"] >= UPRIGHT_FLOOR, data


def test_review_decisions_floors(report):
    data = report[1].as_dict()
    assert data["typed_mistakes_caught"] >= CAUGHT_FLOOR, data
    assert data["correct_forms_flagged"] <= FLAGGED_CEILING, data


@pytest.mark.parametrize("engine", ["pytesseract", "tesserocr"])
def test_both_engines_read_a_sample_card(engine, monkeypatch):
    """The warm in-process engine and the portable one behind the same interface read the same card."""
    monkeypatch.setenv("CARD_READER_ENGINE", engine)
    if engine == "tesserocr":
        pytest.importorskip("tesserocr")
    reader = CardReader()
    assert reader.engine.name == "tesseract" and type(reader.engine).__module__.endswith(
        "tesserocr_engine" if engine == "tesserocr" else ".tesseract")
    case = SAMPLES / "020_cigna_screenshot_clean"
    result = reader.read(case / "front.png", case / "back.png")
    expected = json.loads((case / "expected.json").read_text())
    assert result.payer.id == expected["payer"]
    assert result.fields["member_id"].value == expected["member_id"]


def test_inspect_cli_prints_card_result_json():
    case = SAMPLES / "020_cigna_screenshot_clean"
    out = subprocess.run([sys.executable, "-m", "card_reader.cli", "inspect", str(case / "front.png"),
                          str(case / "back.png"), "--typed", str(case / "typed.json"), "--json"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    expected = json.loads((case / "expected.json").read_text())
    assert result["payer"]["id"] == expected["payer"]
    assert result["fields"]["member_id"]["value"] == expected["member_id"]


PAYER_FLOOR = 95.0
MEMBER_FLOOR = 95.0  # 39 of 40 read right since stop 34 (settling by both models in turn): one card of slack
GROUP_FLOOR = 95.0
DEPENDENTS_FLOOR = 50.0  # 5 of 8 committed cards: the misses are hard photos
STRAIGHTENED_FLOOR = 87.0
UPRIGHT_FLOOR = 97.0
CAUGHT_FLOOR = 94.0
FLAGGED_CEILING = 10.0  # 1 of 22 committed correct forms (a hard photo)
