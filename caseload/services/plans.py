"""Person-centred recovery plans (seed 001): strengths, needs, abilities, preferences, goals in the client's own
words, interventions and progress, and a review date.

Versions are never changed: every save adds a new ``PlanVersion`` numbered one higher. A goal keeps its
``goal_key`` from version to version, so contact notes can say which goal they served. Functions take the acting
person, flush and audit (no plan text in the audit log); the view commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import raiseload

from caseload.models import Client, PlanGoal, PlanVersion
from core import audit, timeutil
from core.edits import submitted_version
from core.errors import InvalidInput, StaleEdit
from core.extensions import db
from core.models import Staff

TERMS = {"short": "Short-term goal", "long": "Long-term goal"}
LONGEST_REVIEW_WAIT = timedelta(days=2 * 366)


@dataclass(frozen=True)
class GoalInput:
    term: str
    in_own_words: str
    interventions: str = ""
    progress: str = ""
    achieved: bool = False
    goal_key: str = ""  # the key of the goal this row continues; "" for a new goal
    row: int = 0  # the form row it came from, to show a message in the right place


@dataclass(frozen=True)
class PlanInput:
    review_on: date | None  # None only while checking a form that has other problems too
    goals: tuple[GoalInput, ...]
    strengths: str = ""
    needs: str = ""
    abilities: str = ""
    preferences: str = ""


def today() -> date:
    """"Today" where the agency is (core.timeutil.today)."""
    return timeutil.today()


def current_version(client_id: int) -> PlanVersion | None:
    return db.session.scalar(
        select(PlanVersion).where(PlanVersion.client_id == client_id).order_by(PlanVersion.number.desc()).limit(1)
    )


def version(client_id: int, number: int) -> PlanVersion | None:
    return db.session.scalar(
        select(PlanVersion).where(PlanVersion.client_id == client_id, PlanVersion.number == number)
    )


def versions_query(client_id: int) -> Select:
    """Every version of one client's plan, newest first, without their goals (for the history list)."""
    return (
        select(PlanVersion)
        .where(PlanVersion.client_id == client_id)
        .options(raiseload(PlanVersion.goals))
        .order_by(PlanVersion.number.desc())
    )


def goal_choices(client_id: int) -> list[tuple[str, str]]:
    """The current plan's goals as (goal_key, short label), for a note's "goal served" list."""
    plan = current_version(client_id)
    if plan is None:
        return []
    return [(goal.goal_key, short_label(goal)) for goal in plan.goals]


def short_label(goal: PlanGoal, limit: int = 90) -> str:
    words = " ".join(goal.in_own_words.split())
    if len(words) > limit:
        words = words[: limit - 1].rstrip() + "…"
    done = " (achieved)" if goal.achieved else ""
    return f"{TERMS.get(goal.term, 'Goal')}: {words}{done}"


def goal_words(client_id: int, keys: Iterable[str]) -> dict[str, str]:
    """The latest wording of each goal key (one query), also for goals later taken out of the plan."""
    wanted = sorted({key for key in keys if key})
    if not wanted:
        return {}
    rows = db.session.execute(
        select(PlanGoal.goal_key, PlanGoal.in_own_words)
        .join(PlanVersion, PlanVersion.id == PlanGoal.version_id)
        .where(PlanVersion.client_id == client_id, PlanGoal.goal_key.in_(wanted))
        .order_by(PlanVersion.number)
    )
    return {row.goal_key: row.in_own_words for row in rows}


def problems_with(plan: PlanInput, *, on: date) -> dict[str, str]:
    """What breaks the rules, as {form field name: message}; a part not given (None) is not checked."""
    problems: dict[str, str] = {}
    if not plan.goals:
        problems["goals-0-in_own_words"] = "Write at least one goal, in the client's own words."
    if plan.review_on is None:
        pass
    elif plan.review_on < on:
        problems["review_on"] = "The review date is in the past. Choose today or a later date."
    elif plan.review_on > on + LONGEST_REVIEW_WAIT:
        problems["review_on"] = "Choose a review date within the next two years."
    for goal in plan.goals:
        if goal.term not in TERMS:
            problems[f"goals-{goal.row}-term"] = "Choose short-term or long-term."
        if not goal.in_own_words:
            problems[f"goals-{goal.row}-in_own_words"] = "Write the goal in the client's own words."
    return problems


def save_plan(client: Client, plan: PlanInput, actor: Staff, *, base_number: object) -> PlanVersion:
    """Add the next version of the client's plan. ``base_number`` is the version the editor started from (0 when
    there was none); when someone saved a newer one meanwhile, nothing is saved and ``StaleEdit`` is raised (a save
    that gets in between is caught by the unique version number: ``IntegrityError``)."""
    current = current_version(client.id)
    current_number = current.number if current is not None else 0
    if submitted_version(base_number) != current_number:
        raise StaleEdit
    problems = problems_with(plan, on=today())
    if problems or plan.review_on is None:
        raise InvalidInput(problems or {"review_on": "Enter the date to review the plan together."})

    known = {goal.goal_key for goal in current.goals} if current is not None else set()
    used: set[str] = set()
    saved = PlanVersion(
        client_id=client.id,
        number=current_number + 1,
        strengths=plan.strengths,
        needs=plan.needs,
        abilities=plan.abilities,
        preferences=plan.preferences,
        review_on=plan.review_on,
        written_by_id=actor.id,
    )
    for position, goal in enumerate(plan.goals):
        # Only a key from the version being edited carries on; anything else (a new row, a tampered or repeated
        # key) starts a new goal.
        key = goal.goal_key if goal.goal_key in known and goal.goal_key not in used else uuid.uuid4().hex
        used.add(key)
        saved.goals.append(
            PlanGoal(
                goal_key=key,
                position=position,
                term=goal.term,
                in_own_words=goal.in_own_words,
                interventions=goal.interventions,
                progress=goal.progress,
                achieved=goal.achieved,
            )
        )
    db.session.add(saved)
    db.session.flush()
    audit.record(
        "plan.saved",
        actor=actor,
        record_type="client",
        record_id=client.id,
        detail=f"recovery plan version {saved.number}, {len(saved.goals)} goals",
    )
    return saved
