"""A certification: its page (status, the cycle's CE progress, the entries, the renewal history), and HR's pages to
record one, correct it and record a renewal."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, request, send_file, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as HttpResponse

from core import credentials, edits, timeutil
from core.errors import InvalidInput, Refused, StaleEdit, keep_refusal
from core.extensions import db
from core.forms import optional_id, options
from core.pages import paginate
from core.policy import requires
from supervision.services import hours as supervision_hours
from training.blueprint import bp
from training.forms import CertificationEditForm, CertificationForm, RenewForm, UndoRenewalForm
from training.models import Certification, Cycle
from training.services import audit_pack, ce, certifications, progress
from training.services.certifications import CertificationDetails
from training.services.dates import ONE_DAY
from training.services.status import status_of
from training.views._common import (
    audit_read,
    load_certification,
    load_cycle,
    load_person,
    render,
    save,
    show_problems,
)


def _page(certification: Certification, cycle: Cycle) -> tuple[str, int]:
    audit_read(certification.staff_id, "certification", "training_certification", certification.id)
    db.session.commit()
    credential = certification.credential_type
    return render(
        "training/certification.html",
        certification=certification,
        person=certification.staff,
        status=status_of(certification),
        cycle=cycle,
        current=certifications.current_cycle(certification),
        cycles=certifications.cycles_of(certification),
        progress=progress.progress_of(cycle, credential),
        rules=credentials.rules_of(credential),
        entries=paginate(ce.in_cycle(cycle)),
        repeated=ce.repeated_in(cycle),
        later=db.session.scalars(ce.outside_cycles(certification).limit(20)).all(),
        own=certification.staff_id == current_user.id,
        supervised=_supervised(certification),
    )


def _supervised(certification: Certification) -> str | None:
    """A provisional certification's supervised hours so far, from the supervision sessions logged (one query)."""
    if certification.provisional_until is None:
        return None
    minutes = supervision_hours.provisional_minutes(Certification.id == certification.id).get(certification.id, 0)
    return supervision_hours.hours_words(minutes)


@bp.get("/certifications/<int:certification_id>")
@requires("training.view")
def certification(certification_id: int) -> tuple[str, int]:
    found = load_certification(certification_id)
    return _page(found, certifications.current_cycle(found))


@bp.get("/cycles/<int:cycle_id>")
@requires("training.view")
def cycle(cycle_id: int) -> tuple[str, int]:
    found = load_cycle(cycle_id)
    return _page(db.session.get_one(Certification, found.certification_id), found)


def _credential_choices() -> list[Any]:
    found = [(c.id, str(c)) for c in credentials.active()]
    return options([("", "Choose the credential"), *found])


@bp.route("/people/<int:staff_id>/certifications/new", methods=["GET", "POST"])
@requires("training.records")
def certification_new(staff_id: int) -> HttpResponse | tuple[str, int]:
    person = load_person(staff_id)
    form = CertificationForm()
    form.credential_type.choices = _credential_choices()
    if form.validate_on_submit():
        details = CertificationDetails(
            credential_type_id=form.credential_type.data,
            number=form.number.data or "",
            issued_on=form.issued_on.data,
            expires_on=form.expires_on.data,
            provisional=bool(form.provisional.data),
        )
        try:
            added = certifications.add(person, details, current_user)
            db.session.commit()
        except InvalidInput as error:
            db.session.rollback()
            show_problems(form, error.problems)
        else:
            flash("The certification is on file.", "success")
            return redirect(url_for(".certification", certification_id=added.id))
    return render("training/certification_new.html", 400 if form.errors else 200, form=form, person=person)


def _edit_data(found: Certification) -> dict[str, Any]:
    return {
        "number": found.number,
        "issued_on": found.issued_on,
        "expires_on": found.expires_on,
        "provisional": found.provisional,
        "hold": found.hold,
        "hold_note": found.hold_note,
        "version": found.version,
    }


