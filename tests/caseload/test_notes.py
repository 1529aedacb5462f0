"""Contact notes: adding them with plain messages, the client's list and your own list (pagination, filters,
minutes summed in SQL, constant query counts), indirect work, minutes by kind for role fidelity, audit without
note text, and clients a person may not see."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from markupsafe import escape
from sqlalchemy import select

from caseload.models import Assignment, Client, ContactNote, DeclaredRelationship, WorkKind
from caseload.services.notes import minutes_by_kind
from caseload.services.plans import today
from core.extensions import db
from core.models import AuditEntry, Staff
from core.timeutil import utcnow
from tests.factories import (
    assign,
    make_client,
    make_note,
    make_plan,
    make_program,
    make_resource,
    make_staff,
    make_team,
    seal,
)
from tests.queries import counting_queries

MISSING = 999_999


@pytest.fixture
def agency(db):
    program = make_program()
    return {"team": make_team(program), "other_team": make_team(make_program())}


@pytest.fixture
def peer(login_as, agency):
    return login_as("peer", teams=[agency["team"]])


@pytest.fixture
def person(db, peer, agency):
    client = make_client("Angela Ortiz", program=agency["other_team"].program)
    assign(client, peer)
    db.session.commit()
    return client


def note_form(**fields: object) -> dict[str, object]:
    data: dict[str, object] = {
        "happened_on": today().isoformat(),
        "kind": WorkKind.ADVOCACY.value,
        "minutes": "45",
        "place": "community",
        "body": "Went to the benefits office together.",
    }
    data.update(fields)
    return data


def notes_of(client_id: int | None = None, staff_id: int | None = None) -> list[ContactNote]:
    db.session.expire_all()
    statement = select(ContactNote).order_by(ContactNote.id)
    if client_id is not None:
        statement = statement.where(ContactNote.client_id == client_id)
    if staff_id is not None:
        statement = statement.where(ContactNote.staff_id == staff_id)
    return list(db.session.scalars(statement))


# Adding a note ------------------------------------------------------------------------------------------------


def test_the_form_offers_kinds_in_groups_places_goals_and_resources(client, person, peer):
    plan = make_plan(person, peer, ["I want my own apartment.", "Go to a WRAP group."])
    make_resource(peer, name="County food pantry")
    db.session.commit()
    response = client.get(f"/caseload/clients/{person.id}/notes/new")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<optgroup label="Direct work with the client">' in html
    assert '<optgroup label="Indirect work that supports it">' in html
    assert "Team communication (indirect)" in html
    assert f'value="{today().isoformat()}"' in html
    assert "In the community" in html
    assert "By phone" in html
    assert f'value="{plan.goals[0].goal_key}"' in html
    assert "I want my own apartment." in html
    assert "County food pantry" in html


def test_a_note_is_saved_with_direct_set_from_the_kind(client, person, peer):
    plan = make_plan(person, peer, ["I want my own apartment."])
    pantry = make_resource(peer, name="County food pantry")
    db.session.commit()
    key = plan.goals[0].goal_key
    response = client.post(f"/caseload/clients/{person.id}/notes/new",
                           data=note_form(goal_key=key, resource_id=str(pantry.id), kind="resources"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/caseload/clients/{person.id}/notes")
    client.post(f"/caseload/clients/{person.id}/notes/new",
                data=note_form(kind="information", body="Called the housing office about the application."))
    first, second = notes_of(person.id)
    assert (first.kind, first.direct, first.minutes, first.place) == ("resources", True, 45, "community")
    assert (first.goal_key, first.resource_id, first.staff_id) == (key, pantry.id, peer.id)
    assert (second.kind, second.direct) == ("information", False)

    page = client.get(f"/caseload/clients/{person.id}/notes").get_data(as_text=True)
    assert "I want my own apartment." in page
    assert "County food pantry" in page
    assert "Went to the benefits office together." in page


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"happened_on": (today() + timedelta(days=1)).isoformat()}, "happened_on", "The date is in the future."),
        ({"happened_on": ""}, "happened_on", "Enter the date the work happened."),
        ({"happened_on": "31/02/2025"}, "happened_on", "Enter a real date"),
        ({"happened_on": "1999-12-31"}, "happened_on", "Check the year"),
        ({"kind": ""}, "kind", "Choose the kind of work."),
        ({"kind": "therapy"}, "kind", "Choose one of the options in the list."),
        ({"minutes": ""}, "minutes", "Enter the minutes spent, for example 45."),
        ({"minutes": "0"}, "minutes", "from 1 to 1440"),
        ({"minutes": "1441"}, "minutes", "from 1 to 1440"),
        ({"minutes": "an hour"}, "minutes", "Enter the minutes as a whole number"),
        ({"minutes": "99999999999999999999999"}, "minutes", "from 1 to 1440"),
        ({"place": "moon"}, "place", "Choose one of the options in the list."),
        ({"place": ""}, "place", "Choose where the work happened."),
        ({"body": "   "}, "body", "Write what happened."),
        ({"body": "x" * 20_001}, "body", "Use at most 20,000 characters."),
        ({"goal_key": "not-a-goal"}, "goal_key", "Choose one of the options in the list."),
        ({"resource_id": "abc"}, "resource_id", "Choose one of the options in the list."),
        ({"resource_id": "999999"}, "resource_id", "Choose one of the options in the list."),
    ],
)
def test_problems_are_explained_and_the_input_kept(client, person, change, field, message):
    response = client.post(f"/caseload/clients/{person.id}/notes/new", data=note_form(**change))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert f'id="{field}-error"' in html
    assert "Please fix" in html
    assert escape(note_form(**change)["body"]) in html  # what was typed is kept
    assert notes_of(person.id) == []


def test_twenty_thousand_characters_and_odd_characters_are_fine(client, person):
    body = "Ünïcödé – “quotes”\r\n\ttabbed <b>not bold</b> " + "x" * 19_950
    response = client.post(f"/caseload/clients/{person.id}/notes/new", data=note_form(body=body))
    assert response.status_code == 302
    (note,) = notes_of(person.id)
    assert note.body.startswith("Ünïcödé – “quotes”\n\ttabbed")
    assert "&lt;b&gt;not bold&lt;/b&gt;" in client.get(f"/caseload/clients/{person.id}/notes").get_data(as_text=True)


def test_a_nul_character_is_refused_with_a_message_and_nothing_is_saved(client, person, peer):
    """The note forms once dropped a NUL without a word; like every text field, they now say so."""
    for url in (f"/caseload/clients/{person.id}/notes/new", "/caseload/notes/indirect/new"):
        kind = {} if "clients" in url else {"kind": "group_planning"}
        response = client.post(url, data=note_form(body="before\x00after", **kind))
        assert response.status_code == 400, url
        assert "hidden character we cannot use" in response.get_data(as_text=True), url
    assert notes_of(staff_id=peer.id) == []


def test_a_goal_from_an_earlier_version_is_no_longer_offered(client, person, peer):
    old = make_plan(person, peer, ["Old goal"])
    old_key = old.goals[0].goal_key
    db.session.commit()
    from caseload.models import PlanGoal, PlanVersion

    newer = PlanVersion(client_id=person.id, number=2, review_on=today() + timedelta(days=9), written_by_id=peer.id)
    newer.goals.append(PlanGoal(goal_key="freshkey", position=0, term="long", in_own_words="New goal"))
    db.session.add(newer)
    db.session.commit()
    response = client.post(f"/caseload/clients/{person.id}/notes/new", data=note_form(goal_key=old_key))
    assert response.status_code == 400
    assert client.post(f"/caseload/clients/{person.id}/notes/new",
                       data=note_form(goal_key="freshkey")).status_code == 302


# Another person's client, and sealed records -------------------------------------------------------------------


def test_a_note_on_another_persons_client_is_refused(db, client, login_as, agency):
    theirs = make_client("Someone Else", program=agency["other_team"].program)
    assign(theirs, make_staff("peer", teams=[agency["other_team"]]))
    db.session.commit()
    me = login_as("peer", teams=[agency["team"]])
    missing = client.post(f"/caseload/clients/{MISSING}/notes/new", data=note_form())
    response = client.post(f"/caseload/clients/{theirs.id}/notes/new", data=note_form())
    assert response.status_code == missing.status_code == 404
    assert normalised(response.data) == normalised(missing.data)
    assert client.get(f"/caseload/clients/{theirs.id}/notes").status_code == 404
    assert notes_of(theirs.id) == []
    refusals = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "access.denied", AuditEntry.actor_id == me.id, AuditEntry.record_id == str(theirs.id)
    )).all()
    assert len(refusals) == 2


def normalised(body: bytes) -> str:
    text = re.sub(r'nonce="[^"]*"', 'nonce=""', body.decode())
    text = re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', text)
    return re.sub(r'data-(idle|absolute)-seconds="\d+"', r'data-\1-seconds=""', text)


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/caseload/clients/{id}/notes"),
        ("get", "/caseload/clients/{id}/notes?kind=advocacy&page=2"),
        ("get", "/caseload/clients/{id}/notes/new"),
        ("post", "/caseload/clients/{id}/notes/new"),
    ],
)
def test_sealed_notes_answer_a_coworker_exactly_like_missing_ones(db, client, login_as, agency, method, url):
    worker = make_staff("peer", teams=[agency["team"]])
    outside = make_staff("peer", teams=[agency["other_team"]])
    sealed = make_client("Jordan Staff", program=agency["other_team"].program)
    assign(sealed, outside)
    seal(sealed, worker)
    make_note(outside, sealed, body="SEALED NOTE TEXT")
    db.session.commit()
    login_as("supervisor", teams=[agency["team"]], program=agency["other_team"].program)
    send = getattr(client, method)
    hidden = send(url.format(id=sealed.id), data=note_form())
    missing = send(url.format(id=MISSING), data=note_form())
    assert hidden.status_code == missing.status_code == 404
    assert normalised(hidden.data) == normalised(missing.data)
    assert len(notes_of(sealed.id)) == 1


# The client's notes list --------------------------------------------------------------------------------------


def test_client_notes_are_paginated_newest_first_and_filtered_by_kind(client, person, peer):
    start = today() - timedelta(days=100)
    for day in range(30):
        make_note(peer, person, happened_on=start + timedelta(days=day), body=f"Note number {day:02d}",
                  kind="skills" if day % 3 == 0 else "advocacy")
    db.session.commit()
    first = client.get(f"/caseload/clients/{person.id}/notes").get_data(as_text=True)
    shown = re.findall(r"Note number (\d\d)", first)
    assert shown == [f"{day:02d}" for day in range(29, 4, -1)]
    assert "Showing 1 to 25 of 30." in first
    second = client.get(f"/caseload/clients/{person.id}/notes?page=2").get_data(as_text=True)
    assert re.findall(r"Note number (\d\d)", second) == ["04", "03", "02", "01", "00"]

    skills = client.get(f"/caseload/clients/{person.id}/notes?kind=skills").get_data(as_text=True)
    assert re.findall(r"Note number (\d\d)", skills) == [f"{day:02d}" for day in range(27, -1, -3)]
    assert "Showing 1 to 10 of 10." in skills

    odd = client.get(f"/caseload/clients/{person.id}/notes?kind=nonsense&page=-4")
    assert odd.status_code == 200
    assert "We could not use this filter" in odd.get_data(as_text=True)


def test_client_notes_query_count_does_not_grow_with_notes(client, person, peer):
    plan = make_plan(person, peer, ["A goal"])
    resource = make_resource(peer)
    writer_ids = [peer.id, make_staff("peer").id, make_staff("staff").id]
    url, key, resource_id = f"/caseload/clients/{person.id}/notes", plan.goals[0].goal_key, resource.id
    client_id = person.id

    def add(count: int) -> None:
        someone = db.session.get(Client, client_id)
        writers = [db.session.get(Staff, staff_id) for staff_id in writer_ids]
        for n in range(count):
            make_note(writers[n % 3], someone, goal_key=key if n % 2 else None,
                      resource_id=resource_id if n % 3 == 0 else None)
        db.session.commit()

    def counted() -> list[str]:
        db.session.expunge_all()  # each request starts with an empty session, as in production
        with counting_queries() as statements:
            assert client.get(url).status_code == 200
        return statements

    add(5)
    counted()  # warm up
    few = counted()
    add(35)
    many = counted()
    assert len(many) == len(few)


# Your own notes -----------------------------------------------------------------------------------------------


@pytest.fixture
def my_world(db, peer, person, agency):
    """Notes by the peer on a visible client, on clients they can no longer see, and indirect work."""
    moved = make_client("Moved Away", program=agency["other_team"].program)
    old = assign(moved, peer)
    declared = make_client("Now A Neighbour", program=agency["other_team"].program)
    assign(declared, peer)
    sealed = make_client("Sealed Person", program=agency["other_team"].program)
    assign(sealed, peer)
    base = today() - timedelta(days=20)
    make_note(peer, person, happened_on=base, minutes=30, kind="advocacy")
    make_note(peer, person, happened_on=base + timedelta(days=5), minutes=40, kind="skills")
    make_note(peer, None, happened_on=base + timedelta(days=6), minutes=50, kind="administration")
    make_note(peer, moved, happened_on=base + timedelta(days=7), minutes=1000, kind="advocacy")
    make_note(peer, declared, happened_on=base + timedelta(days=8), minutes=1000, kind="advocacy")
    make_note(peer, sealed, happened_on=base + timedelta(days=9), minutes=1000, kind="advocacy")
    make_note(make_staff("peer"), person, happened_on=base, minutes=999, kind="advocacy")
    # The peer loses sight of three clients: reassigned, a declared relationship, sealed on a teammate.
    old.ended_at = utcnow()
    db.session.add(DeclaredRelationship(staff_id=peer.id, client_id=declared.id, relationship="neighbour"))
    teammate = make_staff("peer", teams=[agency["team"]])
    seal(sealed, teammate)
    db.session.commit()
    return {"base": base, "moved": moved, "declared": declared, "sealed": sealed}


def test_my_notes_leave_out_clients_i_can_no_longer_see(client, my_world, person):
    html = client.get("/caseload/notes").get_data(as_text=True)
    assert "Angela Ortiz" in html
    assert "No client (indirect work)" in html
    for hidden in ("moved", "declared", "sealed"):
        assert my_world[hidden].name not in html
    assert "Showing 1 to 3 of 3." in html
    assert "<strong>120 minutes</strong>" in html
    assert "70 minutes of direct work and 50 minutes of indirect work" in html


def test_my_notes_filter_by_dates_and_kind(client, my_world):
    base = my_world["base"]
    html = client.get(f"/caseload/notes?start={(base + timedelta(days=1)).isoformat()}"
                      f"&end={(base + timedelta(days=5)).isoformat()}").get_data(as_text=True)
    assert "Showing 1 to 1 of 1." in html
    assert "<strong>40 minutes</strong>" in html
    html = client.get("/caseload/notes?kind=administration").get_data(as_text=True)
    assert "Showing 1 to 1 of 1." in html
    assert "<strong>50 minutes</strong>" in html
    html = client.get(f"/caseload/notes?start={(base + timedelta(days=9)).isoformat()}").get_data(as_text=True)
    assert "No notes match these filters" in html
    backwards = client.get(f"/caseload/notes?start={base.isoformat()}&end={(base - timedelta(days=3)).isoformat()}")
    assert backwards.status_code == 200
    assert "The end date is before the start date" in backwards.get_data(as_text=True)
    assert client.get("/caseload/notes?start=yesterday&kind=x").status_code == 200
    assert client.get("/caseload/notes?start=yesterday&kind=%00").status_code < 500


def test_my_notes_are_paginated_with_filters_kept(client, peer, person):
    for n in range(30):
        make_note(peer, person, happened_on=today() - timedelta(days=n), kind="skills")
    make_note(peer, person, kind="advocacy")
    db.session.commit()
    html = client.get("/caseload/notes?kind=skills").get_data(as_text=True)
    assert "Showing 1 to 25 of 30." in html
    assert "/caseload/notes?page=2&amp;kind=skills" in html or "/caseload/notes?kind=skills&amp;page=2" in html
    assert "Showing 26 to 30 of 30." in client.get("/caseload/notes?kind=skills&page=2").get_data(as_text=True)


def test_my_notes_query_count_does_not_grow_with_notes(client, peer, agency):
    client_ids = [make_client(program=agency["other_team"].program).id for _ in range(6)]
    for client_id in client_ids:
        assign(db.session.get(Client, client_id), peer)
    peer_id = peer.id

    def add(count: int) -> None:
        me = db.session.get(Staff, peer_id)
        clients = [db.session.get(Client, client_id) for client_id in client_ids]
        for n in range(count):
            make_note(me, clients[n % 6] if n % 4 else None, kind="advocacy" if n % 4 else "administration")
        db.session.commit()

    def counted() -> list[str]:
        db.session.expunge_all()
        with counting_queries() as statements:
            assert client.get("/caseload/notes").status_code == 200
        return statements

    add(5)
    counted()
    few = counted()
    add(35)
    many = counted()
    assert len(many) == len(few)


# Indirect work ------------------------------------------------------------------------------------------------


def test_indirect_work_is_saved_without_a_client(client, peer):
    page = client.get("/caseload/notes/indirect/new").get_data(as_text=True)
    assert "Group planning and development (indirect)" in page
    assert "Advocacy" not in page
    response = client.post("/caseload/notes/indirect/new",
                           data=note_form(kind="group_planning", minutes="90", place="office",
                                          body="Planned next month's WRAP sessions."))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/caseload/notes")
    (note,) = notes_of(staff_id=peer.id)
    assert (note.client_id, note.kind, note.direct, note.minutes) == (None, "group_planning", False, 90)


def test_the_forms_offer_transport_only_and_clerical_as_other_tasks(client, peer, person):
    """Both note forms list the two kinds apart from peer work, with the hint saying what each means; saved on a
    client's notes, transport only is recorded as not direct (it is not peer work)."""
    for url in (f"/caseload/clients/{person.id}/notes/new", "/caseload/notes/indirect/new"):
        page = client.get(url).get_data(as_text=True)
        other_tasks = page.split('label="Other tasks, not peer work"')[1].split("</optgroup>")[0]
        assert "Transport only (no peer support during the trip)" in other_tasks
        assert "Clerical (paperwork, filing, data entry)" in other_tasks
        assert "Transport only: driving a client with no peer support during the trip." in page
        assert "Clerical: paperwork, filing, data entry." in page
    response = client.post(f"/caseload/clients/{person.id}/notes/new",
                           data=note_form(kind="transport_only", minutes="50", body="Drove Angela to the clinic."))
    assert response.status_code == 302
    response = client.post("/caseload/notes/indirect/new",
                           data=note_form(kind="clerical", minutes="20", place="office", body="Filing."))
    assert response.status_code == 302
    saved = sorted((note.kind, note.direct, note.client_id) for note in notes_of(staff_id=peer.id))
    assert saved == [("clerical", False, None), ("transport_only", False, person.id)]


