"""Readiness forms: input shape only. The rules (dates, scope, options, versions) live in ``readiness.services``.

The survey form is built for each instrument from its items (``survey_form_class``): one field per item, named
``item_<id>``, plus the two optional "about you" questions.
"""

from __future__ import annotations

from typing import Any

from wtforms import (
    BooleanField,
    Field,
    IntegerField,
    RadioField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, StopValidation

from core.forms import (
    FlaskForm,
    Form,
    MultiCheckboxField,
    PlainDateField,
    VersionField,
    clean_text,
    optional_id,
    options,
    plain_text,
    strip,
)
from readiness.models import ActionStatus, Item, ItemKind, RoleGroup, TenureBand

NOT_A_CHOICE = "Choose one of the options shown."
MAX_TEXT_ANSWER = 2_000
NAME_LIMIT = 160


def _name(label: str, message: str, limit: int = NAME_LIMIT) -> StringField:
    return StringField(
        label, filters=[clean_text],
        validators=[DataRequired(message), Length(max=limit, message=f"Use at most {limit} characters.")],
    )


# Campaigns --------------------------------------------------------------------------------------------------


SCOPES = [("organization", "The whole organization: everyone on staff"), ("teams", "Chosen programs and teams")]


class CampaignForm(FlaskForm):
    name = _name("Name", "Enter a name for the campaign, for example “Getting ready for peer specialists”.")
    wave = _name("Wave", "Enter the wave, for example “Baseline” or “Follow-up”.", 60)
    instrument = SelectField("Survey", validators=[InputRequired("Choose the survey to send.")],
                             validate_choice=True)
    scope = RadioField("Who is asked", choices=options(SCOPES), default="organization",
                       validators=[InputRequired("Choose who is asked.")])
    programs = MultiCheckboxField("Whole programs", coerce=int, validators=[Optional()])
    teams = MultiCheckboxField("Teams", coerce=int, validators=[Optional()])
    opens_on = PlainDateField("Opening date", validators=[InputRequired("Enter the first day people can answer.")])
    closes_on = PlainDateField("Closing date", validators=[InputRequired("Enter the last day people can answer.")])
    version = VersionField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("instrument", "scope", "programs", "teams"):
            field = getattr(self, name, None)
            if field is not None:
                field.invalid_choice_message = NOT_A_CHOICE  # type: ignore[attr-defined]


class WaveForm(FlaskForm):
    name = _name("Name", "Enter a name for the new wave's campaign.")
    wave = _name("Wave", "Enter the wave, for example “Follow-up, 6 months”.", 60)
    opens_on = PlainDateField("Opening date", validators=[InputRequired("Enter the first day people can answer.")])
    closes_on = PlainDateField("Closing date", validators=[InputRequired("Enter the last day people can answer.")])


# Instruments ------------------------------------------------------------------------------------------------


class InstrumentForm(FlaskForm):
    name = _name("Name", "Enter the survey's name.")
    description = TextAreaField(
        "Introduction shown to people answering", filters=[clean_text],
        validators=[Optional(), Length(max=2_000, message="Use at most 2,000 characters.")],
    )
    start_from = SelectField("Start from", coerce=optional_id, validators=[Optional()],
                             invalid_choice_message=NOT_A_CHOICE, invalid_value_message=NOT_A_CHOICE)
    version = VersionField()


class DomainForm(FlaskForm):
    name = _name("Name", "Enter the domain's name, for example “Beliefs about recovery”.")
    training_topic = StringField(
        "Training to suggest when this domain scores low", filters=[clean_text],
        validators=[Optional(), Length(max=200, message="Use at most 200 characters.")],
    )
    position = IntegerField(
        "Order", validators=[Optional(), NumberRange(min=0, max=9_999, message="Enter a whole number from 0 to 9999.")]
    )
    version = VersionField()


class ItemForm(FlaskForm):
    kind = RadioField("Kind of question", choices=options(ItemKind.choices()), default=ItemKind.LIKERT,
                      validators=[InputRequired("Choose the kind of question.")])
    text = _name("Question or statement", "Enter the question or statement, in plain words.", 400)
    hint = StringField("Hint shown under it", filters=[clean_text],
                       validators=[Optional(), Length(max=300, message="Use at most 300 characters.")])
    domain = SelectField("Domain", coerce=optional_id, validators=[Optional()],
                         invalid_choice_message=NOT_A_CHOICE, invalid_value_message=NOT_A_CHOICE)
    reversed = BooleanField("Agreeing with this statement means less ready (a reversed statement)")
    options = TextAreaField(
        "Options, one on each line", filters=[clean_text],
        validators=[Optional(), Length(max=4_000, message="Use at most 4,000 characters.")],
    )
    required = BooleanField("An answer is required")
    position = IntegerField(
        "Order", validators=[Optional(), NumberRange(min=0, max=9_999, message="Enter a whole number from 0 to 9999.")]
    )
    version = VersionField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind.invalid_choice_message = NOT_A_CHOICE  # type: ignore[attr-defined]

    def option_list(self) -> tuple[str, ...]:
        return tuple(line.strip() for line in (self.options.data or "").splitlines() if line.strip())


# From results to action ------------------------------------------------------------------------------------


class ActionForm(FlaskForm):
    title = StringField("What will be done", filters=[clean_text], validators=[
        DataRequired("Enter what will be done, for example “Run a session on what peer specialists do”."),
        Length(max=200, message="Use at most 200 characters."),
    ])
    domain = SelectField("Domain it answers", coerce=optional_id, validators=[Optional()],
                         invalid_choice_message=NOT_A_CHOICE, invalid_value_message=NOT_A_CHOICE)
    owner = SelectField("Owner", coerce=optional_id,
                        validators=[InputRequired("Choose the person who owns this action.")],
                        invalid_choice_message=NOT_A_CHOICE, invalid_value_message=NOT_A_CHOICE)
    due_on = PlainDateField("Due date", validators=[InputRequired("Enter the date this action is due.")])
    status = SelectField("Status", choices=options(ActionStatus.choices()), default=ActionStatus.PLANNED,
                         validators=[InputRequired("Choose the status.")], invalid_choice_message=NOT_A_CHOICE)
    version = VersionField()


class ChampionForm(FlaskForm):
    staff = SelectField("Staff member", coerce=optional_id,
                        validators=[InputRequired("Choose the staff member who will be the champion.")],
                        invalid_choice_message=NOT_A_CHOICE, invalid_value_message=NOT_A_CHOICE)
    team = SelectField("Team", coerce=optional_id, validators=[InputRequired("Choose the team.")],
                       invalid_choice_message=NOT_A_CHOICE, invalid_value_message=NOT_A_CHOICE)
    since = PlainDateField("Champion since", validators=[InputRequired("Enter the date they became champion.")])


# Settings ---------------------------------------------------------------------------------------------------


class ReadinessSettingsForm(FlaskForm):
    min_cell = IntegerField(
        "Smallest group whose answers are shown",
        validators=[
            InputRequired("Enter a number of answers."),
            NumberRange(min=3, max=50, message="Enter a number from 3 to 50. Fewer than 3 could identify people."),
        ],
    )
    action_threshold = IntegerField(
        "Suggest training when a domain scores under",
        validators=[
            InputRequired("Enter a score from 0 to 100."),
            NumberRange(min=0, max=100, message="Enter a score from 0 to 100."),
        ],
    )
    version = VersionField()  # core.settings.snapshot of the values the page showed


# The survey -------------------------------------------------------------------------------------------------


class Answered:
    """Required or optional, and never required while the person is only saving to finish later."""

    def __init__(self, required: bool, message: str) -> None:
        self.required = required
        self.message = message
        self.field_flags = {"required": True} if required else {}

    def __call__(self, form: Any, field: Field) -> None:
        raw = [value for value in (field.raw_data or []) if str(value).strip()]
        if raw:
            return
        field.errors[:] = []
        if self.required and not getattr(form, "saving", False):
            raise StopValidation(self.message)
        raise StopValidation()


class SurveyFormBase(FlaskForm):
    saving = False  # set by the view: "Save and finish later" skips the required checks
    item_fields: dict[int, str]

    role_group = RadioField(
        "Which best describes your job here? (optional)", choices=options(RoleGroup.choices()),
        validators=[Answered(False, "")],
    )
    tenure_band = RadioField(
        "How long have you worked at this agency? (optional)", choices=options(TenureBand.choices()),
        validators=[Answered(False, "")],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self:
            if isinstance(field, RadioField | MultiCheckboxField):
                field.invalid_choice_message = NOT_A_CHOICE  # type: ignore[attr-defined]

    def item_field(self, item: Item) -> Field:
        return self[self.item_fields[item.id]]

    def draft(self) -> dict[str, Any]:
        """The answers given so far, to keep until the person comes back."""
        kept: dict[str, Any] = {}
        for name in [*self.item_fields.values(), "role_group", "tenure_band"]:
            value = self[name].data
            if value not in (None, "", []):
                kept[name] = value
        return kept

    def answers(self, items: list[Item]) -> list[tuple[int, int, str | None]]:
        found: list[tuple[int, int, str | None]] = []
        for item in items:
            value = self.item_field(item).data
            if item.kind == ItemKind.TEXT:
                if value:
                    found.append((item.id, 0, value))
            elif item.kind == ItemKind.MULTI:
                found.extend((item.id, chosen, None) for chosen in sorted(set(value or [])))
            elif value is not None:
                found.append((item.id, int(value), None))
        return found


def _optional_label(item: Item) -> str:
    return item.text if item.required or item.kind == ItemKind.TEXT else f"{item.text} (optional)"


def survey_form_class(items: list[Item]) -> type[SurveyFormBase]:
    """A form class with one field per item of the instrument."""
    fields: dict[str, Any] = {}
    names: dict[int, str] = {}
    for item in items:
        name = f"item_{item.id}"
        names[item.id] = name
        if item.kind == ItemKind.TEXT:
            checks: list[Any] = [Answered(item.required, "Write an answer to this question.")]
            checks.append(Length(max=MAX_TEXT_ANSWER, message=f"Use at most {MAX_TEXT_ANSWER:,} characters."))
            fields[name] = TextAreaField(item.text, filters=[clean_text], validators=checks)
        elif item.kind == ItemKind.MULTI:
            fields[name] = MultiCheckboxField(
                _optional_label(item), choices=options(item.choices()), coerce=int,
                validators=[Answered(item.required, "Choose at least one option.")],
            )
        else:
            message = (
                "Choose how much you agree with this statement."
                if item.kind == ItemKind.LIKERT else "Choose one of the options."
            )
            fields[name] = RadioField(
                _optional_label(item), choices=options(item.choices()), coerce=int,
                validators=[Answered(item.required, message)],
            )
    fields["item_fields"] = names
    return type("SurveyForm", (SurveyFormBase,), fields)


class OpenAnswerSearchForm(Form):
    """The open-answers page's search box (a GET form: no CSRF token, changes nothing)."""

    q = SearchField(
        "Words in the answer", filters=[strip],
        validators=[Optional(), Length(max=100, message="Use at most 100 characters."), plain_text],
    )
