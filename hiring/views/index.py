from flask import Blueprint, render_template

from core.policy import requires

bp = Blueprint("hiring", __name__, url_prefix="/hiring")


@bp.get("/")
@requires("hiring.view")
def index() -> str:
    return render_template("hiring/index.html")
