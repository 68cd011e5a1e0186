"""OCR text in, fields out: each payer's rules and distractors, without Tesseract."""

import pytest

from card_reader.extract import SidePage, extract_fields
from card_reader.ocr import Block, Box, Line, Page, Word, page_from_text
from card_reader.templates import load_templates, portal_group_value
from card_reader.verify import LOW_CONFIDENCE

TEMPLATES = load_templates()
ANTHEM_PREFIX_ROW = ("Anthem Blue Cross and Blue Shield\nMember ID\n"
                     "Prefix   Identification #   Suffix\nSFJ      ET0267210          00")


def read(front: str, back: str = "", payer: str | None = None):
    pages = [SidePage("front", page_from_text(front))]
    if back:
        pages.append(SidePage("back", page_from_text(back)))
    match = TEMPLATES.match([p.page for p in pages])
    if payer is not None:
        assert match.payer_id == payer
    return match, extract_fields(match.template, pages)


def value(extraction, name):
    return extraction.fields[name].value if name in extraction.fields else None


def test_uhc_health_plan_number_is_never_the_member_id():
    match, e = read("UnitedHealthcare     Choice Plus\n"
                    "Health Plan (80840) 911-87726-04\n"
                    "Member ID: 912345678     Group Number: 98765\n"
                    "Member: JANE Q DOE\n"
                    "Payer ID 87726   RxBIN 610279   RxGrp UHEALTH", payer="uhc")
    assert value(e, "member_id") == "912345678"
    assert value(e, "group_number") == "98765"
    assert value(e, "health_plan") == "(80840)911-87726-04"
    assert value(e, "rx_group") == "UHEALTH"
    assert portal_group_value(match.template, "98765") == "XXXXXX"


def test_a_plan_name_is_words_never_the_health_plan_number_after_a_lost_health():
    """"Health" of "Health Plan" lost to glare leaves "Plan (80840) 911-87726-04": no plan's name."""
    _, e = read("UnitedHealthcare\nPlan (80840) 911-87726-04\nMember ID 912345678", payer="uhc")
    assert value(e, "plan_name") is None
    _, e = read("UnitedHealthcare\nPlan: Choice Plus\nMember ID 912345678", payer="uhc")
    assert value(e, "plan_name") == "Choice Plus"


def test_uhc_health_plan_first_and_member_id_below_its_label():
    _, e = read("UnitedHealthcare\n"
                "Health Plan (80840)     Member ID        Group Number\n"
                "911-87726-04            912345678        0705214", payer="uhc")
    assert value(e, "member_id") == "912345678"
    assert value(e, "group_number") == "0705214"


def test_a_label_with_other_text_right_under_it_takes_no_value_from_farther_down():
    """"ID" (of "Payer ID", set on a row of its own by blur) has a date under it and an address's state
    and ZIP code two lines down: with other text between them, standing over it, the address is not the
    label's value. An empty line between a label and its value, or a name under the label's first word
    that ends where the value begins, still leaves the value its own."""
    _, e = read("WellCare Plan\nID\nSunday 09/01/2028\nHartford, CT 06147")
    assert value(e, "member_id") is None
    _, e = read("WellCare Plan\nMember ID\n\nW123456789")
    assert value(e, "member_id") == "W123456789"
    _, e = read("WellCare Plan\nMember:    ID\nALEXANDER BECKER\n             103251529")
    assert value(e, "member_id") == "103251529"
    # the top of the value's own line, split off by blur ("Pee, ala" over "FRANCO K FOSTER"), is not between
    page = page_from_text("oscar\nNAME\n\nFRANCO K FOSTER\nMember ID OSC78679345")
    top = Line((Word("Pee,", Box(20, 112, 56, 14), 0.46), Word("ala", Box(160, 112, 42, 14), 0.38)))
    page = Page(page.width, page.height, (*page.blocks, Block((top,))))
    e = extract_fields(TEMPLATES.match([page]).template, [SidePage("front", page)])
    assert value(e, "member_name") == "FRANCO K FOSTER"


def test_words_a_column_apart_are_two_headers_not_one_label():
    """Glare took "NAME" of the "SUBSCRIBER NAME" header: "SUBSCRIBER" and the next column's "ID:" spell
    Cigna's "Subscriber ID", but stand a column apart: each heads its own column, the name under one and
    the member ID under the other. Spelt as one label, the words stand a word space apart. Where the
    words after the gap are no label of their own ("IDa", the colon read as a letter, read unsurely), the
    whole still spells one."""
    _, e = read("Cigna Healthcare\nSUBSCRIBER              ID:\nDANIEL T SMITH-JONES    648766419", payer="cigna")
    assert (value(e, "member_id"), value(e, "subscriber_name")) == ("648766419", "DANIEL T SMITH-JONES")
    _, e = read("Cigna Healthcare\nSubscriber ID\n648766419", payer="cigna")
    assert e.fields["member_id"].label == "Subscriber ID" and value(e, "member_id") == "648766419"
    page = page_from_text("Aetna\nMEMBER:            IDa\nALEXANDER BECKER\n                   103251529",
                          confidence=0.7)
    e = extract_fields(TEMPLATES.match([page]).template, [SidePage("front", page)])
    assert value(e, "member_id") == "103251529"


def test_umr_issuer_is_not_an_id():
    _, e = read("UMR   A UnitedHealthcare Company\n"
                "Issuer (80840) 9151014609\n"
                "Member ID 123456789\n"
                "Group Number 76-123456\n"
                "JOHN SMITH", payer="umr")
    assert value(e, "member_id") == "123456789"
    assert value(e, "group_number") == "76-123456"
    assert value(e, "issuer").startswith("(80840)")


def test_student_resources_policy_number_drops_parenthesised_digits():
    match, e = read("UnitedHealthcare StudentResources\n"
                    "University of Northwood\n"
                    "SR ID# 987654321\n"
                    "Policy # 2020-451-1 (312)", payer="uhc_student_resources")
    assert value(e, "member_id") == "987654321"
    assert value(e, "group_number") == "2020-451-1"
    assert value(e, "school_name") == "University of Northwood"
    assert portal_group_value(match.template, "2020-451-1") == "XXXXXX"


def test_unlabelled_school_name_is_its_own_phrase_not_the_whole_line():
    """A school printed in a box beside the ID boxes shares their text line; a wide space cuts it off."""
    _, e = read("UnitedHealthcare StudentResources\n"
                "SR ID        Policy No\n"
                "987654321    2020-451-1 (312)    Cedar Valley College", payer="uhc_student_resources")
    assert value(e, "school_name") == "Cedar Valley College"
    assert value(e, "member_id") == "987654321"


def test_a_capitalised_caption_before_a_school_name_is_not_part_of_it():
    def school(line: str) -> str:
        _, e = read(f"UnitedHealthcare StudentResources\nSR ID# 987654321\n{line}", payer="uhc_student_resources")
        return value(e, "school_name")

    assert school("UNIVERSITY Cedar Valley College") == "Cedar Valley College"
    # a name that begins with its school word, or is printed all in capitals, is whole
    assert school("University of Northwood") == "University of Northwood"
    assert school("UNIVERSITY OF NORTHWOOD") == "UNIVERSITY OF NORTHWOOD"
    assert school("COLLEGE of the Ozarks") == "COLLEGE of the Ozarks"


def test_a_speck_glued_before_a_distinctive_prefix_is_left_out():
    """"0OSC55690793": a speck beside the accent above, read as a glyph glued to Oscar's ID; the value
    starts at the OSC every Oscar ID begins with, trusted the less. Three characters are no speck."""
    for text in ("oscar\nID: 0OSC55690793", "oscar\nJOSE BIANCHI\n0OSC55690793"):
        _, e = read(text, payer="oscar")
        assert value(e, "member_id") == "OSC55690793"
        assert e.fields["member_id"].confidence < read(text.replace("0OSC", "OSC"), payer="oscar")[1].fields[
            "member_id"].confidence
    assert "member_id" not in read("oscar\nID: 123OSC55690793", payer="oscar")[1].fields
    # the prefix's own O read as a zero beside the stray: a look-alike, repaired as anywhere
    _, e = read("oscar\nID- 10SC36784523", payer="oscar")
    assert value(e, "member_id") == "OSC36784523" and e.fields["member_id"].repaired == 2


def test_aetna_portal_group_is_first_six_digits():
    match, e = read("aetna   Open Access Aetna Select\n"
                    "ID W213769935\n"
                    "GRP# 866081-030-00001\n"
                    "Member JOHN DOE", payer="aetna")
    assert value(e, "member_id") == "W213769935"
    assert value(e, "group_number") == "866081-030-00001"
    assert portal_group_value(match.template, value(e, "group_number")) == "866081"


def test_oscar_card_without_group_has_no_group_field_and_osc_id_found_without_label():
    _, e = read("oscar\nSilver Classic EPO\nJANE DOE\nOSC12345678\nRxBIN 003858  RxPCN MA  RxGrp OSCAR01",
                payer="oscar")
    assert value(e, "member_id") == "OSC12345678"
    assert "group_number" not in e.fields
    assert e.fields["member_id"].confidence < 0.8  # found by shape alone


def test_a_blurred_osc_read_as_digits_is_repaired_to_the_osc_shape():
    """In a blurred photo OSC reads as 08C: an S and an 8 look alike like a 5 and an S do."""
    _, e = read("oscar\nSecure Silver\nMember Name JOHNSON, ZOE\n» 08C13886220\nGroup ID 466662", payer="oscar")
    assert value(e, "member_id") == "OSC13886220" and e.fields["member_id"].repaired == 2


def test_bcbs_prefix_number_suffix_columns_make_member_id_prefix_plus_number():
    _, e = read("Empire BlueCross BlueShield\n"
                "PREFIX     ID NUMBER     SFX\n"
                "ETR        BJ1234567     01\n"
                "Group No 720902MF2A", payer="anthem")
    assert value(e, "member_id") == "ETRBJ1234567"
    assert value(e, "member_suffix") == "01"
    assert value(e, "group_number") == "720902MF2A"


def test_bcbs_number_column_repaired_into_an_id_shape_still_gives_way_to_prefix_plus_number():
    """"ET0267210" under "Identification #" fits Anthem's whole shape once repaired (ETO267210), but it is
    the number part: the member ID is the prefix plus it."""
    from dataclasses import replace

    from card_reader.ocr import Block, Line

    page = page_from_text(ANTHEM_PREFIX_ROW)
    unsure_prefix = tuple(Block(tuple(Line(tuple(replace(w, confidence=0.8) if w.text == "SFJ" else w
                                                 for w in line.words)) for line in block.lines))
                          for block in page.blocks)
    e = extract_fields(TEMPLATES.get("anthem"), [SidePage("front", replace(page, blocks=unsure_prefix))])
    assert value(e, "member_id") == "SFJET0267210"


