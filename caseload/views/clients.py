"""Caseload routes: clients. The list and its CSV, adding and editing a client, the record page with its
assignments and consents, clients who need a new worker, and private declarations of a personal relationship.

Thin: load the record, check it with the policy (``conceal=True``: a hidden record answers exactly like a missing
one), call the service, commit once, redirect.
"""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from caseload.access import live_grant, may_see
from caseload.blueprint import bp
from caseload.forms.clients import (
    AssignForm,
    ClientCreateForm,
    ClientEditForm,
    ClientFilterForm,
    ConsentForm,
    DeclareForm,
    KnowPersonForm,
    today,
)
from caseload.models import Assignment, AssignmentKind, Client, ClientStatus, Consent, ConsentKind, Relationship
from caseload.services import caseload_lists as lists
from caseload.services import clients as service
from caseload.services import duplicates, safeguards
from caseload.views._common import filter_value
from core import edits, policy
from core.edits import STALE_MESSAGE
from core.errors import Refused, StaleEdit, after_the_answer, keep_refusal
from core.extensions import db
from core.models import Role, Staff
from core.pages import paginate
from core.policy import requires

DECLARED = (
    "Thank you. If this person is a client here, you will not be assigned to them and their record is closed to you."
)
FIELD_LABELS = {
    "name": "Full name",
    "preferred_name": "Preferred name",
    "pronouns": "Pronouns",
    "date_of_birth": "Date of birth",
    "phone": "Phone",
    "program_id": "Program",
    "status": "Status",
}


def _client_for(client_id: int, action: str = "client.view") -> Client:
    """The client, or the answer a missing record gets (``policy.load``: the same work either way)."""
    return policy.load(current_user, action, Client, client_id)


def _part_of(client: Client, model: type[Assignment] | type[Consent], record_id: int) -> Any:
    """A part of this client's record. Another client's part, reached through this address, and a missing one are
    refused the same way, in the same single query (audited, 404)."""
    found = db.session.scalar(select(model).where(model.id == record_id, model.client_id == client.id))
    if found is None:
        policy.refuse(current_user, model.__name__, record_id, status=404)
    return found


def _program_choices(empty: str) -> list[tuple[Any, str]]:
    return [("", empty), *lists.program_choices()]


def _after_change(client: Client) -> Response:
    """Back to the record, or to the caseload when the change closed the record to this person."""
    if may_see(current_user, client.id):
        return redirect(url_for(".client_detail", client_id=client.id))
    return redirect(url_for(".index"))


# All clients --------------------------------------------------------------------------------------------------


def _read_filters() -> tuple[ClientFilterForm, lists.ClientFilters]:
    form = ClientFilterForm(request.args)
    form.program.choices = _program_choices("Any program")
    form.provider.choices = [("", "Anyone"), *lists.caseload_owner_choices(current_user)]
    form.validate()
    filters = lists.ClientFilters(
        q=filter_value(form.q, ""),
        status=filter_value(form.status, ""),
        program_id=filter_value(form.program, None),
        provider_id=filter_value(form.provider, None),
    )
    return form, filters


@bp.get("/clients")
@requires("caseload.clients")
def clients_list() -> str:
    form, filters = _read_filters()
    page = paginate(lists.clients_query(current_user, filters))
    return render_template(
        "caseload/clients/list.html",
        form=form,
        filters=filters,
        page=page,
        providers=lists.providers_by_client(page.items),
    )


