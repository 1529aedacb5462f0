"""Training forms: input shape only. The rules (what a cycle asks for, who may approve) live in
``training.services`` and ``core.credentials``."""

from __future__ import annotations

from typing import Any

from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    Field,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from core.credentials import CeCategory, CeFormat, hours_number, parse_hours
from core.forms import (
    NOT_A_CHOICE,
    FlaskForm,
    Form,
    PlainDateField,
    VersionField,
    VisibleLength,
    clean_text,
    optional_id,
    options,
    plain_choice_messages,
    plain_paragraphs,
    plain_text,
    text_line,
)
from training.models import Hold, ShadowKind

_line = text_line


class Hours:
    """Hours in quarter hours ("1.5"); ``most`` is the largest number of hours allowed."""

    def __init__(self, most: int) -> None:
        self.most = most

    def __call__(self, form: Any, field: Field) -> None:
        if field.data in (None, ""):
            return
        try:
            parse_hours(field.data, most=self.most)
        except ValueError as error:
            raise ValidationError(str(error)) from None


def _hours(label: str, *, most: int = 999, required: str | None = None) -> StringField:
    validators: list[Any] = [DataRequired(required)] if required else [Optional()]
    return StringField(label, filters=[clean_text], validators=[*validators, Length(max=10), Hours(most)])


def quarter_hours(field: Field) -> int | None:
    """The quarter hours of a field that passed ``Hours`` (None when empty)."""
    return None if field.data in (None, "") else parse_hours(field.data)


def _whole(label: str, low: int, high: int, unit: str) -> IntegerField:
    return IntegerField(
        label,
        validators=[
            Optional(),
            NumberRange(min=low, max=high, message=f"Enter a whole number of {unit} from {low} to {high}."),
        ],
    )


_choices = plain_choice_messages


# A credential's rules (HR) ----------------------------------------------------------------------------------------


class RulesForm(FlaskForm):
    name = _line("Name of the credential", 160, required="Enter the credential's name.")
    abbreviation = _line("Short name", 20)
    issuer = _line("Who issues it", 160)
    state = StringField(
        "State (two letters)",
        filters=[clean_text],
        validators=[
            Optional(),
            Length(min=2, max=2, message="Use the state's two letters, for example PA."),
            plain_text,
        ],
    )
    cycle_months = _whole("Months in a renewal cycle", 1, 120, "months")
    ce_hours = _hours("Continuing-education hours a cycle asks for", most=999)
    grace_days = _whole("Grace period after it expires (days)", 0, 730, "days")
    max_online_hours = _hours("Most hours that may be online (live or self-paced)")
    max_self_paced_hours = _hours("Most hours that may be self-paced")
    provisional_months = _whole("A provisional holder has (months)", 1, 60, "months")
    provisional_supervised_hours = _whole("to complete this many supervised hours", 1, 10_000, "hours")
    check_with_board = BooleanField("Check these figures with the board (shown as not yet confirmed)")
    rules_note = TextAreaField(
        "Notes",
        filters=[clean_text],
        validators=[Optional(), Length(max=500, message="Use at most 500 characters."), plain_paragraphs],
    )
    version = VersionField()


for _category in CeCategory:
    setattr(RulesForm, f"min_{_category.value}", _hours(f"{_category.label}: at least (hours)"))
    setattr(RulesForm, f"max_{_category.value}", _hours(f"{_category.label}: at most (hours)"))


def rules_form_data(credential: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": credential.name,
        "abbreviation": credential.abbreviation,
        "issuer": credential.issuer,
        "state": credential.state,
        "cycle_months": credential.cycle_months,
        "ce_hours": hours_number(credential.ce_qh) if credential.ce_qh else "",
        "grace_days": credential.grace_days,
        "max_online_hours": hours_number(credential.max_online_qh),
        "max_self_paced_hours": hours_number(credential.max_self_paced_qh),
        "provisional_months": credential.provisional_months,
        "provisional_supervised_hours": credential.provisional_supervised_hours,
        "check_with_board": credential.check_with_board,
        "rules_note": credential.rules_note,
        "version": credential.version,
    }
    for rule in credential.category_rules:
        data[f"min_{rule.category}"] = hours_number(rule.min_qh) if rule.min_qh else ""
        data[f"max_{rule.category}"] = hours_number(rule.max_qh)
    return data


