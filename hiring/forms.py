"""Hiring forms: input shape only. The rules (teams of a program, pay range, the approval path) live in
``hiring.services``.

The edit form of a draft is built for each version (``draft_form_class``): one box per blank (``blank_<n>``) and per
piece of section text (``section_<s>_heading``, ``section_<s>_text``, ``section_<s>_group_<g>_lead``,
``section_<s>_after``), so a check can link straight to the box to fix.
"""

from __future__ import annotations

from typing import Any

from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    ValidationError,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

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
    plain_text,
    text_area,
    text_line,
)
from hiring.models import CandidateStage, EmploymentType, LivedExperience, PayPeriod, WorkSetting
from hiring.services.pay import parse_dollars

_line = text_line


_area = text_area


def money(form: Any, field: Field) -> None:
    if field.data and parse_dollars(field.data) is None:
        raise ValidationError("Enter an amount in dollars, for example 24.50 or 48,000.")


def _money(label: str) -> StringField:
    return StringField(label, filters=[clean_text], validators=[Optional(), Length(max=20), money])


_choices = plain_choice_messages


# Drafts ---------------------------------------------------------------------------------------------------------


class NewDraftForm(FlaskForm):
    template = SelectField(
        "Start from", validators=[InputRequired("Choose a template to start from.")], validate_choice=True
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.template)


class DraftForm(FlaskForm):
    """The fixed part of a draft's edit page; ``draft_form_class`` adds the blanks and the sections."""

    title = _line("Job title", 160, required="Enter the job title, for example “Peer Specialist”.")
    subtitle = _line("Line under the title", 160)
    program = SelectField("Program", coerce=optional_id, validators=[Optional()])
    team = SelectField("Team", coerce=optional_id, validators=[Optional()])
    setting = RadioField("Setting", choices=options(WorkSetting.choices()), validators=[Optional()])
    employment_type = RadioField(
        "Hours", choices=options(EmploymentType.choices()), validators=[InputRequired("Choose full time or part time.")]
    )
    pay_min = _money("Pay from (dollars)")
    pay_max = _money("Pay up to (dollars)")
    pay_period = RadioField(
        "The pay is",
        choices=options(PayPeriod.choices()),
        validators=[InputRequired("Choose whether the pay is per hour or per year.")],
    )
    hours_per_week = IntegerField(
        "Hours a week",
        validators=[
            InputRequired("Enter the hours a week, for example 40."),
            NumberRange(min=1, max=60, message="Enter a whole number of hours from 1 to 60."),
        ],
    )
    schedule = _line("Schedule", 300)
    credential = SelectField("Required state credential", coerce=optional_id, validators=[Optional()])
    lived_experience = RadioField(
        "Lived experience",
        choices=options(LivedExperience.choices()),
        validators=[InputRequired("Choose whether lived experience is required.")],
    )
    lived_experience_text = _area("What the posting says about lived experience", 2_000)
    closes_on = PlainDateField("Last day to apply", validators=[Optional()])
    questions = _area("Questions for people applying, one on each line", 2_000)
    version = VersionField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("program", "team", "setting", "employment_type", "pay_period", "credential", "lived_experience"):
            _choices(self[name])


def draft_form_class(blank_labels: list[str], shape: list[int]) -> type[DraftForm]:
    """The edit form for a version with these blanks and this shape (the number of duty lists per section)."""

    class BuiltDraftForm(DraftForm):
        pass

    for index, label in enumerate(blank_labels):
        setattr(BuiltDraftForm, f"blank_{index}", _line(f"[{label}]", 160))
    for s, groups in enumerate(shape):
        setattr(BuiltDraftForm, f"section_{s}_heading", _line("Heading", 160, required="Enter the section's heading."))
        setattr(BuiltDraftForm, f"section_{s}_text", _area("Opening text", 8_000))
        for g in range(groups):
            setattr(BuiltDraftForm, f"section_{s}_group_{g}_lead", _line(f"Words before list {g + 1}", 300))
        setattr(BuiltDraftForm, f"section_{s}_after", _area("Closing text", 4_000))
    return BuiltDraftForm


class OwnDutyForm(FlaskForm):
    text = _area("A duty in your own words", 1_000, required="Type the duty, in plain words.")
    version = VersionField()


class StepForm(FlaskForm):
    comment = _area("Comment", 2_000)
    version = VersionField()


class SaveAsTemplateForm(FlaskForm):
    name = _line("Name of the new template", 160, required="Enter a name for the template.")


# Templates ------------------------------------------------------------------------------------------------------


class CopyTemplateForm(FlaskForm):
    name = _line("Name of the copy", 160, required="Enter a name for the copy.")


class TemplateForm(FlaskForm):
    name = _line("Template name", 160, required="Enter the template's name.")
    title = _line("Job title", 160, required="Enter the job title.")
    subtitle = _line("Line under the title", 160)
    version = VersionField()


def template_form_class(sections: int) -> type[TemplateForm]:
    class BuiltTemplateForm(TemplateForm):
        pass

    for s in range(sections):
        setattr(
            BuiltTemplateForm, f"section_{s}_heading", _line("Heading", 160, required="Enter the section's heading.")
        )
        setattr(BuiltTemplateForm, f"section_{s}_text", _area("Opening text", 8_000))
        setattr(BuiltTemplateForm, f"section_{s}_after", _area("Closing text", 4_000))
    return BuiltTemplateForm


