"""The supervision blueprint: the view files in ``supervision.views`` attach their routes to it."""

from flask import Blueprint

bp = Blueprint("supervision", __name__, url_prefix="/supervision")
