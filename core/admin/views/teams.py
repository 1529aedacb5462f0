"""Programs and teams: the overview, adding a program or a team, renaming a team."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from wtforms.fields.choices import SelectChoice

from core import edits
from core.admin.blueprint import bp
from core.admin.forms import ProgramForm, TeamForm, TeamRenameForm
from core.admin.services import teams as service
from core.admin.views._common import add_problems, save_new
from core.errors import InvalidInput, StaleEdit
from core.extensions import db
from core.models import Team
from core.policy import requires


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
        program = save_new(
            form, lambda: service.create_program(form.code.data, form.name.data, actor=current_user),
            duplicate=("code", "A program with this code or name was just added. Choose another."),
        )
        if program is not None:
            flash(f"Added the program {program}.", "success")
            return redirect(url_for(".teams"))
    return _teams_page(form, _team_form(), 400)


@bp.post("/teams/new")
@requires("admin.teams")
def team_add() -> Response | tuple[str, int]:
    form = _team_form()
    if form.validate_on_submit():
        team = save_new(
            form, lambda: service.create_team(form.program.data, form.name.data, actor=current_user),
            duplicate=("name", "A team with this name was just added to that program. Choose another."),
        )
        if team is not None:
            flash(f"Added the team {team}.", "success")
            return redirect(url_for(".teams"))
    return _teams_page(_program_form(), form, 400)


@bp.route("/teams/<int:team_id>/rename", methods=["GET", "POST"])
@requires("admin.teams")
def team_rename(team_id: int) -> Response | tuple[str, int]:
    team = db.get_or_404(Team, team_id)
    if request.method == "POST":
        form = TeamRenameForm()
    else:
        form = TeamRenameForm(formdata=None, data={"name": team.name, "version": str(team.version)})
    stale = False
    if form.validate_on_submit():
        old_name = team.name
        try:
            renamed = service.rename_team(team, form.name.data, actor=current_user, expected_version=form.version.data)
            edits.commit()
        except InvalidInput as error:
            db.session.rollback()
            add_problems(form, error.problems)
        except IntegrityError:
            db.session.rollback()
            add_problems(form, {"name": "A team with this name was just added to that program. Choose another."})
        except StaleEdit:
            db.session.rollback()
            team = db.get_or_404(Team, team_id)
            form.version.data = str(team.version)  # sending the form again is a deliberate overwrite
            stale = True
        else:
            if renamed:
                flash(f"Renamed the team “{old_name}” to “{team.name}”.", "success")
            else:
                flash("The name is the same as before; nothing was changed.", "info")
            return redirect(url_for(".teams"))
    status = 409 if stale else 400 if form.errors else 200
    return render_template(
        "admin/team_rename.html", team=team, form=form, stale=stale, stale_message=edits.STALE_MESSAGE
    ), status
