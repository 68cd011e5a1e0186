"""Every check status and flag, from canned OCR text and typed forms (no Tesseract)."""

from dataclasses import replace

import pytest

from card_reader.extract import Candidate, SidePage, extract_fields
from card_reader.models import CheckStatus, ClientSubmission, Severity, SideQuality
from card_reader.ocr import Block, Box, Line, Word, page_from_text
from card_reader.templates import load_templates
from card_reader.text import name_read_as
from card_reader.verify import POLICY, PrintedName, confirmed_readings, doubted_names, verify

TEMPLATES = load_templates()

UHC = ("UnitedHealthcare     Choice Plus\nHealth Plan (80840) 911-87726-04\n"
       "Member ID: 912345678     Group Number: 98765\nMember: JANE Q DOE-SMITH\nRxBIN 610279   RxGrp UHEALTH")
OXFORD = "Oxford Health Plans   UnitedHealthcare\nMember ID 912345678\nGroup Number 123456\nMember: JOHN DOE"
CIGNA = "Cigna Healthcare\nID 122222222\nGroup 00699999\nName ROBERT ZOË SMITH"
UMR = "UMR   A UnitedHealthcare Company\nIssuer (80840) 9151014609\nMember ID 123456789\nGroup Number 76-123456"
OSCAR = "oscar\nMember ID OSC12345678\nJANE DOE"
SR = "UnitedHealthcare StudentResources\nSR ID# 987654321\nPolicy # 2020-451-1 (312)"
SR_WITH_SCHOOL = SR + "\nUniversity of Northwood"
HUMANA = "Humana\nMember ID H12345678\nGroup # 7X1234"


def read(text, back_text=None, confidence=0.95, second_readings=None):
    """The payer, the pages and the fields extracted from canned text; ``second_readings`` (field -> values)
    become each field's rivals, as the re-readings' vote keeps them."""
    pages = [SidePage("front", page_from_text(text, confidence=confidence))]
    if back_text:
        pages.append(SidePage("back", page_from_text(back_text)))
    payer = TEMPLATES.match([p.page for p in pages])
    extraction = extract_fields(payer.template, pages)
    rivals = {name: tuple(replace(extraction.fields[name], value=value, confidence=0.5) for value in values)
              for name, values in (second_readings or {}).items()}
    return payer, pages, replace(extraction, alternatives={**extraction.alternatives, **rivals})


def run(text, back_text=None, quality=None, confidence=0.95, read_again=None, second_readings=None, **typed):
    payer, pages, extraction = read(text, back_text, confidence, second_readings)
    return verify(ClientSubmission(**typed), payer, extraction, TEMPLATES, has_back=back_text is not None,
                  quality=quality or {}, card_lines=[ln for p in pages for ln in p.page.lines],
                  names_read_again=read_again or {})


def shown(text, back_text=None, confidence=0.95, second_readings=None, **typed):
    """The card's fields as the result shows them once the typed form was checked (``confirmed_readings``)."""
    _, pages, extraction = read(text, back_text, confidence, second_readings)
    verdict = run(text, back_text, confidence=confidence, second_readings=second_readings, **typed)
    return confirmed_readings(extraction, verdict, pages)


def status(verdict, field):
    return next(c for c in verdict.checks if c.field == field).status


def codes(verdict):
    return {f.code for f in verdict.flags}


def test_correct_form_with_harmless_variations_needs_no_review():
    verdict = run(UHC, "back", member_id=" 9123-45678 ", group_number="98765", insurance_provider="united healthcare",
                  first_name="jane", last_name="doe-smith")
    assert all(c.status == CheckStatus.MATCH for c in verdict.checks), verdict.checks
    assert not verdict.needs_review


def test_member_id_typo_is_probable_typo_with_suggestion():
    verdict = run(UHC, "back", member_id="912345687")
    check = verdict.checks[0]
    assert check.status == CheckStatus.PROBABLE_TYPO and "912345678" in check.detail
    assert "member_id_typo" in codes(verdict) and verdict.needs_review


def test_look_alike_typed_is_probable_typo():
    verdict = run("aetna\nID W213769935\nGRP 866081-030-00001", "back", member_id="W2137699S5")
    assert status(verdict, "member_id") == CheckStatus.PROBABLE_TYPO


def test_member_id_mismatch_is_an_error():
    verdict = run(UHC, "back", member_id="555000111")
    assert status(verdict, "member_id") == CheckStatus.MISMATCH
    assert any(f.code == "member_id_mismatch" and f.severity == Severity.ERROR for f in verdict.flags)


def test_health_plan_number_typed_as_member_id_is_named():
    verdict = run(UHC, "back", member_id="(80840) 911-87726-04")
    assert status(verdict, "member_id") == CheckStatus.MISMATCH
    flag = next(f for f in verdict.flags if f.code == "typed_distractor")
    assert "health plan" in flag.message and "912345678" in flag.message


def test_umr_issuer_typed_as_member_id_is_named():
    verdict = run(UMR, "back", member_id="9151014609")
    assert "typed_distractor" in codes(verdict)
    assert "issuer" in next(f for f in verdict.flags if f.code == "typed_distractor").message


def test_rx_group_typed_as_group_is_named():
    verdict = run(UHC, "back", group_number="UHEALTH")
    assert status(verdict, "group_number") == CheckStatus.MISMATCH
    assert "rx group" in next(f for f in verdict.flags if f.code == "typed_distractor").message


def test_rx_group_typed_as_group_is_named_where_the_card_misread_it_by_a_glyph():
    """The front of a card without a template, no group printed on it, the back not photographed: the
    typed group GNHA05 is the Rx group, read "GNHAOS5" (0 as O, a glyph added). Not "on the back"."""
    card = "Harborview Health\nMember # Y99105541\nRxBIN 610011   RxPCN WK   RxGrp GNHAOS5"
    verdict = run(card, group_number="GNHA05")
    assert status(verdict, "group_number") == CheckStatus.MISMATCH and "typed_distractor" in codes(verdict)
    assert "typed_distractor" not in codes(run(card, group_number="GNHB17"))  # two glyphs off: another value


@pytest.mark.parametrize("typed", ["76-123456", "76123456", "XXXXXX"])
def test_group_accepts_full_printed_value_and_placeholder(typed):
    verdict = run(UMR, "back", group_number=typed)
    assert status(verdict, "group_number") in (CheckStatus.MATCH, CheckStatus.PLACEHOLDER)
    assert not verdict.needs_review


