"""The list of requirement phrases that shut out people with lived experience: HR adds the agency's own to the
built-in ones (``hiring.services.checks.BUILTIN_PHRASES``) and removes those it added."""

from __future__ import annotations

from sqlalchemy import func, select

from core import audit
from core.errors import InvalidInput
from core.extensions import db
from core.models import Staff
from hiring.models import ExclusionPhrase
from hiring.services.checks import BUILTIN_PHRASES, phrase_pattern


def _key(phrase: str) -> str:
    return phrase_pattern(phrase).pattern.lower()


def add(phrase: str, reason: str, actor: Staff) -> ExclusionPhrase:
    wanted = _key(phrase)
    existing = [p.phrase for p in BUILTIN_PHRASES] + list(db.session.scalars(select(ExclusionPhrase.phrase)))
    if any(_key(other) == wanted for other in existing):
        raise InvalidInput({"phrase": "This phrase is already on the list."})
    row = ExclusionPhrase(phrase=phrase.strip(), reason=reason.strip(), created_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    audit.record("hiring.phrase_added", actor=actor, record_type="hiring_exclusion_phrase", record_id=row.id)
    return row


def remove(row: ExclusionPhrase, actor: Staff) -> None:
    audit.record("hiring.phrase_removed", actor=actor, record_type="hiring_exclusion_phrase", record_id=row.id)
    db.session.delete(row)
    db.session.flush()


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(ExclusionPhrase)) or 0
