"""The client's portal form for a card: correct with harmless variations, or with realistic mistakes.

Harmless variations (case, spaces, dashes, payer aliases, the full printed group or the ``XXXXXX``
placeholder) must be accepted by a checker; mistakes are listed in expected.json's ``typed_errors`` as
{field, kind} so an evaluation can tell a caught mistake from a false alarm.
"""

from __future__ import annotations

import random
import re
import unicodedata
from typing import Optional

from .content import CardContent, NICKNAMES, LAST_NAMES, Person, RECIPES

LOOKALIKES = {"0": "O", "O": "0", "1": "I", "I": "1", "5": "S", "S": "5", "8": "B", "B": "8", "2": "Z"}
OTHER_PAYER_NAMES = ["Aetna", "Cigna", "Anthem Blue Cross Blue Shield", "UnitedHealthcare", "UMR", "Oscar Health",
                     "Oxford Health Plans", "Humana", "Kaiser Permanente", "Molina Healthcare", "Ambetter",
                     "Blue Shield of California", "Tricare", "Wellcare"]
PAYER_FAMILY = {  # names that would not be a *wrong payer* for this card (aliases, parents handled apart)
    "aetna": {"Aetna"}, "cigna": {"Cigna"}, "anthem": {"Anthem Blue Cross Blue Shield"},
    "uhc": {"UnitedHealthcare"}, "umr": {"UMR", "UnitedHealthcare"}, "oscar": {"Oscar Health"},
    "oxford": {"Oxford Health Plans", "UnitedHealthcare"}, "uhc_student_resources": {"UnitedHealthcare"},
}