def test_bcbs_member_id_with_separate_person_suffix_drops_the_suffix():
    _, e = read("Anthem Blue Cross and Blue Shield\nMember ID ETRBJ1234567 01\nGroup No 720902MF2A",
                payer="anthem")
    assert value(e, "member_id") == "ETRBJ1234567"


def test_cigna_label_glued_to_value():
    _, e = read("Cigna Healthcare\nID:122222222\nGroup:00699999\nRxBIN 017010", payer="cigna")
    assert value(e, "member_id") == "122222222"
    assert value(e, "group_number") == "00699999"


def test_look_alike_repaired_only_where_the_shape_requires_and_confidence_drops():
    _, clean = read("Cigna\nID 122222222\nGroup 00699999", payer="cigna")
    _, repaired = read("Cigna\nID 12222Z222\nGroup OO699999", payer="cigna")
    assert value(repaired, "member_id") == "122222222"
    assert value(repaired, "group_number") == "00699999"
    assert repaired.fields["member_id"].confidence < clean.fields["member_id"].confidence
    assert repaired.fields["member_id"].raw == "12222Z222"


def test_a_look_alike_is_repaired_only_in_context():
    """An open shape says how many digits a value holds, not where: a letter among letters stays a
    letter, so a word ("ULAR41", an Rx group) never becomes a group number by repair."""
    _, e = read("Molina Healthcare\nIdentification # 13996434018\nGROUP ULAR41", payer="unknown")
    assert value(e, "group_number") is None
    _, e = read("Molina Healthcare\nIdentification # 13996434018\nGROUP 12O45", payer="unknown")
    assert value(e, "group_number") == "12045"


def test_aetna_member_id_letter_is_kept_not_repaired():
    _, e = read("aetna\nID W213769935\nGRP 866081", payer="aetna")
    assert value(e, "member_id") == "W213769935"
    _, e = read("aetna\nID WO68642502\nGRP 866081", payer="aetna")  # but a letter O before a digit is a zero
    assert value(e, "member_id") == "W068642502"


@pytest.mark.parametrize("label", ["Rx Grp", "RN GRP"])  # RN: the X read as N, which the m/rn fold makes M
def test_rx_group_is_not_the_group_number(label):
    _, e = read(f"Cigna\nID 122222222\n{label} 0067213\nRxBIN 017010  RxPCN 9999", payer="cigna")
    assert "group_number" not in e.fields
    assert value(e, "rx_group") == "0067213"


@pytest.mark.parametrize("printed,read_as", [("G01141748", "GO1141748"), ("601141748", "6O1141748"),
                                             ("H09882568", "HO9882568")])
def test_generic_id_letter_o_touching_a_digit_is_a_zero(printed, read_as):
    _, e = read(f"Acme Health Plan\nMember ID {read_as}\nGroup 12345", payer="unknown")
    assert value(e, "member_id") == printed
    assert e.fields["member_id"].repaired == 1


def test_anthem_letter_o_touching_a_digit_is_a_zero_but_the_prefix_keeps_its_letters():
    _, e = read("Anthem BlueCross BlueShield\nMember ID XKO4O6529445\nGroup 7O298ABA46", payer="anthem")
    assert value(e, "member_id") == "XKO406529445"  # the prefix's O stays a letter
    assert value(e, "group_number") == "70298ABA46"


def test_whole_bcbs_id_under_a_number_label_is_the_member_id():
    """No prefix column: the ID printed whole under "ID Number" is the member ID, not half of one."""
    _, e = read("Anthem Blue Cross and Blue Shield\n"
                "ID NUMBER          GRP\n"
                "RCA A43102083      3318ERH78", payer="anthem")
    assert value(e, "member_id") == "RCAA43102083"
    assert value(e, "group_number") == "3318ERH78"


def test_currency_sign_read_for_a_letter_is_that_letter():
    _, e = read("Anthem Blue Cross\nMember ID XKU406529445\nGroup €25179", payer="anthem")
    assert value(e, "group_number") == "C25179"


def test_member_id_whose_label_was_lost_is_found_by_its_shape_and_trusted_less():
    _, e = read("UnitedHealthcare\nWEARRES\n439313902\nGroup Number 974662\n"
                "Claims P.O. Box 881216, Tampa, FL 33614-1234   Call 1-855-779-4505", payer="uhc")
    assert value(e, "member_id") == "439313902"
    assert e.fields["member_id"].placement == "shape" and e.fields["member_id"].confidence < 0.75


def test_a_garbled_member_id_label_leaves_its_value_to_the_shape():
    """"Member ID:" read as "Menber 10:": the name label ("Member") cannot own a nine-digit number, and a
    word ending in a colon is the end of a label, never a value."""
    _, e = read("UMR\nMenber 10:            196328415\nGroup 76-227918", payer="umr")
    assert value(e, "member_id") == "196328415"
    _, e = read("UMR\nMember 10: 196328415\nGroup 76-227918", payer="umr")
    assert value(e, "member_id") == "196328415"


def test_a_longer_word_starting_like_a_label_is_no_glued_value():
    from card_reader.extract import _after_label

    assert _after_label("IDENTIFICATION", 2) == ""
    assert (_after_label("ID:W213769935", 2), _after_label("GRP#4471", 3), _after_label("ID4471", 2)) == (
        "W213769935", "4471", "4471")


def test_words_in_lower_case_are_never_part_of_an_identifier():
    """"sneer" (a garbled label) before the ID is passed over, a word after it is not joined to it."""
    _, e = read("Humana\nMember ID\nsneer 31908825644", payer="unknown")
    assert value(e, "member_id") == "31908825644"
    _, e = read("Humana\nID: 71963 Austin", payer="unknown")
    assert value(e, "member_id") == "71963"


def test_shape_alone_never_takes_a_phone_number_or_zip_code():
    _, e = read("UnitedHealthcare\nTampa, FL 33614-1234\nCall 855-779-450\nGroup Number 974662", payer="uhc")
    assert value(e, "member_id") is None


def test_dates_phones_and_addresses_are_never_identifiers():
    """A date of birth, a phone number, a post-office box or copays near a lost label are no member ID."""
    for brand, payer, line in (("Humana", "unknown", "09/02/1998"), ("Oxford", "oxford", "1-800-831-8357"),
                               ("Humana", "unknown", "(866) 141-2085"), ("Anthem", "anthem", "P.O. Box 765645"),
                               ("Humana", "unknown", "$500 UC $100")):
        _, e = read(f"{brand}\nMember ID\n{line}", payer=payer)
        assert value(e, "member_id") is None, line
    _, e = read("UnitedHealthcare\nMember ID# $35 674040", payer="uhc")  # a "$" read for the 8 of 835...
    assert value(e, "member_id") is not None
    _, e = read("Student Resources\nPolicy Number: 2020-11-1 (12)", payer="uhc_student_resources")
    assert value(e, "group_number") == "2020-11-1"  # the year first: a policy number, not a date


def test_label_tail_words_are_not_the_value():
    _, e = read("aetna\nID W123456789\nGRP NO. 866081-030-00001", payer="aetna")
    assert value(e, "group_number") == "866081-030-00001"


def test_person_suffix_after_a_dash_is_not_part_of_the_id():
    _, e = read("UnitedHealthcare\nMember ID 912345678-01\nGroup Number 0705214", payer="uhc")
    assert value(e, "member_id") == "912345678"


def test_kaiser_record_number_is_the_member_id():
    _, e = read("Kaiser Permanente\nMRN 12345678\nGroup 1234", payer="unknown")
    assert value(e, "member_id") == "12345678"


def test_group_of_distinctive_dashed_shape_found_without_its_label():
    _, e = read("UMR\nA UnitedHealthcare Company\nID Number\n758266148   76-767177\nIssuer (80840) 4359912869",
                payer="umr")
    assert value(e, "member_id") == "758266148"
    assert value(e, "group_number") == "76-767177" and e.fields["group_number"].placement == "shape"


def test_student_resources_policy_shape_is_never_a_date():
    _, e = read("UnitedHealthcare StudentResources\nSR ID# 987654321\nEffective 2024-08-15", payer="uhc_student_resources")
    assert value(e, "group_number") is None


def test_student_resources_policy_found_by_its_shape_when_its_label_is_garbled():
    """"POLICY #" read as "Paicy s": the policy's shape still finds it, parenthesised digits left off."""
    _, e = read("UnitedHealthcare StudentResources\nSR ID# 987654321\nPaicy s 2020-778-2(710)",
                payer="uhc_student_resources")
    assert value(e, "group_number") == "2020-778-2"


def test_a_dash_blur_lost_between_digits_is_restored_where_the_shape_needs_it():
    """"2023 846-8(106)": the policy number's first dash lost to a space; the shape needs it back (a
    repair). A value that fits as read, spaces dropped, is left as read."""
    _, e = read("UnitedHealthcare StudentResources\nSR ID# 987654321\nPolicy Number 2023 846-8(106)",
                payer="uhc_student_resources")
    assert value(e, "group_number") == "2023-846-8" and e.fields["group_number"].repaired == 1
    _, e = read("Anthem Blue Cross\nIdentification # TLK538464081\nGroup No 87574 1234", payer="anthem")
    assert value(e, "group_number") == "875741234" and e.fields["group_number"].repaired == 0


def test_label_with_ocr_slip_still_matches():
    _, e = read("UnitedHealthcare\nMernber ID 912345678\nGroup Nurnber 98765", payer="uhc")
    assert value(e, "member_id") == "912345678"
    assert value(e, "group_number") == "98765"
    _, e = read("Anthem Blue Cross and Blue Shield\nMember ID TBK747213186\ncRP 4123P4BG1", payer="anthem")
    assert value(e, "group_number") == "4123P4BG1"  # a short label must match exactly, up to a G read as C


def test_generic_template_reads_labelled_ids_for_unknown_payer():
    _, e = read("Humana\nGold Plus HMO\nMember ID H12345678\nGroup # 7X1234\nPCP $25  Specialist $50\n"
                "Customer Service 1-800-457-4708", payer="unknown")
    assert value(e, "member_id") == "H12345678"
    assert value(e, "group_number") == "7X1234"
    assert value(e, "customer_service_phone") == "800-457-4708"


def test_phone_and_payer_id_never_become_member_id():
    _, e = read("Humana\nPayer ID 61101\nCall 1-800-457-4708\nMember ID H12345678", payer="unknown")
    assert value(e, "member_id") == "H12345678"
    assert value(e, "payer_id") == "61101"


def test_two_different_candidates_lower_the_confidence():
    _, single = read("UnitedHealthcare\nMember ID 912345678")
    _, double = read("UnitedHealthcare\nMember ID 912345678\nMember ID 987654321")
    assert double.fields["member_id"].confidence < single.fields["member_id"].confidence
    assert double.alternatives["member_id"]


