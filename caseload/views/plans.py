"""Caseload routes: plans."""

from caseload.views import bp  # noqa: F401
