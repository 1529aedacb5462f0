from flask import Blueprint, render_template

from core.policy import requires

bp = Blueprint("readiness", __name__, url_prefix="/readiness")


@bp.get("/")
@requires("readiness.view")
def index() -> str:
    return render_template("readiness/index.html")
