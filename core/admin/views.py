"""Administration: staff, roles, teams, invitations, CSV import and the email outbox. Thin: load, check, call the
service, commit once, redirect."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from wtforms.fields.choices import SelectChoice

from core import policy
from core.admin import service
from core.admin.forms import (
    MAX_IMPORT_BYTES,
    ImportForm,
    InviteForm,
    ProgramForm,
    StaffEditForm,
    StaffFilterForm,
    TeamForm,
    TeamRenameForm,
)
from core.extensions import db
from core.forms import FlaskForm
from core.models import Staff, StaffStatus, Team
from core.pages import page_number
from core.policy import requires
from core.timeutil import utcnow

bp = Blueprint("admin", __name__, url_prefix="/admin")

IMPORT_SUMMARY_KEY = "admin_import_summary"


def _page_size() -> int:
    return int(current_app.config["PAGE_SIZE"])


def _add_problems(form: FlaskForm, problems: dict[str, str]) -> None:
    for name, message in problems.items():
        form[name].errors = [*form[name].errors, message]


# Staff list and CSV download -------------------------------------------------------------------------------


def _read_filters() -> tuple[StaffFilterForm, service.StaffFilters]:
    form = StaffFilterForm(request.args)
    form.program.choices = [SelectChoice("", "Any program"), *(SelectChoice(p.id, str(p)) for p in service.programs())]
    form.team.choices = [SelectChoice("", "Any team"), *(SelectChoice(t.id, str(t)) for t in service.teams())]
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
    page = db.paginate(
        service.staff_query(filters, actor=current_user),
        page=page_number(),
        per_page=_page_size(),
        error_out=False,
    )
    return render_template(
        "admin/staff_list.html",
        form=form,
        filters=filters,
        page=page,
        status_labels=service.STATUS_LABELS,
    )


@bp.get("/staff/export.csv")
@requires("admin.staff")
def staff_export() -> Response:
    _form, filters = _read_filters()
    lines = service.export_csv(filters, actor=current_user)
    filename = f"peerworks-staff-{utcnow():%Y-%m-%d}.csv"
    return Response(
        stream_with_context(lines),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# Invitations -----------------------------------------------------------------------------------------------


def _fill_choices(form: InviteForm | StaffEditForm, staff: Staff | None = None) -> None:
    form.program.choices = [SelectChoice("", "No program"), *(SelectChoice(p.id, str(p)) for p in service.programs())]
    form.teams.choices = [SelectChoice(t.id, str(t)) for t in service.teams()]
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
        try:
            staff = service.invite(form.email.data, _details(form), actor=current_user)
            db.session.commit()
        except service.InvalidInput as error:
            db.session.rollback()
            _add_problems(form, error.problems)
        except IntegrityError:
            db.session.rollback()
            _add_problems(form, {"email": "Someone with this email address already has an account."})
        else:
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
        link=service.invitation_link(staff),
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
                staff, _details(form), actor=current_user, expected_version=int(form.version.data)
            )
            db.session.commit()
        except service.InvalidInput as error:
            db.session.rollback()
            _add_problems(form, error.problems)
        except (service.EditConflict, StaleDataError):
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
        status_labels=service.STATUS_LABELS,
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
        else:
            service.resend_invitation(staff, actor=current_user)
            message = f"A new invitation for {staff.name} is waiting in the email outbox."
        db.session.commit()
    except service.NotAllowed as refusal:
        db.session.rollback()
        flash(str(refusal), "error")
        return redirect(url_for(".staff_detail", staff_id=staff_id))
    except StaleDataError:
        db.session.rollback()
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


# CSV import ------------------------------------------------------------------------------------------------


@bp.route("/staff/import", methods=["GET", "POST"])
@requires("admin.staff")
def staff_import() -> Response | tuple[str, int]:
    form = ImportForm()
    result: service.ImportResult | None = None
    if form.validate_on_submit():
        raw = form.file.data.read(MAX_IMPORT_BYTES + 1)
        if len(raw) > MAX_IMPORT_BYTES:
            form.file.errors = ["The file must be smaller than 4 MB."]
        else:
            try:
                result = service.import_staff(raw, actor=current_user)
                if result.ok:
                    db.session.commit()
            except IntegrityError:
                db.session.rollback()
                result = service.ImportResult([service.RowProblem(
                    service.WHOLE_FILE, "Whole file",
                    "Someone added one of these people at the same moment. Nothing was imported; upload the file "
                    "again to see which rows to remove.")])
            if result.ok:
                session[IMPORT_SUMMARY_KEY] = {"people": len(result.created), "programs": result.by_program}
                flash(f"Imported {len(result.created)} people. Their invitations are waiting in the email outbox.",
                      "success")
                return redirect(url_for(".staff_import_done"))
            db.session.rollback()
    failed = bool(form.errors) or (result is not None and not result.ok)
    return render_template(
        "admin/staff_import.html",
        form=form,
        result=result,
        columns=service.IMPORT_COLUMNS,
        max_rows=service.MAX_IMPORT_ROWS,
        shown_problems=200,
    ), 400 if failed else 200


@bp.get("/staff/import/template.csv")
@requires("admin.staff")
def staff_import_template() -> Response:
    return Response(
        service.import_template(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="peerworks-staff-import-template.csv"'},
    )


@bp.get("/staff/import/done")
@requires("admin.staff")
def staff_import_done() -> Response | str:
    summary = session.get(IMPORT_SUMMARY_KEY)
    if not summary:
        return redirect(url_for(".staff_import"))
    return render_template("admin/staff_import_done.html", summary=summary)


# Programs and teams ----------------------------------------------------------------------------------------


def _program_form() -> ProgramForm:
    return ProgramForm(prefix="program")


def _team_form() -> TeamForm:
    form = TeamForm(prefix="team")
    form.program.choices = [
        SelectChoice("", "Choose a program"),
        *(SelectChoice(p.id, str(p)) for p in service.programs()),
    ]
    return form


def _teams_page(program_form: ProgramForm, team_form: TeamForm, status: int = 200) -> tuple[str, int]:
    rows, without_program = service.program_overview()
    return render_template(
        "admin/teams.html",
        rows=rows,
        without_program=without_program,
        program_form=program_form,
        team_form=team_form,
    ), status


@bp.get("/teams")
@requires("admin.teams")
def teams() -> tuple[str, int]:
    return _teams_page(_program_form(), _team_form())


@bp.post("/teams/programs")
@requires("admin.teams")
def program_add() -> Response | tuple[str, int]:
    form = _program_form()
    if form.validate_on_submit():
        try:
            program = service.create_program(form.code.data, form.name.data, actor=current_user)
            db.session.commit()
        except service.InvalidInput as error:
            db.session.rollback()
            _add_problems(form, error.problems)
        except IntegrityError:
            db.session.rollback()
            _add_problems(form, {"code": "A program with this code or name was just added. Choose another."})
        else:
            flash(f"Added the program {program}.", "success")
            return redirect(url_for(".teams"))
    return _teams_page(form, _team_form(), 400)


@bp.post("/teams/new")
@requires("admin.teams")
def team_add() -> Response | tuple[str, int]:
    form = _team_form()
    if form.validate_on_submit():
        try:
            team = service.create_team(form.program.data, form.name.data, actor=current_user)
            db.session.commit()
        except service.InvalidInput as error:
            db.session.rollback()
            _add_problems(form, error.problems)
        except IntegrityError:
            db.session.rollback()
            _add_problems(form, {"name": "A team with this name was just added to that program. Choose another."})
        else:
            flash(f"Added the team {team}.", "success")
            return redirect(url_for(".teams"))
    return _teams_page(_program_form(), form, 400)


@bp.route("/teams/<int:team_id>/rename", methods=["GET", "POST"])
@requires("admin.teams")
def team_rename(team_id: int) -> Response | tuple[str, int]:
    team = db.get_or_404(Team, team_id)
    form = TeamRenameForm() if request.method == "POST" else TeamRenameForm(formdata=None, data={"name": team.name})
    if form.validate_on_submit():
        old_name = team.name
        try:
            renamed = service.rename_team(team, form.name.data, actor=current_user)
            db.session.commit()
        except service.InvalidInput as error:
            db.session.rollback()
            _add_problems(form, error.problems)
        except IntegrityError:
            db.session.rollback()
            _add_problems(form, {"name": "A team with this name was just added to that program. Choose another."})
        else:
            if renamed:
                flash(f"Renamed the team “{old_name}” to “{team.name}”.", "success")
            else:
                flash("The name is the same as before; nothing was changed.", "info")
            return redirect(url_for(".teams"))
    return render_template("admin/team_rename.html", team=team, form=form), 400 if form.errors else 200


# Email outbox ----------------------------------------------------------------------------------------------


@bp.get("/outbox")
@requires("admin.outbox")
def outbox() -> str:
    state = request.args.get("state", "")
    if state not in service.OUTBOX_STATES:
        state = ""
    page = db.paginate(
        service.outbox_query(state),
        page=page_number(),
        per_page=_page_size(),
        error_out=False,
    )
    return render_template(
        "admin/outbox.html",
        page=page,
        state=state,
        states=service.OUTBOX_STATES,
        smtp_ready=bool(current_app.config["SMTP_HOST"]),
        max_attempts=service.mail.MAX_ATTEMPTS,
    )
