"""Helpers the administration view files share (they never import each other)."""

from __future__ import annotations

from core.forms import FlaskForm


def add_problems(form: FlaskForm, problems: dict[str, str]) -> None:
    """Show a service's ``InvalidInput`` problems next to their fields."""
    for name, message in problems.items():
        form[name].errors = [*form[name].errors, message]
