"""Form pieces shared by every module, and the two form bases every PeerWorks form derives from.

``FlaskForm`` (with a CSRF token, for anything that changes data) and ``Form`` (for GET filters) add one check to
every text field: no NUL character. PostgreSQL cannot store one, so without the check a pasted or forged NUL
would be a server error instead of a message next to the field (Django does the same for every CharField). A whole
number that cannot be read ("37.5", "first") gets one plain message, not WTForms' "Not a valid integer value."
followed by a range it may well be within.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

import flask_wtf
import wtforms
from wtforms import (
    DateField,
    Field,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    ValidationError,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, StopValidation

from core import csrf, passwords
from core.text import visible_length

NUL_MESSAGE = (
    "This has a hidden character we cannot use (it often comes from copying out of another program). "
    "Type it again, or paste it as plain text."
)


def no_nul(form: Any, field: Field) -> None:
    if isinstance(field.data, str) and "\x00" in field.data:
        raise ValidationError(NUL_MESSAGE)


WHOLE_NUMBER = "Enter a whole number, without a decimal point or letters."


def stop_when_unreadable(form: Any, field: Field) -> None:
    """Something was typed, could not be read as a number, and its message says so: no further check adds a second
    message. (Nothing typed is left to Optional or InputRequired, which replace the message.)"""
    if field.process_errors and field.raw_data and str(field.raw_data[0]).strip():
        raise StopValidation


class _NoNulMeta:
    def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Field:
        field = unbound_field.bind(form=form, **options)
        if isinstance(field, StringField) and not isinstance(field, PasswordField):  # a password is never stored
            field.validators = [no_nul, *field.validators]
        if isinstance(field, IntegerField):
            if not field.invalid_value_message:  # the field's own range words say best what to type, if it has any
                ranges = [v.message for v in field.validators if isinstance(v, NumberRange) and v.message]
                field.invalid_value_message = ranges[0] if ranges else WHOLE_NUMBER
            field.validators = [stop_when_unreadable, *field.validators]
        return field


class FlaskForm(flask_wtf.FlaskForm):
    """A form that changes data: CSRF token, and no NUL in any text field."""

    class Meta(_NoNulMeta):  # WTForms merges it with flask_wtf's Meta
        pass

    def validate(self, extra_validators: Any = None) -> bool:
        """Never valid on a request whose CSRF token was refused: the view shows the form again, input kept."""
        if csrf.refused():
            return False
        return super().validate(extra_validators=extra_validators)


class Form(wtforms.Form):
    """A form read from the query string (filters, searches): no CSRF token, no NUL in any text field."""

    class Meta(_NoNulMeta):
        pass


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


def _has_control(text: str, allowed: str = "") -> bool:
    return any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in text)


def plain_text(form: Any, field: Field) -> None:
    """One line of ordinary text: no control characters (they break exports, and PostgreSQL refuses NUL)."""
    if isinstance(field.data, str) and _has_control(field.data):
        raise ValidationError(
            "Use only letters, numbers, spaces and punctuation. "
            "Remove the tabs, line breaks or other special characters."
        )


def plain_paragraphs(form: Any, field: Field) -> None:
    """Like ``plain_text``, but line breaks and tabs are allowed."""
    if isinstance(field.data, str) and _has_control(field.data, allowed="\n\r\t"):
        raise ValidationError("Use only letters, numbers, spaces and punctuation.")


class VisibleLength:
    """At least ``minimum`` characters a reader can see (``core.text.visible_length``): the one check every
    "reason" field uses, so spaces, zero-width and other invisible characters never make a reason long enough."""

    def __init__(self, minimum: int, message: str) -> None:
        self.minimum = minimum
        self.message = message

    def __call__(self, form: Any, field: Field) -> None:
        if not isinstance(field.data, str) or visible_length(field.data) < self.minimum:
            raise ValidationError(self.message)


def optional_id(value: Any) -> int | None:
    """Coerce a select's value: '' means "none chosen"; anything else must be a whole number that fits an id
    column (so a forged huge number is a form error, not a database error)."""
    if value in (None, ""):
        return None
    number = int(value)
    if not 0 < number < 2**31:
        raise ValueError("out of range")
    return number


def clean_text(value: Any) -> Any:
    """Trim and use one kind of line break. A NUL is kept, so the form's NUL check refuses it with a message
    (a filter that dropped it would change what the person typed without telling them)."""
    if not isinstance(value, str):
        return value
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def options(pairs: Iterable[tuple[Any, str]], group: str | None = None) -> list[SelectChoice]:
    """Choices for select, radio and checkbox fields (WTForms 3.3 deprecates plain tuples)."""
    return [SelectChoice(value, label, optgroup=group) for value, label in pairs]


class PlainDateField(DateField):
    """A date box with a plain message for a date that cannot be read; an empty box counts as no answer.

    Dates are calendar days in the agency's time zone (``core.timeutil.today``); nothing here converts them."""

    def __init__(self, label: str, validators: list[Any] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("invalid_value_message", "Enter a real date as year, month and day, for example 2025-03-15.")
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist and not " ".join(str(value) for value in valuelist).strip():
            # Only spaces: no answer, for InputRequired too (it reads raw_data, and " " would pass it with no date).
            self.data = None
            self.raw_data = []
            return
        super().process_formdata(valuelist)


class VersionField(HiddenField):
    """The version of the record the form was loaded at, for ``core.edits.expect_version``."""


# Fields the modules build the same way ---------------------------------------------------------------------------

NOT_A_CHOICE = "Choose one of the options shown."


def text_line(label: str, limit: int, *, required: str | None = None) -> StringField:
    """A one-line text box: trimmed, at most ``limit`` characters, no control characters; ``required`` is the
    message when it is left empty (optional when None)."""
    validators: list[Any] = [DataRequired(required)] if required else [Optional()]
    validators += [Length(max=limit, message=f"Use at most {limit:,} characters."), plain_text]
    return StringField(label, filters=[clean_text], validators=validators)


def text_area(label: str, limit: int, *, required: str | None = None) -> TextAreaField:
    """A text area of paragraphs, like ``text_line`` otherwise."""
    validators: list[Any] = [DataRequired(required)] if required else [Optional()]
    validators += [Length(max=limit, message=f"Use at most {limit:,} characters."), plain_paragraphs]
    return TextAreaField(label, filters=[clean_text], validators=validators)


def plain_choice_messages(field: Any) -> None:
    """A choice that is not among the options (a forged or stale form) says so in plain words."""
    field.invalid_choice_message = NOT_A_CHOICE
    field.invalid_value_message = NOT_A_CHOICE
