"""Caseload routes: resources."""

from caseload.views import bp  # noqa: F401
