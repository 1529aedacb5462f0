"""State credential types (``core.models.CredentialType``), shared by hiring (what a posting requires) and
training (who holds what): list, add, retire and bring back; and each board's renewal rules (the cycle, the
continuing-education hours per cycle with minimums and maximums by category, the most that may be online or
self-paced, the grace period, what a provisional holder must do by when), which HR keeps up to date.

Hours are whole quarter hours (``qh``: 6 means 1.5 hours), as boards count them, so sums are exact. PeerWorks ships
example rules for three states (``core/data/credential_examples.json``); they are marked "check with your board"
until HR confirms them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import Select, func, select

from core import audit, edits, timeutil
from core.database import Lowered
from core.errors import InvalidInput
from core.extensions import db
from core.labels import Labelled, label_words
from core.models import CredentialCategoryRule, CredentialType, Staff

EXAMPLES = Path(__file__).resolve().parent / "data" / "credential_examples.json"
QUARTERS = 4  # quarter hours in an hour


class CeCategory(Labelled):
    """What a continuing-education course is about, as boards sort them."""

    ETHICS = "ethics"
    CULTURAL = "cultural"
    RECOVERY = "recovery"
    TRAUMA = "trauma"
    CO_OCCURRING = "co_occurring"
    GENERAL = "general"


class CeFormat(Labelled):
    """How a course was given: boards often limit the hours taken online or at one's own pace."""

    IN_PERSON = "in_person"
    LIVE_ONLINE = "live_online"
    SELF_PACED = "self_paced"


label_words(
    {
        (CeCategory, "ethics"): "Ethics and boundaries",
        (CeCategory, "cultural"): "Cultural responsiveness",
        (CeCategory, "recovery"): "Recovery and wellness practice",
        (CeCategory, "trauma"): "Trauma-informed care",
        (CeCategory, "co_occurring"): "Mental health and substance use",
        (CeCategory, "general"): "Other approved topics",
        (CeFormat, "in_person"): "In person",
        (CeFormat, "live_online"): "Live online",
        (CeFormat, "self_paced"): "Self-paced (on your own time)",
    }
)

ONLINE = (CeFormat.LIVE_ONLINE, CeFormat.SELF_PACED)


# Hours ----------------------------------------------------------------------------------------------------------


def parse_hours(text: str | None, *, most: int = 999) -> int:
    """Quarter hours from what a person typed ("1.5", "2", "0.75"); ``ValueError`` with a message to show."""
    raw = (text or "").strip().replace(",", ".")
    try:
        hours = Decimal(raw)
    except InvalidOperation:
        raise ValueError("Enter the hours as a number, for example 1.5 or 2.") from None
    if not hours.is_finite():
        raise ValueError("Enter the hours as a number, for example 1.5 or 2.")
    if hours < 0 or hours > most:  # first: quantize below fails on a number of more than 26 digits
        raise ValueError(f"Enter a number of hours from 0 to {most}.")
    if hours != hours.quantize(Decimal("0.01")):
        raise ValueError("Enter the hours as a number, for example 1.5 or 2.")
    quarters = hours * QUARTERS
    if quarters != quarters.to_integral_value():
        raise ValueError("Use quarter hours: a whole number, or .25, .5 or .75 after it (for example 1.75).")
    return int(quarters)


def hours_number(qh: int | None) -> str:
    """Quarter hours as a number of hours, the way a person writes it: 6 -> "1.5", 8 -> "2", 3 -> "0.75"."""
    if qh is None:
        return ""
    whole, part = divmod(qh, QUARTERS)
    return f"{whole}" if part == 0 else f"{whole}.{('25', '5', '75')[part - 1]}"


def hours_text(qh: int | None) -> str:
    """ "1.5 hours", "1 hour", "0 hours"."""
    number = hours_number(qh or 0)
    return f"{number} hour" if number == "1" else f"{number} hours"


