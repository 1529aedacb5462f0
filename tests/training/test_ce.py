"""Continuing education: a peer logs a course with its certificate (checked by content, size-limited), sees progress;
only a supervisor above them approves or returns it; an entry counts in exactly one cycle, the same course twice in
a cycle counts once; the certificate is served only to the peer, their supervisor chain and HR."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import select

from core import uploads
from core.models import AuditEntry, Notification, OutboxEmail, Role, Upload
from tests import factories
from tests.training.helpers import JPEG_BYTES, PDF_BYTES, PNG_BYTES, approved, certify, log, make_credential
from training.models import CeEntry, Cycle, EntryStatus
from training.services import certifications, progress


def sign_in(client, person) -> None:
    token = factories.start_session(person)
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True


@pytest.fixture
def team(db, frozen_time):
    frozen_time.at("2026-06-01 10:00")
    supervisor = factories.make_staff(Role.SUPERVISOR, name="Sam Okafor")
    peer = factories.make_staff(Role.PEER, name="Pat Delgado", supervisor=supervisor)
    credential = make_credential(hours=12, minimums={"ethics": 3}, max_online=6)
    certification = certify(peer, credential, date(2025, 1, 1), date(2026, 12, 31))
    db.session.commit()
    return {"supervisor": supervisor, "peer": peer, "certification": certification}


def form(**fields: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": "Ethics and boundaries for peers",
        "provider": "Peer Network",
        "approval_number": "PN-77",
        "taken_on": "2026-05-20",
        "hours": "1.5",
        "category": "ethics",
        "format": "in_person",
        "certificate": (io.BytesIO(PDF_BYTES), "Certificate (final).pdf"),
    }
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


def test_a_peer_logs_a_course_with_a_certificate_and_the_supervisor_is_told(client, db, team):
    sign_in(client, team["peer"])
    url = f"/training/certifications/{team['certification'].id}/ce/new"
    response = client.post(url, data=form(), content_type="multipart/form-data")
    assert response.status_code == 302, response.data
    entry = db.session.scalar(select(CeEntry))
    assert (entry.quarter_hours, entry.status, entry.staff_id) == (6, EntryStatus.SUBMITTED, team["peer"].id)
    upload = db.session.get(Upload, entry.evidence_id)
    assert (upload.purpose, upload.filename, upload.content_type) == (
        "training.certificate",
        "Certificate-final.pdf",
        "application/pdf",
    )
    [notice] = db.session.scalars(select(Notification).where(Notification.staff_id == team["supervisor"].id)).all()
    assert "Pat Delgado logged continuing education" in notice.text
    assert db.session.scalar(select(OutboxEmail).where(OutboxEmail.to_address == team["supervisor"].email))
    page = client.get(f"/training/certifications/{team['certification'].id}")
    assert b"Waiting for approval" in page.data
    assert b"0 hours counted of 12 hours" in page.data  # only approved hours count


@pytest.mark.parametrize(
    ("data", "name", "kind"),
    [
        (PNG_BYTES, "photo.png", "image/png"),
        (JPEG_BYTES, "scan.jpeg", "image/jpeg"),
        (PNG_BYTES, "photo.pdf", "image/png"),
    ],
)
def test_a_photo_or_scan_of_the_certificate_is_taken_by_its_content(client, db, team, data, name, kind):
    sign_in(client, team["peer"])
    response = client.post(
        f"/training/certifications/{team['certification'].id}/ce/new",
        data=form(certificate=(io.BytesIO(data), name)),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.data
    upload = db.session.get(Upload, db.session.scalar(select(CeEntry.evidence_id)))
    assert upload.content_type == kind
    assert upload.filename.endswith(uploads.ENDINGS[kind])


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"MZ\x90\x00" + b"\x00" * 64, "certificate.pdf", b"is not a PDF, PNG or JPEG file"),
        (b"just text", "certificate.png", b"is not a PDF, PNG or JPEG file"),
        (PDF_BYTES + b"\x00" * (5 * 1024 * 1024), "big.pdf", b"larger than 5 MB"),
        (b"", "", b"Choose the certificate to send"),
    ],
)
def test_anything_else_is_refused_next_to_the_field_with_the_rest_kept(client, db, team, data, name, message):
    sign_in(client, team["peer"])
    response = client.post(
        f"/training/certifications/{team['certification'].id}/ce/new",
        data=form(certificate=(io.BytesIO(data), name)),
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert message in response.data
    assert b"Ethics and boundaries for peers" in response.data
    assert db.session.scalar(select(CeEntry)) is None
    assert db.session.scalar(select(Upload)) is None


def test_hours_must_be_quarter_hours_and_the_date_not_after_today(client, db, team):
    sign_in(client, team["peer"])
    url = f"/training/certifications/{team['certification'].id}/ce/new"
    response = client.post(url, data=form(hours="1.3", taken_on="2026-06-02"), content_type="multipart/form-data")
    assert response.status_code == 400
    assert b"Use quarter hours" in response.data
    response = client.post(url, data=form(taken_on="2026-06-02"), content_type="multipart/form-data")
    assert b"cannot be after today" in response.data


def test_a_peer_logs_only_for_their_own_certification(client, db, team):
    other = factories.make_staff(Role.PEER, supervisor=team["supervisor"])
    sign_in(client, other)
    response = client.post(
        f"/training/certifications/{team['certification'].id}/ce/new", data=form(), content_type="multipart/form-data"
    )
    assert response.status_code == 404
    sign_in(client, team["supervisor"])  # the supervisor reads it, but does not log for them
    assert client.get(f"/training/certifications/{team['certification'].id}/ce/new").status_code == 403


def test_the_supervisor_approves_and_the_hours_count(client, db, team):
    entry = log(team["certification"], team["peer"], quarter_hours=12, taken_on=date(2026, 5, 1))
    db.session.commit()
    sign_in(client, team["supervisor"])
    assert b"Ethics in peer support" in client.get("/training/review").data
    response = client.post(f"/training/ce/{entry.id}/approve", data={"version": entry.version})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(CeEntry, entry.id).status == EntryStatus.APPROVED
    cycle = db.session.scalar(select(Cycle))
    assert (cycle.counted_qh, cycle.missing_qh) == (12, 36)
    sign_in(client, team["peer"])
    page = client.get(f"/training/certifications/{team['certification'].id}")
    assert b"3 hours counted of 12 hours" in page.data
    assert b"Still needed: 9 hours by Thursday 31 December 2026" in page.data


def test_a_supervisor_returns_an_entry_with_a_reason_and_the_peer_corrects_it(client, db, team):
    entry = log(team["certification"], team["peer"])
    db.session.commit()
    sign_in(client, team["supervisor"])
    short = client.post(f"/training/ce/{entry.id}/return", data={"reason": "   no  ", "version": entry.version})
    assert short.status_code == 400
    response = client.post(
        f"/training/ce/{entry.id}/return",
        data={"reason": "The certificate shows 1 hour, not 2.", "version": entry.version},
    )
    assert response.status_code == 302
    db.session.expire_all()
    returned = db.session.get(CeEntry, entry.id)
    assert (returned.status, returned.return_reason) == (EntryStatus.RETURNED, "The certificate shows 1 hour, not 2.")
    sign_in(client, team["peer"])
    edit = client.get(f"/training/ce/{entry.id}/edit")
    assert b"The certificate shows 1 hour, not 2." in edit.data
    response = client.post(
        f"/training/ce/{entry.id}/edit",
        data=form(hours="1", certificate=None, version=returned.version),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.data
    db.session.expire_all()
    corrected = db.session.get(CeEntry, entry.id)
    assert (corrected.status, corrected.quarter_hours) == (EntryStatus.SUBMITTED, 4)
    assert corrected.evidence_id == returned.evidence_id  # no new file: the certificate sent before is kept


def test_a_peer_cannot_approve_their_own_entry_even_as_a_supervisor(client, db, team):
    boss = factories.make_staff(Role.SUPERVISOR)
    supervising_peer = factories.make_staff(Role.SUPERVISOR, Role.PEER, supervisor=boss)
    own = certify(supervising_peer, make_credential("Other credential"), date(2025, 1, 1), date(2026, 12, 31))
    entry = log(own, supervising_peer)
    db.session.commit()
    sign_in(client, supervising_peer)
    response = client.post(f"/training/ce/{entry.id}/approve", data={"version": entry.version})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(CeEntry, entry.id).status == EntryStatus.SUBMITTED
    assert b"Approve" not in client.get(f"/training/ce/{entry.id}").data
    sign_in(client, boss)  # their own supervisor can
    assert client.post(f"/training/ce/{entry.id}/approve", data={"version": entry.version}).status_code == 302


def test_a_supervisor_approves_only_their_reports_direct_or_indirect(client, db, team):
    entry = log(team["certification"], team["peer"])
    above = factories.make_staff(Role.SUPERVISOR)
    team["supervisor"].supervisor = above
    stranger = factories.make_staff(Role.SUPERVISOR)
    hr = factories.make_staff(Role.HR)
    db.session.commit()
    for person, expected in [(stranger, 404), (hr, 403)]:
        sign_in(client, person)
        assert client.post(f"/training/ce/{entry.id}/approve", data={"version": entry.version}).status_code == expected
    db.session.expire_all()
    assert db.session.get(CeEntry, entry.id).status == EntryStatus.SUBMITTED
    denied = db.session.scalars(select(AuditEntry).where(AuditEntry.outcome == "denied")).all()
    assert len(denied) == 2
    sign_in(client, above)
    assert client.post(f"/training/ce/{entry.id}/approve", data={"version": entry.version}).status_code == 302


def test_two_supervisors_approving_at_once_approve_once(client, db, team):
    entry = log(team["certification"], team["peer"])
    db.session.commit()
    sign_in(client, team["supervisor"])
    loaded = entry.version
    assert client.post(f"/training/ce/{entry.id}/approve", data={"version": loaded}).status_code == 302
    late = client.post(
        f"/training/ce/{entry.id}/return", data={"reason": "Wrong date on it, please fix", "version": loaded}
    )
    assert late.status_code == 409
    assert b"Wrong date on it, please fix" in late.data
    db.session.expire_all()
    assert db.session.get(CeEntry, entry.id).status == EntryStatus.APPROVED


def test_an_entry_counts_in_exactly_the_one_cycle_holding_its_date(db, team, frozen_time):
    frozen_time.at("2027-02-01 10:00")
    hr = factories.make_staff(Role.HR)
    found = team["certification"]
    certifications.renew(found, date(2028, 12, 31), found.version, hr)
    last_day = approved(found, team["peer"], title="Last day", taken_on=date(2026, 12, 31), quarter_hours=4)
    first_day = approved(found, team["peer"], title="First day", taken_on=date(2027, 1, 1), quarter_hours=8)
    cycles = db.session.scalars(select(Cycle).order_by(Cycle.number)).all()
    assert [c.logged_qh for c in cycles] == [4, 8]
    counted = progress.counted_entries(Cycle.id.in_([c.id for c in cycles]))
    rows = db.session.execute(select(counted.c.entry_id, counted.c.cycle_id)).all()
    assert sorted(rows) == sorted([(last_day.id, cycles[0].id), (first_day.id, cycles[1].id)])


def test_the_same_course_twice_in_a_cycle_counts_once(client, db, team):
    found = team["certification"]
    first = approved(
        found,
        team["peer"],
        title="WRAP Seminar",
        provider="Copeland Center",
        quarter_hours=8,
        taken_on=date(2026, 2, 1),
    )
    again = approved(
        found,
        team["peer"],
        title="  wrap seminar. ",
        provider="COPELAND center",
        quarter_hours=8,
        taken_on=date(2026, 4, 1),
        category="recovery",
    )
    other = approved(
        found,
        team["peer"],
        title="WRAP Seminar, part 2",
        provider="Copeland Center",
        quarter_hours=4,
        taken_on=date(2026, 4, 2),
    )
    db.session.commit()
    cycle = db.session.scalar(select(Cycle))
    assert cycle.logged_qh == 12
    sign_in(client, team["peer"])
    page = client.get(f"/training/certifications/{found.id}").data
    assert b"the same course as an earlier one, counted once" in page
    assert page.count(b"counted once") == 1
    assert first.id
    assert again.id
    assert other.id


def test_the_certificate_is_served_only_to_the_peer_their_chain_and_hr(client, db, team):
    entry = log(team["certification"], team["peer"])
    above = factories.make_staff(Role.SUPERVISOR)
    team["supervisor"].supervisor = above
    db.session.commit()
    url = f"/files/{entry.evidence_id}"
    for person in (team["peer"], team["supervisor"], above, factories.make_staff(Role.HR)):
        db.session.commit()
        sign_in(client, person)
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    for roles in [(Role.PEER,), (Role.SUPERVISOR,), (Role.ADMIN,), (Role.PRIVACY,), (Role.STAFF,)]:
        stranger = factories.make_staff(*roles)
        db.session.commit()
        sign_in(client, stranger)
        assert client.get(url).status_code == 404


def test_reading_someone_elses_entry_is_audited_and_ones_own_is_not(client, db, team):
    entry = log(team["certification"], team["peer"])
    db.session.commit()
    sign_in(client, team["peer"])
    client.get(f"/training/ce/{entry.id}")
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "training.ce_read")) is None
    sign_in(client, team["supervisor"])
    client.get(f"/training/ce/{entry.id}")
    [read] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "training.ce_read")).all()
    assert (read.actor_id, read.record_id) == (team["supervisor"].id, str(entry.id))


def test_a_peer_without_a_supervisor_is_told_who_can_help(client, db, frozen_time):
    frozen_time.at("2026-06-01 10:00")
    alone = factories.make_staff(Role.PEER)
    entry = log(certify(alone, make_credential(), date(2025, 1, 1), date(2026, 12, 31)), alone)
    db.session.commit()
    sign_in(client, alone)
    assert b"you have no supervisor in PeerWorks" in client.get(f"/training/ce/{entry.id}").data
    assert db.session.scalar(select(Notification)) is None
