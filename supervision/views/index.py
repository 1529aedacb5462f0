from flask import Blueprint, render_template

from core.policy import requires

bp = Blueprint("supervision", __name__, url_prefix="/supervision")


@bp.get("/")
@requires("supervision.view")
def index() -> str:
    return render_template("supervision/index.html")
