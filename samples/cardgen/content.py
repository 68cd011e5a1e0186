"""What is printed on a card and what the portal wants for it.

Each payer's builder invents a member, the IDs in that payer's real-world shapes, the label wording
(varied per card, as real cards vary), and the distractors (pharmacy lines, issuer numbers, payer IDs,
phones, copays) that a reader must not mistake for the member ID or group number.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Callable, Optional

TEMPLATE_PAYERS = ["aetna", "cigna", "anthem", "uhc", "umr", "oscar", "uhc_student_resources", "oxford"]
UNKNOWN = "unknown"

FEMALE_FIRST = ["Jane", "Maria", "Aisha", "Zoë", "Renée", "Emily", "Olivia", "Sofia", "Mei", "Priya",
                "Fatima", "Hannah", "Grace", "Chloé", "Elizabeth", "Katherine", "Margaret", "Jennifer",
                "Patricia", "Susan", "Ana", "Yuki", "Siobhan", "Leticia", "Nia", "Rebecca", "Ingrid"]
MALE_FIRST = ["Robert", "William", "Michael", "James", "José", "Andrés", "David", "Daniel", "Thomas",
              "Joseph", "Richard", "Christopher", "Alexander", "Kwame", "Hiroshi", "Liam", "Noah",
              "Mateo", "Omar", "Darnell", "Raj", "Sean", "Luca", "François", "Dmitri", "Edward"]
LAST_NAMES = ["Smith-Jones", "O'Brien", "García-López", "Nguyen", "Patel", "Kowalski", "Johnson",
              "Williams", "Okafor", "Müller", "D'Angelo", "Rodríguez", "Chen", "Kim", "Haddad", "MacLeod",
              "Thompson", "Álvarez", "Ivanova", "Schmidt", "Brennan", "Yamamoto", "Abernathy-Cole",
              "Okonkwo", "Lindqvist", "Martinez", "Hernández", "Washington", "Foster", "Bianchi",
              "Nakamura", "Kaur", "De la Cruz", "Novak", "Fitzgerald", "Ramírez-Soto", "Becker", "Adeyemi"]
NICKNAMES = {"Robert": "Bob", "William": "Bill", "Michael": "Mike", "James": "Jim", "Thomas": "Tom",
             "Joseph": "Joe", "Richard": "Rick", "Christopher": "Chris", "Alexander": "Alex",
             "Daniel": "Dan", "Edward": "Ed", "Elizabeth": "Liz", "Katherine": "Kate",
             "Margaret": "Peggy", "Jennifer": "Jen", "Patricia": "Pat", "Susan": "Sue",
             "Rebecca": "Becky", "Olivia": "Liv", "Emily": "Em"}
SCHOOLS = ["University of Northwood", "Westbrook State University", "Lakemont College",
           "Riverside Institute of Technology", "St. Aldric University", "Cedar Valley College",
           "Hollins Bay University", "Eastmoor College of Art", "Pine Ridge University",
           "Marlow State College"]
CITIES = [("Springfield", "IL", "627"), ("Albany", "NY", "122"), ("Columbus", "OH", "432"),
          ("Austin", "TX", "787"), ("Hartford", "CT", "061"), ("Salem", "OR", "973"),
          ("Madison", "WI", "537"), ("Richmond", "VA", "232"), ("Trenton", "NJ", "086"),
          ("Yonkers", "NY", "107"), ("Denver", "CO", "802"), ("Tampa", "FL", "336")]
STREETS = ["Maple St", "Oak Ave", "Cedar Ln", "Hillcrest Dr", "Park Pl", "River Rd", "Elm Ct",
           "Sunset Blvd", "Willow Way", "Chestnut St", "Lakeview Ter", "Main St"]


@dataclass
class Person:
    first: str
    middle: str  # one letter or ""
    last: str
    dob: date
    sex: str


@dataclass
class PrintedField:
    """A labelled value printed on the card; ``key`` says what it is (member_id, rx_bin, ...)."""

    key: str
    label: Optional[str]
    value: str


@dataclass
class CardContent:
    payer: str
    payer_name: str  # as branded on the card
    logo: str  # big brand text
    logo_color: tuple
    accent_color: tuple
    taglines: list[str]
    plan_name: Optional[str]
    network: Optional[str]
    subscriber: Person
    dependents: list[tuple[Person, str]]  # (person, two-digit suffix)
    name_printed: str
    name_label: Optional[str]
    first_printed: str
    last_printed: str
    dob_printed: Optional[str]
    member_id: str
    member_id_printed: str
    id_label: str
    bcbs_split: Optional[tuple[str, str, str]]  # prefix, number, suffix when printed in columns
    group_number: Optional[str]
    group_printed: Optional[str]
    group_label: str
    portal_group: str
    school: Optional[str]
    front_extra: list[PrintedField] = field(default_factory=list)
    back_fields: list[PrintedField] = field(default_factory=list)
    copays: list[str] = field(default_factory=list)
    footer: list[str] = field(default_factory=list)
    back_paragraphs: list[str] = field(default_factory=list)
    claims_address: list[str] = field(default_factory=list)
    website: str = ""
    distractors: dict = field(default_factory=dict)
    emblem: Optional[str] = None  # "bcbs" draws a cross and shield
    address: str = ""  # the subscriber's home address, for the typed form
    rx_id: Optional[str] = None
    typed_aliases: list[str] = field(default_factory=list)


def digits(rng: random.Random, n: int, first_nonzero: bool = False) -> str:
    s = "".join(rng.choice(string.digits) for _ in range(n))
    if first_nonzero and s[0] == "0":
        s = str(rng.randint(1, 9)) + s[1:]
    return s


def letters(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(n))


def phone(rng: random.Random) -> str:
    area = rng.choice(["800", "844", "855", "866", "877", "888"])
    sep = rng.choice(["-", "-", ".", " "])
    prefix = "1-" if rng.random() < 0.7 else ""
    if sep == " " and rng.random() < 0.5:
        return f"({area}) {digits(rng, 3, True)}-{digits(rng, 4)}"
    return f"{prefix}{area}{sep}{digits(rng, 3, True)}{sep}{digits(rng, 4)}"


def invent_person(rng: random.Random, born_from: int = 1950, born_to: int = 2003,
                  last: Optional[str] = None, sex: Optional[str] = None) -> Person:
    sex = sex or rng.choice("FM")
    first = rng.choice(FEMALE_FIRST if sex == "F" else MALE_FIRST)
    middle = rng.choice(string.ascii_uppercase) if rng.random() < 0.5 else ""
    start = date(born_from, 1, 1)
    span = (date(born_to, 12, 31) - start).days
    return Person(first, middle, last or rng.choice(LAST_NAMES), start + timedelta(rng.randint(0, span)), sex)


def invent_address(rng: random.Random) -> str:
    city, state, zip3 = rng.choice(CITIES)
    apt = f" Apt {rng.randint(1, 40)}{rng.choice('ABCD')}" if rng.random() < 0.3 else ""
    return f"{rng.randint(10, 9899)} {rng.choice(STREETS)}{apt}, {city}, {state} {zip3}{digits(rng, 2)}"


def claims_address(rng: random.Random, org: str) -> list[str]:
    city, state, zip3 = rng.choice(CITIES)
    return [f"{org} Claims", f"P.O. Box {rng.randint(1000, 999999)}", f"{city}, {state} {zip3}{digits(rng, 2)}"]


def portal_group_for(payer: str, group: Optional[str]) -> str:
    """The portal's six-character group field: Aetna's first six digits, a 6-char group, or XXXXXX."""
    if not group:
        return "XXXXXX"
    if payer == "aetna":
        d = "".join(c for c in group if c.isdigit())
        return d[:6] if len(d) >= 6 else "XXXXXX"
    squashed = group.replace(" ", "")
    return squashed if len(squashed) == 6 else "XXXXXX"


RX_BINS = ["610279", "004336", "610014", "610502", "017010", "003858", "020099", "610011", "015581",
           "610097", "600428", "003585"]
RX_PCNS = ["9999", "ADV", "A4", "CN", "MA", "WK", "OHCP", "CTRXMEDD", "MEDDPRIME", "ASPROD1"]
COPAY_SETS = [("PCP", "Specialist", "ER", "Urgent Care"), ("Office Visit", "Spec", "ER", "UC"),
              ("PCP", "SPC", "ER", "UC"), ("Primary", "Specialist", "Emergency", "Rx Generic")]


def rx_group(rng: random.Random, payer: str) -> str:
    pools = {"uhc": ["UHEALTH", "ACUGRP"], "umr": ["UMRRX", "UHEALTH"], "oxford": ["UHEALTH", "OXFRX"],
             "aetna": ["RX" + digits(rng, 4), "AETRX"], "cigna": ["CIGNARX", "RX" + digits(rng, 4)],
             "anthem": ["WKHA", "ANTHRX" + digits(rng, 2)], "oscar": ["OSCARRX", "OSC" + digits(rng, 3)]}
    generic = ["RX" + digits(rng, 4), letters(rng, 4) + digits(rng, 2), digits(rng, 6), letters(rng, 5)]
    return rng.choice(pools.get(payer, []) + generic)


def pick_label(rng: random.Random, choices: list[str]) -> str:
    label = rng.choice(choices)
    r = rng.random()
    if r < 0.2:
        return label.upper()
    return label


@dataclass
class PayerRecipe:
    """How one payer's card looks: ID and group makers, label variants, brand and distractors."""

    payer: str
    names: list[str]  # branded names; first is the most common
    logo: Callable[[str], str]
    logo_color: tuple
    accent: tuple
    id_labels: list[str]
    group_labels: list[str]
    make_id: Callable[[random.Random], str]
    make_group: Callable[[random.Random], Optional[str]]
    plans: list[str]
    website: str
    payer_id: Optional[str]
    aliases: list[str]


