"""State credential types (``core.models.CredentialType``), shared by hiring (what a posting requires) and
training (who holds what): list, add, retire and bring back."""

from __future__ import annotations

from sqlalchemy import Select, func, select

from core import audit, timeutil
from core.errors import InvalidInput
from core.extensions import db
from core.models import CredentialType, Staff


def listed(*, include_retired: bool = True) -> Select:
    statement = select(CredentialType).order_by(CredentialType.retired_at.is_not(None), func.lower(CredentialType.name))
    return statement if include_retired else statement.where(CredentialType.retired_at.is_(None))


def active() -> list[CredentialType]:
    return list(db.session.scalars(listed(include_retired=False)))


def add(name: str, issuer: str, actor: Staff) -> CredentialType:
    taken = db.session.scalar(select(CredentialType.id).where(func.lower(CredentialType.name) == name.strip().lower()))
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
