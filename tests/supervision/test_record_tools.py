"""A supervisor's tools on records they keep: closing several action items at once (each at the version the page
showed, all or none), deleting a session record nobody has answered yet, and the supervisor's own PDF copy of a
session. Other supervisors answer as for a missing record; HR, the administrator and the privacy officer are refused
at the door, the same for an existing record and a missing one."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from core.models import AuditEntry, Role
from supervision.models import ActionItem
from supervision.services import sessions
from supervision.services.sessions import NewItem
from tests import factories
from tests.supervision.helpers import log_session, make_team, sign_in

MISSING = 987_654


@pytest.fixture
def team(db, frozen_time):
    frozen_time.at("2026-06-20 12:00")
    return make_team(2)


def plain(response) -> str:
    return re.sub(r'nonce="[^"]*"|name="csrf_token" value="[^"]*"', "", response.get_data(as_text=True))


def audited(db, action: str) -> list[str]:
    return list(db.session.scalars(select(AuditEntry.record_id).where(AuditEntry.action == action)
                                   .order_by(AuditEntry.id)))


# Closing several action items at once --------------------------------------------------------------------------


@pytest.fixture
def open_items(team, db):
    """Three open items: two for Peer 0 (one raised for the supervisor to do), one for Peer 1."""
    pat, quinn = team.peers
    log_session(team.supervisor, [pat], held_on=date(2026, 5, 1),
                items=[NewItem("Call the housing office", f"them:{pat.id}", date(2026, 6, 1)),
                       NewItem("Find a WRAP course", f"me:{pat.id}", None)])
    log_session(team.supervisor, [quinn], held_on=date(2026, 5, 2),
                items=[NewItem("Update the resource list", f"them:{quinn.id}", date(2026, 7, 1))])
    db.session.commit()
    return list(db.session.scalars(select(ActionItem).order_by(ActionItem.id)))


def ticked(*items: ActionItem, note: str = "") -> dict[str, object]:
    return {"item": [str(item.id) for item in items], "note": note,
            **{f"version-{item.id}": str(item.version) for item in items}}


def test_the_supervisor_closes_several_items_at_once_each_audited(client, db, team, open_items):
    housing, course, resources = open_items
    sign_in(client, team.supervisor)
    page = client.get("/supervision/actions").get_data(as_text=True)
    for item in open_items:
        assert f'name="version-{item.id}" value="1"' in page
    assert "Find a WRAP course" in page
    assert "Peer 1" in page
    response = client.post("/supervision/actions/close", data=ticked(housing, resources, note="Done at the team day"))
    assert response.status_code == 302
    db.session.expire_all()
    assert [(item.closed_by_id, item.close_note) for item in (housing, resources)] == [
        (team.supervisor.id, "Done at the team day")] * 2
    assert course.closed_at is None
    assert audited(db, "supervision.action_closed") == [str(housing.id), str(resources.id)]
    assert "Closed 2 action items" in client.get("/supervision/actions").get_data(as_text=True)


def test_nothing_is_closed_when_one_ticked_item_is_stale(client, db, team, open_items):
    housing, course, _resources = open_items
    pat = team.peers[0]
    sign_in(client, team.supervisor)
    loaded = ticked(housing, course)  # the page as the supervisor loaded it
    sessions.close_item(housing, "Called them", pat)  # the supervisee closes one in between
    db.session.commit()
    response = client.post("/supervision/actions/close", data=loaded)
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "Nothing was closed" in text
    assert "Call the housing office (Peer 0): closed already" in text
    assert f'id="item-{course.id}" name="item" value="{course.id}" checked' in text  # the tick is kept
    db.session.expire_all()
    assert course.closed_at is None
    assert audited(db, "supervision.action_closed") == [str(housing.id)]
    # a version moved on without closing (a change made elsewhere) is stale too
    course.version = 5
    db.session.commit()
    assert client.post("/supervision/actions/close", data={**ticked(course), f"version-{course.id}": "1"}
                       ).status_code == 409
    assert client.post("/supervision/actions/close", data=ticked(course)).status_code == 302


def test_closing_none_says_so(client, team, open_items):
    sign_in(client, team.supervisor)
    response = client.post("/supervision/actions/close", data={"note": "x"})
    assert response.status_code == 400
    assert "Tick at least one action item to close." in response.get_data(as_text=True)


def test_another_supervisors_items_answer_as_missing(client, db, team, open_items):
    other = factories.make_staff(Role.SUPERVISOR)
    db.session.commit()
    sign_in(client, other)
    assert "Call the housing office" not in client.get("/supervision/actions").get_data(as_text=True)
    hidden = client.post("/supervision/actions/close", data=ticked(open_items[0]))
    missing = client.post("/supervision/actions/close", data={"item": [str(MISSING)], f"version-{MISSING}": "1"})
    assert hidden.status_code == missing.status_code == 404
    assert plain(hidden) == plain(missing)
    mixed = client.post("/supervision/actions/close", data=ticked(*open_items))
    assert mixed.status_code == 404
    db.session.expire_all()
    assert all(item.closed_at is None for item in open_items)


@pytest.mark.parametrize("role", [Role.HR, Role.ADMIN, Role.PRIVACY, Role.PEER])
def test_others_are_refused_the_list_and_the_close(client, db, team, open_items, role):
    sign_in(client, factories.make_staff(role))
    assert client.get("/supervision/actions").status_code == 403
    hidden = client.post("/supervision/actions/close", data=ticked(open_items[0]))
    missing = client.post("/supervision/actions/close", data={"item": [str(MISSING)], f"version-{MISSING}": "1"})
    assert hidden.status_code == missing.status_code == 403
    assert plain(hidden) == plain(missing)
    assert db.session.scalar(select(func.count()).select_from(ActionItem).where(ActionItem.closed_at.is_not(None))) == 0
