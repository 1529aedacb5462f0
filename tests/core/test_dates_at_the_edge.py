"""Dates at the edge (issue 10, finding 6): every date a person can type, into a GET filter or a form, on every
page, with the first and last day Python holds, a year it cannot hold and words that are no date. Each answers with
the page or a form error, never a server error. The date parameters are read from the forms themselves (every
``DateField`` and ``DateTimeLocalField`` of every form class), so a new filter is walked without anyone adding it
here; the pages with ids in their address are walked with real records of the demo agency (every id argument of
every route needs a record below, so a new route is walked too)."""

from __future__ import annotations

import html
import importlib
import pkgutil
import re
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from wtforms import DateField, DateTimeLocalField
from wtforms.fields.core import UnboundField

from core.extensions import db as database
from core.forms import FlaskForm, Form
from core.models import AuditEntry, Notification, Role, Staff, Team
from core.timeutil import utcnow
from tests.factories import make_client, make_staff, start_session

EXTREMES = ("0001-01-01", "9999-12-31", "10000-01-01", "99999-01-01", "0000-00-00", "9999-12-31T23:59",
            "0001-01-01T00:00", "garbage")
PACKAGES = ("core", "caseload", "readiness", "hiring", "training", "supervision")


def _all_subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_all_subclasses(sub)}
    return found


def date_parameters() -> set[str]:
    for package in PACKAGES:
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, f"{package}."):
            importlib.import_module(info.name)
    names = set()
    for form in _all_subclasses(Form) | _all_subclasses(FlaskForm):
        for attribute in dir(form):
            value = getattr(form, attribute, None)
            if isinstance(value, UnboundField) and issubclass(value.field_class, DateField | DateTimeLocalField):
                names.add(attribute)
    return names


def test_the_walk_finds_the_date_filters():
    assert {"date_from", "date_to", "day", "start", "end"} <= date_parameters()


@pytest.mark.parametrize("extreme", EXTREMES)
def test_no_get_page_fails_on_an_extreme_date(app: Flask, client, db, login_as, extreme):
    login_as(Role.PRIVACY, Role.ADMIN, Role.SUPERVISOR, Role.STAFF)
    names = sorted(date_parameters())
    walked = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments or rule.endpoint == "static":
            continue
        if rule.rule.startswith(("/logout", "/static")):
            continue
        response = client.get(rule.rule, query_string=dict.fromkeys(names, extreme))
        walked.append(rule.rule)
        assert response.status_code < 500, (rule.rule, extreme)
    assert "/caseload/safeguards/access-report" in walked
    assert "/caseload/safeguards/access-report.csv" in walked
    assert "/audit/" in walked


def form_date_fields() -> dict[str, set[str]]:
    """Each date field's name, with the prefixes a page may give its form (``determination-review_on``)."""
    names = date_parameters()
    return {name: {name, *(f"{prefix}-{name}" for prefix in ("determination", "consent", "client", "note"))}
            for name in names}


@pytest.mark.parametrize("extreme", EXTREMES)
def test_no_form_without_an_id_fails_on_an_extreme_date(app: Flask, client, db, login_as, extreme):
    """POST every form that needs no record id with every date field at the edge (other fields sensible)."""
    login_as(Role.PRIVACY, Role.ADMIN, Role.SUPERVISOR, Role.STAFF)
    data = {field: extreme for fields in form_date_fields().values() for field in fields}
    data |= {"name": "Edge Case", "reason": "A reason long enough to be read by anyone at all.", "purpose": "crisis",
             "source": "self", "urgency": "routine", "title": "Edge", "received_at": extreme}
    walked = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.arguments or rule.rule.startswith(("/logout", "/login")):
            continue
        response = client.post(rule.rule, data=data)
        walked.append(rule.rule)
        assert response.status_code < 500, (rule.rule, extreme)
    assert "/caseload/emergency" in walked


