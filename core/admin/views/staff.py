"""Staff: the list and its CSV download, inviting a person, one person's page (edit, deactivate, reactivate,
resend the invitation). Thin: load, check, call the service, commit once, redirect."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from core import edits, policy, two_factor
from core.admin.blueprint import bp
from core.admin.forms import InviteForm, StaffEditForm, StaffFilterForm
from core.admin.services import invitations
from core.admin.services import staff as service
from core.admin.services.teams import programs, teams
from core.admin.views._common import add_problems, save_new
from core.errors import InvalidInput, Refused, StaleEdit, keep_refusal
from core.extensions import db
from core.models import Staff, StaffStatus
from core.pages import paginate
from core.policy import requires
from core.timeutil import today

# Staff list and CSV download -------------------------------------------------------------------------------


def _read_filters() -> tuple[StaffFilterForm, service.StaffFilters]:
    form = StaffFilterForm(request.args)
    form.program.choices = [SelectChoice("", "Any program"), *(SelectChoice(p.id, str(p)) for p in programs())]
    form.team.choices = [SelectChoice("", "Any team"), *(SelectChoice(t.id, str(t)) for t in teams())]
    form.validate()

    def value(field: Any, empty: Any) -> Any:
        return empty if field.errors or field.data in (None, "") else field.data

    filters = service.StaffFilters(
        q=value(form.q, ""),
        role=value(form.role, ""),
        program_id=value(form.program, None),
        team_id=value(form.team, None),
        status=value(form.status, ""),
    )
    return form, filters


@bp.get("/staff")
@requires("admin.staff")
def staff_list() -> str:
    form, filters = _read_filters()
    page = paginate(service.staff_query(filters, actor=current_user))
    return render_template(
        "admin/staff_list.html",
        form=form,
        filters=filters,
        page=page,
        status_labels=dict(StaffStatus.choices()),
    )


@bp.get("/staff/export.csv")
@requires("admin.staff")
def staff_export() -> Response:
    _form, filters = _read_filters()
    lines = service.export_csv(filters, actor=current_user)
    filename = f"peerworks-staff-{today():%Y-%m-%d}.csv"
    return Response(
        stream_with_context(lines),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# Invitations -----------------------------------------------------------------------------------------------


def _fill_choices(form: InviteForm | StaffEditForm, staff: Staff | None = None) -> None:
    form.program.choices = [SelectChoice("", "No program"), *(SelectChoice(p.id, str(p)) for p in programs())]
    form.teams.choices = [SelectChoice(t.id, str(t)) for t in teams()]
    form.supervisor.choices = [
        SelectChoice("", "No supervisor"),
        *(SelectChoice(c.id, c.label) for c in service.supervisor_candidates(exclude=staff)),
    ]


def _details(form: InviteForm | StaffEditForm) -> service.StaffDetails:
    return service.StaffDetails(
        name=form.name.data or "",
        job_title=form.job_title.data or "",
        roles=frozenset(form.roles.data or ()),
        program_id=form.program.data,
        team_ids=frozenset(form.teams.data or ()),
        supervisor_id=form.supervisor.data,
    )


@bp.route("/staff/invite", methods=["GET", "POST"])
@requires("admin.staff")
def staff_invite() -> Response | tuple[str, int]:
    form = InviteForm()
    _fill_choices(form)
    if form.validate_on_submit():
        staff = save_new(
            form, lambda: service.invite(form.email.data, _details(form), actor=current_user),
            duplicate=("email", "Someone with this email address already has an account."),
        )
        if staff is not None:
            flash(f"{staff.name} is invited. Their invitation email is waiting in the email outbox.", "success")
            return redirect(url_for(".staff_invitation", staff_id=staff.id))
    status = 400 if form.errors else 200
    return render_template("admin/staff_invite.html", form=form), status


@bp.get("/staff/<int:staff_id>/invitation")
@requires("admin.staff")
def staff_invitation(staff_id: int) -> Response | str:
    staff = db.get_or_404(Staff, staff_id)
    policy.authorize(current_user, "admin.edit", staff)
    if staff.status != StaffStatus.INVITED:
        flash(f"{staff.name} has no open invitation.", "info")
        return redirect(url_for(".staff_detail", staff_id=staff.id))
    return render_template(
        "admin/staff_invitation.html",
        staff=staff,
        link=invitations.invitation_link(staff),
        smtp_ready=bool(current_app.config["SMTP_HOST"]),
        max_age_days=current_app.config["INVITE_MAX_AGE"].days,
    )


# One person ------------------------------------------------------------------------------------------------


def _edit_form_for(staff: Staff) -> StaffEditForm:
    if request.method == "POST":
        return StaffEditForm()
    return StaffEditForm(
        formdata=None,
        data={
            "name": staff.name,
            "job_title": staff.job_title,
            "roles": sorted(staff.roles),
            "program": staff.program_id,
            "teams": [team.id for team in staff.teams],
            "supervisor": staff.supervisor_id,
            "version": str(staff.version),
        },
    )


@bp.route("/staff/<int:staff_id>", methods=["GET", "POST"])
@requires("admin.staff")
def staff_detail(staff_id: int) -> Response | tuple[str, int]:
    staff = db.get_or_404(Staff, staff_id)
    policy.authorize(current_user, "admin.edit", staff)
    form = _edit_form_for(staff)
    _fill_choices(form, staff)
    conflict: dict[str, str] | None = None
    status = 200
    if form.validate_on_submit():
        try:
            changed = service.update_staff(
                staff, _details(form), actor=current_user, expected_version=form.version.data
            )
            edits.commit()
        except InvalidInput as error:
            db.session.rollback()
            add_problems(form, error.problems)
        except StaleEdit:
            db.session.rollback()
            staff = db.get_or_404(Staff, staff_id)
            _fill_choices(form, staff)
            conflict = service.current_values(staff)
            form.version.data = str(staff.version)
            status = 409
        else:
            if changed:
                labels = ", ".join(service.FIELD_LABELS[name].lower() for name in changed)
                flash(f"Saved the changes to {staff.name}: {labels}.", "success")
            else:
                flash("Nothing was changed.", "info")
            return redirect(url_for(".staff_detail", staff_id=staff.id))
    if form.errors and status == 200:
        status = 400
    return render_template(
        "admin/staff_detail.html",
        staff=staff,
        form=form,
        conflict=conflict,
        field_labels=service.FIELD_LABELS,
        status_labels=dict(StaffStatus.choices()),
        two_factor_on=two_factor.confirmed(staff) is not None,
        two_factor_required=two_factor.required_for(staff),
    ), status


def _staff_action(staff_id: int, action: str) -> Response:
    staff = db.get_or_404(Staff, staff_id)
    policy.authorize(current_user, "admin.edit", staff)
    try:
        if action == "deactivate":
            service.deactivate(staff, actor=current_user)
            message = f"{staff.name} is deactivated and was signed out everywhere."
        elif action == "reactivate":
            new_status = service.reactivate(staff, actor=current_user)
            message = (
                f"{staff.name} is active again and can sign in."
                if new_status == StaffStatus.ACTIVE
                else f"{staff.name} is invited again. Send a new invitation so they can set a password."
            )
        elif action == "reset_two_factor":
            two_factor.reset(staff, actor=current_user)
            then = (
                "They set it up again at their next sign-in."
                if two_factor.required_for(staff)
                else "They sign in with their password only until they set it up again."
            )
            message = f"{staff.name}'s two-factor sign-in is reset and they were signed out everywhere. {then}"
        else:
            service.resend_invitation(staff, actor=current_user)
            message = f"A new invitation for {staff.name} is waiting in the email outbox."
        edits.commit()
    except Refused as refusal:
        keep_refusal(refusal, current_user)
        flash(str(refusal), "error")
        return redirect(url_for(".staff_detail", staff_id=staff_id))
    except StaleEdit:
        flash("Someone else changed this person at the same moment. Check the page and try again.", "error")
        return redirect(url_for(".staff_detail", staff_id=staff_id))
    flash(message, "success")
    if action == "resend":
        return redirect(url_for(".staff_invitation", staff_id=staff_id))
    return redirect(url_for(".staff_detail", staff_id=staff_id))


@bp.post("/staff/<int:staff_id>/deactivate")
@requires("admin.staff")
def staff_deactivate(staff_id: int) -> Response:
    return _staff_action(staff_id, "deactivate")


@bp.post("/staff/<int:staff_id>/reactivate")
@requires("admin.staff")
def staff_reactivate(staff_id: int) -> Response:
    return _staff_action(staff_id, "reactivate")


@bp.post("/staff/<int:staff_id>/resend-invitation")
@requires("admin.staff")
def staff_resend_invitation(staff_id: int) -> Response:
    return _staff_action(staff_id, "resend")


@bp.post("/staff/<int:staff_id>/two-factor/reset")
@requires("admin.staff")
def staff_reset_two_factor(staff_id: int) -> Response:
    """A lost phone: remove the person's second factor and recovery codes (audited: who, for whom)."""
    return _staff_action(staff_id, "reset_two_factor")
