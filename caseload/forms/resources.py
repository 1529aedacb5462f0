"""Community resource directory forms: input shape only."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from wtforms import Field, SearchField, SelectField, StringField, TextAreaField, ValidationError
from wtforms.validators import DataRequired, Length, Optional

from caseload.forms._common import version_field
from caseload.forms.referrals import PHONE, OneOf
from caseload.models import ResourceCategory
from core.forms import FlaskForm, Form, options, plain_paragraphs, plain_text, strip

CATEGORY_CHOICES = ResourceCategory.choices()
MAX_NOTES = 4000


class ResourceFilterForm(Form):
    """The directory's search (a GET form: no CSRF token, changes nothing)."""

    q = SearchField("Name or notes", filters=[strip], validators=[Optional(), Length(max=100), plain_text])
    category = SelectField(
        "Category",
        choices=options([("", "Any category"), *CATEGORY_CHOICES]),
        validate_choice=False,
        validators=[Optional(), OneOf("Choose a category from the list.")],
    )


def web_address(form: Any, field: Field) -> None:
    """Only http and https addresses with a host: a javascript: or data: link must never reach the page."""
    value = field.data or ""
    if not value:
        return
    problem = "Enter a web address starting with https:// or http://, for example https://www.ymca.org."
    if any(c.isspace() for c in value) or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValidationError(problem)
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        raise ValidationError(problem) from None
    if parts.scheme.lower() not in ("http", "https") or not host or "." not in host.strip("."):
        raise ValidationError(problem)


class ResourceForm(FlaskForm):
    name = StringField(
        "Name",
        filters=[strip],
        validators=[
            DataRequired("Enter the name of the place or service, for example Main Street YMCA."),
            Length(max=160, message="Use at most 160 characters."),
            plain_text,
        ],
    )
    category = SelectField(
        "Category",
        choices=options([("", "Choose a category"), *CATEGORY_CHOICES]),
        validate_choice=False,
        validators=[DataRequired("Choose a category."), OneOf("Choose a category from the list.")],
    )
    address = StringField(
        "Address",
        filters=[strip],
        validators=[Optional(), Length(max=300, message="Use at most 300 characters."), plain_text],
    )
    phone = StringField(
        "Phone number",
        filters=[strip],
        validators=[Optional(), Length(max=40, message="Use at most 40 characters."), PHONE],
    )
    website = StringField(
        "Website",
        filters=[strip],
        validators=[Optional(), Length(max=300, message="Use at most 300 characters."), web_address],
    )
    hours = StringField(
        "Opening hours",
        filters=[strip],
        validators=[Optional(), Length(max=200, message="Use at most 200 characters."), plain_text],
    )
    notes = TextAreaField(
        "Notes for peers",
        filters=[strip],
        validators=[
            Optional(),
            Length(max=MAX_NOTES, message=f"Keep the notes to {MAX_NOTES:,} characters or fewer."),
            plain_paragraphs,
        ],
    )


class ResourceEditForm(ResourceForm):
    version = version_field()
