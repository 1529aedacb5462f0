"""The email outbox: what is waiting, sent or given up on (never a message's body)."""

from __future__ import annotations

from flask import current_app, render_template, request

from core import mail
from core.admin.blueprint import bp
from core.pages import paginate
from core.policy import requires


@bp.get("/outbox")
@requires("admin.outbox")
def outbox() -> str:
    state = request.args.get("state", "")
    states = dict(mail.OutboxState.choices())
    if state not in states:
        state = ""
    page = paginate(mail.outbox_query(state))
    return render_template(
        "admin/outbox.html",
        page=page,
        state=state,
        states=states,
        smtp_ready=bool(current_app.config["SMTP_HOST"]),
        max_attempts=mail.MAX_ATTEMPTS,
    )
