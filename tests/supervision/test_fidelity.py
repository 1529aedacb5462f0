"""Role fidelity: each peer specialist's monthly share of recorded time in peer work, summed in SQL in one query
for every peer and month, on the agency's calendar (month and time-zone edges), flagged under the agency's
threshold; seen by the peer specialist and their supervisors only; never moved by a sealed record; its CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest

from core import settings
from core.models import Role
from supervision.services import fidelity
from supervision.services.fidelity import Month
from tests import factories
from tests.queries import counting_queries, fresh_queries_for


def sign_in(client, person) -> None:
    token = factories.start_session(person)
    with client.session_transaction() as session:
        session["_user_id"] = token


@pytest.fixture
def team(db, frozen_time):
    frozen_time.at("2026-03-15 10:00")
    supervisor = factories.make_staff(Role.SUPERVISOR, name="Sam Okafor")
    peer = factories.make_staff(Role.PEER, name="Pat Delgado", supervisor=supervisor)
    other = factories.make_staff(Role.PEER, name="Quinn Avery", supervisor=supervisor)
    stranger = factories.make_staff(Role.PEER, name="Rene Stranger")
    return {"supervisor": supervisor, "peer": peer, "other": other, "stranger": stranger}


def page(response) -> str:
    """A page's text without its per-response script nonce."""
    return re.sub(r'nonce="[^"]*"', "", response.get_data(as_text=True))


def note(staff, day: date, kind: str, minutes: int, client=None):
    return factories.make_note(staff, client, happened_on=day, kind=kind, minutes=minutes)


# Arithmetic --------------------------------------------------------------------------------------------------


def test_month_share_rounds_half_up_and_flags_exactly():
    assert Month(date(2026, 1, 1), peer=1, other=1).percent == 50
    assert Month(date(2026, 1, 1), peer=2, other=1).percent == 67
    assert Month(date(2026, 1, 1), peer=1, other=7).percent == 13  # 12.5 rounds up
    assert Month(date(2026, 1, 1)).percent is None
    # 59.5% shows as 60% but is still under 60: compared exactly, never on the rounded figure
    just_under = Month(date(2026, 1, 1), peer=119, other=81)
    assert just_under.percent == 60
    assert just_under.under(60)
    assert not Month(date(2026, 1, 1), peer=60, other=40).under(60)
    assert not Month(date(2026, 1, 1)).under(60)  # nothing recorded is not flagged


def test_window_crosses_the_year_and_ends_on_the_agencys_month():
    months = fidelity.window(3, ending=date(2026, 2, 28))
    assert months == [date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]
    assert fidelity.month_end(date(2024, 2, 1)) == date(2024, 2, 29)
    assert fidelity.add_months(date(2026, 1, 1), -13) == date(2024, 12, 1)


def test_monthly_sums_each_peer_and_month_in_one_query(team):
    peer, other, supervisor = team["peer"], team["other"], team["supervisor"]
    note(peer, date(2026, 1, 31), "advocacy", 90)  # last day of January
    note(peer, date(2026, 2, 1), "advocacy", 30)  # first day of February
    note(peer, date(2026, 2, 1), "administration", 90)
    note(peer, date(2026, 2, 28), "skills", 60)
    note(other, date(2026, 2, 14), "team_communication", 45)
    note(peer, date(2025, 12, 31), "advocacy", 999)  # before the window
    note(peer, date(2026, 3, 1), "group", 15)  # this month
    months = fidelity.window(3)  # January, February, March 2026
    with counting_queries() as statements:
        figures = fidelity.monthly(supervisor, [peer.id, other.id], months)
    assert len([s for s in statements if "caseload_contact_note" in s]) == 1
    january, february, march = figures[peer.id]
    assert (january.peer, january.other) == (90, 0)
    assert (february.peer, february.other, february.percent) == (90, 90, 50)
    assert (march.peer, march.other) == (15, 0)
    assert [m.total for m in figures[other.id]] == [0, 45, 0]
    assert figures[other.id][1].under(60)
    assert figures[other.id][1].percent == 0


