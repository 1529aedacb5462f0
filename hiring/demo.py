"""Demo hiring: the agency's name, address and living wage; two state credentials; a plain-language template of the
agency's own (a copy of the sample, rewritten); one published posting with five candidates at different stages and a
finished interview panel (the demo peer specialist and the vocational supervisor, their scores submitted); a draft
in review that passes every check; a draft from the sample with checks to fix (blanks left, pay under the living
wage, a team with no peer specialist, requirements that shut out lived experience, hard reading); and a closed
posting that hired a peer specialist (invited, on the housing team).

Everything goes through ``hiring.services``, exactly as HR's clicks do.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from core import credentials, demo, settings, timeutil, uploads
from core.extensions import db
from core.models import Program, Staff, Team
from core.pdf import tiny_pdf
from hiring.models import Candidate, Posting, Template
from hiring.services import applications, candidates, documents, hires, panels, postings, scorecards
from hiring.services import templates as template_service

AGENCY = {
    "agency_name": "Harbor Valley Behavioral Health",
    "agency_street": "100 Harbor Street",
    "agency_city": "New Haven",
    "agency_region": "CT",
    "agency_postal_code": "06510",
    "living_wage_hourly": "24.50",
    "living_wage_area": "New Haven County, CT",
}

PLAIN_TEMPLATE = "Peer Specialist, plain language"


def _duty(text: str) -> dict[str, Any]:
    return {"key": "", "text": text, "items": []}


def _section(
    key: str, heading: str, text: str, groups: list[dict[str, Any]] | None = None, after: str = ""
) -> dict[str, Any]:
    return {"key": key, "heading": heading, "text": text, "groups": groups or [], "after": after}


def plain_document() -> documents.Document:
    """The sample's sections in plain words (reading grade 8 or below), the blanks kept."""
    return {
        "subtitle": "Mental Health Program",
        "sections": [
            _section(
                "major_duties",
                "Major Duties and Responsibilities",
                "You are a full member of the [Program/Team]. You use your own recovery to give hope and real help "
                "to the people we serve. The [supervisor's title] is your supervisor.",
                [
                    {
                        "key": "goal_setting",
                        "lead": "Using goal setting, you will:",
                        "style": "bullets",
                        "duties": [
                            _duty("Help people name their own goals, one to one and in groups."),
                            _duty("Help people make a plan with their team, step by step."),
                            _duty("Help people start or find self-help groups."),
                            _duty("Use tools such as WRAP with the people you support."),
                            _duty("Help people look for work, fill in job forms and get ready for interviews."),
                        ],
                    },
                    {
                        "key": "recovery_experience",
                        "lead": "Using your own recovery, you will:",
                        "style": "bullets",
                        "duties": [
                            _duty("Show by example that recovery is possible."),
                            _duty("Share your own story when it helps someone else."),
                            _duty("Go with people to look at housing, by car or by bus."),
                            _duty("Link people to groups and help in the community."),
                            _duty("Help people speak up for themselves and stand up to stigma."),
                        ],
                    },
                ],
                "You keep learning about recovery, and you go to training when it is offered.",
            ),
            _section(
                "knowledge",
                "Knowledge Required by the Position",
                "",
                [
                    {
                        "key": "knowledge",
                        "lead": "",
                        "style": "letters",
                        "duties": [
                            _duty("You know recovery from the inside, from your own life."),
                            _duty("You can help people solve everyday problems."),
                            _duty("You know the help people need in the community, such as housing, money and food."),
                            _duty("You can run a group or help run one."),
                            _duty("You can get around town, by car or by bus."),
                        ],
                    },
                ],
            ),
            _section(
                "supervisory_controls",
                "Supervisory Controls",
                "The [Program] team leader supervises you. You meet each week, one to one and with other peer "
                "specialists. You do routine work on your own, and you ask when something is new.",
            ),
            _section(
                "guidelines",
                "Guidelines",
                "You follow the agency's rules. When you are not sure what to do, you ask your supervisor.",
            ),
            _section(
                "complexity",
                "Complexity",
                "You help people set goals and plan how to reach them. You make these plans with the person and "
                "their team.",
            ),
            _section(
                "scope_and_effect",
                "Scope and Effect",
                "Your work helps people take part in their town, speak up for themselves and build support.",
            ),
            _section(
                "physical_demands",
                "Physical Demands",
                "Much of the work is sitting and talking. Some days you walk, drive or take the bus to meet people.",
            ),
            _section(
                "work_environment",
                "Work Environment",
                "You work in the clinic, out in town and in people's homes. Some days are busy and loud. The people "
                "you support are at different points in their recovery.",
            ),
        ],
    }


def _team(code: str, name: str) -> Team:
    return db.session.scalars(select(Team).join(Team.program).where(Team.name == name, Program.code == code)).one()


