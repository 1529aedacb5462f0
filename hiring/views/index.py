"""The hiring page, while the module is being built."""

from flask import render_template

from core.policy import requires
from hiring.blueprint import bp


@bp.get("/")
@requires("hiring.view")
def index() -> str:
    return render_template("hiring/index.html")