# Pages with ids in their address -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_agency(module_transaction: Flask) -> SimpleNamespace:
    """The demo agency, once for the module, with what it lacks for a walk: a person who may open nearly every page
    (privacy officer, administrator, supervisor and clinician), their live emergency grant, a notification, a
    champion and a possible duplicate of the sealed record. Ids only, by the name of the route argument."""
    from caseload.models import (
        Assignment,
        Client,
        Consent,
        EmergencyGrant,
        GroupSession,
        PlanVersion,
        Referral,
        Resource,
    )
    from core import demo
    from core.models import CredentialType, Upload
    from hiring.models import Candidate, ExclusionPhrase, Posting, Template
    from readiness.models import Action, Campaign, Champion, Domain, Instrument, Invitation, Item

    with module_transaction.app_context():
        demo.load(password="peerworks-demo-edge")
        session = database.session
        crp_team = session.scalar(select(Team).where(Team.name == "Day program"))
        # On no team: the demo's sealed record is a staff member's on both of the program's teams, and a privacy
        # officer or administrator who shares a team with them may not handle it.
        walker = make_staff(Role.PRIVACY, Role.ADMIN, Role.SUPERVISOR, Role.STAFF, name="Wally Walker",
                            teams=[], program=crp_team.program)
        sealed = session.scalar(select(Client).where(Client.staff_member_id.is_not(None)))
        duplicate = make_client(sealed.name, date_of_birth=sealed.date_of_birth)
        open_client = session.scalar(
            select(Client).join(PlanVersion, PlanVersion.client_id == Client.id)
            .join(Consent, Consent.client_id == Client.id).join(Referral, Referral.client_id == Client.id)
            .where(Client.staff_member_id.is_(None)).order_by(Client.id).limit(1))
        now = utcnow()
        grant = EmergencyGrant(staff_id=walker.id, client_id=sealed.id, purpose="crisis",
                               reason="A crisis call about this person tonight; need the plan.",
                               started_at=now, expires_at=now + timedelta(hours=4))
        session.add(grant)
        note = Notification(staff_id=walker.id, text="Something to read.", link="/")
        session.add(note)
        other = session.scalar(select(Staff).where(Staff.email == "peer@example.org"))
        champion = Champion(team_id=crp_team.id, staff_id=other.id, since=date(2024, 1, 1))
        session.add(champion)
        phrase = ExclusionPhrase(phrase="no gaps in employment", reason="Recovery can leave gaps.")
        upload = Upload(purpose="hiring.resume", filename="cv.pdf", content_type="application/pdf", size=9,
                        sha256="0" * 64, data=b"%PDF-1.7\n")
        session.add_all([phrase, upload])
        session.flush()
        posting = session.scalar(select(Posting).where(Posting.status == "published").order_by(Posting.id).limit(1))
        group_session = session.scalar(select(GroupSession).order_by(GroupSession.id).limit(1))
        campaign = session.scalar(select(Campaign).order_by(Campaign.id).limit(1))
        open_item = session.scalar(select(Item).where(Item.kind == "text").order_by(Item.id).limit(1))
        ids = {
            "client_id": open_client.id,
            "assignment_id": session.scalar(select(Assignment.id).where(Assignment.client_id == open_client.id)),
            "consent_id": session.scalar(select(Consent.id).where(Consent.client_id == open_client.id)),
            "referral_id": session.scalar(select(Referral.id).where(Referral.client_id == open_client.id)),
            "number": 1,
            "duplicate_id": duplicate.id,
            "grant_id": grant.id,
            "group_id": group_session.group_id,
            "session_id": group_session.id,
            "resource_id": session.scalar(select(Resource.id).limit(1)),
            "entry_id": session.scalar(select(AuditEntry.id).limit(1)),
            "notification_id": note.id,
            "staff_id": other.id,
            "team_id": crp_team.id,
            "campaign_id": campaign.id,
            "instrument_id": session.scalar(select(Instrument.id).limit(1)),
            "domain_id": session.scalar(select(Domain.id).limit(1)),
            "item_id": open_item.id,
            "action_id": session.scalar(select(Action.id).limit(1)),
            "champion_id": champion.id,
            "invitation_id": session.scalar(select(Invitation.id).where(Invitation.campaign_id == campaign.id)
                                            .limit(1)),
            "token": "not-a-real-token",
            "posting_id": posting.id,
            "template_id": session.scalar(select(Template.id).order_by(Template.id).limit(1)),
            "exclusion_phrase_id": phrase.id,
            "credential_type_id": session.scalar(select(CredentialType.id).order_by(CredentialType.id).limit(1)),
            "upload_id": upload.id,
            "candidate_id": session.scalar(select(Candidate.id).where(Candidate.posting_id == posting.id)
                                           .order_by(Candidate.id).limit(1)),
            **training_ids(session),
            **supervision_ids(session),
        }
        assert all(value is not None for value in ids.values()), ids
        found = SimpleNamespace(ids=ids, sealed=sealed.id, walker=walker.id)
        session.commit()
        return found


