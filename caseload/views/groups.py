"""Caseload routes: groups."""

from caseload.views import bp  # noqa: F401
