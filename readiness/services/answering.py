"""Answering a survey: drafts, and sending answers that keep no link to the person.

Sending is one transaction:

1. the invitation is marked completed with a conditional UPDATE (``... WHERE status != 'completed'``); when it
   changes no row the answers were already sent, and nothing is counted twice (a second click, a second tab, two
   requests at once: on PostgreSQL the second waits for the first's row lock, then finds it completed);
2. the draft is deleted in the same UPDATE;
3. the answers go into the ballot box (``readiness_ballot``) with the team the invitation was made for and the
   self-reported role group and tenure band: no person, invitation, address, browser, date or time.

The results never read the ballot box. ``readiness.services.ballots`` releases waiting ballots into the results in
batches of at least the small-group threshold, in a transaction of its own and in a shuffled order, through
``record_response``, and deletes them; see readiness/ANONYMITY.md.

No audit entry is written for a send or a draft save. The audit log records the exact time, the person and their
address for every entry; a "someone sent answers at 10:42:17" entry would let anyone who can read the log line a
response's date and a person's other activity up with the answers on a quiet day. Whether a person has answered is
already on their invitation, which carries no time. The view writes no log line either.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from core.extensions import db
from readiness.models import (
    NO_TEAM,
    Answer,
    Ballot,
    Campaign,
    DomainTally,
    Invitation,
    InvitationStatus,
    Item,
    ItemKind,
    ItemTally,
    OpenAnswer,
    Response,
    ResponseCount,
    RoleGroup,
    TenureBand,
    new_response_key,
    sort_key,
)

MAX_DRAFT_CHARS = 200_000


class AlreadyAnswered(Exception):
    """The invitation was completed before this send."""


@dataclass(frozen=True)
class Problem:
    """Why a survey cannot be answered now: shown on a page of its own with ``status``."""

    status: int
    title: str
    message: str


def _day(on: date) -> str:
    return f"{on:%A}, {on:%B} {on.day}, {on.year}"


FORGED = Problem(
    400,
    "This survey link does not work",
    "The link may be incomplete, or it may be meant for someone else: every link is personal. Open your surveys "
    "from the Readiness page instead.",
)


def problem_with(invitation: Invitation, on: date) -> Problem | None:
    campaign: Campaign = invitation.campaign
    if invitation.status == InvitationStatus.COMPLETED:
        return Problem(410, "You have already sent your answers",
                       "Thank you. Each person answers once, and your answers were counted.")
    if on > campaign.closes_on:
        return Problem(410, "This survey has closed",
                       f"It took answers until {_day(campaign.closes_on)}. Thank you for your interest.")
    if on < campaign.opens_on:
        return Problem(400, "This survey is not open yet",
                       f"It opens on {_day(campaign.opens_on)}. Come back then: your link will work from that day.")
    return None


# Drafts -----------------------------------------------------------------------------------------------------


def read_draft(invitation: Invitation) -> dict[str, Any]:
    """The saved answers, or {} (also for a draft that cannot be read)."""
    if not invitation.draft:
        return {}
    try:
        found = json.loads(invitation.draft)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def save_draft(invitation: Invitation, answers: Mapping[str, Any]) -> None:
    """Keep the answers so far with the invitation (so with the person) until they are sent."""
    text = json.dumps(dict(answers), separators=(",", ":"), ensure_ascii=False)
    if len(text) > MAX_DRAFT_CHARS:
        raise ValueError("draft too large")
    db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.status != InvitationStatus.COMPLETED)
        .values(draft=text, status=InvitationStatus.STARTED)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(invitation)


# Sending ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    """What a person sends: (item id, value, text) per answer; a multiple-choice item has one per option chosen;
    free text has value 0."""

    answers: list[tuple[int, int, str | None]] = field(default_factory=list)
    role_group: str = RoleGroup.UNSAID
    tenure_band: str = TenureBand.UNSAID


def submit(invitation: Invitation, submission: Submission) -> None:
    """Mark the invitation completed and drop the answers in the ballot box, or raise AlreadyAnswered."""
    marked = db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.status != InvitationStatus.COMPLETED)
        .values(status=InvitationStatus.COMPLETED, draft=None)
        .execution_options(synchronize_session=False)
    )
    if marked.rowcount != 1:
        raise AlreadyAnswered
    db.session.execute(insert(Ballot), [{
        "id": new_response_key(),
        "campaign_id": invitation.campaign_id,
        "team_key": invitation.team_id or NO_TEAM,
        "role_group": RoleGroup(submission.role_group).value,
        "tenure_band": TenureBand(submission.tenure_band).value,
        "answers": json.dumps([list(answer) for answer in submission.answers], separators=(",", ":")),
    }])
    db.session.expire(invitation)


@dataclass(frozen=True)
class NewResponse:
    """One response for ``record_responses``: the team and role group go only into the running totals."""

    team_id: int | None
    role_group: str
    tenure_band: str
    answers: list[tuple[int, int, str | None]]


def record_response(
    *,
    campaign_id: int,
    team_id: int | None,
    role_group: str,
    tenure_band: str,
    submitted_on: date,
    answers: Iterable[tuple[int, int, str | None]],
) -> str:
    """Store one response, its chosen and open answers and the totals (Core statements: nothing is kept in the
    session that could say in which order responses arrived). Returns the response's random key.

    ``team_id`` and ``role_group`` go only into the running totals; the response row itself keeps no team, role
    group or tenure band ("unsaid"), and ``submitted_on`` is the day its batch was released, the same for the whole
    batch."""
    new = NewResponse(team_id, role_group, tenure_band, list(answers))
    return record_responses(campaign_id, submitted_on, [new])[0]


def record_responses(campaign_id: int, submitted_on: date, responses: list[NewResponse]) -> list[str]:
    """``record_response`` for a batch released on one day, in a few statements whatever its size: the responses in
    one INSERT, their answers in another, and each running total added up once (rows in key order, so concurrent
    sends lock shared rows in the same order). Returns the responses' random keys, in the order given."""
    keys: list[str] = []
    rows: list[dict[str, Any]] = []
    chosen: list[dict[str, Any]] = []
    written: list[dict[str, Any]] = []
    counts: Counter[tuple[int, str]] = Counter()
    tallies: Counter[tuple[int, int]] = Counter()
    likert: list[tuple[tuple[int, str], list[tuple[int, int]]]] = []
    for new in responses:
        key = new_response_key()
        keys.append(key)
        role_group = RoleGroup(new.role_group).value
        TenureBand(new.tenure_band)  # checked; no result shows it, so it is not kept
        rows.append({
            "id": key, "campaign_id": campaign_id, "team_id": None, "role_group": RoleGroup.UNSAID.value,
            "tenure_band": TenureBand.UNSAID.value, "submitted_on": submitted_on,
        })
        by_key = {(item_id, value): text for item_id, value, text in new.answers if value > 0 or text}
        chosen += [{"response_id": key, "item_id": item_id, "value": value} for item_id, value in sorted(by_key)
                   if value > 0]
        written += [
            {"campaign_id": campaign_id, "item_id": item_id, "sort_key": sort_key(text), "response_id": key,
             "text": text}
            for (item_id, value), text in sorted(by_key.items()) if value == 0 and text
        ]
        cell = (new.team_id or NO_TEAM, role_group)
        counts[cell] += 1
        tallies.update(by_key.keys())
        likert.append((cell, [(item_id, value) for item_id, value in by_key if value > 0]))
    if rows:
        db.session.execute(insert(Response), rows)
    if chosen:
        db.session.execute(insert(Answer), chosen)
    if written:
        db.session.execute(insert(OpenAnswer), written)
    if counts:
        _add_up(ResponseCount, [
            {"campaign_id": campaign_id, "team_key": team_key, "role_group": role_group, "n": n}
            for (team_key, role_group), n in sorted(counts.items())
        ], ["n"])
    if tallies:
        _add_up(ItemTally, [
            {"campaign_id": campaign_id, "item_id": item_id, "value": value, "n": n}
            for (item_id, value), n in sorted(tallies.items())
        ], ["n"])
    domains = _domain_points(likert)
    if domains:
        _add_up(DomainTally, [
            {"campaign_id": campaign_id, "team_key": team_key, "role_group": role_group, "domain_id": domain_id,
             "points": points, "answers": answered}
            for (team_key, role_group, domain_id), (points, answered) in sorted(domains.items())
        ], ["points", "answers"])
    return keys