def _aetna_id(rng):
    return "W" + digits(rng, 9) if rng.random() < 0.75 else "10" + digits(rng, 7)


def _aetna_group(rng):
    return f"{digits(rng, 6, True)}-{digits(rng, 3)}-{digits(rng, 5)}"


def _cigna_id(rng):
    return digits(rng, 9, True) if rng.random() < 0.55 else "U" + digits(rng, 8)


def _anthem_number(rng):
    r = rng.random()
    if r < 0.4:
        return digits(rng, 9, True)
    if r < 0.75:
        return letters(rng, 2) + digits(rng, 7)
    return letters(rng, 1) + digits(rng, 8)


def _anthem_group(rng):
    r = rng.random()
    if r < 0.25:
        return digits(rng, 6, True)
    if r < 0.4:
        return letters(rng, 1) + digits(rng, 5)
    n = rng.randint(7, 10)
    head = digits(rng, rng.randint(4, n - 2), True)
    tail = rng.choice(["MF", "M", "ER", "AB", "P", "MT"])
    rest = "".join(rng.choice("0123456789ABCDEFGH") for _ in range(max(0, n - len(head) - len(tail))))
    return (head + tail + rest)[:n]


RECIPES: dict[str, PayerRecipe] = {
    "aetna": PayerRecipe(
        "aetna", ["Aetna"], lambda n: "aetna", (125, 63, 152), (210, 190, 225),
        ["ID", "Member ID", "ID#", "ID:", "Member ID:", "ID No."], ["GRP#", "Group #", "Group", "GRP:", "Group:"],
        _aetna_id, _aetna_group,
        ["Open Access Aetna Select", "Aetna Choice POS II", "Aetna Open Access Managed Choice",
         "Aetna Open Access Elect Choice EPO", "Aetna HealthFund HDHP"],
        "www.aetna.com", "60054", ["Aetna", "aetna", "Aetna Inc", "AETNA", "Aetna Health"]),
    "cigna": PayerRecipe(
        "cigna", ["Cigna", "Cigna Healthcare"], lambda n: n, (0, 94, 184), (255, 160, 40),
        ["ID", "ID:", "ID #", "Member ID"], ["Group", "Group:", "GRP", "Group #"],
        _cigna_id, lambda rng: digits(rng, rng.choice([7, 8, 8])),
        ["Open Access Plus", "OAP In-Network", "Cigna LocalPlus", "Cigna PPO", "Connect HMO"],
        "www.mycigna.com", "62308", ["Cigna", "CIGNA", "Cigna Healthcare", "cigna"]),
    "anthem": PayerRecipe(
        "anthem", ["Anthem Blue Cross and Blue Shield", "Empire BlueCross BlueShield"], lambda n: n,
        (0, 85, 164), (150, 190, 230),
        ["Member ID", "Identification Number", "ID Number", "Identification #", "ID"],
        ["Group No", "Group Number", "GRP", "Group No.", "Group #"],
        lambda rng: letters(rng, 3) + _anthem_number(rng), _anthem_group,
        ["Blue Access PPO", "Pathway X HMO", "Blue Priority EPO", "PPO Select", "HealthKeepers POS"],
        "www.anthem.com", "00803",
        ["Anthem", "Anthem Blue Cross Blue Shield", "Anthem BCBS", "Empire BlueCross",
         "Empire Blue Cross Blue Shield", "Blue Cross Blue Shield"]),
    "uhc": PayerRecipe(
        "uhc", ["UnitedHealthcare"], lambda n: n, (0, 38, 119), (255, 130, 30),
        ["Member ID", "Member ID:", "ID", "Member ID#"], ["Group Number", "Group Number:", "Group #", "Group"],
        lambda rng: digits(rng, 9 if rng.random() < 0.8 else 11, True),
        lambda rng: digits(rng, rng.choice([5, 5, 6, 7]), True),
        ["Choice Plus", "Navigate HMO", "Options PPO", "Choice EPO", "Core Essential"],
        "www.myuhc.com", "87726",
        ["UnitedHealthcare", "United Healthcare", "UHC", "United Health Care", "unitedhealthcare"]),
    "umr": PayerRecipe(
        "umr", ["UMR"], lambda n: "UMR", (0, 61, 123), (90, 160, 210),
        ["Member ID", "Member ID:", "MEMBER ID", "ID Number"], ["Group Number", "Group #", "Group", "Group No"],
        lambda rng: digits(rng, 9, True), lambda rng: f"76-{digits(rng, 6, True)}",
        ["Choice Plus Network", "UnitedHealthcare Choice Plus", "Select Plus PPO"],
        "www.umr.com", "39026", ["UMR", "Umr", "U.M.R."]),
    "oscar": PayerRecipe(
        "oscar", ["Oscar"], lambda n: "oscar", (30, 60, 220), (170, 200, 255),
        ["Member ID", "ID", "Member ID:", "ID:"], ["Group", "Group #", "Group ID", "Group Number"],
        lambda rng: "OSC" + digits(rng, 8),
        lambda rng: digits(rng, rng.choice([5, 6]), True) if rng.random() < 0.4 else None,
        ["Oscar Classic Silver", "Oscar Simple Bronze", "Oscar Gold EPO", "Oscar Secure Silver"],
        "www.hioscar.com", "OSCAR", ["Oscar", "Oscar Health", "oscar", "Oscar Health Insurance"]),
    "uhc_student_resources": PayerRecipe(
        "uhc_student_resources", ["UnitedHealthcare StudentResources"], lambda n: "UnitedHealthcare",
        (0, 38, 119), (255, 180, 60),
        ["SR ID#", "SR ID:", "SR ID #", "SR ID"], ["Policy #", "Policy Number", "Policy:", "Policy No."],
        lambda rng: digits(rng, 9, True),
        lambda rng: f"{rng.randint(2019, 2026)}-{digits(rng, 3, True)}-{rng.randint(1, 9)}",
        ["Student Health Insurance Plan", "SHIP PPO", "Student Injury and Sickness Plan"],
        "www.uhcsr.com", "74227",
        ["UnitedHealthcare StudentResources", "UHC Student Resources", "UnitedHealthcare Student Resources",
         "UHC StudentResources"]),
    "oxford": PayerRecipe(
        "oxford", ["Oxford Health Plans", "Oxford"], lambda n: "Oxford", (0, 80, 150), (150, 200, 120),
        ["Member ID", "Member ID:", "ID", "MEMBER ID"], ["Group Number", "Group", "Group:", "Group #"],
        lambda rng: digits(rng, 9, True),
        lambda rng: digits(rng, 6 if rng.random() < 0.5 else rng.choice([5, 7]), True),
        ["Liberty Network", "Freedom Network", "Metro Network", "Oxford Choice Plus"],
        "www.oxfordhealth.com", "06111", ["Oxford", "Oxford Health Plans", "Oxford Health", "OXFORD"]),
}

