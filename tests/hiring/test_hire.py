"""Hiring a candidate creates the staff member through the admin service (invited, on the team, a peer specialist,
the invitation in the outbox), records which posting filled the role, and can close the posting. Candidate data is
kept for the months the agency sets after a posting closes; `flask hiring purge-candidates` then removes the
candidates, their résumés and scores, and audits how many, never who."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from core import settings
from core.models import AuditEntry, OutboxEmail, Role, Staff, StaffStatus, Upload
from hiring.models import Application, Candidate, CandidateEvent, Hire, Posting, Score, Scorecard
from hiring.services import retention
from tests.factories import make_staff, make_team
from tests.hiring.helpers import COMPETENCIES, applicant, make_hr, moved, published, ready_panel, scored


@pytest.fixture
def offer(db):
    """Robin at "offer" on a published posting for a team with a peer specialist."""
    hr = make_hr()
    team = make_team(name="Vocational team")
    make_staff(Role.PEER, teams=[team], program=team.program)
    job = published(hr, team=team, title="Peer Specialist, Supported Employment")
    ready_panel(job, hr=hr)
    robin = applicant(job, "Robin Vega", email="robin.vega@example.org")
    for stage in ("screened", "interview", "offer"):
        moved(robin, stage, hr)
    db.session.commit()
    return {"job": job, "robin": robin, "team": team}


def hire_form(page: str) -> dict[str, str]:
    """What a browser sends from the page's hire form, as the page shows it."""
    from tests.core.test_stale_edits import forms_on

    [form] = [form for form in forms_on(page) if form.action.endswith("/hire")]
    return dict(form.data({}).items())


def test_hiring_invites_a_peer_specialist_on_the_team_records_the_posting_and_closes_it(client, db, offer, login_as):
    hr = login_as(Role.HR)
    robin, job, team = offer["robin"], offer["job"], offer["team"]
    page = client.get(f"/hiring/candidates/{robin.id}").get_data(as_text=True)
    assert "Hire Robin Vega" in page
    sent = hire_form(page)
    assert sent["name"] == "Robin Vega"
    assert sent["email"] == "robin.vega@example.org"
    assert sent["team"] == str(team.id)
    assert sent.get("close_posting") == "y"

    response = client.post(f"/hiring/candidates/{robin.id}/hire", data=sent)

    assert response.status_code == 302
    person = db.session.scalar(select(Staff).where(Staff.email == "robin.vega@example.org"))
    assert person.status == StaffStatus.INVITED
    assert person.password_hash is None
    assert person.roles == {Role.PEER}
    assert [t.id for t in person.teams] == [team.id]
    assert person.program_id == team.program_id
    assert person.job_title == "Peer Specialist, Supported Employment"
    [email] = db.session.scalars(
        select(OutboxEmail).where(OutboxEmail.to_address == "robin.vega@example.org", OutboxEmail.kind == "invitation")
    ).all()
    assert "choose your password" in email.body
    [hire] = db.session.scalars(select(Hire)).all()
    assert (hire.posting_id, hire.staff_id, hire.candidate_id, hire.hired_by_id) == (job.id, person.id, robin.id, hr.id)
    db.session.refresh(robin)
    assert robin.stage == "hired"
    db.session.refresh(job)
    assert job.status == "closed"
    assert client.get(f"/careers/{job.id}").status_code == 404
    invited = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "staff.invited")).all()
    assert [entry.record_id for entry in invited] == [str(person.id)]  # made by the admin service
    [hired] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "hiring.hired")).all()
    assert hired.detail == f"posting {job.id}, staff {person.id}"
    posting_page = client.get(f"/hiring/postings/{job.id}").get_data(as_text=True)
    assert "Hired through this posting" in posting_page
    assert "Robin Vega, peer specialist, hired" in posting_page
    candidate_page = client.get(f"/hiring/candidates/{robin.id}").get_data(as_text=True)
    assert "joined as a peer specialist" in candidate_page
    assert "Hire Robin Vega" not in candidate_page
    assert "Move to another stage" not in candidate_page


def test_the_posting_can_stay_open_to_hire_a_second_peer(client, db, offer, login_as):
    login_as(Role.HR)
    robin, job = offer["robin"], offer["job"]
    sent = hire_form(client.get(f"/hiring/candidates/{robin.id}").get_data(as_text=True))
    sent.pop("close_posting", None)
    assert client.post(f"/hiring/candidates/{robin.id}/hire", data=sent).status_code == 302
    db.session.refresh(job)
    assert job.status == "published"


