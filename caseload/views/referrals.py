"""Caseload routes: referrals."""

from caseload.views import bp  # noqa: F401