UNKNOWN_GENERIC_ID_LABELS = ["Member ID", "Subscriber ID", "ID Number", "Identification #", "Member #"]
UNKNOWN_GENERIC_GROUP_LABELS = ["Group", "Group #", "Group Number", "Grp"]

UNKNOWN_RECIPES = [
    PayerRecipe("unknown", ["Humana"], lambda n: "Humana", (60, 150, 60), (190, 230, 190), [], [],
                lambda rng: "H" + digits(rng, 8), lambda rng: digits(rng, rng.choice([6, 7]), True),
                ["Humana Gold Plus HMO", "HumanaChoice PPO", "National POS"], "www.humana.com", "61101",
                ["Humana"]),
    PayerRecipe("unknown", ["Kaiser Permanente"], lambda n: n, (0, 100, 160), (200, 220, 240), [], [],
                lambda rng: digits(rng, rng.choice([7, 8, 10]), True),
                lambda rng: digits(rng, rng.choice([4, 5, 6]), True) if rng.random() < 0.6 else None,
                ["Kaiser Permanente HMO", "KP Silver 70", "Senior Advantage"], "kp.org", "94134",
                ["Kaiser", "Kaiser Permanente"]),
    PayerRecipe("unknown", ["Molina Healthcare"], lambda n: n, (0, 140, 150), (180, 230, 230), [], [],
                lambda rng: digits(rng, rng.choice([9, 11]), True), lambda rng: None,
                ["Molina Marketplace Silver", "Molina Medicaid"], "www.molinahealthcare.com", "20554",
                ["Molina", "Molina Healthcare"]),
    PayerRecipe("unknown", ["Ambetter"], lambda n: n, (0, 120, 90), (190, 235, 210), [], [],
                lambda rng: "U" + digits(rng, 10), lambda rng: None,
                ["Ambetter Balanced Care 5", "Ambetter Essential Care"], "ambetter.com", "68069",
                ["Ambetter"]),
    PayerRecipe("unknown", ["Blue Shield of California"], lambda n: n, (0, 110, 190), (180, 210, 240), [], [],
                lambda rng: "XEH" + digits(rng, 9, True),
                lambda rng: rng.choice(["W", "H", "X"]) + digits(rng, rng.choice([5, 7])),
                ["Access+ HMO", "Full PPO", "Trio HMO"], "www.blueshieldca.com", "94036",
                ["Blue Shield", "Blue Shield of California", "Blue Shield CA"]),
    PayerRecipe("unknown", ["Wellcare"], lambda n: "wellcare", (190, 30, 60), (245, 200, 210), [], [],
                lambda rng: digits(rng, 8, True), lambda rng: None,
                ["Wellcare Value Script (PDP)", "Wellcare Giveback (HMO)", "Medicare Advantage HMO"],
                "www.wellcare.com", "14163", ["Wellcare", "WellCare"]),
    PayerRecipe("unknown", ["Tricare"], lambda n: "TRICARE", (20, 40, 90), (200, 205, 225), [], [],
                lambda rng: digits(rng, 10, True), lambda rng: None,
                ["TRICARE Select", "TRICARE Prime"], "www.tricare.mil", "99726", ["Tricare", "TRICARE"]),
    PayerRecipe("unknown", ["Harborview Medicare Advantage"], lambda n: "Harborview", (120, 60, 20),
                (240, 220, 200), [], [],
                lambda rng: letters(rng, 1) + digits(rng, 8), lambda rng: None,
                ["Harborview Advantage Plus (HMO)", "Harborview Medicare Advantage (PPO)"],
                "www.harborview-health.example", "57116", ["Harborview", "Harborview Medicare Advantage"]),
]