def test_back_side_values_report_their_side():
    _, e = read("Cigna\nID 122222222", "RxBIN 017010\nRxPCN 9999\nGroup 00699999")
    assert e.fields["group_number"].side == "back"
    assert e.fields["member_id"].side == "front"


@pytest.mark.parametrize("text, name", [
    ("Member: JANE Q DOE", "JANE Q DOE"),
    ("Name  Maria Lopez-Garcia", "MARIA LOPEZ-GARCIA"),
    ("Member\nSEAN O'BRIEN", "SEAN O'BRIEN"),
    ("Name\nFrancois K Garcia-L6pez 763144285", "FRANCOIS K GARCIA-L6PEZ"),  # an accented O read as 6
    ("Name\nLuca K Garcia-L6 pez", "LUCA K"),  # ... and the word split there: no name past the initial
    ("Name\nME! O'BRIEN", "MEI O'BRIEN"),  # a capital I's stroke read as "!" or "|" ...
    ("Name\n|VAN Petrov", "IVAN PETROV"),
    ("Name\nDanie| Smith", "DANIEL SMITH"),  # ... a small l's among small letters
    ("Name\nJANE ! DOE", None),  # a mark standing alone is no letter
])
def test_member_name(text, name):
    _, e = read("UnitedHealthcare\n" + text)
    assert value(e, "member_name") == name


def test_date_of_birth_read_when_printed():
    _, e = read("UnitedHealthcare\nDOB 01/02/1985")
    assert value(e, "date_of_birth") == "1985-01-02"


def test_a_value_split_into_overlapping_word_boxes_is_joined():
    """Tesseract sometimes splits one printed token into two words whose boxes overlap."""
    from card_reader.ocr import Block, Box, Line, Page, Word

    words = (Word("Aetna", Box(54, 40, 120, 33), 0.95), Word("Group", Box(54, 379, 110, 33), 0.93),
             Word("#", Box(176, 379, 20, 26), 0.91), Word("207428-046-6", Box(211, 371, 378, 36), 0.84),
             Word("1022", Box(495, 367, 97, 50), 0.84))
    page = Page(1280, 807, (Block((Line(words[:1]),)), Block((Line(words[1:4]), Line(words[4:]))),))
    match = TEMPLATES.match([page])
    assert match.payer_id == "aetna"
    assert extract_fields(match.template, [SidePage("front", page)]).fields["group_number"].value == "207428-046-61022"


# --- settling a value by reading it again (extract.settle_value) ---------------------------------
def settle(payer: str, name: str, value: str, confidence: float, readings, voters: int = 1, **more):
    from card_reader.extract import Candidate, settle_value
    from card_reader.ocr import Box

    candidate = Candidate(name, value, value, confidence, "front", Box(100, 100, 200, 30), "ID", "beside", 0, 0.9)
    return settle_value(TEMPLATES.get(payer).fields[name], candidate, readings, voters=voters, **more)


def test_a_vote_is_plain_only_once_every_engine_has_read_the_value_surely():
    """Readings take turns between two models; the first reads the blurred 0 as 6 surely at every scale,
    the second agrees only unsurely at first, then reads the 0: three sure readings by one model are one
    mistake repeated, so the vote reads on, and the 0 wins it."""
    first, second = [("101178611", 0.9)], [("101178611", 0.6)]
    later = [[("101178011", 0.9)]] * 8
    readings = [first, second, first, second, *later]
    assert settle("aetna", "member_id", "101178611", 0.9, readings)[0].value == "101178611"  # one voter
    settled, rivals = settle("aetna", "member_id", "101178611", 0.9, readings, voters=2)
    assert settled.value == "101178011" and [r.value for r in rivals] == ["101178611"]
    # both models sure from the start: plain after two readings, the rest never taken
    taken = []

    def lazily():
        for words in ([("101178611", 0.9)], [("101178611", 0.9)], *later):
            taken.append(words)
            yield words
    assert settle("aetna", "member_id", "101178611", 0.9, lazily(), voters=2)[0].value == "101178611"
    assert len(taken) == 2


def test_a_split_vote_takes_the_readings_of_another_view_and_a_plain_one_never_asks_for_them():
    """All readings taken and split (a blurred 2 read as 5 surely by one model, as 2 unsurely by the other):
    the readings ``when_split`` gives (the line read with a light shake taken out) vote too, and read 2;
    a vote that is plain never asks for them."""
    asked = []

    def steadied():
        asked.append(True)
        return [[("2021-484-7", 0.9)]] * 6

    split = [[("5021-484-7", 0.9)], [("2021-484-7", 0.6)]] * 4
    assert settle("uhc_student_resources", "group_number", "5021-484-7", 0.9, split, voters=2)[0].value == "5021-484-7"
    winner, rivals = settle("uhc_student_resources", "group_number", "5021-484-7", 0.9, split, voters=2,
                            when_split=steadied)
    assert winner.value == "2021-484-7" and [r.value for r in rivals] == ["5021-484-7"] and asked
    asked.clear()
    plain = [[("5021-484-7", 0.95)]] * 4
    assert settle("uhc_student_resources", "group_number", "5021-484-7", 0.9, plain, voters=2,
                  when_split=steadied)[0].value == "5021-484-7"
    assert not asked


def test_a_second_reading_keeps_its_fair_share_of_the_first_view_whatever_the_other_view_reads():
    """The box read alone splits (a blurred 1 read as 9 five times, as 1 three times); read again with the
    shake taken out, 9 every time: the steadied readings repeat one view's mistake or its truth, and do not
    dilute the first view's 1 out of the second readings (where a client's typed 133104 confirms it)."""
    split = [[("133104", 0.9)]] * 3 + [[("933104", 0.9)]] * 5
    winner, rivals = settle("oxford", "group_number", "933104", 0.9, split,
                            when_split=lambda: [[("933104", 0.9)]] * 18)
    assert winner.value == "933104" and [r.value for r in rivals] == ["133104"]
    # read once in nine by the first view, and rarer still in the pooled vote: no second reading
    rare = [[("133104", 0.9)]] + [[("933104", 0.9)]] * 8
    assert settle("oxford", "group_number", "933104", 0.9, rare, when_split=lambda: [[("933104", 0.9)]] * 18)[1] == ()


def test_a_value_the_page_read_broken_beside_its_label_is_settled_from_its_words_read_again():
    """A shadow's edge across Aetna's group ("GROUP 32. 0-825-16277"): read alone, most readings give the
    whole value, some the same pieces. The value read most seeds the vote, which it wins, under the label
    read; readings with nothing of the field's shape give nothing."""
    from card_reader.extract import Zone, settle_unread

    spec = TEMPLATES.get("aetna").fields["group_number"]
    zone = Zone("front", Box(200, 400, 600, 60), "beside", "GROUP", 1.0)
    words = [Word("32.", Box(210, 410, 50, 30), 0.89), Word("0-825-16277", Box(300, 410, 260, 30), 0.92)]
    broken = [("32.", 0.8), ("0-825-16277", 0.6)]
    whole = [("327190-825-16277", 0.9)]
    winner, _ = settle_unread("group_number", spec, zone, words, [broken, whole, broken, whole, whole, whole])
    assert (winner.value, winner.label, winner.side) == ("327190-825-16277", "GROUP", "front")
    assert 0 < winner.confidence < 0.9
    assert settle_unread("group_number", spec, zone, words, [[("Covered", 0.9), ("Members:", 0.9)]] * 6) is None


def test_a_value_read_again_in_more_words_than_it_is_printed_in_votes_whole():
    """Large type comes back from a line read alone in pieces ("H62 1 060 1 3", five words where a value
    has at most three): the pieces together are the value, not the first three of them."""
    split = [("IDENTIFICATION", 0.9), ("#", 0.9), ("H62", 0.95), ("1", 0.95), ("060", 0.95), ("1", 0.95),
             ("3", 0.95)]
    winner, _ = settle("generic", "member_id", "H62106013", 0.9, [split] * 4)
    assert winner.value == "H62106013" and winner.confidence > 0.8
    prefix = [("GS", 0.95), ("Z", 0.9), ("CF", 0.95), ("7947238", 0.95)]  # a BCBS ID in four words
    winner, _ = settle("anthem", "member_id", "GSZCF7947238", 0.9, [prefix] * 4)
    assert winner.value == "GSZCF7947238" and winner.confidence > 0.8


def test_sure_readings_of_the_box_outvote_an_unsure_page_reading():
    winner, rivals = settle("uhc", "member_id", "964393742", 0.5, [[("ID:", 0.9), ("564393742", 0.95)]] * 5)
    assert winner.value == "564393742" and winner.confidence > 0.75
    assert rivals == ()  # the page reading won too small a share to be kept as a second reading


def test_readings_stop_once_the_vote_is_plain():
    """Readings are taken lazily: three sure readings that agree settle a value, two when the page reading
    was sure already; an unsure page reading is not counted."""
    def taken(page_confidence: float) -> int:
        pulled = []

        def readings():
            for i in range(9):
                pulled.append(i)
                yield [("912345678", 0.95)]

        settle("uhc", "member_id", "912345678", page_confidence, readings())
        return len(pulled)

    assert (taken(0.95 * 0.9), taken(0.5)) == (2, 3)


def test_an_unsure_reading_that_agrees_does_not_make_the_vote_read_on_but_one_that_differs_does():
    def taken(*first: tuple[str, float]) -> int:
        pulled = []

        def readings():
            for words in [*first, *[("912345678", 0.95)] * 9]:
                pulled.append(words)
                yield [words]

        settle("uhc", "member_id", "912345678", 0.95 * 0.9, readings())
        return len(pulled)

    assert taken(("912345678", 0.6)) == 3  # the unsure agreeing reading, then two sure ones
    assert taken(("912345673", 0.6)) == 10  # a different value read: every reading is taken


def test_a_split_vote_keeps_the_rival_and_costs_confidence():
    winner, rivals = settle("uhc", "member_id", "912345678", 0.85,
                            [[("912345678", 0.9)], [("972345678", 0.9)]])
    assert winner.value == "912345678" and winner.confidence < 0.6
    assert [r.value for r in rivals] == ["972345678"]


def test_a_sure_page_reading_loses_only_to_a_value_with_a_majority_of_the_vote():
    """The box read alone splits between two misreadings: the plurality is no majority, and the value read
    surely on the page stands (the plurality kept as a rival). A majority outvotes it; an unsure page
    reading loses to the plurality."""
    split = [[("912345673", 0.6)]] * 5 + [[("912845678", 0.6)]] * 3
    winner, rivals = settle("uhc", "member_id", "912345678", 0.9 * 0.95, split)
    assert winner.value == "912345678" and winner.confidence < LOW_CONFIDENCE
    assert "912345673" in [r.value for r in rivals]
    winner, _ = settle("uhc", "member_id", "912345678", 0.9 * 0.95, [[("912345673", 0.6)]] * 8)
    assert winner.value == "912345673"
    winner, _ = settle("uhc", "member_id", "912345678", 0.9 * 0.6, split)
    assert winner.value == "912345673"


