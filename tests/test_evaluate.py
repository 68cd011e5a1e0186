"""card_reader.evaluate: how a reading is scored against expected.json, including where the card was found."""

import json

import numpy as np
import pytest

from card_reader.evaluate import Expected, evaluate, outline_iou, score_sides
from card_reader.models import CardFailure, CardResult, FieldReading, PayerResult, SideQuality

CARD = [[100.0, 50.0], [956.0, 50.0], [956.0, 590.0], [100.0, 590.0]]  # upright, top-left first


def write_case(root, name, *, difficulty="ordinary", capture="photo", outlines=None):
    folder = root / name
    folder.mkdir()
    expected = {"case": name, "payer": "uhc", "member_id": "123456789", "group_number": "12345",
                "difficulty": difficulty, "capture": capture, "typed_errors": [],
                "outlines": outlines if outlines is not None else {"front": {"file": "front.jpg", "corners": CARD}}}
    (folder / "expected.json").write_text(json.dumps(expected))
    return folder


def result(case, outline, *, card_found=True, member_id="123456789"):
    quality = SideQuality(card_found=card_found, method="outline" if card_found else "whole_image",
                          rotation_applied=0, card_width_px=856, sharpness=200.0, glare=0.0, brightness=230.0,
                          outline=outline)
    fields = {"member_id": FieldReading(value=member_id, confidence=0.9, side="front", raw=member_id),
              "group_number": FieldReading(value="12345", confidence=0.9, side="front", raw="12345")}
    return CardResult(case=case, payer=PayerResult(id="uhc", name="UnitedHealthcare", confidence=1.0),
                      fields=fields, quality={"front": quality})


def test_outline_iou_of_identical_and_disjoint_quads():
    square = np.float32([[0, 0], [10, 0], [10, 10], [0, 10]])
    assert outline_iou(square, square) == pytest.approx(1.0)
    assert outline_iou(square, square + 20) == 0.0
    assert outline_iou(square, np.float32([[0, 0], [10, 0], [10, 5], [0, 5]])) == pytest.approx(0.5)


def test_found_card_turned_the_right_way_scores_straightened(tmp_path):
    write_case(tmp_path, "a")
    [score] = score_sides(result("a", CARD), Expected.load(tmp_path / "a")).values()
    assert score.outlined and score.region and score.upright


def test_upside_down_card_is_found_but_not_upright(tmp_path):
    write_case(tmp_path, "a")
    upside_down = CARD[2:] + CARD[:2]  # the same outline, its top-left corner at the card's bottom-right
    [score] = score_sides(result("a", upside_down), Expected.load(tmp_path / "a")).values()
    assert score.region and not score.upright


def test_outline_off_the_card_is_not_the_card_region(tmp_path):
    write_case(tmp_path, "a")
    inner_box = [[100.0, 50.0], [956.0, 50.0], [956.0, 200.0], [100.0, 200.0]]  # the header band only
    [score] = score_sides(result("a", inner_box), Expected.load(tmp_path / "a")).values()
    assert score.outlined and not score.region


def test_whole_image_of_a_tight_crop_counts_as_the_card(tmp_path):
    write_case(tmp_path, "a", outlines={"front": {"file": "front.png", "corners": [[2, 1], [855, 2], [855, 539], [1, 539]]}})
    frame = [[0.0, 0.0], [856.0, 0.0], [856.0, 540.0], [0.0, 540.0]]
    [score] = score_sides(result("a", frame, card_found=False), Expected.load(tmp_path / "a")).values()
    assert not score.outlined and score.region and score.upright


def test_report_counts_sides_per_difficulty_and_capture(tmp_path):
    write_case(tmp_path, "good", difficulty="hard")
    write_case(tmp_path, "failed", difficulty="hard", capture="scan")
    write_case(tmp_path, "wrong_id", difficulty="clean")
    outcomes = [result("good", CARD), CardFailure(case="failed", error="image_truncated", message="cut short"),
                result("wrong_id", CARD, member_id="999999999")]
    data = evaluate(outcomes, tmp_path).as_dict()
    assert data["locate_by_difficulty"]["hard"] == {"sides": 2, "outlined": 50.0, "region": 50.0,
                                                    "upright": 50.0, "straightened": 50.0}
    assert data["locate_by_capture"]["scan"]["straightened"] == 0.0
    assert data["locate"]["sides"] == 3 and data["locate"]["straightened"] == pytest.approx(66.7)
    assert data["by_difficulty"]["clean"]["member_id"] == 0.0 and data["by_difficulty"]["hard"]["whole_card"] == 50.0


def test_dependents_count_as_read_only_all_of_them_with_their_suffixes(tmp_path):
    """Case and accents aside, every dependent the card lists, with its suffix, and nobody else."""
    readings = {"a": "OLIVIA SCHMIDT 02; JOSÉ SCHMIDT 03", "b": "OLIVIA SCHMIDT 02",
                "c": "OLIVIA SCHMIDT 62; JOSE SCHMIDT 03", "d": None, "e": None}
    for name in readings:
        folder = write_case(tmp_path, name)
        if name != "e":  # e lists nobody: not counted
            expected = json.loads((folder / "expected.json").read_text())
            expected["dependents"] = ["Olivia Schmidt 02", "José Schmidt 03"]
            (folder / "expected.json").write_text(json.dumps(expected))
    outcomes = []
    for name, read in readings.items():
        outcome = result(name, CARD)
        if read:
            outcome.fields["dependents"] = FieldReading(value=read, confidence=0.9, side="front", raw=read)
        outcomes.append(outcome)
    report = evaluate(outcomes, tmp_path).as_dict()
    assert (report["listing_dependents"], report["dependents_read"]) == (4, 25.0)


def test_a_flag_the_payers_policy_requires_is_not_a_correct_form_wrongly_sent_to_review(tmp_path):
    from card_reader.models import Flag, Severity
    back_missing = Flag(code="back_photo_missing", severity=Severity.WARNING, message="back missing")
    unreadable = Flag(code="member_id_unreadable", severity=Severity.WARNING, message="unreadable")
    for name, difficulty in (("required", "clean"), ("required_not_raised", "clean"), ("other", "hard")):
        folder = write_case(tmp_path, name, difficulty=difficulty)
        expected = json.loads((folder / "expected.json").read_text())
        expected["required_flags"] = ["back_photo_missing"]
        (folder / "expected.json").write_text(json.dumps(expected))
    outcomes = [result("required", CARD), result("required_not_raised", CARD), result("other", CARD)]
    outcomes[0].flags.append(back_missing)
    outcomes[2].flags.extend([back_missing, unreadable])
    data = evaluate(outcomes, tmp_path).as_dict()
    assert (data["correct_forms"], data["correct_forms_flagged"]) == (3, pytest.approx(33.3))
    assert data["review_by_difficulty"]["clean"]["flagged"] == 0.0
    assert data["review_by_difficulty"]["hard"]["flagged"] == 100.0
    assert (data["requiring_flags"], data["required_flags_raised"]) == (3, pytest.approx(66.7))
