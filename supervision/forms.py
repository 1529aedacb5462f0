"""Supervision forms: input shape only. The rules (whom a supervisor may log a session with, what a revision is,
who signs off) live in ``supervision.services``."""

from __future__ import annotations

from typing import Any

from wtforms import Field, FieldList, FormField, IntegerField, RadioField, SelectField, StringField, TimeField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional, ValidationError

from core.credentials import parse_hours
from core.forms import (
    FlaskForm,
    Form,
    MultiCheckboxField,
    PlainDateField,
    VersionField,
    clean_text,
    optional_id,
    options,
    plain_choice_messages,
    text_area,
    text_line,
)
from supervision.models import Format, Kind

ITEM_ROWS = 3


class ItemForm(Form):
    """One new action item (a row left empty is ignored)."""

    text = text_line("What is to be done", 500)
    owner = SelectField("Who does it", validators=[Optional()])
    due_on = PlainDateField("Due by", validators=[Optional()])

    def validate(self, extra_validators: Any = None) -> bool:
        # Checked here, not in a validate_text: the text's Optional() ends its checks when it is empty.
        valid = super().validate(extra_validators=extra_validators)
        if not self.text.data and not self.text.errors and (self.due_on.data or self.owner.data):
            self.text.errors = [*self.text.errors, "Say what is to be done, or clear this row's other boxes."]
            return False
        if self.text.data and not self.owner.data and not self.owner.errors:
            self.owner.errors = [*self.owner.errors, "Choose who does it."]
            return False
        return valid


class _SharedPart(FlaskForm):
    held_on = PlainDateField("Day of the session", validators=[InputRequired("Enter the day of the session.")])
    starts_at = TimeField(
        "Time it started",
        validators=[InputRequired("Enter the time it started, for example 14:30.")],
        invalid_value_message="Enter the time as hours and minutes, for example 14:30.",
    )
    duration_minutes = IntegerField(
        "Length in minutes",
        validators=[
            InputRequired("Enter how long it lasted, in minutes."),
            NumberRange(5, 600, "Enter a whole number of minutes between 5 and 600."),
        ],
    )
    format = RadioField(
        "How you met", choices=options(Format.choices()), validators=[InputRequired("Choose how you met.")]
    )
    topics = MultiCheckboxField("Agenda topics", choices=[], validators=[Optional()])
    notes = text_area("Notes", 20000)
    decisions = text_area("Decisions", 5000)
    items = FieldList(FormField(ItemForm), "Action item", min_entries=ITEM_ROWS, max_entries=ITEM_ROWS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in (self.format, self.topics):
            plain_choice_messages(field)

    def offer(self, topics: list[str], owners: list[tuple[str, str]]) -> None:
        self.topics.choices = options((name, name) for name in topics)
        for row in self.items:
            row.owner.choices = options([("", "Choose who"), *owners])
            plain_choice_messages(row.owner)


class SessionForm(_SharedPart):
    """A new session: who, when, what was said and decided, what is to be done."""

    kind = RadioField(
        "Kind of session",
        choices=options(Kind.choices()),
        default=Kind.ONE_TO_ONE.value,
        validators=[InputRequired("Choose one-to-one or group.")],
    )
    attendee_ids = MultiCheckboxField("Who attended", coerce=int, choices=[], validators=[Optional()])
    co_facilitator_id = SelectField("Co-facilitator (group sessions)", coerce=optional_id, validators=[Optional()])

    def offer_people(self, supervisees: list[Any], supervisors: list[Any]) -> None:
        self.attendee_ids.choices = options((person.id, person.name) for person in supervisees)
        self.co_facilitator_id.choices = options([("", "No co-facilitator"), *((p.id, p.name) for p in supervisors)])
        for field in (self.kind, self.attendee_ids, self.co_facilitator_id):
            plain_choice_messages(field)


class EditForm(_SharedPart):
    """A change to the shared part (who attended is fixed once logged)."""

    version = VersionField()


class PrivateForm(FlaskForm):
    note = text_area("Private wellness notes", 20000)
    version = VersionField()


class DeleteForm(FlaskForm):
    version = VersionField()


class AnswerForm(FlaskForm):
    revision = VersionField()
    comment = text_area("What you disagree with", 2000)


class CloseItemForm(FlaskForm):
    note = text_line("How it was done", 500)


class CloseItemsForm(FlaskForm):
    """Closing several action items at once: the ticked items and each one's version are read from the request
    (their names depend on the list shown); the one note is kept with each item closed."""

    note = text_line("How they were done", 500)


class TopicForm(FlaskForm):
    name = text_line("New topic", 80, required="Enter the topic's name.")


def _hours(label: str) -> StringField:
    return StringField(label, filters=[clean_text], validators=[DataRequired("Enter the hours, for example 4 or 1.5.")])


class RuleForm(FlaskForm):
    credential_type_id = SelectField("Applies to", coerce=optional_id, validators=[Optional()])
    monthly_hours = _hours("Hours of supervision a month")
    one_to_one_hours = _hours("Of which one-to-one, at least")

    def validate_monthly_hours(self, field: Field) -> None:
        _check_hours(field)

    def validate_one_to_one_hours(self, field: Field) -> None:
        _check_hours(field)

    def minutes(self, field: Field) -> int | None:
        try:
            return parse_hours(field.data, most=100) * 15
        except ValueError:
            return None


def _check_hours(field: Field) -> None:
    try:
        parse_hours(field.data, most=100)
    except ValueError as error:
        raise ValidationError(str(error)) from None


class ComplianceFilter(Form):
    """HR's filter of the compliance list (sent by GET: no CSRF token, changes nothing). Typed, not chosen: a list of
    every active supervisor grew with the agency (1,000 options, half the page's time at 10,000 peer specialists)
    and was slow to use with a screen reader. It matches part of the supervisor's name or email address, in any
    case."""

    supervisor = text_line("Supervisor", 120)
