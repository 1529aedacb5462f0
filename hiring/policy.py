"""Hiring's record rules and list scopes, as tables that ``register`` hands to the one policy module (core.policy).

HR and the administrator build, approve and publish postings. Anyone, signed in or not, may read a posting that is
published and not closed, and only the version that was published; the SQL condition for the careers page is the
same one the posting page checks, so the list and the page can never disagree.

Candidates are personal data: HR and the administrator read every candidate, a posting's interview panel reads
that posting's candidates (and their résumés), and nobody else reads any. The record rule runs the very SQL
condition the lists use (``_candidate_readers``), so a candidate's page and the lists can never disagree. Anyone
else gets "not found", exactly as for a candidate that does not exist.

Scores are blind (``_score_readers``): an interviewer sees the panel's scores of a candidate only once their own
scorecard for that candidate is submitted; HR and the administrator who are not on the panel see the submitted
ones; a draft is nobody's but its interviewer's. Every read of scores (summaries, means in the lists and the CSV)
runs under that one condition.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select, true
from sqlalchemy.orm import aliased

from core import policy, uploads
from core.extensions import db
from core.models import Role, Upload
from core.policy import RecordRule, ScopeRule
from hiring.models import (
    Application,
    Candidate,
    Panel,
    PanelMember,
    Posting,
    PostingStatus,
    Score,
    Scorecard,
    Template,
)
from hiring.services.applications import PURPOSE

BUILDERS = (Role.HR, Role.ADMIN)


def _builder(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.has_role(*BUILDERS)


def _may_build(user: Any, _record: object) -> bool:
    return _builder(user)


def _builders_see_all(user: Any) -> ColumnElement[bool]:
    return true() if _builder(user) else false()


def _open_to_everyone(_user: Any) -> ColumnElement[bool]:
    return and_(Posting.published_number.is_not(None), Posting.status != PostingStatus.CLOSED)


def _may_read_public(user: Any, posting: Posting) -> bool:
    return db.session.scalar(select(Posting.id).where(Posting.id == posting.id, _open_to_everyone(user))) is not None


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def panel_postings(user: Any) -> Select:
    """The ids of the postings whose interview panel ``user`` is on, as a subquery."""
    return (
        select(Panel.posting_id)
        .join(PanelMember, PanelMember.panel_id == Panel.id)
        .where(PanelMember.staff_id == user.id)
    )


def _candidate_readers(user: Any) -> ColumnElement[bool]:
    """The candidates ``user`` may read, as SQL: every one for HR and the administrator, those of their panels'
    postings for an interviewer, none for anyone else."""
    if _builder(user):
        return true()
    if not _signed_in(user):
        return false()
    return Candidate.posting_id.in_(panel_postings(user))


def _candidates_to_score(user: Any) -> ColumnElement[bool]:
    """The candidates of the postings whose panel ``user`` is on (HR too: only where they interview)."""
    return Candidate.posting_id.in_(panel_postings(user)) if _signed_in(user) else false()


def _may_score(user: Any, candidate: Candidate) -> bool:
    found = select(Candidate.id).where(Candidate.id == candidate.id, _candidates_to_score(user))
    return db.session.scalar(found) is not None


# The reader's own scorecard beside the one a score is on. Made once: aliasing the table again for every read of
# scores cost more than the rest of the list page's score query.
_OWN = aliased(Scorecard, name="own_scorecard")


def _score_readers(user: Any) -> ColumnElement[bool]:
    """The scores ``user`` may see, as SQL over ``Score`` joined to its ``Scorecard``: submitted scorecards only,
    and for a candidate of a posting whose panel ``user`` is on, only once ``user``'s own scorecard for that
    candidate is submitted."""
    if not _signed_in(user):
        return false()
    mine = _OWN
    own_submitted = exists().where(
        mine.candidate_id == Scorecard.candidate_id,
        mine.interviewer_id == user.id,
        mine.submitted_at.is_not(None),
    )
    submitted = Scorecard.submitted_at.is_not(None)
    if _builder(user):
        on_panel = Scorecard.candidate_id.in_(
            select(Candidate.id).where(Candidate.posting_id.in_(panel_postings(user)))
        )
        return and_(submitted, or_(~on_panel, own_submitted))
    return and_(submitted, own_submitted)


def may_read_resume(user: Any, upload: Upload) -> bool:
    """A résumé is read by HR and the administrator, and by the panel of the posting it was sent to."""
    if upload.purpose != PURPOSE or not _signed_in(user):
        return False
    if _builder(user):
        return True
    found = select(Application.id).where(
        Application.resume_id == upload.id, Application.posting_id.in_(panel_postings(user))
    )
    return db.session.scalar(found) is not None


def _may_read_candidate(user: Any, candidate: Candidate) -> bool:
    found = select(Candidate.id).where(Candidate.id == candidate.id, _candidate_readers(user))
    return db.session.scalar(found) is not None


def _may_manage_candidate(user: Any, candidate: Candidate) -> bool:
    return _builder(user)


RECORD_RULES: dict[tuple[type, str], RecordRule] = {
    (Posting, "posting.edit"): _may_build,
    (Posting, "posting.public"): _may_read_public,
    (Template, "template.edit"): _may_build,
    (Application, "application.read"): _may_build,
    (Candidate, "candidate.read"): _may_read_candidate,
    (Candidate, "candidate.manage"): _may_manage_candidate,
    (Candidate, "candidate.score"): _may_score,
}

UPLOAD_READERS: dict[str, uploads.Reader] = {PURPOSE: may_read_resume}

SCOPE_RULES: dict[tuple[type, str], ScopeRule] = {
    (Posting, "posting.list"): _builders_see_all,
    (Posting, "posting.public"): _open_to_everyone,
    (Candidate, "candidate.list"): _candidate_readers,
    (Candidate, "candidate.to_score"): _candidates_to_score,
    (Score, "score.read"): _score_readers,
}


def register() -> None:
    policy.add_record_rules(RECORD_RULES)
    policy.add_scope_rules(SCOPE_RULES)
    uploads.add_readers(UPLOAD_READERS)
