"""Applications sent on the careers page: checked, stored with the résumé (``core.uploads``), confirmed by email
(the outbox), and audited without anything the person wrote. Each application makes a candidate in the posting's
pipeline (``hiring.services.candidates``). HR and the administrator read them; nobody else."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import Select, func, select

from core import audit, mail, uploads
from core.extensions import db
from hiring.models import Application, Candidate, Posting, PostingVersion
from hiring.services import candidates

PURPOSE = "hiring.resume"


@dataclass(frozen=True)
class Sent:
    name: str
    email: str
    phone: str
    answers: list[tuple[str, str]]
    statement: str


def apply(posting: Posting, version: PostingVersion, sent: Sent, resume: uploads.Checked, title: str) -> Application:
    """Store an application for the published ``version`` and queue its confirmation email."""
    upload = uploads.store(resume, PURPOSE)
    application = Application(
        posting_id=posting.id,
        version_number=version.number,
        name=sent.name,
        email=sent.email,
        phone=sent.phone,
        answers=json.dumps(sent.answers, ensure_ascii=False),
        statement=sent.statement,
        resume_id=upload.id,
    )
    db.session.add(application)
    db.session.flush()
    candidates.create_for(application)
    mail.queue(
        sent.email,
        f"We received your application: {title}",
        f"Hello {sent.name},\n\nThank you for applying for {title}. We received your application and your résumé. "
        "Someone from our hiring team will contact you about the next steps.\n\nYou do not need to reply to "
        "this email.\n",
        kind="hiring_application",
    )
    audit.record(
        "hiring.applied", record_type="hiring_application", record_id=application.id, detail=f"posting {posting.id}"
    )
    return application


def for_posting(posting: Posting) -> Select:
    return select(Application).where(Application.posting_id == posting.id).order_by(Application.id.desc())


def count_for(posting: Posting) -> int:
    return db.session.scalar(select(func.count()).where(Application.posting_id == posting.id)) or 0


def candidate_ids(application_ids: list[int]) -> dict[int, int]:
    """The candidate each application made (application id -> candidate id), in one query."""
    if not application_ids:
        return {}
    rows = db.session.execute(
        select(Candidate.application_id, Candidate.id).where(Candidate.application_id.in_(application_ids))
    )
    return dict(rows.all())


def answers_of(application: Application) -> list[tuple[str, str]]:
    return [(question, answer) for question, answer in json.loads(application.answers or "[]")]
