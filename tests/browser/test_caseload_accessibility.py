"""The caseload's pages for each demo role, checked with axe against WCAG 2.2 AA, with a screenshot of each.

Each role signs in, opens the caseload front page and follows every link under "More in the caseload", then opens
the pages behind them: a client's record, recovery plan (and its edit page and an earlier version), contact notes,
referrals, groups, resources, the safeguards screens, emergency access and notifications. Every form is also sent
empty, so its error state is checked too: once, by the first role that uses it (a form's errors read the same
whoever sends it). Nothing here changes a record: an empty form changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from caseload.models import Client, GroupSession, PeerGroup, Resource
from core.extensions import db
from tests.browser.conftest import DEMO_EMAILS, LiveServer, sign_in
from tests.browser.test_accessibility import check_page

pytestmark = pytest.mark.browser

Screenshot = Callable[..., Path | None]
AxeCheck = Callable[[Page], str]

ROLES = ["peer", "clinician", "supervisor", "privacy", "admin"]
PROVIDERS = {"peer", "clinician", "supervisor"}
SAFEGUARDS = {"privacy", "admin"}


@dataclass(frozen=True)
class DemoRecords:
    """Records of the demo agency the pages are opened for; none of them is changed here."""

    client: int  # Marcus Bell: Pat Delgado's (peer@) and Dr. Casey Lin's (clinician@) client in CRP, with a plan
    sealed: int  # Jordan Blake's sealed record, for the safeguards pages
    group: int  # the Tuesday WRAP group, facilitated by Pat Delgado in CRP
    session: int
    resource: int


@dataclass(frozen=True)
class EmptyForm:
    """A form sent without filling it in: the page should show its errors, clean for axe."""

    name: str
    path: str
    button: str
    clear: tuple[str, ...] = ()  # labels of boxes that come filled in, to empty first


@pytest.fixture(scope="module")
def records(live_server: LiveServer) -> DemoRecords:
    with live_server.app.app_context():
        client = db.session.scalars(select(Client).where(Client.name == "Marcus Bell")).one()
        sealed = db.session.scalars(select(Client).where(Client.name == "Jordan Blake")).one()
        group = db.session.scalars(select(PeerGroup).where(PeerGroup.name == "Tuesday WRAP group")).one()
        session = db.session.scalars(
            select(GroupSession).where(GroupSession.group_id == group.id).order_by(GroupSession.id).limit(1)
        ).one()
        resource = db.session.scalars(select(Resource).where(Resource.name == "Community food pantry")).one()
        found = DemoRecords(client.id, sealed.id, group.id, session.id, resource.id)
        db.session.remove()
    return found


def pages_for(role: str, ids: DemoRecords) -> list[tuple[str, str]]:
    """(name, path) of the pages, besides the front page's links, that the role opens."""
    client = f"/caseload/clients/{ids.client}"
    pages = [("notifications", "/notifications/")]
    if role in PROVIDERS or role == "privacy":
        pages += [
            ("clients-search", "/caseload/clients?q=Marcus"),
            ("client-record", client),
            ("plan", f"{client}/plan"),
            ("plan-version-1", f"{client}/plan/versions/1"),
            ("notes", f"{client}/notes"),
            ("resource-new", "/caseload/resources/new"),
        ]
    if role in PROVIDERS:
        pages += [
            ("plan-edit", f"{client}/plan/edit"),
            ("note-new", f"{client}/notes/new"),
            ("group", f"/caseload/groups/{ids.group}"),
            ("group-session-new", f"/caseload/groups/{ids.group}/sessions/new"),
        ]
    if role in SAFEGUARDS:
        pages += [
            ("safeguards-link-search", "/caseload/safeguards/link?q=Bell"),
            ("safeguards-link-client", f"/caseload/safeguards/link/{ids.client}"),
            ("safeguards-client", f"/caseload/safeguards/clients/{ids.sealed}"),
            ("safeguards-grants", "/caseload/safeguards/grants"),
            ("safeguards-access-report", "/caseload/safeguards/access-report"),
            ("safeguards-relationships", "/caseload/safeguards/relationships"),
        ]
    # Pages that look the same whoever opens them: checked once, for the first role that may open them.
    if role == "peer":
        pages += [
            ("clients-none-match", "/caseload/clients?q=nobody-has-this-name"),
            ("needs-reassignment", "/caseload/reassign"),
            ("client-edit", f"{client}/edit"),
            ("client-new", "/caseload/clients/new"),
            ("resources-search", "/caseload/resources?q=food"),
            ("resource", f"/caseload/resources/{ids.resource}"),
            ("group-session", f"/caseload/groups/{ids.group}/sessions/{ids.session}"),
            ("group-session-edit", f"/caseload/groups/{ids.group}/sessions/{ids.session}/edit"),
            ("group-session-remove", f"/caseload/groups/{ids.group}/sessions/{ids.session}/delete"),
            ("group-new", "/caseload/groups/new"),
            ("emergency-grants", "/caseload/emergency/grants"),
        ]
    if role == "privacy":
        pages += [("safeguards-unlink", f"/caseload/safeguards/clients/{ids.sealed}/unlink")]
    return pages


