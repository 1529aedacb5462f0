"""Small helpers the caseload's view files share (kept here so view files never import each other)."""

from __future__ import annotations

from typing import Any

from wtforms import Field


def filter_value(field: Field, empty: Any) -> Any:
    """A filter's value, or ``empty`` when it was left blank or could not be used."""
    return empty if field.errors or field.data in (None, "") else field.data