def _fill(posting_id: int, actor: Staff, **changes: Any) -> None:
    posting = db.session.get(postings.Posting, posting_id)
    assert posting is not None  # noqa: S101  just made
    details = replace(postings.details_of(postings.current_version(posting)), **changes)
    postings.save_details(posting, details, posting.version, actor)


def resume_pdf(name: str) -> bytes:
    """A small, real one-page PDF résumé (``core.pdf.tiny_pdf``: the demo loads in a blink)."""
    return tiny_pdf([(12, f"{name}: résumé. Peer support, group facilitation, lived experience of recovery.")])


def _apply(posting: Posting, name: str, statement: str = "") -> Candidate:
    version = postings.version_numbered(posting, posting.published_number or posting.current_number)
    email = name.lower().replace(" ", ".") + "@example.com"
    sent = applications.Sent(
        name=name,
        email=email,
        phone="203-555-01" + str(len(name) % 90).zfill(2),
        answers=[
            (question, f"{name.split()[0]}'s answer: recovery means choosing my own life.")
            for question in version.question_list
        ],
        statement=statement,
    )
    resume = uploads.Checked(resume_pdf(name), uploads.PDF, f"{name.split()[-1].lower()}-resume.pdf")
    application = applications.apply(posting, version, sent, resume, postings.filled(version, version.title))
    return db.session.scalars(select(Candidate).where(Candidate.application_id == application.id)).one()


def _move(candidate: Candidate, stage: str, actor: Staff, comment: str = "", reason: str = "") -> None:
    candidates.move(candidate, candidates.Move(stage, comment, reason), candidate.version, actor)


EVIDENCE = {
    4: "Listened without interrupting and reflected back what the person in the role play said.",
    6: "Told a short part of their own recovery story and tied it to the person's goal.",
    8: "Walked through a housing and transport problem step by step with clear next actions.",
    15: "Gave practical ideas for budgeting and daily routines, asked what the person wanted first.",
}


def _score(candidate: Candidate, interviewer: Staff, scores: dict[int, int]) -> None:
    entries = {
        f"s003.competency.{number}": scorecards.Entry(value, EVIDENCE[number]) for number, value in scores.items()
    }
    scorecards.save(candidate, entries, submit=True, loaded=scorecards.NEW, interviewer=interviewer)


def _panel(posting: Posting, interviewers: list[Staff], hr: Staff) -> None:
    for person in interviewers:
        panels.add_member(posting, person.id, panels.ensure(posting).version, hr)
    keys = [f"s003.competency.{number}" for number in sorted(EVIDENCE)]
    panels.set_competencies(posting, keys, panels.ensure(posting).version, hr)


def candidates_and_panel(job: Posting, people: dict[str, Staff]) -> None:
    """The published posting's five candidates at different stages and its finished panel (the demo peer
    specialist and the vocational supervisor, every score submitted)."""
    hr, peer, terry = people["hr@example.org"], people["peer@example.org"], people["terry@example.org"]
    _panel(job, [peer, terry], hr)
    _apply(job, "Jordan Rivers", "I am a veteran and have been in recovery for four years.")
    screened = _apply(job, "Alexis Moreno")
    _move(screened, "screened", hr, "Clear answers; lived experience of recovery.")
    interviewed = _apply(job, "Casey Whitman", "Lived experience of recovery; I run a WRAP group as a volunteer.")
    offered = _apply(job, "Morgan Avery")
    not_selected = _apply(job, "Dakota Lee")
    for candidate in (interviewed, offered, not_selected):
        _move(candidate, "screened", hr)
        _move(candidate, "interview", hr, "Interview on the vocational team's day.")
    _score(interviewed, peer, {4: 4, 6: 5, 8: 3, 15: 4})
    _score(interviewed, terry, {4: 3, 6: 4, 8: 4, 15: 3})
    _score(offered, peer, {4: 5, 6: 5, 8: 4, 15: 4})
    _score(offered, terry, {4: 4, 6: 5, 8: 5, 15: 4})
    _score(not_selected, peer, {4: 2, 6: 3, 8: 2, 15: 2})
    _score(not_selected, terry, {4: 3, 6: 2, 8: 2, 15: 3})
    _move(offered, "offer", hr, "The panel agreed. Offer at the top of the range.")
    _move(
        not_selected,
        "not_selected",
        hr,
        reason="Not yet ready to facilitate groups on their own; encouraged to apply again next year.",
    )