def test_placeholder_proposes_the_read_value_as_info():
    verdict = run(UMR, "back", group_number="XXXXXX")
    check = verdict.checks[0]
    assert check.status == CheckStatus.PLACEHOLDER and "76-123456" in check.detail
    assert [f.severity for f in verdict.flags if f.code == "group_placeholder"] == [Severity.INFO]


def test_placeholder_for_a_six_character_group_is_a_mistake_and_an_unsure_reading_is_only_proposed():
    """XXXXXX is the input only for a group that is not six characters: typed for OXFORD's 123456 it is
    caught. A group read unsurely that is not six characters agrees with the placeholder (no more in
    doubt than a group not read at all) and is the card's. Read unsurely with six (an Rx BIN beside the
    member ID, its label lost), it is too unsure to contradict the client, who saw the card: not the
    card's group, only proposed, and no review (staff fill the group in at the eligibility check)."""
    verdict = run(OXFORD, "back", group_number="XXXXXX")
    assert status(verdict, "group_number") == CheckStatus.MISMATCH and verdict.needs_review
    unsure = run(UHC, "back", confidence=0.3, group_number="XXXXXX")
    assert status(unsure, "group_number") == CheckStatus.PLACEHOLDER
    assert "group_number" not in {f.field for f in unsure.flags if f.severity != Severity.INFO}
    assert shown(UHC, "back", confidence=0.3, group_number="XXXXXX").fields["group_number"].value == "98765"
    unsure_six = run(OXFORD, "back", confidence=0.3, group_number="XXXXXX")
    check = next(c for c in unsure_six.checks if c.field == "group_number")
    assert check.status == CheckStatus.PLACEHOLDER and check.read is None and "123456" in check.detail
    assert not unsure_six.needs_review and unsure_six.set_aside == {"group_number"}
    result = shown(OXFORD, "back", confidence=0.3, group_number="XXXXXX")
    assert "group_number" not in result.fields
    assert [c.value for c in result.alternatives["group_number"]] == ["123456"]
    # typed as another number, the same unsure reading is still looked at by a person
    assert "group_number_unreadable" in codes(run(OXFORD, "back", confidence=0.3, group_number="654321"))


def test_aetna_portal_value_of_group_matches():
    verdict = run("aetna\nID W213769935\nGRP# 866081-030-00001", "back", group_number="866081")
    assert status(verdict, "group_number") == CheckStatus.MATCH
    # read with a dash out of place: the dashes typed where the card prints them are not a typo
    verdict = run("aetna\nID W213769935\nGRP# 8660-81-030-00001", "back", group_number="866081-030-00001")
    assert status(verdict, "group_number") == CheckStatus.MATCH


def test_a_form_matching_a_second_reading_of_a_number_makes_it_the_cards_reading():
    """Two readings of a blurred digit are both the card's: the one the client typed is the one shown."""
    card = UHC.replace("912345678", "912345618").replace("98765", "98165")
    seconds = {"member_id": ["912345678"], "group_number": ["98765"]}
    _, _, extraction = read(card, "back", second_readings=seconds)
    verdict = run(card, "back", second_readings=seconds, member_id="912345678", group_number="98765")
    assert [(c.status, c.read) for c in verdict.checks[:2]] == [(CheckStatus.MATCH, "912345678"),
                                                               (CheckStatus.MATCH, "98765")]
    confirmed = shown(card, "back", second_readings=seconds, member_id="912345678", group_number="98765")
    assert (confirmed.fields["member_id"].value, confirmed.fields["group_number"].value) == ("912345678", "98765")
    assert [c.value for c in confirmed.alternatives["member_id"]] == ["912345618"]
    # a form matching the first reading, or matching no reading, leaves the card's reading as it was
    for typed in ("912345618", "912345677"):
        assert shown(card, "back", second_readings=seconds, member_id=typed) == extraction


def test_a_typed_portal_group_never_takes_a_shorter_second_reading_for_the_group():
    """Aetna's portal takes the group's first six digits: typed so, they match the full reading, which
    stays the card's group even where a second reading lost the rest."""
    card = "aetna\nID W213769935\nGRP# 866081-030-00001"
    seconds = {"group_number": ["866081"]}
    verdict = run(card, "back", second_readings=seconds, group_number="866081")
    assert status(verdict, "group_number") == CheckStatus.MATCH
    assert shown(card, "back", second_readings=seconds, group_number="866081").fields[
        "group_number"].value == "866081-030-00001"


def test_oscar_without_group_placeholder_and_typed_group_not_on_card():
    placeholder = run(OSCAR, "b", group_number="XXXXXX")
    assert status(placeholder, "group_number") == CheckStatus.PLACEHOLDER and not placeholder.needs_review
    # a number typed where the card shows none came from elsewhere (the pharmacy group, another card)
    verdict = run(OSCAR, "b", group_number="123456")
    assert status(verdict, "group_number") == CheckStatus.NOT_ON_CARD and verdict.needs_review
    assert "group_number_not_printed" in codes(verdict)
    # the label read but not its number: printed, and unread
    unread = run(OSCAR + "\nGroup #", "b", group_number="123456")
    assert "group_number_not_printed" not in codes(unread)
    unlike = run(OSCAR, "b", group_number="OSCARRX")  # the Rx group's: no Oscar group number's shape
    assert status(unlike, "group_number") == CheckStatus.MISMATCH and unlike.needs_review


def test_member_id_unreadable_when_not_found():
    verdict = run("UnitedHealthcare\nGroup Number 98765", "b", member_id="912345678")
    assert status(verdict, "member_id") == CheckStatus.UNREADABLE
    assert "member_id_unreadable" in codes(verdict)


def test_parent_brand_typed_for_oxford_names_the_right_payer():
    verdict = run(OXFORD, "b", insurance_provider="UnitedHealthcare")
    assert status(verdict, "insurance_provider") == CheckStatus.MISMATCH
    flag = next(f for f in verdict.flags if f.code == "payer_parent_brand")
    assert "Oxford" in flag.message and flag.severity == Severity.ERROR


def test_wrong_payer_is_mismatch():
    verdict = run(CIGNA, "b", insurance_provider="Aetna")
    assert "payer_mismatch" in codes(verdict)


def test_payer_alias_matches():
    assert status(run("Empire BlueCross BlueShield\nID ETR123456789", "b", insurance_provider="Anthem BCBS"),
                  "insurance_provider") == CheckStatus.MATCH


def test_unknown_payer_printed_on_card_is_info_only():
    verdict = run(HUMANA, "b", insurance_provider="Humana", member_id="H12345678")
    assert not verdict.needs_review and "payer_unlisted" in codes(verdict)