def printed_name(rng: random.Random, p: Person, upper: bool, style: int, with_middle: bool) -> str:
    first, last, mid = p.first, p.last, p.middle
    if upper:
        first, last, mid = first.upper(), last.upper(), mid.upper()
    middle = f" {mid}" if (mid and with_middle) else ""
    if style == 1:
        return f"{last}, {first}{middle}"
    return f"{first}{middle} {last}"


def build_card(rng: random.Random, payer: str, want_dependents: bool) -> CardContent:
    """Invent one card of ``payer`` (a template id or ``unknown``)."""
    if payer == UNKNOWN:
        recipe = rng.choice(UNKNOWN_RECIPES)
        id_labels = UNKNOWN_GENERIC_ID_LABELS
        group_labels = UNKNOWN_GENERIC_GROUP_LABELS
    else:
        recipe = RECIPES[payer]
        id_labels, group_labels = recipe.id_labels, recipe.group_labels
    payer_name = recipe.names[0]
    if payer == "anthem" and rng.random() < 0.3:
        payer_name = recipe.names[1]
    elif payer == "cigna":
        payer_name = rng.choice(recipe.names)
    elif payer == "oxford":
        payer_name = rng.choice(recipe.names)

    subscriber = invent_person(rng, 1990, 2007) if payer == "uhc_student_resources" else invent_person(rng)
    upper = rng.random() < 0.7
    name_style = 1 if rng.random() < 0.15 else 0
    with_middle = rng.random() < 0.6
    name_printed = printed_name(rng, subscriber, upper, name_style, with_middle)
    first_printed = subscriber.first.upper() if upper else subscriber.first
    last_printed = subscriber.last.upper() if upper else subscriber.last
    name_label = rng.choice(["Member:", "Member", "Name", "Name:", "Member Name", "Subscriber:",
                             "Subscriber Name", "Subscriber", None, None])
    if name_label and rng.random() < 0.25:
        name_label = name_label.upper()

    dependents: list[tuple[Person, str]] = []
    if want_dependents or rng.random() < 0.12:
        n = rng.choice([1, 1, 2, 2, 3])
        for i in range(n):
            if i == 0 and rng.random() < 0.6:
                dep = invent_person(rng, 1955, 2002, last=subscriber.last,
                                    sex="M" if subscriber.sex == "F" else "F")
            else:
                last = subscriber.last
                if rng.random() < 0.15 and "-" not in last:
                    last = f"{last}-{rng.choice(LAST_NAMES).split('-')[0]}"
                dep = invent_person(rng, 2006, 2023, last=last)
            dependents.append((dep, f"{i + 2:02d}"))

    member_id = recipe.make_id(rng)
    member_id_printed = member_id
    bcbs_split = None
    suffix = rng.choice(["01", "00", "01", "01"])
    if payer == "anthem" or recipe.names[0] == "Blue Shield of California":
        prefix, number = member_id[:3], member_id[3:]
        if rng.random() < 0.5:
            bcbs_split = (prefix, number, suffix)
            member_id_printed = f"{prefix} {number} {suffix}"
        else:
            member_id_printed = rng.choice([member_id, member_id, f"{member_id} {suffix}",
                                            f"{prefix} {number}"])
    elif payer == "cigna" and rng.random() < 0.15:
        member_id_printed = f"{member_id} {suffix}"
    elif payer == "oxford" and rng.random() < 0.25:
        member_id_printed = f"{member_id} {suffix}"

    group = recipe.make_group(rng)
    if payer == UNKNOWN and group and rng.random() < 0.15:
        group = None
    group_printed = group
    if payer == "uhc_student_resources" and group:
        paren = rng.choice([f"({digits(rng, 3, True)})", f"({rng.randint(100, 999)})",
                            f"({digits(rng, 2, True)})"])
        group_printed = f"{group} {paren}" if rng.random() < 0.7 else f"{group}{paren}"

    school = rng.choice(SCHOOLS) if payer == "uhc_student_resources" else None
    dob_printed = None
    if rng.random() < 0.1:
        dob_printed = subscriber.dob.strftime("%m/%d/%Y")

    taglines: list[str] = []
    if payer == "umr" and rng.random() < 0.75:
        taglines.append("A UnitedHealthcare Company")
    if payer == "oxford":
        taglines.append(rng.choice(["UnitedHealthcare", "A UnitedHealthcare Company", "UnitedHealthcare Oxford"]))
    if payer == "uhc_student_resources":
        taglines.append(rng.choice(["StudentResources", "Student Resources"]))
    if payer == "anthem" and payer_name.startswith("Empire"):
        taglines.append(rng.choice(["Empire", "An Anthem Company", ""]))
    taglines = [t for t in taglines if t]

    content = CardContent(
        payer=payer, payer_name=payer_name, logo=recipe.logo(payer_name), logo_color=recipe.logo_color,
        accent_color=recipe.accent, taglines=taglines,
        plan_name=rng.choice(recipe.plans) if rng.random() < 0.85 else None,
        network=None, subscriber=subscriber, dependents=dependents, name_printed=name_printed,
        name_label=name_label, first_printed=first_printed, last_printed=last_printed,
        dob_printed=dob_printed, member_id=member_id, member_id_printed=member_id_printed,
        id_label=pick_label(rng, id_labels), bcbs_split=bcbs_split, group_number=group,
        group_printed=group_printed, group_label=pick_label(rng, group_labels),
        portal_group=portal_group_for(payer, group), school=school, website=recipe.website,
        emblem="bcbs" if (payer == "anthem" or "Blue" in payer_name) else None,
        address=invent_address(rng), typed_aliases=list(recipe.aliases),
    )
    if payer == "uhc_student_resources" and rng.random() < 0.5:
        content.logo = "UnitedHealthcare StudentResources"
    if payer == "oxford" and rng.random() < 0.4:
        content.logo = "Oxford Health Plans"
    add_distractors(rng, content, recipe)
    return content