def closed_posting_that_hired(template: Template, people: dict[str, Staff], certified_id: int) -> None:
    """A posting for the housing team, published, interviewed, one peer specialist hired and the posting closed."""
    hr, admin = people["hr@example.org"], people["admin@example.org"]
    housing = _team("TSH", "Housing team")
    job = postings.start_draft(template, hr)
    _fill(
        job.id,
        hr,
        title="Peer Specialist, Transitional Housing",
        program_id=housing.program_id,
        team_id=housing.id,
        setting="housing",
        pay_min_cents=2550,
        pay_max_cents=2900,
        schedule="Monday to Friday, 8:30 to 5:00",
        credential_type_id=certified_id,
        closes_on=timeutil.today() + timedelta(days=10),
        blanks={"Program/Team": "housing team", "supervisor's title": "housing supervisor", "Program": "TSH"},
    )
    for action, actor in (("review", hr), ("approve", admin), ("publish", hr)):
        postings.move(job, action, "" if action != "approve" else "Approved.", job.version, actor, agency_ready=True)
    _panel(job, [people["avery@example.org"], people["finley@example.org"]], hr)
    hired = _apply(job, "Jesse Morales", "Ten years in recovery; I lived in transitional housing myself.")
    _apply(job, "Sky Bennett")
    for stage in ("screened", "interview"):
        _move(hired, stage, hr)
    _score(hired, people["avery@example.org"], {4: 5, 6: 4, 8: 4, 15: 5})
    _score(hired, people["finley@example.org"], {4: 4, 6: 4, 8: 5, 15: 4})
    _move(hired, "offer", hr, "Strong panel scores.")
    base = current_app.config.get("BASE_URL") or "http://127.0.0.1:5000"
    with current_app.test_request_context("/", base_url=base):  # the invitation email holds a link to the app
        hires.hire(
            hired,
            hires.HireDetails(
                name="Jesse Morales",
                email="jesse.morales@example.org",
                job_title="Peer specialist",
                team_id=housing.id,
                supervisor_id=people["terry@example.org"].id,
                close_posting=True,
            ),
            hired.version,
            hr,
        )


def load(people: dict[str, Staff]) -> str:
    hr, admin = people["hr@example.org"], people["admin@example.org"]
    for key, value in AGENCY.items():
        settings.put(key, value)
    certified = credentials.add("Certified Peer Specialist", "State certification board", hr)
    credentials.add("Recovery Support Specialist", "State certification board", hr)

    template = template_service.copy_sample(PLAIN_TEMPLATE, hr)
    template.document = documents.dump(plain_document())
    db.session.flush()
    today = timeutil.today()

    # Published: the vocational team (two peer specialists already) adds a third.
    vocational = _team("CWT/SE", "Vocational team")
    job = postings.start_draft(template, hr)
    _fill(
        job.id,
        hr,
        title="Peer Specialist, Supported Employment",
        program_id=vocational.program_id,
        team_id=vocational.id,
        setting="community",
        pay_min_cents=2600,
        pay_max_cents=3000,
        schedule="Monday to Friday, 8:00 to 4:30",
        credential_type_id=certified.id,
        closes_on=today + timedelta(days=30),
        questions="What does recovery mean to you, in a few sentences?\nWhat would you bring to a job-search group?",
        blanks={
            "Program/Team": "vocational team",
            "supervisor's title": "vocational rehabilitation supervisor",
            "Program": "CWT/SE",
        },
    )
    postings.move(job, "review", "Ready for a look.", job.version, hr, agency_ready=True)
    postings.move(job, "approve", "Clear and fair. Approved.", job.version, admin, agency_ready=True)
    postings.move(job, "publish", "", job.version, hr, agency_ready=True)
    candidates_and_panel(job, people)

    # In review, passing every check: the referral intake team (two peer specialists) adds one.
    intake = _team("CRP", "Referral intake")
    review = postings.start_draft(template, hr)
    _fill(
        review.id,
        hr,
        title="Peer Specialist, Referral Intake",
        program_id=intake.program_id,
        team_id=intake.id,
        setting="outpatient",
        pay_min_cents=2500,
        pay_max_cents=2800,
        schedule="Monday to Friday, 9:00 to 5:30",
        credential_type_id=certified.id,
        closes_on=today + timedelta(days=45),
        blanks={
            "Program/Team": "referral intake team",
            "supervisor's title": "peer support supervisor",
            "Program": "CRP",
        },
    )
    postings.move(review, "review", "Please check the pay.", review.version, hr, agency_ready=True)

    # A draft from the sample with checks to fix.
    inpatient = _team("INPT", "Inpatient team")
    rough = postings.start_draft(None, hr)
    _fill(
        rough.id,
        hr,
        program_id=inpatient.program_id,
        team_id=inpatient.id,
        setting="inpatient",
        pay_min_cents=1600,
        pay_max_cents=1800,
        lived_experience_text="Applicants must have no criminal history and be two years symptom-free.",
        blanks={"Program/Team": "8 West inpatient team"},
    )
    closed_posting_that_hired(template, people, certified.id)
    return (
        "Hiring: the sample template and a plain-language copy; one published posting with five candidates and a "
        "finished interview panel, one in review, one draft with checks to fix, and a closed posting that hired a "
        "peer specialist."
    )


def register() -> None:
    """Add the hiring demo to ``flask seed-demo``."""
    demo.register(load)