def test_a_payers_name_may_be_printed_only_in_its_web_address():
    """"Blue Shield of" lost to a logo's glare, "shield" is on the card in its web address alone
    (blueshieldca.com); a word inside other prose is no such evidence."""
    card = "Ok California i\nTrio HMO\nID XEH656112720\nBlue Claims\n{}"
    verdict = run(card.format("www. blueshieldca. com"), "b", insurance_provider="Blue Shield of California")
    assert "payer_unlisted" in codes(verdict) and not verdict.needs_review
    verdict = run(card.format("Shieldsman Claims Office"), "b", insurance_provider="Blue Shield of California")
    assert "payer_unknown" in codes(verdict) and verdict.needs_review


def test_a_payers_name_read_with_a_look_alike_letter_is_still_its_name():
    """A blurred "Wellcare" logo read "welicare" (ll as li) names the typed Wellcare; a name one letter
    off that is no look-alike (welmare) does not."""
    card = "{}\nALEXANDER Z KIM\nMember ID 15315299\nNational Network"
    verdict = run(card.format("welicare"), "b", insurance_provider="Wellcare")
    assert "payer_unlisted" in codes(verdict) and not verdict.needs_review
    verdict = run(card.format("welmare"), "b", insurance_provider="Wellcare")
    assert "payer_unknown" in codes(verdict) and verdict.needs_review


def test_unknown_payer_not_on_card_needs_review():
    verdict = run(HUMANA, "b", insurance_provider="Molina")
    assert "payer_unknown" in codes(verdict) and verdict.needs_review


def test_case_and_accents_in_names_are_not_mistakes():
    verdict = run(CIGNA, "b", first_name="robert", last_name="smith")
    assert status(verdict, "first_name") == CheckStatus.MATCH and status(verdict, "last_name") == CheckStatus.MATCH


def test_nickname_is_a_name_mismatch():
    verdict = run(CIGNA, "b", first_name="Bob", last_name="Smith")
    assert status(verdict, "first_name") == CheckStatus.MISMATCH
    assert "name_mismatch" in codes(verdict)


def test_missing_hyphenated_part_is_a_mismatch_that_says_so():
    verdict = run(UHC, "b", first_name="Jane", last_name="Doe")
    check = next(c for c in verdict.checks if c.field == "last_name")
    assert check.status == CheckStatus.MISMATCH and "hyphenated" in check.detail


def test_dependent_policy_holder_compared_with_printed_member():
    verdict = run(OXFORD, "b", first_name="Amy", last_name="Doe", is_policy_holder=False,
                  policy_holder={"first_name": "John", "last_name": "Roe"})
    assert status(verdict, "first_name") == CheckStatus.NOT_ON_CARD
    assert status(verdict, "policy_holder.last_name") == CheckStatus.MISMATCH


def test_a_dependent_is_not_compared_with_the_holders_line_of_the_same_first_name():
    """The card prints the holder "Sofia L. Ivanova", the dependent Sofia Ivanova-Haddad is not printed:
    the holder's line, as typed for the holder, says nothing of the dependent's name. A dependent's
    name on a line of its own (a relative's, with a person suffix) is still compared."""
    card = "UnitedHealthcare StudentResources\nMEMBER NAME\nSofia L. Ivanova\nSR ID# 950884765"
    holder = {"first_name": "Sofia", "last_name": "ivanova"}
    verdict = run(card, "b", first_name="Sofia", last_name="Ivanova-Haddad", is_policy_holder=False,
                  policy_holder=holder)
    assert status(verdict, "last_name") == CheckStatus.NOT_ON_CARD and "name_mismatch" not in codes(verdict)
    assert status(verdict, "policy_holder.last_name") == CheckStatus.MATCH
    verdict = run(card + "\nDependents\nSOFIA IVANOVA-HALL 02", "b", first_name="Sofia", last_name="Ivanova-Haddad",
                  is_policy_holder=False, policy_holder=holder)
    assert status(verdict, "last_name") == CheckStatus.MISMATCH
    # listed under the holder with the holder's very name, the dependent is compared with that line
    verdict = run(card + "\nDependents\nSOFIA IVANOVA 02", "b", first_name="Sofia", last_name="Novak",
                  is_policy_holder=False, policy_holder=holder)
    assert status(verdict, "last_name") == CheckStatus.MISMATCH


def test_a_name_read_only_as_far_as_an_initial_contradicts_nothing():
    """"LUCA K" of "Luca K Garcia-L6 pez", the reading cut at a digit OCR made of an accented letter and
    split there: the initial is no surname to differ from the typed one. A surname read in full still
    differs."""
    verdict = run("Kaiser Permanente\nName:\nLuca K Garcia-L6 pez\nMember # 2126329135", "b",
                  first_name="Luca", last_name="García-López")
    assert status(verdict, "first_name") == CheckStatus.MATCH
    assert status(verdict, "last_name") == CheckStatus.UNREADABLE and not verdict.needs_review
    verdict = run("Kaiser Permanente\nName:\nLuca K Lopez\nMember # 2126329135", "b",
                  first_name="Luca", last_name="García-López")
    assert status(verdict, "last_name") == CheckStatus.MISMATCH


@pytest.mark.parametrize("last_name, expected", [
    ("García-López", CheckStatus.MATCH),  # the accented O read as 6: any reading of an accented letter
    ("Garcia-Lopez", CheckStatus.UNREADABLE),  # typed plain: one letter off the unsure reading
    ("Johnson", CheckStatus.MISMATCH),  # nothing like it: a mistake, however the 6 is read
    ("Lopez", CheckStatus.MISMATCH),  # part of the name left out
])
def test_a_name_with_a_letter_read_as_a_digit(last_name, expected):
    """"Francois K Garcia-L6pez 763144285": the surname holds a digit OCR made of a letter; it is the
    surname still (not a name cut at "K"), compared as a word with a letter unread."""
    card = "UnitedHealthcare\nGroup\n5249990\nNAME\nFrancois K Garcia-L6pez 763144285"
    verdict = run(card, "b", first_name="Francois", last_name=last_name)
    assert status(verdict, "last_name") == expected
    assert verdict.needs_review == (expected == CheckStatus.MISMATCH)


def test_date_of_birth_not_on_card_and_mismatch():
    assert status(run(UHC, "b", date_of_birth="1985-01-02"), "date_of_birth") == CheckStatus.NOT_ON_CARD
    verdict = run(UHC + "\nDOB 01/02/1985", "b", date_of_birth="1985-02-01")
    assert status(verdict, "date_of_birth") == CheckStatus.MISMATCH



