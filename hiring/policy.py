"""Hiring's record rules and list scopes, as tables that ``register`` hands to the one policy module (core.policy).

HR and the administrator build, approve and publish postings. Anyone, signed in or not, may read a posting that is
published and not closed, and only the version that was published; the SQL condition for the careers page is the
same one the posting page checks, so the list and the page can never disagree.

Candidates are personal data: HR and the administrator read every candidate; nobody else does (the posting's
interview panel is added with the panels). The record rule runs the very SQL condition the lists use
(``_candidate_readers``), so a candidate's page and the board or list can never disagree. Anyone else gets "not
found", exactly as for a candidate that does not exist.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, false, select, true

from core import policy, uploads
from core.extensions import db
from core.models import Role
from core.policy import RecordRule, ScopeRule
from hiring.models import Application, Candidate, Posting, PostingStatus, Template
from hiring.services.applications import PURPOSE, may_read_resume

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


def _candidate_readers(user: Any) -> ColumnElement[bool]:
    """The candidates ``user`` may read, as SQL: every one for HR and the administrator, none for anyone else."""
    return true() if _builder(user) else false()


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
}

UPLOAD_READERS: dict[str, uploads.Reader] = {PURPOSE: may_read_resume}

SCOPE_RULES: dict[tuple[type, str], ScopeRule] = {
    (Posting, "posting.list"): _builders_see_all,
    (Posting, "posting.public"): _open_to_everyone,
    (Candidate, "candidate.list"): _candidate_readers,
}


def register() -> None:
    policy.add_record_rules(RECORD_RULES)
    policy.add_scope_rules(SCOPE_RULES)
    uploads.add_readers(UPLOAD_READERS)
