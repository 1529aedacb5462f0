"""Caseload routes: safeguards."""

from caseload.views import bp  # noqa: F401
