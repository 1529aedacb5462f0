"""Staff training sessions: HR or a supervisor plans one (also from a readiness action, which then links to it),
records who attended and for how many hours, and the hours count as CE through ordinary CE entries, so the
one-cycle rule, the once-per-cycle rule and the approvals apply; lists search, page and download as CSV; a stale
save is refused; every change is audited."""

from __future__ import annotations

import re
from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select

from core import timeutil
from core.models import AuditEntry, Role
from readiness.models import Action
from tests import factories
from tests.caseload.test_clients_privacy import normalized
from tests.queries import fresh_queries_for
from tests.training.helpers import approved, certify, make_credential
from tests.training.test_orientation import sign_in
from training.models import Attendance, CeEntry, Cycle, EntryStatus, TrainingSession
from training.services import curricula, sessions


def actions(db, name: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == name).order_by(AuditEntry.id)))


@pytest.fixture
def agency(db, frozen_time):
    frozen_time.at("2026-06-10 09:00")
    hr = factories.make_staff(Role.HR, name="Harper Reyes")
    supervisor = factories.make_staff(Role.SUPERVISOR, name="Sam Okafor")
    peer = factories.make_staff(Role.PEER, name="Riley Hart", supervisor=supervisor)
    other = factories.make_staff(Role.PEER, name="Ari Lund")  # nobody's report
    credential = make_credential(hours=20)
    certification = certify(peer, credential, date(2025, 1, 1), date(2026, 12, 31), actor=hr)
    [wrap] = [c for c in curricula.ensure_shipped(None) if c.builtin_key == "wrap"]
    curricula.add_facilitator(wrap, supervisor.id, date(2024, 1, 1), hr)
    db.session.commit()
    return {"hr": hr, "supervisor": supervisor, "peer": peer, "other": other, "certification": certification,
            "wrap_id": wrap.id}


def form_data(agency, **changes: str) -> dict[str, str]:
    data = {
        "title": "WRAP refresher",
        "curriculum": str(agency["wrap_id"]),
        "topic": "",
        "held_on": "2026-06-05",
        "starts_at": "09:30",
        "hours": "3",
        "place": "Room 2",
        "format": "in_person",
        "facilitator": str(agency["supervisor"].id),
        "co_facilitator": "",
        "ce_category": "recovery",
        "provider": "State peer network",
        "approval_number": "PA-2026-114",
    }
    data.update(changes)
    return data


def plan(client, agency, **changes: str) -> TrainingSession:
    response = client.post("/training/sessions/new", data=form_data(agency, **changes))
    assert response.status_code == 302, response.get_data(as_text=True)
    return db_session().scalars(select(TrainingSession).order_by(TrainingSession.id.desc())).first()


def db_session():
    from core.extensions import db

    return db.session


