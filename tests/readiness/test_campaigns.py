"""Campaigns: creating them (with the default survey), dates, scope, invitations, new waves, who may do what."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.models import AuditEntry, Notification, OutboxEmail, Role, StaffStatus
from readiness.models import Campaign, Instrument, Invitation
from readiness.services import campaigns as campaign_service
from readiness.services.default_instrument import BUILTIN_KEY
from tests import factories
from tests.queries import counting_queries, queries_for
from tests.readiness.helpers import make_campaign, make_instrument, send, today


def campaign_data(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Getting ready", "wave": "Baseline", "instrument": "default", "scope": "organization",
        "opens_on": today().isoformat(), "closes_on": (today() + timedelta(days=14)).isoformat(),
    }
    data.update(changes)
    return data


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_hr_creates_a_campaign_with_the_default_survey(client, login_as):
    login_as(Role.HR)
    form = client.get("/readiness/campaigns/new")
    assert form.status_code == 200
    assert "ships with PeerWorks" in form.get_data(as_text=True)
    assert count(Instrument) == 0, "showing the form changes nothing"

    response = client.post("/readiness/campaigns/new", data=campaign_data())

    assert response.status_code == 302
    campaign = db.session.scalars(select(Campaign)).one()
    assert campaign.instrument.builtin_key == BUILTIN_KEY
    assert campaign.whole_organization
    assert (campaign.name, campaign.wave) == ("Getting ready", "Baseline")
    # A second campaign uses the same default survey: it is created once.
    client.post("/readiness/campaigns/new", data=campaign_data(instrument=str(campaign.instrument_id), wave="Again"))
    assert count(Instrument) == 1
    assert count(Campaign) == 2


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"closes_on": (today() - timedelta(days=1)).isoformat(), "opens_on": today().isoformat()},
         "The closing date must be on or after the opening date."),
        ({"opens_on": (today() - timedelta(days=30)).isoformat(),
          "closes_on": (today() - timedelta(days=2)).isoformat()}, "Choose a closing date from today on"),
        ({"opens_on": "2025-02-30"}, "Enter a real date"),
        ({"opens_on": " "}, "Enter the first day people can answer."),  # found by make fuzz: a server error
        ({"closes_on": "   "}, "Enter the last day people can answer."),
        ({"name": ""}, "Enter a name for the campaign"),
        ({"name": "n" * 161}, "Use at most 160 characters."),
        ({"scope": "teams"}, "Choose at least one program or team"),
        ({"instrument": "999999"}, "Choose one of the options shown."),
        ({"teams": "abc", "scope": "teams"}, ""),
    ],
)
def test_bad_campaign_input_keeps_what_was_typed(client, login_as, changes, message):
    login_as(Role.HR)
    data = campaign_data(wave="Typed wave", **changes)

    response = client.post("/readiness/campaigns/new", data=data)

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="error-summary"' in page
    assert message in page
    assert 'value="Typed wave"' in page
    assert count(Campaign) == 0


def test_choosing_a_program_chooses_its_teams_and_only_their_active_staff_are_invited(client, login_as):
    hr = login_as(Role.HR)
    program = factories.make_program()
    in_program = [factories.make_team(program), factories.make_team(program)]
    chosen_alone, left_out = factories.make_team(), factories.make_team()
    inside = [factories.make_staff(Role.STAFF, teams=[team]) for team in [*in_program, chosen_alone]]
    factories.make_staff(Role.STAFF, teams=[in_program[0]], status=StaffStatus.DEACTIVATED)
    factories.make_staff(Role.STAFF, teams=[in_program[0]], status=StaffStatus.INVITED)
    outside = factories.make_staff(Role.STAFF, teams=[left_out])
    instrument = make_instrument()
    db.session.commit()

    client.post("/readiness/campaigns/new", data=campaign_data(
        instrument=str(instrument.id), scope="teams", programs=[str(program.id)], teams=[str(chosen_alone.id)],
    ))
    campaign = db.session.scalars(select(Campaign)).one()
    assert {team.id for team in campaign.teams} == {t.id for t in [*in_program, chosen_alone]}

    response = client.post(f"/readiness/campaigns/{campaign.id}/invitations")

    assert response.status_code == 302
    invited = {row.staff_id: row.team_id for row in db.session.scalars(select(Invitation))}
    assert invited == {person.id: person.teams[0].id for person in inside}
    assert outside.id not in invited
    assert hr.id not in invited


def test_invitations_send_a_personal_link_and_store_only_its_hash(client, login_as):
    login_as(Role.HR)
    person = factories.make_staff(Role.PEER, teams=[factories.make_team()])
    campaign = make_campaign(make_instrument())
    db.session.commit()

    client.post(f"/readiness/campaigns/{campaign.id}/invitations")

    email = db.session.scalars(select(OutboxEmail).where(OutboxEmail.to_address == person.email)).one()
    assert email.kind == "survey"
    token = re.search(r"/readiness/survey/([A-Za-z0-9_-]+)", email.body).group(1)
    invitation = db.session.scalars(select(Invitation).where(Invitation.staff_id == person.id)).one()
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = [str(value) for row in db.session.execute(select(Invitation.__table__)) for value in row]
    assert len(stored) > 2 * len(Invitation.__table__.c) - 1, "both invitations (the person's and HR's) read"
    assert all(token not in value for value in stored)
    assert all(token not in (entry.detail + entry.record_id) for entry in db.session.scalars(select(AuditEntry)))
    assert db.session.scalars(select(Notification).where(Notification.staff_id == person.id)).one().link == \
        "/readiness/"


def test_sending_again_adds_only_newcomers(client, login_as):
    login_as(Role.HR)
    campaign = make_campaign(make_instrument())
    factories.make_staff(Role.STAFF)
    db.session.commit()
    client.post(f"/readiness/campaigns/{campaign.id}/invitations")
    first = count(Invitation)
    emails = count(OutboxEmail)

    newcomer = factories.make_staff(Role.PEER)
    db.session.commit()
    client.post(f"/readiness/campaigns/{campaign.id}/invitations")
    again = client.post(f"/readiness/campaigns/{campaign.id}/invitations", follow_redirects=True)

    assert count(Invitation) == first + 1
    assert count(OutboxEmail) == emails + 1
    assert db.session.scalars(select(Invitation).where(Invitation.staff_id == newcomer.id)).one()
    assert "nobody new to invite" in again.get_data(as_text=True)


def test_a_closed_campaign_sends_nothing(client, login_as):
    login_as(Role.HR)
    campaign = make_campaign(make_instrument(), opens_on=today() - timedelta(days=9),
                             closes_on=today() - timedelta(days=1))
    db.session.commit()

    response = client.post(f"/readiness/campaigns/{campaign.id}/invitations", follow_redirects=True)

    assert "This campaign has closed" in response.get_data(as_text=True)
    assert count(Invitation) == 0


def test_copy_into_a_new_wave_keeps_the_scope_and_takes_the_newest_version(client, login_as):
    hr = login_as(Role.HR)
    teams = [factories.make_team(), factories.make_team()]
    instrument = make_instrument()
    baseline = make_campaign(instrument, teams=teams, opens_on=today() - timedelta(days=60),
                             closes_on=today() - timedelta(days=30))
    factories.make_staff(Role.STAFF, teams=[teams[0]])
    send(baseline, hr)
    from readiness.services import instruments

    newer = instruments.make_new_version(instrument, hr).instrument
    db.session.commit()

    response = client.post(f"/readiness/campaigns/{baseline.id}/copy", data={
        "name": "Getting ready", "wave": "Follow-up", "opens_on": today().isoformat(),
        "closes_on": (today() + timedelta(days=10)).isoformat(),
    })

    assert response.status_code == 302
    copy = db.session.scalars(select(Campaign).where(Campaign.id != baseline.id)).one()
    assert copy.copied_from_id == baseline.id
    assert copy.wave == "Follow-up"
    assert {t.id for t in copy.teams} == {t.id for t in teams}
    assert copy.instrument_id == newer.id
    assert copy.invitations_sent_at is None
    assert count(Invitation) == 1, "the new wave is not sent until HR sends it"


def test_after_invitations_go_out_the_survey_and_scope_are_fixed(client, login_as):
    hr = login_as(Role.HR)
    team = factories.make_team()
    factories.make_staff(Role.STAFF, teams=[team])
    first, other = make_instrument("First"), make_instrument("Other")
    campaign = make_campaign(first, teams=[team])
    send(campaign, hr)
    db.session.commit()

    page = client.get(f"/readiness/campaigns/{campaign.id}/edit").get_data(as_text=True)
    assert "can no longer change" in page
    response = client.post(f"/readiness/campaigns/{campaign.id}/edit", data=campaign_data(
        name="Renamed", wave="Baseline", instrument=str(other.id), scope="organization",
        closes_on=(today() + timedelta(days=30)).isoformat(), version=str(campaign.version),
    ))

    assert response.status_code == 302
    db.session.expire_all()
    campaign = db.session.get(Campaign, campaign.id)
    assert campaign.name == "Renamed"
    assert campaign.closes_on == today() + timedelta(days=30)
    assert campaign.instrument_id == first.id
    assert not campaign.whole_organization


@pytest.mark.parametrize("role", [Role.PEER, Role.STAFF, Role.SUPERVISOR, Role.PRIVACY])
def test_only_hr_and_admin_manage_campaigns(client, login_as, role):
    login_as(role)
    campaign = make_campaign(make_instrument())
    db.session.commit()

    for url in ("/readiness/campaigns/new", f"/readiness/campaigns/{campaign.id}", "/readiness/instruments"):
        assert client.get(url).status_code == 403
    assert client.post(f"/readiness/campaigns/{campaign.id}/invitations").status_code == 403
    page = client.get("/readiness/").get_data(as_text=True)
    assert "Surveys for you" in page
    assert "Create a campaign" not in page


def test_the_readiness_page_lists_campaigns_with_participation_for_hr(client, login_as):
    login_as(Role.ADMIN)
    campaign = make_campaign(make_instrument(), name="Spring survey")
    people = [factories.make_staff(Role.STAFF) for _ in range(3)]
    send(campaign)
    from readiness.services import answering
    from tests.readiness.helpers import invitation_of

    answering.submit(invitation_of(campaign, people[0]), answering.Submission([]))
    db.session.commit()

    page = client.get("/readiness/").get_data(as_text=True)
    detail = client.get(f"/readiness/campaigns/{campaign.id}").get_data(as_text=True)

    assert "Spring survey" in page
    assert re.search(r">\s*1 \(25%\)\s*<", page), "1 of the 4 invited (the admin too) answered"
    assert "Participation by team" in detail
    assert "No team" in detail


def test_campaign_participation_counts_come_from_one_query_per_page(client, login_as):
    """No N+1: the number of queries for the campaign list does not grow with the number of campaigns."""

    login_as(Role.HR)
    instrument = make_instrument()
    make_campaign(instrument)
    db.session.commit()

    one = queries_for(client, "/readiness/")
    for n in range(8):
        make_campaign(instrument, name=f"Campaign {n}")
    db.session.commit()
    assert queries_for(client, "/readiness/") == one


# The readiness page for HR with a survey for them: the session, their invitations (with each campaign), the page of
# campaigns, its count and their participation. It may go down, never up.
READINESS_PAGE_QUERIES = 5


def test_the_readiness_page_reads_campaigns_without_their_survey_or_teams(client, login_as):
    """The page shows a campaign's own columns: its survey and its teams are not read (they were a join and two more
    queries on every view of the page)."""
    hr = login_as(Role.HR, teams=[factories.make_team()])
    instrument = make_instrument()
    mine = make_campaign(instrument, teams=list(hr.teams), name="Team survey")
    make_campaign(instrument, name="Agency survey")
    send(mine)
    db.session.commit()

    with counting_queries() as statements:
        db.session.expunge_all()  # as on a real server: nothing loaded by an earlier request
        page = client.get("/readiness/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Team survey" in text
    assert "Agency survey" in text
    assert "Answer the survey" in text
    assert len(statements) == READINESS_PAGE_QUERIES, "\n\n".join(statements)
    assert not [s for s in statements if "readiness_campaign_team" in s or "readiness_instrument" in s]


def test_campaign_service_participation_is_zero_before_sending(app):
    campaign = make_campaign(make_instrument())
    assert campaign_service.participation([campaign.id])[campaign.id] == campaign_service.Participation(0, 0)


def test_before_invitations_go_out_the_survey_and_scope_can_change(client, login_as):
    login_as(Role.HR)
    team = factories.make_team()
    first, other = make_instrument("First"), make_instrument("Other")
    campaign = make_campaign(first)
    db.session.commit()

    response = client.post(f"/readiness/campaigns/{campaign.id}/edit", data=campaign_data(
        instrument=str(other.id), scope="teams", teams=[str(team.id)], version=str(campaign.version),
    ), follow_redirects=True)

    assert "Saved the changes" in response.get_data(as_text=True)
    db.session.expire_all()
    campaign = db.session.get(Campaign, campaign.id)
    assert campaign.instrument_id == other.id
    assert not campaign.whole_organization
    assert [t.id for t in campaign.teams] == [team.id]
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "readiness.campaign_updated")).one()
    assert "instrument_id" in entry.detail
    assert "team_ids" in entry.detail