def test_the_value_is_found_among_a_label_tail_and_a_person_suffix():
    winner, _ = settle("anthem", "member_id", "XZZ266096332", 0.8,
                       [[("Ident", 0.4), ("XZZ266096332", 0.94), ("01", 0.95)]] * 3)
    assert winner.value == "XZZ266096332"
    winner, _ = settle("anthem", "group_number", "M21842", 0.5, [[("p#M21842", 0.8)]] * 3)
    assert winner.value == "M21842"


def test_a_run_read_in_the_shape_beats_a_part_of_it_repaired_into_the_shape():
    """A large ID split into words ("XY", "T282940817"): the run that is an Anthem ID as read outvotes its
    tail repaired into one (TZB2940817), though the page reading was that repair."""
    winner, _ = settle("anthem", "member_id", "TZB2940817", 0.45, [[("XY", 0.8), ("T282940817", 0.8)]] * 3)
    assert winner.value == "XYT282940817"


def test_a_value_cut_short_on_the_page_is_settled_whole_by_readings_past_its_dash():
    """The page read only the first part of an Aetna group (its box swallowed the rest); readings that go on
    past the value's own dash read it whole."""
    winner, _ = settle("aetna", "group_number", "391809", 0.75,
                       [[("Group", 0.96), ("391809", 0.65), ("-061-83270", 0.65)], [("391809-061-83270", 0.88)]] * 2)
    assert winner.value == "391809-061-83270"


def test_readings_that_spell_no_value_near_it_only_lower_the_confidence():
    winner, _ = settle("uhc", "member_id", "912345678", 0.85,
                       [[("(80840)", 0.95), ("911-87726-04", 0.95)], [("~~", 0.3)]])
    assert winner.value == "912345678" and winner.confidence < 0.85 * 0.9


def read_placed(payer: str, *words: tuple[str, tuple[int, int, int, int]]):
    """Extract with ``payer``'s template from a front side of words placed by hand (x, y, w, h): the
    geometry a text fixture cannot draw (overlapping boxes, drifting lines, type sizes)."""
    from card_reader.ocr import Block, Box, Line, Page, Word

    page = Page(1280, 807, tuple(Block((Line((Word(text, Box(*box), 0.95),)),)) for text, box in words))
    return extract_fields(TEMPLATES.get(payer), [SidePage("front", page)])


def test_a_value_split_at_its_dash_with_a_box_reaching_into_the_label_is_joined():
    """Tesseract read "76-306920" as "76-" and "-306920", the second box reaching up into the label
    above: the parts stand on one baseline, and the dash read twice is one dash."""
    e = read_placed("umr", ("UMR", (48, 11, 149, 64)), ("Group", (463, 309, 97, 29)), ("Issuer", (863, 308, 96, 23)),
                    ("76-", (464, 344, 90, 41)), ("-306920", (543, 316, 232, 69)))
    assert value(e, "group_number") == "76-306920"


def test_a_value_right_under_its_label_beats_the_next_columns_value_along_the_line():
    """Labels above values on a tilted card: "MEMBER ID" lines up with the group value far to its right."""
    e = read_placed("cigna", ("Cigna", (1009, 61, 232, 77)), ("GRP", (700, 329, 56, 24)),
                    ("MEMBER", (60, 351, 205, 34)), ("ID", (221, 340, 48, 51)), ("U46747556", (61, 389, 291, 52)),
                    ("44080052", (702, 360, 216, 45)))
    assert (value(e, "member_id"), value(e, "group_number")) == ("U46747556", "44080052")


def test_a_value_printed_in_parts_is_settled_part_by_part():
    """The prefix read again as "SF)" is no prefix: the number is settled on its own and joined to the
    prefix read first, never "SF" + the number taken for a whole value of Anthem's shape."""
    from card_reader.extract import settle_parts

    _, e = read(ANTHEM_PREFIX_ROW, payer="anthem")
    composed = e.fields["member_id"]
    assert composed.placement == "composed"
    assert [p.field for p in composed.parts] == ["member_prefix", "member_number"]
    settled = settle_parts(TEMPLATES.get("anthem"), composed, [[[("SF)", 0.9)]] * 6, [[("ET0267210", 0.95)]] * 6])
    assert settled.value == "SFJET0267210"


def test_a_number_read_under_a_garbled_header_joins_the_prefix_read_under_its_own():
    """"Prefix  ID Humbe  Six": the number's header lost but for "ID", the member ID's label. The number
    under it, A02129824, is no Anthem ID (it would take two look-alikes to be one, AOZ129824); after the
    prefix read under its header on the same line it is the number part: XLEA02129824, unrepaired."""
    words = [("Anthem", (50, 40, 200, 40)), ("Prefix", (45, 264, 64, 19)), ("ID", (309, 264, 23, 19)),
             ("Humbe", (341, 263, 82, 21)), ("Six", (701, 260, 42, 25)), ("XLE", (45, 305, 93, 37)),
             ("A02129824", (307, 305, 247, 37)), ("01", (704, 305, 51, 36))]
    e = read_placed("anthem", *words)
    assert value(e, "member_id") == "XLEA02129824" and e.fields["member_id"].repaired == 0
    # with no prefix before it, the number is no more than it was
    e = read_placed("anthem", *[w for w in words if w[0] != "XLE"])
    assert value(e, "member_id") != "XLEA02129824"


def test_a_re_read_that_lost_the_prefix_votes_for_the_whole_value():
    from dataclasses import replace

    from card_reader.extract import Extraction, combine_readings

    _, e = read(ANTHEM_PREFIX_ROW, payer="anthem")
    whole = e.fields["member_id"]
    number_only = replace(whole, value="ETO267210", placement="below", parts=(), confidence=0.9)
    readings = [Extraction({"member_id": whole})] + [Extraction({"member_id": number_only})] * 2
    assert combine_readings(readings).fields["member_id"].value == "SFJET0267210"
    # the number read with a stray glyph before it (a glyph of the prefix column run into it)
    stray = replace(number_only, value="SET0267210", confidence=0.9)
    assert combine_readings([Extraction({"member_id": whole}), Extraction({"member_id": stray})]
                            ).fields["member_id"].value == "SFJET0267210"


def test_readings_that_differ_only_in_a_dash_are_one_vote_spelt_with_the_dash():
    winner, rivals = settle("umr", "group_number", "76-306920", 0.7,
                            [[("76306920", 0.9)], [("76°306920", 0.8), ("©", 0.8)], [("76-306920", 0.6)]])
    assert winner.value == "76-306920" and rivals == () and winner.confidence > 0.7


def test_the_cards_main_number_printed_large_is_the_member_id_when_its_label_was_lost():
    e = read_placed("aetna", ("aetna", (54, 50, 249, 40)), ("Open", (50, 157, 80, 32)), ("Access", (140, 157, 110, 32)),
                    ("LETICIA", (51, 207, 120, 34)), ("SCHMIDT", (180, 207, 150, 34)),
                    ("100276107", (51, 263, 302, 92)),
                    ("Group", (50, 391, 90, 38)), ("752771-737-28563", (150, 391, 300, 38)))
    assert value(e, "member_id") == "100276107" and e.fields["member_id"].placement == "prominent"
    assert e.fields["member_id"].confidence < 0.75  # found without its label: trusted less
    assert value(e, "group_number") == "752771-737-28563"


def test_a_three_letter_prefix_in_the_main_number_s_type_is_part_of_it():
    """A BCBS member ID printed large, "XEH 290960966", its label lost: the prefix is the ID's start. A
    word of three capitals in smaller type before it (a plan's "PPO") is not."""
    def member(prefix_box):
        e = read_placed("generic", ("Blue", (50, 33, 135, 50)), ("Shield", (210, 33, 191, 52)),
                        ("Member", (47, 164, 122, 25)), ("JANE", (187, 157, 115, 35)),
                        ("XEH", prefix_box), ("290960966", (415, 218, 351, 56)),
                        ("Group", (47, 313, 92, 30)), ("H9456657", (189, 306, 210, 35)),
                        ("Trio", (45, 107, 56, 23)), ("HMO", (113, 108, 71, 23)), ("Eff", (773, 308, 32, 22)),
                        ("Date:", (817, 308, 64, 22)), ("Network", (773, 351, 105, 22)), ("EPO", (896, 349, 62, 24)))
        return value(e, "member_id")

    assert member((250, 218, 140, 54)) == "XEH290960966"
    assert member((330, 240, 60, 24)) == "290960966"
    # a payer whose values all begin with the same capitals: those, printed apart, are the prefix too
    e = read_placed("oscar", ("oscar", (50, 33, 200, 50)), ("Member", (47, 164, 122, 25)),
                    ("JANE", (187, 157, 115, 35)),
                    ("OSC", (250, 218, 140, 54)), ("13364956", (415, 218, 320, 56)), ("Trio", (45, 107, 56, 23)),
                    ("HMO", (113, 108, 71, 23)), ("Network", (773, 351, 105, 22)), ("EPO", (896, 349, 62, 24)))
    assert value(e, "member_id") == "OSC13364956"


def test_a_short_label_s_value_far_beside_it_in_the_column_of_values_is_its_own():
    """"Grp" in a column of labels, its value four label heights off where "Member #"'s value starts: the
    value beside it, not the unlabelled number under it (a CMS contract number). Where no other value
    starts there, the number beside is far enough to be the next column's, and the one below is taken."""
    def group(member_x):
        e = read_placed("generic", ("Humana", (51, 57, 428, 68)), ("Member", (49, 357, 135, 26)),
                        ("#", (208, 359, 10, 23)), ("H78930829", (member_x, 352, 257, 34)),
                        ("Grp", (48, 422, 60, 32)), ("8020569", (257, 417, 190, 34)),
                        ("R8398", (50, 480, 114, 28)), ("642", (179, 480, 64, 28)))
        return value(e, "group_number")

    assert group(256) == "8020569"
    assert group(300) == "R8398642"


