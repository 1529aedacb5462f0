"""After a send, nothing links the answers to the person: not the answer tables' columns, not their values, not
their keys or storage order, and not the audit log."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from core.extensions import db
from core.models import AuditEntry, AuthSession, Role
from readiness.models import Answer, Ballot, DomainTally, Invitation, ItemTally, OpenAnswer, Response, ResponseCount
from tests import factories
from tests.conftest import ON_POSTGRES
from tests.readiness.helpers import SURVEY, full_answers, invitation_of, make_campaign, make_instrument, release, send

ANSWER_TABLES = (Ballot, Response, Answer, OpenAnswer, ItemTally, DomainTally, ResponseCount)
ALLOWED_COLUMNS = {
    "readiness_ballot": {"id", "campaign_id", "team_key", "role_group", "tenure_band", "answers"},
    "readiness_response": {"id", "campaign_id", "team_id", "role_group", "tenure_band", "submitted_on"},
    "readiness_answer": {"response_id", "item_id", "value"},
    "readiness_open_answer": {"campaign_id", "item_id", "sort_key", "response_id", "text"},
    "readiness_item_tally": {"campaign_id", "item_id", "value", "n"},
    "readiness_domain_tally": {"campaign_id", "team_key", "role_group", "domain_id", "points", "answers"},
    "readiness_response_count": {"campaign_id", "team_key", "role_group", "n"},
}
ALLOWED_REFERENCES = {"readiness_campaign", "readiness_item", "readiness_domain", "readiness_response", "core_team"}


@pytest.fixture
def sent(app, login_as, client):
    """Three people answer; the test client is the last of them. Returns what the tests look for."""
    team = factories.make_team()
    others = [factories.make_staff(Role.STAFF, teams=[team]) for _ in range(2)]
    person = login_as(Role.PEER, teams=[team])
    instrument = make_instrument()
    campaign = make_campaign(instrument)
    tokens = send(campaign)
    db.session.commit()
    from readiness.services import answering

    for other in others:  # answered earlier, through the service
        answering.submit(invitation_of(campaign, other), answering.Submission([]))
    db.session.commit()
    invitation = invitation_of(campaign, person)
    last_audit = db.session.scalar(select(func.max(AuditEntry.id))) or 0
    response = client.post(
        SURVEY,
        data={**full_answers(instrument, role_group="peer"), "invitation": str(invitation.id)},
        headers={"User-Agent": "Distinctive-Browser/1.0"},
        environ_base={"REMOTE_ADDR": "203.0.113.77"},
    )
    assert response.status_code == 302
    release(campaign)  # three answers are fewer than the threshold: released here as a closing wave would be
    return {"person": person, "invitation": invitation, "token": tokens[person.id], "last_audit": last_audit,
            "campaign": campaign}


def test_the_answer_tables_have_only_these_columns_and_no_time():
    for model in ANSWER_TABLES:
        table = model.__table__
        assert set(table.c.keys()) == ALLOWED_COLUMNS[table.name], f"{table.name} gained a column: check it"
        for column in table.c:
            assert not isinstance(column.type, sa.DateTime), f"{table.name}.{column.name} holds a time"
            assert not re.search(r"staff|user|person|invitation|address|agent|token|created|_at$", column.name)


def test_the_answer_tables_refer_to_no_person_and_no_invitation():
    for model in ANSWER_TABLES:
        targets = {fk.column.table.name for fk in model.__table__.foreign_keys}
        assert targets <= ALLOWED_REFERENCES, f"{model.__tablename__} refers to {targets - ALLOWED_REFERENCES}"


def test_the_database_has_the_same_columns(app):
    inspector = sa.inspect(db.engine)
    for name, columns in ALLOWED_COLUMNS.items():
        assert {column["name"] for column in inspector.get_columns(name)} == columns
        assert {fk["referred_table"] for fk in inspector.get_foreign_keys(name)} <= ALLOWED_REFERENCES


def test_no_stored_answer_value_names_the_person(sent):
    person, invitation = sent["person"], sent["invitation"]
    session = db.session.scalars(select(AuthSession).where(AuthSession.staff_id == person.id)).first()
    identifying = {
        person.email, person.name, "203.0.113.77", "Distinctive-Browser/1.0", sent["token"],
        invitation.token_hash, str(invitation.id), str(person.id), session.token_hash if session else "",
    } - {""}
    for model in ANSWER_TABLES:
        for row in db.session.execute(select(model.__table__)):
            for value in row:
                text = str(value)
                assert not any(secret == text or (len(secret) > 3 and secret in text) for secret in identifying
                               if not secret.isdigit()), f"{model.__tablename__} holds {value!r}"
    # Numbers can collide by chance (an item id equal to a staff id), so check the columns that could hold one:
    # only campaign, team, item, value and counts are numbers, and none of them is the invitation or the person.
    response = db.session.scalars(select(Response)).first()
    assert response is not None
    assert not hasattr(response, "staff_id")
    assert not hasattr(response, "invitation_id")


def test_a_send_writes_no_audit_entry_and_nothing_with_the_address(sent):
    new = db.session.scalars(select(AuditEntry).where(AuditEntry.id > sent["last_audit"])).all()

    assert new == [], "a send is not logged: the log's exact time would let a response be lined up with a person"
    assert not db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.address == "203.0.113.77"
    ))


def test_the_invitation_keeps_only_that_the_person_answered(sent):
    invitation = db.session.get(Invitation, sent["invitation"].id)
    db.session.refresh(invitation)

    assert invitation.status == "completed"
    assert invitation.draft is None
    columns = set(Invitation.__table__.c.keys())
    assert not columns & {"completed_at", "completed_on", "response_id", "answers", "updated_at"}


def test_response_keys_are_random_and_say_nothing_about_order(sent):
    keys = db.session.scalars(select(Response.id)).all()

    assert len(keys) == 3
    assert all(re.fullmatch(r"[0-9a-f]{32}", key) for key in keys)
    assert len(set(keys)) == 3
    assert Response.__table__.c.id.type.python_type is str


@pytest.mark.skipif(ON_POSTGRES, reason="rowid is SQLite's hidden insertion sequence")
def test_the_answer_tables_keep_no_hidden_insertion_order_on_sqlite(sent):
    for model in ANSWER_TABLES:
        with pytest.raises(sa.exc.OperationalError, match="rowid"):
            db.session.execute(sa.text(f"SELECT rowid FROM {model.__tablename__}"))
        db.session.rollback()
    # the check above can fail: an ordinary table has one
    assert db.session.execute(sa.text("SELECT rowid FROM readiness_invitation")).first() is not None