def test_this_month_is_the_agencys_month_at_a_time_zone_edge(team, frozen_time):
    """At 23:30 on 31 March in New York it is already 1 April in UTC: the agency's month is still March."""
    peer = team["peer"]
    frozen_time.at("2026-03-31 23:30")
    assert fidelity.window(1) == [date(2026, 3, 1)]
    note(peer, date(2026, 3, 31), "advocacy", 40)
    note(peer, date(2026, 4, 1), "administration", 40)  # dated ahead: not in this month
    [march] = fidelity.monthly(peer, [peer.id], fidelity.window(1))[peer.id]
    assert (march.peer, march.other) == (40, 0)
    frozen_time.at("2026-04-01 00:30")
    assert fidelity.window(2) == [date(2026, 3, 1), date(2026, 4, 1)]


def test_the_agency_zone_decides_the_month(team, frozen_time, db):
    """The same instant is March in Los Angeles and April in Auckland."""
    frozen_time.at("2026-04-01 03:00", zone="UTC")
    settings.put("agency_time_zone", "America/Los_Angeles")
    assert fidelity.window(1) == [date(2026, 3, 1)]
    settings.put("agency_time_zone", "Pacific/Auckland")
    assert fidelity.window(1) == [date(2026, 4, 1)]


def test_by_kind_lists_every_kind_peer_work_first(team):
    peer = team["peer"]
    note(peer, date(2026, 2, 3), "advocacy", 20)
    note(peer, date(2026, 2, 4), "advocacy", 25)
    note(peer, date(2026, 2, 5), "information", 10)
    months = fidelity.window(2)
    rows = fidelity.kind_rows(peer, peer.id, months)
    assert [row.kind.value for row in rows][:1] == ["advocacy"]
    assert all(row.is_peer_work for row in rows[:8])
    assert not any(row.is_peer_work for row in rows[8:])
    found = {row.kind.value: row.minutes for row in rows}
    assert found["advocacy"] == [45, 0]
    assert found["information"] == [10, 0]
    assert found["group"] == [0, 0]


def test_transport_only_and_clerical_count_as_other_tasks_by_name(client, team):
    """Driving with no peer support and clerical work are other tasks: they lower the share, and the table by kind
    (and its CSV) names them."""
    supervisor, peer = team["supervisor"], team["peer"]
    note(peer, date(2026, 2, 3), "advocacy", 40)
    note(peer, date(2026, 2, 4), "transport_only", 35)
    note(peer, date(2026, 2, 5), "clerical", 25)
    [february] = fidelity.monthly(supervisor, [peer.id], [date(2026, 2, 1)])[peer.id]
    assert (february.peer, february.other, february.percent) == (40, 60, 40)
    assert february.under(60)
    rows = {row.kind.value: row for row in fidelity.kind_rows(supervisor, peer.id, [date(2026, 2, 1)])}
    assert (rows["transport_only"].minutes, rows["transport_only"].is_peer_work) == ([35], False)
    assert (rows["clerical"].minutes, rows["clerical"].is_peer_work) == ([25], False)
    sign_in(client, supervisor)
    text = page(client.get(f"/supervision/fidelity/{peer.id}"))
    assert re.search(r"Transport only \(no peer support during the trip\)</th><td>Other task</td>", text)
    assert re.search(r"Clerical \(paperwork, filing, data entry\)</th><td>Other task</td>", text)
    header = client.get(f"/supervision/fidelity/{peer.id}/table.csv").get_data(as_text=True).splitlines()[0]
    assert "Transport only (no peer support during the trip)" in header


# The threshold and the flag ----------------------------------------------------------------------------------