def test_an_email_already_in_use_comes_back_next_to_its_field_with_the_input_kept(client, db, offer, login_as):
    login_as(Role.HR)
    make_staff(Role.STAFF, email="taken@example.org")
    db.session.commit()
    robin = offer["robin"]
    sent = hire_form(client.get(f"/hiring/candidates/{robin.id}").get_data(as_text=True))
    sent.update(email="taken@example.org", job_title="Peer Specialist, night shift")

    response = client.post(f"/hiring/candidates/{robin.id}/hire", data=sent)

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Someone with this email address already has an account" in page
    assert 'value="Peer Specialist, night shift"' in page
    assert db.session.scalar(select(func.count()).select_from(Hire)) == 0
    db.session.refresh(robin)
    assert robin.stage == "offer"


def test_only_a_candidate_at_offer_is_hired_and_only_by_hr(client, db, offer, login_as):
    hr = make_hr()
    early = applicant(offer["job"], "Sam Early")
    db.session.commit()
    login_as(Role.HR)
    refused = client.post(
        f"/hiring/candidates/{early.id}/hire",
        data={"name": "Sam Early", "email": "sam@example.org", "team": offer["team"].id, "version": early.version},
    )
    assert refused.status_code == 400
    assert "Only a candidate at “Offer” can be hired" in refused.get_data(as_text=True)
    assert db.session.scalar(select(Staff).where(Staff.email == "sam@example.org")) is None

    login_as(Role.PEER)
    robin = offer["robin"]
    assert (
        client.post(
            f"/hiring/candidates/{robin.id}/hire",
            data={"name": "x", "email": "x@example.org", "team": offer["team"].id, "version": robin.version},
        ).status_code
        == 403
    )
    assert hr


def test_a_second_tab_hiring_a_candidate_already_moved_gets_409(client, db, offer, login_as):
    login_as(Role.HR)
    robin = offer["robin"]
    sent = hire_form(client.get(f"/hiring/candidates/{robin.id}").get_data(as_text=True))
    assert (
        client.post(
            f"/hiring/candidates/{robin.id}/move", data={"to_stage": "withdrawn", "version": sent["version"]}
        ).status_code
        == 302
    )

    stale = client.post(f"/hiring/candidates/{robin.id}/hire", data=sent)

    assert stale.status_code == 409
    assert "nobody was hired" in stale.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Hire)) == 0


# Retention --------------------------------------------------------------------------------------------------------


def close(db, posting: Posting, days_ago: int) -> None:
    from core import timeutil

    posting.status = "closed"
    posting.closed_at = timeutil.utcnow() - timedelta(days=days_ago)
    db.session.flush()


@pytest.fixture
def postings_of_all_ages(db):
    hr = make_hr()
    old = published(hr, title="Old job")
    ready_panel(old, hr=hr)
    hired_person = applicant(old, "Hired Person")
    others = [applicant(old, f"Old Candidate {n}") for n in range(3)]
    interviewer = make_staff(Role.PEER, name="Scoring Peer")
    from hiring.services import panels

    panels.add_member(old, interviewer.id, panels.panel_of(old).version, hr)
    moved(others[0], "interview", hr)
    scored(others[0], interviewer, dict.fromkeys(COMPETENCIES, 3))
    staff = make_staff(Role.PEER, name="Hired Person", status=StaffStatus.INVITED)
    hired_person.stage = "hired"
    db.session.add(Hire(posting_id=old.id, staff_id=staff.id, candidate_id=hired_person.id))
    close(db, old, days_ago=400)  # 13 months and more
    applicant(published(hr, title="Another open job"), "Old Candidate 1")  # the same address: its email stays
    recent = published(hr, title="Recent job")
    kept_recent = applicant(recent, "Recent Candidate")
    close(db, recent, days_ago=20)
    still_open = published(hr, title="Open job")
    kept_open = applicant(still_open, "Open Candidate")
    db.session.commit()
    return {"old": old.id, "recent": kept_recent.id, "open": kept_open.id, "staff": staff.id}


