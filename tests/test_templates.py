"""Templates are validated with zero tolerance: every file loads, every pattern compiles."""

import re
from pathlib import Path

import pytest

from card_reader.errors import TemplateError
from card_reader.ocr import page_from_text
from card_reader.templates import DEFAULT_TEMPLATE_DIR, load_templates

PAYERS = {"aetna", "cigna", "anthem", "uhc", "umr", "oscar", "uhc_student_resources", "oxford"}


def test_every_template_loads_and_every_pattern_compiles():
    templates = load_templates()
    assert PAYERS <= set(templates.templates)
    assert templates.generic.id == "generic"
    for template in templates.templates.values():
        assert "member_id" in template.fields and "group_number" in template.fields, template.id
        for name, spec in template.fields.items():
            for pattern in (spec.pattern, spec.shape, spec.person_suffix):
                if pattern:
                    re.compile(pattern)
            assert spec.type is not None, (template.id, name)


def test_template_version_changes_with_content(tmp_path):
    for path in DEFAULT_TEMPLATE_DIR.glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text())
    before = load_templates(tmp_path).version
    oscar = tmp_path / "oscar.yaml"
    oscar.write_text(oscar.read_text() + "\n# changed\n")
    assert load_templates(tmp_path).version != before


def _copy_with(tmp_path: Path, name: str, text: str) -> Path:
    for path in DEFAULT_TEMPLATE_DIR.glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text())
    (tmp_path / name).write_text(text)
    return tmp_path


@pytest.mark.parametrize("body, problem", [
    ("id: broken\nname: B\nextends: _common\nkeywords: [b]\nfields:\n  member_id:\n    type: identifier\n"
     "    labels: [ID]\n    pattern: '[A-Z'\n", "does not compile"),
    ("id: broken\nname: B\nextends: _common\nkeywords: [b]\nfields:\n  member_id:\n    type: identifier\n"
     "    labels: [ID]\n", "needs a pattern"),
    ("id: broken\nname: B\nextends: _common\nkeywords: [b]\nfields:\n  member_id:\n    type: guess\n"
     "    labels: [ID]\n", "type"),
    ("id: broken\nname: B\nkeywords: [b]\nunknown_key: 1\n", "unknown_key"),
    ("id: broken\nname: B\nextends: _nothing\nkeywords: [b]\n", "extends unknown"),
    ("id: [unclosed\n", "not valid YAML"),
    ("id: aetna\nname: Second Aetna\nkeywords: [x]\n", "also used by"),
    ("id: broken\nname: B\nextends: _common\nkeywords: [b]\nfields:\n  member_id:\n    type: identifier\n"
     "    labels: [ID]\n    pattern: 'B\\d{8}'\n    names_payer: true\n", "only a sub-brand's field"),
])
def test_a_broken_template_fails_loudly_naming_file_and_problem(tmp_path, body, problem):
    directory = _copy_with(tmp_path, "zz_broken.yaml", body)
    with pytest.raises(TemplateError) as raised:
        load_templates(directory)
    assert "zz_broken.yaml" in str(raised.value)
    assert problem in str(raised.value)
    assert raised.value.code == "template_invalid"


def test_a_new_payer_is_a_new_file(tmp_path):
    body = ("id: acme\nname: Acme Health\nextends: _common\nkeywords: [Acme Health]\naliases: [Acme]\n"
            "fields:\n  member_id:\n    type: identifier\n    labels: [Acme ID]\n    pattern: 'AC\\d{7}'\n"
            "  group_number:\n    type: identifier\n    labels: [Group]\n    pattern: '\\d{6}'\n")
    templates = load_templates(_copy_with(tmp_path, "acme.yaml", body))
    match = templates.match([page_from_text("Acme Health\nAcme ID AC1234567   Group 123456")])
    assert match.payer_id == "acme"


