"""Forms for the dual-relationship safeguards, emergency access and the access report: input shape only.

The rules (conflict checks, the strict policy, who may review) live in ``caseload.services``. Choices that come from
the database are filled in by the view.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

from wtforms import (
    BooleanField,
    PasswordField,
    RadioField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from caseload.forms._common import version_field
from caseload.models import AssignmentKind, DualPolicy, GrantPurpose
from caseload.services.emergency import MIN_REASON
from core import timeutil
from core.forms import FlaskForm, Form, PlainDateField, VersionField, VisibleLength, clean_text, optional_id, options

NOT_IN_LIST = "Choose from the list. If the list has changed, reload the page."
LONG_TEXT = 5000


def clean_line(value: Any) -> Any:
    """One line of text: tabs, line breaks and other control characters become spaces, then trimmed. A NUL is kept,
    so the form's NUL check refuses it with a message instead of changing what was typed."""
    if not isinstance(value, str):
        return value
    return " ".join("".join(" " if unicodedata.category(c) == "Cc" and c != "\x00" else c for c in value).split())


def not_in_past(form: Any, field: Any) -> None:
    if field.data is not None and field.data < timeutil.today():
        raise ValidationError("Choose today or a later date for the review.")


def not_in_future(form: Any, field: Any) -> None:
    if field.data is not None and field.data > timeutil.today():
        raise ValidationError("A date of birth cannot be in the future.")


def _text(label: str, message: str, maximum: int = LONG_TEXT) -> TextAreaField:
    return TextAreaField(
        label,
        filters=[clean_text],
        validators=[DataRequired(message), Length(max=maximum, message=f"Use at most {maximum} characters.")],
    )


def _reason(label: str, message: str) -> TextAreaField:
    """A reason (a determination's rationale, a review finding): something a reader can see, not only spaces or
    invisible characters."""
    return TextAreaField(
        label,
        filters=[clean_text],
        validators=[DataRequired(message), VisibleLength(1, message),
                    Length(max=LONG_TEXT, message=f"Use at most {LONG_TEXT} characters.")],
    )


class VersionMixin:
    version = version_field()


# The agency's policy ------------------------------------------------------------------------------------------

class PolicyForm(FlaskForm):
    policy = RadioField(
        "When a staff member is also a client here",
        choices=options(DualPolicy.choices()),
        invalid_choice_message="Choose one of the two policies.",
    )
    version = VersionField()


# Linking a client to a staff member ---------------------------------------------------------------------------

class ClientSearchForm(Form):
    """Finding the client to link; read from the query string (a GET form, so no CSRF token)."""

    q = SearchField("Client's name", filters=[clean_line], validators=[Optional(), Length(max=120)])
    date_of_birth = PlainDateField("Date of birth", validators=[Optional(), not_in_future])


class LinkForm(FlaskForm, VersionMixin):
    staff = SelectField(
        "Staff member",
        coerce=optional_id,
        validators=[DataRequired("Choose the staff member this client is.")],
        invalid_value_message=NOT_IN_LIST,
        invalid_choice_message=NOT_IN_LIST,
    )
    confirm = BooleanField(
        "I have checked that this client and this staff member are the same person",
        validators=[DataRequired("Tick the box to confirm this is the same person.")],
    )


class UnlinkForm(FlaskForm, VersionMixin):
    pass


class MergeForm(FlaskForm, VersionMixin):
    """Merge a possible duplicate into the protected record: ``version`` is the protected record's, ``duplicate``
    the new record's, as the page showed them."""

    duplicate = version_field("Version of the new record")
    confirm = BooleanField(
        "I have checked that the two records are the same person",
        validators=[DataRequired("Tick the box to confirm the two records are the same person.")],
    )


class AssignForm(FlaskForm):
    provider = SelectField(
        "Provider",
        coerce=optional_id,
        validators=[DataRequired("Choose a provider.")],
        invalid_value_message=NOT_IN_LIST,
        invalid_choice_message=NOT_IN_LIST,
    )
    kind = RadioField(
        "Role with this client",
        choices=options(AssignmentKind.choices()),
        default=AssignmentKind.CLINICIAN.value,
        invalid_choice_message="Choose the provider's role with this client.",
    )


class DeterminationForm(FlaskForm):
    situation = _text("The situation", "Describe the situation.")
    decision = _text("The decision", "Write the decision.")
    rationale = _reason("Why (rationale)", "Write why you decided this.")
    consulted = StringField(
        "Who was consulted",
        filters=[clean_line],
        validators=[DataRequired("Write who you consulted, or “no one”."), Length(max=300, message="Use at most 300 "
                                                                                                   "characters.")],
    )
    review_on = PlainDateField(
        "Review date",
        validators=[InputRequired("Choose a date to review this decision."), not_in_past],
    )
    replaces = version_field("The determination this one reviews")


# Emergency access ---------------------------------------------------------------------------------------------

class EmergencyForm(FlaskForm):
    name = StringField(
        "Client's full name",
        filters=[clean_line],
        validators=[DataRequired("Enter the client's full name."), Length(max=120, message="Use at most 120 "
                                                                                            "characters.")],
    )
    date_of_birth = PlainDateField(
        "Client's date of birth",
        validators=[InputRequired("Enter the client's date of birth."), not_in_future],
    )
    purpose = RadioField(
        "Why you need the record now",
        choices=options(GrantPurpose.choices()),
        invalid_choice_message="Choose why you need the record now.",
    )
    reason = TextAreaField(
        "Reason",
        filters=[clean_text],
        validators=[
            DataRequired(f"Write a reason of at least {MIN_REASON} characters."),
            VisibleLength(MIN_REASON, f"Write a reason of at least {MIN_REASON} characters (spaces and invisible "
                                      "characters do not count)."),
            Length(max=2000, message="Write a reason of at most 2000 characters."),
        ],
    )
    password = PasswordField(
        "Your password",
        validators=[DataRequired("Enter your password to confirm it is you."), Length(max=256)],
    )


class FindingForm(FlaskForm):
    finding = _reason("Your finding", "Write your finding: was this use of emergency access justified?")


# The access report's filters ----------------------------------------------------------------------------------

class AccessFilterForm(Form):
    """Filters for the access report, read from the query string."""

    client = SearchField("Client's name", filters=[clean_line], validators=[Optional(), Length(max=120)])
    person = SelectField("Person who opened it", coerce=optional_id, validators=[Optional()],
                         invalid_value_message=NOT_IN_LIST, invalid_choice_message=NOT_IN_LIST)
    date_from = PlainDateField("From", validators=[Optional()])
    date_to = PlainDateField("To", validators=[Optional()])

    def validate_date_to(self, field: Any) -> None:
        start: date | None = self.date_from.data
        if field.data is not None and start is not None and field.data < start:
            raise ValidationError("The end date must be on or after the start date.")