def empty_forms_for(role: str, ids: DemoRecords) -> list[EmptyForm]:
    """The forms sent empty. A form shows the same errors whoever sends it, so each is sent once: the peer sends
    the providers' forms, the privacy officer the safeguards forms."""
    client = f"/caseload/clients/{ids.client}"
    if role == "peer":
        return [
            EmptyForm("note-new", f"{client}/notes/new", "Save the note"),
            EmptyForm("indirect-note-new", "/caseload/notes/indirect/new", "Save"),
            EmptyForm("plan-edit", f"{client}/plan/edit", "Save as version", clear=("Review date",)),
            EmptyForm("referral-new", "/caseload/referrals/new", "Save the referral"),
            EmptyForm("group-session-new", f"/caseload/groups/{ids.group}/sessions/new", "Save the session"),
            EmptyForm("group-session-edit", f"/caseload/groups/{ids.group}/sessions/{ids.session}/edit",
                      "Save changes", clear=("Date of the session", "Length in minutes")),
            EmptyForm("group-new", "/caseload/groups/new", "Add the group"),
            EmptyForm("resource-new", "/caseload/resources/new", "Add the resource"),
            EmptyForm("emergency", "/caseload/emergency", "Open the record"),
            EmptyForm("client-new", "/caseload/clients/new", "Add client"),
            EmptyForm("client-consent", client, "Record"),
            EmptyForm("declare", "/caseload/declare", "Send"),
        ]
    if role == "privacy":
        return [
            EmptyForm("safeguards-link-client", f"/caseload/safeguards/link/{ids.client}", "Link and seal the record"),
            EmptyForm("safeguards-assign", f"/caseload/safeguards/clients/{ids.sealed}", "Assign the provider"),
            EmptyForm(
                "safeguards-determination", f"/caseload/safeguards/clients/{ids.sealed}", "Record the determination"
            ),
            EmptyForm(
                "safeguards-access-report-dates",
                "/caseload/safeguards/access-report?date_from=2025-02-01&date_to=2025-01-01",
                "",
            ),
        ]
    return []


def section_links(page: Page) -> list[tuple[str, str]]:
    """(label, path) of every link under "More in the caseload"."""
    links = page.get_by_role("navigation", name="More in the caseload").get_by_role("link")
    return [(link.inner_text().strip(), link.get_attribute("href") or "") for link in links.all()]


def visit(
    page: Page, server: LiveServer, name: str, path: str, axe_violations: AxeCheck, screenshot: Screenshot
) -> str:
    response = page.goto(server.at(path))
    if response is None or response.status != 200:
        status = response.status if response else "nothing"
        return f"{name} ({path}) answered {status}\n{server.take_errors()}".strip()
    if page.url != server.at(path):
        return f"{name} ({path}) went to {page.url}"
    return check_page(page, name, axe_violations, screenshot)


def send_empty(
    page: Page, server: LiveServer, role: str, form: EmptyForm, axe_violations: AxeCheck, screenshot: Screenshot
) -> str:
    """Open the form, send it as it comes (emptied where it comes filled in) and check the page with its errors."""
    name = f"{role}-{form.name}-errors"
    if not form.button:  # a filter read from the address: the address itself holds the bad input
        response = page.goto(server.at(form.path))
        if response is None or response.status != 400:
            return f"{name} ({form.path}) answered {response.status if response else 'nothing'}, not 400"
        expect(page.locator(".usa-error-message").first).to_be_visible()
        return check_page(page, name, axe_violations, screenshot)
    page.goto(server.at(form.path))
    for label in form.clear:
        page.get_by_label(label, exact=True).fill("")
    button = page.get_by_role("main").get_by_role("button", name=re.compile("^" + re.escape(form.button)))
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        button.click()
    status = answer.value.status
    page.wait_for_load_state()
    if status != 400:
        return f"{name}: sending {form.path} empty answered {status}, not 400\n{server.take_errors()}".strip()
    expect(page.locator(".usa-error-message").first).to_be_visible()
    return check_page(page, name, axe_violations, screenshot)


@pytest.mark.parametrize("role", ROLES)
def test_every_caseload_page_a_role_can_reach(
    role: str,
    page: Page,
    live_server: LiveServer,
    records: DemoRecords,
    axe_violations: AxeCheck,
    screenshot: Screenshot,
) -> None:
    sign_in(page, live_server, DEMO_EMAILS[role])
    problems = [visit(page, live_server, f"{role}-caseload", "/caseload/", axe_violations, screenshot)]

    sections = section_links(page)
    labels = [label for label, _path in sections]
    assert "I know a client personally" in labels
    if role in PROVIDERS:
        assert {
            "Your notes",
            "Today's referrals",
            "Take a referral",
            "Same-day report",
            "Peer-led groups",
            "Community resources",
            "Emergency access",
        } <= set(labels)
        assert "Safeguards" not in labels
    if role in SAFEGUARDS:
        assert "Safeguards" in labels
        assert "Emergency access" not in labels

    seen = {"/caseload/"}
    for label, path in [*sections, *pages_for(role, records)]:
        if path in seen:
            continue
        seen.add(path)
        problems.append(visit(page, live_server, f"{role}-{label}", path, axe_violations, screenshot))
    for form in empty_forms_for(role, records):
        problems.append(send_empty(page, live_server, role, form, axe_violations, screenshot))

    failures = [problem for problem in problems if problem]
    assert not failures, f"{len(failures)} page(s) with problems for {role}:\n\n" + "\n\n".join(failures)
