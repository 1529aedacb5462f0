"""Instruments: the default survey, editing, and versions: a sent survey never changes under the people answering."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.models import AuditEntry, Role
from readiness.models import Campaign, Domain, Instrument, Item, ItemKind
from readiness.services import instruments as service
from readiness.services.default_instrument import ensure_default_instrument
from tests import factories
from tests.readiness.helpers import items_by_code, make_campaign, make_instrument, send, today

ISSUE_DOMAINS = {"role", "recovery", "fears", "boundaries", "disclosure", "inclusion", "supervision", "commitment",
                 "stigma", "policies", "training"}


def test_the_default_survey_is_created_once_with_the_domains_of_the_issue(app):
    first = ensure_default_instrument()
    again = ensure_default_instrument()
    db.session.commit()

    assert first.id == again.id
    assert db.session.scalar(select(func.count()).select_from(Instrument)) == 1
    instrument = service.load_contents(first.id)
    assert {domain.code for domain in instrument.domains} == ISSUE_DOMAINS
    items = instrument.items
    for domain in instrument.domains:
        mine = [item for item in items if item.domain_id == domain.id]
        if domain.code == "training":
            assert {item.kind for item in mine} == {ItemKind.MULTI, ItemKind.SINGLE}
            continue
        assert 3 <= len(mine) <= 5, domain.code
        assert all(item.kind == ItemKind.LIKERT for item in mine)
        assert domain.training_topic, f"{domain.code} suggests no training"
    likert = [item for item in items if item.kind == ItemKind.LIKERT]
    assert 0 < sum(item.reversed for item in likert) < len(likert), "some statements are reversed, not all"
    assert all(item.reversed for item in likert if item.code.startswith("fear_")), "worries are reversed"
    open_questions = [item for item in items if item.kind == ItemKind.TEXT]
    assert len(open_questions) == 2
    assert all(item.domain_id is None and not item.required for item in open_questions)
    assert all(len(item.text) <= 200 for item in items), "plain, short statements"
    topics = {domain.code: domain.training_topic for domain in instrument.domains}
    assert "what peer specialists do" in topics["role"].lower()
    assert topics["boundaries"] == "Boundaries and dual relationships"


def test_a_survey_not_yet_sent_is_changed_in_place(client, login_as):
    login_as(Role.HR)
    instrument = make_instrument()
    item = items_by_code(instrument)["r1"]
    db.session.commit()

    response = client.post(f"/readiness/items/{item.id}/edit", data={
        "kind": "likert", "text": "Clearer words.", "domain": str(item.domain_id), "required": "y", "position": "1",
        "version": str(item.version),
    })

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/readiness/instruments/{instrument.id}")
    db.session.expire_all()
    assert db.session.get(Item, item.id).text == "Clearer words."
    assert db.session.scalar(select(func.count()).select_from(Instrument)) == 1


def test_changing_a_sent_survey_makes_a_new_version(client, login_as):
    hr = login_as(Role.HR)
    instrument = make_instrument()
    items = items_by_code(instrument)
    sent = make_campaign(instrument, name="Sent")
    not_sent = make_campaign(instrument, name="Not sent yet")
    factories.make_staff(Role.STAFF)
    send(sent, hr)
    db.session.commit()

    response = client.post(f"/readiness/items/{items['r2'].id}/edit", data={
        "kind": "likert", "text": "A changed statement.", "domain": str(items["r2"].domain_id), "reversed": "y",
        "required": "y", "version": str(items["r2"].version),
    }, follow_redirects=True)

    assert response.status_code == 200
    assert "new version, version 2" in response.get_data(as_text=True)
    db.session.expire_all()
    old = service.load_contents(instrument.id)
    assert items_by_code(old)["r2"].text == "Peer specialists do the tasks nobody else has time for.", "unchanged"
    new = service.newest_version(old)
    assert (new.version, new.first_version_id, new.previous_version_id) == (2, instrument.id, instrument.id)
    new_items = items_by_code(new)
    assert new_items["r2"].text == "A changed statement."
    assert set(new_items) == set(items_by_code(old)), "codes carry over, so waves can be compared"
    assert {d.code for d in service.load_contents(new.id).domains} == {"role", "fears"}
    assert db.session.get(Campaign, sent.id).instrument_id == instrument.id, "a sent campaign keeps its version"
    assert db.session.get(Campaign, not_sent.id).instrument_id == new.id, "a campaign not sent moves on"
    assert db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.action == "readiness.instrument_versioned")).one()

    # The next change goes to version 2 itself: it has not been sent.
    client.post(f"/readiness/items/{new_items['r1'].id}/edit", data={
        "kind": "likert", "text": "Another change.", "domain": str(new_items["r1"].domain_id), "required": "y",
        "version": str(new_items["r1"].version),
    })
    assert db.session.scalar(select(func.count()).select_from(Instrument)) == 2


def test_an_older_version_cannot_be_changed(client, login_as):
    hr = login_as(Role.HR)
    instrument = make_instrument()
    item = items_by_code(instrument)["r1"]
    service.make_new_version(instrument, hr)
    db.session.commit()

    response = client.post(f"/readiness/items/{item.id}/edit", data={
        "kind": "likert", "text": "Too late.", "domain": str(item.domain_id), "required": "y",
        "version": str(item.version),
    }, follow_redirects=True)

    assert "This is an older version" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Item, item.id).text != "Too late."


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "single", "text": "Pick", "options": "Only one"}, "Enter at least two options"),
        ({"kind": "multi", "text": "Pick", "options": "Same\nsame"}, "Each option must be different."),
        ({"kind": "likert", "text": "No domain"}, "Choose the domain this statement counts in."),
        ({"kind": "likert", "text": ""}, "Enter the question or statement"),
        ({"kind": "essay", "text": "What kind?"}, "Choose one of the options shown."),
        ({"kind": "likert", "text": "Bad domain", "domain": "999999"}, "Choose one of the options shown."),
        ({"kind": "likert", "text": "Order", "position": "first"}, "Order: Enter a whole number from 0 to 9999."),
    ],
)
def test_bad_questions_are_refused_with_the_input_kept(client, login_as, data, message):
    login_as(Role.ADMIN)
    instrument = make_instrument()
    db.session.commit()
    before = db.session.scalar(select(func.count()).select_from(Item))

    response = client.post(f"/readiness/instruments/{instrument.id}/items/new", data=data)

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page
    assert "Not a valid integer value" not in page  # WTForms' own words, not plain language
    if data["text"]:
        assert data["text"] in page
    assert db.session.scalar(select(func.count()).select_from(Item)) == before


def test_adding_domains_and_questions_to_a_new_survey(client, login_as):
    login_as(Role.HR)
    created = client.post("/readiness/instruments/new", data={"name": "Our own survey", "start_from": ""})
    instrument = db.session.scalars(select(Instrument)).one()
    assert created.headers["Location"].endswith(f"/readiness/instruments/{instrument.id}")

    client.post(f"/readiness/instruments/{instrument.id}/domains/new",
                data={"name": "Team inclusion", "training_topic": "Working as one team"})
    domain = db.session.scalars(select(Domain)).one()
    client.post(f"/readiness/instruments/{instrument.id}/items/new", data={
        "kind": "likert", "text": "Peers belong in team meetings.", "domain": str(domain.id), "required": "y",
    })
    client.post(f"/readiness/instruments/{instrument.id}/items/new", data={
        "kind": "multi", "text": "Which topics?", "options": "One\nTwo\n\nThree ", "domain": "", "position": "",
    })  # the order left empty, as the browser sends it: optional, no message

    loaded = service.load_contents(instrument.id)
    assert [(i.kind, i.domain_id, i.required, i.option_list) for i in loaded.items] == [
        ("likert", domain.id, True, []), ("multi", None, False, ["One", "Two", "Three"]),
    ]
    page = client.get(f"/readiness/instruments/{instrument.id}").get_data(as_text=True)
    assert "Peers belong in team meetings." in page
    assert "Working as one team" in page


def test_starting_from_a_copy_makes_a_new_survey_with_the_same_questions(client, login_as):
    login_as(Role.HR)
    source = make_instrument()
    db.session.commit()

    client.post("/readiness/instruments/new", data={"name": "Adapted", "start_from": str(source.id)})

    copy = db.session.scalars(select(Instrument).where(Instrument.name == "Adapted")).one()
    assert copy.first_version_id is None
    assert copy.version == 1
    assert set(items_by_code(copy)) == set(items_by_code(source))


def test_removing_a_question_from_a_sent_survey_leaves_the_sent_version_whole(client, login_as):
    hr = login_as(Role.HR)
    instrument = make_instrument()
    item = items_by_code(instrument)["open"]
    campaign = make_campaign(instrument, opens_on=today() - timedelta(days=3))
    send(campaign, hr)
    db.session.commit()

    client.post(f"/readiness/items/{item.id}/remove")

    db.session.expire_all()
    assert "open" in items_by_code(instrument)
    newest = service.newest_version(db.session.get(Instrument, instrument.id))
    assert newest.version == 2
    assert "open" not in items_by_code(newest)


def test_a_domain_with_questions_is_not_removed(client, login_as):
    login_as(Role.HR)
    instrument = make_instrument()
    domain = service.load_contents(instrument.id).domains[0]
    db.session.commit()

    response = client.post(f"/readiness/domains/{domain.id}/remove", follow_redirects=True)

    assert "still has questions" in response.get_data(as_text=True)
    assert db.session.get(Domain, domain.id) is not None


def test_the_instrument_pages_show_versions_and_the_default(client, login_as):
    login_as(Role.HR)
    listing = client.get("/readiness/instruments").get_data(as_text=True)
    assert "Set up the survey that ships with PeerWorks" in listing

    created = client.post("/readiness/instruments/default")
    instrument = db.session.scalars(select(Instrument)).one()
    assert created.headers["Location"].endswith(f"/readiness/instruments/{instrument.id}")
    page = client.get(f"/readiness/instruments/{instrument.id}").get_data(as_text=True)
    assert "Boundaries and dual relationships" in page
    assert "Reversed: agreeing means less ready" in page
    # Each table has a caption, which names the keyboard-reachable scrolling region around it.
    captions = re.findall(r'<caption id="([^"]+)">', page)
    assert captions
    assert all(f'role="region" aria-labelledby="{ident}"' in page for ident in captions)
    assert 'scope="col"' in page
