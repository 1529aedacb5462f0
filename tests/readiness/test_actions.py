"""From results to action: domain scores and training suggestions, the action plan (with its 409 on a stale
save), champions, and who may use them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core import settings
from core.extensions import db
from core.models import AuditEntry, Role, StaffStatus
from readiness.models import Action, Campaign, Champion, Instrument
from readiness.services import actions as action_service
from readiness.services.answering import record_response
from tests import factories
from tests.readiness.helpers import items_by_code, make_campaign, make_instrument, today


def answer(campaign: Campaign, instrument: Instrument, people: int, **values: int) -> None:
    """``people`` responses giving each agreement item (by code) the same value."""
    items = items_by_code(instrument)
    for _ in range(people):
        record_response(
            campaign_id=campaign.id, team_id=None, role_group="unsaid", tenure_band="unsaid", submitted_on=today(),
            answers=[(items[code].id, value, None) for code, value in values.items()],
        )
    db.session.flush()


@pytest.fixture
def surveyed(db) -> tuple[Campaign, Instrument]:  # db: the fixture that sets up the database
    """Five answers: "The peer role" scores 50 (r1 4 -> 75, reversed r2 4 -> 25); "Worries" 75 (reversed f1 2)."""
    instrument = make_instrument()
    campaign = make_campaign(instrument)
    answer(campaign, instrument, 5, r1=4, r2=4, f1=2)
    return campaign, instrument


def audit_entries(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_domain_scores_handle_reversed_items_and_the_threshold(surveyed):
    campaign, _instrument = surveyed
    scores = action_service.domain_scores(campaign)
    assert scores.respondents == 5
    assert [(d.name, d.rounded, d.answers) for d in scores.domains] == [("The peer role", 50, 10), ("Worries", 75, 5)]
    assert scores.threshold == 60
    assert [d.training_topic for d in scores.suggestions] == ["What peer specialists do"]

    settings.put("readiness_action_threshold", "80")
    assert [d.training_topic for d in action_service.domain_scores(campaign).suggestions] == [
        "What peer specialists do", "Working together",
    ]
    settings.put("readiness_action_threshold", "50")  # a score equal to the threshold is not under it
    assert action_service.domain_scores(campaign).suggestions == []


def test_a_score_exactly_on_the_threshold_is_not_under_it(db):  # db: the fixture that sets up the database
    """Four answers of 3 and one of 2 score exactly 45; (14 / 5 - 1) x 25 in floating point is 44.999..."""
    from readiness.services import results as results_service

    instrument = make_instrument()
    campaign = make_campaign(instrument)
    answer(campaign, instrument, 4, r1=3)
    answer(campaign, instrument, 1, r1=2)
    settings.put("readiness_action_threshold", "45")

    scores = action_service.domain_scores(campaign)

    assert [(d.name, d.score) for d in scores.domains if d.answers] == [("The peer role", 45.0)]
    assert scores.suggestions == []
    assert results_service.score(14, 5) == 45.0
    assert results_service.campaign_results(campaign).organization.exact["role"] == 45.0


def test_the_actions_page_shows_scores_and_suggestions(client, login_as, surveyed):
    campaign, _instrument = surveyed
    login_as(Role.HR)
    page = client.get(f"/readiness/campaigns/{campaign.id}/actions")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "What peer specialists do</strong>: The peer role scored 50" in html
    assert "Working together</strong>" not in html
    assert "No actions yet" in html


def test_too_few_answers_show_no_scores_and_no_suggestions(client, login_as):
    instrument = make_instrument()
    campaign = make_campaign(instrument)
    answer(campaign, instrument, 4, r1=1, r2=5, f1=5)
    assert action_service.domain_scores(campaign).suggestions == []
    login_as(Role.HR)
    html = client.get(f"/readiness/campaigns/{campaign.id}/actions").get_data(as_text=True)
    assert "Too few answers to show" in html
    assert "What peer specialists do</strong>" not in html


def action_data(owner_id: int, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": "Session on what peers do", "domain": "", "owner": str(owner_id),
        "due_on": (today() + timedelta(days=30)).isoformat(), "status": "planned",
    }
    data.update(changes)
    return data


def test_one_click_from_a_suggestion_prefills_the_form_and_creates_the_action(client, login_as, surveyed):
    campaign, instrument = surveyed
    hr = login_as(Role.HR)
    role = next(d for d in action_service.domain_scores(campaign).domains if d.name == "The peer role")
    form = client.get(f"/readiness/campaigns/{campaign.id}/actions/new?domain={role.domain_id}")
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert 'value="What peer specialists do"' in html
    assert f'<option selected value="{role.domain_id}">' in html
    assert db.session.scalars(select(Action)).first() is None, "showing the form changes nothing"

    response = client.post(f"/readiness/campaigns/{campaign.id}/actions/new", data=action_data(
        hr.id, title="What peer specialists do", domain=str(role.domain_id),
    ))
    assert response.status_code == 302
    action = db.session.scalars(select(Action)).one()
    assert (action.campaign_id, action.domain_id, action.owner_id, action.status) == (
        campaign.id, role.domain_id, hr.id, "planned")
    assert action.training_session_id is None  # planned in Training, from the action's page
    edit = client.get(f"/readiness/actions/{action.id}/edit").get_data(as_text=True)
    assert f'href="/training/sessions/new?action={action.id}"' in edit
    [entry] = audit_entries("readiness.action_created")
    assert entry.actor_id == hr.id
    assert entry.record_id == str(action.id)
    assert "peer" not in entry.detail.lower(), "no free text in the audit log"
    listing = client.get(f"/readiness/campaigns/{campaign.id}/actions").get_data(as_text=True)
    assert "What peer specialists do</a>" in listing


def test_an_action_from_scratch_needs_no_domain_and_a_forged_domain_is_ignored(client, login_as, surveyed):
    campaign, _instrument = surveyed
    hr = login_as(Role.HR)
    assert client.get(f"/readiness/campaigns/{campaign.id}/actions/new?domain=abc").status_code == 200
    assert client.get(f"/readiness/campaigns/{campaign.id}/actions/new?domain=99999999999").status_code == 200
    response = client.post(f"/readiness/campaigns/{campaign.id}/actions/new", data=action_data(hr.id))
    assert response.status_code == 302
    assert db.session.scalars(select(Action)).one().domain_id is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": "  "}, "Enter what will be done"),
        ({"due_on": "31/02/2025"}, "Enter a real date"),
        ({"due_on": ""}, "Enter the date this action is due."),
        ({"status": "finished"}, "Choose one of the options shown."),
        ({"owner": "not a number"}, "Choose one of the options shown."),
        ({"domain": "424242"}, "Choose one of the options shown."),
        ({"title": "x" * 201}, "Use at most 200 characters."),
    ],
)
def test_bad_action_input_is_refused_and_kept(client, login_as, surveyed, changes, message):
    campaign, _instrument = surveyed
    hr = login_as(Role.HR)
    response = client.post(f"/readiness/campaigns/{campaign.id}/actions/new", data=action_data(hr.id, **changes))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert db.session.scalars(select(Action)).first() is None


def test_a_deactivated_owner_cannot_be_chosen(client, login_as, surveyed):
    campaign, _instrument = surveyed
    login_as(Role.HR)
    gone = factories.make_staff(status=StaffStatus.DEACTIVATED)
    response = client.post(f"/readiness/campaigns/{campaign.id}/actions/new", data=action_data(gone.id))
    assert response.status_code == 400
    assert db.session.scalars(select(Action)).first() is None


def make_action(campaign: Campaign, owner_id: int, actor) -> Action:
    details = action_service.ActionDetails(
        title="Boundaries session", domain_id=None, owner_id=owner_id, due_on=today() + timedelta(days=10),
        status="planned",
    )
    action = action_service.create_action(campaign, details, actor)
    db.session.commit()
    return action


def test_editing_an_action_saves_and_audits_the_fields_changed(client, login_as, surveyed):
    campaign, _instrument = surveyed
    hr = login_as(Role.HR)
    other = factories.make_staff(Role.SUPERVISOR, name="Sam Owner")
    action = make_action(campaign, hr.id, hr)
    form = client.get(f"/readiness/actions/{action.id}/edit")
    assert form.status_code == 200
    assert 'name="version" type="hidden" value="1"' in form.get_data(as_text=True)

    response = client.post(f"/readiness/actions/{action.id}/edit", data=action_data(
        other.id, title="Boundaries and dual relationships", status="in_progress", version="1",
    ))
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(Action, action.id)
    assert (saved.title, saved.owner_id, saved.status, saved.version) == (
        "Boundaries and dual relationships", other.id, "in_progress", 2)
    [entry] = audit_entries("readiness.action_updated")
    assert entry.detail == "title, owner, due date, status; status now in_progress"


def test_a_stale_save_answers_409_and_keeps_the_input(client, login_as, surveyed):
    campaign, _instrument = surveyed
    hr = login_as(Role.HR)
    action = make_action(campaign, hr.id, hr)
    # Someone else saves first.
    first = client.post(f"/readiness/actions/{action.id}/edit", data=action_data(hr.id, title="Their title",
                                                                                 version="1"))
    assert first.status_code == 302

    late = client.post(f"/readiness/actions/{action.id}/edit", data=action_data(hr.id, title="My own title",
                                                                                version="1"))
    assert late.status_code == 409
    html = late.get_data(as_text=True)
    assert "Someone else changed this action first" in html
    assert 'value="My own title"' in html
    assert ">Their title</dd>" in html, "what is saved now, beside the form"
    assert 'name="version" type="hidden" value="2"' in html
    db.session.expire_all()
    assert db.session.get(Action, action.id).title == "Their title"
    assert len(audit_entries("readiness.action_updated")) == 1

    # A forged or missing version is stale too, never a 500.
    assert client.post(f"/readiness/actions/{action.id}/edit",
                       data=action_data(hr.id, version="abc")).status_code == 409
    # Saving again with the version shown replaces their version deliberately.
    again = client.post(f"/readiness/actions/{action.id}/edit", data=action_data(hr.id, title="My own title",
                                                                                 version="2"))
    assert again.status_code == 302
    db.session.expire_all()
    assert db.session.get(Action, action.id).title == "My own title"


def test_missing_records_answer_404(client, login_as):
    login_as(Role.HR)
    assert client.get("/readiness/campaigns/999/actions").status_code == 404
    assert client.get("/readiness/actions/999/edit").status_code == 404
    assert client.post("/readiness/champions/999/remove").status_code == 404


def test_champions_are_named_listed_and_removed(client, login_as):
    hr = login_as(Role.HR)
    team = factories.make_team(name="North outreach")
    person = factories.make_staff(name="Casey Champion", teams=[team])
    empty = client.get("/readiness/champions")
    assert empty.status_code == 200
    assert "No champions yet" in empty.get_data(as_text=True)

    data = {"staff": str(person.id), "team": str(team.id), "since": today().isoformat()}
    assert client.post("/readiness/champions", data=data).status_code == 302
    champion = db.session.scalars(select(Champion)).one()
    assert (champion.staff_id, champion.team_id) == (person.id, team.id)
    listing = client.get("/readiness/champions").get_data(as_text=True)
    assert "Casey Champion" in listing
    assert "North outreach" in listing

    twice = client.post("/readiness/champions", data=data)
    assert twice.status_code == 400
    assert "already a champion for this team" in twice.get_data(as_text=True)
    bad = client.post("/readiness/champions", data={"staff": "x", "team": "", "since": "soon"})
    assert bad.status_code == 400
    assert "Enter a real date" in bad.get_data(as_text=True)

    assert client.post(f"/readiness/champions/{champion.id}/remove").status_code == 302
    assert db.session.scalars(select(Champion)).first() is None
    [named] = audit_entries("readiness.champion_named")
    [removed] = audit_entries("readiness.champion_removed")
    assert named.actor_id == removed.actor_id == hr.id
    assert "Casey" not in named.detail + removed.detail


def test_admin_may_use_the_action_plan(client, login_as, surveyed):
    campaign, _instrument = surveyed
    login_as(Role.ADMIN)
    assert client.get(f"/readiness/campaigns/{campaign.id}/actions").status_code == 200
    assert client.get("/readiness/actions").status_code == 200


def test_the_readiness_page_links_hr_to_the_action_plans(client, login_as, surveyed):
    login_as(Role.HR)
    html = client.get("/readiness/").get_data(as_text=True)
    assert 'href="/readiness/actions"' in html
    plans = client.get("/readiness/actions").get_data(as_text=True)
    assert f'href="/readiness/campaigns/{surveyed[0].id}/actions"' in plans


@pytest.mark.parametrize("role", [Role.STAFF, Role.PEER, Role.SUPERVISOR, Role.PRIVACY])
def test_other_roles_are_refused(client, login_as, surveyed, role):
    campaign, _instrument = surveyed
    hr = factories.make_staff(Role.HR)
    action = make_action(campaign, hr.id, hr)
    team = factories.make_team()
    champion = action_service.name_champion(hr.id, team.id, today(), hr)
    db.session.commit()
    login_as(role)
    for path in ("/readiness/actions", f"/readiness/campaigns/{campaign.id}/actions",
                 f"/readiness/campaigns/{campaign.id}/actions/new", f"/readiness/actions/{action.id}/edit",
                 "/readiness/champions"):
        assert client.get(path).status_code == 403, path
    for path in (f"/readiness/campaigns/{campaign.id}/actions/new", f"/readiness/actions/{action.id}/edit",
                 "/readiness/champions", f"/readiness/champions/{champion.id}/remove"):
        assert client.post(path, data=action_data(hr.id, version="1")).status_code == 403, path
    assert len(db.session.scalars(select(Champion)).all()) == 1
    assert db.session.get(Action, action.id).title == "Boundaries session"
