"""The private wellness part stays private on every path. Each attendee of a group session has a private part
written by the supervisor; it is read by that attendee and the supervisor only: never by the other attendee, the
co-facilitator, a supervisor higher up, another supervisor, HR, the administrator or the privacy officer; never in
the compliance view, its CSV, the hours pages, the prep sheet, the history, the audit screen or its export, and in
no PDF but the attendee's own and, for a one-to-one, the supervisor's own copy (tests/supervision/
test_record_tools.py: a group's supervisor copy holds no private part)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core import pdf
from core.models import AuditEntry, Role
from supervision.services import sessions
from tests import factories
from tests.supervision.helpers import log_session, sign_in

SECRET_A = "WELLNESS-ONLY-FOR-ALEX"
SECRET_B = "WELLNESS-ONLY-FOR-BLAIR"


@pytest.fixture
def group(db, frozen_time):
    frozen_time.at("2026-03-20 12:00")
    boss = factories.make_staff(Role.SUPERVISOR, name="Above Sam")
    sam = factories.make_staff(Role.SUPERVISOR, Role.ADMIN, name="Sam", supervisor=boss)
    alex = factories.make_staff(Role.PEER, supervisor=sam, name="Alex")
    blair = factories.make_staff(Role.PEER, supervisor=sam, name="Blair")
    co = factories.make_staff(Role.SUPERVISOR, name="Co")
    meeting = log_session(sam, [alex, blair], co_facilitator=co, notes="Shared words")
    a, b = (sessions.attendee_of(meeting, alex.id), sessions.attendee_of(meeting, blair.id))
    sessions.write_private(meeting, a, SECRET_A, a.version, sam)
    sessions.write_private(meeting, b, SECRET_B, b.version, sam)
    db.session.commit()
    return {"sam": sam, "alex": alex, "blair": blair, "co": co, "boss": boss, "meeting": meeting,
            "a": a, "b": b}


def pages(g) -> list[str]:
    m, a = g["meeting"].id, g["alex"].id
    return [
        "/supervision/", "/supervision/sessions", f"/supervision/sessions/{m}", f"/supervision/sessions/{m}/history",
        f"/supervision/sessions/{m}/edit", f"/supervision/sessions/{m}/private/{g['a'].id}",
        f"/supervision/sessions/{m}/private/{g['b'].id}", f"/supervision/people/{a}/prep",
        f"/supervision/people/{a}/hours", f"/supervision/people/{a}/hours.csv", "/supervision/compliance",
        "/supervision/compliance.csv", "/audit/", "/audit/export.csv", "/notifications/",
    ]


def seen_text(client, urls: list[str]) -> str:
    found = []
    for url in urls:
        answer = client.get(url)
        assert answer.status_code < 500, url
        found.append(answer.get_data(as_text=True))
    return "\n".join(found)


@pytest.mark.parametrize("who", ["co", "boss", "blair", "hr", "admin", "privacy", "other_supervisor"])
def test_nobody_else_reads_alexs_private_part(client, group, who):
    if who == "hr":
        person = factories.make_staff(Role.HR)
    elif who == "admin":
        person = factories.make_staff(Role.ADMIN)
    elif who == "privacy":
        person = factories.make_staff(Role.PRIVACY)
    elif who == "other_supervisor":
        person = factories.make_staff(Role.SUPERVISOR)
    else:
        person = group[who]
    sign_in(client, person)
    text = seen_text(client, pages(group))
    assert SECRET_A not in text
    if who != "blair":
        assert SECRET_B not in text


def test_each_attendee_reads_only_their_own(client, group):
    sign_in(client, group["alex"])
    page = client.get(f"/supervision/sessions/{group['meeting'].id}").get_data(as_text=True)
    assert SECRET_A in page
    assert SECRET_B not in page
    assert client.get(f"/supervision/sessions/{group['meeting'].id}/private/{group['b'].id}").status_code in (403, 404)


def test_the_supervisor_reads_both(client, group):
    sign_in(client, group["sam"])
    page = client.get(f"/supervision/sessions/{group['meeting'].id}").get_data(as_text=True)
    assert SECRET_A in page
    assert SECRET_B in page


def test_only_the_attendee_gets_a_pdf_and_it_holds_only_their_part(client, group, monkeypatch):
    made: list[str] = []
    real = pdf.render_pdf

    def keep(html: str, **kwargs: object) -> bytes:
        made.append(html)
        return real(html, **kwargs)

    monkeypatch.setattr(pdf, "render_pdf", keep)
    url = f"/supervision/sessions/{group['meeting'].id}/record.pdf"
    sign_in(client, group["alex"])
    assert client.get(url).status_code == 200
    assert SECRET_A in made[-1]
    assert SECRET_B not in made[-1]
    for who in ("sam", "co", "boss"):
        sign_in(client, group[who])
        assert client.get(url).status_code == 404
    assert len(made) == 1


def test_the_audit_log_records_the_reads_never_the_words(client, group, db):
    sign_in(client, group["alex"])
    client.get(f"/supervision/sessions/{group['meeting'].id}")
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action.like("supervision.%"))).all()
    actions = {entry.action for entry in entries}
    assert {"supervision.session_logged", "supervision.private_saved", "supervision.session_read"} <= actions
    for entry in entries:
        for value in (entry.detail, entry.record_id, entry.record_type, entry.action):
            assert SECRET_A not in value
            assert "Shared words" not in value


def test_every_read_of_a_session_record_is_audited(client, group, db):
    meeting = group["meeting"].id
    sign_in(client, group["sam"])
    for url in (f"/supervision/sessions/{meeting}", f"/supervision/sessions/{meeting}/history",
                f"/supervision/sessions/{meeting}/edit", f"/supervision/sessions/{meeting}/private/{group['a'].id}"):
        assert client.get(url).status_code == 200
    sign_in(client, group["alex"])
    assert client.get(f"/supervision/sessions/{meeting}/record.pdf").status_code == 200
    reads = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.action.like("supervision.%_read"),
                                        AuditEntry.record_id == str(meeting))
    ).all()
    assert sorted(reads) == sorted(["supervision.session_read", "supervision.history_read",
                                    "supervision.session_read", "supervision.private_read", "supervision.pdf_read"])


def test_the_prep_sheet_never_counts_a_sealed_client(client, group, db):
    from supervision.services import prep

    sam, alex, blair = group["sam"], group["alex"], group["blair"]
    open_client = factories.make_client("Open Client")
    sealed_client = factories.make_client("Sealed Client")
    factories.assign(open_client, alex)
    factories.assign(sealed_client, alex)
    assert prep.caseload_size(sam, alex.id) == 2  # before the seal, both are counted
    factories.seal(sealed_client, blair)  # Blair is a client here too; Sam supervises Blair, so the seal bars Sam
    db.session.commit()
    assert prep.caseload_size(sam, alex.id) == 1
    sign_in(client, sam)
    page = client.get(f"/supervision/people/{alex.id}/prep").get_data(as_text=True)
    assert "1 client assigned now" in page
    assert "Sealed Client" not in page
