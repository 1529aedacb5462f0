"""Action items: closing one (the person it is for, or a supervisor above them); who closed it and when is kept."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as HttpResponse

from core import policy
from core.errors import Refused, keep_refusal
from core.extensions import db
from core.policy import requires
from supervision.blueprint import bp
from supervision.forms import CloseItemForm
from supervision.models import ActionItem
from supervision.services import sessions


def _back(item: ActionItem) -> str:
    """Back to where the button was: the session page or the prep sheet (only this app's own paths)."""
    wanted = request.form.get("back", "")
    if wanted.startswith("/supervision/") and "//" not in wanted and "\\" not in wanted:
        return wanted
    return url_for(".session", meeting_id=item.meeting_id)


@bp.post("/actions/<int:action_item_id>/close")
@requires("supervision.view")
def close_item(action_item_id: int) -> HttpResponse:
    item = db.get_or_404(ActionItem, action_item_id)
    policy.authorize(current_user, "action.close", item, conceal=True)
    form = CloseItemForm()
    if not form.validate_on_submit():
        flash("The note could not be saved: " + " ".join(form.note.errors or ["send the form again."]), "error")
        return redirect(_back(item))
    try:
        sessions.close_item(item, form.note.data or "", current_user)
        db.session.commit()
    except Refused as refusal:
        keep_refusal(refusal, current_user)
        flash(str(refusal), "error")
        return redirect(_back(item))
    flash("Closed. It no longer carries over to the next session.", "success")
    return redirect(_back(item))