def test_indirect_work_refuses_direct_kinds(client, peer):
    response = client.post("/caseload/notes/indirect/new", data=note_form(kind="advocacy"))
    assert response.status_code == 400
    assert "Choose one of the options in the list." in response.get_data(as_text=True)
    assert notes_of(staff_id=peer.id) == []


# Minutes for role fidelity ------------------------------------------------------------------------------------


def test_minutes_by_kind_sums_in_sql_per_kind_within_dates(db, agency):
    me, other = make_staff("peer"), make_staff("peer")
    someone = make_client()
    start, end = date(2025, 3, 1), date(2025, 3, 31)
    make_note(me, someone, kind="advocacy", minutes=30, happened_on=start)
    make_note(me, someone, kind="advocacy", minutes=45, happened_on=end)
    make_note(me, someone, kind="skills", minutes=60, happened_on=date(2025, 3, 15))
    make_note(me, None, kind="administration", minutes=20, happened_on=date(2025, 3, 2))
    make_note(me, someone, kind="information", minutes=15, happened_on=date(2025, 3, 3))
    make_note(me, someone, kind="advocacy", minutes=500, happened_on=date(2025, 2, 28))
    make_note(me, someone, kind="advocacy", minutes=500, happened_on=date(2025, 4, 1))
    make_note(other, someone, kind="advocacy", minutes=500, happened_on=date(2025, 3, 10))
    db.session.commit()

    me_id = me.id
    with counting_queries() as statements:
        result = minutes_by_kind(me_id, start, end)
    assert result == [
        ("advocacy", True, 75),
        ("skills", True, 60),
        ("administration", False, 20),
        ("information", False, 15),
    ]
    assert len(statements) == 1
    assert "GROUP BY" in statements[0]
    assert "sum(" in statements[0].lower()
    assert minutes_by_kind(me_id, date(2024, 1, 1), date(2024, 12, 31)) == []


