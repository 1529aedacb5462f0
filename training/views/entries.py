"""Continuing-education entries: logging one with its certificate, correcting it, its page, and approving or
returning it (a supervisor above the person, never the person), with the supervisor's list of entries waiting."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as HttpResponse

from core import edits, policy, uploads
from core.credentials import hours_number
from core.errors import InvalidInput, Refused, StaleEdit, keep_refusal
from core.extensions import db
from core.models import Staff, Upload
from core.pages import paginate
from core.policy import requires
from training.blueprint import bp
from training.forms import ApproveForm, EntryForm, ReturnForm, quarter_hours
from training.models import CeEntry, Certification, EntryStatus
from training.services import ce
from training.services.ce import EntryDetails
from training.views._common import audit_read, load_certification, load_entry, render, save, show_problems


def _details(form: EntryForm) -> EntryDetails:
    return EntryDetails(
        title=form.title.data or "",
        provider=form.provider.data or "",
        approval_number=form.approval_number.data or "",
        taken_on=form.taken_on.data,
        quarter_hours=quarter_hours(form.hours) or 0,
        category=form.category.data or "",
        format=form.format.data or "",
    )


def _certificate(form: EntryForm, *, required: bool) -> uploads.Checked | None:
    """The certificate sent with the form, checked (None when none was sent and none is needed); problems go next
    to the field."""
    sent = request.files.get("certificate")
    if not required and (sent is None or not sent.filename):
        return None
    try:
        return uploads.check(sent, allowed=ce.EVIDENCE_KINDS, field="certificate", what="The certificate")
    except InvalidInput as error:
        show_problems(form, error.problems)
        return None


@bp.route("/certifications/<int:certification_id>/ce/new", methods=["GET", "POST"])
@requires("training.view")
def entry_new(certification_id: int) -> HttpResponse | tuple[str, int]:
    certification = load_certification(certification_id, "certification.log")
    form = EntryForm()
    form.certificate.flags.required = True  # shown as needed; checked by core.uploads below
    if request.method == "POST":
        valid = form.validate_on_submit()
        evidence = _certificate(form, required=True)
        if valid and evidence is not None:
            try:
                entry = ce.log(certification, _details(form), evidence, current_user)
                db.session.commit()
            except InvalidInput as error:
                db.session.rollback()
                show_problems(form, error.problems)
            else:
                flash("Logged. Your supervisor is asked to approve it; it counts once approved.", "success")
                return redirect(url_for(".entry", ce_entry_id=entry.id))
    return _form_page(form, certification, None)


def _form_page(form: EntryForm, certification: Certification, entry: CeEntry | None, **extra: Any) -> tuple[str, int]:
    status = extra.pop("status", None) or (400 if request.method == "POST" else 200)
    choose_again = request.method == "POST" and bool(getattr(request.files.get("certificate"), "filename", ""))
    return render(
        "training/entry_form.html",
        status,
        form=form,
        certification=certification,
        entry=entry,
        choose_again=choose_again and not form.certificate.errors,
        **extra,
    )


def _entry_data(entry: CeEntry) -> dict[str, Any]:
    return {
        "title": entry.title,
        "provider": entry.provider,
        "approval_number": entry.approval_number,
        "taken_on": entry.taken_on,
        "hours": hours_number(entry.quarter_hours),
        "category": entry.category,
        "format": entry.format,
        "version": entry.version,
    }


@bp.route("/ce/<int:ce_entry_id>/edit", methods=["GET", "POST"])
@requires("training.view")
def entry_edit(ce_entry_id: int) -> HttpResponse | tuple[str, int]:
    entry = load_entry(ce_entry_id, "ce.correct")
    certification = db.session.get_one(Certification, entry.certification_id)
    form = EntryForm() if request.method == "POST" else EntryForm(formdata=None, data=_entry_data(entry))
    if request.method == "POST":
        valid = form.validate_on_submit()
        evidence = _certificate(form, required=False)
        if valid and not form.certificate.errors:
            details = _details(form)
            try:
                attempt = save(form, lambda: ce.correct(entry, details, evidence, form.version.data, current_user))
            except Refused as refusal:
                keep_refusal(refusal, current_user)
                flash(str(refusal), "error")
                return redirect(url_for(".entry", ce_entry_id=ce_entry_id))
            if attempt.saved:
                flash("Saved.", "success")
                return redirect(url_for(".entry", ce_entry_id=entry.id))
            if attempt.conflict:
                entry = load_entry(ce_entry_id)
                form.version.data = str(entry.version)
                now = [
                    ("Course title", entry.title),
                    ("Date", entry.taken_on.isoformat()),
                    ("Status", entry.status_label),
                ]
                return _form_page(form, certification, entry, status=409, conflict=attempt.conflict, now=now)
    return _form_page(form, certification, entry)


@bp.get("/ce/<int:ce_entry_id>")
@requires("training.view")
def entry(ce_entry_id: int) -> tuple[str, int]:
    found = load_entry(ce_entry_id)
    audit_read(found.staff_id, "ce", "training_ce_entry", found.id)
    db.session.commit()
    return _entry_page(found)


def _entry_page(found: CeEntry, status: int = 200, **forms: Any) -> tuple[str, int]:
    certification = db.session.get_one(Certification, found.certification_id)
    may_review = policy.allows(current_user, "ce.review", found) and found.status == EntryStatus.SUBMITTED
    return render(
        "training/entry.html",
        status,
        entry=found,
        certification=certification,
        person=certification.staff,
        evidence=db.session.get(Upload, found.evidence_id) if found.evidence_id else None,
        reviewer=db.session.get(Staff, found.reviewed_by_id) if found.reviewed_by_id else None,
        may_review=may_review,
        may_correct=policy.allows(current_user, "ce.correct", found),
        approve_form=forms.get("approve_form") or ApproveForm(formdata=None, data={"version": found.version}),
        return_form=forms.get("return_form") or ReturnForm(formdata=None, data={"version": found.version}),
        conflict=forms.get("conflict"),
    )


@bp.post("/ce/<int:ce_entry_id>/approve")
@requires("training.review")
def entry_approve(ce_entry_id: int) -> HttpResponse | tuple[str, int]:
    found = load_entry(ce_entry_id, "ce.review")
    form = ApproveForm()
    if not form.validate_on_submit():
        return _entry_page(found, 400, approve_form=form)
    try:
        ce.approve(found, form.version.data, current_user)
        edits.commit()
    except StaleEdit:
        db.session.rollback()
        flash("This entry changed while you were reading it. Read it again before you approve it.", "error")
        return redirect(url_for(".entry", ce_entry_id=ce_entry_id))
    except Refused as refusal:
        keep_refusal(refusal, current_user)
        flash(str(refusal), "error")
        return redirect(url_for(".entry", ce_entry_id=ce_entry_id))
    flash("Approved: it counts toward the cycle now.", "success")
    return redirect(url_for(".review"))


@bp.post("/ce/<int:ce_entry_id>/return")
@requires("training.review")
def entry_return(ce_entry_id: int) -> HttpResponse | tuple[str, int]:
    found = load_entry(ce_entry_id, "ce.review")
    form = ReturnForm()
    if not form.validate_on_submit():
        return _entry_page(found, 400, return_form=form)
    try:
        ce.return_entry(found, form.reason.data or "", form.version.data, current_user)
        edits.commit()
    except StaleEdit:
        db.session.rollback()
        found = load_entry(ce_entry_id)
        form.version.data = str(found.version)
        return _entry_page(found, 409, return_form=form, conflict=form.reason.data or "")
    except Refused as refusal:
        keep_refusal(refusal, current_user)
        flash(str(refusal), "error")
        return redirect(url_for(".entry", ce_entry_id=ce_entry_id))
    flash("Returned with your note. The person is told, and can correct it and send it again.", "success")
    return redirect(url_for(".review"))


@bp.get("/review")
@requires("training.review")
def review() -> tuple[str, int]:
    condition = policy.scope(ce.waiting_for(CeEntry.id.is_not(None)), current_user, "ce.review", CeEntry)
    return render("training/review.html", page=paginate(condition))
