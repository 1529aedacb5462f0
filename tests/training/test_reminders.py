"""Reminders 90, 60, 30 and 7 days before a certification expires, to the person and their supervisor, in the app
and through the outbox; never twice for the same date, however often the command runs; and the .ics file."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from core.models import Notification, OutboxEmail, Role
from tests import factories
from tests.training.helpers import certify, make_credential
from training.models import Hold, Reminder
from training.services import certifications, reminders

EXPIRES = date(2026, 12, 31)


def run(runner) -> str:
    result = runner.invoke(args=["training", "remind"])
    assert result.exit_code == 0, result.output
    return result.output


def counts(db) -> tuple[int, int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(Reminder)),
        db.session.scalar(select(func.count()).select_from(Notification)),
        db.session.scalar(select(func.count()).select_from(OutboxEmail)),
    )


@pytest.fixture
def held(db):
    supervisor = factories.make_staff(Role.SUPERVISOR, name="Sam Okafor")
    peer = factories.make_staff(Role.PEER, name="Pat Delgado", supervisor=supervisor)
    found = certify(peer, make_credential(grace_days=30), date(2025, 1, 1), EXPIRES)
    db.session.commit()
    return {"peer": peer, "supervisor": supervisor, "certification": found}


@pytest.mark.parametrize(
    ("days_left", "threshold"),
    [(91, None), (90, 90), (61, 90), (60, 60), (31, 60), (30, 30), (8, 30), (7, 7), (0, 7), (-1, None)],
)
def test_the_reminder_due_is_the_nearest_threshold_ahead(days_left, threshold):
    assert reminders.threshold_for(days_left) == threshold


def test_ninety_days_before_both_are_told_in_the_app_and_by_email(db, runner, held, frozen_time):
    frozen_time.at("2026-10-02 07:00")  # 90 days before 31 December
    assert "Sent 1 reminder(s)" in run(runner)
    peer_notice = db.session.scalar(select(Notification).where(Notification.staff_id == held["peer"].id))
    boss_notice = db.session.scalar(select(Notification).where(Notification.staff_id == held["supervisor"].id))
    assert peer_notice.text == "Your Certified Peer Specialist expires on Thursday 31 December 2026 (in 90 days)."
    assert (
        boss_notice.text == "Pat Delgado's Certified Peer Specialist expires on Thursday 31 December 2026 (in 90 days)."
    )
    emails = {e.to_address for e in db.session.scalars(select(OutboxEmail))}
    assert emails == {held["peer"].email, held["supervisor"].email}
    [row] = db.session.scalars(select(Reminder)).all()
    assert (row.remind_on, row.days_before, row.expires_on) == (date(2026, 10, 2), 90, EXPIRES)


def test_running_again_the_same_day_or_the_next_sends_nothing_more(db, runner, held, frozen_time):
    frozen_time.at("2026-10-02 07:00")
    run(runner)
    assert "Sent 0 reminder(s)" in run(runner)
    frozen_time.at("2026-10-03 07:00")
    assert "Sent 0 reminder(s)" in run(runner)
    assert counts(db) == (1, 2, 2)


def test_each_threshold_once_and_a_missed_run_sends_only_the_latest(db, runner, held, frozen_time):
    for day, expected in [
        ("2026-10-02", 1),
        ("2026-11-01", 1),
        ("2026-12-06", 1),
        ("2026-12-24", 1),
        ("2026-12-31", 0),
        ("2027-01-01", 0),
    ]:
        frozen_time.at(f"{day} 07:00")
        assert f"Sent {expected} reminder(s)" in run(runner), day
    assert [r.days_before for r in db.session.scalars(select(Reminder).order_by(Reminder.id))] == [90, 60, 30, 7]


def test_a_run_that_was_missed_does_not_send_the_reminders_it_missed(db, runner, held, frozen_time):
    frozen_time.at("2026-12-06 07:00")  # 25 days to go, nothing sent yet
    run(runner)
    assert [r.days_before for r in db.session.scalars(select(Reminder))] == [30]


def test_the_agencys_day_decides(db, runner, held, frozen_time):
    frozen_time.at("2026-10-01 23:30")  # 91 days before, in New York; already 2 October in UTC
    assert "Sent 0 reminder(s)" in run(runner)
    frozen_time.at("2026-10-02 00:10")
    assert "Sent 1 reminder(s)" in run(runner)


def test_a_renewal_is_reminded_afresh(db, runner, held, frozen_time):
    frozen_time.at("2026-12-24 07:00")
    run(runner)
    hr = factories.make_staff(Role.HR)
    found = held["certification"]
    certifications.renew(found, date(2027, 3, 31), found.version, hr)
    db.session.commit()
    frozen_time.at("2027-01-01 07:00")  # 89 days before the new expiry
    assert "Sent 1 reminder(s)" in run(runner)


@pytest.mark.parametrize("hold", [Hold.SUSPENDED, Hold.RETIRED])
def test_no_reminder_for_a_certification_on_hold(db, runner, held, frozen_time, hold):
    held["certification"].hold = hold
    db.session.commit()
    frozen_time.at("2026-12-24 07:00")
    assert "Sent 0 reminder(s)" in run(runner)


def test_the_calendar_file_holds_the_renewal_dates(client, db, held, frozen_time):
    frozen_time.at("2026-06-01 10:00")
    token = factories.start_session(held["peer"])
    with client.session_transaction() as session:
        session["_user_id"] = token
    response = client.get(f"/training/people/{held['peer'].id}/renewals.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    text = response.get_data(as_text=True)
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert text.endswith("END:VCALENDAR\r\n")
    assert "DTSTART;VALUE=DATE:20261231" in text
    assert "DTSTART;VALUE=DATE:20270130" in text  # the grace period's last day
    assert "TRIGGER:-P30D" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    outsider = factories.make_staff(Role.PEER)
    token = factories.start_session(outsider)
    with client.session_transaction() as session:
        session["_user_id"] = token
    assert client.get(f"/training/people/{held['peer'].id}/renewals.ics").status_code == 404


def test_long_lines_fold_and_text_is_escaped():
    from training.services.ics import escape, fold

    assert escape("Ethics; boundaries, and\nmore\\") == "Ethics\\; boundaries\\, and\\nmore\\\\"
    folded = fold("SUMMARY:" + "é" * 80)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == "SUMMARY:" + "é" * 80


def test_the_expiry_day_is_the_seven_day_reminders_last_chance(db, runner, held, frozen_time):
    frozen_time.at(f"{EXPIRES - timedelta(days=7)} 07:00")
    assert "Sent 1 reminder(s)" in run(runner)
