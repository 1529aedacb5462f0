"""The audit pack of one person's cycle: what a board's audit asks for. One PDF (the credential, the rules, CE by
category with the totals against the rule, every approved course in the cycle and the certificate each came with)
and a ZIP holding that PDF beside every certificate, numbered as the PDF lists them.

The PDF goes through ``core.pdf`` (nothing fetched); the certificates are copied into the ZIP as they were sent,
under safe names. The ZIP is built in a spooled temporary file, so a cycle of large scans does not sit in memory.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from dataclasses import dataclass
from typing import IO

from flask import render_template
from sqlalchemy import select

from core import credentials, pdf, settings, timeutil
from core.extensions import db
from core.models import CredentialType, Upload
from training.models import CeEntry, Certification, Cycle, EntryStatus
from training.services import ce, progress
from training.services.status import status_of

SPOOL_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Attachment:
    number: int
    entry: CeEntry
    upload: Upload | None  # without its bytes
    counted: bool

    @property
    def name(self) -> str:
        if self.upload is None:
            return ""
        title = re.sub(r"[^A-Za-z0-9]+", "-", self.entry.title).strip("-")[:40] or "course"
        ending = self.upload.filename.rsplit(".", 1)[-1]
        return f"{self.number:02d}-{self.entry.taken_on.isoformat()}-{title}.{ending}"


def attachments(cycle: Cycle) -> list[Attachment]:
    """The approved courses dated in ``cycle``, oldest first, each with its certificate (not its bytes)."""
    entries = db.session.scalars(
        ce.in_cycle(cycle)
        .where(CeEntry.status == EntryStatus.APPROVED)
        .order_by(None)
        .order_by(CeEntry.taken_on, CeEntry.id)
    ).all()
    repeated = ce.repeated_in(cycle)
    return [
        Attachment(number, entry, entry.evidence, entry.id not in repeated)
        for number, entry in enumerate(entries, start=1)
    ]


def file_stem(certification: Certification, cycle: Cycle) -> str:
    person = re.sub(r"[^A-Za-z0-9]+", "-", certification.staff.name).strip("-") or "person"
    return f"audit-pack-{person}-cycle-{cycle.number}-{cycle.starts_on.year}"


def render(certification: Certification, cycle: Cycle, base_url: str) -> bytes:
    credential: CredentialType = certification.credential_type
    listed = attachments(cycle)
    html = render_template(
        "pdf/training_audit_pack.html",
        certification=certification,
        person=certification.staff,
        credential=credential,
        cycle=cycle,
        status=status_of(certification),
        rules=credentials.rules_of(credential),
        progress=progress.progress_of(cycle, credential),
        attachments=listed,
        agency=settings.get("agency_name"),
        hours_text=credentials.hours_text,
        hours_number=credentials.hours_number,
        long_date=timeutil.long_date,
        today=timeutil.today(),
    )
    return pdf.render_pdf(html, base_url=base_url)


def bundle(certification: Certification, cycle: Cycle, base_url: str) -> IO[bytes]:
    """A ZIP with the PDF and every certificate it lists, rewound to its start."""
    listed = attachments(cycle)
    document = render(certification, cycle, base_url)
    ids = [item.upload.id for item in listed if item.upload is not None]
    contents = dict(db.session.execute(select(Upload.id, Upload.data).where(Upload.id.in_(ids))).all()) if ids else {}
    spooled = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - handed to the response
    with zipfile.ZipFile(spooled, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{file_stem(certification, cycle)}.pdf", document)
        for item in listed:
            if item.upload is not None and item.upload.id in contents:
                archive.writestr(f"certificates/{item.name}", contents[item.upload.id])
    spooled.seek(0)
    return spooled
