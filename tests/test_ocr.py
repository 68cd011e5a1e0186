"""card_reader.ocr without Tesseract: orientation from the reading, and merging a region read again."""

import numpy as np

from card_reader.ocr import Block, Box, FakeEngine, Line, Page, Word, read_upright, replace_words

VOCABULARY = frozenset({"MEMBER", "GROUP", "AETNA"})


def page_of(*words: Word) -> Page:
    return Page(1280, 807, (Block((Line(tuple(words)),)),))


def word(text: str, x: int, confidence: float = 0.95, y: int = 100, w: int = 0, h: int = 30) -> Word:
    return Word(text, Box(x, y, w or 16 * len(text), h), confidence)


def texts(page: Page) -> list[str]:
    return sorted(w.text for w in page.words())


def test_an_upright_reading_with_card_words_costs_one_reading():
    engine = FakeEngine([page_of(word("MEMBER", 10), word("GROUP", 200))])
    reading = read_upright(engine, np.zeros((80, 120), np.uint8), turns=(0, 180), vocabulary=VOCABULARY)
    assert (reading.rotation, reading.readings, engine.calls) == (0, 1, 1)


def test_without_card_words_the_other_turn_is_read_and_the_better_kept():
    garbled = page_of(word("~~", 10, 0.2), word("IAM", 60, 0.3))
    upright = page_of(word("MEMBER", 10), word("GROUP", 200))
    engine = FakeEngine([garbled, upright])
    reading = read_upright(engine, np.zeros((80, 120), np.uint8), turns=(0, 180), vocabulary=VOCABULARY)
    assert (reading.rotation, reading.readings) == (180, 2)
    assert "MEMBER" in texts(reading.page)


def test_reread_replaces_the_pieces_it_reads_as_one_value():
    first = page_of(word("Member", 10), word("ID", 120), word("W67", 200, 0.9), word("1", 260, 0.7),
                    word("56386", 290, 0.97))
    merged = replace_words(first, Box(190, 90, 300, 50), [word("W67156386", 200, 0.92, w=170)])
    assert texts(merged) == ["ID", "Member", "W67156386"]


def test_reread_keeps_a_confident_label_it_saw_only_as_punctuation():
    first = page_of(word("Member", 10), word("ID", 120), word("W67", 200, 0.9), word("156386", 260, 0.9))
    box = Box(110, 90, 400, 50)  # the zone reaches back over the small label
    merged = replace_words(first, box, [word("»»", 118, 0.0), word("W67156386", 200, 0.92, w=170)])
    assert texts(merged) == ["ID", "Member", "W67156386"]


def test_reread_drops_an_unsure_stray_mark_it_did_not_confirm():
    first = page_of(word("1", 10, 0.28), word("XKU406529445", 40, 0.8))
    merged = replace_words(first, Box(0, 90, 300, 50), [word("XKU406529445", 40, 0.91)])
    assert texts(merged) == ["XKU406529445"]


def test_reread_that_is_less_sure_changes_nothing():
    first = page_of(word("GROUP", 10), word("583723", 120, 0.95))
    merged = replace_words(first, Box(110, 90, 200, 50), [word("S83723", 120, 0.40)])
    assert merged is first
