"""Demo readiness surveys: the default survey, a closed baseline wave answered by most of the agency (every team,
some with fewer than five answers), and an open follow-up wave that the demo sign-ins have not answered yet.

Answers are made up from a seeded random generator, with the agency least ready on understanding of the peer role
and on boundaries, and a little more ready at follow-up. They go through ``answering.record_responses``, so the
running totals are kept exactly as a real send keeps them.
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta

from sqlalchemy import select, update

from core import demo, timeutil
from core.extensions import db
from core.models import Role, Staff
from readiness.models import (
    ActionStatus,
    Campaign,
    Instrument,
    Invitation,
    InvitationStatus,
    Item,
    ItemKind,
    RoleGroup,
    TenureBand,
)
from readiness.services import actions, answering, campaigns
from readiness.services.default_instrument import ensure_default_instrument
from readiness.services.instruments import load_contents

# How ready staff are, per domain, on the 1-5 scale (5 = most ready), at baseline.
BASELINE_READINESS = {
    "role": 2.5, "recovery": 3.4, "fears": 2.9, "boundaries": 2.4, "disclosure": 3.0, "inclusion": 3.2,
    "supervision": 2.8, "commitment": 3.3, "stigma": 3.6, "policies": 2.9,
}
FOLLOW_UP_GAIN = {"role": 0.9, "boundaries": 0.7, "fears": 0.3}
ROLE_SHIFT = {RoleGroup.PEER: 0.9, RoleGroup.MANAGER: 0.3, RoleGroup.CLINICAL: -0.2}
CLINICAL_TITLES = ("psycholog", "psychiatr", "nurse", "social worker", "counsel", "therapist")
CONCERNS = [
    "Not knowing what I can and cannot share with a peer specialist about a client.",
    "What happens if a peer specialist becomes unwell at work.",
    "Extra work for our team while we work out how the role fits.",
    "How we handle it when a co-worker is also a client here.",
    "Whether peer specialists will be treated as real members of the team.",
]
HELPS = [
    "A session explaining what peer specialists actually do day to day.",
    "Clear rules about boundaries and records.",
    "Hearing from a team that already works with peer specialists.",
    "Knowing who supervises the peer specialists and how.",
]
ALWAYS_ANSWER_TEAMS = {"Day program", "Vocational team"}  # so some teams have five or more answers


def _role_group(person: Staff) -> RoleGroup:
    if person.has_role(Role.PEER):
        return RoleGroup.PEER
    if person.has_role(Role.SUPERVISOR):
        return RoleGroup.MANAGER
    if person.has_role(Role.STAFF) and any(word in person.job_title.lower() for word in CLINICAL_TITLES):
        return RoleGroup.CLINICAL
    return RoleGroup.OTHER


def _answers(
    items: list[Item], codes: dict[int, str], readiness: dict[str, float], shift: float, rng: random.Random
) -> list[tuple[int, int, str | None]]:
    found: list[tuple[int, int, str | None]] = []
    for item in items:
        if item.kind == ItemKind.LIKERT:
            mean = readiness.get(codes.get(item.domain_id or 0, ""), 3.0) + shift
            ready = min(5, max(1, round(rng.gauss(mean, 0.9))))
            found.append((item.id, 6 - ready if item.reversed else ready, None))
        elif item.kind == ItemKind.MULTI:
            options = len(item.option_list)
            chosen = rng.sample(range(1, options + 1), k=rng.choice([0, 1, 2, 2, 3]))
            found.extend((item.id, value, None) for value in sorted(chosen))
        elif item.kind == ItemKind.SINGLE:
            if rng.random() < 0.85:
                found.append((item.id, rng.randint(1, len(item.option_list)), None))
        elif item.kind == ItemKind.TEXT and rng.random() < 0.35:
            pool = CONCERNS if item.code == "open_concern" else HELPS
            found.append((item.id, 0, rng.choice(pool)))
    return found


def _answer_some(
    campaign: Campaign,
    instrument: Instrument,
    people: dict[int, Staff],
    chosen: list[Invitation],
    readiness: dict[str, float],
    days: tuple[date, date],
    rng: random.Random,
) -> int:
    codes = {domain.id: domain.code for domain in instrument.domains}
    first, last = days
    responses: list[answering.NewResponse] = []
    for invitation in chosen:
        person = people[invitation.staff_id]
        group = _role_group(person) if rng.random() > 0.15 else RoleGroup.UNSAID
        responses.append(answering.NewResponse(
            team_id=invitation.team_id,
            role_group=group,
            tenure_band=rng.choice(list(TenureBand)),
            answers=_answers(instrument.items, codes, readiness, ROLE_SHIFT.get(group, 0.0), rng),
        ))
    answering.record_responses(campaign.id, last, responses)  # as if released in one batch when the wave closed
    if chosen:
        db.session.execute(
            update(Invitation)
            .where(Invitation.id.in_([invitation.id for invitation in chosen]))
            .values(status=InvitationStatus.COMPLETED)
            .execution_options(synchronize_session=False)
        )
    return len(chosen)


def load(people: dict[str, Staff]) -> str:
    rng = random.Random(4)  # noqa: S311  made-up demo answers, not a secret
    today = timeutil.today()
    hr = people["hr@example.org"]
    instrument = load_contents(ensure_default_instrument(hr).id)
    by_id = {person.id: person for person in people.values()}
    team_names = {team.id: team.name for person in people.values() for team in person.teams}

    baseline = campaigns.create_campaign(
        campaigns.CampaignDetails(
            name="Getting ready for peer specialists", wave="Baseline",
            opens_on=today - timedelta(days=120), closes_on=today - timedelta(days=95),
        ),
        instrument, hr,
    )
    campaigns.send_invitations(baseline, hr, email=False, notify=False)
    invitations = list(db.session.scalars(select(Invitation).where(Invitation.campaign_id == baseline.id)))
    answered = [
        invitation for invitation in invitations
        if team_names.get(invitation.team_id or 0) in ALWAYS_ANSWER_TEAMS or rng.random() < 0.75
    ]
    done = _answer_some(baseline, instrument, by_id, answered, BASELINE_READINESS,
                        (baseline.opens_on, baseline.closes_on), rng)

    follow_up = campaigns.copy_into_new_wave(
        baseline,
        campaigns.WaveDetails("Getting ready for peer specialists", "Follow-up, 4 months",
                              today - timedelta(days=6), today + timedelta(days=21)),
        hr,
    )
    campaigns.send_invitations(follow_up, hr, email=False, notify=False)
    demo_ids = {people[email].id for email in demo.DEMO_ACCOUNTS}
    later = [
        invitation
        for invitation in db.session.scalars(select(Invitation).where(Invitation.campaign_id == follow_up.id))
        if invitation.staff_id not in demo_ids and rng.random() < 0.4
    ]
    improved = {code: value + FOLLOW_UP_GAIN.get(code, 0.2) for code, value in BASELINE_READINESS.items()}
    done_later = _answer_some(follow_up, instrument, by_id, later, improved, (follow_up.opens_on, today), rng)

    # HR has already planned one training step from the baseline's results.
    topic = next(domain for domain in instrument.domains if domain.training_topic)
    actions.create_action(
        baseline,
        actions.ActionDetails(
            title=topic.training_topic, domain_id=topic.id, owner_id=hr.id,
            due_on=today + timedelta(days=30), status=ActionStatus.PLANNED,
        ),
        hr,
    )

    # The clinician has started the follow-up and saved it to finish later.
    started = db.session.scalar(select(Invitation).where(
        Invitation.campaign_id == follow_up.id, Invitation.staff_id == people["clinician@example.org"].id
    ))
    if started is not None:
        first_items = [item for item in instrument.items if item.kind == ItemKind.LIKERT][:4]
        started.draft = json.dumps({f"item_{item.id}": 4 for item in first_items})
        started.status = InvitationStatus.STARTED
    db.session.flush()
    return (
        f"Readiness: the default survey; a closed baseline wave answered by {done} of {len(invitations)} staff; "
        f"an open follow-up wave answered by {done_later} so far; one planned training step."
    )


def register() -> None:
    """Add the readiness surveys to ``flask seed-demo``."""
    demo.register(load)
