"""Readiness results and the action plan in a real browser (Debian's chromium through Playwright): HR opens the
baseline campaign's results and its action plan, plans an action from a suggestion, and every page passes axe
(WCAG 2.2 AA).

The live server, the demo database and the axe check are the readiness browser tests' own (test_browser.py);
this module gets its own copy of the server, so it does not depend on the order the browser tests run in.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from core import timeutil
from core.extensions import db
from core.models import Staff
from readiness.models import Action, Campaign
from tests.browser.conftest import DEMO_EMAILS, LiveServer, sign_in
from tests.readiness import test_browser as readiness_browser
from tests.readiness.test_browser import AxeCheck

pytestmark = pytest.mark.browser

browser_type_launch_args = readiness_browser.browser_type_launch_args
browser_context_args = readiness_browser.browser_context_args
live_server = readiness_browser.live_server
base_url = readiness_browser.base_url
axe_violations = readiness_browser.axe_violations

TITLE = "Browser check: a session on what peer specialists do, for the results test"


def _baseline_id(server: LiveServer) -> int:
    with server.app.app_context():
        baseline = db.session.scalars(select(Campaign).where(Campaign.wave == "Baseline")).one()
        found = baseline.id
        db.session.remove()
    return found


def _open(page: Page, link_name: str | re.Pattern[str], address: str, axe_violations: AxeCheck) -> str:
    page.get_by_role("link", name=link_name).click()
    expect(page).to_have_url(address)
    expect(page.locator("h1")).to_have_count(1)
    return axe_violations(page)


def test_hr_opens_results_and_plans_an_action(
    page: Page, live_server: LiveServer, axe_violations: AxeCheck
) -> None:
    sign_in(page, live_server, DEMO_EMAILS["hr"])
    baseline = _baseline_id(live_server)
    problems: list[str] = []

    # Readiness -> the baseline campaign -> its results.
    page.get_by_role("navigation").get_by_role("link", name="Readiness", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Readiness")
    row = page.get_by_role("row").filter(has=page.get_by_role("cell", name="Baseline", exact=True))
    row.get_by_role("link").click()
    expect(page).to_have_url(live_server.at(f"/readiness/campaigns/{baseline}"))
    problems.append(_open(page, "See the results", live_server.at(f"/readiness/campaigns/{baseline}/results"),
                          axe_violations))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Results: Getting ready for peer specialists")
    expect(page.get_by_role("heading", name="Scores by domain", exact=True)).to_be_visible()
    whole = page.get_by_role("table", name=re.compile(r"^Scores for the whole organization"))
    expect(whole.get_by_role("columnheader", name="Understanding of the peer specialist role")).to_have_count(1)
    expect(whole.get_by_role("row", name=re.compile(r"^Whole organization \d+ \d+"))).to_have_count(1)
    too_few = page.get_by_role("cell", name="Too few answers to show", exact=True)
    assert too_few.count() >= 1, "no group shows “Too few answers to show”"

    # Every answer to an open question, a page at a time, then a search that finds something and one that does not.
    read_all = re.compile(r"^(Read all \d+ answers to this question|Search the answers)")
    page.get_by_role("link", name=read_all).first.click()
    open_answers = live_server.at(f"/readiness/campaigns/{baseline}/open-answers/")
    expect(page).to_have_url(re.compile(re.escape(open_answers) + r"\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Open answers")
    answers = page.locator("ul.pw-open-answers > li")
    assert answers.count() >= 5, "the demo's open answers are listed"
    problems.append(axe_violations(page))
    first_word = (answers.first.text_content() or "").split()[0]
    page.get_by_label("Words in the answer").fill(first_word)
    page.get_by_role("button", name="Search").click()
    found = re.compile(f"^Answers with “{re.escape(first_word)}”")
    expect(page.get_by_role("heading", level=2, name=found)).to_be_visible()
    expect(answers.first).to_contain_text(first_word)
    page.get_by_label("Words in the answer").fill("zzqx nothing like this")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="No answer has these words")).to_be_visible()
    problems.append(axe_violations(page))
    page.get_by_role("link", name="Back to the results").click()
    expect(page).to_have_url(live_server.at(f"/readiness/campaigns/{baseline}/results"))

    # Readiness -> Action plans and champions -> the baseline's action plan.
    page.goto(live_server.at("/readiness/"))
    problems.append(_open(page, "Action plans and champions", live_server.at("/readiness/actions"), axe_violations))
    actions_address = live_server.at(f"/readiness/campaigns/{baseline}/actions")
    problems.append(_open(page, re.compile(r"Baseline: action plan$"), actions_address, axe_violations))
    expect(page.get_by_role("heading", name="Suggested training")).to_be_visible()
    plan = page.get_by_role("link", name=re.compile(r"^Plan this\s*:"))
    expect(plan.first).to_be_visible()
    topic = re.sub(r"^Plan this\s*:\s*", "", plan.first.text_content() or "").strip()
    assert topic, "the first suggestion names no training topic"
    expect(page.get_by_role("link", name=TITLE)).to_have_count(0)

    # One click from a suggestion: the form comes filled with the topic and HR as the owner.
    plan.first.click()
    expect(page).to_have_url(re.compile(re.escape(actions_address) + r"/new\?domain=\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Add an action")
    expect(page.get_by_label("What will be done")).to_have_value(topic)
    with live_server.app.app_context():
        hr_id = db.session.scalars(select(Staff.id).where(Staff.email == DEMO_EMAILS["hr"])).one()
        db.session.remove()
    expect(page.get_by_label("Owner")).to_have_value(str(hr_id))
    problems.append(axe_violations(page))

    due = (timeutil.today() + timedelta(days=30)).isoformat()
    held = (timeutil.today() + timedelta(days=21)).isoformat()
    page.get_by_label("What will be done").fill(TITLE)
    page.get_by_label("Due date").fill(due)
    page.get_by_role("button", name="Add the action").click()
    expect(page).to_have_url(actions_address)
    expect(page.get_by_text("The action is added to the plan.")).to_be_visible()
    added = page.get_by_role("row").filter(has=page.get_by_role("link", name=TITLE, exact=True))
    expect(added).to_have_count(1)
    expect(added).to_contain_text(due)
    expect(added).to_contain_text("Planned")
    problems.append(axe_violations(page))

    # Its training session is planned in Training, from the action, and the action plan links to it.
    added.get_by_role("link", name=TITLE, exact=True).click()
    page.get_by_role("link", name="Plan a training session for this action").click()
    expect(page.get_by_label("Title")).to_have_value(TITLE)
    expect(page.get_by_label("Topic (optional)")).to_have_value(topic)
    page.get_by_label("Day").fill(held)
    page.get_by_label("Starts at").fill("10:00")
    page.get_by_label("Hours", exact=True).fill("2")
    page.get_by_label("Facilitator", exact=True).select_option(label="Sam Okafor")
    page.get_by_role("button", name="Plan the session").click()
    expect(page.get_by_text("It is linked to the readiness action.")).to_be_visible()
    page.goto(actions_address)
    added = page.get_by_role("row").filter(has=page.get_by_role("link", name=TITLE, exact=True))
    expect(added.get_by_role("link", name=f"{TITLE}, {held}")).to_be_visible()
    problems.append(axe_violations(page))
    with live_server.app.app_context():
        saved = db.session.scalars(select(Action).where(Action.title == TITLE)).one()
        assert (saved.campaign_id, saved.owner_id, saved.due_on.isoformat()) == (baseline, hr_id, due)
        db.session.remove()

    # The champions page, from the action plans list.
    page.goto(live_server.at("/readiness/actions"))
    problems.append(_open(page, "Champions by team", live_server.at("/readiness/champions"), axe_violations))
    expect(page.get_by_role("heading", name="Name a champion")).to_be_visible()

    # The agency's readiness settings, from the Readiness page.
    page.goto(live_server.at("/readiness/"))
    problems.append(_open(page, "Settings", live_server.at("/readiness/settings"), axe_violations))
    expect(page.get_by_role("heading", name="Readiness settings")).to_be_visible()

    assert live_server.take_errors() == ""
    failures = [problem for problem in problems if problem]
    assert not failures, "\n\n".join(failures)
