"""Property tests on the normalisers and comparators."""

import random
import re
import sys
from datetime import date
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from card_reader.extract import SidePage, extract_fields
from card_reader.models import CheckStatus, ClientSubmission
from card_reader.ocr import page_from_text
from card_reader.templates import load_templates
from card_reader.text import (LOOK_ALIKES, canonical_look_alikes, is_amount, is_date_or_phone, mask, normalise_identifier,
                              name_read_as, normalise_name, repairs, squash)
from card_reader.verify import verify

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "samples"))
from cardgen.typed import typo  # noqa: E402  (the sample generator, beside the package, not in it)

TEMPLATES = load_templates()
ids = st.text(alphabet="ABCDEFGHJKMNPRUVWXY0123456789", min_size=6, max_size=14)
printable = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


@given(printable)
def test_normalisers_are_idempotent(text):
    assert squash(squash(text)) == squash(text)
    assert normalise_identifier(normalise_identifier(text, "-"), "-") == normalise_identifier(text, "-")
    assert canonical_look_alikes(canonical_look_alikes(text)) == canonical_look_alikes(text)
    assert normalise_name(normalise_name(text)) == normalise_name(text)


@given(printable)
def test_a_kept_character_is_never_doubled(text):
    assert "--" not in normalise_identifier(text, "-")


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)), st.integers(0, 9999999999))
def test_dates_and_phones_are_told_from_identifiers(day, number):
    assert is_date_or_phone(f"{day.month:02d}/{day.day:02d}/{day.year}")
    assert is_date_or_phone(f"{day.month}-{day.day}-{day.year},")
    assert is_date_or_phone(f"{day.month:02d}{day.day:02d}/{day.year}")  # the first slash lost to blur
    digits = f"{number:010d}"
    assert is_date_or_phone(f"({digits[:3]}) {digits[3:6]}-{digits[6:]}")
    assert is_date_or_phone(f"1-{digits[:3]}-{digits[3:6]}-{digits[6:]}")
    assert is_date_or_phone(f"{digits[:3]}.{digits[3:6]}. {digits[6:]}")  # a space OCR read after a dot
    assert not is_date_or_phone(digits)  # an identifier printed plain
    assert not is_date_or_phone(f"{day.year}-{day.month}-{day.day}")  # the year first: a policy number's shape


@given(st.text(alphabet=st.characters(min_codepoint=65, max_codepoint=122).filter(str.isalpha), max_size=30))
def test_case_is_never_a_difference(text):
    assert normalise_name(text.upper()) == normalise_name(text.lower())
    assert normalise_identifier(text.lower()) == normalise_identifier(text.upper())


@given(ids, st.sampled_from([r"\d{9}", r"[A-Z]\d{8,11}", r"OSC\d{8}", r"[A-Z]{3}[A-Z0-9]{6,14}"]))
def test_repairs_only_change_look_alikes_and_always_fit_the_shape(value, pattern):
    regex = re.compile(pattern)
    for repaired, changes in repairs(value, regex):
        assert regex.fullmatch(repaired)
        assert len(repaired) == len(value)
        diffs = [(a, b) for a, b in zip(value, repaired) if a != b]
        assert len(diffs) == changes
        assert all(b in LOOK_ALIKES[a] for a, b in diffs)
        if regex.fullmatch(value):
            assert (repaired, changes) == (value, 0)


@given(st.text(alphabet="0123456789", min_size=9, max_size=9), st.sets(st.integers(0, 8), max_size=3))
def test_up_to_three_look_alike_digits_repaired_back(digits, positions):
    letter = {"0": "O", "1": "I", "5": "S", "8": "B", "2": "Z"}
    swapped = "".join(letter.get(ch, ch) if i in positions else ch for i, ch in enumerate(digits))
    assert next(repairs(swapped, re.compile(r"\d{9}")))[0] == digits


@given(printable)
def test_mask_never_shows_the_value(value):
    if len(value) >= 2 and value.strip():
        assert value not in mask(value) or value in "<empty> chars"


def _verify_member_id(card_id: str, typed: str):
    page = page_from_text(f"UnitedHealthcare\nMember ID {card_id}")
    payer = TEMPLATES.match([page])
    extraction = extract_fields(payer.template, [SidePage("front", page)])
    verdict = verify(ClientSubmission(member_id=typed), payer, extraction, TEMPLATES, has_back=True,
                     quality={}, card_lines=page.lines)
    return verdict.checks[0].status


@settings(max_examples=60)
@given(st.text(alphabet="0123456789", min_size=9, max_size=9), st.sampled_from(["{}", " {} ", "{}".lower()]))
def test_same_id_typed_with_spacing_always_matches(card_id, shape):
    typed = shape.format(card_id[:4] + " " + card_id[4:])
    assert _verify_member_id(card_id, typed) == CheckStatus.MATCH


@settings(max_examples=60)
@given(st.text(alphabet="0123456789", min_size=9, max_size=9), st.integers(0, 7))
def test_adjacent_transposition_is_a_probable_typo(card_id, i):
    typed = card_id[:i] + card_id[i + 1] + card_id[i] + card_id[i + 2:]
    expected = CheckStatus.MATCH if typed == card_id else CheckStatus.PROBABLE_TYPO
    assert _verify_member_id(card_id, typed) == expected


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=12), st.data())
def test_a_name_with_a_letter_added_or_dropped_is_never_what_ocr_made_of_it(name, data):
    """OCR tolerance in names is substitutions only: ANN is not ANNE."""
    i = data.draw(st.integers(0, len(name)))
    letter = data.draw(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    assert not name_read_as(name, name[:i] + letter + name[i:])
    assert not name_read_as(name, name[:i] + name[i + 1:])
    assert not name_read_as(name, name.lower())  # no difference at all is a match, not a misreading


@given(st.integers(0, 99999), st.booleans())
def test_dollar_amounts_are_told_from_identifiers(dollars, cents):
    amount = f"${dollars:,}" + (".00" if cents else "")
    assert is_amount(amount) and is_amount(f"${dollars}")
    assert not is_amount(f"S{dollars:06d}") and not is_amount(f"${dollars:06d}7")


@given(st.text(alphabet="ABCDEFGHJKMNPRUVWXY0123456789-", min_size=4, max_size=14), st.integers())
def test_a_generated_typo_is_a_difference_once_normalised(value, seed):
    """The eval counts a generated typo as a mistake to catch: a dash dropped or moved is none."""
    assert normalise_identifier(typo(random.Random(seed), value)) != normalise_identifier(value)
