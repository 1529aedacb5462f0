"""Hours arithmetic: minutes by the agency's month (a session late on the last evening of a month counts in that
month, whatever the date in UTC), the one-to-one part, each person's rule (the agency's, or their credential's,
the strictest of several), the verdicts (met, overdue, in progress, not counted before someone joined), the CSV,
and provisional certification's supervised hours."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time

import pytest

from core import settings, timeutil
from core.models import Role
from supervision.services import hours
from tests import factories
from tests.supervision.helpers import log_session, make_team, sign_in
from tests.training.helpers import certify, make_credential


@pytest.fixture
def team(db, frozen_time):
    frozen_time.at("2026-04-15 12:00")
    made = make_team(2)
    for person in made.peers:
        person.created_at = datetime(2025, 1, 1)
    return made


def test_a_late_evening_session_counts_in_the_agencys_month(team):
    pat = team.peers[0]
    # 31 January, 23:30 in New York is 1 February, 04:30 UTC.
    meeting = log_session(team.supervisor, [pat], held_on=date(2026, 1, 31), starts_at=time(23, 30), minutes=60)
    assert meeting.held_at == datetime(2026, 2, 1, 4, 30)
    found = hours.minutes_by_month(hours.Attendee.staff_id == pat.id, date(2026, 1, 1), date(2026, 2, 1))
    assert found == {(pat.id, date(2026, 1, 1)): (60, 60)}


def test_a_zone_change_moves_the_session_to_the_new_zones_month(team, db):
    pat = team.peers[0]
    log_session(team.supervisor, [pat], held_on=date(2026, 1, 31), starts_at=time(23, 30), minutes=60)
    settings.put(timeutil.SETTING, "Europe/London")
    timeutil.zone_changed()
    found = hours.minutes_by_month(hours.Attendee.staff_id == pat.id, date(2026, 1, 1), date(2026, 2, 1))
    assert found == {(pat.id, date(2026, 2, 1)): (60, 60)}


def test_group_minutes_count_for_everyone_and_not_toward_one_to_one(team):
    pat, lee = team.peers
    log_session(team.supervisor, [pat, lee], held_on=date(2026, 3, 2), minutes=90)
    log_session(team.supervisor, [pat], held_on=date(2026, 3, 31), starts_at=time(23, 0), minutes=45)
    found = hours.minutes_by_month(hours.Attendee.staff_id.in_([pat.id, lee.id]), date(2026, 3, 1), date(2026, 3, 1))
    assert found == {(pat.id, date(2026, 3, 1)): (135, 45), (lee.id, date(2026, 3, 1)): (90, 0)}


def test_verdicts_per_rule(team):
    pat, lee = team.peers
    hours.save_rule(None, 120, 60, team.supervisor)
    log_session(team.supervisor, [pat, lee], held_on=date(2026, 2, 5), minutes=90)
    log_session(team.supervisor, [pat], held_on=date(2026, 2, 6), minutes=60)
    log_session(team.supervisor, [lee], held_on=date(2026, 4, 1), minutes=120)
    rows = {row.person.id: row for row in hours.rows_for([pat, lee], hours.last_months(3))}
    verdicts = {pid: [m.verdict for m in row.months] for pid, row in rows.items()}
    assert verdicts[pat.id] == ["Met", "Overdue", "In progress"]  # February, March, April (now)
    assert verdicts[lee.id] == ["Overdue", "Overdue", "Met"]  # 90 min in February, none one-to-one


def test_a_credential_rule_replaces_the_agencys_and_the_strictest_wins(team):
    pat, lee = team.peers
    hours.save_rule(None, 120, 60, team.supervisor)
    strict = make_credential("Strict credential")
    mild = make_credential("Mild credential")
    hours.save_rule(strict.id, 240, 120, team.supervisor)
    hours.save_rule(mild.id, 60, 0, team.supervisor)
    certify(pat, strict, date(2025, 1, 1), date(2026, 12, 31))
    certify(pat, mild, date(2025, 1, 1), date(2026, 12, 31))
    rules = hours.rules_for([pat.id, lee.id])
    assert (rules[pat.id].monthly_minutes, rules[pat.id].source) == (240, "Strict credential")
    assert rules[lee.id].monthly_minutes == 120


def test_months_before_someone_joined_are_not_counted(team):
    pat = team.peers[0]
    pat.created_at = datetime(2026, 3, 10, 15, 0)
    row = hours.rows_for([pat], hours.last_months(3))[0]
    assert [m.verdict for m in row.months] == ["Not counted", "Overdue", "In progress"]


def test_a_rule_cannot_ask_more_one_to_one_than_in_total(team):
    with pytest.raises(hours.InvalidInput):
        hours.save_rule(None, 60, 120, team.supervisor)


def test_the_csv_has_hours_and_verdicts_only(client, team, db):
    pat = team.peers[0]
    log_session(team.supervisor, [pat], held_on=date(2026, 3, 5), minutes=90, notes="NEVER-IN-CSV")
    pat.name = "=HYPERLINK(1)"
    db.session.commit()
    sign_in(client, team.supervisor)
    text = client.get("/supervision/compliance.csv").get_data(as_text=True)
    assert "NEVER-IN-CSV" not in text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == hours.CSV_HEADER
    march = [row for row in rows if row[2] == "2026-03" and row[0].endswith("HYPERLINK(1)")]
    assert march == [["'=HYPERLINK(1)", "Sam Supervisor", "2026-03", "1.5", "1.5", "4", "1", "the agency's rule",
                      "Overdue"]]


def test_provisional_certifications_count_supervised_hours_in_their_window(team):
    pat = team.peers[0]
    credential = make_credential("Provisional one", provisional_months=12)
    found = certify(pat, credential, date(2026, 2, 1), provisional=True)
    log_session(team.supervisor, [pat], held_on=date(2026, 1, 31), minutes=60)  # before it was issued
    log_session(team.supervisor, [pat], held_on=date(2026, 2, 1), minutes=90)
    log_session(team.supervisor, [pat, team.peers[1]], held_on=date(2026, 3, 1), minutes=30)
    assert hours.provisional_minutes(hours.Certification.staff_id == pat.id) == {found.id: 120}


def test_the_training_certification_page_shows_supervised_hours(client, team, db):
    pat = team.peers[0]
    credential = make_credential("Provisional two", provisional_months=12)
    found = certify(pat, credential, date(2026, 2, 1), provisional=True)
    log_session(team.supervisor, [pat], held_on=date(2026, 2, 3), minutes=90)
    db.session.commit()
    sign_in(client, pat)
    page = client.get(f"/training/certifications/{found.id}").get_data(as_text=True)
    assert "1.5 hours of supervision" in page
    assert "250" in page


def test_hours_words():
    assert [hours.hours_words(m) for m in (0, 60, 90, 45, 125)] == [
        "0 hours", "1 hour", "1.5 hours", "0.75 hours", "2.08 hours"]


def test_other_peoples_hours_are_refused(client, team, db):
    outsider = factories.make_staff(Role.PEER)
    db.session.commit()
    sign_in(client, outsider)
    assert client.get(f"/supervision/people/{team.peers[0].id}/hours").status_code == 404
    assert client.get(f"/supervision/people/{team.peers[0].id}/hours.csv").status_code == 404


def test_east_of_utc_the_first_of_the_month_counts_in_the_new_month(team, db):
    pat = team.peers[0]
    settings.put(timeutil.SETTING, "Pacific/Auckland")
    timeutil.zone_changed()
    # 1 March, 00:30 in Auckland is 28 February, 11:30 UTC.
    meeting = log_session(team.supervisor, [pat], held_on=date(2026, 3, 1), starts_at=time(0, 30), minutes=50)
    assert meeting.held_at == datetime(2026, 2, 28, 11, 30)
    found = hours.minutes_by_month(hours.Attendee.staff_id == pat.id, date(2026, 2, 1), date(2026, 3, 1))
    assert found == {(pat.id, date(2026, 3, 1)): (50, 50)}


def test_the_night_the_clocks_go_back_is_one_day(team):
    pat = team.peers[0]
    # 2 November 2025, 01:30 in New York happens twice; the earlier one is taken, on the same day and month.
    log_session(team.supervisor, [pat], held_on=date(2025, 11, 2), starts_at=time(1, 30), minutes=30)
    log_session(team.supervisor, [pat], held_on=date(2025, 11, 30), starts_at=time(23, 59), minutes=30)
    found = hours.minutes_by_month(hours.Attendee.staff_id == pat.id, date(2025, 10, 1), date(2025, 12, 1))
    assert found == {(pat.id, date(2025, 11, 1)): (60, 60)}
