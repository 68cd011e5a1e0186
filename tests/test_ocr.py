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


class CropRecorder(FakeEngine):
    """Reads nothing, but keeps each single-line crop it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.crops: list[np.ndarray] = []

    def recognise(self, image: np.ndarray, *, psm: int | None = None) -> Page:
        self.crops.append(image)
        return super().recognise(image, psm=psm)


def glyph_row(*runs: tuple[int, int]) -> np.ndarray:
    """A white card with rows of glyph-like blocks (30 px tall, 8 px apart) from x0 to x1 for each run."""
    image = np.full((200, 1280), 255, np.uint8)
    for x0, x1 in runs:
        for x in range(x0, x1 - 19, 28):
            image[50:80, x:x + 20] = 0
    return image


def test_a_value_read_again_takes_in_the_glyphs_its_box_split_off_but_not_the_next_column():
    """The crop follows the line's ink past a box that holds only the end of a large ID, and stops at
    the wide gap before the next column, whose glyph it would cut and so blanks."""
    from card_reader.ocr import read_value_box

    image = glyph_row((380, 700), (744, 1100))  # the value's run, then 1.5 letter heights of space
    engine = CropRecorder()
    list(read_value_box([engine], [image], Box(500, 50, 200, 30)))
    crop = engine.crops[0]
    scale = 36 / 30  # the first variant's letter height over the box's
    inked = np.flatnonzero((crop < 128).any(axis=0))
    assert inked[-1] - inked[0] >= (680 - 380) * scale - 4  # every glyph from the run's first on
    assert inked[-1] - inked[0] <= (680 - 380) * scale + 4  # none of the next column's


def test_a_value_is_read_again_by_each_engine_in_turn_and_an_empty_reading_keeps_its_turn():
    """Reading ``i`` is engine ``i % engines``'s, so a vote can tell the models apart; an engine that
    reads nothing still yields its (empty) turn."""
    from card_reader.ocr import read_value_box

    image = glyph_row((380, 700))
    first, second = CropRecorder(), CropRecorder()
    readings = read_value_box([first, second], [image], Box(380, 50, 320, 30))
    assert [next(readings), next(readings), next(readings)] == [(), (), ()]
    assert (len(first.crops), len(second.crops)) == (2, 1)
    assert first.crops[0] is second.crops[0]  # one crop per variant, read by both


class MeetingEngine(CropRecorder):
    """Reads a line only once another engine is reading at the same moment (a barrier both must reach):
    engines read one after the other never meet, and the barrier breaks."""

    def __init__(self, barrier, text: str) -> None:
        super().__init__()
        self.barrier, self.text = barrier, text

    def recognise(self, image: np.ndarray, *, psm: int | None = None) -> Page:
        self.barrier.wait(timeout=10)
        self.crops.append(image)
        return Page(image.shape[1], image.shape[0], (Block((Line((Word(self.text, Box(0, 0, 10, 10), 0.9),)),)),))


def test_with_threads_both_engines_read_each_variant_at_once_and_the_readings_keep_their_turns():
    """The two settling models read each crop at the same time; the readings come out as one thread
    gives them (engine ``i % 2``'s at ``i``), and both are in before the first is yielded, so a caller
    that stops after it leaves no engine reading."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from card_reader.ocr import read_value_box

    barrier = threading.Barrier(2)
    first, second = MeetingEngine(barrier, "A1"), MeetingEngine(barrier, "B2")
    with ThreadPoolExecutor(2) as pool:
        readings = read_value_box([first, second], [glyph_row((380, 700))], Box(380, 50, 320, 30), pool=pool)
        assert [next(readings) for _ in range(3)] == [(("A1", 0.9),), (("B2", 0.9),), (("A1", 0.9),)]
        assert (len(first.crops), len(second.crops)) == (2, 2)  # the third's partner was read with it
        readings.close()


def test_a_line_the_reading_dropped_is_read_again_whole_but_a_small_label_apart_from_a_large_value():
    """Ink no word covers is read again: a label and its value of one type size as one line (alone, the
    value loses its label), a small label beside a large value apart (read as one line, it is lost)."""
    from card_reader.ocr import unread_regions

    image = np.full((807, 1280), 255, np.uint8)
    image[300:330, 40:140] = 0  # "Group", 30 px tall
    image[300:330, 170:380] = 0  # "76-227918" a word space further
    image[520:540, 40:200] = 0  # "SUBSCRIBER", 20 px tall
    image[500:560, 240:700] = 0  # "XEH 804395884", 60 px tall
    page = Page(1280, 807, (Block((Line((Word("UMR", Box(40, 40, 200, 80), 0.95),)),)),))
    regions = sorted(unread_regions(image, page), key=lambda b: (b.y, b.x))
    assert len(regions) == 3
    group, small, large = regions[0], min(regions[1:], key=lambda b: b.x), max(regions[1:], key=lambda b: b.x)
    assert group.x <= 40 and group.right >= 380
    assert small.right < 240 < large.x + large.w


def test_a_small_label_beside_a_large_value_is_read_apart_each_at_its_own_scale():
    """Read as one line, scaled by the value's tall glyphs, a small label beside it is lost: the region is
    cut where the type size changes, and each part read alone; one type size is read as one line."""
    from card_reader.ocr import reread_region

    image = np.full((400, 1280), 255, np.uint8)
    image[200:215, 40:160] = 0  # "Member ID", 15 px tall
    image[165:215, 190:600] = 0  # "322219942", 50 px tall, on the same baseline
    image[300:330, 40:140] = 0  # "Group", then "76-577079" in the same size
    image[300:330, 170:380] = 0
    engine = CropRecorder()
    reread_region(engine, image, Box(20, 150, 620, 80))
    assert len(engine.crops) == 2  # the label, then the value
    label, number = engine.crops
    assert label.shape[0] >= 3 * 15 and number.shape[0] < 2 * 50  # each scaled to its own letter height
    engine = CropRecorder()
    reread_region(engine, image, Box(20, 290, 400, 50))
    assert len(engine.crops) == 1
    # however close: "MEMBER ID" 15 px from a number 50 px tall, nearer than a third of the line's height
    image[165:215, 160:175] = 255
    image[165:215, 175:190] = 0
    engine = CropRecorder()
    reread_region(engine, image, Box(20, 150, 620, 80))
    assert len(engine.crops) == 2


def test_a_label_read_into_the_values_box_is_left_out_of_the_value_read_again():
    """The engine's word for a boxed value took in the small "ID:" above it: the value is read again from
    the widest line of ink in that box only."""
    from card_reader.ocr import read_value_box

    image = glyph_row((380, 700))
    image[20:36, 380:440] = 0  # the label: a short, small line above the value
    engine = CropRecorder()
    list(read_value_box([engine], [image], Box(380, 20, 320, 60)))
    crop = engine.crops[0]
    inked_rows = np.flatnonzero((crop < 128).any(axis=1))
    assert 36 - 3 <= inked_rows[-1] - inked_rows[0] <= 36 + 3  # one line of glyphs scaled to 36 px, nothing above


def test_a_dropped_line_is_read_in_the_rendering_that_reads_it_all():
    """The first rendering reads the label surely and the value as noise; the next reads both: the line
    is that one's reading. A rendering that reads the whole line surely ends the search."""
    from card_reader.ocr import reread_dropped_line

    image = np.full((200, 800), 255, np.uint8)
    image[80:110, 40:380] = 0  # one line of one type size: "Group 76-278287"
    renderings = [(image, 48), (image, 28), (image, 18)]

    def line(*words):
        return Page(800, 60, (Block((Line(tuple(Word(text, Box(20 + 200 * i, 10, 150, 40), confidence)
                                                 for i, (text, confidence) in enumerate(words))),)),))

    engine = FakeEngine(lines=[line(("Group", 0.97), ("716-278287", 0.17)), line(("Group", 0.96), ("76-278287", 0.63)),
                               line(("Group", 0.9), ("76-278287", 0.7))])
    words = reread_dropped_line(engine, renderings, Box(30, 70, 360, 50), min_confidence=0.3)
    assert [w.text for w in words] == ["Group", "76-278287"] and engine.line_calls == 2
    engine = FakeEngine(lines=[line(("Group", 0.97), ("716-278287", 0.17))])
    words = reread_dropped_line(engine, renderings, Box(30, 70, 360, 50), min_confidence=0.3)
    assert [w.text for w in words] == ["Group"] and engine.line_calls == 3  # the best there was


def test_a_label_read_into_the_value_under_it_is_split_off_and_read():
    """The engine read the small "Grp" above "955482" into the value's word: the word keeps its text on
    its own line of ink, and the line above is read again for the label; a word over one line is left
    alone."""
    from card_reader.ocr import split_stacked

    image = np.full((400, 1280), 255, np.uint8)
    image[290:308, 722:775] = 0  # "Grp"
    image[318:350, 722:840] = 0  # "955482"
    image[100:130, 50:300] = 0  # "36936581"
    page = Page(1280, 400, (Block((Line((Word("955482", Box(722, 284, 119, 73), 0.82),)),
                                   Line((Word("36936581", Box(48, 96, 256, 38), 0.95),)))),))
    label = Page(200, 60, (Block((Line((Word("Grp", Box(12, 12, 60, 24), 0.9),)),)),))
    engine = FakeEngine(lines=[label])
    split = {w.text: w for w in split_stacked(engine, image, page, min_confidence=0.3).words()}
    assert engine.line_calls == 1 and set(split) == {"955482", "36936581", "Grp"}
    assert split["955482"].box.y >= 310 and split["Grp"].box.bottom <= 318  # the value below its label
    assert split["36936581"].box == Box(48, 96, 256, 38)


def test_a_number_split_at_glyph_spacing_is_one_word_of_its_row_but_printed_spaces_are_kept():
    """Large monospaced digits read as "13 19 3 5": the gaps are a glyph's spacing (8 px at 55 px tall),
    where a printed space is half a letter height or more."""
    number = [word("13", 321, w=74, h=55), word("19", 403, w=74, h=55), word("3", 485, w=35, h=55),
              word("5", 528, w=33, h=55), word("01", 601, w=74, h=55, confidence=0.6)]  # the suffix, a space apart
    page = page_of(word("IDENTIFICATION", 49, y=125, h=19), word("#", 284, y=125, w=16, h=19), *number,
                   word("H7845", 720, y=112, h=30), word("314", 820, y=112, h=30))
    [row] = page.rows
    assert [w.text for w in row.words] == ["IDENTIFICATION", "#", "131935", "01", "H7845", "314"]
    joined = row.words[2]
    assert joined.box == Box(321, 100, 240, 55) and 0.94 < joined.confidence < 0.96
    # a label's tail read close before the value ("ID" as "io") is no part of it
    [row] = page_of(word("io", 140, w=30, h=55), word("418517873", 176, w=250, h=55)).rows
    assert [w.text for w in row.words] == ["io", "418517873"]


def test_a_bar_inside_the_end_of_a_numbers_box_is_its_last_digit_but_a_frame_apart_is_not():
    """A serif 1 read as a bar the engine boxed over the number's end ("FPM27459668 |", the bar taller
    with blur): the number's last digit. A box's side stands clear of the value it frames."""
    [row] = page_of(word("FPM27459668", 396, w=275, h=32, y=242), word("|", 655, w=20, h=48, y=238)).rows
    assert [w.text for w in row.words] == ["FPM274596681"]
    assert row.words[0].box == Box(396, 238, 279, 48)
    [row] = page_of(word("27459668", 396, w=200, h=32, y=242), word("|", 620, w=4, h=60, y=230)).rows
    assert [w.text for w in row.words] == ["27459668", "|"]
    [row] = page_of(word("ABCDEF", 396, w=150, h=32, y=242), word("|", 540, w=8, h=32, y=242)).rows
    assert [w.text for w in row.words] == ["ABCDEF", "|"]  # a letter's stroke is no digit


def test_a_rule_touching_a_glyph_is_blanked_without_the_glyph():
    """A dark band's wavy lower edge meets a 9's top, in the rows a value's crop reaches above it: the
    band is blanked, the 9 stays (with the band, it would have been blanked as a neighbour cut by the
    crop, and the value read without it)."""
    from card_reader.ocr import read_value_box

    image = glyph_row((380, 700))
    image[38:44, :] = 0  # the band's edge, 6 px above the glyphs, across the whole card
    image[44:50, 492:500] = 0  # where it sags onto the fifth glyph (x 492-512)
    engine = CropRecorder()
    list(read_value_box([engine], [image], Box(380, 50, 320, 30)))
    crop = engine.crops[0]
    assert ((crop[:20] < 128).sum(axis=1) < crop.shape[1] / 3).all()  # the band itself is gone
    inked = (crop < 128).any(axis=0).astype(int)
    glyphs = np.count_nonzero(np.diff(inked) == 1)
    assert glyphs == len(range(380, 700 - 19, 28))  # every glyph of the run, the one the band touched too
