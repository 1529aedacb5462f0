"""The caseload's blueprint. Its own file, so the view files import it without importing each other."""

from flask import Blueprint

bp = Blueprint("caseload", __name__, url_prefix="/caseload")
