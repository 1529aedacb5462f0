"""Scores by team and by role group appear only once a wave is over (closed, every answer in), and a closed wave's
closing date cannot move: comparing a team's scores before and after a batch of answers could otherwise show one
person's answers (a batch holds at least the threshold of people, but maybe only one from that team)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.models import Role
from readiness.models import Ballot, Campaign, Invitation, Item
from readiness.services import answering, ballots, thresholds
from readiness.services import results as results_service
from tests import factories
from tests.readiness.helpers import close, form_version, items_by_code, make_campaign, make_instrument, send, today


@pytest.fixture
def wave(app, login_as) -> dict[str, object]:
    """An open wave (threshold 5) sent to two teams: North with 6 people, South with 5."""
    north, south = factories.make_team(name="North"), factories.make_team(name="South")
    people = {team.name: [factories.make_staff(Role.STAFF, teams=[team]) for _ in range(size)]
              for team, size in ((north, 6), (south, 5))}
    instrument = make_instrument()
    campaign = make_campaign(instrument)
    send(campaign)
    db.session.commit()
    login_as(Role.HR)
    return {"campaign": campaign, "instrument": instrument, "people": people, "teams": (north, south)}


def send_answers(campaign: Campaign, staff_ids: list[int], agree: int, items: dict[str, Item]) -> None:
    """Each person sends the survey through the ballot box (released when a batch of the threshold is waiting)."""
    for staff_id in staff_ids:
        invitation = db.session.scalars(
            select(Invitation).where(Invitation.campaign_id == campaign.id, Invitation.staff_id == staff_id)
        ).one()
        answering.submit(invitation, answering.Submission([(items["r1"].id, agree, None)]))
        db.session.commit()
        ballots.release(campaign, thresholds.for_campaign(campaign), today())  # as the send path does
        db.session.commit()


def as_read(client, campaign: Campaign) -> tuple[list[object], str, str]:
    """What a results reader sees: the groups (team, role, both), the page's score tables, the CSV."""
    db.session.expire_all()
    results = results_service.campaign_results(campaign)
    groups = [(g.key, g.n, g.scores) for g in (*results.teams, *results.roles, *(results.cells or []))]
    page = client.get(f"/readiness/campaigns/{campaign.id}/results").get_data(as_text=True)
    scores = re.search(r"<h2>Scores by domain</h2>.*?<h2>", page, re.S)
    csv = client.get(f"/readiness/campaigns/{campaign.id}/results.csv").get_data(as_text=True)
    return groups, scores.group() if scores else "", csv


def test_a_batch_with_one_person_from_a_team_changes_no_team_score_while_the_wave_is_open(client, wave):
    campaign, people = wave["campaign"], wave["people"]
    items = items_by_code(wave["instrument"])
    north = [person.id for person in people["North"]]
    south = [person.id for person in people["South"]]
    send_answers(campaign, north[:5], 4, items)  # the first batch: five from North

    before_groups, before_scores, before_csv = as_read(client, campaign)
    # The second batch holds one person from South: before this rule, South's row changed by exactly their answers.
    send_answers(campaign, [south[0], *north[5:], *south[1:4]], 1, items)
    after_groups, after_scores, after_csv = as_read(client, campaign)

    assert before_groups == after_groups == [], "no team or role group is shown while the wave is open"
    assert "North" not in before_scores + after_scores
    assert "South" not in before_scores + after_scores
    assert [line.split(",")[0] for line in after_csv.splitlines()[1:]] == ["Organization"]
    assert "Scores by team and by role group appear once the survey has closed" in after_scores
    organization = results_service.campaign_results(campaign).organization
    assert organization.shown
    assert organization.n == 10, "the organization moves by whole batches (5, then 10)"


def test_the_scores_by_group_appear_once_the_wave_has_closed_and_every_answer_is_in(client, runner, wave):
    campaign, people = wave["campaign"], wave["people"]
    items = items_by_code(wave["instrument"])
    send_answers(campaign, [person.id for person in people["North"]], 4, items)  # 5 released, 1 waiting
    send_answers(campaign, [person.id for person in people["South"]], 2, items)  # 5 more released, 1 waiting
    close(campaign)
    db.session.commit()

    waiting = db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.campaign_id == campaign.id))
    assert waiting == 1
    assert not results_service.campaign_results(campaign).groups_shown, "closed, but one answer is still waiting"

    assert runner.invoke(args=["readiness", "release"]).exit_code == 0
    db.session.expire_all()
    results = results_service.campaign_results(campaign)
    assert results.groups_shown
    assert {group.label.split(": ")[-1] for group in results.teams if group.shown} == {"North", "South"}
    page = client.get(f"/readiness/campaigns/{campaign.id}/results").get_data(as_text=True)
    assert "Scores by team (0 to 100)." in page
    assert "appear once the survey has closed" not in page


def test_an_open_wave_says_when_the_scores_by_group_will_appear(client, wave):
    campaign = wave["campaign"]
    results = results_service.campaign_results(campaign)
    assert results.groups_from == campaign.closes_on + timedelta(days=1)


def test_a_closed_waves_closing_date_cannot_move(client, wave):
    campaign: Campaign = wave["campaign"]
    close(campaign)
    db.session.commit()
    closed_on = campaign.closes_on
    page = client.get(f"/readiness/campaigns/{campaign.id}/edit").get_data(as_text=True)
    data = {
        "name": "Reopened on purpose", "wave": campaign.wave, "scope": "organization",
        "opens_on": campaign.opens_on.isoformat(), "closes_on": (today() + timedelta(days=7)).isoformat(),
        "version": form_version(page), "instrument": str(campaign.instrument_id),
    }

    response = client.post(f"/readiness/campaigns/{campaign.id}/edit", data=data)

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "This survey has closed and its scores by team are out" in html
    assert 'value="Reopened on purpose"' in html, "the typed input is kept"
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).closes_on == closed_on

    kept = client.post(f"/readiness/campaigns/{campaign.id}/edit", data={**data, "closes_on": closed_on.isoformat()})
    assert kept.status_code == 302, "other changes to a closed wave still save"
