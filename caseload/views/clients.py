"""Caseload routes: clients."""

from caseload.views import bp  # noqa: F401
