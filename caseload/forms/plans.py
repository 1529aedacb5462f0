"""Forms for recovery plans and contact notes: input shape only.

The rules (at least one goal, a review date not in the past, goal keys that carry on, notes not dated in the
future, direct work only with a client) live in ``caseload.services.plans`` and ``caseload.services.notes``.
Choices that come from the database (the plan's goals, community resources) are filled in by the view.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from wtforms import (
    BooleanField,
    Field,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from caseload.forms._common import version_field
from caseload.models import Place
from caseload.services.notes import MAX_BODY, MAX_MINUTES, NoteFilters, NoteInput
from caseload.services.plans import TERMS, GoalInput, PlanInput
from core.forms import FlaskForm, Form, PlainDateField, clean_text, optional_id, options

NOT_A_CHOICE = "Choose one of the options in the list."
GOAL_KEY = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
MAX_GOALS = 40
PLAN_TEXT = 5_000
GOAL_TEXT = 2_000


def goal_key(value: Any) -> str:
    """A key the page sent back, or '' when it is missing or not the shape of a key."""
    return value if isinstance(value, str) and GOAL_KEY.match(value) else ""


def grouped(triples: Iterable[tuple[str, str, str]]) -> list[SelectChoice]:
    return [SelectChoice(value, label, optgroup=group) for value, label, group in triples]


def text_box(label: str, limit: int, *, required: str | None = None, optional: bool = True) -> TextAreaField:
    """A text area. ``optional=False`` without ``required`` leaves the emptiness check to the form."""
    checks: list[Any] = [DataRequired(required)] if required else [Optional()] if optional else []
    checks.append(Length(max=limit, message=f"Use at most {limit:,} characters."))
    return TextAreaField(label, filters=[clean_text], validators=checks)


def select(label: str, validators: list[Any] | None = None, **kwargs: Any) -> SelectField:
    return SelectField(
        label, validators, invalid_choice_message=NOT_A_CHOICE, invalid_value_message=NOT_A_CHOICE, **kwargs
    )


# Recovery plans ---------------------------------------------------------------------------------------------


class GoalForm(Form):
    """One goal row. A row left completely empty is no goal at all."""

    goal_key = HiddenField("Goal key", filters=[goal_key])
    term = RadioField("Short or long term", choices=options(TERMS.items()), default="short", validate_choice=False)
    in_own_words = text_box("The goal, in the client's own words", GOAL_TEXT, optional=False)
    interventions = text_box("Steps to get there, and who helps", PLAN_TEXT)
    progress = text_box("Progress so far", PLAN_TEXT)
    achieved = BooleanField("This goal is achieved")

    @property
    def is_blank(self) -> bool:
        return not (self.in_own_words.data or self.interventions.data or self.progress.data or self.achieved.data)

    def validate_in_own_words(self, field: Field) -> None:
        if not field.data and not self.is_blank:
            raise ValidationError(
                "Write the goal in the client's own words, or clear every box of this goal to leave it out."
            )

    def validate_term(self, field: Field) -> None:
        if field.data not in TERMS and not self.is_blank:
            raise ValidationError("Choose short-term or long-term.")

    def to_input(self, row: int = 0) -> GoalInput:
        return GoalInput(
            row=row,
            goal_key=self.goal_key.data or "",
            term=self.term.data or "",
            in_own_words=self.in_own_words.data or "",
            interventions=self.interventions.data or "",
            progress=self.progress.data or "",
            achieved=bool(self.achieved.data),
        )


class PlanForm(FlaskForm):
    base_version = version_field("Plan version you started from")
    strengths = text_box("Strengths", PLAN_TEXT)
    abilities = text_box("Abilities and skills", PLAN_TEXT)
    needs = text_box("Needs", PLAN_TEXT)
    preferences = text_box("Preferences", PLAN_TEXT)
    goals = FieldList(FormField(GoalForm), min_entries=1, max_entries=MAX_GOALS)
    review_on = PlainDateField("Review date", validators=[InputRequired("Enter the date to review the plan together.")])

    def to_input(self) -> PlanInput:
        return PlanInput(
            strengths=self.strengths.data or "",
            abilities=self.abilities.data or "",
            needs=self.needs.data or "",
            preferences=self.preferences.data or "",
            review_on=self.review_on.data,
            goals=tuple(
                entry.form.to_input(row) for row, entry in enumerate(self.goals) if not entry.form.is_blank
            ),
        )

    def add_problems(self, problems: dict[str, str], *, only_new: bool = False) -> None:
        """Show the service's messages at their fields ("goals-0-in_own_words" names a goal row's box).
        ``only_new``: leave out a field that already shows a problem."""
        for name, message in problems.items():
            target = self._find(name)
            if only_new and target.errors:
                continue
            target.errors = [*target.errors, message]

    def _find(self, name: str) -> Field:
        match = re.fullmatch(r"goals-(\d+)-(\w+)", name)
        if match:
            index, field_name = int(match[1]), match[2]
            if not self.goals.entries:
                self.goals.append_entry()
            entry = self.goals.entries[min(index, len(self.goals.entries) - 1)]
            return entry.form[field_name]
        return self[name]

    def problems(self) -> list[tuple[str, str, str]]:
        """(field id, label, message) for every problem, goal rows included, for the error summary."""
        found: list[tuple[str, str, str]] = []
        for field in self:
            if field.type == "CSRFTokenField":
                continue
            if field.name == "goals":
                for number, entry in enumerate(self.goals.entries, start=1):
                    for sub in entry.form:
                        if sub.errors:
                            anchor = f"{sub.id}-0" if sub.type == "RadioField" else sub.id
                            found.append((anchor, f"Goal {number}, {sub.label.text.lower()}", " ".join(sub.errors)))
            elif field.errors:
                anchor = "plan-form" if field.type == "HiddenField" else field.id
                found.append((anchor, field.label.text, " ".join(field.errors)))
        return found


# Contact notes ----------------------------------------------------------------------------------------------


class NoteFieldsMixin:
    happened_on = PlainDateField("Date", validators=[InputRequired("Enter the date the work happened.")])
    kind = select("Kind of work", [DataRequired("Choose the kind of work.")])
    minutes = IntegerField(
        "Minutes spent",
        validators=[
            InputRequired("Enter the minutes spent, for example 45."),
            NumberRange(1, MAX_MINUTES, message=f"Enter the minutes spent, from 1 to {MAX_MINUTES} (24 hours)."),
        ],
        invalid_value_message="Enter the minutes as a whole number, for example 45.",
        render_kw={"min": 1, "max": MAX_MINUTES, "inputmode": "numeric"},
    )
    place = RadioField(
        "Where",
        choices=options(Place.choices()),
        validators=[DataRequired("Choose where the work happened.")],
        invalid_choice_message=NOT_A_CHOICE,
    )
    body = text_box("What happened", MAX_BODY, required="Write what happened.")


class NoteForm(FlaskForm, NoteFieldsMixin):
    goal_key = select("Goal this served", [Optional()])
    resource_id = select("Community resource connected", [Optional()], coerce=optional_id)

    def to_input(self) -> NoteInput:
        return NoteInput(
            happened_on=self.happened_on.data,
            kind=self.kind.data or "",
            minutes=self.minutes.data or 0,
            place=self.place.data or "",
            body=self.body.data or "",
            goal_key=self.goal_key.data or None,
            resource_id=self.resource_id.data,
        )


class IndirectNoteForm(FlaskForm, NoteFieldsMixin):
    def to_input(self) -> NoteInput:
        return NoteInput(
            happened_on=self.happened_on.data,
            kind=self.kind.data or "",
            minutes=self.minutes.data or 0,
            place=self.place.data or "",
            body=self.body.data or "",
        )


def add_problems(form: Form, problems: dict[str, str], *, only_new: bool = False) -> None:
    """Show the service's messages at their fields; ``only_new`` leaves out a field that already shows one."""
    for name, message in problems.items():
        if only_new and form[name].errors:
            continue
        form[name].errors = [*form[name].errors, message]


class ClientNotesFilterForm(Form):
    """The client's notes list filter, read from the query string (a GET form, so no CSRF token)."""

    kind = select("Kind of work", [Optional()])


class MyNotesFilterForm(Form):
    """Your notes: kind and dates, read from the query string."""

    kind = select("Kind of work", [Optional()])
    start = PlainDateField("From", validators=[Optional()])
    end = PlainDateField("To", validators=[Optional()])

    def validate_end(self, field: Field) -> None:
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError("The end date is before the start date. Swap them or choose another date.")

    def filters(self) -> NoteFilters:
        """The filters to apply; a box that could not be read is left out (its message is shown)."""
        return NoteFilters(
            kind="" if self.kind.errors else self.kind.data or "",
            start=None if self.start.errors else self.start.data,
            end=None if self.end.errors else self.end.data,
        )