# Certifications (HR) ----------------------------------------------------------------------------------------------


class CertificationForm(FlaskForm):
    credential_type = SelectField(
        "Credential", coerce=optional_id, validators=[InputRequired("Choose the credential.")]
    )
    number = _line("Certificate number", 60)
    issued_on = PlainDateField("Issued on", validators=[InputRequired("Enter the day it was issued.")])
    expires_on = PlainDateField("Expires on", validators=[Optional()])
    provisional = BooleanField("Provisional: the provisional requirements are not met yet")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.credential_type)


class CertificationEditForm(FlaskForm):
    number = _line("Certificate number", 60)
    issued_on = PlainDateField("Issued on", validators=[InputRequired("Enter the day it was issued.")])
    expires_on = PlainDateField("Expires on", validators=[InputRequired("Enter the day it expires.")])
    provisional = BooleanField("Provisional: the provisional requirements are not met yet")
    hold = RadioField("Hold", choices=options(Hold.choices()), validators=[InputRequired(NOT_A_CHOICE)])
    hold_note = _line("Note about the hold", 300)
    version = VersionField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.hold)


class RenewForm(FlaskForm):
    expires_on = PlainDateField("The renewed certification expires on", validators=[Optional()])
    version = VersionField()


class UndoRenewalForm(FlaskForm):
    """The confirmation button: the cycle the person saw as the latest, and the certification's version."""

    cycle = VersionField()
    version = VersionField()


# CE entries -------------------------------------------------------------------------------------------------------


class EntryForm(FlaskForm):
    title = _line("Course title", 200, required="Enter the course's title, as on the certificate.")
    provider = _line("Provider", 200, required="Enter who gave the course.")
    approval_number = _line("Provider's approval number", 60)
    taken_on = PlainDateField("Date of the course", validators=[InputRequired("Enter the date of the course.")])
    hours = _hours("Hours", most=80, required="Enter the hours, for example 1.5.")
    category = SelectField(
        "Category",
        choices=options([("", "Choose a category"), *CeCategory.choices()]),
        validators=[InputRequired("Choose the category.")],
    )
    format = RadioField(
        "How it was given", choices=options(CeFormat.choices()), validators=[InputRequired("Choose how it was given.")]
    )
    certificate = FileField("Certificate")
    version = VersionField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.category)
        _choices(self.format)


class ApproveForm(FlaskForm):
    version = VersionField()


class ReturnForm(FlaskForm):
    reason = TextAreaField(
        "What needs to change",
        filters=[clean_text],
        validators=[
            VisibleLength(10, "Say in a few words what needs to change (at least 10 letters)."),
            Length(max=500, message="Use at most 500 characters."),
            plain_paragraphs,
        ],
    )
    version = VersionField()


# Filters (GET) ----------------------------------------------------------------------------------------------------


class PeopleFilter(Form):
    q = StringField("Name", filters=[clean_text], validators=[Optional(), Length(max=120), plain_text])


class DashboardFilter(Form):
    show = SelectField("Show", validators=[Optional()])
    program = SelectField("Program", coerce=optional_id, validators=[Optional()])
    q = StringField("Name", filters=[clean_text], validators=[Optional(), Length(max=120), plain_text])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.show)
        _choices(self.program)


# Orientation, shadowing, curricula --------------------------------------------------------------------------------


class TemplateItemForm(FlaskForm):
    text = _line("What to go through", 300, required="Say what the new staff member is walked through.")
    due_day = IntegerField(
        "Due this many days after the start",
        validators=[
            InputRequired("Enter a number of days, 0 for the first day."),
            NumberRange(min=0, max=365, message="Enter a whole number of days from 0 to 365."),
        ],
    )
    version = VersionField()


class SignForm(FlaskForm):
    version = VersionField()


class ShadowingForm(FlaskForm):
    kind = RadioField(
        "Whom you shadowed",
        choices=options(ShadowKind.choices()),
        validators=[InputRequired("Choose whom you shadowed.")],
    )
    shadowed = _line(
        "Their name, role or agency",
        200,
        required="Say whom you shadowed, for example “Jordan, peer specialist on the intake team”.",
    )
    happened_on = PlainDateField("Date", validators=[InputRequired("Enter the date.")])
    hours = _hours("Hours", most=24, required="Enter the hours, for example 2.5.")
    reflection = TextAreaField(
        "What you took from it",
        filters=[clean_text],
        validators=[Optional(), Length(max=2000, message="Use at most 2,000 characters."), plain_paragraphs],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.kind)