@pytest.mark.parametrize("text, payer", [
    ("aetna\nOpen Access Aetna Select", "aetna"),
    ("Cigna Healthcare\nOpen Access Plus", "cigna"),
    ("Empire BlueCross BlueShield", "anthem"),
    ("Anthem Blue Cross and Blue Shield", "anthem"),
    ("UnitedHealthcare\nChoice Plus", "uhc"),
    ("UMR\nA UnitedHealthcare Company", "umr"),
    ("Oxford Health Plans\nUnitedHealthcare", "oxford"),
    ("UnitedHealthcare StudentResources\nUniversity of Northwood", "uhc_student_resources"),
    ("oscar\nSilver Classic", "oscar"),
    ("Humana\nGold Plus HMO", "unknown"),
    ("Blue Shield of California\nPPO", "unknown"),
    ("Core Essential\nHealth Plan (80840) 911-87726-04", "uhc"),  # UnitedHealthcare's payer ID, logo unread
    ("Humana\nCall 1-800-877-2600", "unknown"),  # the same digits inside a phone number are no payer ID
    # each payer's own electronic payer ID names it where its logo was not read, a sub-brand's its sub-brand
    ("eA\nChoice Plus Network\nEDI PAYEE 39026", "umr"),
    ("UnitedHealthcare\nPayer ID 74227", "uhc_student_resources"),
    ("UnitedHealthcare\nPayer ID 06111", "oxford"),
    # a ZIP code after a state's abbreviation is an address, whatever payer's ID its digits spell
    ("UnitedHealthcare\nSend claims to: UnitedHealthcare Claims, P.O. Box 937203, Hartford, CT 06111", "uhc"),
    ("UnitedHealthcare\nP.O. Box 937203\nNewington CT 06111-0203", "uhc"),
    ("Open Access Plus\nPayer ID 62308", "cigna"),
    ("Open Access\nPayer ID 60054", "aetna"),
    ("UR\nA UnitedHealthcare Company\nSelect Plus PPO", "unknown"),  # a sub-brand's card, its logo unread
    ("UnitedHealthcare Community Plan\nMedicaid", "uhc"),  # UnitedHealthcare's own product, no sub-brand mark
    ("HealthKeepers POS\nIDENTIFICATION NUMBER", "anthem"),  # Anthem's Virginia brand, its logo unread
    ("UnitedHealthcare\nSR ID# 987654321", "uhc_student_resources"),  # its label, the StudentResources logo lost
    ("UnitedHealthcare\nSR 10 Bus Route", "uhc"),  # the words must spell the label whole
    # Student Resources' brand line lost, its policy number's shape (which only it prints) names it
    ("UnitedHealthcare\nSudertResozces\n131676374   2019-920-4 (314)   Cedar Valley College",
     "uhc_student_resources"),
    ("UnitedHealthcare\nChoice Plus\nGroup 2019-92-04", "uhc"),  # no policy number's shape
])
def test_payer_recognised_sub_brand_beats_parent(text, payer):
    assert load_templates().match([page_from_text(text)]).payer_id == payer


def test_a_brand_split_into_two_engine_lines_is_still_recognised():
    """The layout analysis put "Student" and "Resources" on lines of their own; by geometry they are one row."""
    from card_reader.ocr import Block, Box, Line, Page, Word

    def line(*words: tuple[str, int, int]) -> Block:
        return Block((Line(tuple(Word(text, Box(x, y, 20 * len(text), 25), 0.95) for text, x, y in words)),))

    page = Page(1280, 807, (line(("UnitedHealthcare", 50, 38)), line(("Student", 51, 105)),
                            line(("|", 0, 119), ("Resources", 210, 105))))
    assert load_templates().match([page]).payer_id == "uhc_student_resources"


def test_a_payer_name_read_inexactly_counts_only_where_the_engine_was_sure_of_it():
    """Noise on a dark, grainy back ("Ae TAS", read at 0.1-0.3) lies as near "aetna" as a name read one
    letter off: only the confident reading names the payer."""
    from card_reader.ocr import Block, Box, Line, Page, Word

    def page(confidence: float) -> Page:
        words = (Word("Ae", Box(50, 40, 40, 25), confidence), Word("TAS", Box(100, 40, 60, 25), confidence))
        return Page(1280, 807, (Block((Line(words),)),))

    assert load_templates().match([page(0.2)]).payer_id == "unknown"
    assert load_templates().match([page(0.9)]).payer_id == "aetna"
    long_name = Page(1280, 807, (Block((Line((Word("StidentResources", Box(50, 40, 300, 25), 0.17),)),)),))
    assert load_templates().match([long_name]).payer_id == "uhc_student_resources"


def test_a_payer_name_spelt_across_two_words_is_no_name():
    """"ios cart" (a Tricare card's blurred small print) and "a los card" ("Report a lost card", the t
    dropped) hold "oscar" letter for letter across two words, each with letters of its own outside the
    name: read unsurely or surely, no payer's name. Split at its own letters ("Os car"), or inside one word
    (the address hioscar.com), it names Oscar."""
    from card_reader.ocr import Block, Box, Line, Page, Word

    def page(*words: tuple[str, float]) -> Page:
        placed = tuple(Word(text, Box(50 + 120 * i, 40, 100, 25), confidence) for i, (text, confidence) in enumerate(words))
        return Page(1280, 807, (Block((Line(placed),)),))

    assert load_templates().match([page(("a", 0.9), ("ios", 0.02), ("cart", 0.28), ("to", 0.44))]).payer_id == "unknown"
    assert load_templates().match([page(("Report", 0.9), ("a", 0.9), ("los", 0.9), ("card", 0.9))]).payer_id == "unknown"
    assert load_templates().match([page(("Os", 0.9), ("car", 0.9), ("Gold", 0.9))]).payer_id == "oscar"
    assert load_templates().match([page(("www.hioscar.com", 0.3))]).payer_id == "oscar"


def test_two_unrelated_payers_matching_is_flagged_not_first_match():
    match = load_templates().match([page_from_text("aetna\nCigna")])
    assert match.also_matched
    assert match.confidence < 0.7


@pytest.mark.parametrize("typed, payer", [
    ("United Healthcare", "uhc"), ("UHC", "uhc"), ("Empire BlueCross", "anthem"), ("anthem bcbs", "anthem"),
    ("CIGNA", "cigna"), ("Oscar Health", "oscar"), ("UHC Student Resources", "uhc_student_resources"),
    ("Oxford", "oxford"), ("Aetna Inc", "aetna"),
])
def test_aliases_resolve(typed, payer):
    template, _ = load_templates().resolve_alias(typed)
    assert template is not None and template.id == payer


def test_an_unrelated_name_resolves_to_no_template():
    template, _ = load_templates().resolve_alias("Humana")
    assert template is None
