"""The supervision page: what is waiting for the signed-in person (records to sign off, action items), their own
hours, and for a supervisor the people they supervise, each with a prep sheet."""

from __future__ import annotations

from flask_login import current_user

from core.models import Role
from core.policy import requires
from supervision.blueprint import bp
from supervision.services import access, hours, sessions
from supervision.views._common import render

OWN_MONTHS = 6


@bp.get("/")
@requires("supervision.view")
def index() -> tuple[str, int]:
    supervising = sessions.supervisees(current_user) if access.is_supervisor(current_user) else []
    months = hours.last_months(OWN_MONTHS)
    own = hours.rows_for([current_user], months) if current_user.has_role(Role.PEER) else []
    return render(
        "supervision/index.html",
        waiting=sessions.waiting_for(current_user.id),
        items=sessions.open_items([current_user.id]),
        own=own[0] if own else None,
        supervising=supervising,
        months=months,
    )
