"""Factories for hiring tests: drafts started the way HR starts them, filled in, and taken through approval."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from core import settings, timeutil
from core.extensions import db
from core.models import Role, Staff, Team
from hiring.models import Posting, PostingVersion
from hiring.services import postings
from tests import factories

AGENCY = {
    "agency_name": "Harbor Valley Behavioral Health",
    "agency_street": "100 Harbor Street",
    "agency_city": "New Haven",
    "agency_region": "CT",
    "agency_postal_code": "06510",
}
SAMPLE_BLANKS = {
    "Program/Team": "Community Reintegration Program",
    "Service Line": "Mental Health Service Line",
    "supervisor's title": "Peer Support Supervisor",
    "Program": "Community Reintegration Program",
    "Department or Service Line": "Mental Health Service Line",
    "Service Line name": "Mental Health",
}


def enter_agency(living_wage: str = "24.50") -> None:
    for key, value in {**AGENCY, "living_wage_hourly": living_wage, "living_wage_area": "New Haven County"}.items():
        settings.put(key, value)


def make_hr(**kwargs: Any) -> Staff:
    return factories.make_staff(Role.HR, **kwargs)


def team_with_peers(peers: int = 1, name: str | None = None) -> Team:
    team = factories.make_team(name=name)
    for _ in range(peers):
        factories.make_staff(Role.PEER, teams=[team], program=team.program)
    return team


def draft(hr: Staff | None = None, **changes: Any) -> Posting:
    """A draft from the sample; ``changes`` (fields of ``postings.Details``) saved as version 2 when given."""
    hr = hr or make_hr()
    posting = postings.start_draft(None, hr)
    if changes:
        save(posting, hr, **changes)
    db.session.flush()
    return posting


def save(posting: Posting, hr: Staff, **changes: Any) -> PostingVersion:
    details = replace(postings.details_of(postings.current_version(posting)), **changes)
    return postings.save_details(posting, details, posting.version, hr)


def ready_details(team: Team) -> dict[str, Any]:
    """Everything a version needs before it may be sent for review."""
    return {
        "program_id": team.program_id,
        "team_id": team.id,
        "setting": "community",
        "pay_min_cents": 2600,
        "pay_max_cents": 3000,
        "pay_period": "hour",
        "closes_on": timeutil.today() + timedelta(days=30),
        "blanks": dict(SAMPLE_BLANKS),
    }


def published(hr: Staff | None = None, team: Team | None = None, **changes: Any) -> Posting:
    """A posting from the sample, filled in, reviewed, approved and published."""
    enter_agency()
    hr = hr or make_hr()
    team = team or team_with_peers(1)
    posting = draft(hr, **{**ready_details(team), **changes})
    for action in ("review", "approve", "publish"):
        postings.move(posting, action, "", posting.version, hr, agency_ready=True)
    db.session.flush()
    return posting


RESUME = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def applicant(posting: Posting, name: str = "Robin Vega", email: str | None = None, **fields: Any) -> Any:
    """An application sent to ``posting`` (published) the way the careers page sends it; returns its candidate."""
    from core import uploads
    from hiring.models import Candidate
    from hiring.services import applications

    version = postings.version_numbered(posting, posting.published_number or posting.current_number)
    sent = applications.Sent(
        name=name,
        email=email or name.lower().replace(" ", ".") + "@example.org",
        phone=fields.pop("phone", "555-0100"),
        answers=[(question, "An answer.") for question in version.question_list],
        statement=fields.pop("statement", ""),
    )
    resume = uploads.Checked(RESUME, uploads.PDF, "cv.pdf")
    application = applications.apply(posting, version, sent, resume, version.title)
    db.session.flush()
    return db.session.scalars(select(Candidate).where(Candidate.application_id == application.id)).one()


def moved(candidate: Any, stage: str, actor: Staff, **fields: str) -> Any:
    """``candidate`` moved to ``stage`` by ``actor`` through the service, as HR's form does."""
    from hiring.services import candidates

    candidates.move(candidate, candidates.Move(stage, **fields), candidate.version, actor)
    db.session.flush()
    return candidate


COMPETENCIES = ("s003.competency.4", "s003.competency.6", "s003.competency.8")  # ally, role model, problem solver


def ready_panel(
    posting: Posting, *people: Staff, keys: tuple[str, ...] = COMPETENCIES, hr: Staff | None = None
) -> list[Staff]:
    """A complete panel for ``posting`` through the service, as HR builds it: ``people`` (by default a peer
    specialist and a clinician) and the competencies ``keys``. Returns the interviewers."""
    from hiring.services import panels

    hr = hr or make_hr()
    interviewers = list(people) or [
        factories.make_staff(Role.PEER, name="Pat Interviewer"),
        factories.make_staff(Role.STAFF, name="Casey Interviewer"),
    ]
    for person in interviewers:
        panels.add_member(posting, person.id, panels.ensure(posting).version, hr)
    panels.set_competencies(posting, list(keys), panels.ensure(posting).version, hr)
    db.session.flush()
    return interviewers


def scored(candidate: Any, interviewer: Staff, scores: dict[str, int], *, submit: bool = True) -> Any:
    """``interviewer``'s scorecard of ``candidate`` saved through the service (submitted unless told not to)."""
    from hiring.services import scorecards

    card = scorecards.own(candidate, interviewer)
    entries = {key: scorecards.Entry(value, f"Evidence for {value}: what they said.") for key, value in scores.items()}
    saved = scorecards.save(
        candidate, entries, submit=submit, loaded=scorecards.version_of(card), interviewer=interviewer
    )
    db.session.flush()
    return saved
