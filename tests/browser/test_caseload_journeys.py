"""What people do in the caseload, in a real browser, on the demo agency.

* A peer specialist adds a contact note and updates a goal in the recovery plan (a new version; the old one kept).
* The privacy officer seals a record by linking the client to a staff member; a co-worker of that staff member can
  then neither find the record nor open it: its address answers exactly like one that never existed.
* A clinician on the staff member's team cannot break the glass (the answer for a person who is not a client); a
  clinician from elsewhere can: a wrong password is refused, the right one opens it for a few hours; the privacy
  officer is told and closes the review with a finding.

The live server's database is shared by the whole browser session, so each journey works on demo records no other
test changes, and leaves behind nothing another test reads (the emergency access is ended at the close).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect
from sqlalchemy import select

from caseload.models import Client, EmergencyGrant
from core.extensions import db
from core.models import Staff
from core.timeutil import utcnow
from tests.browser.conftest import DEMO_EMAILS, DEMO_PASSWORD, LiveServer, sign_in

pytestmark = pytest.mark.browser

Screenshot = Callable[..., Path | None]
AxeCheck = Callable[[Page], str]
NewContext = Callable[..., BrowserContext]

# Pat Delgado's (peer@) client in CRP, with a recovery plan; only the note-and-goal journey changes it.
NOTE_CLIENT = "Victor Ames"
# A CRP client of Jordan Blake and Jamie Kowalski, whom Pat Delgado finds through the CRP program. Only the sealing
# journey changes it, linking it to Vic Laurent, a CRP analyst on Pat's Day program team whom nothing else links.
SEALED_CLIENT = "Gloria Estes"
SEALED_STAFF = "Vic Laurent (vic@example.org)"
# The demo's sealed staff-client record (caseload/demo.py) and the facts emergency access asks for.
JORDAN = "Jordan Blake"
ON_CALL = "blair@example.org"  # Blair Mensah, inpatient psychiatrist: outside Jordan's teams and supervisor chain
JORDAN_BORN = date(1979, 5, 14)


def client_id(server: LiveServer, name: str) -> int:
    with server.app.app_context():
        found = db.session.scalars(select(Client.id).where(Client.name == name)).one()
        db.session.remove()
    return found


def no_violations(page: Page, name: str, axe_violations: AxeCheck, screenshot: Screenshot) -> None:
    screenshot(page, name)
    report = axe_violations(page)
    assert not report, report


def choose(page: Page, label: str) -> None:
    """Tick a radio button or check box by its label, the way a person does: by clicking the label."""
    page.locator("label", has_text=re.compile(f"^{re.escape(label)}$")).click()


# --- A peer adds a contact note and updates a goal ---------------------------------------------------------------


def test_peer_adds_a_contact_note_and_updates_a_goal(
    page: Page, live_server: LiveServer, axe_violations: AxeCheck, screenshot: Screenshot
) -> None:
    sign_in(page, live_server, DEMO_EMAILS["peer"])
    page.get_by_role("main").get_by_role("link", name="Caseload").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My caseload")
    page.get_by_role("table", name="Your clients").get_by_role("link", name=NOTE_CLIENT).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(NOTE_CLIENT)

    # The contact note: kind of work, minutes, place, the goal it served and what happened.
    page.get_by_role("link", name="Contact notes").click()
    page.get_by_role("link", name="Add a contact note").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Add a contact note")
    body = "Went with Victor to the housing authority; the voucher form is in. Next: call them on Friday."
    page.get_by_label("Kind of work").select_option(label="Connecting to resources")
    page.get_by_label("Minutes spent").fill("50")
    choose(page, "In the community")
    goals = page.get_by_label("Goal this served")
    goals.select_option(goals.locator("option", has_text="I want my own apartment").get_attribute("value"))
    page.get_by_label("What happened").fill(body)
    page.get_by_role("button", name="Save the note").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Contact notes")
    expect(page.get_by_role("status").filter(has_text="Saved the contact note.")).to_be_visible()
    note = page.get_by_role("listitem").filter(has_text=body)
    expect(note).to_have_count(1)
    expect(note).to_contain_text("Connecting to resources")
    expect(note).to_contain_text("50 minutes, in the community. Direct work. Written by Pat Delgado.")
    expect(note).to_contain_text("Goal served: “I want my own apartment within a year.”")
    no_violations(page, "peer-journey-note-saved", axe_violations, screenshot)

    # The goal's progress, in a new version of the plan.
    page.get_by_role("link", name="Recovery plan").click()
    summary = page.get_by_role("region", name="About this version")
    before = int(re.search(r"Version (\d+),", summary.inner_text())[1])  # type: ignore[index]
    page.get_by_role("link", name="Update the plan").click()
    goal: Locator = page.get_by_role("group", name="Goal 1", exact=True)
    progress = goal.get_by_label("Progress so far")
    old_progress = progress.input_value()
    new_progress = f"Has the ID now; birth certificate ordered (update {before + 1})."
    assert old_progress != new_progress
    progress.fill(new_progress)
    page.get_by_role("button", name=f"Save as version {before + 1}").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Recovery plan")
    expect(page.get_by_text(f"Saved version {before + 1} of the recovery plan.")).to_be_visible()
    expect(summary).to_contain_text(f"Version {before + 1}, written by Pat Delgado")
    expect(page.get_by_role("main")).to_contain_text(new_progress)
    versions = page.get_by_role("table", name=re.compile("^Versions of this plan"))
    expect(versions.get_by_role("rowheader", name=f"Version {before + 1} (current)")).to_be_visible()
    old = versions.get_by_role("link", name=f"Version {before}", exact=True)
    expect(old).to_be_visible()
    no_violations(page, "peer-journey-plan-saved", axe_violations, screenshot)

    # The earlier version is kept as it was.
    old.click()
    expect(page.get_by_role("main")).to_contain_text(old_progress)
    expect(page.get_by_role("main")).not_to_contain_text(new_progress)


# --- The privacy officer seals a record; a co-worker cannot find it ----------------------------------------------


def search_clients(page: Page, name: str) -> Locator:
    """Search the clients list; the links to matching records."""
    page.goto("/caseload/clients")
    page.get_by_label("Name or phone").fill(name)
    page.get_by_role("button", name="Show matching clients").click()
    expect(page.get_by_label("Name or phone")).to_have_value(name)
    return page.get_by_role("main").get_by_role("link", name=name)


def without_tokens(html: str) -> str:
    """The page without what differs on every response anyway: script nonces, the sign-out form's token and the
    seconds left of the sign-in."""
    html = re.sub(r'nonce="[^"]*"', 'nonce=""', html)
    html = re.sub(r'data-(idle|absolute)-seconds="[^"]*"', r'data-\1-seconds=""', html)
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', html)


def test_privacy_officer_seals_a_record_and_a_coworker_cannot_find_it(
    page: Page,
    new_context: NewContext,
    live_server: LiveServer,
    axe_violations: AxeCheck,
    screenshot: Screenshot,
) -> None:
    record = f"/caseload/clients/{client_id(live_server, SEALED_CLIENT)}"
    made_up = "/caseload/clients/987654321"

    # Before: Pat Delgado, a peer in CRP, finds the client and opens the record.
    coworker = page
    sign_in(coworker, live_server, DEMO_EMAILS["peer"])
    expect(search_clients(coworker, SEALED_CLIENT)).to_have_count(1)
    response = coworker.goto(record)
    assert response is not None
    assert response.status == 200
    expect(coworker.get_by_role("heading", level=1)).to_have_text(SEALED_CLIENT)

    # The privacy officer links the client to Vic Laurent, who works on Pat's team.
    privacy = new_context().new_page()
    sign_in(privacy, live_server, DEMO_EMAILS["privacy"])
    privacy.goto("/caseload/safeguards/link")
    privacy.get_by_label("Client's name").fill(SEALED_CLIENT)
    privacy.get_by_role("button", name="Find the client").click()
    privacy.get_by_role("link", name=f"Choose the staff member for {SEALED_CLIENT}").click()
    expect(privacy.get_by_role("heading", level=1)).to_have_text(f"Link {SEALED_CLIENT} to a staff member")
    privacy.get_by_label("Staff member", exact=True).select_option(label=SEALED_STAFF)
    privacy.get_by_role("button", name="Link and seal the record").click()
    # Not without ticking that it is the same person.
    unticked = privacy.get_by_role("alert").filter(has_text="Tick the box to confirm this is the same person.")
    expect(unticked).to_be_visible()
    expect(privacy.get_by_label("Staff member", exact=True)).to_have_value(re.compile(r"^\d+$"))
    choose(privacy, "I have checked that this client and this staff member are the same person")
    privacy.get_by_role("button", name="Link and seal the record").click()

    expect(privacy.get_by_text(f"{SEALED_CLIENT}'s record is now sealed and linked to Vic Laurent.")).to_be_visible()
    expect(privacy.get_by_text("These assignments were ended because they conflict: ")).to_contain_text("Jordan Blake")
    no_violations(privacy, "privacy-journey-sealed", axe_violations, screenshot)
    privacy.goto("/caseload/safeguards")
    sealed = (
        privacy.get_by_role("table", name="Clients who also work here")
        .get_by_role("row")
        .filter(has_text=SEALED_CLIENT)
    )
    expect(sealed).to_have_count(1)
    expect(sealed).to_contain_text("Vic Laurent")
    expect(sealed).to_contain_text("Sealed ")

    # After: the co-worker's search finds nothing, and the record's address is a page that does not exist.
    expect(search_clients(coworker, SEALED_CLIENT)).to_have_count(0)
    expect(coworker.get_by_role("heading", name="No clients match your search")).to_be_visible()
    expect(coworker.get_by_role("main")).not_to_contain_text(SEALED_CLIENT.split()[1])
    answers = {}
    for path in (record, made_up):
        response = coworker.goto(path)
        assert response is not None
        answers[path] = (response.status, without_tokens(response.text()), coworker.title())
        expect(coworker.get_by_role("heading", level=1)).to_have_text("Page not found")
    assert answers[record][0] == answers[made_up][0] == 404
    assert answers[record] == answers[made_up], "the sealed record's address answers unlike a missing record's"
    no_violations(coworker, "peer-journey-sealed-not-found", axe_violations, screenshot)


# --- Emergency access ----------------------------------------------------------------------------------------------


def fill_emergency_form(page: Page, password: str) -> None:
    page.get_by_label("Client's full name").fill(JORDAN)
    page.get_by_label("Client's date of birth").fill(JORDAN_BORN.isoformat())
    choose(page, "Crisis response")
    page.get_by_label("Reason", exact=True).fill(
        "Called the crisis line about this person tonight; I need their safety plan and providers now."
    )
    page.get_by_label("Your password").fill(password)
    page.get_by_role("button", name=re.compile("^Open the record")).click()


def newest_grant(server: LiveServer, email: str) -> int | None:
    with server.app.app_context():
        found = db.session.scalar(
            select(EmergencyGrant.id)
            .join(Staff, Staff.id == EmergencyGrant.staff_id)
            .where(Staff.email == email)
            .order_by(EmergencyGrant.id.desc())
            .limit(1)
        )
        db.session.remove()
    return found


def end_if_open(server: LiveServer, grant_id: int) -> None:
    with server.app.app_context():
        grant = db.session.get(EmergencyGrant, grant_id)
        if grant is not None and grant.ended_at is None:
            grant.ended_at = utcnow()
            db.session.commit()
        db.session.remove()


def test_emergency_access_to_a_sealed_record_is_reviewed(
    page: Page,
    new_context: NewContext,
    live_server: LiveServer,
    axe_violations: AxeCheck,
    screenshot: Screenshot,
) -> None:
    teammate = page
    record = f"/caseload/clients/{client_id(live_server, JORDAN)}"
    sign_in(teammate, live_server, DEMO_EMAILS["clinician"])

    # Dr. Casey Lin works on Jordan Blake's team: the record does not exist for them, and emergency access, which
    # exists to keep it from them, answers exactly as for a person who is not a client.
    response = teammate.goto(record)
    assert response is not None
    assert response.status == 404
    teammate.goto(live_server.at("/caseload/emergency"))
    fill_emergency_form(teammate, DEMO_PASSWORD)
    expect(teammate).to_have_url(live_server.at("/caseload/emergency/grants"))
    expect(teammate.get_by_text(re.compile(r"^Your request is recorded\. If a record matches"))).to_be_visible()
    expect(teammate.get_by_role("heading", name="You have not used emergency access")).to_be_visible()
    assert newest_grant(live_server, DEMO_EMAILS["clinician"]) is None, "a teammate broke the glass"

    # Blair Mensah, a psychiatrist on the inpatient unit, is outside Jordan's teams and supervisor chain.
    clinician = new_context().new_page()
    before = newest_grant(live_server, ON_CALL)
    sign_in(clinician, live_server, ON_CALL)
    clinician.goto(live_server.at("/caseload/"))
    clinician.get_by_role("navigation", name="More in the caseload").get_by_role(
        "link", name="Emergency access"
    ).click()
    expect(clinician.get_by_role("heading", level=1)).to_have_text("Emergency access to a protected record")

    # A wrong password: refused, said so next to the password box, and what was typed is kept (but the password).
    fill_emergency_form(clinician, "not my password")
    wrong = "That is not your password. Emergency access needs you to sign in again."
    expect(clinician.get_by_role("alert").filter(has_text="Please fix this")).to_contain_text(wrong)
    expect(clinician.locator("#password-error")).to_have_text(wrong)
    expect(clinician.get_by_label("Your password")).to_have_attribute("aria-invalid", "true")
    expect(clinician.get_by_label("Client's full name")).to_have_value(JORDAN)
    expect(clinician.get_by_label("Your password")).to_have_value("")
    assert newest_grant(live_server, ON_CALL) == before, "a wrong password opened the record"
    no_violations(clinician, "clinician-journey-emergency-refused", axe_violations, screenshot)

    # The right password and a reason: the same answer the teammate got, and the record is open on the grants list.
    fill_emergency_form(clinician, DEMO_PASSWORD)
    expect(clinician).to_have_url(live_server.at("/caseload/emergency/grants"))
    expect(clinician.get_by_text(re.compile(r"^Your request is recorded\. If a record matches"))).to_be_visible()
    no_violations(clinician, "clinician-journey-emergency-answer", axe_violations, screenshot)
    clinician.get_by_role("link", name="Jordan (Jordan Blake)").click()
    expect(clinician.get_by_role("heading", level=1)).to_have_text("Jordan (Jordan Blake)")
    clinician.goto(live_server.at(record))
    expect(clinician.get_by_role("region", name="Sealed record")).to_contain_text(
        re.compile(r"You are reading it under emergency access, which ends at \d\d:\d\d on ")
    )
    grant = newest_grant(live_server, ON_CALL)
    assert grant is not None
    assert grant != before
    no_violations(clinician, "clinician-journey-emergency-record", axe_violations, screenshot)

    try:
        # The privacy officer is told, finds the use in the review queue and closes it with a finding.
        privacy = new_context().new_page()
        sign_in(privacy, live_server, DEMO_EMAILS["privacy"])
        privacy.goto("/notifications/")
        told = privacy.get_by_role("listitem").filter(
            has_text="Blair Mensah used emergency access to a protected record. Review it."
        )
        expect(told.first).to_be_visible()
        told.first.get_by_role("link", name=re.compile("^Open")).click()
        expect(privacy.get_by_role("heading", level=1)).to_have_text("Emergency access review")
        row = privacy.get_by_role("row").filter(has=privacy.locator(f'a[href="/caseload/safeguards/grants/{grant}"]'))
        expect(row).to_contain_text("Blair Mensah")
        expect(row).to_contain_text("Jordan (Jordan Blake)")
        expect(row).to_contain_text("Crisis response")
        row.get_by_role("link").click()

        expect(privacy.get_by_role("heading", level=1)).to_have_text("Emergency access by Blair Mensah")
        expect(privacy.get_by_role("region", name="What they told us")).to_contain_text("crisis line")
        opened = privacy.get_by_role("table", name=re.compile("^Each opening of the record during this access"))
        # Two openings: the record from the grants list (emergency access), then its page (record).
        blair = opened.get_by_role("row").filter(has_text="Blair Mensah")
        expect(blair).to_have_count(2)
        expect(blair.filter(has_text="Record")).to_have_count(1)
        privacy.get_by_role("button", name="Record the finding and close this review").click()
        expect(privacy.get_by_role("alert").filter(has_text="Write your finding")).to_be_visible()
        no_violations(privacy, "privacy-journey-grant-errors", axe_violations, screenshot)
        privacy.get_by_label("Your finding").fill("Justified: a crisis call at night. Opened the record only.")
        privacy.get_by_role("button", name="Record the finding and close this review").click()

        expect(privacy).to_have_url(live_server.at("/caseload/safeguards/grants"))
        closed = privacy.get_by_text("Your finding is recorded and this use of emergency access is closed.")
        expect(closed).to_be_visible()
        expect(privacy.locator(f'a[href="/caseload/safeguards/grants/{grant}"]')).to_have_count(0)

        # The clinician is done and ends the access: the record is closed to them again.
        clinician.goto("/caseload/emergency/grants")
        clinician.locator(f'a[href="/caseload/emergency/grants/{grant}"]').click()
        expect(clinician.get_by_role("heading", level=1)).to_have_text("Jordan (Jordan Blake)")
        expect(clinician.get_by_role("region", name="You are using emergency access")).to_contain_text("Open until")
        no_violations(clinician, "clinician-journey-emergency-grant", axe_violations, screenshot)
        clinician.get_by_role("button", name="End access now").click()
        expect(clinician.get_by_text("Emergency access has ended. The record is closed to you again.")).to_be_visible()
        no_violations(clinician, "clinician-journey-emergency-ended", axe_violations, screenshot)
    finally:
        end_if_open(live_server, grant)  # when a step above failed: the tests that follow expect it closed
    response = clinician.goto(record)
    assert response is not None
    assert response.status == 404


# --- A co-worker's referral duplicates the sealed record; the privacy officer merges it --------------------------


def test_a_duplicate_of_the_sealed_record_is_merged_by_the_privacy_officer(
    page: Page,
    new_context: NewContext,
    live_server: LiveServer,
    axe_violations: AxeCheck,
    screenshot: Screenshot,
) -> None:
    """Dr. Casey Lin, on Jordan Blake's team, takes a referral for "jordan blake" (typed their own way): it is saved
    like any other, and the privacy officer gets an urgent notice, compares the two records and merges them."""
    coworker = page
    sign_in(coworker, live_server, DEMO_EMAILS["clinician"])
    coworker.goto(live_server.at("/caseload/referrals/new"))
    choose(coworker, "Self-referral")
    coworker.get_by_label("Full name", exact=True).fill("  jordan   BLAKE ")
    coworker.get_by_label("Date of birth").fill(JORDAN_BORN.isoformat())
    coworker.get_by_label("Reason for referral").fill("Walked in and asked about a peer group.")
    choose(coworker, "Routine")
    coworker.get_by_label("When the referral came in").fill("2026-11-20T10:00")
    coworker.get_by_role("button", name="Save the referral").click()
    expect(coworker.get_by_text(re.compile("^The referral is saved"))).to_be_visible()  # as for anyone

    privacy = new_context().new_page()
    sign_in(privacy, live_server, DEMO_EMAILS["privacy"])
    notice = privacy.get_by_role("listitem").filter(has_text="may duplicate a protected record")
    # The notice is written just after the co-worker's answer has gone out (so its work never shows in their
    # time): on a busy machine it may land a moment after the privacy officer first looks, as a reload would show.
    deadline = time.monotonic() + 15
    privacy.goto(live_server.at("/notifications/"))
    while notice.count() == 0 and time.monotonic() < deadline:
        privacy.wait_for_timeout(250)
        privacy.goto(live_server.at("/notifications/"))
    assert not live_server.take_errors()
    expect(notice.first).to_contain_text("Urgent")
    expect(privacy.get_by_role("link", name=re.compile(r"^Notifications \(\d+ new, \d+ urgent\)"))).to_be_visible()
    no_violations(privacy, "privacy-journey-urgent-notice", axe_violations, screenshot)
    notice.first.get_by_role("link", name=re.compile("^Open")).click()

    expect(privacy.get_by_role("heading", level=1)).to_have_text("Merge a possible duplicate into a protected record")
    compared = privacy.get_by_role("table", name="The two records side by side")
    expect(compared).to_contain_text("jordan BLAKE")
    expect(compared).to_contain_text("Jordan Blake")
    expect(privacy.get_by_role("region", name="What happens when you merge them")).to_contain_text("1 referral")
    no_violations(privacy, "privacy-journey-merge", axe_violations, screenshot)
    privacy.get_by_role("button", name="Merge into the protected record").click()
    expect(privacy.get_by_role("alert").filter(has_text="Tick the box")).to_be_visible()
    no_violations(privacy, "privacy-journey-merge-errors", axe_violations, screenshot)
    choose(privacy, "I have checked that the two records are the same person")
    privacy.get_by_role("button", name="Merge into the protected record").click()

    expect(privacy.get_by_text(re.compile(r"^The new record is merged into this protected record"))).to_be_visible()
    expect(privacy.get_by_role("heading", level=1)).to_have_text(re.compile("Jordan"))
    no_violations(privacy, "privacy-journey-merged", axe_violations, screenshot)
    with live_server.app.app_context():
        assert db.session.scalars(select(Client.id).where(Client.name.ilike("%jordan%blake%"))).all() == [
            client_id(live_server, JORDAN)
        ]
        db.session.remove()
