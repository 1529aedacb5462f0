"""Hiring a candidate (seed 004: hire into the identified peer role). The staff member is made through the admin
service that invites people (``core.admin.services.staff.invite``): an account waiting for its invitation to be
accepted, on the posting's team, with the peer specialist role, and the invitation email in the outbox. The
candidate moves to "hired" (final), ``hiring_hire`` records which posting filled the role, and the posting can close
in the same step."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from core import audit, edits, timeutil
from core.admin.services import staff as staff_service
from core.errors import InvalidInput, Refused
from core.extensions import db
from core.models import Role, Staff, Team
from hiring.models import Candidate, CandidateEvent, CandidateStage, Hire, Posting
from hiring.services import postings

FILLED = "The role is filled."
# The admin service's field names -> the hire form's.
FIELDS = {
    "email": "email",
    "name": "name",
    "job_title": "job_title",
    "teams": "team",
    "program": "team",
    "supervisor": "supervisor",
    "roles": "",
}


@dataclass(frozen=True)
class HireDetails:
    name: str
    email: str
    job_title: str
    team_id: int | None
    supervisor_id: int | None = None
    close_posting: bool = False


def hire(candidate: Candidate, details: HireDetails, loaded: object, actor: Staff) -> Staff:
    """Hire ``candidate`` (at "offer"): invite them as a peer specialist on the chosen team, record the hire and, when
    asked, close the posting. Raises ``StaleEdit``, ``InvalidInput`` (by the hire form's fields) or ``Refused``."""
    edits.expect_version(candidate, loaded)
    if candidate.stage != CandidateStage.OFFER:
        raise Refused("Only a candidate at “Offer” can be hired. Move them to “Offer” first.")
    team = db.session.get(Team, details.team_id) if details.team_id else None
    if team is None:
        raise InvalidInput({"team": "Choose the team they join."})
    posting = db.session.get(Posting, candidate.posting_id)
    assert posting is not None  # noqa: S101  a candidate's posting is never deleted before it
    wanted = staff_service.StaffDetails(
        name=details.name,
        job_title=details.job_title,
        roles=frozenset({str(Role.PEER)}),
        program_id=team.program_id,
        team_ids=frozenset({team.id}),
        supervisor_id=details.supervisor_id,
    )
    try:
        person = staff_service.invite(details.email, wanted, actor=actor)
    except InvalidInput as error:
        raise InvalidInput({FIELDS.get(name, ""): message for name, message in error.problems.items()}) from error
    before = candidate.stage
    candidate.stage = CandidateStage.HIRED
    candidate.stage_at = timeutil.utcnow()
    db.session.add(
        CandidateEvent(
            candidate_id=candidate.id,
            actor_id=actor.id,
            from_stage=before,
            to_stage=CandidateStage.HIRED,
            comment=f"Invited as a peer specialist on {team.name}.",
        )
    )
    db.session.add(Hire(posting_id=posting.id, staff_id=person.id, candidate_id=candidate.id, hired_by_id=actor.id))
    edits.flush()
    audit.record(
        "hiring.hired",
        actor=actor,
        record_type="hiring_candidate",
        record_id=candidate.id,
        detail=f"posting {posting.id}, staff {person.id}",
    )
    if details.close_posting and any(step.action == "close" for step in postings.steps_for(posting)):
        postings.move(posting, "close", FILLED, posting.version, actor, agency_ready=True)
    return person


def hires_of(posting: Posting) -> list[Hire]:
    return list(db.session.scalars(select(Hire).where(Hire.posting_id == posting.id).order_by(Hire.hired_at)))


def hire_of(candidate: Candidate) -> Hire | None:
    return db.session.scalar(select(Hire).where(Hire.candidate_id == candidate.id))
