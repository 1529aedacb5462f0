"""Test data for training: credentials with rules, certifications with their first cycle, CE entries."""

from __future__ import annotations

import io
from datetime import date

from werkzeug.datastructures import FileStorage

from core import credentials, uploads
from core.credentials import RuleDetails
from core.extensions import db
from core.models import CredentialType, Staff
from training.models import CeEntry, Certification, EntryStatus
from training.services import ce, certifications, progress
from training.services.certifications import CertificationDetails

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40


def make_credential(
    name: str = "Certified Peer Specialist",
    *,
    cycle_months: int | None = 24,
    hours: float = 36,
    grace_days: int = 0,
    minimums: dict[str, float] | None = None,
    maximums: dict[str, float] | None = None,
    max_online: float | None = None,
    max_self_paced: float | None = None,
    provisional_months: int | None = None,
) -> CredentialType:
    def qh(value: float | None) -> int | None:
        return None if value is None else round(value * 4)

    categories: dict[str, tuple[int, int | None]] = {}
    for category, low in (minimums or {}).items():
        categories[category] = (qh(low) or 0, None)
    for category, high in (maximums or {}).items():
        categories[category] = (categories.get(category, (0, None))[0], qh(high))
    credential = CredentialType(name=name)
    credentials._apply(  # noqa: SLF001 - the same filling HR's form uses, without a version check
        credential,
        RuleDetails(
            name=name,
            abbreviation="CPS",
            issuer="State board",
            state="CT",
            cycle_months=cycle_months,
            ce_qh=qh(hours) or 0,
            grace_days=grace_days,
            max_online_qh=qh(max_online),
            max_self_paced_qh=qh(max_self_paced),
            provisional_months=provisional_months,
            provisional_supervised_hours=250 if provisional_months else None,
            categories=categories,
            check_with_board=False,
            rules_note="",
        ),
    )
    db.session.add(credential)
    db.session.flush()
    return credential


def certify(
    staff: Staff,
    credential: CredentialType,
    issued_on: date,
    expires_on: date | None = None,
    *,
    provisional: bool = False,
    actor: Staff | None = None,
) -> Certification:
    return certifications.add(
        staff,
        CertificationDetails(credential.id, "N-1", issued_on, expires_on, provisional),
        actor or staff,
    )


def sent(data: bytes = PDF_BYTES, name: str = "certificate.pdf") -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name)


def details(**fields: object) -> ce.EntryDetails:
    values: dict[str, object] = {
        "title": "Ethics in peer support",
        "provider": "State peer network",
        "approval_number": "",
        "taken_on": date(2026, 3, 1),
        "quarter_hours": 8,
        "category": "ethics",
        "format": "in_person",
    }
    values.update(fields)
    return ce.EntryDetails(**values)  # type: ignore[arg-type]


def log(certification: Certification, person: Staff, **fields: object) -> CeEntry:
    checked = uploads.check(sent(), allowed=ce.EVIDENCE_KINDS, field="certificate")
    return ce.log(certification, details(**fields), checked, person)


def approved(certification: Certification, person: Staff, **fields: object) -> CeEntry:
    """An entry logged and approved (without a supervisor: test data only)."""
    entry = log(certification, person, **fields)
    entry.status = EntryStatus.APPROVED
    db.session.flush()
    progress.refresh(progress.Cycle.certification_id == certification.id)
    return entry