# Audit --------------------------------------------------------------------------------------------------------


def test_reads_and_writes_are_audited_without_the_note_text(client, person, peer):
    secret = "NOTE-BODY-SECRET-5512"
    client.get(f"/caseload/clients/{person.id}/notes/new")
    client.post(f"/caseload/clients/{person.id}/notes/new", data=note_form(body=f"{secret} talked about housing"))
    client.post("/caseload/notes/indirect/new", data=note_form(kind="administration", body=f"{secret} paperwork"))
    client.get(f"/caseload/clients/{person.id}/notes")
    client.get("/caseload/notes")

    reads = db.session.scalars(select(AuditEntry.detail).where(
        AuditEntry.action == "client.viewed", AuditEntry.record_id == str(person.id)).order_by(AuditEntry.id)).all()
    assert reads == ["note form", "notes"]
    added = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "note.added")
                               .order_by(AuditEntry.id)).all()
    client_note, indirect = notes_of(staff_id=peer.id)
    assert [(a.record_type, a.record_id, a.actor_id) for a in added] == [
        ("client", str(person.id), peer.id),
        ("contact_note", str(indirect.id), peer.id),
    ]
    assert added[0].detail == f"contact note {client_note.id}"
    for entry in db.session.scalars(select(AuditEntry)):
        for column in AuditEntry.__table__.columns:
            value = str(getattr(entry, column.key))
            assert secret not in value, column.key
            assert "talked about housing" not in value, column.key


def test_assignment_history_does_not_open_notes(db, client, login_as, agency):
    """A peer whose assignment ended (and who is outside the client's program) no longer opens the notes."""
    someone = make_client(program=agency["other_team"].program)
    me = login_as("peer", teams=[agency["team"]])
    db.session.add(Assignment(client_id=someone.id, staff_id=me.id, kind="peer", ended_at=utcnow()))
    make_note(me, someone)
    db.session.commit()
    assert client.get(f"/caseload/clients/{someone.id}/notes").status_code == 404


def test_every_problem_shows_at_once_the_rules_included(client, person):
    response = client.post(f"/caseload/clients/{person.id}/notes/new", data=note_form(
        happened_on=(today() + timedelta(days=3)).isoformat(), body="", minutes="0"))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Please fix these 3 things" in html
    assert "The date is in the future." in html
    assert "Write what happened." in html
    assert "from 1 to 1440" in html
