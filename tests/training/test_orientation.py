"""Orientation checklists from the template (the agency's own material), started when someone is invited, each item
due on its day and signed off by the new staff member and by a supervisor above them, overdue items on the
supervisor's list; the shadowing log with the supervisor's comment; curricula and their trained facilitators."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from core.models import Program, Role, Staff, Team
from tests import factories
from training.models import (
    Curriculum,
    Facilitator,
    Orientation,
    OrientationItem,
    OrientationTemplate,
    ShadowingEntry,
)
from training.services import orientation


def sign_in(client, person) -> None:
    token = factories.start_session(person)
    with client.session_transaction() as session:
        session["_user_id"] = token


@pytest.fixture
def newcomer(db, frozen_time):
    frozen_time.at("2026-06-01 09:00")
    supervisor = factories.make_staff(Role.SUPERVISOR, name="Sam Okafor")
    person = factories.make_staff(Role.PEER, name="Riley Hart", supervisor=supervisor)
    found = orientation.assign(person, None, date(2026, 5, 20))
    db.session.commit()
    return {"supervisor": supervisor, "person": person, "orientation": found}


def test_the_template_holds_the_agencys_orientation_items(db):
    texts = [text for text, _day in orientation.shipped_items()]
    for words in (
        "Work hours",
        "paid time off",
        "call in sick or late",
        "Acceptable language",
        "Meeting expectations",
        "Non-traditional breaks or hours",
        "Second chances",
        "Plain language",
        "Paperwork",
    ):
        assert any(words.lower() in text.lower() for text in texts), words
    assert orientation.existing_template() is None  # reading never makes it


def test_inviting_someone_starts_their_orientation(client, db, login_as, frozen_time):
    frozen_time.at("2026-06-01 09:00")
    login_as(Role.ADMIN)
    program = Program(code="CRP", name="Community Reintegration Program")
    team = Team(program=program, name="Day program")
    db.session.add_all([program, team])
    db.session.commit()
    response = client.post(
        "/admin/staff/invite",
        data={
            "name": "Noa Reed",
            "email": "noa@example.org",
            "job_title": "Peer specialist",
            "roles": ["peer"],
            "program": str(program.id),
            "teams": [str(team.id)],
        },
    )
    assert response.status_code == 302
    person = db.session.scalar(select(Staff).where(Staff.email == "noa@example.org"))
    found = db.session.scalar(select(Orientation).where(Orientation.staff_id == person.id))
    assert found.starts_on == date(2026, 6, 1)
    items = orientation.items_of(found)
    assert len(items) == len(orientation.shipped_items())
    assert items[0].due_on == date(2026, 6, 2)


def test_both_sign_each_item_and_nobody_else_can(client, db, newcomer):
    item = orientation.items_of(newcomer["orientation"])[0]
    url = f"/training/orientation/items/{item.id}/sign"
    sign_in(client, newcomer["person"])
    client.post(url, data={"version": item.version})
    db.session.expire_all()
    item = db.session.get(OrientationItem, item.id)
    assert item.staff_signed_at is not None
    assert item.supervisor_signed_at is None
    for roles in [(Role.SUPERVISOR,), (Role.HR,), (Role.PEER,)]:
        sign_in(client, factories.make_staff(*roles))
        assert client.post(url, data={"version": item.version}).status_code in (302, 404)
    db.session.expire_all()
    assert db.session.get(OrientationItem, item.id).supervisor_signed_at is None
    sign_in(client, newcomer["supervisor"])
    page = client.get(f"/training/people/{newcomer['person'].id}/orientation").data
    assert b"Sign as supervisor" in page
    client.post(url, data={"version": item.version})
    db.session.expire_all()
    assert db.session.get(OrientationItem, item.id).done


def test_overdue_items_are_on_the_supervisors_list_and_no_one_elses(client, db, newcomer):
    sign_in(client, newcomer["supervisor"])
    page = client.get("/training/orientation").data
    assert b"Riley Hart" in page
    assert b"Work hours" in page  # due on 21 May, not signed
    sign_in(client, factories.make_staff(Role.SUPERVISOR))
    assert b"Riley Hart" not in client.get("/training/orientation").data


def test_hr_changes_the_template_for_orientations_started_afterwards(client, db, login_as, newcomer):
    login_as(Role.HR)
    loaded = orientation.existing_template().version
    response = client.post(
        "/training/orientation/template",
        data={"text": "Where to find the on-call schedule", "due_day": "2", "version": loaded},
    )
    assert response.status_code == 302
    stale = client.post(
        "/training/orientation/template", data={"text": "Second tab", "due_day": "2", "version": loaded}
    )
    assert stale.status_code == 409
    assert b"Second tab" in stale.data
    template = db.session.scalar(select(OrientationTemplate))
    assert template.items[-1].text == "Where to find the on-call schedule"
    later = factories.make_staff(Role.PEER)
    db.session.commit()
    assert any(i.text.startswith("Where to find") for i in orientation.items_of(orientation.assign(later, None)))
    assert not any(i.text.startswith("Where to find") for i in orientation.items_of(newcomer["orientation"]))


def test_the_shadowing_log_and_the_supervisors_comment(client, db, newcomer):
    sign_in(client, newcomer["person"])
    response = client.post(
        "/training/shadowing/new",
        data={
            "kind": "other_agency",
            "shadowed": "Crisis respite peer team",
            "happened_on": "2026-05-28",
            "hours": "3.5",
            "reflection": "The welcome sheet helps.",
        },
    )
    assert response.status_code == 302
    entry = db.session.scalar(select(ShadowingEntry))
    assert (entry.quarter_hours, entry.staff_id) == (14, newcomer["person"].id)
    bad = client.post(
        "/training/shadowing/new",
        data={"kind": "other_agency", "shadowed": "X", "happened_on": "2026-06-02", "hours": "1"},
    )
    assert b"cannot be after today" in bad.data
    sign_in(client, newcomer["supervisor"])
    client.post(
        f"/training/shadowing/{entry.id}/comment",
        data={f"e{entry.id}-comment": "Bring it to the team meeting.", f"e{entry.id}-version": entry.version},
    )
    db.session.expire_all()
    assert db.session.get(ShadowingEntry, entry.id).supervisor_comment == "Bring it to the team meeting."
    sign_in(client, factories.make_staff(Role.PEER))
    assert client.get(f"/training/people/{newcomer['person'].id}/shadowing").status_code == 404


def test_curricula_and_their_facilitators(client, db, login_as, newcomer):
    hr = login_as(Role.HR)
    assert b"Add WHAM" in client.get("/training/curricula").data
    client.post("/training/curricula/shipped")
    names = set(db.session.scalars(select(Curriculum.name)))
    assert {
        "WHAM (Whole Health Action Management)",
        "IMR (Illness Management and Recovery)",
        "WRAP (Wellness Recovery Action Plan)",
        "Solutions for Wellness",
    } <= names
    imr = db.session.scalar(select(Curriculum).where(Curriculum.builtin_key == "imr"))
    assert len(imr.module_list) == 12
    response = client.post(
        f"/training/curricula/{imr.id}/facilitators",
        data={f"c{imr.id}-staff": newcomer["person"].id, f"c{imr.id}-since": "2025-09-01"},
    )
    assert response.status_code == 302
    again = client.post(
        f"/training/curricula/{imr.id}/facilitators",
        data={f"c{imr.id}-staff": newcomer["person"].id, f"c{imr.id}-since": "2025-09-01"},
    )
    assert again.status_code == 400
    assert b"on the list already" in again.data
    assert db.session.scalar(select(func.count()).select_from(Facilitator)) == 1
    sign_in(client, newcomer["person"])  # everyone reads who facilitates what
    page = client.get("/training/curricula").data
    assert b"Riley Hart, since Monday 1 September 2025" in page
    assert client.post("/training/curricula/shipped").status_code == 403
    assert hr.id
