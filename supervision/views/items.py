"""Action items: closing one (the person it is for, or a supervisor above them), and a supervisor's list of the open
items of the people below them, to close several at once; who closed each and when is kept."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as HttpResponse

from core import edits, policy
from core.errors import InvalidInput, Refused, StaleEdit, keep_refusal
from core.extensions import db
from core.pages import paginate
from core.policy import requires
from supervision.blueprint import bp
from supervision.forms import CloseItemForm, CloseItemsForm
from supervision.models import ActionItem
from supervision.services import items as items_service
from supervision.services import sessions
from supervision.views._common import render


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


def _list_page(form: CloseItemsForm, status: int = 200, *, ticked: frozenset[int] = frozenset(),
               stale: list[ActionItem] | None = None, problem: str = "") -> tuple[str, int]:
    return render(
        "supervision/actions.html",
        status,
        page=paginate(items_service.open_below(current_user)),
        form=form,
        ticked=ticked,
        stale=stale or [],
        problem=problem,
    )


@bp.get("/actions")
@requires("supervision.log")
def action_items() -> tuple[str, int]:
    """The open action items of the people below the supervisor, to close several at once."""
    return _list_page(CloseItemsForm(formdata=None))


@bp.post("/actions/close")
@requires("supervision.log")
def close_items() -> HttpResponse | tuple[str, int]:
    form = CloseItemsForm()
    ids = items_service.chosen_ids(request.form.getlist("item"))
    chosen = items_service.load_chosen(ids, current_user) if ids is not None else None
    if chosen is None:  # a number that is not an item of someone below them: as for a missing record
        policy.refuse(current_user, "ActionItem:action.close", ",".join(request.form.getlist("item"))[:200],
                      status=404)
        abort(404)
    ticked = frozenset(item.id for item in chosen)
    if not form.validate_on_submit():
        return _list_page(form, 400, ticked=ticked)
    versions = {item.id: request.form.get(f"version-{item.id}") for item in chosen}
    try:
        items_service.close_several(chosen, versions, form.note.data or "", current_user)
        edits.commit()
    except InvalidInput as error:
        db.session.rollback()
        return _list_page(form, 400, problem=error.problems["item"])
    except items_service.StaleItems as stale:
        db.session.rollback()
        return _list_page(form, 409, ticked=ticked, stale=stale.items)
    except StaleEdit:
        db.session.rollback()
        return _list_page(form, 409, ticked=ticked, stale=list(chosen))
    flash(f"Closed {len(chosen)} action item{'' if len(chosen) == 1 else 's'}. They no longer carry over.",
          "success")
    return redirect(url_for(".action_items"))
