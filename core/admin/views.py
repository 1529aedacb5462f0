"""Administration: staff, roles, teams, invitations, CSV import."""

from flask import Blueprint, render_template

from core.policy import requires

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/staff")
@requires("admin.staff")
def staff_list() -> str:
    return render_template("admin/staff_list.html")


@bp.get("/teams")
@requires("admin.teams")
def teams() -> str:
    return render_template("admin/teams.html")