def test_a_supervisor_plans_a_session_in_the_agencys_time_zone(client, db, agency):
    sign_in(client, agency["supervisor"])
    form = client.get("/training/sessions/new")
    assert form.status_code == 200
    assert "In the agency&#39;s time zone (America/New_York)" in form.get_data(as_text=True)
    label = re.search(r'<label[^>]*for="co_facilitator"[^>]*>(.*?)</label>', form.get_data(as_text=True), re.S)
    assert label.group(1).count("(optional") == 1, label.group(1)  # it read "Second facilitator (optional) (optional)"
    found = plan(client, agency)
    assert found.held_on == date(2026, 6, 5)
    assert found.starts_at == timeutil.from_local(date(2026, 6, 5), time(9, 30))  # 13:30 UTC in June
    assert found.starts_at.hour == 13
    assert (found.quarter_hours, found.ce_eligible, found.curriculum_id) == (12, True, agency["wrap_id"])
    assert sessions.facilitator_ids(found) == [agency["supervisor"].id]
    [planned] = actions(db, "training.session_planned")
    assert (planned.record_id, planned.actor_id) == (str(found.id), agency["supervisor"].id)
    page = client.get(f"/training/sessions/{found.id}").get_data(as_text=True)
    assert "09:30" in page
    assert "Sam Okafor" in page
    assert "Recovery" in page
    assert "PA-2026-114" in page
    # Everyone signed in reads it; only HR and supervisors see who attended and plan sessions.
    sign_in(client, agency["other"])
    page = client.get(f"/training/sessions/{found.id}").get_data(as_text=True)
    assert "WRAP refresher" in page
    assert "Who attended" not in page
    assert client.get("/training/sessions/new").status_code == 403
    assert client.get("/training/sessions/attendance.csv").status_code == 403


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"facilitator": "OTHER"}, "is not trained to facilitate WRAP"),
        ({"approval_number": ""}, "Enter the provider&#39;s approval number"),
        ({"ce_category": "", "approval_number": "X-1"}, "Choose the CE category its approval is for"),
        ({"curriculum": "", "topic": ""}, "Enter the topic, or choose a curriculum."),
        ({"starts_at": "9.30am"}, "Enter the time as hours and minutes"),
        ({"held_on": "2026-02-30"}, "Enter a real date"),
        ({"hours": "0"}, "Enter how long it lasts"),
        ({"hours": "1.1"}, "Use quarter hours"),
        ({"format": "self_paced"}, "Choose one of the options shown."),
        ({"co_facilitator": "SUPERVISOR"}, "Choose two different people"),
    ],
)
def test_bad_session_input_comes_back_with_the_input_kept(client, db, agency, changes, message):
    sign_in(client, agency["hr"])
    ids = {"OTHER": str(agency["other"].id), "SUPERVISOR": str(agency["supervisor"].id)}
    changes = {key: ids.get(value, value) for key, value in changes.items()}
    response = client.post("/training/sessions/new", data=form_data(agency, place="KEEP-ME", **changes))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert 'value="KEEP-ME"' in html
    assert db.session.scalar(select(func.count()).select_from(TrainingSession)) == 0


def test_a_topic_session_may_be_facilitated_by_anyone_on_staff_and_need_not_be_ce(client, db, agency):
    sign_in(client, agency["hr"])
    found = plan(client, agency, curriculum="", topic="What peer specialists do", facilitator=str(agency["other"].id),
                 ce_category="", provider="", approval_number="")
    assert (found.topic, found.ce_eligible) == ("What peer specialists do", False)
    client.post(f"/training/sessions/{found.id}/attendance",
                data={"staff": agency["peer"].id, "hours": "3", "version": found.version})
    assert db.session.scalar(select(func.count()).select_from(Attendance)) == 1
    assert db.session.scalar(select(func.count()).select_from(CeEntry)) == 0  # not CE: no entry
    assert "Not continuing education" in client.get(f"/training/sessions/{found.id}").get_data(as_text=True)


def test_attendance_recorded_by_the_supervisor_counts_as_approved_ce_in_the_cycle(client, db, agency):
    sign_in(client, agency["supervisor"])
    found = plan(client, agency)
    response = client.post(f"/training/sessions/{found.id}/attendance",
                           data={"staff": agency["peer"].id, "hours": "2.5", "version": found.version})
    assert response.status_code == 302
    [entry] = db.session.scalars(select(CeEntry)).all()
    assert (entry.status, entry.reviewed_by_id, entry.quarter_hours, entry.taken_on, entry.category) == (
        EntryStatus.APPROVED, agency["supervisor"].id, 10, date(2026, 6, 5), "recovery")
    assert (entry.approval_number, entry.provider, entry.evidence_id) == ("PA-2026-114", "State peer network", None)
    cycle = db.session.scalar(select(Cycle).where(Cycle.certification_id == agency["certification"].id))
    assert cycle.counted_qh == 10
    [recorded] = actions(db, "training.attendance_recorded")
    assert recorded.detail == f"staff {agency['peer'].id}, 10 quarter hours"
    page = client.get(f"/training/sessions/{found.id}").get_data(as_text=True)
    assert "Counts toward their certification" in page
    # The person sees it on their certification and cannot correct it: the session is where it changes.
    sign_in(client, agency["peer"])
    entry_page = client.get(f"/training/ce/{entry.id}").get_data(as_text=True)
    assert "a staff training session" in entry_page
    assert "Correct this course" not in entry_page
    assert client.get(f"/training/ce/{entry.id}/edit").status_code in (403, 404)

    # Hours changed by adding the person again; the entry and the totals follow.
    sign_in(client, agency["supervisor"])
    db.session.expire_all()
    version = db.session.get(TrainingSession, found.id).version
    client.post(f"/training/sessions/{found.id}/attendance",
                data={"staff": agency["peer"].id, "hours": "3", "version": version})
    db.session.expire_all()
    assert db.session.scalar(select(CeEntry.quarter_hours)) == 12
    assert db.session.get(Cycle, cycle.id).counted_qh == 12
    assert len(actions(db, "training.attendance_changed")) == 1

    # Removed: the entry goes, and its hours with it.
    attendance = db.session.scalar(select(Attendance))
    version = db.session.get(TrainingSession, found.id).version
    assert client.post(f"/training/sessions/{found.id}/attendance/{attendance.id}/remove",
                       data={"version": version}).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(CeEntry)) == 0
    assert db.session.get(Cycle, cycle.id).counted_qh == 0
    assert len(actions(db, "training.attendance_removed")) == 1