def test_a_birth_date_read_unsurely_or_impossibly_contradicts_nothing():
    """"12/14/4989" for a typed 1989-12-11 (1 read as 4, twice, at 0.67): unreadable, as a name read so
    would be; a date of birth in the future is no reading at all, however sure."""
    unsure = run(UHC + "\nDOB 12/14/1989", "b", confidence=0.67, date_of_birth="1989-12-11")
    assert status(unsure, "date_of_birth") == CheckStatus.UNREADABLE and "date_of_birth_mismatch" not in codes(unsure)
    future = run(UHC + "\nDOB 12/14/4989", "b", date_of_birth="1989-12-11")
    assert status(future, "date_of_birth") == CheckStatus.UNREADABLE


def test_back_photo_missing_for_payers_that_require_photos():
    assert "back_photo_missing" in codes(run(CIGNA, None, member_id="122222222"))
    assert "back_photo_missing" not in codes(run(UHC, None, member_id="912345678"))
    # a card whose payer is not recognised: the policy of the payer the client typed
    assert "back_photo_missing" in codes(run("ID 122222222\nGroup 00699999", None, insurance_provider="Cigna"))
    assert "back_photo_missing" not in codes(run("ID 122222222\nGroup 00699999", None, insurance_provider="UHC"))


def test_student_resources_school_missing_or_read_from_card():
    assert "school_name_missing" in codes(run(SR, "b", member_id="987654321"))
    verdict = run(SR_WITH_SCHOOL, "b", member_id="987654321")
    # the form is incomplete even though the card shows the school: staff add it (the message proposes it)
    assert "school_name_from_card" in codes(verdict) and verdict.needs_review
    assert "University of Northwood" in next(f.message for f in verdict.flags if f.code == "school_name_from_card")


def test_poor_photo_asks_for_retake_only_when_the_reading_suffers():
    blurry = {"front": SideQuality(card_found=True, method="outline", rotation_applied=0, card_width_px=900,
                                   sharpness=5, glare=0, brightness=220, issues=["blurry"])}
    unread = run("UnitedHealthcare\nGroup Number 98765", "b", quality=blurry)
    assert "photo_retake" in codes(unread) and "blurry" in next(f.message for f in unread.flags
                                                                 if f.code == "photo_retake")
    read_fine = run(UHC, "b", quality=blurry)
    assert "photo_retake" not in codes(read_fine) and "photo_quality" in codes(read_fine)


def test_needs_review_exactly_when_warning_or_error():
    for verdict in (run(UHC, "b", member_id="912345678"), run(UHC, "b", member_id="000000000"),
                    run(UMR, "b", group_number="XXXXXX")):
        assert verdict.needs_review == any(f.severity != Severity.INFO for f in verdict.flags)


def test_every_policy_row_has_a_message_and_a_severity():
    for code, rule in POLICY.items():
        assert rule.message and rule.severity in Severity, code


@pytest.mark.parametrize("printed, first, last", [
    ("FRANGOIS DUPONT", "François", "Dupont"),  # a cedilla read as G
    ("ANNA MALLER", "Anna", "müller"),  # an accented capital read as another letter
    ("FMILY SNITH-JONES", "Emily", "Smith-Jones"),  # E read as F, M as N
    ("RICHARD SMITH- JONES", "Richard", "Smith-Jones"),  # a space read after the hyphen
    ("ZO FOSTER", "Zoë", "Foster"),  # an accented capital dropped
    ("DAVID MIILLER", "David", "Müller"),  # ... or read as two letters
    ("DAVID MIILLER", "David", "Muller"),  # ... typed without its accent
    ("THOMAS NOV AK", "Thomas", "Novak"),  # a word split by OCR's spacing
    ("JUAN DE LA CRUZ", "Juan", "De la Cruz"),  # a surname of several words
])
def test_a_name_as_ocr_reads_it_is_not_a_mistake(printed, first, last):
    verdict = run(f"Cigna Healthcare\nID 122222222\nName {printed}", "b", first_name=first, last_name=last)
    assert status(verdict, "first_name") == status(verdict, "last_name") == CheckStatus.MATCH, verdict.checks
    assert not verdict.needs_review


def test_a_letter_that_is_no_look_alike_or_a_short_name_stays_a_typo():
    for printed, first, last in (("JOHN TROMPSON", "John", "Thompson"), ("NIA PATEL", "Mia", "Patel"),
                                 ("DAVID MIILLER", "David", "Miller")):  # no vowel split: a doubled I
        verdict = run(f"Cigna Healthcare\nID 122222222\nName {printed}", "b", first_name=first, last_name=last)
        assert verdict.needs_review, printed


def test_a_vowel_split_in_two_is_the_only_misreading_a_name_is_allowed():
    """OCR may split a vowel into two letters (MIILLER for Muller), but a word with a look-alike besides is
    another word: OPEN is not a typed Dan (D read as O, A as PE), so the plan line is not the name read."""
    card = "Harborview Advantage Plus\nFOSTER, DANIEL\nMember # H39707870\nNetwork\nOpen Access"
    verdict = run(card, "b", first_name="Dan", last_name="Foster")
    assert status(verdict, "first_name") == CheckStatus.MISMATCH, verdict.checks
    assert status(verdict, "last_name") == CheckStatus.MATCH, verdict.checks
    assert not name_read_as("Dan", "OPEN") and name_read_as("Muller", "MIILLER")


def test_unlabelled_last_first_line_is_the_members_and_a_nickname_is_caught():
    card = "UnitedHealthcare\nMember ID 912345678\nGroup Number 98765\nSCHMIDT, RICHARD"
    verdict = run(card, "b", first_name="Rick", last_name="Schmidt")
    assert status(verdict, "first_name") == CheckStatus.MISMATCH and "name_mismatch" in codes(verdict)
    assert status(run(card, "b", first_name="Richard", last_name="Schmidt"), "first_name") == CheckStatus.MATCH