def test_values_in_a_column_of_their_own_far_from_a_column_of_labels_are_the_labels():
    """A column of labels and, a tab stop further, a column of values ("Name:" and "ID Number", their values
    both starting at x=355): the value beside "ID Number" is its own, however far, not the unlabelled
    contract number under the label."""
    def member(value_x):
        e = read_placed("generic", ("Harborview", (764, 57, 468, 64)), ("Name:", (48, 210, 104, 22)),
                        ("RENEE", (355, 203, 127, 28)), ("FITZGERALD", (510, 206, 258, 26)),
                        ("ID", (51, 266, 41, 21)), ("Number", (116, 264, 135, 24)),
                        ("K88362857", (value_x, 260, 229, 28)), ("H6876", (49, 316, 109, 25)),
                        ("352", (186, 316, 63, 25)))
        return value(e, "member_id")

    assert member(355) == "K88362857"
    assert member(520) != "K88362857"  # no other value starts there: perhaps the next column's


def test_a_large_date_or_another_fields_value_is_not_the_main_number():
    e = read_placed("cigna", ("Cigna", (54, 50, 249, 40)), ("Open", (50, 157, 80, 32)), ("Access", (140, 157, 110, 32)),
                    ("12/20/1988", (51, 263, 302, 92)), ("Group", (50, 391, 90, 38)),
                    ("75277173", (150, 391, 300, 92)))
    assert value(e, "member_id") is None and value(e, "group_number") == "75277173"


def test_a_value_under_its_label_starts_under_it_not_with_the_name_printed_close_on_its_left():
    """Columns "Member Name | Group #" printed close: the name's last letter ends short of the group label
    and is not the group number's first word; dashes read as words of their own count for nothing
    against the value's word limit."""
    e = read_placed("aetna", ("aetna", (965, 65, 270, 69)), ("Member", (48, 353, 160, 36)),
                    ("Name", (220, 353, 110, 36)), ("Group", (637, 353, 130, 36)), ("#", (780, 353, 20, 36)),
                    ("HADDAD,", (50, 402, 194, 43)), ("ELIZABETH", (291, 401, 264, 35)), ("M", (591, 401, 26, 35)),
                    ("235609", (640, 403, 193, 38)), ("-", (840, 403, 20, 38)), ("417", (872, 403, 93, 38)),
                    ("-", (970, 403, 20, 38)), ("06318", (1006, 403, 162, 38)))
    assert e.fields["group_number"].value == "235609-417-06318"


def test_a_word_boxed_over_the_words_after_it_still_starts_their_label():
    """"Payer" boxed to the end of "Payer ID 20554": the payer ID label is still read whole, so its number is
    the payer ID, not a member ID under a lone "ID"."""
    e = read_placed("generic", ("Molina", (52, 38, 200, 35)), ("Payer", (645, 90, 236, 33)), ("ID", (742, 87, 32, 41)),
                    ("20554", (790, 90, 91, 33)))
    assert e.fields["payer_id"].value == "20554"
    assert "member_id" not in e.fields


def test_a_bar_read_from_a_box_side_ends_the_value():
    """In a row of boxes a frame's side read as '|' parts one cell's value from the next cell's."""
    _, e = read("Anthem\nGroup\n4909MFFC7 ||600428", payer="anthem")
    assert value(e, "group_number") == "4909MFFC7"
    winner, _ = settle("anthem", "group_number", "4909MFFC7", 0.5, [[("4909MFFC7", 0.8), ("||600428", 0.8)]] * 3)
    assert winner.value == "4909MFFC7"


def test_one_printed_number_is_never_both_member_id_and_group_number():
    """Readings that lost the labels took the group number for the member ID by its shape, and outvote the
    member ID's own reading: the number stays the group number, surer under its label, and the member ID
    falls back to its next reading."""
    from dataclasses import replace

    from card_reader.extract import Extraction, combine_readings

    _, first = read("Cigna\nID U22781152\nGroup 30336556", payer="cigna")
    by_shape = replace(first.fields["group_number"], field="member_id", confidence=0.57, placement="shape", label=None)
    misread = Extraction({"member_id": by_shape})
    combined = combine_readings([first, misread, misread])
    assert combined.fields["group_number"].value == "30336556"
    assert combined.fields["member_id"].value == "U22781152"


def test_a_wide_label_over_a_prefix_and_number_printed_apart_reads_them_as_one_value():
    """"Identification Number" over the row "ZLK    455824693  01", the column header between garbled: the
    prefix and number under the label's span are one member ID (never the prefix twice)."""
    e = read_placed("anthem", ("Anthem", (41, 0, 300, 100)), ("Identificaten", (50, 244, 220, 38)),
                    ("Number", (280, 244, 125, 38)), ("PREFIX", (53, 286, 110, 36)), ("DENTE", (200, 286, 90, 36)),
                    ("ZLK", (49, 337, 90, 55)), ("455824693", (250, 337, 330, 55)), ("01", (700, 337, 60, 55)))
    assert e.fields["member_id"].value == "ZLK455824693"


def test_dependents_listed_under_their_label_are_read_one_per_line_with_their_suffix():
    """Each line under "Dependents" (or "Covered Members") that is a name is a dependent, with the person
    suffix printed after it; the list ends at the first line that is no name."""
    _, e = read("Anthem\nID XZZ266096332\nDEPENDENTS\nOLIVIA SCHMIDT 02\nMATEO SCHMIDT-PATEL 03\nRx BIN 610014",
                payer="anthem")
    assert value(e, "dependents") == "OLIVIA SCHMIDT 02; MATEO SCHMIDT-PATEL 03"
    _, e = read("Cigna\nCovered Members:\nKATHERINE KOWALSKI 02\nwww.cigna.com", payer="cigna")
    assert value(e, "dependents") == "KATHERINE KOWALSKI 02"
    assert value(e, "member_name") is None  # "Members" is the list's label, not the member's


def test_a_group_split_at_its_dashes_is_found_by_its_shape_when_its_label_was_lost():
    """"GROUP" read as "GREY": Aetna's 866081-030-00001 shape, read as two words split at a dash, is the group."""
    _, e = read("aetna\nMember ID\nW123456789\nGREY\n660447 -427-44219", payer="aetna")
    assert value(e, "group_number") == "660447-427-44219"
    _, e = read("aetna\nMember ID\nW123456789\nTERNELIE\n660447 427 44219", payer="aetna")
    assert value(e, "group_number") is None  # by its shape, three numbers apart are not one dashed value
    # under what is left of its label they are its value, as under "Group", at a lost label's trust
    _, e = read("aetna\nMember ID\nW123456789\nGREY\n660447 427 44219", payer="aetna")
    assert value(e, "group_number") == "66044742744219" and e.fields["group_number"].confidence < LOW_CONFIDENCE
    _, e = read("UMR\nMember ID 123456789\ngeours 76-443 144", payer="umr")
    assert value(e, "group_number") == "76-443144"  # a blurred digit read as a space, past the dash


def test_a_box_side_and_a_glint_do_not_hide_the_number_under_its_label():
    """A printed box's side read as "If" before the number, and a glint that split it and turned its last
    stroke into a colon ("33391: 29" for 3339129): the number is still the group."""
    _, e = read("Cigna Healthcare\nMember ID     Group\nU64113310     If 33391: 29", payer="cigna")
    assert value(e, "group_number") == "3339129"
    _, e = read("Cigna Healthcare\nMember 10:  U64113310", payer="cigna")
    assert value(e, "member_id") == "U64113310"  # a short number ending in a colon still ends a garbled label
    # a dash read as the colon, beside the last digit: "2021-470: 7" is the policy 2021-470-7
    _, e = read("UnitedHealthcare StudentResources\nID: 253510671\npolicy: 2021-470: 7 (25)",
                payer="uhc_student_resources")
    assert value(e, "group_number") == "2021-470-7"
    # no value holds a bar: a box's side with a speck beside it ("|e") is no letter of a payer's ID whose
    # shape would take one
    _, e = read("Harborview Health\nMember ID\n|e D16763534", payer="unknown")
    assert value(e, "member_id") == "D16763534"


def test_a_label_under_a_label_is_no_value():
    """"Payer ID" over "Rx BIN 610603", the word ID of the payer's label read alone: the Rx BIN's label
    starts no member ID."""
    _, e = read("Anthem Blue Cross\n   ID\nRx BIN 610603", payer="anthem")
    assert "member_id" not in e.fields or not e.fields["member_id"].value.startswith("BIN")


def test_a_long_label_with_two_slips_still_labels_its_value():
    """"Group Number" read as "Grow Number": a label of ten letters or more may carry two slips."""
    _, e = read("Oxford Health Plans\nMember ID 912345678\nGrow Number 4557016", payer="oxford")
    assert value(e, "group_number") == "4557016"
    # a short label two letters off may be another word: the number beside it is read, too unsurely to
    # contradict what a client typed
    _, e = read("Oxford Health Plans\nMember ID 912345678\nGrow 4557016", payer="oxford")
    assert value(e, "group_number") == "4557016" and e.fields["group_number"].confidence < LOW_CONFIDENCE


def test_a_colon_between_digits_is_a_broken_glyph_or_the_values_dash():
    _, e = read("aetna\nMember ID W123456789\nGROUP # 262584: 412-89332", payer="aetna")
    assert value(e, "group_number") == "262584-412-89332"
    _, e = read("UMR\nMember ID 196328415\nGroup 76-2:2:7918", payer="umr")
    assert value(e, "group_number") == "76-227918"  # broken glyphs inside, not dashes


def test_a_dash_read_where_the_card_prints_none_leaves_the_value_without_dashes():
    """"6766-49-660-65039": no Aetna group has a dash after four digits; its digits are one, and where
    its dashes go the reading cannot say (a repair: trusted less)."""
    _, e = read("aetna\nMember ID W123456789\nGRP: 6766-49-660-65039", payer="aetna")
    assert value(e, "group_number") == "67664966065039" and e.fields["group_number"].repaired == 1


def test_a_re_read_that_stopped_at_the_dash_votes_for_the_value_read_on_past_it():
    """Glare hid all but "262584" of 262584-412-89332 in two readings, read more surely than the one that
    read it whole: they are readings of the whole, not a rival six-digit group."""
    from dataclasses import replace

    from card_reader.extract import Extraction, combine_readings

    _, e = read("aetna\nMember ID W123456789\nGroup 262584-412-89332", payer="aetna")
    whole = replace(e.fields["group_number"], confidence=0.17)
    cut = replace(whole, value="262584", confidence=0.41)
    combined = combine_readings([Extraction({"group_number": cut}), Extraction({"group_number": whole}),
                                 Extraction({"group_number": cut})])
    assert combined.fields["group_number"].value == "262584-412-89332"


