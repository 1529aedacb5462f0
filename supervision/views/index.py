"""The supervision page, while the module is being built."""

from flask import render_template

from core.policy import requires
from supervision.blueprint import bp


@bp.get("/")
@requires("supervision.view")
def index() -> str:
    return render_template("supervision/index.html")
