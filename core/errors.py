"""One vocabulary for what goes wrong with something a person asked for.

- ``InvalidInput``: input that breaks a rule the person can fix; shown next to the field (400).
- ``Refused``: an action the rules do not allow; the message says why in plain words (403 or shown on the page).
  It may carry the audit entry to write, so the refusal is kept in the log even though the work is undone.
- ``StaleEdit``: the record changed after the form was loaded; the form comes back with the input kept (409).

Services raise them; views catch them. ``keep_refusal`` is the one way to undo the work of a refused request and
still commit its audit entry.
"""

from __future__ import annotations

from dataclasses import dataclass

from core import audit
from core.extensions import db
from core.models import Staff


class InvalidInput(Exception):
    """Input that breaks a rule; ``problems`` maps a form field name to a plain message ("" for the whole form)."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(problems.values()))
        self.problems = problems


@dataclass(frozen=True)
class RefusalEntry:
    """What the audit log keeps of a refusal: never record content."""

    action: str
    record_type: str = ""
    record_id: object = ""
    detail: str = ""


class Refused(Exception):
    """An action the rules refuse; ``str(error)`` says why, in words the person can act on."""

    def __init__(self, message: str, *, entry: RefusalEntry | None = None) -> None:
        super().__init__(message)
        self.entry = entry


class StaleEdit(Exception):
    """The record changed after the form was loaded, so saving would overwrite someone else's change."""


def keep_refusal(refusal: Refused, actor: Staff | None) -> None:
    """Undo everything the refused request did, then write and commit the refusal's audit entry (if any)."""
    db.session.rollback()
    if refusal.entry is None:
        return
    entry = refusal.entry
    audit.record(
        entry.action,
        actor=actor,
        record_type=entry.record_type,
        record_id=entry.record_id,
        outcome=audit.DENIED,
        detail=entry.detail,
    )
    db.session.commit()