def test_flagged_peers_follow_the_threshold(team):
    supervisor, peer, other = team["supervisor"], team["peer"], team["other"]
    note(peer, date(2026, 2, 10), "advocacy", 50)
    note(peer, date(2026, 2, 10), "administration", 50)  # 50%
    note(other, date(2026, 2, 10), "advocacy", 70)
    note(other, date(2026, 2, 10), "administration", 30)  # 70%
    assert [row.staff.name for row in fidelity.flagged_peers(supervisor)] == ["Pat Delgado"]
    settings.put(fidelity.THRESHOLD_KEY, "75")
    assert [row.staff.name for row in fidelity.flagged_peers(supervisor)] == ["Pat Delgado", "Quinn Avery"]
    settings.put(fidelity.THRESHOLD_KEY, "40")
    assert fidelity.flagged_peers(supervisor) == []


def test_agenda_suggestion_for_the_sessions(team):
    supervisor, peer, other, stranger = team["supervisor"], team["peer"], team["other"], team["stranger"]
    note(peer, date(2026, 2, 10), "administration", 80)
    note(peer, date(2026, 2, 10), "advocacy", 20)
    note(stranger, date(2026, 2, 10), "administration", 80)
    [suggestion] = fidelity.fidelity_agenda_suggestions(supervisor, peer)
    assert suggestion.topic == "Role fidelity"
    assert "February 2026" in suggestion.reason
    assert "20%" in suggestion.reason
    assert "60%" in suggestion.reason
    assert suggestion.link_endpoint == "supervision.fidelity_person"
    assert fidelity.fidelity_agenda_suggestions(supervisor, other.id) == []  # nothing recorded: not flagged
    assert fidelity.fidelity_agenda_suggestions(supervisor, stranger) == []  # not their report
    assert fidelity.fidelity_agenda_suggestions(peer, peer) == []  # nobody supervises themself


# Who sees what ----------------------------------------------------------------------------------------------


def test_peer_sees_their_own_and_no_one_elses(client, team):
    peer, other = team["peer"], team["other"]
    note(peer, date(2026, 2, 10), "advocacy", 30)
    sign_in(client, peer)
    assert client.get("/supervision/fidelity").headers["Location"].endswith(f"/supervision/fidelity/{peer.id}")
    page = client.get(f"/supervision/fidelity/{peer.id}")
    assert page.status_code == 200
    assert b"Role fidelity: your time" in page.data
    assert client.get(f"/supervision/fidelity/{other.id}").status_code == 404
    assert client.get(f"/supervision/fidelity/{other.id}/table.csv").status_code == 404
    assert client.get("/supervision/fidelity/999999").status_code == 404


@pytest.mark.parametrize("role", [Role.HR, Role.ADMIN, Role.STAFF, Role.PRIVACY])
def test_hr_admin_and_others_never_see_a_persons_figures(client, team, role):
    person = factories.make_staff(role)
    sign_in(client, person)
    assert client.get(f"/supervision/fidelity/{team['peer'].id}").status_code == 403
    assert client.get("/supervision/fidelity").status_code == 403


def test_supervisor_sees_reports_and_the_flagged_list(client, team):
    supervisor, peer, other, stranger = team["supervisor"], team["peer"], team["other"], team["stranger"]
    note(peer, date(2026, 2, 10), "administration", 80)
    note(peer, date(2026, 2, 10), "advocacy", 20)
    note(other, date(2026, 2, 10), "advocacy", 60)
    sign_in(client, supervisor)
    page = client.get("/supervision/fidelity").get_data(as_text=True)
    assert "Pat Delgado" in page
    assert "Quinn Avery" in page
    assert "Rene Stranger" not in page
    assert "Yes: under 60% in February 2026" in page
    flagged = client.get("/supervision/fidelity?show=flagged").get_data(as_text=True)
    assert "Pat Delgado" in flagged
    assert "Quinn Avery" not in flagged
    person = client.get(f"/supervision/fidelity/{peer.id}").get_data(as_text=True)
    assert "Flagged: February 2026 was under 60% peer work" in person
    assert "20% peer work (20 of 100 minutes)" in person
    assert client.get(f"/supervision/fidelity/{stranger.id}").status_code == 404


