"""A campaign sent to one team: its "whole organization" is that team, and the results say so plainly; its open
answers, which are then that team's words, appear only under the same threshold as any group's (issue 9)."""

from __future__ import annotations

import html
from typing import Any

import pytest

from core.extensions import db
from core.models import Role
from readiness.models import RoleGroup
from readiness.services import results as results_service
from readiness.services.answering import record_response
from tests import factories
from tests.readiness.helpers import invite_team, items_by_code, make_campaign, make_instrument, send, today

ONE_TEAM = "This survey asked one team"


@pytest.fixture
def one_team_wave(app, login_as) -> dict[str, Any]:
    north = factories.make_team(name="North")
    factories.make_team(name="South")
    instrument = make_instrument()
    campaign = make_campaign(instrument, teams=[north])
    invite_team(campaign, north, 8)
    db.session.commit()
    login_as(Role.HR)
    return {"campaign": campaign, "instrument": instrument, "team": north}


def answer(wave: dict[str, Any], text: str) -> None:
    items = items_by_code(wave["instrument"])
    record_response(
        campaign_id=wave["campaign"].id,
        team_id=wave["team"].id,
        role_group=RoleGroup.CLINICAL,
        tenure_band="unsaid",
        submitted_on=today(),
        answers=[(items["r1"].id, 4, None), (items["open"].id, 0, text)],
    )
    db.session.commit()


def pages(client: Any, wave: dict[str, Any]) -> dict[str, str]:
    campaign = wave["campaign"]
    item = items_by_code(wave["instrument"])["open"]
    paths = {
        "results": f"/readiness/campaigns/{campaign.id}/results",
        "open": f"/readiness/campaigns/{campaign.id}/open-answers/{item.id}",
        "csv": f"/readiness/campaigns/{campaign.id}/open-answers.csv",
    }
    return {name: html.unescape(client.get(path).get_data(as_text=True)) for name, path in paths.items()}


def test_the_results_say_that_everyone_asked_is_one_team(client, one_team_wave):
    for n in range(5):
        answer(one_team_wave, f"Worry number {n}")

    results = results_service.campaign_results(one_team_wave["campaign"])
    seen = pages(client, one_team_wave)

    assert results.one_team is not None
    assert results.one_team.endswith("North")
    assert results.organization.label == f"Everyone asked: one team, {results.one_team}"
    assert f"{ONE_TEAM}, {results.one_team}. So “everyone asked” in these results is that team" in seen["results"]
    assert "For the whole organization only" not in seen["results"]
    assert "Whole organization" not in seen["results"]
    assert f"{ONE_TEAM}, {results.one_team}, so these are that team’s answers" in seen["open"]
    assert "Worry number 0" in seen["results"]


def test_a_single_teams_open_answers_wait_for_the_same_threshold(client, one_team_wave):
    for n in range(4):
        answer(one_team_wave, f"Worry number {n}")

    seen = pages(client, one_team_wave)

    assert "Too few answers to show results yet" in seen["results"]
    assert ONE_TEAM in seen["results"], "said plainly even before there are results"
    for name in ("results", "open", "csv"):
        assert "Worry number" not in seen[name], f"{name}: four people's words on a team"
    assert "Open answers appear once at least 5 people have answered" in seen["open"]

    answer(one_team_wave, "Worry number 4")  # the fifth: now like any group with enough answers
    seen = pages(client, one_team_wave)
    assert all("Worry number 4" in seen[name] for name in ("results", "open", "csv"))


def test_an_agency_of_one_team_is_one_team_too(client, login_as):
    north = factories.make_team(name="North")
    for _ in range(5):
        factories.make_staff(Role.STAFF, teams=[north])
    instrument = make_instrument()
    campaign = make_campaign(instrument)  # the whole organization, all on one team
    send(campaign)
    db.session.commit()

    one = results_service.campaign_results(campaign).one_team
    assert one is not None
    assert one.endswith("North")


def test_a_campaign_of_two_teams_is_not_one_team(client, one_team_wave):
    south = factories.make_team(name="East")
    campaign = make_campaign(one_team_wave["instrument"], teams=[one_team_wave["team"], south])
    db.session.commit()
    results = results_service.campaign_results(campaign)
    assert results.one_team is None
    assert results.organization.label == "Everyone asked"
