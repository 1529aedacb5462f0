"""Caseload routes: the dual-relationship safeguards (privacy officer and administrator) and emergency access.

Thin: load the record, check the policy, call the service, commit once, redirect. A sealed record a person may not
manage answers 404, exactly like a missing one.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import (
    Response,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from caseload.blueprint import bp
from caseload.forms.safeguards import (
    AccessFilterForm,
    AssignForm,
    ClientSearchForm,
    DeterminationForm,
    LinkForm,
    MergeForm,
    PolicyForm,
    UnlinkForm,
)
from caseload.models import Assignment, Client, DualPolicy, Relationship
from caseload.services import duplicates
from caseload.services import merge as merge_service
from caseload.services import safeguard_queries as queries
from caseload.services import safeguards as service
from caseload.services.caseload_lists import provider_choices
from caseload.services.clients import (
    active_assignments,
    assign,
    end_assignment,
    record_read,
    services_refusal,
)
from core import audit, edits, policy, settings
from core.csvfiles import csv_lines
from core.edits import STALE_MESSAGE
from core.errors import Refused, StaleEdit, keep_refusal
from core.extensions import db
from core.models import Role, Staff
from core.pages import paginate
from core.policy import requires
from core.timeutil import today as agency_today
from core.timeutil import utcnow

EMERGENCY_LIMIT = "5 per 15 minutes"


def _today() -> date:
    return agency_today()


def _safeguarded_client(client_id: int) -> Client:
    """A client the signed-in person may manage safeguards for; 404 otherwise, as for a missing record."""
    return policy.load(current_user, "client.safeguard", Client, client_id)


# The safeguards overview ------------------------------------------------------------------------------------------

def _render_index(policy_form: PolicyForm, status: int = 200, *, stale: bool = False) -> tuple[str, int]:
    today = _today()
    due_only = request.args.get("due") == "1"
    page = paginate(queries.sealed_clients(current_user, today=today, due_only=due_only))
    ids = [client.id for client in page.items]
    queue = paginate(queries.review_queue(current_user), page=1, per_page=5)
    return render_template(
        "caseload/safeguards/index.html",
        policy_form=policy_form,
        current_policy=settings.get(service.POLICY),
        stale=stale,
        stale_message=STALE_MESSAGE,
        page=page,
        due_only=due_only,
        providers=active_assignments(ids),
        determinations=queries.latest_determinations(ids),
        counts=queries.due_counts(current_user, today),
        queue=queue,
        today=today,
        now=utcnow(),
        review_status=queries.review_status,
        others=policy.other_officers(current_user),
    ), status


@bp.get("/safeguards")
@requires("caseload.safeguards")
def safeguards_index() -> tuple[str, int]:
    # Reminders are sent by `flask safeguards remind` (never on a GET); the overview shows what is due.
    data = {"policy": settings.get(service.POLICY), "version": settings.snapshot([service.POLICY])}
    form = PolicyForm(formdata=None, data=data)
    return _render_index(form)


@bp.post("/safeguards/policy")
@requires("caseload.safeguards")
def safeguards_policy() -> Response | tuple[str, int]:
    form = PolicyForm()
    if not form.validate_on_submit():
        return _render_index(form, 400)
    try:
        changed = service.set_policy(form.policy.data, current_user, loaded=form.version.data)
        edits.commit()
    except StaleEdit:
        db.session.rollback()
        form.version.data = settings.snapshot([service.POLICY])
        return _render_index(form, 409, stale=True)
    if changed:
        flash(f"The agency's policy is now: {DualPolicy(form.policy.data).label}.", "success")
    else:
        flash("The policy was already set that way. Nothing changed.", "info")
    return redirect(url_for(".safeguards_index"))


# Linking a client to a staff member -----------------------------------------------------------------------------

@bp.get("/safeguards/link")
@requires("caseload.safeguards")
def safeguards_link() -> tuple[str, int]:
    form = ClientSearchForm(request.args)
    searched = bool(request.args.get("q") or request.args.get("date_of_birth"))
    page = None
    if searched and form.validate():
        page = paginate(queries.client_search(current_user, form.q.data or "", form.date_of_birth.data))
    args = {key: request.args[key] for key in ("q", "date_of_birth") if request.args.get(key)}
    status = 400 if form.errors else 200
    return render_template("caseload/safeguards/link_search.html", form=form, page=page, args=args), status


def _fill_link_choices(form: LinkForm) -> None:
    form.staff.choices = [("", "Choose a staff member"), *(
        (person.id, f"{person.name} ({person.email})") for person in queries.linkable_staff(current_user)
    )]


@bp.route("/safeguards/link/<int:client_id>", methods=["GET", "POST"])
@requires("caseload.safeguards")
def safeguards_link_client(client_id: int) -> Response | tuple[str, int]:
    client = _safeguarded_client(client_id)
    if client.sealed:
        flash("This client is already linked to a staff member.", "info")
        return redirect(url_for(".safeguard_client", client_id=client.id))
    form = LinkForm() if request.method == "POST" else LinkForm(formdata=None, data={"version": client.version})
    _fill_link_choices(form)
    message, status = "", 200
    if form.validate_on_submit():
        staff = db.session.get(Staff, form.staff.data)
        if staff is None or staff.id == current_user.id:
            form.staff.errors = ["Choose from the list. If the list has changed, reload the page."]
            status = 400
        else:
            try:
                ended = service.link_staff(client, staff, current_user, version=form.version.data)
                edits.commit()
            except Refused as error:
                keep_refusal(error, current_user)
                message, status = str(error), 409
            except StaleEdit:
                db.session.rollback()
                message, status = STALE_MESSAGE, 409
                form.version.data = str(client.version)
            else:
                flash(f"{client.name}'s record is now sealed and linked to {staff.name}.", "success")
                if ended:
                    if current_user.has_role(Role.PRIVACY):
                        flash("These assignments were ended because they conflict: " + ", ".join(ended) + ".",
                              "warning")
                    else:
                        flash(f"{len(ended)} assignment(s) were ended because they conflict. The privacy officer "
                              "can see which.", "warning")
                return redirect(url_for(".safeguard_client", client_id=client.id))
    elif request.method == "POST":
        status = 400
    return render_template(
        "caseload/safeguards/link_confirm.html", form=form, client=client, message=message
    ), status


@bp.route("/safeguards/clients/<int:client_id>/unlink", methods=["GET", "POST"])
@requires("caseload.safeguards")
def safeguards_unlink(client_id: int) -> Response | tuple[str, int]:
    client = _safeguarded_client(client_id)
    if not client.sealed:
        flash("This client is not linked to a staff member.", "info")
        return redirect(url_for(".safeguard_client", client_id=client.id))
    form = UnlinkForm() if request.method == "POST" else UnlinkForm(formdata=None, data={"version": client.version})
    message, status = "", 200
    if form.validate_on_submit():
        try:
            service.unlink_staff(client, current_user, version=form.version.data)
            edits.commit()
        except StaleEdit:
            db.session.rollback()
            message, status = STALE_MESSAGE, 409
            form.version.data = str(client.version)
        else:
            flash(f"{client.name}'s record is no longer linked to a staff member and is not sealed.", "success")
            return redirect(url_for(".safeguard_client", client_id=client.id))
    elif request.method == "POST":
        status = 400
    member = db.session.get(Staff, client.staff_member_id) if client.staff_member_id else None
    return render_template(
        "caseload/safeguards/unlink.html", form=form, client=client, member=member, message=message
    ), status


# One client's safeguards ----------------------------------------------------------------------------------------

def _fill_assign_choices(form: AssignForm, client: Client) -> None:
    form.provider.choices = [("", "Choose a provider"), *provider_choices(client)]


def _render_client(
    client: Client,
    *,
    assign_form: AssignForm | None = None,
    determination_form: DeterminationForm | None = None,
    message: str = "",
    status: int = 200,
) -> tuple[str, int]:
    if assign_form is None:
        assign_form = AssignForm(formdata=None, prefix="assign")
    _fill_assign_choices(assign_form, client)
    record_read(client, current_user, "safeguards page")
    db.session.commit()
    member = db.session.get(Staff, client.staff_member_id) if client.staff_member_id else None
    determinations = queries.determinations_for(client)
    return render_template(
        "caseload/safeguards/client.html",
        client=client,
        member=member,
        assignments=active_assignments([client.id])[client.id],
        determinations=determinations,
        latest=determinations[0] if determinations else None,
        assign_form=assign_form,
        determination_form=determination_form or DeterminationForm(
            formdata=None, prefix="determination", data={"replaces": str(determinations[0].id if determinations else 0)}
        ),
        strict=settings.get(service.POLICY) == DualPolicy.STRICT,
        duplicates=duplicates.possible_duplicates(client),
        refusal=services_refusal(client),
        message=message,
        today=_today(),
        review_status=queries.review_status,
    ), status


@bp.get("/safeguards/clients/<int:client_id>")
@requires("caseload.safeguards")
def safeguard_client(client_id: int) -> tuple[str, int]:
    return _render_client(_safeguarded_client(client_id))


@bp.post("/safeguards/clients/<int:client_id>/assign")
@requires("caseload.safeguards")
def safeguards_assign(client_id: int) -> Response | tuple[str, int]:
    client = _safeguarded_client(client_id)
    form = AssignForm(prefix="assign")
    _fill_assign_choices(form, client)
    if not form.validate_on_submit():
        return _render_client(client, assign_form=form, status=400)
    provider = db.session.get(Staff, form.provider.data)
    if provider is None:
        form.provider.errors = ["Choose from the list. If the list has changed, reload the page."]
        return _render_client(client, assign_form=form, status=400)
    try:
        assign(client, provider, form.kind.data, current_user)
        edits.commit()
    except Refused as error:
        keep_refusal(error, current_user)
        return _render_client(client, assign_form=form, message=str(error), status=409)
    except StaleEdit:
        db.session.rollback()
        return _render_client(client, assign_form=form, message=STALE_MESSAGE, status=409)
    flash(f"{provider.name} is now assigned to this client.", "success")
    return redirect(url_for(".safeguard_client", client_id=client.id))


@bp.post("/safeguards/clients/<int:client_id>/assignments/<int:assignment_id>/end")
@requires("caseload.safeguards")
def safeguards_end_assignment(client_id: int, assignment_id: int) -> Response:
    client = _safeguarded_client(client_id)
    assignment = db.session.scalar(
        select(Assignment).where(Assignment.id == assignment_id, Assignment.client_id == client.id)
    )
    if assignment is None:  # missing, or another client's: the same single query, the same refusal
        policy.refuse(current_user, "Assignment:end", assignment_id, status=404)
    if assignment.ended_at is None:
        end_assignment(assignment, current_user)
        db.session.commit()
        flash(f"{assignment.staff.name} is no longer assigned to this client.", "success")
    return redirect(url_for(".safeguard_client", client_id=client.id))


@bp.post("/safeguards/clients/<int:client_id>/determinations")
@requires("caseload.safeguards")
def safeguards_determination(client_id: int) -> Response | tuple[str, int]:
    client = _safeguarded_client(client_id)
    form = DeterminationForm(prefix="determination")
    if not client.sealed:
        return _render_client(
            client, determination_form=form, status=409,
            message="Determinations are for clients who also work here. Link this client to a staff member first.",
        )
    if not form.validate_on_submit():
        return _render_client(client, determination_form=form, status=400)
    data = {name: form[name].data for name in ("situation", "decision", "rationale", "consulted", "review_on")}
    try:
        determination = service.record_determination(client, data, current_user, replaces=form.replaces.data)
        db.session.commit()
    except StaleEdit:
        db.session.rollback()
        form.replaces.data = str(service.current_determination_id(client))  # saving again is a deliberate choice
        return _render_client(client, determination_form=form, message=STALE_MESSAGE, status=409)
    flash(f"The determination is recorded. Its review is due by {determination.review_on:%d %B %Y}.", "success")
    return redirect(url_for(".safeguard_client", client_id=client.id, _anchor="determinations"))


# Possible duplicates of a sealed record ------------------------------------------------------------------------------

# Tables as people call them, for the list of what a merge moves (a table without a name here shows its own).
HOLDING_NAMES = {
    "caseload_contact_note": ("contact note", "contact notes"),
    "caseload_plan_version": ("recovery plan version", "recovery plan versions"),
    "caseload_consent": ("consent or release", "consents and releases"),
    "caseload_referral": ("referral", "referrals"),
    "caseload_attendance": ("group session attended", "group sessions attended"),
    "caseload_assignment": ("assignment of a provider", "assignments of providers (current and past)"),
    "caseload_determination": ("determination", "determinations"),
    "caseload_declared_relationship": ("declared personal relationship", "declared personal relationships"),
    "caseload_emergency_grant": ("use of emergency access", "uses of emergency access"),
    "caseload_sealed_access": ("opening of the record", "openings of the record (access report)"),
}


def _holding_words(table: str, count: int) -> str:
    plain = table.removeprefix("caseload_").replace("_", " ")
    one, many = HOLDING_NAMES.get(table, (plain, plain))
    return f"{count} {one if count == 1 else many}"


def _duplicate_pair(client_id: int, duplicate_id: int) -> tuple[Client, Client]:
    """The sealed record and one of its possible duplicates; anything else answers as a missing record."""
    sealed = _safeguarded_client(client_id)
    duplicate = next((c for c in duplicates.possible_duplicates(sealed) if c.id == duplicate_id), None)
    if duplicate is None:
        policy.refuse(current_user, "Client:merge", duplicate_id, status=404)
    return sealed, duplicate  # type: ignore[return-value]


def _render_merge(sealed: Client, duplicate: Client, form: MergeForm, message: str = "",
                  status: int = 200) -> tuple[str, int]:
    record_read(sealed, current_user, "merge page")
    record_read(duplicate, current_user, "merge page")
    db.session.commit()
    holdings = [_holding_words(table, count) for table, count in merge_service.holdings(duplicate.id).items() if count]
    return render_template(
        "caseload/safeguards/merge.html", sealed=sealed, duplicate=duplicate, form=form, message=message,
        holdings=holdings, member=db.session.get(Staff, sealed.staff_member_id),
    ), status


@bp.route("/safeguards/clients/<int:client_id>/merge/<int:duplicate_id>", methods=["GET", "POST"])
@requires("caseload.safeguards")
def safeguards_merge(client_id: int, duplicate_id: int) -> Response | tuple[str, int]:
    sealed, duplicate = _duplicate_pair(client_id, duplicate_id)
    if request.method == "GET":
        form = MergeForm(formdata=None, data={"version": sealed.version, "duplicate": duplicate.version})
        return _render_merge(sealed, duplicate, form)
    form = MergeForm()
    if not form.validate_on_submit():
        return _render_merge(sealed, duplicate, form, status=400)
    try:
        moved = merge_service.merge(sealed, duplicate, current_user, sealed_version=form.version.data,
                                    duplicate_version=form.duplicate.data)
        edits.commit()
    except StaleEdit:
        db.session.rollback()
        sealed, duplicate = _duplicate_pair(client_id, duplicate_id)
        form.version.data, form.duplicate.data = str(sealed.version), str(duplicate.version)
        return _render_merge(sealed, duplicate, form, message=STALE_MESSAGE, status=409)
    total = sum(moved.values())
    flash(f"The new record is merged into this protected record: {total} item{'s' if total != 1 else ''} moved. "
          "The record is still sealed, and the new record's address no longer exists.", "success")
    return redirect(url_for(".safeguard_client", client_id=client_id))


# The access report and declared relationships ---------------------------------------------------------------------

def _access_filters() -> tuple[AccessFilterForm, queries.AccessFilters]:
    form = AccessFilterForm(request.args)
    form.person.choices = [("", "Anyone"), *queries.access_people(current_user)]
    form.validate()

    def value(field: Any, empty: Any) -> Any:
        return empty if field.errors or field.data in (None, "") else field.data

    filters = queries.AccessFilters(
        client=value(form.client, ""),
        person_id=value(form.person, None),
        date_from=value(form.date_from, None),
        date_to=value(form.date_to, None),
    )
    return form, filters


@bp.get("/safeguards/access-report")
@requires("caseload.safeguards")
def safeguards_access_report() -> tuple[str, int]:
    form, filters = _access_filters()
    page = paginate(queries.access_report(current_user, filters))
    status = 400 if form.errors else 200
    return render_template(
        "caseload/safeguards/access_report.html", form=form, filters=filters, page=page
    ), status


@bp.get("/safeguards/access-report.csv")
@requires("caseload.safeguards")
def safeguards_access_csv() -> Response:
    _form, filters = _access_filters()
    audit.record("safeguards.access_report_exported", actor=current_user, record_type="report",
                 record_id="sealed-access", detail="filtered" if filters.any else "all")
    db.session.commit()
    rows = queries.access_report_rows(current_user, filters)
    lines = csv_lines([queries.ACCESS_CSV_HEADER, *rows])
    return Response(
        stream_with_context(lines),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="peerworks-sealed-access-{_today():%Y-%m-%d}.csv"'},
    )


@bp.get("/safeguards/relationships")
@requires("caseload.safeguards")
def safeguards_relationships() -> str:
    page = paginate(queries.declared_relationships(current_user))
    clients, staff = queries.names_for(list(page.items))
    return render_template("caseload/safeguards/relationships.html", page=page, clients=clients, staff=staff,
                           labels=dict(Relationship.choices()))
