"""Administration forms: input shape only. The rules (unique emails, supervisor chains, who may do what) live in
``core.admin.services``. Choices are filled in by the view from the database."""

from __future__ import annotations

from typing import Any

from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import EmailField, RadioField, SearchField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, StopValidation

from core.forms import FlaskForm, Form, MultiCheckboxField, VersionField, optional_id, options, strip
from core.models import Role, StaffStatus

MAX_IMPORT_BYTES = 4 * 1024 * 1024

ROLE_CHOICES = options(Role.choices())
NOT_IN_LIST = "Choose from the list. If the list has changed, reload the page."


class AtLeastOne:
    """At least one checkbox ticked. Unlike DataRequired it does not put ``required`` on every checkbox, which
    would tell screen-reader users that each one must be ticked."""

    field_flags: dict[str, Any] = {}

    def __init__(self, message: str) -> None:
        self.message = message

    def __call__(self, form: Any, field: Any) -> None:
        if not field.data:
            raise StopValidation(self.message)


class StaffFilterForm(Form):
    """The staff list's filters, read from the query string (a GET form, so no CSRF token)."""

    q = SearchField("Name or email", filters=[strip], validators=[Optional(), Length(max=120)])
    role = SelectField("Role", choices=[SelectChoice("", "Any role"), *ROLE_CHOICES], validators=[Optional()])
    program = SelectField("Program", coerce=optional_id, validators=[Optional()])
    team = SelectField("Team", coerce=optional_id, validators=[Optional()])
    status = SelectField(
        "Status",
        choices=[
            SelectChoice("", "Any status"),
            *options(StaffStatus.choices()),
        ],
        validators=[Optional()],
    )


class StaffFieldsMixin:
    name = StringField(
        "Full name",
        filters=[strip],
        validators=[
            DataRequired("Enter the person's full name."),
            Length(max=120, message="Use at most 120 characters."),
        ],
    )
    job_title = StringField(
        "Job title",
        filters=[strip],
        validators=[Optional(), Length(max=120, message="Use at most 120 characters.")],
    )
    roles = MultiCheckboxField(
        "Roles",
        choices=ROLE_CHOICES,
        validators=[AtLeastOne("Choose at least one role.")],
        invalid_choice_message=NOT_IN_LIST,
    )
    program = SelectField(
        "Program", coerce=optional_id, validators=[Optional()],
        invalid_value_message=NOT_IN_LIST, invalid_choice_message=NOT_IN_LIST,
    )
    teams = MultiCheckboxField(
        "Teams", coerce=int, validators=[Optional()],
        invalid_value_message=NOT_IN_LIST, invalid_choice_message=NOT_IN_LIST,
    )
    supervisor = SelectField(
        "Supervisor", coerce=optional_id, validators=[Optional()],
        invalid_value_message=NOT_IN_LIST, invalid_choice_message=NOT_IN_LIST,
    )


class InviteForm(FlaskForm, StaffFieldsMixin):
    email = EmailField(
        "Work email address",
        filters=[strip],
        validators=[
            DataRequired("Enter the person's work email address."),
            Length(max=254, message="An email address is at most 254 characters."),
            Email("Enter an email address in the form name@example.org.", check_deliverability=False),
        ],
    )


class StaffEditForm(FlaskForm, StaffFieldsMixin):
    version = VersionField(
        "Version of this record",
        validators=[
            DataRequired("This form is missing a part. Reload the page and try again."),
            Regexp(r"^\d{1,9}$", message="This form is missing a part. Reload the page and try again."),
        ],
    )


class ImportForm(FlaskForm):
    file = FileField(
        "CSV file",
        render_kw={"accept": ".csv,text/csv"},
        validators=[
            FileRequired("Choose a CSV file to upload."),
            FileAllowed(["csv"], "Upload a file ending in .csv. In Excel, use File, Save As, CSV UTF-8."),
            FileSize(max_size=MAX_IMPORT_BYTES, message="The file must be smaller than 4 MB."),
        ],
    )


class ProgramForm(FlaskForm):
    code = StringField(
        "Short code",
        filters=[strip],
        validators=[
            DataRequired("Enter a short code, for example CRP."),
            Length(max=20, message="Use at most 20 characters."),
        ],
    )
    name = StringField(
        "Program name",
        filters=[strip],
        validators=[DataRequired("Enter the program's name."), Length(max=120, message="Use at most 120 characters.")],
    )


class TeamForm(FlaskForm):
    program = SelectField(
        "Program",
        coerce=optional_id,
        validators=[DataRequired("Choose the program this team belongs to.")],
        invalid_value_message=NOT_IN_LIST,
        invalid_choice_message=NOT_IN_LIST,
    )
    name = StringField(
        "Team name",
        filters=[strip],
        validators=[DataRequired("Enter the team's name."), Length(max=120, message="Use at most 120 characters.")],
    )


class TeamRenameForm(FlaskForm):
    version = VersionField(
        "Version of this team",
        validators=[
            DataRequired("This form is missing a part. Reload the page and try again."),
            Regexp(r"^\d{1,9}$", message="This form is missing a part. Reload the page and try again."),
        ],
    )
    name = StringField(
        "New team name",
        filters=[strip],
        validators=[DataRequired("Enter the team's new name."), Length(max=120, message="Use at most 120 characters.")],
    )


class AgencySettingsForm(FlaskForm):
    """The administrator's settings page. The zone is checked against the machine's list by the service."""

    time_zone = StringField(
        "Your agency's time zone",
        filters=[strip],
        validators=[DataRequired("Type your agency's time zone, for example America/New_York."),
                    Length(max=60, message="Use at most 60 characters.")],
    )
    agency_name = StringField("Agency name", filters=[strip],
                              validators=[Optional(), Length(max=160, message="Use at most 160 characters.")])
    agency_street = StringField("Street address", filters=[strip],
                                validators=[Optional(), Length(max=160, message="Use at most 160 characters.")])
    agency_city = StringField("City or town", filters=[strip],
                              validators=[Optional(), Length(max=80, message="Use at most 80 characters.")])
    agency_region = StringField("State", filters=[strip],
                                validators=[Optional(), Length(max=40, message="Use at most 40 characters.")])
    agency_postal_code = StringField("ZIP code", filters=[strip],
                                     validators=[Optional(), Length(max=12, message="Use at most 12 characters.")])
    living_wage_hourly = StringField("Living wage, dollars an hour", filters=[strip],
                                     validators=[Optional(), Length(max=20, message="Use at most 20 characters.")])
    living_wage_area = StringField("County or area it is for", filters=[strip],
                                   validators=[Optional(), Length(max=120, message="Use at most 120 characters.")])
    hiring_panel_needs_peer = RadioField(
        "A peer specialist on every interview panel",
        choices=options([("yes", "Yes: a panel needs a peer specialist before candidates are interviewed"),
                         ("no", "No: HR chooses the interviewers freely")]),
        validators=[Optional()],
    )
    hiring_retention_months = StringField("Months to keep a closed posting's candidates", filters=[strip],
                                          validators=[Optional(), Length(max=5, message="Use at most 3 digits.")])
    two_factor_required = RadioField(
        "Two-factor sign-in for administrators, HR, privacy officers and supervisors",
        choices=options([("yes", "Required: they set it up at their next sign-in and use a code every time"),
                         ("no", "Not required: each person may turn it on for themselves")]),
        validators=[Optional()],
    )
    version = VersionField()