def test_a_large_number_after_what_is_left_of_the_group_label_is_not_the_member_id():
    """"Group" misread as "Srouo" beside the large group number, the member ID's label lost too: the number
    after the group's label is not the card's main number; the other large number is."""
    words = [("Cigna", (54, 50, 249, 40)), ("THOMPSON,", (58, 220, 300, 47)), ("KWAME", (380, 220, 200, 47)),
             ("Srouo", (43, 332, 140, 30)), ("78845105", (205, 321, 241, 46)), ("571444147", (105, 391, 271, 44)),
             ("Rx", (57, 460, 40, 28)), ("BIN", (100, 460, 60, 28)), ("015561", (170, 460, 100, 28)),
             ("Covered", (55, 520, 120, 28)), ("Members:", (185, 520, 140, 28)), ("JENNIFER", (53, 560, 140, 28)),
             ("THOMPSON", (203, 560, 150, 28)), ("02", (363, 560, 30, 28)), ("Office", (51, 680, 90, 28)),
             ("Visit", (150, 680, 70, 28)), ("$35", (230, 680, 50, 28))]
    e = read_placed("cigna", *words)
    assert value(e, "member_id") == "571444147"
    e = read_placed("cigna", *[(text if text != "Srouo" else "Health", box) for text, box in words])
    assert value(e, "member_id") in ("78845105", "571444147")  # a word like no number's label bars nothing


def test_a_prefix_row_whose_header_was_lost_still_makes_prefix_plus_number():
    """SJM | BN2131912 | 01 under a header row OCR lost: alone, the number fits Anthem's whole shape only
    repaired (BNZ131912); with the prefix column before it, it is the member ID as printed. A word of
    prose is no prefix ("P.O. Box 618681")."""
    _, e = read("Empire BlueCross BlueShield\nEdward Haddad\nSJM      BN2131912     01\nGroup No 31841MFH",
                payer="anthem")
    assert value(e, "member_id") == "SJMBN2131912" and e.fields["member_id"].repaired == 0
    assert [p.field for p in e.fields["member_id"].parts] == ["member_prefix", "member_number"]
    _, e = read("Empire BlueCross BlueShield\nClaims: P.O. Box 61868ABC1", payer="anthem")
    assert value(e, "member_id") != "BOX61868ABC1"


def test_a_prefix_read_under_its_label_composes_with_a_number_whose_label_was_lost():
    """"Prefix" read, "Identification #" lost ("Identifcabon #"): the prefix's value is the member ID's own
    first part, not another field's word, so NTJ + WA7484712 is the member ID (not WAT484712, the number
    alone repaired into an Anthem ID's shape)."""
    _, e = read("Anthem Blue Cross and Blue Shield\nPrefix   Identifcabon #   Suit\nNTJ      WA7484712        01",
                payer="anthem")
    assert value(e, "member_id") == "NTJWA7484712" and e.fields["member_id"].repaired == 0
    # the number read under its own label stays the number's: never the member ID alone, repaired
    _, e = read("Anthem Blue Cross and Blue Shield\nPREFIX   ID NUMBER   SFX\nUXJI     B01495572   O01",
                payer="anthem")
    assert value(e, "member_id") != "BOI495572"


def test_a_number_read_under_its_label_composes_with_the_prefix_before_it_whose_label_was_lost():
    """"Prefix" read as "ix": the three capitals before the number read under "ID Number" are its prefix,
    for a payer with a template and one without; a word of another shape there is not."""
    for card, payer in (("Anthem Blue Cross and Blue Shield", "anthem"), ("Blue Shield of California", "unknown")):
        _, e = read(f"{card}\nix     ID Number     Sfx\nXEH    500647899     01", payer=payer)
        assert value(e, "member_id") == "XEH500647899", payer
    _, e = read("Blue Shield of California\nix     ID Number     Sfx\n$20    500647899     01", payer="unknown")
    assert value(e, "member_id") == "500647899"


def test_the_number_beside_what_is_left_of_its_label_is_read_too_unsurely_to_contradict():
    """"Srouo 78845105": the group's label misread. The number beside it, read plainly, is the group number
    at a confidence that can confirm what a client typed but never contradict it; read unplainly, it is
    not taken."""
    card = "Cigna Healthcare\nID 571444147\nSrouo 78845105\nRx Grp RX2526"
    _, e = read(card, payer="cigna")
    assert value(e, "group_number") == "78845105" and e.fields["group_number"].confidence < LOW_CONFIDENCE
    unplain = extract_fields(TEMPLATES.get("cigna"), [SidePage("front", page_from_text(card, confidence=0.6))])
    assert value(unplain, "group_number") is None
    # a word of two letters is too little to tell ("P.O." is as near "Grp No" as "Srouo" to "Group"); one of
    # three tells only one slip from a label ("GaP" of GRP, not "Cap")
    _, e = read("Harborview Health\nMember ID H12345678\nClaims: P.O. 188426", payer="unknown")
    assert value(e, "group_number") is None
    _, e = read("Cigna Healthcare\nID 571444147\nGaP 64337380", payer="cigna")
    assert value(e, "group_number") == "64337380" and e.fields["group_number"].confidence < LOW_CONFIDENCE
    _, e = read("Cigna Healthcare\nID 571444147\nCap 64337380", payer="cigna")
    assert value(e, "group_number") is None
    # two letters tell only two of a three-letter label's, first on their line ("Gp 9027" of "Grp"); inside
    # a line they are any word's ("Minneapolis, MN 55401": no "MRN")
    _, e = read("Kaiser Permanente\nMember # 3704097430\nGp 9027", payer="unknown")
    assert value(e, "group_number") == "9027" and e.fields["group_number"].confidence < LOW_CONFIDENCE
    _, e = read("Kaiser Permanente\nMinneapolis, MN 55401\nClaims: Gp 9027", payer="unknown")
    assert value(e, "group_number") is None and value(e, "member_id") is None
    # nearly as near another number's label: no one's ("wromber": "Group Number" 67, "Member" 62)
    _, e = read("Harborview Health\nSubscriber Name ALEX BECKER\nwromber 2644306529", payer="unknown")
    assert value(e, "group_number") is None


def test_the_number_past_a_mark_left_of_a_misread_label_is_read_too():
    """"MEMBER ID 24774161" read "wemser © 24774161": the ID's "ID" a mark between what is left of the
    label and the number. The number is the member ID, at a lost label's trust."""
    _, e = read("wellcare\nMedicare Advantage HMO\nwemser © 24774161\nS1967 884 MEDICARE R", payer="unknown")
    assert value(e, "member_id") == "24774161" and e.fields["member_id"].confidence < LOW_CONFIDENCE


def test_the_number_under_what_is_left_of_its_label_is_read_too_where_values_stand_under_labels():
    """"GROUP" read "GROLG" over 737281 on a card whose values stand under their labels: the number
    under it is the group number, at a lost label's trust; read unplainly, it is not taken."""
    card = "oscar\nID          NETWORK\nOSC56228619 Metro\nGROLG\n737281    01/01/2026"
    _, e = read(card, payer="oscar")
    assert value(e, "group_number") == "737281" and e.fields["group_number"].confidence < LOW_CONFIDENCE
    unplain = extract_fields(TEMPLATES.get("oscar"), [SidePage("front", page_from_text(card, confidence=0.6))])
    assert value(unplain, "group_number") is None


def test_a_line_read_again_from_its_top_half_is_no_label_over_the_line():
    """A phone number's top half read again as a line of its own ("ORR 7°70 GRAD" over "855 779 9553"):
    "GRAD" is near "GRP", but the number it overlies is beside it, not under it: no group number."""
    e = read_placed("unknown", ("Kaiser", (51, 40, 162, 37)), ("Permanente", (247, 43, 273, 34)),
                    ("Provider", (642, 123, 118, 25)), ("Line", (771, 123, 58, 25)), ("855", (846, 122, 54, 25)),
                    ("779", (912, 122, 56, 25)), ("9553", (979, 122, 73, 25)),
                    ("ORR", (849, 122, 51, 14)), ("7°70", (912, 122, 56, 14)), ("GRAD", (979, 122, 72, 14)))
    assert value(e, "group_number") is None


def test_a_labels_last_word_read_as_another_fields_label_still_labels_its_value():
    """"GROUP ID" read as "GROUP JP 1D": the "1D" is the member ID's label "ID" to the label matcher, but
    it ends one of the group's own labels, and the number after it is the group's."""
    _, e = read("oscar\nMember ID OSC12345678\nGROUP JP 1D 466673", payer="oscar")
    assert value(e, "group_number") == "466673" and value(e, "member_id") == "OSC12345678"


def test_a_word_of_a_logo_is_no_label_and_another_labels_value_is_not_under_one():
    """"Blue Shield of California" in logo type read as "Blue Shie 1d of california": the "1d" is no "ID"
    label, so nothing under it is a member ID. And a value right after another field's label
    ("PAYER ID # 94036") is that label's, whatever label stands above it."""
    logo = [("Blue", (57, 5, 120, 60)), ("Shie", (190, 5, 110, 60)), ("1d", (300, 8, 49, 60)),
            ("of", (360, 5, 50, 60)), ("california", (420, 5, 300, 60))]
    payer_id_row = [("PAYER", (56, 146, 90, 23)), ("ID", (150, 146, 30, 23)), ("#", (185, 146, 15, 23)),
                    ("94036", (255, 146, 95, 23))]
    services = [("PROVIDER", (56, 189, 150, 24)), ("SERVICES", (215, 189, 140, 24)), ("1-877", (365, 189, 80, 24)),
                ("874", (455, 189, 50, 24)), ("9143", (515, 189, 60, 24))]
    e = read_placed("generic", *logo, *payer_id_row, *services)
    assert value(e, "member_id") is None and value(e, "payer_id") == "94036"
    e = read_placed("generic", ("ID#", (300, 110, 49, 22)), *payer_id_row)
    assert value(e, "member_id") is None and value(e, "payer_id") == "94036"


def test_a_main_number_read_from_an_rx_groups_own_words_gives_them_up():
    """A reading that split "RX GROUP 925743" read "GROUP 925743" as the group number; another read the
    words whole as the Rx group. One printed number is one field's: the Rx group, whose label is the
    longer, keeps it, and the group number takes its next reading or none. A group printed elsewhere
    with the same digits is left alone."""
    from dataclasses import replace

    from card_reader.extract import Candidate, Extraction, without_distractors
    from card_reader.ocr import Box

    words = Box(640, 253, 110, 40)
    rx_group = Candidate("rx_group", "925743", "925743", 0.95, "front", words, "Rx Group", "beside")
    group = Candidate("group_number", "925743", "925743", 0.95, "front", words, "Group", "beside")
    card = Extraction({"rx_group": rx_group, "group_number": group}, {}, {})
    assert "group_number" not in without_distractors(card, TEMPLATES.generic).fields
    elsewhere = Extraction({"rx_group": rx_group, "group_number": replace(group, box=Box(60, 400, 110, 40))}, {}, {})
    assert without_distractors(elsewhere, TEMPLATES.generic).fields["group_number"].value == "925743"
    # the group's shape repaired the same words ("RDSZ18" under a garbled "py croup" read "RDS218")
    repaired = Extraction({"rx_group": replace(rx_group, value="RDSZ18", raw="RDSZ18"),
                           "group_number": replace(group, value="RDS218", raw="RDSZ18", repaired=1)}, {}, {})
    assert "group_number" not in without_distractors(repaired, TEMPLATES.generic).fields


