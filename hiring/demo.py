"""Demo hiring: the agency's name, address and living wage; two state credentials; a plain-language template of the
agency's own (a copy of the sample, rewritten); one published posting; a draft in review that passes every check; and
a draft from the sample with checks to fix (blanks left, pay under the living wage, a team with no peer specialist,
requirements that shut out lived experience, hard reading).

Everything goes through ``hiring.services``, exactly as HR's clicks do.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from core import credentials, demo, settings, timeutil
from core.extensions import db
from core.models import Program, Staff, Team
from hiring.services import documents, postings
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
    return (
        "Hiring: the sample template and a plain-language copy; one published posting, one in review and one "
        "draft with checks to fix."
    )


def register() -> None:
    """Add the hiring demo to ``flask seed-demo``."""
    demo.register(load)
