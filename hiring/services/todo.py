"""Hiring's line on the home page's to-do list (``core.todo``): candidates waiting for the person's scores."""

from __future__ import annotations

from flask import url_for
from sqlalchemy import exists, func, not_, select

from core import policy, todo
from core.extensions import db
from core.models import Staff
from hiring.models import Candidate, Scorecard
from hiring.services.panels import SCORING_STAGES


def items(user: Staff) -> list[todo.Item]:
    """Candidates at interview or offer, on a panel the person sits on, without their submitted scorecard: one
    query, through the same list scope as the interviewer's list."""
    if not policy.can(user, "hiring.interview"):
        return []
    submitted = exists().where(Scorecard.candidate_id == Candidate.id, Scorecard.interviewer_id == user.id,
                               Scorecard.submitted_at.is_not(None))
    statement = select(func.count(Candidate.id)).where(Candidate.stage.in_(SCORING_STAGES), not_(submitted))
    count = db.session.scalar(policy.scope(statement, user, "candidate.to_score", Candidate)) or 0
    if not count:
        return []
    return [todo.Item(f"{todo.plural(count, 'candidate')} to score", url_for("hiring.interviews"),
                      todo.Urgency.SOON, "Interviews", count)]
