"""The home page: what each person can do, by role."""

from flask import Blueprint, render_template
from flask_login import current_user

from core.navigation import items_for
from core.policy import requires

bp = Blueprint("home", __name__)


@bp.get("/")
@requires("home.view")
def index() -> str:
    return render_template("core/home.html", items=[i for i in items_for() if i.endpoint != "home.index"],
                           user=current_user)
