"""Helpers shared by the training view files (kept here so the view files never import each other)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import render_template
from flask_login import current_user

from core import audit, credentials, edits, policy, timeutil
from core.errors import InvalidInput, StaleEdit
from core.extensions import db
from core.models import Staff
from training.models import CeEntry, Certification, Cycle

T = TypeVar("T")


def render(name: str, status: int = 200, /, **context: Any) -> tuple[str, int]:
    return render_template(
        name,
        hours_text=credentials.hours_text,
        hours_number=credentials.hours_number,
        long_date=timeutil.long_date,
        today=timeutil.today(),
        **context,
    ), status


def show_problems(form: Any, problems: dict[str, str]) -> list[str]:
    """Put a service's problems next to the form's fields; returns those for the whole form."""
    general = []
    for name, message in problems.items():
        if name and name in form:
            form[name].errors = [*form[name].errors, message]
        else:
            general.append(message)
    return general


@dataclass(frozen=True)
class Attempt(Generic[T]):
    """What came of saving a form: ``saved`` (with the service's ``result``), or not, with ``conflict`` set when
    someone else saved the record first (the view reads it again and shows both), else the problems are on the form."""

    saved: bool
    result: T | None = None
    conflict: str | None = None


def save(form: Any, change: Callable[[], T]) -> Attempt[T]:
    """Run a service's ``change`` and commit it once (``core.edits.commit``). A rule broken (``InvalidInput``) rolls
    back and puts its problems next to the form's fields; a record someone else saved first (``StaleEdit``) rolls
    back and comes back as a conflict. Anything else (a ``Refused``) is the view's to answer."""
    try:
        result = change()
        edits.commit()
    except InvalidInput as error:
        db.session.rollback()
        show_problems(form, error.problems)
        return Attempt(saved=False)
    except StaleEdit:
        db.session.rollback()
        return Attempt(saved=False, conflict=edits.STALE_MESSAGE)
    return Attempt(saved=True, result=result)


def audit_read(staff_id: int, what: str, record_type: str, record_id: object) -> None:
    """Reading someone else's training is written to the audit log (one's own is not)."""
    if staff_id != current_user.id:
        audit.record(
            f"training.{what}_read",
            actor=current_user,
            record_type=record_type,
            record_id=record_id,
            detail=f"staff {staff_id}",
        )


def load_person(staff_id: int) -> Staff:
    person = db.get_or_404(Staff, staff_id)
    policy.authorize(current_user, "training.person", person, conceal=True)
    return person


def load_certification(certification_id: int, action: str = "certification.view") -> Certification:
    certification = db.get_or_404(Certification, certification_id)
    policy.authorize(current_user, "certification.view", certification, conceal=True)
    if action != "certification.view":
        policy.authorize(current_user, action, certification)
    return certification


def load_cycle(cycle_id: int) -> Cycle:
    cycle = db.get_or_404(Cycle, cycle_id)
    policy.authorize(current_user, "cycle.view", cycle, conceal=True)
    return cycle


def load_entry(entry_id: int, action: str = "ce.view") -> CeEntry:
    entry = db.get_or_404(CeEntry, entry_id)
    policy.authorize(current_user, "ce.view", entry, conceal=True)
    if action != "ce.view":
        policy.authorize(current_user, action, entry)
    return entry
