"""The administration blueprint; the view files attach their routes to it."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
