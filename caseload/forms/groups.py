"""Peer-led group forms: input shape only. Choices (programs, facilitators, the clients a person may see) are
filled in by the view from ``caseload.services.groups``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from wtforms import (
    BooleanField,
    Field,
    IntegerField,
    SearchField,
    SelectField,
    StringField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from caseload.forms._common import version_field
from caseload.forms.referrals import DayField, OneOf, choice_values
from caseload.models import GroupKind
from core import timeutil
from core.forms import FlaskForm, Form, MultiCheckboxField, optional_id, options, plain_text, strip

KIND_CHOICES = GroupKind.choices()


class GroupFilterForm(Form):
    """The group list's filters (a GET form: no CSRF token, changes nothing)."""

    q = SearchField("Group name", filters=[strip], validators=[Optional(), Length(max=160), plain_text])
    kind = SelectField(
        "Kind of group",
        choices=options([("", "Any kind"), *KIND_CHOICES]),
        validate_choice=False,
        validators=[Optional(), OneOf("Choose a kind of group from the list.")],
    )


class GroupForm(FlaskForm):
    name = StringField(
        "Group name",
        filters=[strip],
        validators=[
            DataRequired("Enter the group's name, for example Tuesday WRAP group."),
            Length(max=160, message="Use at most 160 characters."),
            plain_text,
        ],
    )
    kind = SelectField(
        "Kind of group",
        choices=options([("", "Choose a kind"), *KIND_CHOICES]),
        validate_choice=False,
        validators=[DataRequired("Choose the kind of group."), OneOf("Choose a kind of group from the list.")],
    )
    facilitator = SelectField(
        "Facilitator",
        coerce=optional_id,
        validate_choice=False,
        validators=[DataRequired("Choose who facilitates the group."), OneOf("Choose a facilitator from the list.")],
    )
    program = SelectField(
        "Program",
        coerce=optional_id,
        validate_choice=False,
        validators=[Optional(), OneOf("Choose a program from the list.")],
    )
    meets = StringField(
        "When and where it meets",
        filters=[strip],
        validators=[Optional(), Length(max=200, message="Use at most 200 characters."), plain_text],
    )
    active = BooleanField("The group still meets", default=True)


class GroupEditForm(GroupForm):
    version = version_field("Version of this group")


def _not_future(form: Any, field: Field) -> None:
    if field.data is not None and field.data > timeutil.today() + timedelta(days=1):
        raise ValidationError("This date is in the future. Record a session after it has happened.")
    if field.data is not None and field.data.year < 2000:
        raise ValidationError("Check the year of the session date.")


class MinutesField(IntegerField):
    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError("Enter a whole number of minutes, for example 60.") from error


class SessionForm(FlaskForm):
    held_on = DayField(
        "Date of the session", validators=[InputRequired("Enter the date of the session."), _not_future]
    )
    topic = StringField(
        "Topic",
        filters=[strip],
        validators=[Optional(), Length(max=200, message="Use at most 200 characters."), plain_text],
    )
    minutes = MinutesField(
        "Length in minutes",
        default=60,
        validators=[
            InputRequired("Enter how long the session lasted, in minutes."),
            NumberRange(min=1, max=600, message="Enter a number of minutes from 1 to 600."),
        ],
    )
    attendance = MultiCheckboxField("Who came", coerce=int, validate_choice=False, validators=[Optional()])

    def validate_attendance(self, field: Field) -> None:
        allowed = choice_values(field)
        if any(value not in allowed for value in field.data or []):
            raise ValidationError("Choose people from the list only. Reload the page to see the current list.")


class SessionEditForm(SessionForm):
    version = version_field("Version of this session")


class SessionRemoveForm(FlaskForm):
    version = version_field("Version of this session")
