"""The whole path with a fake engine (no Tesseract): contract, logging, errors, CLI exit codes."""

import json
import logging
import subprocess
import sys

import cv2
import numpy as np
import pytest

from card_reader import CardReader, ClientSubmission
from card_reader.cli import main
from card_reader.errors import CardReaderError, InputError
from card_reader.models import CardResult
from card_reader.ocr import FakeEngine, page_from_text
from card_reader.prepare import motion_kernel

FRONT = ("UnitedHealthcare     Choice Plus\nHealth Plan (80840) 911-87726-04\n"
         "Member ID: 912345678     Group Number: 98765\nMember: JANE Q DOE")
BACK = "Payer ID 87726\nRxBIN 610279  RxPCN 9999  RxGrp UHEALTH\nCustomer Service 1-866-633-2446"


def card_photo(path, size=(1600, 1200)):
    """A light card-shaped rectangle with text-like bars on a dark table."""
    photo = np.full((size[1], size[0], 3), 40, np.uint8)
    card = np.full((500, 793, 3), 235, np.uint8)
    for row in range(6):
        cv2.rectangle(card, (60, 60 + row * 70), (60 + 90 * (row + 2), 90 + row * 70), (30, 30, 30), -1)
    photo[350:850, 400:1193] = card
    cv2.imwrite(str(path), photo)
    return path


def read_unsurely(page, held, confidence):
    """The page with the line holding ``held`` read at ``confidence``."""
    from dataclasses import replace

    from card_reader.ocr import Block, Line

    return replace(page, blocks=tuple(Block(tuple(
        Line(tuple(replace(w, confidence=confidence) for w in line.words)) if held in line.text else line
        for line in block.lines)) for block in page.blocks))


def in_large_type(page, held):
    """The page with the line holding ``held`` three times as tall (a logo; leave room below it)."""
    from dataclasses import replace

    from card_reader.ocr import Block, Line

    def taller(line):
        return Line(tuple(replace(w, box=replace(w.box, h=w.box.h * 3)) for w in line.words))

    return replace(page, blocks=tuple(Block(tuple(taller(line) if held in line.text else line for line in block.lines))
                                      for block in page.blocks))


@pytest.fixture
def reader():
    return CardReader(engine=FakeEngine([page_from_text(FRONT), page_from_text(BACK)]))


def test_result_contract(tmp_path, reader):
    result = reader.read(card_photo(tmp_path / "f.png"), card_photo(tmp_path / "b.png"),
                         {"member_id": "912345678", "group_number": "XXXXXX", "insurance_provider": "UHC"})
    assert result.payer.id == "uhc"
    assert result.fields["member_id"].value == "912345678"
    assert result.fields["member_id"].side == "front" and len(result.fields["member_id"].box) == 4
    assert result.fields["group_number"].portal_value == "XXXXXX"
    assert result.fields["rx_group"].side == "back"
    assert {c.field: c.status.value for c in result.checks} == {
        "member_id": "match", "group_number": "placeholder", "insurance_provider": "match"}
    assert not result.needs_review
    assert set(result.quality) == {"front", "back"} and result.quality["front"].card_found
    assert {"load", "locate", "ocr", "payer", "extract", "verify"} <= set(result.timings_ms)
    assert CardResult.model_validate_json(result.model_dump_json()) == result


def test_a_misread_member_id_is_settled_by_reading_its_box_again(tmp_path):
    """The page reading took a 1 for a 7; its own box, read again alone, says otherwise in every variant."""
    misread = FRONT.replace("912345678", "972345678")
    lines = [page_from_text("ID: 912345678")] * 9
    engine = FakeEngine([page_from_text(misread), page_from_text(BACK)], lines=lines)
    result = CardReader(engine=engine).read(card_photo(tmp_path / "f.png"), card_photo(tmp_path / "b.png"),
                                            {"member_id": "912345678"})
    assert result.fields["member_id"].value == "912345678"
    assert engine.line_calls >= 9 and "ocr_settle" in result.timings_ms
    assert [c.status.value for c in result.checks if c.field == "member_id"] == ["match"]


def test_a_typed_member_id_matching_the_runner_up_of_the_vote_is_the_reading_shown(tmp_path):
    """The re-readings split between two readings of a digit: the one the client typed is the card's."""
    misread = FRONT.replace("912345678", "972345678")
    lines = [page_from_text("ID: 972345678"), page_from_text("ID: 912345678")] * 5

    def member_id(typed):
        engine = FakeEngine([page_from_text(misread), page_from_text(BACK)], lines=lines)
        result = CardReader(engine=engine).read(card_photo(tmp_path / "f.png"), card_photo(tmp_path / "b.png"),
                                                typed)
        return result.fields["member_id"].value, [c.status.value for c in result.checks if c.field == "member_id"]

    assert member_id({}) == ("972345678", [])
    assert member_id({"member_id": "912345678"}) == ("912345678", ["match"])


