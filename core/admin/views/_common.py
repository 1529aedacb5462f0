"""Helpers the administration view files share (they never import each other)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError

from core.errors import InvalidInput
from core.extensions import db
from core.forms import FlaskForm

T = TypeVar("T")


def add_problems(form: FlaskForm, problems: dict[str, str]) -> None:
    """Show a service's ``InvalidInput`` problems next to their fields."""
    for name, message in problems.items():
        form[name].errors = [*form[name].errors, message]


def save_new(form: FlaskForm, create: Callable[[], T], *, duplicate: tuple[str, str]) -> T | None:
    """Run ``create`` and commit. On a rule broken (``InvalidInput``) or a record added at the same moment by
    someone else (the database's unique check; ``duplicate`` is the field and its message), roll back, show the
    problem next to its field and return None, so the view shows the form again with the input kept."""
    try:
        record = create()
        db.session.commit()
    except InvalidInput as error:
        db.session.rollback()
        add_problems(form, error.problems)
        return None
    except IntegrityError:
        db.session.rollback()
        add_problems(form, {duplicate[0]: duplicate[1]})
        return None
    return record