def test_a_label_before_a_name_is_no_part_of_it():
    """Glare left "Name: MICHA: 2-SOTO" of the member's line: its label is not a surname to compare,
    and what is left of the name contradicts nothing."""
    card = OXFORD.replace("Member: JOHN DOE", "Name: MICHA:\n2-SOTO")
    glare = {"MICHA:": 0.59, "2-SOTO": 0.24}  # as unsurely as glare left them
    page = page_from_text(card)
    page = replace(page, blocks=tuple(Block(tuple(Line(tuple(replace(w, confidence=glare.get(w.text, w.confidence))
                                                              for w in line.words)) for line in block.lines))
                                      for block in page.blocks))
    pages = [SidePage("front", page)]
    payer = TEMPLATES.match([page])
    verdict = verify(ClientSubmission(first_name="Michael", last_name="Ramirez-Soto"), payer,
                     extract_fields(payer.template, pages), TEMPLATES, has_back=False, quality={},
                     card_lines=list(page.lines))
    assert "name_mismatch" not in codes(verdict), verdict.checks
    labelled = run(OXFORD.replace("JOHN DOE", "JOHN ROE"), "b", first_name="John", last_name="Doe")
    assert status(labelled, "last_name") == CheckStatus.MISMATCH  # the name after the label still counts


def test_a_relatives_line_is_never_taken_for_the_patients_name():
    card = ("UnitedHealthcare\nMember ID 912345678\nGroup Number 98765\nFATIMA KOWALSKI\nDependents\n"
            "OLIVIA KOWALSKI 02")
    # a dependent whose name is not printed: the subscriber shares the last name but is someone else
    verdict = run(card, "b", first_name="Kwame", last_name="Kowalski", is_policy_holder=False,
                  policy_holder={"first_name": "Fatima", "last_name": "Kowalski"})
    assert status(verdict, "first_name") == CheckStatus.NOT_ON_CARD and not verdict.needs_review
    # the policy holder whose own line is not read: a listed dependent is not them
    lists_only = card.replace("FATIMA KOWALSKI\n", "")
    verdict = run(lists_only, "b", first_name="Fatima", last_name="Kowalski")
    assert status(verdict, "first_name") == CheckStatus.NOT_ON_CARD and not verdict.needs_review


def test_a_typed_member_id_that_confirms_a_poor_photo_needs_no_retake():
    blurry = {"front": SideQuality(card_found=True, method="outline", rotation_applied=0, card_width_px=900,
                                   sharpness=5, glare=0, brightness=220, issues=["blurry"])}
    card = "UnitedHealthcare\nMember ID 912345678\nGroup Number 98765"
    unsure = run(card, "b", quality=blurry, confidence=0.2, member_id="912345687")
    assert status(unsure, "member_id") == CheckStatus.UNREADABLE and "photo_retake" in codes(unsure)
    confirmed = run(card, "b", quality=blurry, confidence=0.2, member_id="912345678")
    assert status(confirmed, "member_id") == CheckStatus.MATCH
    assert "photo_retake" not in codes(confirmed) and "photo_quality" in codes(confirmed)


def test_school_abbreviated_is_the_same_school_and_a_caption_is_no_school():
    verdict = run(SR + "\nPine Ridge University", "b", school_name="Pine Ridge Univ.")
    assert status(verdict, "school_name") == CheckStatus.MATCH
    captioned = run(SR + "\nUNIVERSITY", "b", school_name="Lakemont College")
    assert status(captioned, "school_name") == CheckStatus.NOT_ON_CARD and not captioned.needs_review


def test_a_school_read_poorly_in_part_is_unreadable_but_another_school_is_still_a_mismatch():
    """"Gay University", read at 0.5, is part of a typed "Hollins Bay University" misread: unreadable, no
    review. Read surely beside its label, or reading another school's words, it is a mismatch."""
    misread = run(SR + "\nGay University", "b", confidence=0.5, school_name="Hollins Bay University")
    assert status(misread, "school_name") == CheckStatus.UNREADABLE and not misread.needs_review
    sure = run(SR + "\nSchool: Gay University", "b", school_name="Hollins Bay University")
    assert status(sure, "school_name") == CheckStatus.MISMATCH and "school_name_mismatch" in codes(sure)
    other = run(SR + "\nLakemont College", "b", confidence=0.5, school_name="Hollins Bay University")
    assert status(other, "school_name") == CheckStatus.MISMATCH and other.needs_review
    # read as noise (a blurred photo's "UCWIVERSITY Tactmeoes College of Act"), a school contradicts nothing
    noise = run(SR + "\nLakemont College", "b", confidence=0.2, school_name="Hollins Bay University")
    assert status(noise, "school_name") == CheckStatus.UNREADABLE and not noise.needs_review


def test_a_name_read_poorly_is_unreadable_but_another_name_is_still_a_mismatch():
    card = "Cigna Healthcare\nID 122222222\nName DARNETT HERNANDEZ"
    misread = run(card, "b", confidence=0.5, first_name="Darnell", last_name="Hernández")
    assert status(misread, "first_name") == CheckStatus.UNREADABLE and not misread.needs_review
    nickname = run(card, "b", confidence=0.5, first_name="Dan", last_name="Hernandez")
    assert status(nickname, "first_name") == CheckStatus.MISMATCH and nickname.needs_review
    sure = run(card, "b", first_name="Darnell", last_name="Hernandez")  # read with confidence: a difference
    assert status(sure, "first_name") == CheckStatus.MISMATCH


def test_a_groups_own_dashes_may_be_left_out_but_not_moved():
    assert status(run(SR, "b", group_number="2020451-1"), "group_number") == CheckStatus.MATCH
    assert status(run(SR, "b", group_number="20204511"), "group_number") == CheckStatus.MATCH
    moved = run(SR, "b", group_number="2020-45-11")
    assert status(moved, "group_number") == CheckStatus.PROBABLE_TYPO and moved.needs_review
    assert "punctuation out of place" in next(f.message for f in moved.flags if f.code == "group_number_typo")


def test_a_printed_names_words_keep_their_own_confidence_and_hyphens():
    words = [Word(text, Box(20 * i, 0, 18, 20), confidence)
             for i, (text, confidence) in enumerate([("Ana", 0.91), ("Smah-", 0.62), ("Jones", 0.95), ("02", 0.9)])]
    name = PrintedName.of_line(Line(tuple(words)))
    assert name.words == ("ana", "smah-jones") and name.confidences == (0.91, 0.62)


def test_a_labelled_names_words_keep_the_confidence_they_were_read_with():
    """The member name field as a whole was read surely, its surname alone at 0.5: one letter off there
    is the reading's doubt, not the client's typo."""
    words = [Word(text, Box(100 + 120 * i, 200, 110, 30), confidence)
             for i, (text, confidence) in enumerate([("SUSAN", 0.93), ("WASHINGTOT:", 0.5)])]
    field = Candidate("member_name", "SUSAN WASHINGTOT", "SUSAN WASHINGTOT:", 0.89, "front",
                      Box(100, 200, 230, 30), "Member Name", "beside")
    name = PrintedName.of_field(field, [Line(tuple(words))])
    assert name.words == ("susan", "washingtot") and name.confidences == (0.93, 0.5)
    assert PrintedName.of_field(field).confidences == (0.89, 0.89)  # no line read there: the field's


