"""Hiring's record rules and list scopes, as tables that ``register`` hands to the one policy module (core.policy).

HR and the administrator build, approve and publish postings. Anyone, signed in or not, may read a posting that is
published and not closed, and only the version that was published; the SQL condition for the careers page is the
same one the posting page checks, so the list and the page can never disagree.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, false, select, true

from core import policy, uploads
from core.extensions import db
from core.models import Role
from core.policy import RecordRule, ScopeRule
from hiring.models import Application, Posting, PostingStatus, Template
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


RECORD_RULES: dict[tuple[type, str], RecordRule] = {
    (Posting, "posting.edit"): _may_build,
    (Posting, "posting.public"): _may_read_public,
    (Template, "template.edit"): _may_build,
    (Application, "application.read"): _may_build,
}

UPLOAD_READERS: dict[str, uploads.Reader] = {PURPOSE: may_read_resume}

SCOPE_RULES: dict[tuple[type, str], ScopeRule] = {
    (Posting, "posting.list"): _builders_see_all,
    (Posting, "posting.public"): _open_to_everyone,
}


def register() -> None:
    policy.add_record_rules(RECORD_RULES)
    policy.add_scope_rules(SCOPE_RULES)
    uploads.add_readers(UPLOAD_READERS)
