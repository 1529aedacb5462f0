"""Readiness record rules, registered with the one policy module (core.policy)."""

from __future__ import annotations

from core.models import Staff
from core.policy import rule
from readiness.models import Invitation


@rule(Invitation, "invitation.answer")
def _own_invitation(user: Staff, invitation: Invitation) -> bool:
    """An invitation is answered by the person it was made for, and by nobody else."""
    return invitation.staff_id == user.id
