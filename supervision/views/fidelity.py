"""Role fidelity: a peer specialist's own figures, a supervisor's list of their peer specialists (the flagged ones
first on request), one person's chart and table with its CSV, and the agency's threshold (HR, the administrator)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from core import audit, edits, policy, settings
from core.csvfiles import csv_response
from core.errors import StaleEdit
from core.extensions import db
from core.forms import FlaskForm, VersionField
from core.models import Staff
from core.pages import paginate
from core.policy import requires
from core.timeutil import today
from supervision.blueprint import bp
from supervision.services import fidelity

ACTION = "supervision.fidelity"


class FidelitySettingsForm(FlaskForm):
    """The agency's role-fidelity threshold (input shape only; kept beside its one view)."""

    threshold = IntegerField(
        "Flag a month when peer work is under this percentage of the time recorded",
        validators=[
            InputRequired("Enter a whole percentage from 1 to 100."),
            NumberRange(min=1, max=100, message="Enter a whole percentage from 1 to 100."),
        ],
    )
    version = VersionField()


def _render(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(template, **context), status


@bp.get("/fidelity")
@requires(ACTION)
def fidelity_index() -> tuple[str, int] | Response:
    """A supervisor's peer specialists with their last full month; a peer specialist who supervises nobody goes
    straight to their own figures."""
    user = current_user._get_current_object()
    is_supervisor = user.has_role("supervisor")
    if not is_supervisor:
        return redirect(url_for("supervision.fidelity_person", staff_id=user.id))
    only_flagged = request.args.get("show") == "flagged"
    months = fidelity.window(2)
    page = paginate(fidelity.flagged_query(user) if only_flagged else fidelity.peers_query(user))
    rows = fidelity.overview(user, list(page.items), months)
    return _render("supervision/fidelity_index.html", rows=rows, page=page, only_flagged=only_flagged,
                   limit=fidelity.threshold(), last_month=fidelity.month_words(months[0]),
                   this_month=fidelity.month_words(months[1]), own=user.has_role("peer"))


@bp.get("/fidelity/peers.csv")
@requires(ACTION)
def fidelity_peers_csv() -> Response:
    """The supervisor's peer specialists, a row per person and month (the last 12), for their own records."""
    user = current_user._get_current_object()
    people = list(db.session.scalars(fidelity.peers_query(user)))
    rows = fidelity.overview(user, people)
    audit.record("fidelity.exported", actor=user, record_type="staff", record_id=user.id,
                 detail=f"role fidelity of {len(rows)} peer specialists")
    db.session.commit()
    return csv_response(fidelity.list_csv_rows(rows), f"role-fidelity-{today():%Y-%m-%d}.csv")


def _person(staff_id: int) -> Staff:
    return policy.load(current_user, ACTION, Staff, staff_id)


def _read_by_someone_else(person: Staff, what: str) -> None:
    if person.id != current_user.id:
        audit.record(what, actor=current_user, record_type="staff", record_id=person.id, detail="role fidelity")
        db.session.commit()


@bp.get("/fidelity/<int:staff_id>")
@requires(ACTION)
def fidelity_person(staff_id: int) -> tuple[str, int]:
    person = _person(staff_id)
    _read_by_someone_else(person, "fidelity.viewed")
    user = current_user._get_current_object()
    months = fidelity.window()
    figures = fidelity.monthly(user, [person.id], months)[person.id]
    kinds = fidelity.kind_rows(user, person.id, months)
    limit = fidelity.threshold()
    row = fidelity.PeerRow(person, figures, limit)
    return _render("supervision/fidelity_person.html", person=person, months=figures, kinds=kinds, limit=limit,
                   row=row, own=person.id == user.id, today=today())


@bp.get("/fidelity/<int:staff_id>/table.csv")
@requires(ACTION)
def fidelity_csv(staff_id: int) -> Response:
    person = _person(staff_id)
    user = current_user._get_current_object()
    months = fidelity.window()
    figures = fidelity.monthly(user, [person.id], months)[person.id]
    kinds = fidelity.kind_rows(user, person.id, months)
    audit.record("fidelity.exported", actor=user, record_type="staff", record_id=person.id,
                 detail="role fidelity CSV")
    db.session.commit()
    rows = fidelity.csv_rows(person, figures, kinds, fidelity.threshold())
    return csv_response(rows, f"role-fidelity-{person.id}-{months[-1]:%Y-%m}.csv")


@bp.route("/fidelity/settings", methods=["GET", "POST"])
@requires("supervision.fidelity_settings")
def fidelity_settings() -> Response | tuple[str, int]:
    form = FidelitySettingsForm()
    keys = (fidelity.THRESHOLD_KEY,)
    if not form.is_submitted():
        form.threshold.data = fidelity.threshold()
        form.version.data = settings.snapshot(keys)
    if form.validate_on_submit():
        value = fidelity.check_threshold(form.threshold.data)
        try:
            changed = settings.put_all({fidelity.THRESHOLD_KEY: str(value)}, loaded=form.version.data or "")
            if changed:
                audit.record("setting.changed", actor=current_user, record_type="setting",
                             record_id="supervision", detail=f"role fidelity threshold {value}%")
            edits.commit()
        except StaleEdit:
            db.session.rollback()
            form.version.data = settings.snapshot(keys)
            return _render("supervision/fidelity_settings.html", 409, form=form, conflict=edits.STALE_MESSAGE,
                           now_threshold=f"{fidelity.threshold()}%")
        flash("The role fidelity threshold is saved.", "success")
        return redirect(url_for("supervision.fidelity_settings"))
    return _render("supervision/fidelity_settings.html", 400 if form.errors else 200, form=form)
