"""The audit screen's filter form (sent by GET, so it carries no CSRF token and changes nothing)."""

from __future__ import annotations

from datetime import date
from typing import Any

from wtforms import DateField, Field, SelectField, StringField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from core.forms import FlaskForm, strip

ANYONE = ""
NOT_SIGNED_IN = "none"


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

    person = SelectField(
        "Person",
        default="",
        invalid_choice_message="Choose a person from the list.",
    )
    action = SelectField(
        "Action",
        default="",
        invalid_choice_message="Choose an action from the list.",
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
    record_type = SelectField(
        "Record type",
        default="",
        invalid_choice_message="Choose a record type from the list.",
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

    def set_choices(self, people: list[tuple[int, str, str]], actions: list[str], record_types: list[str]) -> None:
        self.person.choices = [
            SelectChoice(ANYONE, "Anyone"),
            SelectChoice(NOT_SIGNED_IN, "Not signed in"),
            *(SelectChoice(str(staff_id), f"{name} ({email})") for staff_id, name, email in people),
        ]
        self.action.choices = [SelectChoice("", "Any action"), *(SelectChoice(action) for action in actions)]
        self.record_type.choices = [SelectChoice("", "Any record type"), *(SelectChoice(kind) for kind in record_types)]

    def validate_date_to(self, field: Field) -> None:
        start: date | None = self.date_from.data
        if start is not None and field.data is not None and field.data < start:
            raise ValidationError("The to date must be the same as or after the from date.")
