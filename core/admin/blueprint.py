"""The administration blueprint; the view files in ``core.admin.views`` attach their routes to it."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