def test_a_label_run_on_after_a_value_is_split_off():
    """"GROUP NUMBER 6234MT11ARXBIN 610097": OCR read the group and the next column's "RXBIN" as one word.
    The label is split off: the group is 6234MT11A and the Rx BIN its own."""
    _, e = read("Anthem Blue Cross and Blue Shield\nMember ID SUK102329983\nGROUP NUMBER 6234MT11ARXBIN 610097",
                payer="anthem")
    assert value(e, "group_number") == "6234MT11A" and value(e, "rx_bin") == "610097"


def test_a_school_name_ends_before_the_next_columns_number_run_on_to_it():
    """The policy number printed in the next column, close after the school under its label, is no part of
    the school's name: no school's name holds a digit (the template's shape says so)."""
    _, e = read("UnitedHealthcare StudentResources\n"
                "School Policy:\n"
                "University of Northwood 2024-256-1 (301)\n"
                "SR ID# 987654321", payer="uhc_student_resources")
    assert value(e, "school_name") == "University of Northwood"


def test_the_number_beside_the_main_number_under_a_lost_header_row_is_read_too_unsurely_to_contradict():
    """"413504958   74820341" under an unread "ID   Group": the other word of the group's shape in the row
    of the member ID is the group number, trusted like a lost label's value; two such words, one read
    unplainly, one under another field's header or one that ends a phrase say nothing."""
    _, e = read("Cigna Healthcare\nKWAME THOMPSON\nU13504958   00   74820341   04/01/2002\nRX GRP RX2526",
                payer="cigna")
    assert value(e, "member_id") == "U13504958"
    assert value(e, "group_number") == "74820341" and e.fields["group_number"].confidence < LOW_CONFIDENCE
    _, e = read("Cigna Healthcare\nKWAME THOMPSON\nU13504958   74820341   5550123", payer="cigna")
    assert value(e, "group_number") is None
    # under what is left of another field's header ("SIN": the Rx BIN's) it is that field's value
    _, e = read("oscar\nMEMBER 1D          SIN\nOSC64374664        600428", payer="oscar")
    assert value(e, "member_id") == "OSC64374664" and value(e, "group_number") is None
    # what is left of the group's own header, "Group Number:" smudged to "ake Number:", is no one else's:
    # "Number" ends the member ID's labels as well, and "ake" is nearest "Name", which labels no number
    _, e = read("UnitedHealthcare\nID                  ake Number:\n681405439           913800", payer="uhc")
    assert value(e, "member_id") == "681405439" and value(e, "group_number") == "913800"
    # the end of a phrase ("H8559 927", a Medicare plan's number) is no cell of its own
    _, e = read("wellcare\nID NUMBER 78529385   H8559 927   MEDICARE R", payer="unknown")
    assert value(e, "member_id") == "78529385" and value(e, "group_number") is None
    card = "Cigna Healthcare\nU13504958   74820341"
    unplain = extract_fields(TEMPLATES.get("cigna"), [SidePage("front", page_from_text(card, confidence=0.6))])
    assert value(unplain, "group_number") is None
    # a box's border between the two cells, read as a glyph, is no neighbour of the group's
    _, e = read("UnitedHealthcare\nJAMES MACLEOD\n999576643   | 43564", payer="uhc")
    assert value(e, "member_id") == "999576643" and value(e, "group_number") == "43564"


def test_a_number_alone_in_the_main_numbers_column_under_a_lost_label_is_read_too_unsurely_to_contradict():
    """Label above value, the group's label lost ("Cot fe"): the lone word of the group's shape starting
    where the member ID starts, a few lines on, is the group number, trusted like a lost label's value;
    one set off from that column is not. The line may run on into the next column, two letter heights
    or more away: alone in its column is alone."""
    card = "Empire BlueCross BlueShield\nWILLIAM IVANOVA\nMember ID\nHETEZ6863530 00\nCot fe\n{}81058MT"
    _, e = read(card.format(""), payer="anthem")
    assert value(e, "member_id") == "HETEZ6863530"
    assert value(e, "group_number") == "81058MT" and e.fields["group_number"].confidence < LOW_CONFIDENCE
    _, e = read(card.format("") + "                RxBIN 610279", payer="anthem")
    assert value(e, "group_number") == "81058MT" and value(e, "rx_bin") == "610279"
    # a date of birth misread ("62/22/1967") alone in the column is no group: a cell's value is one token
    _, e = read("Empire BlueCross BlueShield\nMember ID    HETEZ6863530 00\nDOS          62/22/1967", payer="anthem")
    assert value(e, "member_id") == "HETEZ6863530" and value(e, "group_number") is None
    _, e = read(card.format("          "), payer="anthem")
    assert value(e, "group_number") is None


def test_a_number_in_the_main_numbers_column_is_told_by_its_type_not_by_a_smeared_box_or_a_speck():
    """Motion blur smeared "9979691" into a box 81 px tall over an ID 51 px tall: its characters stand as
    far apart as the ID's, so it is set in the same type. A scrap of the lost label beside it, under half
    its height ("s+"), leaves it alone on its line. A word of wider type, or a neighbour of full height, says
    nothing."""
    def card(group, *beside):
        return read_placed("cigna", ("Cigna", (1004, 35, 228, 99)), ("Richard", (50, 235, 191, 47)),
                           ("Thompson", (265, 233, 253, 61)), group, *beside, ("ID", (47, 404, 28, 42)),
                           ("957981695", (48, 437, 263, 51)), ("Network", (48, 510, 119, 28)))
    smeared = ("9979691", (48, 305, 195, 81))
    assert value(card(smeared), "member_id") == "957981695"
    assert value(card(smeared), "group_number") == "9979691"
    assert value(card(("9979691", (48, 305, 400, 81))), "group_number") is None
    plain = ("9979691", (48, 330, 195, 50))
    assert value(card(plain, ("s+", (260, 340, 33, 12))), "group_number") == "9979691"
    assert value(card(plain, ("RX", (260, 330, 60, 50))), "group_number") is None


def test_a_value_of_the_fields_own_shape_far_beside_its_label_is_its_own():
    """"SCHOOL        Lakemont College", the school's name in the column of values far from its label, is the
    school, not the member's name under the label: a school's name is a value found even with no label.
    A far value of no school's shape is still the next column's, where no other value starts there (a
    column of values beside the column of labels makes it the label's: see the test of such columns)."""
    _, e = read("UnitedHealthcare StudentResources\n"
                "SCHOOL          Lakemont College\nSOFIA KAUR\nSR ID:          730619932", payer="uhc_student_resources")
    assert value(e, "school_name") == "Lakemont College"
    _, e = read("UnitedHealthcare StudentResources\n"
                "SCHOOL          Lakemont Hall\nWestbrook University\nSR ID: 730619932",
                payer="uhc_student_resources")
    assert value(e, "school_name") == "Westbrook University"


def test_the_end_of_a_distractors_label_garbled_by_a_letter_labels_nothing():
    """"Re ID M43023562078" on a Cigna back is the Rx ID, its x read as e: the "ID" it ends with is no
    member ID label. A word further from "Rx" ("My ID") leaves the label standing."""
    card = "Cigna Healthcare\nName: Sofia Washington\nGroup 03192576\n{} ID M43023562078"
    _, e = read(card.format("Re"), payer="cigna")
    assert value(e, "member_id") is None
    _, e = read(card.format("My"), payer="cigna")
    assert value(e, "member_id") == "M430235620"


def test_a_values_distance_from_its_label_is_measured_from_the_mark_that_closes_it():
    """"Member  #   H87893587" in large type: the value stands near the '#' that ends its label, so it is
    the label's own, not the next column's, and the Medicare contract number under it ("R6748 986") is not
    taken. The same value far past the mark is the next column's, where no other value starts where it
    does (none of a column of values); the line under the label is read."""
    def card(mark_x, column_x=280):
        return read_placed("generic", ("Humana", (834, 62, 396, 73)), ("GROUP", (54, 249, 97, 24)),
                           ("#", (166, 252, 15, 18)), ("774710", (column_x, 239, 202, 44)),
                           ("Member", (55, 329, 109, 23)), ("JAMES", (column_x - 6, 319, 176, 54)),
                           ("OKAFOR", (column_x + 192, 319, 229, 44)),
                           ("Member", (55, 409, 109, 23)), ("#", (mark_x, 411, 14, 19)),
                           ("H87893587", (280, 399, 311, 65)), ("R6748", (55, 475, 114, 30)), ("986", (184, 475, 67, 30)),
                           ("MEDICARE", (265, 475, 191, 30)), ("R", (471, 476, 23, 28)))
    assert value(card(181), "member_id") == "H87893587"
    assert value(card(166, column_x=200), "member_id") == "R6748986"


def test_a_whole_value_under_one_parts_label_is_repaired_to_the_whole_values_shape():
    """"XPNNO5744526" under "ID Number" (the label of a BCBS number's second part): the whole member ID,
    whose O touching a digit is a zero; repaired, it is trusted less than one read as printed."""
    assert_repaired_as_printed("Anthem Blue Cross and Blue Shield\nMember: CHEN, JOSEPH\nID Number\n{}\n"
                               "Group # 30631ER3G3", "anthem", "member_id", "XPNNO5744526", "XPNN05744526")


def assert_repaired_as_printed(card: str, payer: str, field: str, misread: str, printed: str) -> None:
    """The card (``{}`` where the value stands) read with the value misread gives the value as printed,
    trusted less than where it was read as printed."""
    _, repaired = read(card.format(misread), payer=payer)
    _, as_printed = read(card.format(printed), payer=payer)
    assert value(repaired, field) == value(as_printed, field) == printed
    assert repaired.fields[field].confidence < as_printed.fields[field].confidence


def test_a_person_suffix_read_with_a_look_alike_is_still_the_suffix():
    """"XDEF58189219 O1" under "ID Number": the O1 is the person's suffix 01, not the ID's last letters
    (XDEF5818921901 would end in an O touching a digit, no Anthem ID)."""
    _, e = read("Anthem Blue Cross and Blue Shield\nID Number          GRP\n"
                "XDEF58189219 O1    78599354AB", payer="anthem")
    assert value(e, "member_id") == "XDEF58189219" and value(e, "group_number") == "78599354AB"


def test_a_labels_closing_word_is_never_part_of_the_value_before_it():
    _, e = read("Anthem Blue Cross and Blue Shield\nIDENTIFICATION NUMBER GMJWY0187683\nGRP R81125 NUMBER",
                payer="anthem")
    assert value(e, "group_number") == "R81125"


