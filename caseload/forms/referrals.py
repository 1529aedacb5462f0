"""Referral intake forms: input shape only. Which clients match, who may see them and what is saved live in
``caseload.services.referrals``; the view fills in the choices."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from wtforms import (
    DateField,
    DateTimeLocalField,
    Field,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from caseload.forms._common import version_field
from caseload.models import ReferralSource, Urgency
from core.forms import FlaskForm, Form, optional_id, options, plain_paragraphs, plain_text, strip
from core.timeutil import from_local_moment, now_local, today, utcnow

EARLIEST_DAY = date(1900, 1, 1)
NEW_CLIENT = "new"
FUTURE_GRACE = timedelta(minutes=2)  # a browser clock a little ahead of ours is not "the future"
MAX_REASON = 2000


class DayField(DateField):
    """A date typed as year-month-day, with a message that says what to type."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError("Enter the date as year-month-day, for example 2025-03-31.") from error


class MomentField(DateTimeLocalField):
    """A date and time from the browser's date-and-time box."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("format", ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"])
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError("Enter the date and time, for example 2025-03-31 09:30.") from error


def choice_values(field: Field) -> set[Any]:
    return {c.value if isinstance(c, SelectChoice) else c[0] for c in getattr(field, "choices", None) or []}


class OneOf:
    """The value must be one of the field's choices (a tampered form can hold anything)."""

    def __init__(self, message: str) -> None:
        self.message = message

    def __call__(self, form: Any, field: Field) -> None:
        if field.data not in choice_values(field):
            raise ValidationError(self.message)


def not_in_future(form: Any, field: Field) -> None:
    if field.data is None:
        return
    try:
        stored = from_local_moment(field.data)
    except OverflowError:  # the last hours Python holds, in a zone behind UTC: past the end of its calendar
        stored = None
    if stored is None or stored > utcnow() + FUTURE_GRACE:
        raise ValidationError("This time is in the future. Enter when the referral came in.")


def sane_birth_date(form: Any, field: Field) -> None:
    if field.data is None:
        return
    if field.data > today():
        raise ValidationError("The date of birth is in the future. Check the year.")
    if field.data < EARLIEST_DAY:
        raise ValidationError("Check the year of the date of birth.")


PHONE = Regexp(
    r"^[0-9+()\-. ]*(?:(?:x|ext\.?) ?[0-9]{1,6})?$",
    message="Use numbers, spaces, brackets and dashes only, for example (203) 555-0142.",
)


class ReferralForm(FlaskForm):
    source = RadioField(
        "Where the referral came from",
        choices=options(ReferralSource.choices()),
        validate_choice=False,
        validators=[DataRequired("Choose where the referral came from."), OneOf("Choose one of the listed sources.")],
    )
    name = StringField(
        "Full name",
        filters=[strip],
        validators=[
            DataRequired("Enter the person's full name."),
            Length(max=120, message="Use at most 120 characters."),
            plain_text,
        ],
    )
    preferred_name = StringField(
        "Preferred name",
        filters=[strip],
        validators=[Optional(), Length(max=120, message="Use at most 120 characters."), plain_text],
    )
    date_of_birth = DayField("Date of birth", validators=[Optional(), sane_birth_date])
    phone = StringField(
        "Phone number",
        filters=[strip],
        validators=[Optional(), Length(max=40, message="Use at most 40 characters."), PHONE],
    )
    reason = TextAreaField(
        "Reason for referral",
        filters=[strip],
        validators=[
            DataRequired("Enter the reason for the referral, as the caller gave it."),
            Length(max=MAX_REASON, message=f"Keep the reason to {MAX_REASON:,} characters or fewer."),
            plain_paragraphs,
        ],
    )
    urgency = RadioField(
        "How urgent",
        choices=options(Urgency.choices()),
        default=Urgency.ROUTINE.value,
        validate_choice=False,
        validators=[DataRequired("Choose how urgent the referral is."), OneOf("Choose one of the listed options.")],
    )
    # Typed, and shown, as the agency's wall-clock time; the view stores it as UTC (timeutil.from_local_moment).
    received_at = MomentField(
        "When the referral came in",
        default=lambda: now_local().replace(tzinfo=None, second=0, microsecond=0),
        validators=[InputRequired("Enter when the referral came in."), not_in_future],
    )
    program = SelectField(
        "Program the person is referred to",
        coerce=optional_id,
        validate_choice=False,
        validators=[
            DataRequired("Choose the program the person is referred to."),
            OneOf("Choose a program from the list."),
        ],
    )
    # The second step: shown only when someone with the same name and date of birth is already a client the taker
    # may see. "new" creates a new client; a number attaches the referral to that client.
    match = RadioField("Is this the same person?", validate_choice=False, validators=[Optional()])

    def validate_received_at(self, field: Field) -> None:
        if field.data is not None and field.data < datetime(2000, 1, 1):
            raise ValidationError("Check the year of the date the referral came in.")


class SeenForm(FlaskForm):
    """The "Seen today" and "Not seen today" buttons carry the version of the referral the person was looking at."""

    version = version_field("Version of this referral")


class DayForm(Form):
    """The day shown on the rounds list (a GET form: no CSRF token, changes nothing)."""

    day = DayField("Date", validators=[Optional()])


class ReportForm(Form):
    """The report's date range (a GET form)."""

    start = DayField("From", validators=[Optional()])
    end = DayField("To", validators=[Optional()])

    def validate_end(self, field: Field) -> None:
        start = self.start.data
        if start is not None and field.data is not None and field.data < start:
            raise ValidationError("The end date must be the same as or after the start date.")