def add_distractors(rng: random.Random, c: CardContent, recipe: PayerRecipe) -> None:
    """Pharmacy lines, issuer numbers, payer IDs, phones, copays, dates: on front or back, varied."""
    front: list[PrintedField] = []
    back: list[PrintedField] = []
    d = c.distractors

    def place(f: PrintedField, p_front: float) -> None:
        (front if rng.random() < p_front else back).append(f)

    if c.payer in ("uhc", "oxford") and (c.payer == "uhc" or rng.random() < 0.6):
        hp = rng.choice(["(80840) 911-87726-04", "(80840) 911-87726-04", "(80840) 911-87726-03"])
        d["health_plan"] = hp
        place(PrintedField("health_plan", rng.choice(["Health Plan", "Health Plan", "HEALTH PLAN"]), hp),
              0.85)
    if c.payer == "uhc_student_resources" and rng.random() < 0.5:
        hp = "(80840) 911-87726-04"
        d["health_plan"] = hp
        place(PrintedField("health_plan", "Health Plan", hp), 0.7)
    if c.payer == "umr":
        iss = f"(80840) {digits(rng, 10, True)}"
        d["issuer"] = iss
        place(PrintedField("issuer", rng.choice(["Issuer", "Issuer:", "ISSUER"]), iss), 0.85)

    if rng.random() < 0.8:
        bin_ = rng.choice(RX_BINS)
        d["rx_bin"] = bin_
        rx_front = rng.random() < 0.6
        rx = [PrintedField("rx_bin", rng.choice(["RxBIN", "Rx BIN", "RXBIN:", "BIN"]), bin_)]
        if rng.random() < 0.85:
            pcn = rng.choice(RX_PCNS)
            d["rx_pcn"] = pcn
            rx.append(PrintedField("rx_pcn", rng.choice(["RxPCN", "Rx PCN", "RXPCN:", "PCN"]), pcn))
        if rng.random() < 0.75:
            grp = rx_group(rng, c.payer)
            d["rx_group"] = grp
            rx.append(PrintedField("rx_group", rng.choice(["RxGrp", "Rx Group", "RX GRP", "RxGRP:"]), grp))
        if rng.random() < 0.25:
            rid = rng.choice(["RX", "M", ""]) + digits(rng, rng.choice([9, 10, 11]), True)
            if rid != c.member_id:
                d["rx_id"] = rid
                c.rx_id = rid
                rx.append(PrintedField("rx_id", rng.choice(["RxID", "Rx ID", "RXID:"]), rid))
        (front if rx_front else back).extend(rx)

    if recipe.payer_id and (recipe.payer_id.isdigit() or rng.random() < 0.5):
        d["payer_id"] = recipe.payer_id
        back.append(PrintedField("payer_id", rng.choice(["Payer ID", "Payer ID:", "Payer ID #", "EDI Payer ID"]),
                                 recipe.payer_id))
        if rng.random() < 0.15:
            front.append(PrintedField("payer_id", "Payer ID", recipe.payer_id))
    if c.payer == UNKNOWN and recipe.names[0] in ("Wellcare", "Harborview Medicare Advantage", "Humana") \
            and rng.random() < 0.7:
        cms = f"{rng.choice('HHRS')}{digits(rng, 4, True)} {digits(rng, 3)}"
        d["cms_contract"] = cms
        place(PrintedField("cms_contract", None, cms + rng.choice(["", " MEDICARE R", " MEDICARE Rx"])), 0.7)
    if rng.random() < 0.45:
        eff = f"{rng.randint(1, 12):02d}/01/{rng.choice([2024, 2025, 2026])}"
        d["effective_date"] = eff
        place(PrintedField("effective_date", rng.choice(["Effective", "Effective Date", "Eff Date:", "Issued"]),
                           eff), 0.75)
    if rng.random() < 0.35:
        front.append(PrintedField("network", rng.choice(["Network", "Network:", "NETWORK"]),
                                  rng.choice(["Choice Plus", "Open Access", "PPO", "Blue Card PPO", "EPO",
                                              "National Network", "Metro"])))
    if rng.random() < 0.6:
        names = rng.choice(COPAY_SETS)
        amounts = [rng.choice([0, 10, 15, 20, 25, 30, 35, 40]), rng.choice([40, 50, 60, 75]),
                   rng.choice([150, 250, 300, 500]), rng.choice([50, 75, 100])]
        c.copays = [f"{n} ${a}" for n, a in zip(names, amounts)]

    # Back: phones, pharmacy help, behavioural health, claims address, website, small print.
    back.insert(0, PrintedField("phone", rng.choice(["Member Services", "Customer Service", "Member Services:",
                                                     "Questions? Call"]), phone(rng)))
    if rng.random() < 0.7:
        back.append(PrintedField("phone", rng.choice(["Provider Services", "Providers:", "Provider Line"]),
                                 phone(rng)))
    if rng.random() < 0.6:
        bh = "Optum " + phone(rng) if c.payer in ("uhc", "umr", "oxford", "uhc_student_resources") \
            else phone(rng)
        back.append(PrintedField("phone", rng.choice(["Behavioral Health:", "Mental Health", "Behavioral Health"]),
                                 bh))
    if rng.random() < 0.6:
        back.append(PrintedField("phone", rng.choice(["Pharmacist Use Only", "Pharmacy Help Desk", "Rx Help:"]),
                                 phone(rng)))
    if rng.random() < 0.4:
        back.append(PrintedField("phone", rng.choice(["24/7 Nurse Line", "NurseLine", "Nurse Line:"]),
                                 phone(rng)))
    rng.shuffle(back)
    c.claims_address = claims_address(rng, c.payer_name.split(" ")[0] if c.payer != "anthem" else
                                      rng.choice(["Anthem", "Anthem Blue Cross"]))
    c.back_paragraphs = [rng.choice([
        "This card does not guarantee coverage. Possession of this card does not establish eligibility.",
        "Present this card when you receive care. Report a lost card to Member Services right away.",
        "Providers: verify eligibility and benefits before rendering services. Precertification may "
        "be required for inpatient admissions and some outpatient services.",
        "In an emergency, go to the nearest emergency room or call 911. Notify us within 48 hours.",
        "Misuse of this card may be grounds for termination of coverage and may be prosecuted as fraud.",
    ]) for _ in range(rng.choice([1, 2]))]
    if rng.random() < 0.5:
        c.footer.append(c.website)
    else:
        back.append(PrintedField("website", None, c.website))
    c.front_extra = front
    c.back_fields = back