def test_a_name_beside_a_label_is_never_part_of_an_identifier():
    """"Member: ANDRES THOMPSON H3578" (the member's name and a plan number after a label an ID shares) makes
    no member ID of a word of five letters or more; the number under "Member #" is the member ID. A BCBS
    prefix's three letters still join its number."""
    _, e = read("Humana\nMember: ANDRES THOMPSON H3578 142\nMember # H33354805", payer="unknown")
    assert value(e, "member_id") == "H33354805"
    _, e = read("Anthem Blue Cross\nMember ID XWN 202056087", payer="anthem")
    assert value(e, "member_id") == "XWN202056087"


def test_a_label_whose_box_reached_up_into_a_band_is_still_a_label():
    """"Group" boxed 61 px tall (the engine's box reaching up into the dark band above it) beside "#" and
    the number in ordinary type: one tall box among ordinary words is no logo, so the label stands.
    A label in a row of the logo's type is still no label."""
    words = [("oscar", (53, 63, 309, 58)), ("Group", (50, 169, 90, 61)), ("#", (154, 208, 21, 22)),
             ("756776", (196, 190, 184, 38)), ("Member:", (64, 269, 117, 21)), ("WILLIAM", (63, 306, 216, 24)),
             ("SCHMIDT", (303, 306, 231, 24)), ("RxBIN", (51, 388, 86, 22)), ("015581", (158, 388, 136, 24)),
             ("Effective", (642, 440, 129, 24)), ("Date", (786, 440, 68, 23)), ("09/01/2024", (873, 440, 208, 26)),
             ("www.hioscar.com", (50, 747, 244, 21))]
    assert value(read_placed("oscar", *words), "group_number") == "756776"
    logo = [(text, (x, y, w, 61 if text in ("#", "756776") else h)) for text, (x, y, w, h) in words]
    assert value(read_placed("oscar", *logo), "group_number") is None


def test_a_js_hook_read_as_a_bracket_is_the_j_not_a_lost_glyph():
    """"TL) 538464081" for TLJ538464081: dropping the bracket leaves two letters, which Anthem's shape
    could only take by repairing the 5 into an S; reading the bracket as the J it resembles needs no
    other change. A bracket after a value that fits as read changes nothing."""
    _, e = read("Anthem Blue Cross\nIdentification # TL) 538464081\nGroup No 87574ER4", payer="anthem")
    assert value(e, "member_id") == "TLJ538464081" and e.fields["member_id"].repaired == 1
    _, e = read("Anthem Blue Cross\nIdentification # TLK538464081)\nGroup No 87574ER4", payer="anthem")
    assert value(e, "member_id") == "TLK538464081" and e.fields["member_id"].repaired == 0
    # the hook ending a prefix read alone in its column ("DW]" under "PREFIX")
    _, e = read("Anthem Blue Cross and Blue Shield\nPREFIX   ID NUMBER   SFX\nDW]      910556470   01", payer="anthem")
    assert value(e, "member_id") == "DWJ910556470"


def test_a_bracket_between_digits_is_a_one():
    """"W6 ] 4] 3" for W61413: a 1 whose foot serif OCR read as a bracket, not punctuation to drop (which
    leaves a valid but wrong W643), read as the glyph it is, as a colon between digits is (no repair: the
    words of a re-read as far as the second bracket, W614, are no closer reading). A bracket ending a
    value changes nothing."""
    _, e = read("Blue Shield of California\nGroup Number W6 ] 4] 3\nMember # XEH613324637")
    assert value(e, "group_number") == "W61413" and e.fields["group_number"].repaired == 0
    line = [("W6", 0.9), ("]", 0.9), ("4]", 0.8), ("3", 0.9)]
    winner, _ = settle("generic", "group_number", "W61413", 0.9, [line] * 3)
    assert winner.value == "W61413"
    _, e = read("Blue Shield of California\nGroup Number W61413 ]\nMember # XEH613324637")
    assert value(e, "group_number") == "W61413" and e.fields["group_number"].repaired == 0


def test_a_bcbs_rows_parts_are_read_only_where_a_field_composes_them():
    """"Member !0# 895848512" (Member ID# read with its I as ! and D as 0) on a UnitedHealthcare card
    spells the shared "Member No" of a BCBS row's number part nearer than "Member ID#"; UnitedHealthcare
    composes no member ID from parts, so the part is not read there and the label is the member ID's.
    Anthem, which composes, still reads the part under its own label."""
    _, e = read("UnitedHealthcare\nGroup 5493677\nMember !0# 895848512", payer="uhc")
    assert value(e, "member_id") == "895848512" and "member_number" not in e.fields
    assert "member_number" not in TEMPLATES.templates["uhc"].fields
    assert "member_number" in TEMPLATES.templates["anthem"].fields


def test_a_word_of_letters_the_engine_split_off_its_number_is_part_of_it():
    """"KMZHT 2188299" 13 px apart (under half a letter's width) is one printed token, KMZHT2188299; the
    same words a space apart are a word and a number."""
    def read_split(label, first, second, second_x):
        """The two words on the line under ``label``, the second starting at ``second_x``."""
        (text, (_, y, w, h)) = second
        return read_placed("anthem", ("Anthem", (50, 40, 200, 40)), label, first, (text, (second_x, y, w, h)))

    member = (("ID", (52, 408, 37, 23)), ("KMZHT", (53, 451, 143, 35)), ("2188299", (0, 451, 202, 35)))
    assert value(read_split(*member, 209), "member_id") == "KMZHT2188299"
    assert value(read_split(*member, 226), "member_id") != "KMZHT2188299"
    # ... and after it: "6531 ABDDDC" 8 px apart is the group 6531ABDDDC, not 6531 and a word
    group = (("GROUP", (49, 289, 146, 26)), ("6531", (49, 324, 105, 41)), ("ABDDDC", (0, 322, 215, 41)))
    assert value(read_split(*group, 162), "group_number") == "6531ABDDDC"
    assert value(read_split(*group, 190), "group_number") != "6531ABDDDC"


def test_oscars_own_letters_read_in_lower_case_or_as_look_alikes_still_make_its_id():
    """Oscar's IDs all begin OSC: "Osc 13364956" is no word of prose before a number, and "08063908353"
    (O as 0, S as 8, the C's gap closed into a 0) is OSC63908353 repaired. A capitalised word that is
    not the field's own letters is still prose ("Box 13364956")."""
    _, e = read("oscar\nMember ID Osc 13364956", payer="oscar")
    assert value(e, "member_id") == "OSC13364956" and e.fields["member_id"].repaired == 0
    _, e = read("oscar\nMember ID: 08063908353", payer="oscar")
    assert value(e, "member_id") == "OSC63908353" and e.fields["member_id"].repaired == 3
    _, e = read("oscar\nMember ID Box 13364956", payer="oscar")
    assert value(e, "member_id") is None


def test_a_value_under_a_header_ends_where_the_next_columns_header_begins():
    """A suffix "01" read as "or" under "SUFFIX", after the number under "ID NUMBER" and a dash: the
    number's value ends before the next header's column, so the member ID is the prefix and the number
    (not XEH974704602OR)."""
    _, e = read("Blue Shield of California\nMember: PATRICIA YAMAMOTO\n"
                "PREFIX   ID NUMBER   SUFFIX\n"
                "XEH      974704602 —  or\nGroup # H76942")
    assert value(e, "member_number") == "974704602"
    assert value(e, "member_id") == "XEH974704602"


def test_an_anthem_group_numbers_round_letter_is_a_zero():
    """"5057419MCO": Anthem's group numbers mix digits and letters and hold no letter O (issuers leave it
    out of such codes to keep it apart from 0), so the round glyph after the letters is a zero, as one
    touching a digit is; repaired, it is trusted less than one read as printed."""
    assert_repaired_as_printed("Anthem Blue Cross and Blue Shield\nID Number XPN805744526\nGroup No {}", "anthem",
                               "group_number", "5057419MCO", "5057419MC0")


def test_a_label_whose_i_was_read_as_a_bang_is_still_the_label():
    """"Rx !D RX7649737976": the I of the Rx ID's label read as "!". It is still the Rx ID's label, so its
    number is the Rx ID, never the member ID a shape search built of "!D" and it (IDRX7649737976)."""
    _, e = read("Empire BlueCross BlueShield\nNAJ 83988787 01\nGROUP NO 25131MA7G\nRx !D RX7649737976",
                payer="anthem")
    assert value(e, "rx_id") == "RX7649737976"
    assert value(e, "member_id") == "NAJ83988787"


def test_a_word_spelt_as_another_labels_is_not_misread_into_a_longer_label():
    """"GROUP # MEMBER ID", two columns' headers on one line, is one slip per word from "Group Number":
    but "MEMBER" is spelt as the member ID's label spells it, and not as "Group Number" does, so it
    was read, not misread. The group's header is "GROUP #", its value the one under it."""
    e = read_placed("umr", ("UMR", (53, 60, 223, 65)), ("GROUP", (53, 336, 154, 26)), ("#", (185, 332, 25, 42)),
                    ("MEMBER", (663, 325, 155, 27)), ("ID", (830, 325, 34, 24)),
                    ("933650471", (662, 368, 188, 33)), ("76-704665", (53, 379, 194, 34)))
    assert value(e, "member_id") == "933650471"
    assert value(e, "group_number") == "76-704665" and e.fields["group_number"].label == "Group"
    # a slip in a word another label spells the same way is still a slip: "Rx Group Numbr" is one label
    _, e = read("Oxford Health Plans\nMember ID 912345678\nRx Group Numbr ACUGRP\nGroup 4557016", payer="oxford")
    assert value(e, "rx_group") == "ACUGRP" and value(e, "group_number") == "4557016"
    # ... and so is "Paver 1D": its "1D" is the "ID" of "Payer ID" as OCR spells it, not the member ID's label
    _, e = read("Humana\nIdentification # H25030736\nPaver 1D 61101", payer="unknown")
    assert value(e, "member_id") == "H25030736" and value(e, "payer_id") == "61101"


def test_a_labels_mark_read_with_a_speck_beside_it_starts_no_value():
    """"Group #4   521187": the '#' that closes the label read with a speck as "#4", far from the value."""
    e = read_placed("oscar", ("oscar", (52, 54, 290, 64)), ("Member", (54, 250, 120, 29)), ("ID", (185, 250, 40, 29)),
                    ("OSC28541598", (240, 245, 260, 37)), ("Group", (54, 300, 95, 29)), ("#4", (172, 302, 16, 19)),
                    ("521187", (329, 293, 187, 37)))
    assert value(e, "group_number") == "521187"
