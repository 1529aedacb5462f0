"""No silent overwrite in readiness: two tabs load the same form, one saves, then the other. The second save is
refused (409) with the same form, the person's input kept and the record as it is now beside it, and the first
tab's change stays. A survey already sent goes the same way: the second tab comes back as the form on the new
version, input kept, instead of a redirect that loses the typed text."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from core import settings
from core.extensions import db
from core.models import Role
from readiness.models import Campaign, Domain, Instrument, Item
from readiness.services import instruments as service
from tests import factories
from tests.readiness.helpers import form_version, items_by_code, make_campaign, make_instrument, send, today


def two_tabs(client, path: str) -> tuple[str, str]:
    """The version each of two tabs loaded the form at."""
    first = client.get(path)
    second = client.get(path)
    assert first.status_code == second.status_code == 200
    return form_version(first.get_data(as_text=True)), form_version(second.get_data(as_text=True))


def campaign_data(version: str, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Getting ready", "wave": "Baseline", "scope": "organization",
        "opens_on": today().isoformat(), "closes_on": (today() + timedelta(days=14)).isoformat(), "version": version,
    }
    data.update(changes)
    return data


def test_campaign_second_tab_is_refused_with_its_input_kept(client, login_as):
    login_as(Role.HR)
    instrument = make_instrument()
    campaign = make_campaign(instrument, name="Before")
    db.session.commit()
    path = f"/readiness/campaigns/{campaign.id}/edit"
    tab_a, tab_b = two_tabs(client, path)

    first = client.post(path, data=campaign_data(tab_a, name="Saved by tab A", instrument=str(instrument.id)))
    assert first.status_code == 302
    late = client.post(path, data=campaign_data(tab_b, name="Typed in tab B", wave="Follow-up",
                                                instrument=str(instrument.id)))

    assert late.status_code == 409
    page = late.get_data(as_text=True)
    assert 'value="Typed in tab B"' in page, "the input is kept"
    assert 'value="Follow-up"' in page
    assert "Someone else changed this campaign first" in page
    assert "Saved by tab A" in page, "the campaign as it is now, beside the form"
    db.session.expire_all()
    saved = db.session.get(Campaign, campaign.id)
    assert (saved.name, saved.wave) == ("Saved by tab A", "Baseline"), "tab A's change is not overwritten"

    again = client.post(path, data=campaign_data(form_version(page), name="Typed in tab B",
                                                 instrument=str(instrument.id)))
    assert again.status_code == 302, "saving the kept input again, knowingly, works"
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).name == "Typed in tab B"


def test_campaign_teams_only_change_makes_the_other_tab_stale(client, login_as):
    login_as(Role.HR)
    team = factories.make_team()
    instrument = make_instrument()
    campaign = make_campaign(instrument)
    db.session.commit()
    path = f"/readiness/campaigns/{campaign.id}/edit"
    tab_a, tab_b = two_tabs(client, path)

    assert client.post(path, data=campaign_data(tab_a, instrument=str(instrument.id), scope="teams",
                                                teams=[str(team.id)])).status_code == 302
    late = client.post(path, data=campaign_data(tab_b, name="Renamed in B", instrument=str(instrument.id)))

    assert late.status_code == 409
    assert 'value="Renamed in B"' in late.get_data(as_text=True)
    db.session.expire_all()
    saved = db.session.get(Campaign, campaign.id)
    assert not saved.whole_organization
    assert [t.id for t in saved.teams] == [team.id]
    assert saved.name == "Getting ready"


def test_campaign_sent_meanwhile_is_stale_and_keeps_the_name_typed(client, login_as):
    hr = login_as(Role.HR)
    factories.make_staff(Role.STAFF)
    instrument = make_instrument()
    campaign = make_campaign(instrument)
    db.session.commit()
    path = f"/readiness/campaigns/{campaign.id}/edit"
    _, tab_b = two_tabs(client, path)
    send(db.session.get(Campaign, campaign.id), hr)
    db.session.commit()

    late = client.post(path, data=campaign_data(tab_b, name="Typed after the send", scope="organization",
                                                instrument=str(instrument.id)))

    assert late.status_code == 409
    page = late.get_data(as_text=True)
    assert 'value="Typed after the send"' in page
    assert "can no longer change" in page, "the survey and scope left the form: invitations are out"


def test_settings_second_tab_is_refused_with_its_input_kept(client, login_as):
    login_as(Role.HR)
    tab_a, tab_b = two_tabs(client, "/readiness/settings")

    assert client.post("/readiness/settings", data={"min_cell": "8", "action_threshold": "60",
                                                    "version": tab_a}).status_code == 302
    late = client.post("/readiness/settings", data={"min_cell": "5", "action_threshold": "42", "version": tab_b})

    assert late.status_code == 409
    page = late.get_data(as_text=True)
    assert 'value="42"' in page, "the input is kept"
    assert "Someone else changed these settings first" in page
    assert settings.get("readiness_min_cell") == "8", "tab A's change is not overwritten"
    assert settings.get("readiness_action_threshold") == "60"


def test_instrument_second_tab_is_refused_with_its_input_kept(client, login_as):
    login_as(Role.HR)
    instrument = make_instrument()
    db.session.commit()
    path = f"/readiness/instruments/{instrument.id}/edit"
    tab_a, tab_b = two_tabs(client, path)

    assert client.post(path, data={"name": "Name from A", "description": "", "version": tab_a}).status_code == 302
    late = client.post(path, data={"name": "Name from B", "description": "Intro from B", "version": tab_b})

    assert late.status_code == 409
    page = late.get_data(as_text=True)
    assert 'value="Name from B"' in page
    assert "Intro from B" in page
    assert "Name from A" in page, "what is saved now"
    db.session.expire_all()
    assert db.session.get(Instrument, instrument.id).name == "Name from A"


def test_domain_second_tab_is_refused_with_its_input_kept(client, login_as):
    login_as(Role.HR)
    instrument = make_instrument()
    domain = instrument.domains[0]
    db.session.commit()
    path = f"/readiness/domains/{domain.id}/edit"
    tab_a, tab_b = two_tabs(client, path)

    assert client.post(path, data={"name": "Domain from A", "version": tab_a}).status_code == 302
    late = client.post(path, data={"name": "Domain from B", "training_topic": "Topic from B", "version": tab_b})

    assert late.status_code == 409
    page = late.get_data(as_text=True)
    assert 'value="Domain from B"' in page
    assert 'value="Topic from B"' in page
    assert "Domain from A" in page
    db.session.expire_all()
    assert db.session.get(Domain, domain.id).name == "Domain from A"


def item_data(item: Item, version: str, text: str) -> dict[str, str]:
    return {"kind": "likert", "text": text, "domain": str(item.domain_id), "required": "y", "version": version}


def test_item_not_yet_answered_second_tab_is_refused_with_its_input_kept(client, login_as):
    login_as(Role.HR)
    instrument = make_instrument()
    item = items_by_code(instrument)["r1"]
    db.session.commit()
    path = f"/readiness/items/{item.id}/edit"
    tab_a, tab_b = two_tabs(client, path)

    assert client.post(path, data=item_data(item, tab_a, "Words from A")).status_code == 302
    late = client.post(path, data=item_data(item, tab_b, "Words from B"))

    assert late.status_code == 409
    page = late.get_data(as_text=True)
    assert 'value="Words from B"' in page
    assert "Words from A" in page
    db.session.expire_all()
    assert db.session.get(Item, item.id).text == "Words from A"


def test_item_of_a_sent_survey_second_tab_comes_back_on_the_new_version(client, login_as):
    hr = login_as(Role.HR)
    factories.make_staff(Role.STAFF)
    instrument = make_instrument()
    send(make_campaign(instrument), hr)
    item = items_by_code(instrument)["r1"]
    db.session.commit()
    path = f"/readiness/items/{item.id}/edit"
    tab_a, tab_b = two_tabs(client, path)

    assert client.post(path, data=item_data(item, tab_a, "Words from A")).status_code == 302
    late = client.post(path, data=item_data(item, tab_b, "Words from B"))

    assert late.status_code == 409, "not a redirect that loses the typed text"
    page = late.get_data(as_text=True)
    assert 'value="Words from B"' in page, "the input is kept"
    assert "This is an older version" in page
    assert "version 2" in page
    db.session.expire_all()
    newest = service.newest_version(db.session.get(Instrument, instrument.id))
    new_item = items_by_code(newest)["r1"]
    assert new_item.text == "Words from A", "tab A's change in version 2 is not overwritten"
    assert items_by_code(instrument)["r1"].text != "Words from B", "the sent version never changes"
    assert f'action="/readiness/items/{new_item.id}/edit"' in page, "the form now saves to version 2"
    assert f'<option selected value="{new_item.domain_id}">' in page, "the same domain, in version 2"

    again = client.post(f"/readiness/items/{new_item.id}/edit",
                        data=item_data(new_item, form_version(page), "Words from B"))
    assert again.status_code == 302
    db.session.expire_all()
    assert db.session.get(Item, new_item.id).text == "Words from B"
    assert db.session.scalar(select(func.count()).select_from(Instrument)) == 2, "no third version"


def test_new_domain_on_a_version_replaced_meanwhile_keeps_its_input(client, login_as):
    hr = login_as(Role.HR)
    instrument = make_instrument()
    db.session.commit()
    path = f"/readiness/instruments/{instrument.id}/domains/new"
    client.get(path)
    service.make_new_version(db.session.get(Instrument, instrument.id), hr)
    db.session.commit()

    late = client.post(path, data={"name": "A domain typed late"})

    assert late.status_code == 409
    page = late.get_data(as_text=True)
    assert 'value="A domain typed late"' in page
    assert "This is an older version" in page
    db.session.expire_all()
    assert not db.session.scalar(select(Domain).where(Domain.name == "A domain typed late"))


def test_removing_from_a_version_replaced_meanwhile_removes_nothing(client, login_as):
    hr = login_as(Role.HR)
    instrument = make_instrument()
    item = items_by_code(instrument)["fmt"]
    newest = service.make_new_version(instrument, hr).instrument
    db.session.commit()

    response = client.post(f"/readiness/items/{item.id}/remove")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/readiness/instruments/{newest.id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nothing was removed" in page
    db.session.expire_all()
    assert db.session.get(Item, item.id) is not None
    assert "fmt" in items_by_code(db.session.get(Instrument, newest.id))
