"""The training page, while the module is being built."""

from flask import render_template

from core.policy import requires
from training.blueprint import bp


@bp.get("/")
@requires("training.view")
def index() -> str:
    return render_template("training/index.html")