class CommentForm(FlaskForm):
    comment = TextAreaField(
        "Your comment",
        filters=[clean_text],
        validators=[
            DataRequired("Write your comment."),
            Length(max=1000, message="Use at most 1,000 characters."),
            plain_paragraphs,
        ],
    )
    version = VersionField()


class CurriculumForm(FlaskForm):
    name = _line("Name", 160, required="Enter the curriculum's name.")
    description = TextAreaField(
        "What it is",
        filters=[clean_text],
        validators=[Optional(), Length(max=1000, message="Use at most 1,000 characters."), plain_paragraphs],
    )
    modules = TextAreaField(
        "Its modules, one on each line",
        filters=[clean_text],
        validators=[Optional(), Length(max=4000, message="Use at most 4,000 characters."), plain_paragraphs],
    )


class FacilitatorForm(FlaskForm):
    staff = SelectField("Staff member", coerce=optional_id, validators=[InputRequired("Choose a staff member.")])
    since = PlainDateField("Trained to facilitate since", validators=[InputRequired("Enter the day.")])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.staff)


# Staff training sessions -------------------------------------------------------------------------------------------


class PlainTimeField(TimeField):
    """A time of day ("09:30") in the agency's time zone, with a plain message when it cannot be read."""

    def __init__(self, label: str, validators: list[Any] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("format", ["%H:%M", "%H:%M:%S"])
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist and not " ".join(str(value) for value in valuelist).strip():
            self.data = None
            return
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError("Enter the time as hours and minutes, for example 09:30 or 14:00.") from None
        if self.data is None and valuelist:
            raise ValueError("Enter the time as hours and minutes, for example 09:30 or 14:00.")


class SessionForm(FlaskForm):
    title = _line("Title", 200, required="Enter the session's title, for example “WRAP facilitator refresher”.")
    curriculum = SelectField("Curriculum", coerce=optional_id, validators=[Optional()])
    topic = _line("Topic", 200)
    held_on = PlainDateField("Day", validators=[InputRequired("Enter the day of the session, for example 2027-03-15.")])
    starts_at = PlainTimeField("Starts at", validators=[InputRequired("Enter the time it starts, for example 09:30.")])
    hours = _hours("Hours", most=40, required="Enter how long it lasts, for example 3 or 1.5.")
    place = _line("Where", 200)
    format = RadioField(
        "How it is given",
        choices=options([(CeFormat.IN_PERSON.value, CeFormat.IN_PERSON.label),
                         (CeFormat.LIVE_ONLINE.value, CeFormat.LIVE_ONLINE.label)]),
        default=CeFormat.IN_PERSON.value,
        validators=[InputRequired("Choose in person or live online.")],
    )
    facilitator = SelectField("Facilitator", coerce=optional_id, validators=[InputRequired("Choose who facilitates.")])
    co_facilitator = SelectField("Second facilitator", coerce=optional_id, validators=[Optional()])
    ce_category = SelectField(
        "Continuing-education category",
        choices=options([("", "Does not count as continuing education"), *CeCategory.choices()]),
        validators=[Optional()],
    )
    provider = _line("Provider who approved the hours", 200)
    approval_number = _line("Provider approval number", 60)
    action = VersionField()  # the readiness action it is planned from, if any
    version = VersionField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in (self.curriculum, self.format, self.facilitator, self.co_facilitator, self.ce_category):
            _choices(field)


class AttendanceForm(FlaskForm):
    staff = SelectField("Who attended", coerce=optional_id, validators=[InputRequired("Choose who attended.")])
    hours = _hours("Hours attended", most=40, required="Enter the hours they attended, for example 3.")
    version = VersionField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.staff)


class RemoveAttendanceForm(FlaskForm):
    version = VersionField()


class SessionFilter(Form):
    q = StringField("Title, topic or curriculum", filters=[clean_text],
                    validators=[Optional(), Length(max=120), plain_text])
    when = SelectField(
        "Show",
        choices=options([("all", "Every session"), ("upcoming", "Today and later"), ("past", "Past sessions")]),
        validators=[Optional()],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.when)
