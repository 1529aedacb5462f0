"""The audit screen for the privacy officer and the administrator."""

from flask import Blueprint, render_template

from core.policy import requires

bp = Blueprint("auditlog", __name__, url_prefix="/audit")


@bp.get("/")
@requires("audit.view")
def index() -> str:
    return render_template("audit/index.html")