def test_attendance_hr_records_waits_for_the_supervisors_approval_like_any_course(client, db, agency):
    sign_in(client, agency["hr"])
    found = plan(client, agency)
    client.post(f"/training/sessions/{found.id}/attendance",
                data={"staff": agency["peer"].id, "hours": "3", "version": found.version})
    [entry] = db.session.scalars(select(CeEntry)).all()
    assert entry.status == EntryStatus.SUBMITTED
    assert db.session.scalar(select(Cycle.counted_qh).where(Cycle.certification_id == entry.certification_id)) == 0
    assert "Waiting for their supervisor" in client.get(f"/training/sessions/{found.id}").get_data(as_text=True)
    sign_in(client, agency["supervisor"])
    assert client.post(f"/training/ce/{entry.id}/approve", data={"version": entry.version}).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(Cycle.counted_qh).where(Cycle.certification_id == entry.certification_id)) == 12


def test_the_session_counts_once_per_cycle_and_in_the_cycle_holding_its_day(client, db, agency):
    peer, certification = agency["peer"], agency["certification"]
    approved(certification, peer, title="WRAP Refresher", provider="State Peer Network", taken_on=date(2026, 3, 1),
             quarter_hours=8, category="recovery")  # the same course, logged by the person earlier in the cycle
    db.session.commit()
    sign_in(client, agency["supervisor"])
    found = plan(client, agency)
    client.post(f"/training/sessions/{found.id}/attendance",
                data={"staff": peer.id, "hours": "3", "version": found.version})
    cycle = db.session.scalar(select(Cycle).where(Cycle.certification_id == certification.id))
    db.session.refresh(cycle)
    assert cycle.counted_qh == 8  # the first of the two counts, the session's repeat does not

    # Moved to a day after the certification's last cycle: it counts in no cycle until a renewal adds it.
    db.session.expire_all()
    version = db.session.get(TrainingSession, found.id).version
    sign_in(client, agency["hr"])
    cert_version = db.session.get(type(certification), certification.id).version
    client.post(f"/training/certifications/{certification.id}/edit", data={
        "issued_on": "2025-01-01", "expires_on": "2026-06-01", "hold": "none", "version": cert_version})
    sign_in(client, agency["supervisor"])
    response = client.post(f"/training/sessions/{found.id}/edit",
                           data={**form_data(agency, title="Advanced WRAP", held_on="2026-06-08"),
                                 "version": version})
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    [entry] = db.session.scalars(select(CeEntry).where(CeEntry.attendance_id.is_not(None))).all()
    assert (entry.title, entry.taken_on) == ("Advanced WRAP", date(2026, 6, 8))
    assert db.session.get(Cycle, cycle.id).counted_qh == 8
    [changed] = actions(db, "training.session_changed")
    assert changed.detail == "title, day and time"

    # No longer CE-eligible: its entries go.
    version = db.session.get(TrainingSession, found.id).version
    client.post(f"/training/sessions/{found.id}/edit", data={
        **form_data(agency, title="Advanced WRAP", held_on="2026-06-08", ce_category="", approval_number=""),
        "version": version})
    assert db.session.scalar(select(func.count()).select_from(CeEntry).where(CeEntry.attendance_id.is_not(None))) == 0