def test_a_supervisors_view_is_audited_the_peers_own_is_not(client, team, db):
    from core.models import AuditEntry
    supervisor, peer = team["supervisor"], team["peer"]
    sign_in(client, supervisor)
    client.get(f"/supervision/fidelity/{peer.id}")
    client.get(f"/supervision/fidelity/{peer.id}/table.csv")
    actions = [entry.action for entry in db.session.query(AuditEntry).filter_by(record_id=str(peer.id))]
    assert "fidelity.viewed" in actions
    assert "fidelity.exported" in actions


def test_csv_has_the_table(client, team):
    supervisor, peer = team["supervisor"], team["peer"]
    note(peer, date(2026, 2, 10), "administration", 30)
    note(peer, date(2026, 2, 11), "advocacy", 10)
    sign_in(client, supervisor)
    response = client.get(f"/supervision/fidelity/{peer.id}/table.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:6] == ["Month", "Peer work minutes", "Other tasks minutes", "Total minutes",
                           "Peer work share (%)", "Under 60%"]
    february = next(row for row in rows if row[0] == "February 2026")
    assert february[1:6] == ["10", "30", "40", "25", "yes"]
    assert len(rows) == 13  # the header and 12 months


def test_pages_keep_their_queries_as_peers_and_notes_grow(client, team, db):
    from core.models import Staff
    supervisor_id, peer_id = team["supervisor"].id, team["peer"].id
    sign_in(client, team["supervisor"])
    client.get(f"/supervision/fidelity/{peer_id}")  # the first audited read starts the chain's head
    before = fresh_queries_for(client, "/supervision/fidelity")
    person_before = fresh_queries_for(client, f"/supervision/fidelity/{peer_id}")
    supervisor, peer = db.session.get(Staff, supervisor_id), db.session.get(Staff, peer_id)
    for n in range(8):
        report = factories.make_staff(Role.PEER, supervisor=supervisor)
        for month in (1, 2, 3):
            note(report, date(2026, month, 1 + n), "advocacy", 10 + n)
            note(report, date(2026, month, 2 + n), "administration", 5)
            note(peer, date(2026, month, 1 + n), "skills", 10)
    assert fresh_queries_for(client, "/supervision/fidelity") == before
    assert fresh_queries_for(client, f"/supervision/fidelity/{peer_id}") == person_before


# Sealed records ---------------------------------------------------------------------------------------------


def test_a_sealed_record_never_moves_the_supervisors_figures(client, team):
    """The supervisor is also a client here; their report, from another team, is assigned to that sealed record.
    The supervisor's view of the report's figures is exactly what it would be without those notes."""
    supervisor, peer = team["supervisor"], team["peer"]
    note(peer, date(2026, 2, 10), "administration", 30)
    note(peer, date(2026, 2, 11), "advocacy", 10)
    sign_in(client, supervisor)
    without = page(client.get(f"/supervision/fidelity/{peer.id}"))
    csv_without = client.get(f"/supervision/fidelity/{peer.id}/table.csv").get_data(as_text=True)
    sealed = factories.make_client("Casey Sealed")
    factories.seal(sealed, supervisor)
    factories.assign(sealed, peer)
    note(peer, date(2026, 2, 12), "advocacy", 500, client=sealed)
    assert page(client.get(f"/supervision/fidelity/{peer.id}")) == without
    assert client.get(f"/supervision/fidelity/{peer.id}/table.csv").get_data(as_text=True) == csv_without
    assert fidelity.flagged_peers(supervisor)[0].latest.peer == 10
    # The peer, who may open the record they work with, counts it in their own figures.
    [february] = fidelity.monthly(peer, [peer.id], [date(2026, 2, 1)])[peer.id]
    assert february.peer == 510
    assert "Casey Sealed" not in without


def test_a_client_the_viewer_declared_knowing_is_left_out(team, db):
    from caseload.models import DeclaredRelationship
    supervisor, peer = team["supervisor"], team["peer"]
    known = factories.make_client("Known Person")
    note(peer, date(2026, 2, 10), "advocacy", 30, client=known)
    db.session.add(DeclaredRelationship(client_id=known.id, staff_id=supervisor.id, relationship="friend"))
    db.session.flush()
    [february] = fidelity.monthly(supervisor, [peer.id], [date(2026, 2, 1)])[peer.id]
    assert february.total == 0