def _domain_points(
    likert: list[tuple[tuple[int, str], list[tuple[int, int]]]],
) -> dict[tuple[int, str, int], tuple[int, int]]:
    """Per cell (team, role group) and domain, the 1-5 scores of the agreement answers (a reversed statement scores
    6 minus the answer) and how many there were: the items looked up once for the whole batch."""
    wanted = {item_id for _cell, chosen in likert for item_id, _value in chosen}
    if not wanted:
        return {}
    items = {
        item_id: (domain_id, reversed_)
        for item_id, domain_id, reversed_ in db.session.execute(
            select(Item.id, Item.domain_id, Item.reversed).where(
                Item.id.in_(wanted), Item.kind == ItemKind.LIKERT, Item.domain_id.is_not(None),
            )
        )
    }
    found: dict[tuple[int, str, int], tuple[int, int]] = {}
    for (team_key, role_group), chosen in likert:
        for item_id, value in chosen:
            if item_id not in items or not 1 <= value <= 5:
                continue
            domain_id, reversed_ = items[item_id]
            points, answered = found.get((team_key, role_group, domain_id), (0, 0))
            found[(team_key, role_group, domain_id)] = (points + (6 - value if reversed_ else value), answered + 1)
    return found


Totals = type[ItemTally] | type[DomainTally] | type[ResponseCount]


def _add_up(model: Totals, rows: list[dict[str, Any]], sums: list[str]) -> None:
    """INSERT the rows, or add their ``sums`` columns to the rows already there (met on the primary key): one
    statement on PostgreSQL and SQLite."""
    keys = [column.name for column in model.__table__.primary_key.columns]
    dialect = db.session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        make = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = make(model).values(rows)
        statement = statement.on_conflict_do_update(
            index_elements=keys,
            set_={name: getattr(model, name) + getattr(statement.excluded, name) for name in sums},
        )
        db.session.execute(statement)
        return
    for row in rows:  # any other database: UPDATE, then INSERT when there was no row
        condition = [getattr(model, key) == row[key] for key in keys]
        done = db.session.execute(
            update(model).where(*condition)
            .values({name: getattr(model, name) + row[name] for name in sums})
            .execution_options(synchronize_session=False)
        )
        if done.rowcount == 0:
            db.session.execute(insert(model), [row])
