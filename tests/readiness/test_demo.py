"""The demo surveys: a closed baseline answered across teams (some under five), an open follow-up wave."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from core import demo
from core.models import Staff
from readiness.models import (
    NO_TEAM,
    Answer,
    Campaign,
    Invitation,
    InvitationStatus,
    ItemTally,
    OpenAnswer,
    Response,
    ResponseCount,
)
from readiness.services.campaigns import today


def test_the_demo_has_a_baseline_and_an_open_follow_up(runner, db):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "Readiness:" in result.output

    baseline, follow_up = db.session.scalars(select(Campaign).order_by(Campaign.opens_on)).all()
    assert baseline.state(today()) == "closed"
    assert follow_up.state(today()) == "open"
    assert follow_up.copied_from_id == baseline.id
    assert follow_up.instrument_id == baseline.instrument_id

    per_team: Counter[int | None] = Counter()
    for c in db.session.scalars(select(ResponseCount).where(ResponseCount.campaign_id == baseline.id)):
        per_team[c.team_key or None] += c.n
    assert any(n >= 5 for n in per_team.values()), "some teams have enough answers to show"
    assert any(0 < n < 5 for n in per_team.values()), "and some have too few"
    answers = db.session.scalar(select(func.count()).select_from(Answer).join(Response).where(
        Response.campaign_id == baseline.id))
    assert answers >= 300
    open_answers = db.session.scalar(select(func.count()).select_from(OpenAnswer).where(
        OpenAnswer.campaign_id == baseline.id))
    assert open_answers > 0

    # Participation and answers agree, team by team, and the totals equal the answers.
    completed = Counter(team for team, in db.session.execute(
        select(Invitation.team_id).where(Invitation.campaign_id == baseline.id,
                                         Invitation.status == InvitationStatus.COMPLETED)
    ))
    assert completed == per_team
    tallied = db.session.scalar(select(func.sum(ItemTally.n)).where(ItemTally.campaign_id == baseline.id))
    assert tallied == answers + open_answers
    counted = {c.team_key: 0 for c in db.session.scalars(select(ResponseCount))}
    for c in db.session.scalars(select(ResponseCount).where(ResponseCount.campaign_id == baseline.id)):
        counted[c.team_key] += c.n
    assert {k: v for k, v in counted.items() if v} == {team or NO_TEAM: n for team, n in per_team.items()}

    # The demo sign-ins have the open follow-up waiting for them.
    for email in demo.DEMO_ACCOUNTS:
        person = db.session.scalars(select(Staff).where(Staff.email == email)).one()
        invitation = db.session.scalars(select(Invitation).where(
            Invitation.campaign_id == follow_up.id, Invitation.staff_id == person.id)).one()
        assert invitation.status != InvitationStatus.COMPLETED
    assert db.session.scalar(select(func.count()).select_from(Response).where(
        Response.campaign_id == follow_up.id)) > 0
