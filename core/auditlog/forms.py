"""The audit screen's filter form (sent by GET, so it carries no CSRF token and changes nothing)."""

from __future__ import annotations

from datetime import date
from typing import Any

from wtforms import DateField, Field, SelectField, StringField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from core.forms import FlaskForm, strip

# Typed as the person: the entries written when nobody was signed in (a failed sign-in, a refused request).
NOT_SIGNED_IN = "not signed in"


class DayField(DateField):
    """A date typed as year-month-day, with a message that says what to type."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError("Enter the date as year-month-day, for example 2025-03-31.") from error


def no_control_characters(form: Any, field: Field) -> None:
    if field.data and any(ord(character) < 32 or ord(character) == 127 for character in field.data):
        raise ValidationError("Use only letters, numbers and punctuation.")


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    # Typed, not chosen: a list of every person, action and record type grew with the staff and the log (11,000
    # options and two scans of the whole log on each view at 10,000 entries), and was slow to use with a screen
    # reader. Each matches a part of the text, in any case.
    person = StringField(
        "Person",
        filters=[strip],
        validators=[
            Optional(),
            Length(max=120, message="A person is at most 120 characters."),
            no_control_characters,
        ],
    )
    action = StringField(
        "Action",
        filters=[strip],
        validators=[
            Optional(),
            Length(max=60, message="An action is at most 60 characters."),
            no_control_characters,
        ],
    )
    outcome = SelectField(
        "Outcome",
        choices=[
            SelectChoice("", "Allowed or denied"),
            SelectChoice("allowed", "Allowed"),
            SelectChoice("denied", "Denied"),
        ],
        default="",
        invalid_choice_message="Choose allowed or denied.",
    )
    record_type = StringField(
        "Record type",
        filters=[strip],
        validators=[
            Optional(),
            Length(max=40, message="A record type is at most 40 characters."),
            no_control_characters,
        ],
    )
    record_id = StringField(
        "Record number",
        filters=[strip],
        validators=[
            Optional(),
            Length(max=40, message="A record number is at most 40 characters."),
            no_control_characters,
        ],
    )
    date_from = DayField("From date", validators=[Optional()])
    date_to = DayField("To date", validators=[Optional()])

    def validate_date_to(self, field: Field) -> None:
        start: date | None = self.date_from.data
        if start is not None and field.data is not None and field.data < start:
            raise ValidationError("The to date must be the same as or after the from date.")