BLURRY = {"front": SideQuality(card_found=True, method="outline", rotation_applied=0, card_width_px=900,
                               sharpness=5, glare=0, brightness=220, issues=["blurry"])}
# For every flag in the policy table: a card and a form that raise it.
RAISES = {
    "member_id_mismatch": (UHC, dict(member_id="555000111")),
    "member_id_typo": (UHC, dict(member_id="912345687")),
    "member_id_unreadable": ("UnitedHealthcare\nGroup Number 98765", dict(member_id="912345678")),
    "group_number_mismatch": (UHC, dict(group_number="44410")),
    "group_number_typo": (UHC, dict(group_number="98756")),
    "group_number_unreadable": ("UnitedHealthcare\nMember ID 912345678", dict(group_number="98765")),
    "group_number_unlike": (OSCAR, dict(group_number="OSCARRX")),
    "group_number_not_printed": (OSCAR, dict(group_number="RX1954")),
    "group_placeholder": (UHC, dict(group_number="XXXXXX")),
    "group_placeholder_unneeded": (OXFORD, dict(group_number="XXXXXX")),
    "typed_distractor": (UHC, dict(member_id="911-87726-04")),
    "payer_mismatch": (UHC, dict(insurance_provider="Aetna")),
    "payer_parent_brand": (OXFORD, dict(insurance_provider="UnitedHealthcare")),
    "payer_unknown": (HUMANA, dict(insurance_provider="Molina")),
    "payer_unlisted": (HUMANA, dict(insurance_provider="Humana")),
    "payer_ambiguous": ("Aetna\nCigna\nID W123456789", dict(member_id="W123456789")),
    "name_mismatch": (UHC, dict(first_name="Joan", last_name="Doe-Smith")),
    "name_typo": (UHC, dict(first_name="Jane", last_name="Doe-Smyth")),
    "date_of_birth_mismatch": (UHC + "\nDOB 01/02/1985", dict(date_of_birth="1985-02-01")),
    "school_name_missing": (SR, dict(member_id="987654321")),
    "school_name_from_card": (SR_WITH_SCHOOL, dict(member_id="987654321")),
    "school_name_mismatch": (SR_WITH_SCHOOL, dict(school_name="Lakemont College")),
    "back_photo_missing": (CIGNA, dict(member_id="122222222")),
    "photo_retake": ("UnitedHealthcare\nGroup Number 98765", dict()),
    "photo_quality": (UHC, dict(member_id="912345678")),
}


def test_every_flag_in_the_policy_table_is_raised_by_some_form():
    assert set(RAISES) == set(POLICY)


@pytest.mark.parametrize("code", sorted(RAISES))
def test_flag_is_raised_with_its_severity(code):
    card, typed = RAISES[code]
    verdict = run(card, None if code == "back_photo_missing" else "back", quality=BLURRY, **typed)
    raised = [f for f in verdict.flags if f.code == code]
    assert raised and raised[0].severity == POLICY[code].severity, verdict.flags
    assert verdict.needs_review == any(f.severity != Severity.INFO for f in verdict.flags)


def test_a_dependents_short_first_name_is_found_in_the_list_and_caught():
    card = ("UnitedHealthcare\nMember ID 912345678\nGroup Number 98765\nRAJ BIANCHI\nDependents\n"
            "EMILY BIANCHI 02\nCHLOE BIANCHI 03")
    holder = {"first_name": "Raj", "last_name": "Bianchi"}
    short = run(card, "b", first_name="Em", last_name="Bianchi", is_policy_holder=False, policy_holder=holder)
    assert status(short, "first_name") == CheckStatus.MISMATCH and short.needs_review
    listed = run(card, "b", first_name="Emily", last_name="Bianchi", is_policy_holder=False, policy_holder=holder)
    assert status(listed, "first_name") == CheckStatus.MATCH and not listed.needs_review
    # a short form that does not begin the name (Kate for KATHERINE): the longer name with its first
    # letter that begins most like it, not another relative's (CHLOE)
    card = card.replace("EMILY", "KATHERINE").replace("CHLOE", "KWAME")
    kate = run(card, "b", first_name="Kate", last_name="Bianchi", is_policy_holder=False, policy_holder=holder)
    assert {c.field: (c.status, c.read) for c in kate.checks if c.field == "first_name"} == {
        "first_name": (CheckStatus.MISMATCH, "katherine")} and kate.needs_review
    # the policy holder, whose own line was not read, is never taken for a listed relative with their initial
    holder_unread = run(card.replace("RAJ BIANCHI\n", ""), "b", first_name="Kurt", last_name="Bianchi")
    assert status(holder_unread, "first_name") == CheckStatus.NOT_ON_CARD and not holder_unread.needs_review
    # the card member's line run on into the next column's date is still theirs: a date is no person suffix
    card = ("Anthem Blue Cross and Blue Shield\nGroup # T99903\nABERNATHY-COLE, EMILY Effective Date 06/01/2024\n"
            "MEMBER ID HNF174838503 01\nCovered Members:\nYUKI ABERNATHY-COLE 02\nANDRES ABERNATHY-COLE 03")
    nickname = run(card, "b", first_name="Andres", last_name="Abernathy-Cole", is_policy_holder=False,
                   policy_holder={"first_name": "Em", "last_name": "Abernathy-Cole"})
    assert status(nickname, "policy_holder.first_name") == CheckStatus.MISMATCH and nickname.needs_review


def test_a_dependents_nickname_with_no_letter_in_common_is_caught():
    """Peggy for MARGARET, Bill for WILLIAM: the listed relative the nickname stands for is the one compared."""
    card = ("Blue Shield of California\nSUBSCRIBER DANIEL MULLER\nID XEH320499606\nGROUP W63398\n"
            "Dependents\nMARGARET MULLER 02\nWILLIAM MULLER 03")
    holder = {"first_name": "Daniel", "last_name": "Müller"}
    for nickname, formal in (("Peggy", "margaret"), ("Bill", "william")):
        verdict = run(card, "b", first_name=nickname, last_name="Müller", is_policy_holder=False, policy_holder=holder)
        check = next(c for c in verdict.checks if c.field == "first_name")
        assert (check.status, check.read) == (CheckStatus.MISMATCH, formal) and verdict.needs_review
        assert "nickname" in next(f.message for f in verdict.flags if f.code == "name_mismatch")
    # a name that is nobody's nickname here is a relative the card does not list
    unlisted = run(card, "b", first_name="Sofia", last_name="Müller", is_policy_holder=False, policy_holder=holder)
    assert status(unlisted, "first_name") == CheckStatus.NOT_ON_CARD and not unlisted.needs_review


