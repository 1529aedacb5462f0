"""Training's front page: the signed-in person's own certifications and CE progress, and the way to what their
roles add (approving CE, the expiry dashboard, people's records, the credentials' rules)."""

from __future__ import annotations

from flask_login import current_user
from sqlalchemy import func, select

from core import policy
from core.extensions import db
from core.policy import requires
from training.blueprint import bp
from training.models import CeEntry
from training.services import certifications, orientation
from training.views._common import render


@bp.get("/")
@requires("training.view")
def index() -> tuple[str, int]:
    waiting = 0
    if policy.can(current_user, "training.review"):
        waiting = (
            db.session.scalar(
                policy.scope(select(func.count()).select_from(CeEntry), current_user, "ce.review", CeEntry).where(
                    CeEntry.status == "submitted"
                )
            )
            or 0
        )
    return render(
        "training/index.html",
        person=current_user,
        summaries=certifications.summaries(current_user.id),
        waiting=waiting,
        own=True,
        orientation_summary=_orientation_summary(current_user.id),
    )


def _orientation_summary(staff_id: int) -> orientation.Summary | None:
    found = orientation.current_of(staff_id)
    return orientation.summary(found) if found else None
