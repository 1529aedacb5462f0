"""Readiness record rules, as a table that ``register`` hands to the one policy module (core.policy)."""

from __future__ import annotations

from core import policy
from core.models import Staff
from readiness.models import Invitation


def own_invitation(user: Staff, invitation: Invitation) -> bool:
    """An invitation is answered by the person it was made for, and by nobody else."""
    return invitation.staff_id == user.id


RECORD_RULES: dict[tuple[type, str], policy.RecordRule] = {
    (Invitation, "invitation.answer"): own_invitation,
}


def register() -> None:
    policy.add_record_rules(RECORD_RULES)