def test_a_name_label_read_without_its_colon_is_no_first_name():
    """RAJ read as noise after "Name" (its colon lost), on a line that began with the member ID: the label
    is not compared as the first name."""
    card = "Cigna Healthcare\nGRP 53688924\n1D 500775300 Name 8A} ABERNATHY-COLE"
    verdict = run(card, "b", first_name="Raj", last_name="Abernathy-Cole")
    assert status(verdict, "first_name") == CheckStatus.UNREADABLE and not verdict.needs_review
    assert status(verdict, "last_name") == CheckStatus.MATCH
    # a mistake after the label is still one
    assert status(run(card.replace("8A}", "RAJ"), "b", first_name="Ravi", last_name="Abernathy-Cole"),
                  "first_name") == CheckStatus.MISMATCH


def test_a_middle_initial_run_on_to_a_first_name_is_no_typo():
    card = "TRICARE\nSUBSCRIBER NAME Washington, LeticiaL\nMember ID 4290981494"
    verdict = run(card, "b", first_name="Leticia", last_name="Washington")
    assert status(verdict, "first_name") == CheckStatus.MATCH and not verdict.needs_review
    # printed in capitals the initial cannot be told from the name: a typo then is still one
    assert status(run(card.replace("LeticiaL", "LETICIAL"), "b", first_name="Leticia", last_name="Washington"),
                  "first_name") == CheckStatus.PROBABLE_TYPO


def test_a_typed_value_printed_plainly_under_a_lost_label_is_confirmed():
    lost_label = "UnitedHealthcare\nMember ID 912345678\nGrea 324136"  # "Group" read as "Grea"
    verdict = run(lost_label, "b", member_id="912345678", group_number="324136")
    check = next(c for c in verdict.checks if c.field == "group_number")
    assert check.status == CheckStatus.MATCH and not verdict.needs_review
    # the reading beside the lost label already is the value: it stays the group number shown
    group = shown(lost_label, "b", member_id="912345678", group_number="324136").fields["group_number"]
    assert (group.value, group.label) == ("324136", "Grea")
    # read unsurely, or not the typed value: still a question for staff
    assert "group_number_unreadable" in codes(run(lost_label, "b", confidence=0.6, group_number="324136"))
    assert "group_number_unreadable" in codes(run(lost_label, "b", group_number="324163"))


def test_a_value_on_another_numbers_line_is_never_confirmed_as_typed():
    from card_reader.verify import _printed_plainly

    uhc = TEMPLATES.get("uhc")
    lines = page_from_text("UnitedHealthcare\nRx Group 776655\nGrea 324136\nReser: 814799\n512345").lines
    assert not _printed_plainly("776655", "group_number", uhc, lines)  # on an Rx group's line
    assert not _printed_plainly("814799", "group_number", uhc, lines)  # after an Rx group's misread label
    assert not _printed_plainly("512345", "group_number", uhc, lines)  # after no label at all
    assert _printed_plainly("324136", "group_number", uhc, lines)


def test_a_long_typed_member_id_printed_plainly_with_its_label_lost_whole_is_confirmed():
    """"1p# 106618135" for "ID# 106618135": nothing of the label is left to go by, but nine characters
    typed and printed alike, read surely, are the member ID. Never a value another field was read as
    (the group number typed as the member ID), one after another number's label, a short one, or one
    read unsurely."""
    card = "aetna\nDmitri Brennan\n1p# 106618135\nGroup 430139-444-73855"
    verdict = run(card, "b", member_id="106618135")
    assert status(verdict, "member_id") == CheckStatus.MATCH and not verdict.needs_review
    # no member ID was read: the words printing the typed one are shown, on their side, at a lost label's trust
    assert "member_id" not in read(card, "b")[2].fields
    member = shown(card, "b", member_id="106618135").fields["member_id"]
    assert (member.value, member.side, member.label, member.confidence) == ("106618135", "front", None, 0.38)
    assert "member_id" not in shown(card, "b", member_id="106618153").fields
    assert "member_id_unreadable" in codes(run(card, "b", confidence=0.6, member_id="106618135"))
    assert "member_id_unreadable" in codes(run(card, "b", member_id="106618153"))
    from card_reader.verify import _printed_plainly

    aetna = TEMPLATES.get("aetna")
    lines = page_from_text("aetna\nGroup 43013944473\n1p# 1066181\nRx ID 106618135\nPayer ID 60054321").lines
    assert not _printed_plainly("43013944473", "member_id", aetna, lines, unlabelled=True)  # the group's label
    assert not _printed_plainly("1066181", "member_id", aetna, lines, unlabelled=True)  # seven characters
    assert not _printed_plainly("106618135", "member_id", aetna, lines, unlabelled=True)  # an Rx ID's line
    assert not _printed_plainly("60054321", "member_id", aetna, lines, unlabelled=True)  # the payer ID's
    group_typed = run("aetna\nDmitri Brennan\n1p# 106618135\nGroup 43013944473", "b", member_id="43013944473")
    assert status(group_typed, "member_id") != CheckStatus.MATCH


def test_a_name_read_unsurely_but_nothing_like_the_typed_one_is_still_a_mismatch():
    card = "Cigna Healthcare\nID 122222222\nName ANNA SMITH-JONES"
    other = run(card, "b", confidence=0.4, first_name="Anna", last_name="Bianchi")
    assert status(other, "last_name") == CheckStatus.MISMATCH and other.needs_review
    misread = run(card.replace("SMITH-JONES", "BLANCHL"), "b", confidence=0.4, first_name="Anna", last_name="Bianchi")
    assert status(misread, "last_name") == CheckStatus.UNREADABLE and not misread.needs_review
    # ... but a word read as surely as noise is (SWAMI at 0.20 for a typed Thompson on a shaken photo)
    noise = run(card.replace("SMITH-JONES", "SWAMI"), "b", confidence=0.2, first_name="Anna", last_name="Thompson")
    assert status(noise, "last_name") == CheckStatus.UNREADABLE and "name_mismatch" not in codes(noise)


