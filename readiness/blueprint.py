"""The readiness blueprint: the view files in ``readiness.views`` attach their routes to it."""

from flask import Blueprint

bp = Blueprint("readiness", __name__, url_prefix="/readiness")