# The rules ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleSet:
    """A credential's renewal rules as plain values, for the cycle arithmetic (``training.services.progress``)."""

    cycle_months: int | None
    required_qh: int
    grace_days: int
    max_online_qh: int | None = None
    max_self_paced_qh: int | None = None
    minimums: dict[str, int] = field(default_factory=dict)
    maximums: dict[str, int] = field(default_factory=dict)
    provisional_months: int | None = None
    provisional_supervised_hours: int | None = None

    @property
    def complete(self) -> bool:
        return self.cycle_months is not None


def rules_of(credential: CredentialType) -> RuleSet:
    return RuleSet(
        cycle_months=credential.cycle_months,
        required_qh=credential.ce_qh,
        grace_days=credential.grace_days,
        max_online_qh=credential.max_online_qh,
        max_self_paced_qh=credential.max_self_paced_qh,
        minimums={rule.category: rule.min_qh for rule in credential.category_rules if rule.min_qh},
        maximums={rule.category: rule.max_qh for rule in credential.category_rules if rule.max_qh is not None},
        provisional_months=credential.provisional_months,
        provisional_supervised_hours=credential.provisional_supervised_hours,
    )


@dataclass(frozen=True)
class RuleDetails:
    """What HR types on a credential's rules page (hours already in quarter hours)."""

    name: str
    abbreviation: str
    issuer: str
    state: str
    cycle_months: int | None
    ce_qh: int
    grace_days: int
    max_online_qh: int | None
    max_self_paced_qh: int | None
    provisional_months: int | None
    provisional_supervised_hours: int | None
    categories: dict[str, tuple[int, int | None]]  # category -> (minimum, maximum or None)
    check_with_board: bool
    rules_note: str


def rule_problems(details: RuleDetails, credential: CredentialType | None = None) -> dict[str, str]:
    """Rules that cannot all hold at once, named by the form field to fix."""
    problems: dict[str, str] = {}
    taken = db.session.scalar(
        select(CredentialType.id).where(Lowered(CredentialType.name) == Lowered(details.name.strip()))
    )
    if taken is not None and (credential is None or taken != credential.id):
        problems["name"] = "A credential with this name is already on the list."
    if details.ce_qh and details.cycle_months is None:
        problems["cycle_months"] = "Enter how many months a cycle lasts, or leave the CE hours empty."
    minimum_total = 0
    for category, (minimum, maximum) in details.categories.items():
        label = CeCategory(category).label
        if maximum is not None and maximum < minimum:
            problems[f"max_{category}"] = f"{label}: the most that counts cannot be less than the minimum."
        minimum_total += minimum
    if minimum_total > details.ce_qh:
        problems["ce_hours"] = (
            f"The category minimums add up to {hours_text(minimum_total)}, more than the "
            f"{hours_text(details.ce_qh)} a cycle asks for. Raise the hours or lower a minimum."
        )
    if (
        details.max_self_paced_qh is not None
        and details.max_online_qh is not None
        and details.max_self_paced_qh > details.max_online_qh
    ):
        problems["max_self_paced_hours"] = "Self-paced hours are online hours: their limit cannot be higher."
    return problems


def update_rules(credential: CredentialType, details: RuleDetails, version: object, actor: Staff) -> None:
    """Save a credential's name and rules; a form loaded at an older version raises ``StaleEdit``."""
    edits.expect_version(credential, version)
    problems = rule_problems(details, credential)
    if problems:
        raise InvalidInput(problems)
    _apply(credential, details)
    edits.bump(credential)  # the category rows are in another table
    edits.flush()
    audit.record("credential.rules_changed", actor=actor, record_type="core_credential_type", record_id=credential.id)