def test_a_doubted_name_read_again_as_typed_by_most_readings_matches():
    """NIAH: the page reading ran the middle initial into the first name. Read again, most renderings
    read NIA H; one still reads NIAH, and the first reading votes too. A client's real typo (typed Nia for
    a card that reads NIAH whichever way it is read) stays one."""
    card = "Cigna Healthcare\nID 122222222\nName NIAH NAKAMURA"
    first = run(card, "b", first_name="Nia", last_name="Nakamura")
    assert status(first, "first_name") == CheckStatus.PROBABLE_TYPO and doubted_names(first.checks) == ["niah"]

    def line(text, confidence):
        return page_from_text(f"Name {text}", confidence=confidence).lines[0]

    split = [line("NIA H NAKAMURA", 0.85)] * 3 + [line("NIAH NAKAMURA", 0.87), line("N1 #", 0.2)]
    again = run(card, "b", read_again={"niah": split}, first_name="Nia", last_name="Nakamura")
    assert status(again, "first_name") == CheckStatus.MATCH and not again.needs_review
    glued = [line("NIAH NAKAMURA", 0.9)] * 3 + [line("NIA H NAKAMURA", 0.4)]
    typo = run(card, "b", read_again={"niah": glued}, first_name="Nia", last_name="Nakamura")
    assert status(typo, "first_name") == CheckStatus.PROBABLE_TYPO and typo.needs_review


def test_a_group_neither_read_nor_labelled_on_the_front_of_a_card_without_its_back_is_not_on_card():
    """Only the front was photographed and it shows no group number, nor its label: the number is on the
    back, not unreadable. With the back photographed, or the label read on the front, it is unreadable."""
    front = "UnitedHealthcare StudentResources\nSR ID# 987654321\nUniversity of Northwood"
    missing = run(front, group_number="2020-451-1", school_name="University of Northwood")
    assert status(missing, "group_number") == CheckStatus.NOT_ON_CARD and not missing.needs_review
    assert status(run(front, "back", group_number="2020-451-1"), "group_number") == CheckStatus.UNREADABLE
    labelled = run(front + "\nPolicy # unreadable", group_number="2020-451-1")
    assert status(labelled, "group_number") == CheckStatus.UNREADABLE and labelled.needs_review


def test_the_cards_other_readings_count_for_names():
    """A line only a superseded reading holds: the name printed there as typed matches; a dependent whose
    line only it holds is compared with it (a last name typed wrong is caught, not passed as not on the card)."""
    final = page_from_text("UnitedHealthcare\nMember ID 912345678\nGroup Number 98765\nMember: CHLOE RAMIREZ")
    earlier = page_from_text("Member: CHLOE RAMIREZ\nDependents\nDARNELL RAMIREZ 02")
    payer = TEMPLATES.match([final])
    extraction = extract_fields(payer.template, [SidePage("front", final)])

    def check(**typed):
        verdict = verify(ClientSubmission(**typed), payer, extraction, TEMPLATES, has_back=True, quality={},
                         card_lines=list(final.lines), earlier_lines=list(earlier.lines))
        return {c.field: c.status for c in verdict.checks}

    holder = {"first_name": "Chloe", "last_name": "Ramirez"}
    assert check(first_name="Darnell", last_name="Ramirez", is_policy_holder=False, policy_holder=holder) == {
        "first_name": CheckStatus.MATCH, "last_name": CheckStatus.MATCH, "policy_holder.first_name": CheckStatus.MATCH,
        "policy_holder.last_name": CheckStatus.MATCH}
    wrong = check(first_name="Darnell", last_name="Abernathy", is_policy_holder=False, policy_holder=holder)
    assert wrong["last_name"] == CheckStatus.MISMATCH


def test_a_name_part_read_unsurely_is_compared_where_another_reading_of_the_person_reads_it():
    """The kept reading of a shaken card has the dependent's line as "HANNAH GEENA 03", all but unread;
    the reading of it deblurred has "HANNAH BRENNAN 03": the typed first name places the same person on
    both, so a last name typed wrong is caught there (not passed as unreadable) and a right one matches.
    A line of someone else (another first name, a relative's line) is no reading of this person; and where
    the unsure reading is the typed name misread ("BRENAN"), another reading may confirm it, never
    contradict it ("BRETON": one of them misread it, and nothing says which)."""
    card = page_from_text("Oscar\nMember: CHLOE BRENNAN\nMember ID OSC45362207\nDependents")
    payer = TEMPLATES.match([card])
    extraction = extract_fields(payer.template, [SidePage("front", card)])

    def check(kept, earlier, last_name):
        final = [*card.lines, page_from_text(kept, confidence=0.06).lines[0]]
        verdict = verify(ClientSubmission(first_name="Hannah", last_name=last_name, is_policy_holder=False,
                                          policy_holder={"first_name": "Chloe", "last_name": "Brennan"}),
                         payer, extraction, TEMPLATES, has_back=True, quality={}, card_lines=final,
                         earlier_lines=list(page_from_text(earlier, confidence=0.63).lines))
        return status(verdict, "last_name"), verdict.needs_review

    assert check("HANNAH GEENA 03", "Dependents\nHANNAH BRENNAN 03", "D'Angelo") == (CheckStatus.MISMATCH, True)
    assert check("HANNAH GEENA 03", "Dependents\nHANNAH BRENNAN 03", "Brennan") == (CheckStatus.MATCH, False)
    assert check("HANNAH GEENA 03", "Dependents\nIVY BRENNAN 02", "D'Angelo") == (CheckStatus.UNREADABLE, False)
    assert check("HANNAH BRENAN 03", "Dependents\nHANNAH BRETON 03", "Brennan") == (CheckStatus.UNREADABLE, False)


def test_a_name_field_read_from_noise_gives_way_to_a_line_that_reads_like_the_typed_name():
    """The member name field holds nothing like the typed name ("GARVICAS TUFT AWAY", the label's
    neighbour read from a shadow's noise) while a line of the card reads it with a letter off each way,
    unsurely: that line is the name compared, unreadable rather than another person's."""
    card = "Oscar\nMember: GARVICAS TUFT AWAY\nIMILY FITZGORALD\nMember ID OSC45362207"
    verdict = run(card, "back", confidence=0.6, first_name="Emily", last_name="Fitzgerald")
    assert {c.field: (c.status, c.read) for c in verdict.checks if c.field.endswith("name")} == {
        "first_name": (CheckStatus.UNREADABLE, "imily"), "last_name": (CheckStatus.UNREADABLE, "fitzgorald")}
    assert "name_mismatch" not in codes(verdict)
    # a form naming someone else is still compared with the field: another person's name is no misreading
    other = run(card, "back", confidence=0.6, first_name="Maria", last_name="Lopez")
    assert "name_mismatch" in codes(other)
