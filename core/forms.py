"""Form pieces shared by every module."""

from __future__ import annotations

from typing import Any

from wtforms import Field, SelectMultipleField, ValidationError, widgets

from core import passwords


class MultiCheckboxField(SelectMultipleField):
    """A group of checkboxes: easier to use by keyboard and screen reader than a multi-select box."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class NewPassword:
    """Length and common-password checks. The view sets ``form.account_email`` so it cannot be the password."""

    def __call__(self, form: Any, field: Field) -> None:
        email = getattr(form, "account_email", "")
        problems = passwords.problems_with(field.data or "", email=email)
        if problems:
            raise ValidationError(" ".join(problems))


def strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def optional_id(value: Any) -> int | None:
    """Coerce a select's value: '' means "none chosen"; anything else must be a whole number that fits an id
    column (so a forged huge number is a form error, not a database error)."""
    if value in (None, ""):
        return None
    number = int(value)
    if not 0 < number < 2**31:
        raise ValueError("out of range")
    return number
