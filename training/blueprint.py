"""The training blueprint: the view files in ``training.views`` attach their routes to it."""

from flask import Blueprint

bp = Blueprint("training", __name__, url_prefix="/training")
