"""Orientation: a person's checklist with its sign-offs, the supervisor's (and HR's) list of what is overdue, HR
starting one by hand, and the template HR keeps."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as HttpResponse

from core import edits, policy
from core.errors import InvalidInput, Refused, StaleEdit, keep_refusal
from core.extensions import db
from core.models import Staff
from core.pages import paginate
from core.policy import requires
from training.blueprint import bp
from training.forms import SignForm, TemplateItemForm
from training.models import Orientation, OrientationItem
from training.services import access, orientation
from training.views._common import audit_read, load_person, render


@bp.get("/people/<int:staff_id>/orientation")
@requires("training.view")
def orientation_checklist(staff_id: int) -> tuple[str, int]:
    person = load_person(staff_id)
    audit_read(person.id, "orientation", "core_staff", person.id)
    db.session.commit()
    found = orientation.current_of(person.id)
    items = orientation.items_of(found) if found else []
    return render(
        "training/orientation.html",
        person=person,
        orientation=found,
        items=items,
        own=person.id == current_user.id,
        may_sign_for_supervisor=access.may_review_person(current_user, person.id),
        sign_forms={item.id: SignForm(formdata=None, data={"version": item.version}) for item in items},
    )


@bp.post("/orientation/items/<int:orientation_item_id>/sign")
@requires("training.view")
def orientation_sign(orientation_item_id: int) -> HttpResponse:
    item = db.get_or_404(OrientationItem, orientation_item_id)
    policy.authorize(current_user, "orientation.view", item, conceal=True)
    staff_id = db.session.get_one(Orientation, item.orientation_id).staff_id
    form = SignForm()
    if form.validate_on_submit():
        try:
            side = orientation.sign(item, form.version.data, current_user)
            edits.commit()
        except StaleEdit:
            db.session.rollback()
            flash("Someone signed this item while you were reading it. Check it again.", "error")
        except Refused as refusal:
            keep_refusal(refusal, current_user)
            flash(str(refusal), "error")
        else:
            flash("Signed." if side == "staff" else "Signed as supervisor.", "success")
    return redirect(url_for(".orientation_checklist", staff_id=staff_id) + f"#item-{orientation_item_id}")


@bp.post("/people/<int:staff_id>/orientation/start")
@requires("training.records")
def orientation_start(staff_id: int) -> HttpResponse:
    person = load_person(staff_id)
    orientation.assign(person, current_user)
    db.session.commit()
    flash(f"The orientation of {person.name} has started today.", "success")
    return redirect(url_for(".orientation_checklist", staff_id=person.id))


@bp.get("/orientation")
@requires("training.dashboard")
def orientation_overview() -> tuple[str, int]:
    condition = orientation.visible(current_user)
    overdue_page = paginate(orientation.overdue(condition), page_arg="page")
    open_list = db.session.scalars(orientation.open_orientations(condition).limit(50)).all()
    return render(
        "training/orientation_overview.html",
        overdue=overdue_page,
        open_list=open_list,
        staff_names=_names(overdue_page.items),
    )


def _names(items: list) -> dict[int, str]:
    ids = {row.orientation_id for row in items}
    found = (
        db.session.execute(
            db.select(Orientation.id, Staff.name)
            .join(Staff, Staff.id == Orientation.staff_id)
            .where(Orientation.id.in_(ids))
        ).all()
        if ids
        else []
    )
    return dict(found)  # type: ignore[arg-type]


@bp.route("/orientation/template", methods=["GET", "POST"])
@requires("training.records")
def orientation_template() -> HttpResponse | tuple[str, int]:
    template = orientation.existing_template()
    form = (
        TemplateItemForm()
        if request.method == "POST"
        else TemplateItemForm(formdata=None, data={"version": template.version if template else 0, "due_day": 7})
    )
    status = 200
    if form.validate_on_submit():
        if template is None:  # the first change makes the agency's own copy of the shipped template
            template = orientation.default_template()
            form.version.data = str(template.version)
        try:
            orientation.add_item(
                template, form.text.data or "", form.due_day.data or 0, form.version.data, current_user
            )
            edits.commit()
        except StaleEdit:
            db.session.rollback()
            template = orientation.default_template()
            form.version.data = str(template.version)
            flash(edits.STALE_MESSAGE, "error")
            status = 409
        else:
            flash("Added. Orientations started from now on include it.", "success")
            return redirect(url_for(".orientation_template"))
    elif form.errors:
        status = 400
    return render(
        "training/orientation_template.html", status, form=form, template=template, shipped=orientation.shipped_items()
    )


@bp.post("/orientation/template/items/<int:orientation_template_item_id>/remove")
@requires("training.records")
def orientation_template_remove(orientation_template_item_id: int) -> HttpResponse:
    template = orientation.default_template()
    form = SignForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        orientation.remove_item(template, orientation_template_item_id, form.version.data, current_user)
        edits.commit()
    except (StaleEdit, InvalidInput):
        db.session.rollback()
        flash("The list changed while you were reading it. Check it again.", "error")
    else:
        flash("Removed. Orientations already started keep it.", "success")
    return redirect(url_for(".orientation_template"))
