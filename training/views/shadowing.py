"""The shadowing log: recording one's own, reading a person's, and a supervisor's comment."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as HttpResponse

from core import edits, policy
from core.errors import InvalidInput, Refused, StaleEdit, keep_refusal
from core.extensions import db
from core.models import Staff
from core.pages import paginate
from core.policy import requires
from training.blueprint import bp
from training.forms import CommentForm, ShadowingForm, quarter_hours
from training.models import ShadowingEntry
from training.services import access, shadowing
from training.views._common import audit_read, load_person, render, show_problems


@bp.route("/shadowing/new", methods=["GET", "POST"])
@requires("training.view")
def shadowing_new() -> HttpResponse | tuple[str, int]:
    form = ShadowingForm()
    if form.validate_on_submit():
        details = shadowing.ShadowingDetails(
            kind=form.kind.data or "",
            shadowed=form.shadowed.data or "",
            happened_on=form.happened_on.data,
            quarter_hours=quarter_hours(form.hours) or 0,
            reflection=form.reflection.data or "",
        )
        try:
            shadowing.record(details, current_user)
            db.session.commit()
        except InvalidInput as error:
            db.session.rollback()
            show_problems(form, error.problems)
        else:
            flash("Recorded. Your supervisor can read it and comment.", "success")
            return redirect(url_for(".shadowing_log", staff_id=current_user.id))
    return render("training/shadowing_form.html", 400 if form.errors else 200, form=form)


@bp.get("/people/<int:staff_id>/shadowing")
@requires("training.view")
def shadowing_log(staff_id: int) -> tuple[str, int]:
    person = load_person(staff_id)
    audit_read(person.id, "shadowing", "core_staff", person.id)
    db.session.commit()
    return _log_page(person)


def _log_page(
    person: Staff, status: int = 200, kept: CommentForm | None = None, kept_id: int = 0, conflict: str = ""
) -> tuple[str, int]:
    """The log, with the comment form of entry ``kept_id`` as the person sent it (``kept``) when it comes back."""
    page = paginate(shadowing.of_person(person.id))
    may_comment = access.may_review_person(current_user, person.id)
    forms = {}
    if may_comment:
        for e in page.items:
            forms[e.id] = (
                kept
                if kept is not None and e.id == kept_id
                else CommentForm(
                    formdata=None, data={"version": e.version, "comment": e.supervisor_comment}, prefix=f"e{e.id}"
                )
            )
    return render(
        "training/shadowing.html",
        status,
        person=person,
        page=page,
        own=person.id == current_user.id,
        may_comment=may_comment,
        forms=forms,
        conflict=conflict,
        conflict_id=kept_id,
    )


@bp.post("/shadowing/<int:shadowing_id>/comment")
@requires("training.review")
def shadowing_comment(shadowing_id: int) -> HttpResponse | tuple[str, int]:
    entry = db.get_or_404(ShadowingEntry, shadowing_id)
    policy.authorize(current_user, "shadowing.view", entry, conceal=True)
    form = CommentForm(prefix=f"e{entry.id}")
    person = db.session.get_one(Staff, entry.staff_id)
    if not form.validate_on_submit():
        return _log_page(person, 400, form, entry.id)
    try:
        shadowing.comment(entry, form.comment.data or "", form.version.data, current_user)
        edits.commit()
    except StaleEdit:
        db.session.rollback()
        entry = db.get_or_404(ShadowingEntry, shadowing_id)
        form.version.data = str(entry.version)
        return _log_page(person, 409, form, entry.id, edits.STALE_MESSAGE)
    except Refused as refusal:
        keep_refusal(refusal, current_user)
        flash(str(refusal), "error")
    else:
        flash("Your comment is saved.", "success")
    return redirect(url_for(".shadowing_log", staff_id=entry.staff_id) + f"#shadowing-{entry.id}")
