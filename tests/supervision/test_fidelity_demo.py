"""The demo agency's role fidelity: the demo supervisor sees Morgan Ellis flagged, and only her, whatever day of the
month the demo is loaded; her page, the list and the home page say so."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core import demo
from core.models import Staff
from supervision.services import fidelity
from tests import factories


@pytest.fixture(scope="module")
def agency(module_transaction):
    with module_transaction.app_context():
        from core.extensions import db

        demo.load("demo-password-for-tests")
        db.session.commit()
    return module_transaction


def person(db, email: str) -> Staff:
    return db.session.scalar(select(Staff).where(Staff.email == email))


def sign_in(client, staff) -> None:
    token = factories.start_session(staff)
    with client.session_transaction() as session:
        session["_user_id"] = token


def test_one_demo_peer_is_flagged(agency, db):
    supervisor = person(db, "supervisor@example.org")
    assert [row.staff.email for row in fidelity.flagged_peers(supervisor)] == ["morgan@example.org"]
    rows = {row.staff.email: row for row in fidelity.overview(supervisor, list(db.session.scalars(
        fidelity.peers_query(supervisor))))}
    assert rows["peer@example.org"].latest.percent >= 60
    assert sum(month.recorded for month in rows["morgan@example.org"].months) >= 6


def test_the_demo_pages_show_it(agency, db, client):
    supervisor = person(db, "supervisor@example.org")
    morgan = person(db, "morgan@example.org")
    sign_in(client, supervisor)
    assert "Morgan Ellis" in client.get("/supervision/fidelity?show=flagged").get_data(as_text=True)
    assert "1 peer specialist flagged for role fidelity" in client.get("/").get_data(as_text=True)
    morgans = client.get(f"/supervision/fidelity/{morgan.id}").get_data(as_text=True)
    assert "Flagged:" in morgans
    for kind in ("Transport only", "Clerical"):  # her other tasks, by name, with minutes in the last full month
        assert re.search(kind + r" \([^<]*\)</th><td>Other task</td>(<td>\d+</td>)*<td>[1-9]\d*</td><td>", morgans)
    sign_in(client, morgan)
    assert "Your role fidelity:" in client.get("/").get_data(as_text=True)
