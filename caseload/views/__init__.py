"""The caseload blueprint. Each area of the caseload registers its routes from its own module."""

from flask import Blueprint

bp = Blueprint("caseload", __name__, url_prefix="/caseload")

from caseload import demo as _demo  # noqa: E402,F401  adds the demo caseload to seed-demo
from caseload import policy as _policy  # noqa: E402,F401  registers the record rules
from caseload.views import (  # noqa: E402,F401
    clients,
    groups,
    index,
    plans,
    referrals,
    resources,
    safeguards,
)