def test_attendance_waits_for_the_session_and_for_the_hours_it_lasted(client, db, agency):
    sign_in(client, agency["supervisor"])
    later = plan(client, agency, held_on="2026-06-20")
    response = client.post(f"/training/sessions/{later.id}/attendance",
                           data={"staff": agency["peer"].id, "hours": "3", "version": later.version})
    assert response.status_code == 400
    assert "once it has taken place" in response.get_data(as_text=True)
    done = plan(client, agency)
    response = client.post(f"/training/sessions/{done.id}/attendance",
                           data={"staff": agency["peer"].id, "hours": "4", "version": done.version})
    assert response.status_code == 400
    assert "at most the session" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Attendance)) == 0


def test_a_stale_session_edit_is_refused_with_409_and_the_input_kept(client, db, agency):
    sign_in(client, agency["hr"])
    found = plan(client, agency)
    loaded = found.version
    first = client.post(f"/training/sessions/{found.id}/edit",
                        data={**form_data(agency, place="Room 5"), "version": loaded})
    assert first.status_code == 302
    late = client.post(f"/training/sessions/{found.id}/edit",
                       data={**form_data(agency, place="KEEP-THIS-ROOM"), "version": loaded})
    assert late.status_code == 409
    html = late.get_data(as_text=True)
    assert "KEEP-THIS-ROOM" in html
    assert "Someone else changed this session first" in html
    db.session.expire_all()
    assert db.session.get(TrainingSession, found.id).place == "Room 5"
    stale = client.post(f"/training/sessions/{found.id}/attendance",
                        data={"staff": agency["peer"].id, "hours": "3", "version": loaded})
    assert stale.status_code == 409
    assert db.session.scalar(select(func.count()).select_from(Attendance)) == 0


def test_a_session_planned_from_a_readiness_action_is_its_training_session_link(client, db, agency):
    from tests.readiness.test_actions import make_action

    campaign = _campaign(agency["hr"])
    action = make_action(campaign, agency["hr"].id, agency["hr"])
    sign_in(client, agency["hr"])
    form = client.get(f"/training/sessions/new?action={action.id}").get_data(as_text=True)
    assert "Boundaries session" in form
    assert f'name="action" type="hidden" value="{action.id}"' in form
    response = client.post("/training/sessions/new", data={**form_data(agency, title="Boundaries session"),
                                                          "action": str(action.id)})
    assert response.status_code == 302
    db.session.expire_all()
    found = db.session.scalars(select(TrainingSession)).one()
    assert db.session.get(Action, action.id).training_session_id == found.id
    listing = client.get(f"/readiness/campaigns/{campaign.id}/actions").get_data(as_text=True)
    assert f'href="/training/sessions/{found.id}"' in listing
    edit = client.get(f"/readiness/actions/{action.id}/edit").get_data(as_text=True)
    assert f'href="/training/sessions/{found.id}"' in edit
    page = client.get(f"/training/sessions/{found.id}").get_data(as_text=True)
    assert "Planned for" in page
    assert "Boundaries session" in page
    [linked] = [e for e in actions(db, "readiness.action_updated") if e.record_id == str(action.id)]
    assert linked.detail == f"training session {found.id} planned for it"
    # A supervisor (no access to the action plan) plans a plain session: the action is not touched.
    sign_in(client, agency["supervisor"])
    client.post("/training/sessions/new", data={**form_data(agency), "action": str(action.id)})
    db.session.expire_all()
    assert db.session.get(Action, action.id).training_session_id == found.id


def _campaign(hr):
    from readiness.models import Campaign
    from readiness.services import default_instrument

    instrument = default_instrument.ensure_default_instrument()
    campaign = Campaign(instrument_id=instrument.id, name="Baseline", wave="baseline",
                        opens_on=date(2026, 5, 1), closes_on=date(2026, 6, 30), created_by_id=hr.id)
    db_session().add(campaign)
    db_session().commit()
    return campaign