def test_purge_removes_expired_candidates_their_files_and_scores_and_audits_counts_only(
    runner, db, postings_of_all_ages
):
    uploads_before = db.session.scalar(select(func.count()).select_from(Upload))

    result = runner.invoke(args=["hiring", "purge-candidates"])

    assert result.exit_code == 0, result.output
    assert (
        "Removed 4 candidate(s), 4 résumé file(s), 1 scorecard(s) and 3 confirmation email(s) of 1 posting(s) "
        "closed more than 12"
    ) in result.output
    remaining = sorted(c.application.name for c in db.session.scalars(select(Candidate)))
    assert remaining == ["Old Candidate 1", "Open Candidate", "Recent Candidate"]  # the first applied again
    assert db.session.scalar(select(func.count()).select_from(Upload)) == uploads_before - 4
    assert db.session.scalar(select(func.count()).select_from(Application)) == 3
    assert db.session.scalar(select(func.count()).select_from(Scorecard)) == 0
    assert db.session.scalar(select(func.count()).select_from(Score)) == 0
    old_events = (
        select(func.count()).select_from(CandidateEvent).where(CandidateEvent.candidate_id.not_in(select(Candidate.id)))
    )
    assert db.session.scalar(old_events) == 0
    [hire] = db.session.scalars(select(Hire)).all()  # which posting filled the role stays; the staff member stays
    assert (hire.posting_id, hire.staff_id, hire.candidate_id) == (
        postings_of_all_ages["old"],
        postings_of_all_ages["staff"],
        None,
    )
    assert db.session.get(Staff, postings_of_all_ages["staff"]) is not None
    assert db.session.get(Posting, postings_of_all_ages["old"]) is not None
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "hiring.candidates_purged")).all()
    assert entry.detail.startswith("4 candidates, 4 files, 1 scorecards, 3 emails from 1 postings closed before ")
    kept_emails = db.session.scalars(select(OutboxEmail.to_address).where(OutboxEmail.kind == "hiring_application"))
    assert sorted(kept_emails) == [  # an address that also applied to an open posting keeps its emails
        "old.candidate.1@example.org",
        "old.candidate.1@example.org",
        "open.candidate@example.org",
        "recent.candidate@example.org",
    ]
    for name in ("Hired Person", "Old Candidate", "Robin"):
        assert name not in entry.detail

    again = runner.invoke(args=["hiring", "purge-candidates"])
    assert "Removed 0 candidate(s)" in again.output


def test_the_retention_period_is_the_agencys_setting(runner, db, postings_of_all_ages):
    settings.put("hiring_retention_months", "24")
    db.session.commit()
    assert retention.pending() == 0
    assert "Removed 0 candidate(s)" in runner.invoke(args=["hiring", "purge-candidates"]).output

    settings.put("hiring_retention_months", "1")
    db.session.commit()
    assert retention.pending() == 4
    result = runner.invoke(args=["hiring", "purge-candidates"])
    assert "Removed 4 candidate(s)" in result.output  # the posting closed 20 days ago is not a month old yet


def test_months_are_calendar_months():
    assert retention.months_before(datetime(2026, 3, 31, 12), 1) == datetime(2026, 2, 28, 12)
    assert retention.months_before(datetime(2026, 1, 15), 12) == datetime(2025, 1, 15)
    assert retention.months_before(datetime(2024, 3, 30), 13) == datetime(2023, 2, 28)


def test_the_administrator_sets_the_retention_period_from_1_to_120_months(client, db, login_as):
    login_as(Role.ADMIN)
    page = client.get("/admin/settings").get_data(as_text=True)
    assert "Months to keep a closed posting&#39;s candidates" in page or "Months to keep a closed posting's" in page
    version = re.search(r'name="version" type="hidden" value="([^"]+)"', page).group(1)

    bad = client.post(
        "/admin/settings", data={"time_zone": "America/New_York", "hiring_retention_months": "0", "version": version}
    )
    assert bad.status_code == 400
    assert "from 1 to 120" in bad.get_data(as_text=True)
    good = client.post(
        "/admin/settings", data={"time_zone": "America/New_York", "hiring_retention_months": "18", "version": version}
    )
    assert good.status_code == 302
    assert settings.get("hiring_retention_months") == "18"
    assert retention.months() == 18
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.record_id == "hiring_retention_months")).all()
    assert entry.detail == "hiring_retention_months 18"


def test_hiring_starts_the_new_peers_orientation_checklist(client, db, offer, login_as):
    """Hiring goes through the admin invitation, so training's ``when_invited`` starts the orientation that day,
    with every item of the agency's template, each due on its day, and nothing signed yet."""
    from core import timeutil
    from training.models import Orientation
    from training.services import orientation

    hr = login_as(Role.HR)
    robin = offer["robin"]
    sent = hire_form(client.get(f"/hiring/candidates/{robin.id}").get_data(as_text=True))

    assert client.post(f"/hiring/candidates/{robin.id}/hire", data=sent).status_code == 302

    person = db.session.scalar(select(Staff).where(Staff.email == "robin.vega@example.org"))
    [started] = db.session.scalars(select(Orientation).where(Orientation.staff_id == person.id)).all()
    assert started.starts_on == timeutil.today()
    assert started.assigned_by_id == hr.id
    items = sorted(orientation.items_of(started), key=lambda item: item.position)
    assert [(item.text, item.due_on) for item in items] == [
        (text, started.starts_on + timedelta(days=day)) for text, day in orientation.shipped_items()
    ]
    assert not any(item.staff_signed_at or item.supervisor_signed_at for item in items)
    [assigned] = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "training.orientation_assigned")
    ).all()
    assert (assigned.record_id, assigned.detail) == (str(started.id), f"staff {person.id}")
