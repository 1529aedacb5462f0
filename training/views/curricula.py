"""Curricula and their trained facilitators: everyone reads the list; HR adds curricula and facilitators."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response as HttpResponse

from core import policy
from core.errors import InvalidInput
from core.extensions import db
from core.forms import options
from core.models import Staff, StaffStatus
from core.pages import paginate
from core.policy import requires
from training.blueprint import bp
from training.forms import CurriculumForm, FacilitatorForm
from training.models import Curriculum, Facilitator
from training.services import curricula
from training.views._common import render, show_problems


def _staff_choices(form: FacilitatorForm) -> None:
    people = db.session.execute(
        select(Staff.id, Staff.name).where(Staff.status == StaffStatus.ACTIVE).order_by(func.lower(Staff.name))
    ).all()
    form.staff.choices = options([("", "Choose a staff member"), *((i, name) for i, name in people)])


@bp.get("/curricula")
@requires("training.view")
def curricula_list() -> tuple[str, int]:
    page = paginate(curricula.listed())
    forms = {}
    if policy.can(current_user, "training.records"):
        for curriculum in page.items:
            form = FacilitatorForm(formdata=None, prefix=f"c{curriculum.id}")
            _staff_choices(form)
            forms[curriculum.id] = form
    return render(
        "training/curricula.html",
        page=page,
        facilitators=curricula.facilitators([c.id for c in page.items]),
        forms=forms,
        missing=curricula.missing_shipped(),
    )


@bp.post("/curricula/shipped")
@requires("training.records")
def curricula_shipped() -> HttpResponse:
    added = curricula.ensure_shipped(current_user)
    db.session.commit()
    flash(f"Added {len(added)} curricula." if added else "They are on the list already.", "success")
    return redirect(url_for(".curricula_list"))


@bp.route("/curricula/new", methods=["GET", "POST"])
@requires("training.records")
def curriculum_new() -> HttpResponse | tuple[str, int]:
    form = CurriculumForm()
    if form.validate_on_submit():
        try:
            curricula.add(form.name.data or "", form.description.data or "", form.modules.data or "", current_user)
            db.session.commit()
        except InvalidInput as error:
            db.session.rollback()
            show_problems(form, error.problems)
        else:
            flash("Added to the curricula.", "success")
            return redirect(url_for(".curricula_list"))
    return render("training/curriculum_form.html", 400 if form.errors else 200, form=form)


@bp.post("/curricula/<int:curriculum_id>/facilitators")
@requires("training.records")
def facilitator_add(curriculum_id: int) -> HttpResponse | tuple[str, int]:
    curriculum = db.get_or_404(Curriculum, curriculum_id)
    policy.authorize(current_user, "curriculum.manage", curriculum)
    form = FacilitatorForm(prefix=f"c{curriculum.id}")
    _staff_choices(form)
    if form.validate_on_submit():
        try:
            curricula.add_facilitator(curriculum, form.staff.data, form.since.data, current_user)
            db.session.commit()
        except InvalidInput as error:
            db.session.rollback()
            show_problems(form, error.problems)
        else:
            flash(f"Added as a facilitator of {curriculum.name}.", "success")
            return redirect(url_for(".curricula_list") + f"#curriculum-{curriculum.id}")
    page = paginate(curricula.listed(), page=1, per_page=100)
    forms = {}
    for other in page.items:
        if other.id == curriculum.id:
            forms[other.id] = form
        else:
            forms[other.id] = FacilitatorForm(formdata=None, prefix=f"c{other.id}")
            _staff_choices(forms[other.id])
    return render(
        "training/curricula.html",
        400,
        page=page,
        facilitators=curricula.facilitators([c.id for c in page.items]),
        forms=forms,
        missing=curricula.missing_shipped(),
    )


@bp.post("/facilitators/<int:facilitator_id>/remove")
@requires("training.records")
def facilitator_remove(facilitator_id: int) -> HttpResponse:
    found = db.get_or_404(Facilitator, facilitator_id)
    policy.authorize(current_user, "curriculum.manage", found)
    curriculum_id = found.curriculum_id
    curricula.remove_facilitator(found, current_user)
    db.session.commit()
    flash("Removed from the facilitators.", "success")
    return redirect(url_for(".curricula_list") + f"#curriculum-{curriculum_id}")
