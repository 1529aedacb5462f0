"""The safeguards screens for the privacy officer and the administrator: the agency's policy, linking and
unlinking, conflict checks, determinations and their reminders, the access report and declared relationships."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from caseload.models import (
    Assignment,
    Client,
    DeclaredRelationship,
    Determination,
    EmergencyGrant,
    SealedAccess,
)
from caseload.services.safeguard_queries import notify_due_reviews
from core import settings, timeutil
from core.models import AuditEntry, Notification, Role
from core.timeutil import utcnow
from tests import factories
from tests.factories import assign, make_client, make_staff, make_team, seal
from tests.queries import queries_for


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def checked(page: str, name: str, value: str) -> bool:
    return re.search(rf'<input checked[^>]*name="{name}" type="radio" value="{value}"', page) is not None


def same_page(first, second) -> bool:
    """Two responses alike but for what changes on every response: the script nonce, the time-stamped sign-out
    form token and the sign-in time left."""
    def strip(response) -> bytes:
        return re.sub(rb'(nonce|data-[a-z]+-seconds|name="csrf_token" value)="[^"]*"', b"", response.data)

    return first.status_code == second.status_code and strip(first) == strip(second)


def audit_entries(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def sign_in(client, staff) -> None:
    token = factories.start_session(staff)
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True


def add_determination(db, client: Client, by, review_on: date, decision: str = "Services from the north team") -> (
        Determination):
    determination = Determination(client_id=client.id, situation="Asked for peer support", decision=decision,
                                  rationale="Only provider in town", consulted="Clinical director",
                                  review_on=review_on, recorded_by_id=by.id)
    db.session.add(determination)
    db.session.flush()
    return determination


@pytest.fixture
def agency(db):
    crp = make_team(name="CRP day")
    mhicm = make_team(name="MHICM north")
    grand_boss = make_staff("supervisor", teams=[mhicm], name="Gail Grandboss")
    boss = make_staff("supervisor", teams=[crp], supervisor=grand_boss, name="Bo Boss")
    peer_worker = make_staff("peer", teams=[crp], supervisor=boss, name="Wren Worker")
    coworker = make_staff("peer", teams=[crp], supervisor=boss, name="Cory Coworker")
    outside = make_staff("staff", teams=[mhicm], name="Olu Outside")
    hr = make_staff("hr", "staff", teams=[mhicm], name="Hana HR")
    jo = make_client("Jo Doe", program=mhicm.program, date_of_birth=date(1984, 7, 21))
    db.session.commit()
    return locals()


@pytest.fixture
def officer(login_as):
    return login_as(Role.PRIVACY, name="Pia Privacy")


# Who may open the safeguards screens ---------------------------------------------------------------------------

SAFEGUARD_GETS = [
    "/caseload/safeguards",
    "/caseload/safeguards/link",
    "/caseload/safeguards/grants",
    "/caseload/safeguards/access-report",
    "/caseload/safeguards/access-report.csv",
    "/caseload/safeguards/relationships",
]


@pytest.mark.parametrize("role", [Role.PEER, Role.STAFF, Role.SUPERVISOR, Role.HR])
def test_other_roles_are_refused_every_safeguards_screen(client, db, login_as, agency, role):
    person = login_as(role)
    jo = agency["jo"]
    urls = [*SAFEGUARD_GETS, f"/caseload/safeguards/clients/{jo.id}", f"/caseload/safeguards/link/{jo.id}"]
    for url in urls:
        assert client.get(url).status_code == 403, url
    for url in (f"/caseload/safeguards/clients/{jo.id}/assign", "/caseload/safeguards/policy",
                f"/caseload/safeguards/clients/{jo.id}/unlink"):
        assert client.post(url, data={}).status_code == 403, url
    refusals = [e for e in audit_entries(db, "access.denied") if e.actor_id == person.id]
    assert len(refusals) == len(urls) + 3
    assert all(e.outcome == "denied" for e in refusals)


@pytest.mark.parametrize("role", [Role.PRIVACY, Role.ADMIN])
def test_privacy_officer_and_admin_open_every_safeguards_screen(client, db, login_as, agency, role):
    login_as(role)
    jo = agency["jo"]
    for url in [*SAFEGUARD_GETS, f"/caseload/safeguards/clients/{jo.id}", f"/caseload/safeguards/link/{jo.id}"]:
        assert client.get(url).status_code == 200, url


def test_own_sealed_record_is_hidden_from_the_privacy_officer(client, db, agency, officer):
    own = make_client("Pia Privacy")
    seal(own, officer)
    db.session.commit()
    missing = client.get("/caseload/safeguards/clients/999999")
    hidden = client.get(f"/caseload/safeguards/clients/{own.id}")
    assert hidden.status_code == 404
    assert same_page(hidden, missing)
    assert "No client matches" in text(client.get("/caseload/safeguards/link?q=pia"))
    assert "No sealed records" in text(client.get("/caseload/safeguards"))


# The agency's policy -------------------------------------------------------------------------------------------

def policy_form(choice: str) -> dict[str, str]:
    """What the policy form sends: the choice and the fingerprint of the policy the page showed."""
    return {"policy": choice, "version": settings.snapshot(["dual_relationship_policy"])}


def test_policy_saved_from_a_stale_tab_is_refused_with_the_choice_kept(client, db, officer):
    first_tab = policy_form("strict")
    second_tab = policy_form("case_by_case")
    assert client.post("/caseload/safeguards/policy", data=first_tab).status_code == 302

    stale = client.post("/caseload/safeguards/policy", data=second_tab)

    assert stale.status_code == 409
    assert "Someone else changed the policy" in text(stale)
    assert checked(text(stale), "policy", "case_by_case")  # what this tab chose is still chosen
    assert settings.get("dual_relationship_policy") == "strict"
    assert len(audit_entries(db, "setting.changed")) == 1
    resent = client.post("/caseload/safeguards/policy", data=policy_form("case_by_case"))
    assert resent.status_code == 302
    assert settings.get("dual_relationship_policy") == "case_by_case"


def test_policy_explains_both_choices_and_saves_with_audit(client, db, officer):
    page = text(client.get("/caseload/safeguards"))
    assert "Decide each case on its own, with rules that allow flexibility" in page
    assert "telehealth" in page
    assert checked(page, "policy", "case_by_case")

    response = client.post("/caseload/safeguards/policy", data=policy_form("strict"))

    assert response.status_code == 302
    assert settings.get("dual_relationship_policy") == "strict"
    [entry] = audit_entries(db, "setting.changed")
    assert (entry.actor_id, entry.record_id, entry.detail) == (officer.id, "dual_relationship_policy", "strict")
    assert checked(text(client.get("/caseload/safeguards")), "policy", "strict")


def test_policy_refuses_an_unknown_value(client, db, officer):
    response = client.post("/caseload/safeguards/policy", data=policy_form("anything"))
    assert response.status_code == 400
    assert "Choose one of the two policies." in text(response)
    assert settings.get("dual_relationship_policy") == "case_by_case"


def test_strict_and_case_by_case_change_what_assign_does(client, db, agency, officer):
    jo, outside = agency["jo"], agency["outside"]
    seal(jo, agency["peer_worker"])
    db.session.commit()
    url = f"/caseload/safeguards/clients/{jo.id}/assign"
    form = {"assign-provider": outside.id, "assign-kind": "clinician"}

    # Case by case without a determination: refused until one is recorded.
    refused = client.post(url, data=form)
    assert refused.status_code == 409
    assert "Record a determination" in text(refused)

    add_determination(db, jo, officer, timeutil.today() + timedelta(days=60))
    db.session.commit()
    client.post("/caseload/safeguards/policy", data=policy_form("strict"))
    strict = client.post(url, data=form)
    assert strict.status_code == 409
    assert "Agency policy is strict" in text(strict)
    page = text(client.get(f"/caseload/safeguards/clients/{jo.id}"))
    assert "Services here are not allowed for staff" in page
    assert "telehealth" in page
    assert "Assign the provider" not in page

    client.post("/caseload/safeguards/policy", data=policy_form("case_by_case"))
    allowed = client.post(url, data=form)
    assert allowed.status_code == 302
    assert db.session.scalar(select(Assignment.id).where(Assignment.client_id == jo.id,
                                                         Assignment.staff_id == outside.id)) is not None


# Linking and unlinking -----------------------------------------------------------------------------------------

def test_search_finds_clients_by_name_and_date_of_birth(client, db, agency, officer):
    make_client("Jo Doerr", date_of_birth=date(1990, 1, 1))
    db.session.commit()
    both = text(client.get("/caseload/safeguards/link?q=jo+doe"))
    assert "Jo Doe" in both
    assert "Jo Doerr" in both
    narrowed = text(client.get("/caseload/safeguards/link?q=jo+doe&date_of_birth=1984-07-21"))
    assert "Jo Doe<" in narrowed.replace("</th>", "<")
    assert "Jo Doerr" not in narrowed
    bad = client.get("/caseload/safeguards/link?q=jo&date_of_birth=not-a-date")
    assert bad.status_code == 400
    assert "Enter a real date" in text(bad)
    assert 'value="jo"' in text(bad)


@pytest.mark.parametrize("typed", ["Ángela", "ángela", "ÁNGELA", "Ruíz"])
def test_search_finds_a_name_with_accented_capitals_however_it_is_typed(client, db, agency, officer, typed):
    """The name was lowered in Python and the column by SQLite's lower(), which changes only A to Z: "Ángela" typed
    exactly as on the record found nothing, so the privacy officer could not find the record to seal it."""
    make_client("Ángela Ruíz", date_of_birth=date(1979, 3, 4))
    db.session.commit()
    assert "Ángela Ruíz" in html.unescape(text(client.get(f"/caseload/safeguards/link?q={typed}")))


def test_access_report_finds_a_client_with_an_accented_capital(client, db, agency, officer):
    angela = make_client("Ángela Ruíz")
    seal(angela, agency["peer_worker"])
    db.session.add(SealedAccess(client_id=angela.id, staff_id=agency["outside"].id, what="record", at=utcnow()))
    db.session.commit()
    for typed in ("Ángela", "ángela"):
        assert "Showing 1 to 1 of 1." in text(client.get(f"/caseload/safeguards/access-report?client={typed}"))


def test_link_seals_the_record_and_ends_conflicting_assignments(client, db, agency, officer):
    jo, worker, coworker, outside = agency["jo"], agency["peer_worker"], agency["coworker"], agency["outside"]
    assign(jo, coworker)
    assign(jo, outside, "clinician")
    db.session.commit()

    page = text(client.get(f"/caseload/safeguards/link/{jo.id}"))
    assert "Wren Worker" in page
    response = client.post(f"/caseload/safeguards/link/{jo.id}",
                           data={"staff": worker.id, "confirm": "y", "version": jo.version}, follow_redirects=True)

    assert response.status_code == 200
    assert "These assignments were ended because they conflict: Cory Coworker." in text(response)
    db.session.refresh(jo)
    assert jo.staff_member_id == worker.id
    assert jo.sealed_at is not None
    current = db.session.scalars(select(Assignment.staff_id).where(Assignment.client_id == jo.id,
                                                                   Assignment.ended_at.is_(None))).all()
    assert current == [outside.id]
    [sealed] = audit_entries(db, "client.sealed")
    assert (sealed.actor_id, sealed.record_id) == (officer.id, str(jo.id))
    assert "Jo" not in sealed.detail
    [ended] = audit_entries(db, "client.unassigned")
    assert ended.detail == f"provider {coworker.id}"


def test_admin_is_told_how_many_assignments_ended_but_not_whose(client, db, agency, login_as):
    login_as(Role.ADMIN)
    jo = agency["jo"]
    assign(jo, agency["coworker"])
    db.session.commit()
    response = client.post(f"/caseload/safeguards/link/{jo.id}",
                           data={"staff": agency["peer_worker"].id, "confirm": "y", "version": jo.version},
                           follow_redirects=True)
    page = text(response)
    assert "1 assignment(s) were ended because they conflict" in page
    assert "These assignments were ended because they conflict:" not in page


def test_link_needs_confirmation_and_keeps_the_choice(client, db, agency, officer):
    jo, worker = agency["jo"], agency["peer_worker"]
    response = client.post(f"/caseload/safeguards/link/{jo.id}", data={"staff": worker.id, "version": jo.version})
    assert response.status_code == 400
    page = text(response)
    assert "Tick the box to confirm this is the same person." in page
    assert f'<option selected value="{worker.id}">' in page
    db.session.refresh(jo)
    assert jo.staff_member_id is None

    unknown = client.post(f"/caseload/safeguards/link/{jo.id}", data={"staff": "abc", "confirm": "y",
                                                                       "version": jo.version})
    assert unknown.status_code == 400
    assert "Choose the staff member this client is." in text(unknown)


def test_link_with_a_stale_version_is_refused(client, db, agency, officer):
    jo = agency["jo"]
    response = client.post(f"/caseload/safeguards/link/{jo.id}",
                           data={"staff": agency["peer_worker"].id, "confirm": "y", "version": jo.version + 5})
    assert response.status_code == 409
    assert "Someone else saved a change to this while you were working on it" in text(response)
    db.session.refresh(jo)
    assert jo.staff_member_id is None


def test_a_staff_member_already_linked_is_not_offered_again(client, db, agency, officer):
    other = make_client("Other Person")
    seal(other, agency["peer_worker"])
    db.session.commit()
    page = text(client.get(f"/caseload/safeguards/link/{agency['jo'].id}"))
    assert "Wren Worker" not in page
    assert "Cory Coworker" in page


def test_unlink_asks_first_then_unseals_with_audit(client, db, agency, officer):
    jo = agency["jo"]
    seal(jo, agency["peer_worker"])
    db.session.commit()

    confirm = client.get(f"/caseload/safeguards/clients/{jo.id}/unlink")
    assert confirm.status_code == 200
    assert "Yes, unlink and unseal the record" in text(confirm)
    db.session.refresh(jo)
    assert jo.sealed

    response = client.post(f"/caseload/safeguards/clients/{jo.id}/unlink", data={"version": jo.version})
    assert response.status_code == 302
    db.session.refresh(jo)
    assert not jo.sealed
    [entry] = audit_entries(db, "client.unsealed")
    assert (entry.actor_id, entry.record_id) == (officer.id, str(jo.id))


# Conflict checks -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("who", "words"), [
    ("coworker", "works on the same team as this client"),
    ("grand_boss", "in this client's supervisor chain"),
    ("hr", "works in HR"),
    ("peer_worker", "cannot be assigned to their own client record"),
])
def test_conflicting_providers_are_refused_with_the_reason_and_audited(client, db, agency, officer, who, words):
    jo = agency["jo"]
    seal(jo, agency["peer_worker"])
    add_determination(db, jo, officer, timeutil.today() + timedelta(days=30))
    db.session.commit()
    provider = agency[who]

    response = client.post(f"/caseload/safeguards/clients/{jo.id}/assign",
                           data={"assign-provider": provider.id, "assign-kind": "peer"})

    assert response.status_code == 409
    page = text(response)
    assert words in page
    assert f'<option selected value="{provider.id}">' in page
    assert checked(page, "assign-kind", "peer")
    [entry] = audit_entries(db, "client.assignment_refused")
    assert (entry.outcome, entry.actor_id, entry.record_id) == ("denied", officer.id, str(jo.id))
    assert db.session.scalar(select(func.count()).select_from(Assignment)) == 0


def test_end_an_assignment_from_the_safeguards_page(client, db, agency, officer):
    jo = agency["jo"]
    assignment = assign(jo, agency["outside"], "clinician")
    other = make_client("Someone Else")
    elsewhere = assign(other, agency["outside"])
    db.session.commit()
    wrong = client.post(f"/caseload/safeguards/clients/{jo.id}/assignments/{elsewhere.id}/end")
    assert wrong.status_code == 404
    response = client.post(f"/caseload/safeguards/clients/{jo.id}/assignments/{assignment.id}/end")
    assert response.status_code == 302
    db.session.refresh(assignment)
    assert assignment.ended_at is not None


# Determinations -------------------------------------------------------------------------------------------------

def determination_form(**overrides: object) -> dict[str, object]:
    data = {
        "determination-situation": "Wants peer support; the only other agency is 90 miles away.",
        "determination-decision": "Services from the north team by telehealth.",
        "determination-rationale": "No one on the north team works with them.",
        "determination-consulted": "Clinical director; the staff member",
        "determination-review_on": (timeutil.today() + timedelta(days=90)).isoformat(),
        "determination-replaces": "0",
    }
    data.update({f"determination-{key}": value for key, value in overrides.items()})
    return data


def test_record_a_determination(client, db, agency, officer):
    jo = agency["jo"]
    seal(jo, agency["peer_worker"])
    db.session.commit()

    response = client.post(f"/caseload/safeguards/clients/{jo.id}/determinations", data=determination_form())

    assert response.status_code == 302
    [saved] = db.session.scalars(select(Determination)).all()
    assert saved.decision == "Services from the north team by telehealth."
    assert saved.recorded_by_id == officer.id
    [entry] = audit_entries(db, "determination.recorded")
    assert entry.detail == f"determination {saved.id}"
    page = text(client.get(f"/caseload/safeguards/clients/{jo.id}"))
    assert "Services from the north team by telehealth." in page
    assert f'id="determination-{saved.id}"' in page


def test_a_new_determination_records_the_review_of_the_one_before(client, db, agency, officer):
    jo = agency["jo"]
    seal(jo, agency["peer_worker"])
    db.session.commit()
    assert client.post(f"/caseload/safeguards/clients/{jo.id}/determinations",
                       data=determination_form()).status_code == 302
    first = db.session.scalar(select(Determination))
    assert first.reviewed_at is None
    page = text(client.get(f"/caseload/safeguards/clients/{jo.id}"))
    assert f'name="determination-replaces" type="hidden" value="{first.id}"' in page

    response = client.post(f"/caseload/safeguards/clients/{jo.id}/determinations",
                           data=determination_form(decision="Services by telehealth only.", replaces=str(first.id)))

    assert response.status_code == 302
    db.session.refresh(first)
    assert first.reviewed_at is not None  # the review is recorded on the determination it replaced
    second = db.session.scalar(select(Determination).where(Determination.id != first.id))
    assert second.reviewed_at is None
    assert audit_entries(db, "determination.recorded")[-1].detail == (
        f"determination {second.id}; reviews determination {first.id}"
    )
    page = text(client.get(f"/caseload/safeguards/clients/{jo.id}"))
    assert "replaced by the determination above" in page


def test_a_determination_from_a_stale_page_is_refused_with_the_input_kept(client, db, agency, officer):
    jo = agency["jo"]
    seal(jo, agency["peer_worker"])
    db.session.commit()
    # Both tabs show no determination yet; the first records one.
    assert client.post(f"/caseload/safeguards/clients/{jo.id}/determinations",
                       data=determination_form()).status_code == 302

    response = client.post(f"/caseload/safeguards/clients/{jo.id}/determinations",
                           data=determination_form(decision="A different decision from the second tab."))

    assert response.status_code == 409
    page = text(response)
    assert "Someone else saved a change to this while you were working on it" in page
    assert "A different decision from the second tab." in page  # the input is kept
    assert "Services from the north team by telehealth." in page  # beside the determination saved meanwhile
    [saved] = db.session.scalars(select(Determination)).all()
    assert saved.reviewed_at is None
    assert f'name="determination-replaces" type="hidden" value="{saved.id}"' in page


@pytest.mark.parametrize("field", ["situation", "consulted"])
def test_a_nul_in_a_determination_is_refused_with_a_message(client, db, agency, officer, field):
    """The determination form once dropped (long text) or blanked (one line) a NUL without a word."""
    jo = agency["jo"]
    seal(jo, agency["peer_worker"])
    db.session.commit()
    response = client.post(f"/caseload/safeguards/clients/{jo.id}/determinations",
                           data=determination_form(**{field: "Before\x00after"}))
    assert response.status_code == 400
    assert f'id="determination-{field}-error"' in text(response)
    assert "hidden character we cannot use" in text(response)
    assert db.session.scalar(select(func.count()).select_from(Determination)) == 0


@pytest.mark.parametrize("url", ["/caseload/safeguards/link?q=jo%00doe",
                                 "/caseload/safeguards/access-report?client=j%00"])
def test_a_nul_in_a_safeguards_search_is_explained(client, db, agency, officer, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "hidden character we cannot use" in text(response)


def test_a_determination_needs_every_part_and_a_review_date_not_in_the_past(client, db, agency, officer):
    jo = agency["jo"]
    seal(jo, agency["peer_worker"])
    db.session.commit()
    yesterday = (timeutil.today() - timedelta(days=1)).isoformat()

    response = client.post(f"/caseload/safeguards/clients/{jo.id}/determinations",
                           data=determination_form(rationale="", review_on=yesterday))

    assert response.status_code == 400
    page = text(response)
    assert "Write why you decided this." in page
    assert "Choose today or a later date for the review." in page
    assert "Services from the north team by telehealth." in page  # the input is kept
    assert db.session.scalar(select(func.count()).select_from(Determination)) == 0

    garbled = client.post(f"/caseload/safeguards/clients/{jo.id}/determinations",
                          data=determination_form(review_on="31/31/2020"))
    assert garbled.status_code == 400
    assert "Enter a real date" in text(garbled)


def test_determinations_are_for_linked_clients_only(client, db, agency, officer):
    jo = agency["jo"]
    response = client.post(f"/caseload/safeguards/clients/{jo.id}/determinations", data=determination_form())
    assert response.status_code == 409
    assert "Link this client to a staff member first" in text(response)


# Review reminders ---------------------------------------------------------------------------------------------------

@pytest.fixture
def due_records(db, agency, officer):
    today = timeutil.today()
    overdue = make_client("Ola Overdue")
    seal(overdue, agency["peer_worker"])
    due = make_client("Dana Due")
    seal(due, agency["coworker"])
    later = make_client("Lee Later")
    seal(later, agency["outside"])
    add_determination(db, overdue, officer, today - timedelta(days=1))
    add_determination(db, due, officer, today + timedelta(days=30))  # replaced by the next one
    add_determination(db, due, officer, today + timedelta(days=10))
    add_determination(db, later, officer, today + timedelta(days=30))
    db.session.commit()
    return {"overdue": overdue, "due": due, "later": later, "today": today}


def test_index_shows_review_badges_and_a_count(client, db, due_records, login_as):
    login_as(Role.ADMIN)
    page = text(client.get("/caseload/safeguards"))
    assert "2 determinations to review" in page
    assert "1 overdue, 1 due within 14 days" in page
    rows = {name: page.split(name)[1].split("</tr>")[0] for name in ("Ola Overdue", "Dana Due", "Lee Later")}
    assert "Overdue" in rows["Ola Overdue"]
    assert "Review due" in rows["Dana Due"]
    assert "Review due" not in rows["Lee Later"]
    assert "Overdue" not in rows["Lee Later"]

    only_due = text(client.get("/caseload/safeguards?due=1"))
    assert "Ola Overdue" in only_due
    assert "Dana Due" in only_due
    assert "Lee Later" not in only_due


def test_reminders_notify_each_privacy_officer_once_a_day(db, agency, due_records, officer):
    second = make_staff(Role.PRIVACY, name="Second Officer")
    linked_officer = make_staff(Role.PRIVACY, name="Linked Officer")
    due_records["overdue"].staff_member_id = linked_officer.id  # the overdue record is this officer's own
    db.session.commit()
    today = due_records["today"]

    assert notify_due_reviews(today) == 2 + 2 + 1  # two records for two officers; the linked one hears of one
    db.session.commit()
    assert notify_due_reviews(today) == 0
    db.session.commit()

    notes = db.session.scalars(select(Notification).order_by(Notification.id)).all()
    by_person: dict[int, list[str]] = {}
    for note in notes:
        by_person.setdefault(note.staff_id, []).append(note.link)
    assert len(by_person[officer.id]) == len(by_person[second.id]) == 2
    assert len(by_person[linked_officer.id]) == 1
    overdue_id = due_records["overdue"].id
    assert not any(f"/clients/{overdue_id}#" in link for link in by_person[linked_officer.id])
    for note in notes:
        assert "Ola" not in note.text
        assert "Dana" not in note.text
    assert any("was due for review on" in note.text for note in notes)

    # The next day they are reminded again.
    db.session.execute(sa.update(Notification).values(created_at=utcnow() - timedelta(days=1)))
    db.session.commit()
    assert notify_due_reviews(today) == 5


def test_opening_the_index_shows_due_reviews_without_writing(client, db, due_records, login_as, officer):
    before = db.session.scalar(select(func.count()).select_from(Notification))
    page = text(client.get("/caseload/safeguards"))
    assert "overdue" in page or "due within 14 days" in page
    assert db.session.scalar(select(func.count()).select_from(Notification)) == before


def test_cli_remind_command(runner, db, due_records, officer):
    result = runner.invoke(args=["safeguards", "remind"])
    assert result.exit_code == 0, result.output
    assert "2 reminder(s) sent to privacy officers." in result.output
    assert db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.staff_id == officer.id)) == 2
    again = runner.invoke(args=["safeguards", "remind"])
    assert "0 reminder(s)" in again.output


# The access report --------------------------------------------------------------------------------------------------

def test_access_report_lists_filters_and_exports(client, db, agency, officer):
    jo, outside, coworker = agency["jo"], agency["outside"], agency["coworker"]
    seal(jo, agency["peer_worker"])
    formula = make_client("=HYPERLINK(1)")
    seal(formula, agency["hr"])
    grant = EmergencyGrant(staff_id=coworker.id, client_id=jo.id, purpose="crisis",
                           reason="Client in crisis at the day program now", expires_at=utcnow() + timedelta(hours=1))
    db.session.add(grant)
    db.session.flush()
    now = utcnow()
    db.session.add_all([
        SealedAccess(client_id=jo.id, staff_id=outside.id, what="record", at=now - timedelta(days=10)),
        SealedAccess(client_id=jo.id, staff_id=coworker.id, grant_id=grant.id, what="emergency access", at=now),
        SealedAccess(client_id=formula.id, staff_id=outside.id, what="plan", at=now),
    ])
    db.session.commit()

    page = text(client.get("/caseload/safeguards/access-report"))
    assert "Showing 1 to 3 of 3." in page
    assert f"/caseload/safeguards/grants/{grant.id}" in page

    by_person = text(client.get(f"/caseload/safeguards/access-report?person={coworker.id}"))
    assert "Showing 1 to 1 of 1." in by_person
    by_client = text(client.get("/caseload/safeguards/access-report?client=hyperlink"))
    assert "Showing 1 to 1 of 1." in by_client
    yesterday = timeutil.local_date(now - timedelta(days=1))
    recent = text(client.get(f"/caseload/safeguards/access-report?date_from={yesterday}"))
    assert "Showing 1 to 2 of 2." in recent
    backwards = client.get(f"/caseload/safeguards/access-report?date_from={timeutil.local_date(now)}"
                           f"&date_to={timeutil.local_date(now - timedelta(days=5))}")
    assert backwards.status_code == 400
    assert "The end date must be on or after the start date." in text(backwards)

    export = client.get(f"/caseload/safeguards/access-report.csv?person={outside.id}")
    assert export.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == ["When (UTC)", "Person", "Email", "Client"]
    assert sorted(row[3] for row in rows[1:]) == ["'=HYPERLINK(1)", "Jo Doe"]
    [entry] = audit_entries(db, "safeguards.access_report_exported")
    assert entry.detail == "filtered"


def test_privacy_officer_reads_are_in_the_access_report(client, db, agency, officer):
    jo = agency["jo"]
    seal(jo, agency["peer_worker"])
    db.session.commit()
    client.get(f"/caseload/safeguards/clients/{jo.id}")
    [read] = db.session.scalars(select(SealedAccess)).all()
    assert (read.staff_id, read.client_id, read.grant_id) == (officer.id, jo.id, None)


# Declared relationships -------------------------------------------------------------------------------------------

def test_declared_relationships_list(client, db, agency, officer):
    db.session.add(DeclaredRelationship(staff_id=agency["coworker"].id, client_id=agency["jo"].id,
                                        relationship="neighbour"))
    db.session.commit()
    page = text(client.get("/caseload/safeguards/relationships"))
    assert "Cory Coworker" in page
    assert "Jo Doe" in page
    assert "Neighbour" in page


# Queries do not grow with the number of rows -------------------------------------------------------------------

def add_sealed_records(db, agency, officer, how_many: int) -> None:
    for _ in range(how_many):
        person = make_staff("peer", teams=[agency["crp"]])
        record = make_client()
        seal(record, person)
        assign(record, agency["outside"], "clinician")
        add_determination(db, record, officer, timeutil.today() + timedelta(days=3))
        grant = EmergencyGrant(staff_id=agency["coworker"].id, client_id=record.id, purpose="crisis",
                               reason="Client in crisis at the day program", expires_at=utcnow() + timedelta(hours=1))
        db.session.add(grant)
        db.session.flush()
        db.session.add(SealedAccess(client_id=record.id, staff_id=agency["coworker"].id, grant_id=grant.id,
                                    what="record"))
        db.session.add(SealedAccess(client_id=record.id, staff_id=agency["outside"].id, what="record"))
    db.session.commit()


@pytest.mark.parametrize("url", [
    "/caseload/safeguards",
    "/caseload/safeguards/grants",
    "/caseload/safeguards/access-report",
])
def test_safeguards_pages_use_the_same_number_of_queries_for_more_rows(app, client, db, agency, login_as, url):
    login_as(Role.ADMIN)
    admin_officer = make_staff(Role.PRIVACY)

    def queries_for_page() -> int:
        client.get(url)  # warm up: the first request loads things once
        return queries_for(client, url)

    add_sealed_records(db, agency, admin_officer, 2)
    small = queries_for_page()
    add_sealed_records(db, agency, admin_officer, 8)
    assert queries_for_page() == small


# Odd input never breaks a page ---------------------------------------------------------------------------------------

def test_control_characters_are_cleaned_not_a_server_error(client, db, agency, officer):
    jo = agency["jo"]
    seal(jo, agency["peer_worker"])
    db.session.commit()
    assert "Jo Doe" in text(client.get("/caseload/safeguards/link?q=jo%09doe"))
    assert client.get("/caseload/safeguards/link?q=jo%00doe").status_code == 400  # a plain message, never a 500
    assert client.get("/caseload/safeguards/access-report?client=a%0Ab").status_code == 200
    assert client.get("/caseload/safeguards/access-report.csv?client=a%0Db").status_code == 200
    assert client.get("/caseload/safeguards?page=-3&due=x").status_code == 200
    response = client.post(f"/caseload/safeguards/clients/{jo.id}/determinations",
                           data=determination_form(situation="Line one\r\nLine two", consulted="A\tB\nC"))
    assert response.status_code == 302
    saved = db.session.scalar(select(Determination))
    assert saved.situation == "Line one\nLine two"
    assert saved.consulted == "A B C"