def strip_accents(s: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", s) if not unicodedata.combining(ch))


def casing(rng: random.Random, s: str) -> str:
    r = rng.random()
    if r < 0.08:
        return s.lower()
    if r < 0.16:
        return s.upper()
    return s


def harmless_name(rng: random.Random, s: str) -> str:
    s = casing(rng, s)
    if rng.random() < 0.15:
        s = strip_accents(s)
    if rng.random() < 0.05:
        s = f" {s} "
    return s


def harmless_member_id(rng: random.Random, mid: str) -> str:
    r = rng.random()
    if r < 0.1:
        return mid.lower()
    if r < 0.17 and len(mid) >= 8:
        k = len(mid) // 3
        sep = rng.choice([" ", "-"])
        return sep.join([mid[:k], mid[k:2 * k], mid[2 * k:]])
    if r < 0.22:
        return f" {mid} "
    return mid


def typed_group(rng: random.Random, c: CardContent) -> str:
    """What a careful client types: the portal value, often the placeholder, sometimes the full group."""
    if not c.group_number:
        return "XXXXXX" if rng.random() < 0.92 else "xxxxxx"
    if c.payer == "aetna":
        return c.portal_group if rng.random() < 0.8 else c.group_number
    if c.portal_group != "XXXXXX":
        return casing(rng, c.portal_group)
    return "XXXXXX" if rng.random() < 0.75 else c.group_number


def _letters_and_digits(s: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", s.upper())


def typo(rng: random.Random, s: str) -> str:
    """One or two characters changed, transposed, dropped, or a look-alike swapped; never a no-op, nor a
    change of spaces or punctuation alone (a dash dropped or moved is the same ID once normalised)."""
    original = _letters_and_digits(s)
    for _ in range(20):
        chars = list(s)
        kind = rng.choice(["sub", "swap", "drop", "look", "sub"])
        i = rng.randrange(len(chars))
        if kind == "sub":
            c = chars[i]
            chars[i] = rng.choice([d for d in "0123456789" if d != c]) if c.isdigit() else \
                rng.choice([d for d in "ABCDEFGHJKLMNPRSTUVWXYZ" if d != c.upper()])
        elif kind == "swap" and len(chars) > 1:
            i = min(i, len(chars) - 2)
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        elif kind == "drop" and len(chars) > 3:
            del chars[i]
        elif kind == "look":
            idx = [j for j, c in enumerate(chars) if c.upper() in LOOKALIKES]
            if not idx:
                continue
            j = rng.choice(idx)
            chars[j] = LOOKALIKES[chars[j].upper()]
        out = "".join(chars)
        if rng.random() < 0.15 and len(out) > 4:  # a second slip
            j = rng.randrange(len(out) - 1)
            out = out[:j] + out[j + 1] + out[j] + out[j + 2:]
        if _letters_and_digits(out) != original:
            return out
    return s[:-1] + ("1" if s[-1] != "1" else "2")


def provider_name(rng: random.Random, c: CardContent) -> str:
    if c.payer in RECIPES:
        name = rng.choice(c.typed_aliases)
        if c.payer == "anthem" and c.payer_name.startswith("Empire") and rng.random() < 0.5:
            name = rng.choice(["Empire BlueCross", "Empire Blue Cross Blue Shield", "Empire BCBS"])
        return name
    return rng.choice(c.typed_aliases + [c.payer_name])


def name_mismatch(rng: random.Random, first: str, last: str) -> tuple[str, str, str]:
    """A nickname, a missing part of a hyphenated last name, or another last name; returns the field too."""
    options = []
    if first in NICKNAMES:
        options.append("nick")
    if "-" in last:
        options.append("hyphen")
    options.append("other_last")
    kind = rng.choice(options)
    if kind == "nick":
        return NICKNAMES[first], last, "first_name"
    if kind == "hyphen":
        return first, rng.choice(last.split("-")), "last_name"
    other = rng.choice([n for n in LAST_NAMES if n != last and n.split("-")[0] != last.split("-")[0]])
    return first, other, "last_name"


def applicable_errors(c: CardContent, typed_group_value: str) -> list[tuple[str, float]]:
    kinds = [("typo", 2.5), ("wrong_payer", 1.0), ("name_mismatch", 2.0)]
    if c.group_number:
        kinds.append(("group_typo", 1.0))
    if "health_plan" in c.distractors and c.payer in ("uhc", "oxford"):
        kinds.append(("health_plan_as_member_id", 4.0))
    if "issuer" in c.distractors:
        kinds.append(("issuer_as_member_id", 4.0))
    if "rx_group" in c.distractors:
        kinds.append(("rx_group_as_group", 1.5))
    if c.rx_id:
        kinds.append(("rx_id_as_member_id", 1.5))
    if c.payer in ("oxford", "uhc_student_resources"):
        kinds.append(("parent_brand", 3.5))
    if c.payer == "uhc_student_resources":
        kinds.append(("missing_school", 3.0))
    return kinds


GENERIC_KINDS = {"typo", "wrong_payer", "name_mismatch", "group_typo"}
ERROR_FIELD = {"typo": "member_id", "health_plan_as_member_id": "member_id", "issuer_as_member_id": "member_id",
               "rx_id_as_member_id": "member_id", "rx_group_as_group": "group_number",
               "group_typo": "group_number", "parent_brand": "insurance_provider",
               "wrong_payer": "insurance_provider", "missing_school": "school_name"}


def build_typed(rng: random.Random, c: CardContent, for_dependent: bool, n_errors: int,
                kinds_used: Optional[dict] = None) -> tuple[dict, list[dict]]:
    """The portal form and the list of mistakes put into it (empty when the form is correct).

    ``kinds_used`` counts the mistake kinds already made in this set; kinds not made yet are favoured so
    a small set still shows every mistake its payers allow.
    """
    kinds_used = {} if kinds_used is None else kinds_used
    sub = c.subscriber
    if for_dependent and c.dependents:
        patient: Person = rng.choice(c.dependents)[0]
    else:
        patient = sub
        for_dependent = False
    form = {
        "first_name": harmless_name(rng, patient.first),
        "last_name": harmless_name(rng, patient.last),
        "date_of_birth": patient.dob.isoformat(),
        "sex": patient.sex,
        "insurance_provider": provider_name(rng, c),
        "member_id": harmless_member_id(rng, c.member_id),
        "group_number": typed_group(rng, c),
        "address": c.address,
        "is_policy_holder": not for_dependent,
        "policy_holder": None,
        "school_name": c.school if c.school else None,
    }
    if for_dependent:
        form["policy_holder"] = {"first_name": harmless_name(rng, sub.first), "last_name": harmless_name(rng, sub.last),
                                 "date_of_birth": sub.dob.isoformat()}
    if c.school and rng.random() < 0.2:
        form["school_name"] = rng.choice([c.school.upper(), c.school.replace("University", "Univ.")])

    errors: list[dict] = []
    kinds = applicable_errors(c, form["group_number"])
    used_fields: set[str] = set()
    for _ in range(n_errors):
        pool = [(k, wt) for k, wt in kinds if ERROR_FIELD.get(k, "name") not in used_fields]
        if not pool:
            break
        fresh = [k for k, _ in pool if k not in GENERIC_KINDS and not kinds_used.get(k)]
        if fresh:  # a payer-specific mistake this set has not shown yet
            kind = fresh[0]
        else:
            weights = [wt * (4 if not kinds_used.get(k) else 1) for k, wt in pool]
            kind = rng.choices([k for k, _ in pool], weights=weights)[0]
        kinds_used[kind] = kinds_used.get(kind, 0) + 1
        fld = ERROR_FIELD.get(kind, "name")
        used_fields.add(fld)
        if kind == "typo":
            form["member_id"] = typo(rng, c.member_id)
        elif kind == "health_plan_as_member_id":
            hp = c.distractors["health_plan"]
            num = hp.split(")")[-1].strip()
            form["member_id"] = rng.choice([num, num.replace("-", ""), hp, "80840 " + num])
        elif kind == "issuer_as_member_id":
            iss = c.distractors["issuer"]
            num = iss.split(")")[-1].strip()
            form["member_id"] = rng.choice([num, "80840" + num, iss])
        elif kind == "rx_id_as_member_id":
            form["member_id"] = c.rx_id
        elif kind == "rx_group_as_group":
            form["group_number"] = c.distractors["rx_group"]
        elif kind == "group_typo":
            base = c.portal_group if c.portal_group != "XXXXXX" else c.group_number
            form["group_number"] = typo(rng, base)
        elif kind == "parent_brand":
            form["insurance_provider"] = rng.choice(["UnitedHealthcare", "United Healthcare", "UHC"])
        elif kind == "wrong_payer":
            family = PAYER_FAMILY.get(c.payer, {c.payer_name})
            choices = [n for n in OTHER_PAYER_NAMES if n not in family and n != c.payer_name]
            form["insurance_provider"] = rng.choice(choices)
        elif kind == "missing_school":
            form["school_name"] = None
        elif kind == "name_mismatch":
            target = rng.choice(["patient", "holder"]) if for_dependent else "patient"
            if target == "patient":
                first, last, f = name_mismatch(rng, patient.first, patient.last)
                form["first_name"], form["last_name"] = first, last
            else:
                first, last, f = name_mismatch(rng, sub.first, sub.last)
                form["policy_holder"]["first_name"], form["policy_holder"]["last_name"] = first, last
                f = f"policy_holder.{f}"
            errors.append({"field": f, "kind": kind})
            continue
        errors.append({"field": fld, "kind": kind})
    return form, errors