def test_the_list_searches_pages_and_downloads_attendance_with_the_same_queries(client, db, agency):
    sign_in(client, agency["hr"])
    supervisor = agency["supervisor"].id
    for n in range(30):
        sessions.plan(sessions.SessionDetails(
            f"Boundaries {n:02d}", None, "Boundaries", date(2026, 5, 20) + timedelta(days=n), time(10), 4, "",
            "in_person", (supervisor,), "", "", ""), agency["hr"])
    db.session.commit()
    first = client.get("/training/sessions").get_data(as_text=True)
    assert "Boundaries 29" in first
    assert "Boundaries 04" not in first
    assert "page 1 of 2" in first
    assert "Boundaries 04" in client.get("/training/sessions?page=2").get_data(as_text=True)
    found = client.get("/training/sessions?q=boundaries+07").get_data(as_text=True)
    assert "Boundaries 07" in found
    assert "Boundaries 08" not in found
    assert "Boundaries 29" not in client.get("/training/sessions?when=past").get_data(as_text=True)
    people, hr_id = (agency["peer"].id, agency["other"].id), agency["hr"].id
    wrap = plan(client, agency)
    wrap_id = wrap.id
    for person in people:
        version = db.session.get(TrainingSession, wrap.id).version
        client.post(f"/training/sessions/{wrap.id}/attendance", data={"staff": person, "hours": "3",
                                                                       "version": version})
    small = fresh_queries_for(client, "/training/sessions?q=wrap")
    large = fresh_queries_for(client, "/training/sessions")
    assert small == large
    csv = client.get("/training/sessions/attendance.csv?q=wrap").get_data(as_text=True)
    lines = csv.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Session,Curriculum or topic,Day,Starts")
    assert lines[1:] == [
        "WRAP refresher,WRAP (Wellness Recovery Action Plan),2026-06-05,09:30,3,Ari Lund,3,"
        "Recovery and wellness practice,State peer network,PA-2026-114,yes",
        "WRAP refresher,WRAP (Wellness Recovery Action Plan),2026-06-05,09:30,3,Riley Hart,3,"
        "Recovery and wellness practice,State peer network,PA-2026-114,yes",
    ]
    [exported] = actions(db, "training.attendance_exported")
    assert exported.actor_id == hr_id
    one = client.get(f"/training/sessions/attendance.csv?session={wrap_id}").get_data(as_text=True)
    assert one == csv
    assert client.get("/training/sessions/attendance.csv?session=x").status_code == 200
    assert f"session={wrap_id}" in client.get(f"/training/sessions/{wrap_id}").get_data(as_text=True)


def test_a_new_time_zone_moves_a_sessions_day_and_its_entries(client, db, agency):
    sign_in(client, agency["supervisor"])
    late = plan(client, agency, held_on="2026-06-04", starts_at="22:30")  # 02:30 UTC on the 5th
    client.post(f"/training/sessions/{late.id}/attendance",
                data={"staff": agency["peer"].id, "hours": "3", "version": late.version})
    from core import settings

    settings.put(timeutil.SETTING, "Europe/Berlin")
    timeutil.zone_changed()
    db.session.expire_all()
    assert db.session.get(TrainingSession, late.id).held_on == date(2026, 6, 5)
    assert db.session.scalar(select(CeEntry.taken_on)) == date(2026, 6, 5)


def test_the_link_from_attendance_to_its_session_is_for_those_who_may_see_the_attendee(client, db, agency):
    sign_in(client, agency["supervisor"])
    found = plan(client, agency)
    client.post(f"/training/sessions/{found.id}/attendance",
                data={"staff": agency["peer"].id, "hours": "2", "version": found.version})
    attendance = db.session.scalar(select(Attendance))
    to_session = f"/training/sessions/{found.id}"
    for person in ("supervisor", "peer", "hr"):
        sign_in(client, agency[person])
        response = client.get(f"/training/attendance/{attendance.id}")
        assert response.status_code == 302, person
        assert response.headers["Location"].endswith(to_session), person
    # Another peer gets exactly what a missing id gets, and the refusal is audited.
    sign_in(client, agency["other"])
    client.get("/")  # the messages shown to the people before
    hidden = client.get(f"/training/attendance/{attendance.id}")
    missing = client.get(f"/training/attendance/{attendance.id + 1000}")
    assert hidden.status_code == missing.status_code == 404
    assert normalized(hidden) == normalized(missing)
    refused = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "access.denied",
                                                         AuditEntry.record_type == "Attendance:view")).all()
    assert [entry.record_id for entry in refused] == [str(attendance.id), str(attendance.id + 1000)]
