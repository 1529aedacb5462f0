"""Forms for clients, assignments, consents and declared relationships: input shape only.

The rules (conflict checks, who may see what) live in ``caseload.services`` and ``caseload.access``. Choices that
come from the database (programs, providers) are filled in by the view.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from wtforms import Field, RadioField, SearchField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, StopValidation, ValidationError

from caseload.forms._common import version_field
from caseload.models import AssignmentKind, ClientStatus, ConsentKind, Relationship
from core import timeutil
from core.forms import FlaskForm, Form, PlainDateField, optional_id, options, plain_text, strip

EARLIEST_BIRTH = date(1900, 1, 1)
# Digits and the usual separators, then an optional extension ("x 12", "ext. 12").
PHONE_NUMBER = re.compile(r"^[0-9 +().\-/]*(?:\s*(?:x|ext\.?)\s*[0-9]+)?$", re.IGNORECASE)
NOT_A_CHOICE = "Choose one of the options in the list."


def today() -> date:
    return timeutil.today()


def squash_spaces(value: Any) -> Any:
    """Trim and turn runs of spaces into one, so "Jo  Doe" and "Jo Doe" are the same name."""
    return " ".join(part for part in value.split(" ") if part) if isinstance(value, str) else value


def phone_number(form: Any, field: Field) -> None:
    value = field.data or ""
    if not value:
        return
    if not PHONE_NUMBER.match(value):
        raise ValidationError(
            "Use only numbers, spaces and the characters + ( ) - . in a phone number, for example (555) 123-4567."
        )
    if sum(ch.isdigit() for ch in value) < 3:
        raise ValidationError("Enter the whole phone number, for example (555) 123-4567.")


def not_in_future(what: str) -> Any:
    def check(form: Any, field: Field) -> None:
        if field.data and field.data > today():
            raise ValidationError(f"The {what} cannot be in the future. Check the year.")

    return check


def date_required(message: str) -> Any:
    """Like DataRequired, but a date that could not be read keeps its own, more useful message."""

    def check(form: Any, field: Field) -> None:
        if field.data is None and not field.process_errors:
            raise StopValidation(message)

    check.field_flags = {"required": True}  # type: ignore[attr-defined]
    return check


def born_after_1900(form: Any, field: Field) -> None:
    if field.data and field.data < EARLIEST_BIRTH:
        raise ValidationError("Enter a date of birth after 1900. Check the year.")


def select(label: str, pairs: list[tuple[str, str]] | None = None, **kwargs: Any) -> SelectField:
    return SelectField(
        label,
        choices=options(pairs) if pairs is not None else None,
        invalid_choice_message=NOT_A_CHOICE,
        invalid_value_message=NOT_A_CHOICE,
        **kwargs,
    )


def radio(label: str, pairs: list[tuple[str, str]], message: str) -> RadioField:
    return RadioField(
        label,
        choices=options(pairs),
        validators=[DataRequired(message)],
        invalid_choice_message=NOT_A_CHOICE,
    )


def name_field(label: str, required: str) -> StringField:
    return StringField(
        label,
        filters=[strip, squash_spaces],
        validators=[DataRequired(required), Length(max=120, message="Use at most 120 characters."), plain_text],
    )


# Lists (GET forms read from the query string, so no CSRF token) ------------------------------------------------


class CaseloadSearchForm(Form):
    q = SearchField(
        "Search your clients by name",
        filters=[strip],
        validators=[Optional(), Length(max=120, message="Use at most 120 characters."), plain_text],
    )


class ClientFilterForm(Form):
    q = SearchField(
        "Name or phone",
        filters=[strip],
        validators=[Optional(), Length(max=120, message="Use at most 120 characters."), plain_text],
    )
    status = select("Status", [("", "Any status"), *ClientStatus.choices()], validators=[Optional()])
    program = select("Program", coerce=optional_id, validators=[Optional()])
    provider = select("Assigned to", coerce=optional_id, validators=[Optional()])


# One client ---------------------------------------------------------------------------------------------------


class ClientFields:
    name = name_field("Full name", "Enter the client's full name.")
    preferred_name = StringField(
        "Preferred name",
        filters=[strip],
        validators=[Optional(), Length(max=120, message="Use at most 120 characters."), plain_text],
    )
    pronouns = StringField(
        "Pronouns",
        filters=[strip],
        validators=[Optional(), Length(max=40, message="Use at most 40 characters."), plain_text],
    )
    date_of_birth = PlainDateField(
        "Date of birth",
        validators=[
            date_required("Enter the client's date of birth."),
            not_in_future("date of birth"),
            born_after_1900,
        ],
    )
    phone = StringField(
        "Phone",
        filters=[strip],
        validators=[Optional(), Length(max=40, message="Use at most 40 characters."), phone_number],
    )
    program = select("Program", coerce=optional_id, validators=[Optional()])
    status = select(
        "Status", ClientStatus.choices(), validators=[DataRequired("Choose the client's status.")]
    )


class ClientCreateForm(FlaskForm, ClientFields):
    assign_me = radio(
        "Assign yourself to this client?",
        [
            (AssignmentKind.PEER.value, "Yes, as their peer specialist"),
            (AssignmentKind.CLINICIAN.value, "Yes, as their clinician"),
            ("no", "No, someone else will be assigned"),
        ],
        "Choose whether to assign yourself.",
    )


class ClientEditForm(FlaskForm, ClientFields):
    version = version_field()


class AssignForm(FlaskForm):
    provider = select(
        "Staff member", coerce=optional_id, validators=[DataRequired("Choose the person to assign.")]
    )
    kind = radio(
        "Assign them as",
        AssignmentKind.choices(),
        "Choose whether they are the client's peer specialist or clinician.",
    )


class ConsentForm(FlaskForm):
    kind = radio("Kind of record", ConsentKind.choices(), "Choose consent to services or release of information.")
    recipient = StringField(
        "Who may receive the information",
        filters=[strip],
        validators=[Length(max=200, message="Use at most 200 characters."), plain_text],
    )
    purpose = StringField(
        "Purpose",
        filters=[strip],
        validators=[Optional(), Length(max=300, message="Use at most 300 characters."), plain_text],
    )
    signed_on = PlainDateField(
        "Date signed",
        validators=[date_required("Enter the date the client signed."), not_in_future("date signed")],
    )
    expires_on = PlainDateField("Expiry date", validators=[Optional()])

    def validate_recipient(self, field: Field) -> None:
        if self.kind.data == ConsentKind.RELEASE and not field.data:
            raise ValidationError("Enter who may receive the information, for example a clinic or a family member.")

    def validate_expires_on(self, field: Field) -> None:
        if field.data and self.signed_on.data and field.data <= self.signed_on.data:
            raise ValidationError("The expiry date must be after the date signed.")

    def values(self) -> dict[str, Any]:
        return {
            "kind": self.kind.data,
            "recipient": self.recipient.data or "",
            "purpose": self.purpose.data or "",
            "signed_on": self.signed_on.data,
            "expires_on": self.expires_on.data,
        }


RELATIONSHIP_MESSAGE = "Choose how you know this person."


class DeclareForm(FlaskForm):
    name = name_field("The person's full name", "Enter the person's full name.")
    date_of_birth = PlainDateField(
        "Their date of birth",
        validators=[date_required("Enter the person's date of birth."), not_in_future("date of birth")],
    )
    relationship = radio("How you know them", Relationship.choices(), RELATIONSHIP_MESSAGE)


class KnowPersonForm(FlaskForm):
    relationship = radio("How you know them", Relationship.choices(), RELATIONSHIP_MESSAGE)
