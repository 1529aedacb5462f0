from flask import render_template

from caseload.views import bp
from core.policy import requires


@bp.get("/")
@requires("caseload.view")
def index() -> str:
    return render_template("caseload/index.html")