@bp.get("/clients/export.csv")
@requires("caseload.clients")
def clients_csv() -> Response:
    _form, filters = _read_filters()
    rows = lists.export_ids(current_user, filters)
    lists.record_export(rows, current_user)
    body = lists.csv_text(lists.export_rows([client_id for client_id, _sealed in rows]))
    db.session.commit()
    filename = f"peerworks-clients-{today():%Y-%m-%d}.csv"
    return Response(
        body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@bp.get("/reassign")
@requires("caseload.clients")
def needs_reassignment() -> str:
    page = paginate(lists.needs_reassignment_query(current_user))
    return render_template(
        "caseload/clients/reassign.html", page=page, providers=lists.providers_by_client(page.items)
    )


# Adding and editing a client ----------------------------------------------------------------------------------


def _identity(form: ClientCreateForm | ClientEditForm) -> dict[str, Any]:
    return {
        "name": form.name.data,
        "preferred_name": form.preferred_name.data or "",
        "pronouns": form.pronouns.data or "",
        "date_of_birth": form.date_of_birth.data,
        "phone": form.phone.data or "",
        "program_id": form.program.data,
        "status": form.status.data,
    }


def _assign_me_default() -> str:
    if current_user.has_role(Role.PEER):
        return AssignmentKind.PEER.value
    if current_user.has_role(Role.STAFF):
        return AssignmentKind.CLINICIAN.value
    return "no"


@bp.route("/clients/new", methods=["GET", "POST"])
@requires("caseload.clients")
def client_new() -> Response | tuple[str, int]:
    form = ClientCreateForm()
    form.program.choices = _program_choices("No program")
    provider = lists.has_caseload(current_user)
    if not provider:
        form.assign_me.choices = [("no", "No (your role does not carry a caseload)")]
    if request.method == "GET":
        form.assign_me.data = _assign_me_default() if provider else "no"
        form.status.data = ClientStatus.REFERRED.value
    status = 200
    if form.validate_on_submit():
        kind = None if form.assign_me.data == "no" else form.assign_me.data
        try:
            client = service.create_client(_identity(form), current_user, assign_self_as=kind)
            db.session.commit()
        except Refused as refusal:
            keep_refusal(refusal, current_user)
            form.assign_me.errors = [*form.assign_me.errors, str(refusal)]
            status = 409
        else:
            check = duplicates.check_later(client.id, current_user.id)  # after the answer: it costs time
            if may_see(current_user, client.id):
                flash(f"Added {client.display_name}.", "success")
                return after_the_answer(redirect(url_for(".client_detail", client_id=client.id)), check)
            flash(
                f"Added {client.display_name}. You are not assigned to them and they are outside your programs, "
                "so their record is not shown to you.",
                "success",
            )
            return after_the_answer(redirect(url_for(".clients_list")), check)
    if form.errors and status == 200:
        status = 400
    return render_template("caseload/clients/form.html", form=form, client=None, conflict=None), status


def _current_values(client: Client) -> dict[str, str]:
    return {
        "name": client.name,
        "preferred_name": client.preferred_name or "(none)",
        "pronouns": client.pronouns or "(none)",
        "date_of_birth": client.date_of_birth.isoformat() if client.date_of_birth else "(none)",
        "phone": client.phone or "(none)",
        "program_id": str(client.program) if client.program else "No program",
        "status": ClientStatus(client.status).label,
    }


@bp.route("/clients/<int:client_id>/edit", methods=["GET", "POST"])
@requires("caseload.clients")
def client_edit(client_id: int) -> Response | tuple[str, int]:
    client = _client_for(client_id, "client.edit")
    if request.method == "POST":
        form = ClientEditForm()
    else:
        form = ClientEditForm(
            formdata=None,
            data={
                "name": client.name,
                "preferred_name": client.preferred_name,
                "pronouns": client.pronouns,
                "date_of_birth": client.date_of_birth,
                "phone": client.phone,
                "program": client.program_id,
                "status": client.status,
                "version": str(client.version),
            },
        )
    form.program.choices = _program_choices("No program")
    conflict: dict[str, str] | None = None
    status = 200
    if form.validate_on_submit():
        try:
            changed = service.update_client(client, _identity(form), current_user, version=form.version.data)
            edits.commit()
        except Refused as refusal:
            keep_refusal(refusal, current_user)
            form.program.errors = [*form.program.errors, str(refusal)]
            status = 409
        except StaleEdit:
            db.session.rollback()
            client = _client_for(client_id, "client.edit")
            conflict = _current_values(client)
            form.version.data = str(client.version)
            status = 409
        else:
            if changed:
                labels = ", ".join(FIELD_LABELS[name].lower() for name in changed)
                flash(f"Saved the changes to {client.display_name}: {labels}.", "success")
            else:
                flash("Nothing was changed.", "info")
            if duplicates.COMPARED & set(changed):  # renamed: checked after the answer, as a new record is
                return after_the_answer(_after_change(client), duplicates.check_later(client.id, current_user.id))
            return _after_change(client)
    if form.errors and status == 200:
        status = 400
    service.record_read(client, current_user, "identity form")
    db.session.commit()
    return render_template(
        "caseload/clients/form.html", form=form, client=client, conflict=conflict, field_labels=FIELD_LABELS
    ), status


# The record page ----------------------------------------------------------------------------------------------


def _render_record(
    client: Client,
    *,
    assign_form: AssignForm | None = None,
    consent_form: ConsentForm | None = None,
    know_form: KnowPersonForm | None = None,
    problem: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    """The record page. Every showing is a read of the record: audited (and, when sealed, in the access report)."""
    if assign_form is None:
        assign_form = AssignForm(formdata=None, prefix="assign", data={"kind": AssignmentKind.PEER.value})
    assign_form.provider.choices = [("", "Choose a staff member"), *lists.provider_choices(client)]
    consent_form = consent_form or ConsentForm(formdata=None, prefix="consent")
    know_form = know_form or KnowPersonForm(formdata=None, prefix="know")
    assignments = lists.assignments_of(client)
    grant = live_grant(current_user, client) if client.sealed else None
    service.record_read(client, current_user, "record")
    db.session.commit()
    return render_template(
        "caseload/clients/detail.html",
        client=client,
        current=[a for a in assignments if a.ended_at is None],
        past=[a for a in assignments if a.ended_at is not None],
        consents=lists.consents_of(client),
        assign_form=assign_form,
        consent_form=consent_form,
        know_form=know_form,
        problem=problem,
        grant=grant,
        may_edit=policy.allows(current_user, "client.edit", client),
        today=today(),
        kinds=AssignmentKind,
        consent_kinds=ConsentKind,
        relationships=Relationship,
    ), status


@bp.get("/clients/<int:client_id>")
@requires("caseload.clients")
def client_detail(client_id: int) -> tuple[str, int]:
    return _render_record(_client_for(client_id))


@bp.post("/clients/<int:client_id>/assign")
@requires("caseload.clients")
def client_assign(client_id: int) -> Response | tuple[str, int]:
    client = _client_for(client_id, "client.edit")
    form = AssignForm(prefix="assign")
    form.provider.choices = [("", "Choose a staff member"), *lists.provider_choices(client)]
    if not form.validate_on_submit():
        return _render_record(client, assign_form=form, status=400)
    provider = db.get_or_404(Staff, form.provider.data)
    try:
        service.assign(client, provider, form.kind.data, current_user)
        edits.commit()
    except Refused as refusal:
        keep_refusal(refusal, current_user)
        return _render_record(client, assign_form=form, problem=str(refusal), status=409)
    except StaleEdit:
        db.session.rollback()
        return _render_record(client, assign_form=form, problem=STALE_MESSAGE, status=409)
    kind = AssignmentKind(form.kind.data).label.lower()
    flash(f"{provider.name} is now assigned to {client.display_name} as {kind}.", "success")
    return _after_change(client)


@bp.post("/clients/<int:client_id>/assignments/<int:assignment_id>/end")
@requires("caseload.clients")
def assignment_end(client_id: int, assignment_id: int) -> Response:
    client = _client_for(client_id, "client.edit")
    assignment: Assignment = _part_of(client, Assignment, assignment_id)
    if assignment.ended_at is not None:
        flash(f"{assignment.staff.name}'s assignment had already ended.", "info")
        return redirect(url_for(".client_detail", client_id=client.id))
    service.end_assignment(assignment, current_user)
    db.session.commit()
    flash(f"{assignment.staff.name} is no longer assigned to {client.display_name}.", "success")
    return _after_change(client)


@bp.post("/clients/<int:client_id>/consents")
@requires("caseload.clients")
def consent_add(client_id: int) -> Response | tuple[str, int]:
    client = _client_for(client_id, "client.edit")
    form = ConsentForm(prefix="consent")
    if not form.validate_on_submit():
        return _render_record(client, consent_form=form, status=400)
    consent = service.add_consent(client, form.values(), current_user)
    db.session.commit()
    flash(f"Recorded the {ConsentKind(consent.kind).label.lower()} signed on {consent.signed_on.isoformat()}.",
          "success")
    return redirect(url_for(".client_detail", client_id=client.id, _anchor="consents"))


@bp.post("/clients/<int:client_id>/consents/<int:consent_id>/revoke")
@requires("caseload.clients")
def consent_revoke(client_id: int, consent_id: int) -> Response:
    client = _client_for(client_id, "client.edit")
    consent: Consent = _part_of(client, Consent, consent_id)
    label = ConsentKind(consent.kind).label.lower()
    if consent.revoked_on is not None:
        flash(f"This {label} was already revoked.", "info")
    else:
        service.revoke_consent(consent, current_user, today())
        db.session.commit()
        flash(f"The {label} signed on {consent.signed_on.isoformat()} is revoked from today.", "success")
    return redirect(url_for(".client_detail", client_id=client.id, _anchor="consents"))


# Declared relationships ---------------------------------------------------------------------------------------


@bp.post("/clients/<int:client_id>/declare")
@requires("caseload.declare")
def client_declare(client_id: int) -> Response | tuple[str, int]:
    """"I know this person personally": the record closes to this person at once."""
    client = _client_for(client_id)
    form = KnowPersonForm(prefix="know")
    if not form.validate_on_submit():
        return _render_record(client, know_form=form, status=400)
    safeguards.declare_relationship(current_user, [client], form.relationship.data)
    db.session.commit()
    flash(DECLARED, "success")
    return redirect(url_for(".index"))


@bp.route("/declare", methods=["GET", "POST"])
@requires("caseload.declare")
def declare() -> Response | tuple[str, int]:
    """Anyone may declare privately that they know a client. The answer is the same whether anyone matched."""
    form = DeclareForm()
    if form.validate_on_submit():
        found = safeguards.matching_clients(form.name.data, form.date_of_birth.data)
        safeguards.declare_relationship(current_user, found, form.relationship.data)
        try:
            db.session.commit()
        except IntegrityError:  # the same declaration sent twice at once: the first one stands
            db.session.rollback()
        flash(DECLARED, "success")
        return redirect(url_for(".declare"))
    return render_template("caseload/clients/declare.html", form=form), 400 if form.errors else 200
