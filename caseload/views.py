from flask import Blueprint, render_template

from core.policy import requires

bp = Blueprint("caseload", __name__, url_prefix="/caseload")


@bp.get("/")
@requires("caseload.view")
def index() -> str:
    return render_template("caseload/index.html")
