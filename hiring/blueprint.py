"""The hiring blueprint: the view files in ``hiring.views`` attach their routes to it."""

from flask import Blueprint

bp = Blueprint("hiring", __name__, url_prefix="/hiring")