# Settings ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.HR, Role.ADMIN])
def test_hr_and_the_administrator_set_the_threshold(client, db, role):
    person = factories.make_staff(role)
    sign_in(client, person)
    page = client.get("/supervision/fidelity/settings")
    assert page.status_code == 200
    version = settings.snapshot([fidelity.THRESHOLD_KEY])
    response = client.post("/supervision/fidelity/settings", data={"threshold": "70", "version": version})
    assert response.status_code == 302
    assert fidelity.threshold() == 70


@pytest.mark.parametrize("typed", ["0", "101", "abc", "", "60.5", "-3", "99999999999999999999"])
def test_threshold_form_refuses_what_is_not_a_percentage(client, db, typed):
    sign_in(client, factories.make_staff(Role.HR))
    version = settings.snapshot([fidelity.THRESHOLD_KEY])
    response = client.post("/supervision/fidelity/settings", data={"threshold": typed, "version": version})
    assert response.status_code == 400
    assert "Enter a whole percentage from 1 to 100." in response.get_data(as_text=True)
    assert fidelity.threshold() == 60


def test_threshold_saved_from_a_stale_page_is_refused_with_input_kept(client, db):
    sign_in(client, factories.make_staff(Role.ADMIN))
    version = settings.snapshot([fidelity.THRESHOLD_KEY])
    settings.put(fidelity.THRESHOLD_KEY, "55")  # saved by someone else in between
    db.session.commit()
    response = client.post("/supervision/fidelity/settings", data={"threshold": "72", "version": version})
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert 'value="72"' in text
    assert "55%" in text
    assert fidelity.threshold() == 55


@pytest.mark.parametrize("role", [Role.PEER, Role.SUPERVISOR, Role.PRIVACY, Role.STAFF])
def test_others_cannot_set_the_threshold(client, db, role):
    sign_in(client, factories.make_staff(role))
    assert client.get("/supervision/fidelity/settings").status_code == 403


# The home page ----------------------------------------------------------------------------------------------


def test_home_lists_flagged_peers_for_the_supervisor_and_the_peers_own(client, team):
    supervisor, peer, other = team["supervisor"], team["peer"], team["other"]
    note(peer, date(2026, 2, 10), "administration", 80)
    note(peer, date(2026, 2, 10), "advocacy", 20)
    note(other, date(2026, 2, 10), "advocacy", 80)
    sign_in(client, supervisor)
    page = client.get("/").get_data(as_text=True)
    assert "1 peer specialist flagged for role fidelity" in page
    assert 'href="/supervision/fidelity?show=flagged"' in page
    sign_in(client, peer)
    page = client.get("/").get_data(as_text=True)
    assert "Your role fidelity: February 2026 was under 60% peer work" in page
    sign_in(client, other)
    assert "role fidelity:" not in client.get("/").get_data(as_text=True).lower()


def test_home_item_ignores_a_sealed_record(client, team):
    supervisor, peer = team["supervisor"], team["peer"]
    note(peer, date(2026, 2, 10), "administration", 50)
    sealed = factories.make_client("Casey Sealed")
    factories.seal(sealed, supervisor)
    factories.assign(sealed, peer)
    note(peer, date(2026, 2, 12), "advocacy", 500, client=sealed)
    sign_in(client, supervisor)
    assert "1 peer specialist flagged for role fidelity" in client.get("/").get_data(as_text=True)