# Lists HR keeps ------------------------------------------------------------------------------------------------


class PhraseForm(FlaskForm):
    phrase = _line("Phrase", 120, required="Type the phrase to look for, for example “no felony convictions”.")
    reason = _area("Why it shuts people out (shown with the check)", 400)


class CredentialForm(FlaskForm):
    name = _line("Credential", 160, required="Type the credential's name, for example “Certified Peer Specialist”.")
    issuer = _line("Who grants it", 160)


# The careers page ---------------------------------------------------------------------------------------------


class CareersFilter(Form):
    program = SelectField("Program", coerce=optional_id, validators=[Optional()])
    setting = SelectField("Setting", validators=[Optional()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.program)
        _choices(self.setting)
        self.setting.choices = options([("", "Any setting"), *WorkSetting.choices()])


# Applying --------------------------------------------------------------------------------------------------------


class ApplicationForm(FlaskForm):
    """The public application form; ``application_form_class`` adds one box per question of the posting."""

    name = _line("Your name", 160, required="Enter your name.")
    email = EmailField(
        "Email address",
        filters=[clean_text],
        validators=[
            DataRequired("Enter your email address, so we can reply."),
            Length(max=254, message="An email address is at most 254 characters."),
            Email("Enter an email address like name@example.com."),
        ],
    )
    phone = _line("Phone number", 40)
    resume = FileField(
        "Your résumé (PDF or Word, at most 5 MB)",
        validators=[FileRequired("Choose your résumé to send (PDF or Word).")],
    )
    statement = _area("Your lived experience or veteran statement", 4_000)


def application_form_class(questions: list[str]) -> type[ApplicationForm]:
    class BuiltApplicationForm(ApplicationForm):
        pass

    for index, question in enumerate(questions):
        setattr(BuiltApplicationForm, f"answer_{index}", _area(question, 2_000, required="Answer this question."))
    return BuiltApplicationForm


# Candidates ------------------------------------------------------------------------------------------------------


class CandidateFilter(Form):
    """The search above a posting's list of candidates (read from the query string)."""

    q = StringField("Name or email", filters=[clean_text], validators=[Optional(), Length(max=100), plain_text])
    stage = SelectField("Stage", validators=[Optional()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.stage)
        self.stage.choices = options([("", "Any stage"), *CandidateStage.choices()])


class MoveForm(FlaskForm):
    """Move a candidate to another stage (the board's cards and the candidate's page)."""

    to_stage = SelectField("Move to", validators=[InputRequired("Choose the stage to move to.")])
    comment = _area("Comment", 2_000)
    reason = _area("Why not selected (needed for “Not selected”)", 2_000)
    back = HiddenField()
    version = VersionField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.to_stage)


# Interview panels and scorecards ---------------------------------------------------------------------------------


class PanelMemberForm(FlaskForm):
    staff = SelectField("Interviewer", coerce=optional_id, validators=[InputRequired("Choose a person to add.")])
    version = VersionField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.staff)


class PanelRemoveForm(FlaskForm):
    member = HiddenField(validators=[InputRequired()])
    version = VersionField()


class PanelCompetenciesForm(FlaskForm):
    competencies = MultiCheckboxField("Competencies the panel scores")
    version = VersionField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.competencies)


SCORE_WORDS = {1: "1, not shown", 2: "2, a little", 3: "3, some", 4: "4, clearly", 5: "5, strongly"}


class ScorecardForm(FlaskForm):
    """An interviewer's scores; ``scorecard_form_class`` adds a score (1 to 5) and evidence per chosen competency
    (``score_c4``, ``evidence_c4`` for competency 4 of seed 003)."""

    version = VersionField()


def scorecard_form_class(fields: list[tuple[str, str]]) -> type[ScorecardForm]:
    """``fields``: (short name such as "c4", competency name) in the order shown."""

    class BuiltScorecardForm(ScorecardForm):
        pass

    for short, name in fields:
        score = RadioField(
            f"{name}: score",
            choices=options((str(value), words) for value, words in SCORE_WORDS.items()),
            validators=[Optional()],
        )
        _choices(score)
        setattr(BuiltScorecardForm, f"score_{short}", score)
        setattr(BuiltScorecardForm, f"evidence_{short}", _area(f"{name}: evidence", 4_000))
    return BuiltScorecardForm


class HireForm(FlaskForm):
    """Hire a candidate: their staff account (invited as a peer specialist) and whether the posting closes now."""

    name = _line("Full name", 120, required="Enter the person's full name.")
    email = EmailField(
        "Email address for their account",
        filters=[clean_text],
        validators=[
            DataRequired("Enter the email address their invitation goes to."),
            Length(max=254, message="An email address is at most 254 characters."),
            Email("Enter an email address like name@example.com."),
        ],
    )
    job_title = _line("Job title", 120)
    team = SelectField("Team they join", coerce=optional_id, validators=[InputRequired("Choose the team they join.")])
    supervisor = SelectField("Supervisor", coerce=optional_id, validators=[Optional()])
    close_posting = BooleanField("Close this posting now: the role is filled")
    version = VersionField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.team)
        _choices(self.supervisor)