@bp.route("/certifications/<int:certification_id>/edit", methods=["GET", "POST"])
@requires("training.records")
def certification_edit(certification_id: int) -> HttpResponse | tuple[str, int]:
    found = load_certification(certification_id, "certification.manage")
    form = (
        CertificationEditForm()
        if request.method == "POST"
        else CertificationEditForm(formdata=None, data=_edit_data(found))
    )
    conflict = None
    if form.validate_on_submit():
        details = CertificationDetails(
            credential_type_id=found.credential_type_id,
            number=form.number.data or "",
            issued_on=form.issued_on.data,
            expires_on=form.expires_on.data,
            provisional=bool(form.provisional.data),
            hold=form.hold.data or "",
            hold_note=form.hold_note.data or "",
        )
        attempt = save(form, lambda: certifications.change(found, details, form.version.data, current_user))
        if attempt.saved:
            flash("Saved.", "success")
            return redirect(url_for(".certification", certification_id=found.id))
        if attempt.conflict:
            found = load_certification(certification_id, "certification.manage")
            form.version.data = str(found.version)
            conflict = attempt.conflict
    now = None
    if conflict:
        now = [
            ("Certificate number", found.number),
            ("Issued on", timeutil.long_date(found.issued_on)),
            ("Expires on", timeutil.long_date(found.expires_on)),
            ("Hold", found.hold_label),
        ]
    status = 409 if conflict else (400 if form.errors else 200)
    return render(
        "training/certification_edit.html", status, form=form, certification=found, conflict=conflict, now=now
    )


@bp.route("/certifications/<int:certification_id>/renew", methods=["GET", "POST"])
@requires("training.records")
def certification_renew(certification_id: int) -> HttpResponse | tuple[str, int]:
    found = load_certification(certification_id, "certification.manage")
    default = certifications.renewal_default(found)
    form = (
        RenewForm()
        if request.method == "POST"
        else RenewForm(formdata=None, data={"expires_on": default, "version": found.version})
    )
    conflict = None
    if form.validate_on_submit():
        attempt = save(form, lambda: certifications.renew(found, form.expires_on.data, form.version.data, current_user))
        if attempt.saved:
            flash("The renewal is recorded: a new cycle has started.", "success")
            return redirect(url_for(".certification", certification_id=found.id))
        if attempt.conflict:
            found = load_certification(certification_id, "certification.manage")
            form.version.data = str(found.version)
            conflict = attempt.conflict
    status = 409 if conflict else (400 if form.errors else 200)
    return render(
        "training/certification_renew.html",
        status,
        form=form,
        certification=found,
        default=default,
        conflict=conflict,
        starts_on=found.expires_on + ONE_DAY,
    )


@bp.route("/certifications/<int:certification_id>/undo-renewal", methods=["GET", "POST"])
@requires("training.records")
def certification_undo_renewal(certification_id: int) -> HttpResponse | tuple[str, int]:
    """Undo the latest renewal (recorded by mistake) after a confirmation page."""
    found = load_certification(certification_id, "certification.manage")
    cycles = certifications.cycles_of(found)
    if len(cycles) < 2:
        flash("This certification has no renewal to undo: it is in its first cycle.", "error")
        return redirect(url_for(".certification", certification_id=found.id))
    form = UndoRenewalForm() if request.method == "POST" else UndoRenewalForm(
        formdata=None, data={"cycle": cycles[-1].id, "version": found.version}
    )
    if form.validate_on_submit():
        try:
            cycle_id = optional_id(form.cycle.data)
        except ValueError:
            cycle_id = None
        try:
            certifications.undo_renewal(found, cycle_id, form.version.data, current_user)
            edits.commit()
        except StaleEdit:
            db.session.rollback()
            flash("This certification changed while you were reading it. Check it again before you undo.", "error")
            return redirect(url_for(".certification_undo_renewal", certification_id=certification_id))
        except Refused as refusal:
            keep_refusal(refusal, current_user)
            flash(str(refusal), "error")
            return redirect(url_for(".certification", certification_id=certification_id))
        flash("The renewal is undone: the cycle before it is the current one again.", "success")
        return redirect(url_for(".certification", certification_id=certification_id))
    return render(
        "training/certification_undo.html",
        400 if form.errors else 200,
        form=form,
        certification=found,
        last=cycles[-1],
        previous=cycles[-2],
    )


def _pack_read(cycle_id: int) -> tuple[Certification, Cycle]:
    """The cycle of an audit pack and its certification, the read of someone else's audited."""
    found = load_cycle(cycle_id)
    certification = db.session.get_one(Certification, found.certification_id)
    audit_read(certification.staff_id, "audit_pack", "training_cycle", found.id)
    db.session.commit()
    return certification, found


@bp.get("/cycles/<int:cycle_id>/audit-pack.pdf")
@requires("training.view")
def audit_pack_pdf(cycle_id: int) -> Response:
    certification, found = _pack_read(cycle_id)
    body = audit_pack.render(certification, found, request.url_root)
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{audit_pack.file_stem(certification, found)}.pdf"'},
    )


@bp.get("/cycles/<int:cycle_id>/audit-pack.zip")
@requires("training.view")
def audit_pack_zip(cycle_id: int) -> Response:
    certification, found = _pack_read(cycle_id)
    return send_file(
        audit_pack.bundle(certification, found, request.url_root),
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"{audit_pack.file_stem(certification, found)}.zip",
    )