def training_ids(session) -> dict[str, int | None]:
    """One of each training record of the demo agency, for the training pages with ids."""
    from training.models import Attendance as SessionAttendance
    from training.models import (
        CeEntry,
        Certification,
        Curriculum,
        Cycle,
        Facilitator,
        OrientationItem,
        OrientationTemplateItem,
        ShadowingEntry,
        TrainingSession,
    )

    def first(model) -> int | None:
        return session.scalar(select(model.id).order_by(model.id).limit(1))

    return {
        "certification_id": first(Certification), "cycle_id": first(Cycle), "ce_entry_id": first(CeEntry),
        "curriculum_id": first(Curriculum), "facilitator_id": first(Facilitator),
        "orientation_item_id": first(OrientationItem), "orientation_template_item_id": first(OrientationTemplateItem),
        "shadowing_id": first(ShadowingEntry), "training_session_id": first(TrainingSession),
        "attendance_id": first(SessionAttendance),
    }


def supervision_ids(session) -> dict[str, int | None]:
    """One of each supervision record of the demo agency, for the supervision pages with ids."""
    from supervision.models import ActionItem, Attendee, Meeting, Requirement

    def first(model) -> int | None:
        return session.scalar(select(model.id).order_by(model.id).limit(1))

    meeting_id = first(Meeting)
    return {
        "meeting_id": meeting_id,
        "attendee_id": session.scalar(select(Attendee.id).where(Attendee.meeting_id == meeting_id).limit(1)),
        "action_item_id": first(ActionItem),
        "requirement_id": first(Requirement),
    }


def address(rule, agency: SimpleNamespace) -> str:
    """The route's address with real ids; the safeguards pages of one client are about the sealed record."""
    ids = dict(agency.ids)
    if rule.rule.startswith("/caseload/safeguards/clients/") or rule.rule.startswith("/caseload/safeguards/link/"):
        ids["client_id"] = agency.sealed
    missing = set(rule.arguments) - set(ids)
    assert not missing, f"{rule.rule}: give the walk a record for {sorted(missing)}"
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(rf"<(?:\w+:)?{name}>", str(ids[name]), path)
    return path


def walked_with_ids(app: Flask, method: str) -> list:
    return sorted((rule for rule in app.url_map.iter_rules()
                   if rule.arguments and method in (rule.methods or ()) and rule.endpoint != "static"),
                  key=lambda rule: rule.rule)


def sign_in(browser: FlaskClient, staff_id: int) -> None:
    token = start_session(database.session.get(Staff, staff_id))
    with browser.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True


FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.DOTALL)
HIDDEN = re.compile(r'<input\b(?=[^>]*type="hidden")[^>]*>')


def attribute(tag: str, name: str) -> str | None:
    found = re.search(rf'\b{name}="([^"]*)"', tag)
    return html.unescape(found.group(1)) if found else None


def hidden_fields(page: str, url: str) -> dict[str, dict[str, str]]:
    """The hidden fields (the versions a page was loaded at) of each form on a page, by where the form is sent."""
    found: dict[str, dict[str, str]] = {}
    for attributes, body in FORM.findall(page):
        if (attribute(attributes, "method") or "get").lower() != "post":
            continue
        action = (attribute(attributes, "action") or url).split("?")[0].split("#")[0]
        fields = {attribute(tag, "name"): attribute(tag, "value") or "" for tag in HIDDEN.findall(body)}
        found.setdefault(action, {}).update({k: v for k, v in fields.items() if k and k != "csrf_token"})
    return found


def get_every_page_with_ids(app: Flask, browser: FlaskClient, agency: SimpleNamespace, extreme: str,
                            forms: dict[str, dict[str, str]] | None = None) -> list[str]:
    """GET every route with ids, every date parameter at ``extreme``; ``forms`` collects each page's hidden form
    fields by the address the form is sent to."""
    names = sorted(date_parameters())
    walked = []
    for rule in walked_with_ids(app, "GET"):
        url = address(rule, agency)
        if url.endswith(".pdf") and extreme != EXTREMES[0]:
            continue  # a PDF takes no date and has no form: once is enough, and each takes a while
        response = browser.get(url, query_string=dict.fromkeys(names, extreme) if extreme else None)
        assert response.status_code < 500, (url, extreme)
        walked.append(url)
        if forms is not None and response.status_code == 200 and response.mimetype == "text/html":
            forms |= hidden_fields(response.get_data(as_text=True), url)
    return walked


