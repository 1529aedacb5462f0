"""Helpers shared by the readiness view files (kept here so the view files never import each other)."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template

from core.timeutil import long_date
from readiness.models import Instrument
from readiness.services import instruments as instrument_service


def render(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(template, long_date=long_date, **context), status


def show_problems(form: Any, problems: dict[str, str]) -> None:
    """Put a service's problems next to the form's fields (the service names some fields by their model name)."""
    fields = {"team_ids": "teams", "instrument_id": "instrument"}
    for name, message in problems.items():
        getattr(form, fields.get(name, name)).errors.append(message)


def load_instrument(instrument_id: int) -> Instrument:
    """An instrument with its domains and items, or 404."""
    instrument = instrument_service.with_contents(instrument_id)
    if instrument is None:
        abort(404)
    return instrument