def test_a_second_settling_engine_votes_too(tmp_path):
    """The first engine reads nothing more in the value's box; the second model's readings decide."""
    misread = FRONT.replace("912345678", "972345678")
    first = FakeEngine([page_from_text(misread), page_from_text(BACK)])
    second = FakeEngine(lines=[page_from_text("912345678")] * 9, name="second")
    reader = CardReader(engine=first, settle_engines=[first, second])
    result = reader.read(card_photo(tmp_path / "f.png"), card_photo(tmp_path / "b.png"))
    assert result.fields["member_id"].value == "912345678" and second.line_calls >= 9
    assert "fake" in result.versions.engine and "second" in result.versions.engine


def test_a_number_read_broken_beside_its_label_is_read_again_from_its_words(tmp_path, monkeypatch):
    """A shadow's edge broke the group beside its label ("Group Number: 98 °'5", no value of its shape):
    its words' box read again as a value's is settles it, under the label read."""
    import card_reader.pipeline as pipeline

    broken = FRONT.replace("98765", "98 °‘5")
    boxes = []

    def read_value_box(engines, images, box, pool=None):
        boxes.append(box)
        return iter([(("98765", 0.9),)] * 6)

    monkeypatch.setattr(pipeline, "read_value_box", read_value_box)
    engine = FakeEngine([page_from_text(broken), page_from_text(BACK)])
    result = CardReader(engine=engine).read(card_photo(tmp_path / "f.png"), card_photo(tmp_path / "b.png"),
                                            {"group_number": "98765"})
    assert (result.fields["group_number"].value, result.fields["group_number"].label) == ("98765", "Group Number")
    assert [c.status.value for c in result.checks if c.field == "group_number"] == ["match"]
    assert boxes


def test_dark_photo_and_missing_outline_are_quality_issues(tmp_path):
    """Issues name what the client can fix; a retake is asked for only because the ID was not read."""
    dark = card_photo(tmp_path / "dark.png")
    cv2.imwrite(str(dark), (cv2.imread(str(dark)) * 0.4).astype(np.uint8))  # the same card in poor light
    crop = tmp_path / "crop.png"
    cv2.imwrite(str(crop), cv2.imread(str(card_photo(tmp_path / "c.png")))[350:850, 400:1193])
    reader = CardReader(engine=FakeEngine([page_from_text("UnitedHealthcare\nGroup Number 98765")]))
    result = reader.read(dark, crop)
    assert "dark" in result.quality["front"].issues and result.quality["front"].card_found
    assert "card_not_found" in result.quality["back"].issues and "dark" not in result.quality["back"].issues
    retakes = [f.message for f in result.flags if f.code == "photo_retake"]
    assert any("too dark" in m for m in retakes) and result.needs_review


def test_no_phi_in_logs_at_any_level(tmp_path, reader, caplog):
    caplog.set_level(logging.DEBUG, logger="card_reader")
    reader.read(card_photo(tmp_path / "f.png"), card_photo(tmp_path / "b.png"),
                ClientSubmission(member_id="912345687", first_name="Jane", last_name="Dough",
                                 date_of_birth="1985-01-02"))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in ("912345678", "912345687", "JANE", "Jane", "DOE", "Dough", "1985"):
        assert secret not in logged


def test_bad_image_raises_typed_error_and_reader_goes_on(tmp_path, reader):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"this is not an image")
    with pytest.raises(InputError) as raised:
        reader.read(bad)
    assert raised.value.code == "not_an_image"
    assert reader.read(card_photo(tmp_path / "f.png")).payer.id == "uhc"


def test_cli_exit_code_and_message_for_bad_input(tmp_path, capsys):
    empty = tmp_path / "front.jpg"
    empty.write_bytes(b"")
    assert main(["inspect", str(empty)]) == InputError.exit_code
    assert "image_empty" in capsys.readouterr().err


def test_cli_bad_typed_form(tmp_path, capsys):
    form = tmp_path / "typed.json"
    form.write_text("{not json")
    assert main(["inspect", str(card_photo(tmp_path / "f.png")), "--typed", str(form)]) == 3
    assert "invalid_submission" in capsys.readouterr().err


