from flask import Blueprint, render_template

from core.policy import requires

bp = Blueprint("training", __name__, url_prefix="/training")


@bp.get("/")
@requires("training.view")
def index() -> str:
    return render_template("training/index.html")