def form_data(extreme: str) -> dict[str, str]:
    """Every date field (with the prefixes pages give their forms) at the edge; the other fields sensible."""
    data = {field: extreme for fields in form_date_fields().values() for field in fields}
    for prefix in ("", "assign-", "consent-", "know-", "determination-"):
        data |= {f"{prefix}{name}": value for name, value in {
            "name": "Edge Case", "reason": "A reason long enough to be read by anyone at all.", "purpose": "crisis",
            "source": "self", "urgency": "routine", "title": "Edge", "topic": "Edge", "minutes": "30",
            "kind": "advocacy", "place": "office", "body": "Talked.", "status": "active", "relationship": "friend",
            "recipient": "A clinic", "situation": "s", "decision": "d", "rationale": "A rationale one can read.",
            "consulted": "no one", "finding": "A finding one can read, long enough.", "version": "1",
            "goals-0-term": "short", "goals-0-in_own_words": "Keep going.", "base_version": "1",
        }.items()}
    return data | {"received_at": extreme}


# Forms that close or remove what the walk needs (the record, the seal, the grant, the session) are sent last.
CLOSING = ("declare", "unlink", "remove", "delete", "deactivate", "_end", "merge", "revoke", "mark_read")
OUT_OF_RANGE = ("10000-01-01", "99999-01-01", "0000-00-00", "garbage")
# Forms with a date field that must refuse a date out of range with a form error (400), the input kept.
DATED_FORMS = {"caseload.client_edit", "caseload.consent_add", "caseload.group_session_new",
               "caseload.group_session_edit", "caseload.plan_edit", "caseload.note_new",
               "caseload.safeguards_determination", "readiness.action_new", "readiness.action_edit",
               "readiness.campaign_edit", "readiness.campaign_copy"}


@pytest.mark.parametrize("extreme", EXTREMES)
def test_no_page_or_form_with_an_id_fails_on_an_extreme_date(app: Flask, client, db, demo_agency, extreme):
    """POST every route with ids with every date field at the edge; then GET every route with ids (client pages,
    plans, notes, groups, sessions, safeguards, campaigns…) with every date parameter of every form at the edge,
    which also shows any date that got in; then the forms that close or remove something. (One walk does both
    GET checks: a walk of every page costs as much as all the posts.)"""
    sign_in(client, demo_agency.walker)
    data = form_data(extreme)
    rules = walked_with_ids(app, "POST")
    closing = [rule for rule in rules if any(word in rule.endpoint for word in CLOSING)]
    # Each form is sent with the versions its page was loaded at, so the dates are what decides.
    forms: dict[str, dict[str, str]] = {}
    get_every_page_with_ids(app, client, demo_agency, "", forms)
    answers = {}
    for rule in [rule for rule in rules if rule not in closing]:
        url = address(rule, demo_agency)
        response = client.post(url, data=data | forms.get(url, {}))
        assert response.status_code < 500, (url, extreme)
        answers[rule.endpoint] = response.status_code
    shown = get_every_page_with_ids(app, client, demo_agency, extreme)
    skipped_pdfs = extreme != EXTREMES[0]
    every = [rule for rule in walked_with_ids(app, "GET") if not (skipped_pdfs and rule.rule.endswith(".pdf"))]
    assert len(shown) == len(every)
    assert f"/caseload/clients/{demo_agency.ids['client_id']}/notes" in shown
    assert f"/caseload/groups/{demo_agency.ids['group_id']}/sessions/{demo_agency.ids['session_id']}/edit" in shown
    for rule in closing:
        url = address(rule, demo_agency)
        assert client.post(url, data=data).status_code < 500, (url, extreme)
    assert set(answers) >= DATED_FORMS
    if extreme in OUT_OF_RANGE:
        refused = {endpoint: answers[endpoint] for endpoint in DATED_FORMS}
        assert set(refused.values()) == {400}, [item for item in sorted(refused.items()) if item[1] != 400]


@pytest.mark.parametrize("extreme", OUT_OF_RANGE)
def test_a_record_page_refuses_an_extreme_date_with_a_message(app: Flask, client, db, demo_agency, extreme):
    """The record's own form answers (not a missing record): the date is refused next to its box, what was typed
    kept."""
    sign_in(client, demo_agency.walker)
    client_id = demo_agency.ids["client_id"]
    saved = client.post(f"/caseload/clients/{client_id}/notes/new", data=form_data(extreme))
    page = saved.get_data(as_text=True)
    assert saved.status_code == 400
    assert re.search(r'id="happened_on-error">[^<]*Enter a real date', page), page[:200]
    assert re.search(r'<textarea[^>]*name="body"[^>]*>\s*Talked\.</textarea>', page)