def test_the_supervisors_list_downloads_as_csv(client, team):
    supervisor, peer = team["supervisor"], team["peer"]
    note(peer, date(2026, 2, 10), "administration", 30)
    note(peer, date(2026, 2, 11), "advocacy", 10)
    sign_in(client, supervisor)
    response = client.get("/supervision/fidelity/peers.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert ["Pat Delgado", "February 2026", "10", "30", "40", "25", "yes"] in rows
    assert {row[0] for row in rows[1:]} == {"Pat Delgado", "Quinn Avery"}
    assert len(rows) == 1 + 2 * 12
    sign_in(client, team["stranger"])
    rows = list(csv.reader(io.StringIO(client.get("/supervision/fidelity/peers.csv").get_data(as_text=True))))
    assert len(rows) == 1  # a peer specialist who supervises nobody: the header only


@pytest.mark.parametrize("staff_id", ["2147483648", "9223372036854775808", "99999999999999999999999"])
def test_an_id_too_large_for_the_database_is_a_plain_404(client, team, staff_id):
    sign_in(client, team["supervisor"])
    assert client.get(f"/supervision/fidelity/{staff_id}").status_code == 404
    assert client.get(f"/supervision/fidelity/{staff_id}/table.csv").status_code == 404


def test_the_flag_in_sql_is_the_same_exact_comparison(team):
    """59.5% is flagged at 60 and 60% is not, in the database as in Python (no rounding, no float)."""
    supervisor, peer, other = team["supervisor"], team["peer"], team["other"]
    note(peer, date(2026, 2, 10), "advocacy", 119)
    note(peer, date(2026, 2, 10), "administration", 81)
    note(other, date(2026, 2, 10), "advocacy", 120)
    note(other, date(2026, 2, 10), "administration", 80)
    [row] = fidelity.flagged_peers(supervisor)
    assert row.staff.name == "Pat Delgado"
    assert row.latest.percent == 60
    assert row.flagged


def test_the_flagged_list_pages(client, team, app):
    supervisor = team["supervisor"]
    app.config["PAGE_SIZE"] = 2
    for n in range(3):
        report = factories.make_staff(Role.PEER, supervisor=supervisor, name=f"Flagged {n}")
        note(report, date(2026, 2, 10), "administration", 60)
    sign_in(client, supervisor)
    first = client.get("/supervision/fidelity?show=flagged").get_data(as_text=True)
    assert "Flagged 0" in first
    assert "Flagged 1" in first
    assert "Flagged 2" not in first
    assert "show=flagged&amp;page=2" in first or "page=2&amp;show=flagged" in first
    second = client.get("/supervision/fidelity?show=flagged&page=2").get_data(as_text=True)
    assert "Flagged 2" in second


def test_the_prep_sheet_shows_the_trend_and_offers_role_fidelity_for_the_next_session(client, team):
    """Issue 13: the prep sheet has the role-fidelity trend, and a flagged peer's sheet offers "Role fidelity" as an
    agenda item for the next session (the new-session form opens with the topic and the person ticked)."""
    supervisor, peer, other = team["supervisor"], team["peer"], team["other"]
    note(peer, date(2026, 2, 10), "administration", 80)
    note(peer, date(2026, 2, 10), "advocacy", 20)
    note(other, date(2026, 2, 10), "advocacy", 50)
    sign_in(client, supervisor)
    flagged = page(client.get(f"/supervision/people/{peer.id}/prep"))
    assert "Suggested for your next session: Role fidelity." in flagged
    assert "20% of the time recorded was peer work" in flagged
    assert "the last six months" in flagged
    assert re.search(r"February 2026</th>\s*<td>20%</td>\s*<td>[^<]+</td>\s*<td>Yes, flagged</td>", flagged)
    link = re.search(r'href="([^"]*/supervision/sessions/new\?topic=[^"]*)"', flagged).group(1).replace("&amp;", "&")
    form = page(client.get(link))
    assert re.search(r'<input[^>]*checked[^>]*value="Role fidelity"|<input[^>]*value="Role fidelity"[^>]*checked', form)
    assert re.search(rf'<input[^>]*value="{peer.id}"[^>]*checked|<input[^>]*checked[^>]*value="{peer.id}"', form)
    fine = page(client.get(f"/supervision/people/{other.id}/prep"))
    assert "Suggested for your next session" not in fine
    assert re.search(r"February 2026</th>\s*<td>100%</td>", fine)
