"""The hiring blueprints: HR's pages under /hiring, and the public careers pages under /careers (no sign-in). The
view files in ``hiring.views`` attach their routes to them."""

from flask import Blueprint

bp = Blueprint("hiring", __name__, url_prefix="/hiring")
careers = Blueprint("careers", __name__, url_prefix="/careers")