def test_every_error_has_a_stable_code_and_exit_code():
    def walk(cls):
        yield cls
        for sub in cls.__subclasses__():
            yield from walk(sub)

    seen = set()
    for cls in walk(CardReaderError):
        assert cls.code not in seen, cls
        seen.add(cls.code)
        assert isinstance(cls.exit_code, int) and cls.exit_code != 0


def test_import_pulls_in_no_cli_framework():
    code = ("import sys, card_reader, card_reader.pipeline; "
            "print(','.join(m for m in ('rich', 'click', 'typer', 'fastapi') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_batch_one_bad_card_fails_alone(tmp_path):
    from card_reader.batch import discover_cases, read_case
    from card_reader.models import CardFailure

    for name in ("a_good", "b_bad", "c_good"):
        (tmp_path / name).mkdir()
    card_photo(tmp_path / "a_good" / "front.png")
    (tmp_path / "b_bad" / "front.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    card_photo(tmp_path / "c_good" / "front.png")
    (tmp_path / "c_good" / "notes.txt").write_text("ignored")
    cases = discover_cases(tmp_path)
    assert [c.case for c in cases] == ["a_good", "b_bad", "c_good"]
    reader = CardReader(engine=FakeEngine([page_from_text(FRONT)]))

    outcomes = [read_case(c, reader) for c in cases]
    assert isinstance(outcomes[1], CardFailure) and outcomes[1].error in {"image_truncated", "not_an_image"}
    assert [o.payer.id for o in (outcomes[0], outcomes[2])] == ["uhc", "uhc"]
    assert json.loads(outcomes[1].model_dump_json())["case"] == "b_bad"


def test_debug_dir_shows_each_stage(tmp_path, reader):
    """--debug-dir: the outline on the photo, the straightened side, the OCR input and the words read, per side."""
    reader.read(card_photo(tmp_path / "f.png"), card_photo(tmp_path / "b.png"), debug_dir=tmp_path / "debug")
    for side in ("front", "back"):
        for stage in ("1_photo_outline.jpg", "2_straightened.png", "3_ocr_input.png", "4_ocr_words.png"):
            image = cv2.imread(str(tmp_path / "debug" / f"{side}_{stage}"))
            assert image is not None and image.size > 0, f"{side}_{stage}"
    outline = cv2.imread(str(tmp_path / "debug" / "front_1_photo_outline.jpg"))
    assert (outline[:, :, 2] > 200).sum() > (outline[:, :, 1] > 200).sum()  # a red outline was drawn on a dark table


def test_annotated_card_shows_the_fields_read_on_the_straightened_sides(tmp_path, reader):
    out = tmp_path / "annotated.png"
    result = reader.read(card_photo(tmp_path / "f.png"), card_photo(tmp_path / "b.png"), annotate=out)
    image = cv2.imread(str(out))
    assert image is not None and image.shape[0] > image.shape[1] * 0.9  # the two sides one above the other
    green = (image[:, :, 1] > 140) & (image[:, :, 0] < 60) & (image[:, :, 2] < 60)
    x, y, w, h = result.fields["member_id"].box
    assert green[y - 2:y + h + 3, x - 2:x + w + 3].any()  # the member ID's box is drawn where it was read


class LaterPagesRead(FakeEngine):
    """Reads ``lacking`` for its first ``first`` page readings, then ``better``: stands in for an engine
    that reads a shaken photo poorly and the same photo deblurred well."""

    def __init__(self, lacking: str, better: str, first: int) -> None:
        super().__init__([page_from_text(lacking)] * first + [page_from_text(better)])


def shaken(path, tmp_path):
    """The card photo smeared by a vertical shake of the camera."""
    out = tmp_path / f"shaken_{path.name}"
    cv2.imwrite(str(out), cv2.filter2D(cv2.imread(str(path)), -1, motion_kernel(15, 90)))
    return out


def test_a_shaken_photo_whose_reading_lacks_the_member_id_is_read_again_deblurred(tmp_path):
    """The first reading (layout pass and full-page pass) lacks the member ID; the side is read again with
    the shake taken out, and that reading, which has it, is kept. A sharp photo is never deblurred."""
    lacking = "UnitedHealthcare\nGroup Number: 98765"
    # page readings that lack it: the layout pass, the full-page pass, and the first shake tried
    engine = LaterPagesRead(lacking, FRONT, first=3)
    result = CardReader(engine=engine).read(shaken(card_photo(tmp_path / "f.png"), tmp_path))
    assert "blurry" in result.quality["front"].issues and "deblur" in result.timings_ms
    assert result.fields["member_id"].value == "912345678"

    sharp = CardReader(engine=LaterPagesRead(lacking, FRONT, first=3)).read(card_photo(tmp_path / "s.png"))
    assert "deblur" not in sharp.timings_ms and "member_id" not in sharp.fields


def test_a_deblurred_reading_that_reads_no_more_is_not_kept(tmp_path):
    lacking = "UnitedHealthcare\nGroup Number: 98765"
    result = CardReader(engine=FakeEngine([page_from_text(lacking)])).read(
        shaken(card_photo(tmp_path / "f.png"), tmp_path))
    assert "deblur" in result.timings_ms and "member_id" not in result.fields
    assert result.fields["group_number"].value == "98765"


def test_a_logo_read_as_two_letters_of_noise_is_read_again():
    """"UMR" in large type read as "UR" at no confidence is a doubtful line; two letters of noise in the
    card's own type size are not worth a reading."""
    from card_reader.ocr import Block, Box, Line, Page, Word
    from card_reader.pipeline import _doubtful_lines

    def row(text, y, h, confidence):
        return Block((Line((Word(text, Box(40, y, 30 * len(text), h), confidence),)),))

    body = [row(f"Line{i} text", 200 + 40 * i, 28, 0.95) for i in range(6)]
    page = Page(1280, 807, (row("UR", 20, 108, 0.0), row("ee", 600, 28, 0.1), *body))
    doubtful = _doubtful_lines(page)
    assert len(doubtful) == 1 and doubtful[0].y < 20 < doubtful[0].bottom


def test_a_number_read_unsurely_on_a_line_read_well_is_read_again_though_noise_fills_the_doubtful_lines():
    """"913800" at no confidence beside "681405439" read surely: the line's mean is above the noise that
    takes the three least sure lines, so the number is read again alone; a sure number, a word of
    letters and a number on a line already read again are not."""
    from card_reader.ocr import Block, Box, Line, Page, Word
    from card_reader.pipeline import _doubtful_lines, _doubtful_numbers

    def row(y, *words):
        return Block((Line(tuple(Word(text, Box(x, y, 20 * len(text), 40), c) for text, x, c in words)),))

    noise = [row(600 + 50 * i, ("eee", 40, 0.0), ("ae", 200, 0.1)) for i in range(3)]
    page = Page(1280, 807, (row(300, ("681405439", 60, 0.97), ("913800", 620, 0.0)),
                            row(400, ("Plan", 60, 0.2), ("Options", 200, 0.9), ("PPO", 400, 0.9)), *noise,
                            row(750, ("4417", 40, 0.0), ("eee", 200, 0.0))))
    assert [word.text for word in _doubtful_numbers(page, _doubtful_lines(page))] == ["913800"]


def test_a_zone_read_again_is_drawn_back_off_the_line_it_only_clips():
    """The zone beside "ID:", a letter height above and below it, clips the top of "W711098331" under it:
    read so, the value's top half came back as noise. The zone stops where that line starts; a word it
    mostly holds (the name in the same line) is taken whole, and a zone clipping both lines deeply keeps
    half its depth at least."""
    from card_reader.ocr import Block, Box, Line, Page, Word
    from card_reader.pipeline import _whole_words

    def row(*words):
        return Block((Line(tuple(Word(text, box, 0.9) for text, box in words)),))

    page = Page(1280, 807, (row(("ID:", Box(45, 330, 29, 23)), ("DMITRI", Box(300, 328, 100, 27))),
                            row(("W711098331", Box(40, 361, 240, 51)))))
    zone = _whole_words(Box(74, 307, 690, 69), page)
    assert zone.bottom == 361 and zone.y == 307
    assert _whole_words(Box(74, 340, 690, 30), page) == Box(74, 328, 690, 33)  # grown to hold DMITRI
    deep = Box(74, 300, 690, 80)
    page_below = Page(1280, 807, (row(("W711098331", Box(80, 335, 240, 300))),))
    assert _whole_words(deep, page_below) == deep  # stopping short of it would leave too little


def test_a_doubtful_number_read_again_shorter_than_it_was_read_keeps_its_first_reading():
    """"4279605" first read as "79605" at 0.36 in a box spanning all seven digits; read again alone, glare
    takes the "42" and "79605" comes back sure in a box 60% as wide: that reading lost part of the number."""
    from card_reader.ocr import Box, Word
    from card_reader.pipeline import _whole_number_read

    first = Word("79605", Box(611, 349, 248, 64), 0.36)
    assert not _whole_number_read(first, [Word("79605", Box(708, 349, 153, 38), 0.97)])
    assert _whole_number_read(first, [Word("42", Box(611, 349, 80, 38), 0.6),
                                      Word("79605", Box(708, 349, 153, 38), 0.97)])
    assert not _whole_number_read(first, [])


def test_the_first_and_the_deblurred_reading_vote_field_by_field(tmp_path):
    """The photo as it is reads the member ID and not the group number; deblurred, the group number and
    not the member ID: the card keeps both."""
    engine = LaterPagesRead("UnitedHealthcare\nMember ID: 912345678", "UnitedHealthcare\nGroup Number: 98765",
                            first=3)
    result = CardReader(engine=engine).read(shaken(card_photo(tmp_path / "f.png"), tmp_path))
    assert "deblur" in result.timings_ms
    assert result.fields["member_id"].value == "912345678" and result.fields["group_number"].value == "98765"


def test_a_typed_name_the_page_misread_is_read_again_before_review(tmp_path):
    """The page reading ran the middle initial into the first name (JANEQ); the member's line read again
    alone reads JANE Q, so the correct form is not sent to review."""
    glued = FRONT.replace("JANE Q DOE", "JANEQ DOE")
    engine = FakeEngine([page_from_text(glued), page_from_text(BACK)],
                        lines=[page_from_text("Member: JANE Q DOE")] * 60)
    result = CardReader(engine=engine).read(card_photo(tmp_path / "f.png"), card_photo(tmp_path / "b.png"),
                                            {"first_name": "Jane", "last_name": "Doe"})
    assert "ocr_names" in result.timings_ms
    assert {c.field: c.status.value for c in result.checks} == {"first_name": "match", "last_name": "match"}
    assert not result.needs_review


def test_lines_read_unsurely_are_read_again_only_where_the_first_reading_needs_them(tmp_path):
    """A card whose payer and numbers were read surely beside their labels costs no second look at its
    doubtful lines; one whose member ID label was lost does."""
    plain = CardReader(engine=FakeEngine([page_from_text(FRONT), page_from_text(BACK)]))
    result = plain.read(card_photo(tmp_path / "f.png"), card_photo(tmp_path / "b.png"))
    assert result.fields["member_id"].value == "912345678" and "ocr_doubtful" not in result.timings_ms
    unlabelled = FRONT.replace("Member ID: ", "")
    unsure = CardReader(engine=FakeEngine([page_from_text(unlabelled), page_from_text(BACK)]))
    assert "ocr_doubtful" in unsure.read(card_photo(tmp_path / "f.png"), card_photo(tmp_path / "b.png")).timings_ms


def test_the_whole_sides_are_read_again_with_layout_only_where_the_first_reading_missed_it(tmp_path):
    """A card of a payer without a template, its numbers read surely beside their labels, is not read
    again whole; one whose member ID label was lost is, and one whose member ID was read unsurely."""
    unknown = "Acme Health Plan\nMember ID: 912345678     Group Number: 98765\nMember: JANE Q DOE"
    lost = unknown.replace("Member ID: ", "").replace("\nMember: JANE Q DOE", "")
    for front, full_pages in ((unknown, False), (lost, True)):
        engine = FakeEngine([page_from_text(front), page_from_text("Customer Service 1-800-555-0100")])
        result = CardReader(engine=engine).read(card_photo(tmp_path / "f.png"), card_photo(tmp_path / "b.png"))
        assert result.payer.id == "unknown" and (engine.calls > 2) == full_pages, front
    assert result.fields["group_number"].value == "98765"
    unsure = read_unsurely(page_from_text(unknown), "912345678", 0.6)
    engine = FakeEngine([unsure, page_from_text("Customer Service 1-800-555-0100")])
    CardReader(engine=engine).read(card_photo(tmp_path / "f.png"), card_photo(tmp_path / "b.png"))
    assert engine.calls > 2


def test_a_number_the_doubtful_lines_read_again_no_longer_give_keeps_its_first_reading(tmp_path, monkeypatch):
    """Lines read unsurely are read again; where the new reading of a line loses a number (a BCBS prefix
    "UXJ" read again as "UXJI" composes no member ID), the first reading of it stands."""
    from card_reader import pipeline
    from card_reader.ocr import Word

    monkeypatch.setattr(pipeline, "reread_region", lambda engine, image, box, **_: [Word("X" * 40, box, 0.9)])
    page = page_from_text(FRONT.replace("912345678     ", "912345678\n"))  # the member ID on a line of its own
    unsure = read_unsurely(page, "912345678", 0.5)
    engine = FakeEngine([unsure, page_from_text(BACK)])
    result = CardReader(engine=engine).read(card_photo(tmp_path / "f.png"), card_photo(tmp_path / "b.png"))
    assert "ocr_doubtful" in result.timings_ms and result.fields["member_id"].value == "912345678"


def test_a_doubtful_line_the_ink_reads_no_better_is_read_from_the_photo(tmp_path, monkeypatch):
    """A large bold logo read "OXiOTA" at no confidence, and again "OXiOrd" from the ink (our contrast
    hollows its thick strokes): the photo in grey, read next, says "Oxford" surely and names the payer."""
    from card_reader import pipeline
    from card_reader.ocr import Word

    def read_with(ink_confidence):
        readings = iter((("OXiOrd", ink_confidence), ("Oxford", 0.97)))

        def reread(engine, image, box, **_):
            text, confidence = next(readings, ("Oxford", 0.97))
            return [Word(text, box, confidence)]

        monkeypatch.setattr(pipeline, "reread_region", reread)
        page = page_from_text("OXiOTA\nA UnitedHealthcare Company\nMember ID 520964889\nGroup 61807")
        logo = read_unsurely(page, "OXiOTA", 0.0)
        return CardReader(engine=FakeEngine([logo])).read(card_photo(tmp_path / "f.png"))

    result = read_with(0.0)
    assert "ocr_doubtful" in result.timings_ms and result.payer.id == "oxford"
    # an ink reading unsure but legible ("cRP 69935 1ISMT" at 0.65: its label still read) is kept
    assert read_with(0.6).payer.id == "unknown"


def test_a_sure_word_the_photo_reads_among_noise_replaces_the_inks(tmp_path, monkeypatch):
    """The photo reads the logo "Oxford" surely, but a shadow beside it as noise ("aa", "ee"): the line
    as a whole is no surer than the ink's, yet its sure word replaces the ink's noise under it and
    names the payer. Its two-letter noise does not."""
    from dataclasses import replace

    from card_reader import pipeline
    from card_reader.ocr import Word

    def reread(engine, image, box, **_):
        if not any(image is p for p in photos):
            return [Word("OXiOrd", box, 0.1)]
        third = box.w // 3
        return [Word(text, replace(box, x=box.x + i * third, w=third - 4), confidence)
                for i, (text, confidence) in enumerate((("Oxford", 0.69), ("aa", 0.3), ("ee", 0.3)))]

    photos = []
    photo_grey = pipeline._photo_grey
    monkeypatch.setattr(pipeline, "_photo_grey", lambda side: photos.append(photo_grey(side)) or photos[-1])
    monkeypatch.setattr(pipeline, "reread_region", reread)
    page = page_from_text("OXiOTA sore.\nA UnitedHealthcare Company\nMember ID 520964889\nGroup 61807")
    result = CardReader(engine=FakeEngine([read_unsurely(page, "OXiOTA", 0.1)])).read(card_photo(tmp_path / "f.png"))
    assert result.payer.id == "oxford"


def test_a_logo_read_as_noise_is_read_again_though_a_parent_brand_was_named(tmp_path):
    """UMR's logo read "UIMR" as noise, UnitedHealthcare named by the small print under it ("A
    UnitedHealthcare Company" read unsurely, so not taken for a sub-brand's mark): the card is not plain,
    and its doubtful lines are read again although its numbers were read surely."""
    page = read_unsurely(page_from_text("UIMR\n\n\n" + FRONT), "UIMR", 0.18)
    engine = FakeEngine([in_large_type(page, "UIMR"), page_from_text(BACK)])
    result = CardReader(engine=engine).read(card_photo(tmp_path / "f.png"), card_photo(tmp_path / "b.png"))
    assert result.fields["member_id"].value == "912345678" and "ocr_doubtful" in result.timings_ms
    plain = CardReader(engine=FakeEngine([page, page_from_text(BACK)]))  # noise in the card's own type size
    assert "ocr_doubtful" not in plain.read(card_photo(tmp_path / "f.png"), card_photo(tmp_path / "b.png")).timings_ms


def test_a_payer_named_by_the_first_reading_stays_named_when_its_line_read_again_loses_it(tmp_path, monkeypatch):
    """A logo read unsurely ("Empire E BlueCross", 0.4) is read again, as "Ernpire BiIIeCr0ss" (0.6):
    surer, so it replaces the first reading, but it names no payer. The payer either reading names is
    the card's."""
    from card_reader import pipeline
    from card_reader.ocr import Word

    monkeypatch.setattr(pipeline, "reread_region",
                        lambda engine, image, box, **_: [Word("Ernpire", box, 0.6), Word("BiIIeCr0ss", box, 0.6)])
    page = page_from_text("Empire E BlueCross\n\n\nMember ID: XWN912345678\nGroup Number: 98765")
    logo = in_large_type(read_unsurely(page, "Empire", 0.4), "Empire")
    later = page_from_text("Ernpire BiIIeCr0ss\n\n\nMember ID: XWN912345678\nGroup Number: 98765")  # whole side again
    result = CardReader(engine=FakeEngine([logo, later])).read(card_photo(tmp_path / "f.png"))
    assert "ocr_doubtful" in result.timings_ms and result.payer.id == "anthem"


def test_a_name_the_photo_reads_as_typed_counts_where_the_ink_read_noise(tmp_path, monkeypatch):
    """The member's line read as noise from the ink ("JAME", 0.3) reads "JANE" from the photo, unsurely
    (0.65), so the ink's reading stays the page's: the photo's is kept among the side's earlier ones, and
    the typed name matches it without the name's line being read yet again."""
    from dataclasses import replace

    from card_reader import pipeline
    from card_reader.ocr import Word

    photos = []
    photo_grey = pipeline._photo_grey

    def recorded(side):
        photos.append(photo_grey(side))
        return photos[-1]

    monkeypatch.setattr(pipeline, "_photo_grey", recorded)

    def reread(engine, image, box, **_):
        first, confidence = ("JANE", 0.65) if any(image is p for p in photos) else ("JAME", 0.3)
        width = box.w // 4
        return [Word(text, replace(box, x=box.x + i * width, w=width - 4), confidence)
                for i, text in enumerate(("Member:", first, "Q", "DOE"))]

    monkeypatch.setattr(pipeline, "reread_region", reread)
    page = page_from_text(FRONT.replace("Member ID: ", "").replace("JANE", "JAME"))  # a lost label
    unsure = read_unsurely(page, "JAME", 0.3)
    result = CardReader(engine=FakeEngine([unsure, page_from_text(BACK)])).read(
        card_photo(tmp_path / "f.png"), card_photo(tmp_path / "b.png"), {"first_name": "Jane", "last_name": "Doe"})
    assert {c.field: c.status.value for c in result.checks} == {"first_name": "match", "last_name": "match"}
    assert "ocr_names" not in result.timings_ms  # settled by the photo's reading, with no line read again


def test_a_name_an_earlier_reading_printed_as_typed_still_counts(tmp_path, monkeypatch):
    """The member's line read unsurely is read again alone, surely but wrong ("PANEL" for JANE): the
    first reading printed the name as typed, and what any reading of the card prints counts, so the
    correct form is not sent to review."""
    from dataclasses import replace

    from card_reader import pipeline
    from card_reader.ocr import Word

    def misread(engine, image, box, **_):
        width = box.w // 4
        return [Word(text, replace(box, x=box.x + i * width, w=width - 4), 0.95)
                for i, text in enumerate(("Member:", "PANEL", "Q", "DOE"))]

    monkeypatch.setattr(pipeline, "reread_region", misread)
    page = page_from_text(FRONT.replace("Member ID: ", ""))  # a lost label: the doubtful lines are read again
    unsure = read_unsurely(page, "JANE", 0.3)
    engine = FakeEngine([unsure, page_from_text(BACK)])
    result = CardReader(engine=engine).read(card_photo(tmp_path / "f.png"), card_photo(tmp_path / "b.png"),
                                            {"first_name": "Jane", "last_name": "Doe"})
    assert "ocr_doubtful" in result.timings_ms and "PANEL" in result.fields["member_name"].value
    assert {c.field: c.status.value for c in result.checks} == {"first_name": "match", "last_name": "match"}


def test_a_label_our_threshold_hollowed_is_read_again_from_the_photo(tmp_path, monkeypatch):
    """"Group:" in thin grey type beside a bold "61807" came out of our threshold as noise ("i"): the
    place left of a lone number of the group's shape is read again alone, from the photo, and the label
    read there makes the number the group's. What is read there decides: a pharmacy label keeps it not."""
    from dataclasses import replace

    from card_reader import pipeline
    from card_reader.ocr import Block, Line, Word

    page = page_from_text("Oxford\nUnitedHealthcare Oxford\nMember ID 520964889\ni 61807")
    page = replace(page, blocks=tuple(Block(tuple(Line(tuple(replace(w, confidence=0.19) if w.text == "i" else w
                                                             for w in line.words)) for line in block.lines))
                                      for block in page.blocks))
    value = next(w for w in page.words() if w.text == "61807")

    photos = []
    photo_grey = pipeline._photo_grey
    monkeypatch.setattr(pipeline, "_photo_grey", lambda side: photos.append(photo_grey(side)) or photos[-1])

    def read_with(label):
        def reread(engine, image, box, **_):  # the photo reads the label where it alone is read
            if any(image is p for p in photos) and box.right < value.box.x and box.y <= value.box.y <= box.bottom:
                return [Word(label, replace(box, x=max(box.x, value.box.x - 90), w=80), 0.7)]
            return [w for w in page.words() if box.overlap(w.box) > 0.5]

        monkeypatch.setattr(pipeline, "reread_region", reread)
        return CardReader(engine=FakeEngine([page])).read(card_photo(tmp_path / "f.png"))

    result = read_with("Group:")
    assert result.fields["group_number"].value == "61807" and "ocr_labels" in result.timings_ms
    assert "group_number" not in read_with("RxGrp:").fields


class ReadsBySize(FakeEngine):
    """Reads ``on_card`` on an image of the straightened card's size and ``elsewhere`` on any other (the
    whole photo): stands in for a box printed on the card outlined as the card, whose text reads as
    nothing, or for a card outlined right whose photo holds nothing more."""

    def __init__(self, on_card: str, elsewhere: str) -> None:
        super().__init__([page_from_text(on_card)])
        self.elsewhere = page_from_text(elsewhere)

    def recognise(self, image, *, psm=None):
        from card_reader.locate import CARD_HEIGHT, CARD_WIDTH

        if psm is None and image.shape[:2] not in ((CARD_HEIGHT, CARD_WIDTH), (CARD_WIDTH, CARD_HEIGHT)):
            self.calls += 1
            return self.elsewhere
        return super().recognise(image, psm=psm)


def test_a_side_that_reads_as_no_text_is_read_where_else_its_card_may_be_on_the_photo(tmp_path):
    photo = card_photo(tmp_path / "f.png")
    found_elsewhere = CardReader(engine=ReadsBySize("", FRONT)).read(photo)
    assert "relocate" in found_elsewhere.timings_ms and found_elsewhere.quality["front"].method == "whole_image"
    assert found_elsewhere.fields["member_id"].value == "912345678"
    # a side read as little text whose photo reads no more elsewhere keeps its outline and its reading
    kept = CardReader(engine=ReadsBySize("Group 98765", "")).read(photo)
    assert "relocate" in kept.timings_ms and kept.quality["front"].method == "outline"
    assert kept.fields["group_number"].value == "98765"
    # a side that reads as a card, or as little text but card words (glare over it), is never looked for
    # elsewhere
    for engine in (FakeEngine([page_from_text(FRONT)]), ReadsBySize("Member Group 98765", FRONT)):
        plain = CardReader(engine=engine).read(photo)
        assert "relocate" not in plain.timings_ms and plain.quality["front"].method == "outline"


class SideBySide(FakeEngine):
    """Reads every page as FRONT; with a barrier, its first page reading waits until its twin's starts
    (both must reach the barrier: engines that read one after the other never meet, and it breaks)."""

    def __init__(self, barrier=None) -> None:
        super().__init__([page_from_text(FRONT)])
        self.barrier, self.twins = barrier, []

    def twin(self) -> "SideBySide":
        self.twins.append(SideBySide(self.barrier))
        return self.twins[-1]

    def recognise(self, image, *, psm=None):
        if self.barrier is not None and psm is None and self.calls == 0:
            self.barrier.wait(timeout=10)
        return super().recognise(image, psm=psm)


def test_a_reader_with_two_threads_reads_the_sides_at_once_each_on_its_own_engine_and_as_one_thread_does(tmp_path):
    import threading

    front, back = card_photo(tmp_path / "f.png"), card_photo(tmp_path / "b.png")
    engine = SideBySide(threading.Barrier(2))
    together = CardReader(engine=engine, threads=2).read(front, back)
    assert len(engine.twins) == 1 and engine.calls and engine.twins[0].calls
    alone = CardReader(engine=SideBySide(), threads=1).read(front, back)
    assert together.model_dump(exclude={"timings_ms"}) == alone.model_dump(exclude={"timings_ms"})
    assert together.fields["member_id"].value == "912345678"
    # an engine that cannot be twinned is never shared between threads; one of the caller's reads on one
    assert CardReader(engine=FakeEngine([page_from_text(FRONT)]), threads=2).threads == 1
    assert CardReader(engine=SideBySide()).threads == 1