def _apply(credential: CredentialType, details: RuleDetails) -> None:
    credential.name = details.name.strip()
    credential.abbreviation = details.abbreviation.strip()
    credential.issuer = details.issuer.strip()
    credential.state = details.state.strip().upper()
    credential.cycle_months = details.cycle_months
    credential.ce_qh = details.ce_qh
    credential.grace_days = details.grace_days
    credential.max_online_qh = details.max_online_qh
    credential.max_self_paced_qh = details.max_self_paced_qh
    credential.provisional_months = details.provisional_months
    credential.provisional_supervised_hours = details.provisional_supervised_hours
    credential.check_with_board = details.check_with_board
    credential.rules_note = details.rules_note.strip()
    existing = {rule.category: rule for rule in credential.category_rules}
    kept = []
    for category, (minimum, maximum) in details.categories.items():
        if not minimum and maximum is None:
            continue
        rule = existing.get(category) or CredentialCategoryRule(category=category)
        rule.min_qh, rule.max_qh = minimum, maximum
        kept.append(rule)
    credential.category_rules = kept


# The list -------------------------------------------------------------------------------------------------------


def listed(*, include_retired: bool = True) -> Select:
    statement = select(CredentialType).order_by(CredentialType.retired_at.is_not(None), func.lower(CredentialType.name))
    return statement if include_retired else statement.where(CredentialType.retired_at.is_(None))


def active() -> list[CredentialType]:
    return list(db.session.scalars(listed(include_retired=False)))


def add(name: str, issuer: str, actor: Staff) -> CredentialType:
    taken = db.session.scalar(select(CredentialType.id).where(Lowered(CredentialType.name) == Lowered(name.strip())))
    if taken is not None:
        raise InvalidInput({"name": "A credential with this name is already on the list."})
    credential = CredentialType(name=name.strip(), issuer=issuer.strip())
    db.session.add(credential)
    db.session.flush()
    audit.record("credential.added", actor=actor, record_type="core_credential_type", record_id=credential.id)
    return credential


def set_retired(credential: CredentialType, retired: bool, actor: Staff) -> None:
    credential.retired_at = timeutil.utcnow() if retired else None
    db.session.flush()
    audit.record(
        "credential.retired" if retired else "credential.restored",
        actor=actor,
        record_type="core_credential_type",
        record_id=credential.id,
    )


# The examples that ship with PeerWorks --------------------------------------------------------------------------


def examples() -> list[RuleDetails]:
    """The three states' example rules, every one marked "check with your board"."""
    data = json.loads(EXAMPLES.read_text(encoding="utf-8"))

    def qh(hours: str | None) -> int | None:
        return None if hours is None else parse_hours(hours)

    found = []
    for item in data["credentials"]:
        found.append(
            RuleDetails(
                name=item["name"],
                abbreviation=item["abbreviation"],
                issuer=item["issuer"],
                state=item["state"],
                cycle_months=item["cycle_months"],
                ce_qh=parse_hours(item["ce_hours"]),
                grace_days=item["grace_days"],
                max_online_qh=qh(item["max_online_hours"]),
                max_self_paced_qh=qh(item["max_self_paced_hours"]),
                provisional_months=item["provisional_months"],
                provisional_supervised_hours=item["provisional_supervised_hours"],
                categories={
                    category: (parse_hours(low), qh(high)) for category, (low, high) in item["categories"].items()
                },
                check_with_board=True,
                rules_note=item["note"],
            )
        )
    return found


def add_examples(actor: Staff | None) -> list[CredentialType]:
    """Add the example credentials whose names are not on the list yet; returns those added."""
    added = []
    for details in examples():
        taken = db.session.scalar(
            select(CredentialType.id).where(Lowered(CredentialType.name) == Lowered(details.name))
        )
        if taken is not None:
            continue
        credential = CredentialType(name=details.name)
        _apply(credential, details)
        db.session.add(credential)
        db.session.flush()
        audit.record(
            "credential.added",
            actor=actor,
            record_type="core_credential_type",
            record_id=credential.id,
            detail="example rules",
        )
        added.append(credential)
    return added
