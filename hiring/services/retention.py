"""Keeping candidates' data for a set time. When a posting has been closed for longer than the agency keeps
candidates (``hiring_retention_months``, 12 unless the administrator sets another at ``/admin/settings``), its
candidates go: their applications, résumés (``core_upload``), history, scorecards and scores, and the confirmation
emails sent to them (unless the same address has an application that is kept). What stays is the
posting itself and, for a hire, which posting filled which staff member's role (``hiring_hire``, the staff member
being staff now). ``flask --app wsgi hiring purge-candidates`` does it; a scheduler runs it daily. The audit log
keeps how many were removed, never who.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, delete, func, select, update

from core import audit, settings, timeutil
from core.extensions import db
from core.models import OutboxEmail, Upload
from hiring.models import (
    Application,
    Candidate,
    CandidateEvent,
    Hire,
    Posting,
    PostingStatus,
    Score,
    Scorecard,
)

SETTING = "hiring_retention_months"
APPLICATION_EMAIL = "hiring_application"  # the outbox's kind of an application's confirmation email
LONGEST = 120  # months the setting may say (ten years)


@dataclass(frozen=True)
class Purged:
    postings: int
    candidates: int
    files: int
    scorecards: int
    emails: int = 0


def months() -> int:
    raw = settings.get(SETTING)
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= LONGEST else int(settings.DEFAULTS[SETTING])


def months_before(moment: datetime, count: int) -> datetime:
    """``moment`` ``count`` calendar months earlier (the 31st becomes the month's last day when it has fewer)."""
    month_index = moment.year * 12 + moment.month - 1 - count
    year, month = divmod(month_index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def cutoff() -> datetime:
    """Postings closed before this moment (UTC) have had their candidates kept long enough."""
    return months_before(timeutil.utcnow(), months())


def expired_postings() -> Select:
    return select(Posting.id).where(Posting.status == PostingStatus.CLOSED, Posting.closed_at < cutoff())


def purge() -> Purged:
    """Remove the candidates of postings closed longer ago than the retention period, and audit how many."""
    posting_ids = list(db.session.scalars(expired_postings()))
    candidate_ids = (
        list(db.session.scalars(select(Candidate.id).where(Candidate.posting_id.in_(posting_ids))))
        if posting_ids
        else []
    )
    if not candidate_ids:
        return Purged(0, 0, 0, 0)
    application_ids = list(db.session.scalars(select(Candidate.application_id).where(Candidate.id.in_(candidate_ids))))
    upload_ids = list(db.session.scalars(select(Application.resume_id).where(Application.id.in_(application_ids))))
    addresses = set(db.session.scalars(select(Application.email).where(Application.id.in_(application_ids))))
    addresses -= set(
        db.session.scalars(
            select(Application.email).where(Application.email.in_(addresses), Application.id.not_in(application_ids))
        )
    )
    card_ids = list(db.session.scalars(select(Scorecard.id).where(Scorecard.candidate_id.in_(candidate_ids))))
    with_candidates = len(
        set(db.session.scalars(select(Candidate.posting_id).where(Candidate.id.in_(candidate_ids)).distinct()))
    )
    # Children first, so the order works with or without the database's cascades.
    if card_ids:
        db.session.execute(delete(Score).where(Score.scorecard_id.in_(card_ids)))
        db.session.execute(delete(Scorecard).where(Scorecard.id.in_(card_ids)))
    db.session.execute(delete(CandidateEvent).where(CandidateEvent.candidate_id.in_(candidate_ids)))
    db.session.execute(update(Hire).where(Hire.candidate_id.in_(candidate_ids)).values(candidate_id=None))
    db.session.execute(delete(Candidate).where(Candidate.id.in_(candidate_ids)))
    db.session.execute(delete(Application).where(Application.id.in_(application_ids)))
    db.session.execute(delete(Upload).where(Upload.id.in_(upload_ids)))
    emails = (
        db.session.execute(
            delete(OutboxEmail).where(OutboxEmail.kind == APPLICATION_EMAIL, OutboxEmail.to_address.in_(addresses))
        ).rowcount
        if addresses
        else 0
    )
    db.session.flush()
    done = Purged(with_candidates, len(candidate_ids), len(upload_ids), len(card_ids), emails or 0)
    audit.record(
        "hiring.candidates_purged",
        record_type="hiring_posting",
        detail=(
            f"{done.candidates} candidates, {done.files} files, {done.scorecards} scorecards, {done.emails} emails "
            f"from {done.postings} postings closed before {cutoff():%Y-%m-%d} ({months()} months)"
        ),
    )
    return done


def pending() -> int:
    """How many candidates the next purge would remove (for the settings page)."""
    return (
        db.session.scalar(
            select(func.count()).select_from(Candidate).where(Candidate.posting_id.in_(expired_postings()))
        )
        or 0
    )
