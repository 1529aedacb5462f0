"""Interview panels (seed 004: involve several people in hiring). Each posting has one panel: at least
``MIN_INTERVIEWERS`` interviewers, a peer specialist among them when the agency's setting asks for one (it does
unless the administrator turns it off at ``/admin/settings``), and the competencies of seed 003 they score.

A panel is built a step at a time (add an interviewer, remove one, choose competencies); what it still lacks is
listed on its page (``problems``), and a candidate can only be moved to "interview" once it lacks nothing. Every
change moves the panel's version on, so a page loaded before someone else's change is refused (``StaleEdit``).
"""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import selectinload

from core import audit, edits, settings
from core.errors import InvalidInput, Refused
from core.extensions import db
from core.models import Role, Staff, StaffStatus
from hiring.models import (
    Candidate,
    CandidateStage,
    Panel,
    PanelCompetency,
    PanelMember,
    Posting,
    Score,
    Scorecard,
)
from hiring.services import competencies

MIN_INTERVIEWERS = 2
NEEDS_PEER = "hiring_panel_needs_peer"
SCORING_STAGES = (CandidateStage.INTERVIEW, CandidateStage.OFFER)


def needs_peer() -> bool:
    return settings.get(NEEDS_PEER) == "yes"


def panel_of(posting: Posting) -> Panel | None:
    return panel_for(posting.id)


def panel_for(posting_id: int) -> Panel | None:
    return db.session.scalar(select(Panel).where(Panel.posting_id == posting_id))


def ensure(posting: Posting) -> Panel:
    """The posting's panel, made (empty) the first time HR changes it."""
    panel = panel_of(posting)
    if panel is None:
        panel = Panel(posting_id=posting.id)
        db.session.add(panel)
        db.session.flush()
    return panel


def members(panel: Panel | None) -> list[PanelMember]:
    if panel is None:
        return []
    return list(
        db.session.scalars(
            select(PanelMember)
            .where(PanelMember.panel_id == panel.id)
            .options(selectinload(PanelMember.staff).selectinload(Staff.role_rows))
            .order_by(PanelMember.added_at, PanelMember.id)
        )
    )


def chosen(panel: Panel | None) -> list[competencies.Competency]:
    if panel is None:
        return []
    keys = db.session.scalars(select(PanelCompetency.key).where(PanelCompetency.panel_id == panel.id)).all()
    return competencies.in_order(list(keys))


def problems(panel: Panel | None, people: list[PanelMember] | None = None) -> list[str]:
    """What the panel still lacks before candidates can be interviewed, in words ([] when it is ready)."""
    people = members(panel) if people is None else people
    found = []
    if len(people) < MIN_INTERVIEWERS:
        found.append(
            f"Add at least {MIN_INTERVIEWERS} interviewers (it has {len(people)}). Seed 004: involve several people "
            "in hiring."
        )
    if needs_peer() and not any(member.staff.has_role(Role.PEER) for member in people):
        found.append(
            "Add a peer specialist: your agency asks for a peer specialist on every interview panel (the "
            "administrator sets this at Settings)."
        )
    if not chosen(panel):
        found.append("Choose the competencies the panel scores (at least one).")
    return found


def is_member(posting_id: int, staff_id: int) -> bool:
    statement = (
        select(PanelMember.id)
        .join(Panel, Panel.id == PanelMember.panel_id)
        .where(Panel.posting_id == posting_id, PanelMember.staff_id == staff_id)
    )
    return db.session.scalar(statement) is not None


def interviewer_choices(panel: Panel | None) -> list[tuple[int, str]]:
    """Active staff who are not on the panel yet, with their job: (id, "Pat Delgado, peer specialist")."""
    on_panel = select(PanelMember.staff_id).where(PanelMember.panel_id == (panel.id if panel else -1))
    people = db.session.scalars(
        select(Staff)
        .where(Staff.status == StaffStatus.ACTIVE, Staff.id.not_in(on_panel))
        .options(selectinload(Staff.role_rows))
        .order_by(func.lower(Staff.name), Staff.id)
    )
    return [
        (person.id, f"{person.name}, {(person.job_title or ', '.join(person.role_labels)).lower()}")
        for person in people
    ]


def _submitted_for(posting: Posting, staff_id: int | None = None) -> int:
    statement = (
        select(func.count())
        .select_from(Scorecard)
        .join(Candidate, Candidate.id == Scorecard.candidate_id)
        .where(Candidate.posting_id == posting.id, Scorecard.submitted_at.is_not(None))
    )
    if staff_id is not None:
        statement = statement.where(Scorecard.interviewer_id == staff_id)
    return db.session.scalar(statement) or 0


def add_member(posting: Posting, staff_id: int | None, loaded: object, actor: Staff) -> PanelMember:
    panel = ensure(posting)
    edits.expect_version(panel, loaded)
    person = db.session.get(Staff, staff_id) if staff_id else None
    if person is None or person.status != StaffStatus.ACTIVE:
        raise InvalidInput({"staff": "Choose a person from the list (only people with an active account)."})
    if is_member(posting.id, person.id):
        raise InvalidInput({"staff": f"{person.name} is on the panel already."})
    member = PanelMember(panel_id=panel.id, staff_id=person.id, added_by_id=actor.id)
    db.session.add(member)
    edits.bump(panel)
    edits.flush()
    audit.record(
        "hiring.panel_member_added",
        actor=actor,
        record_type="hiring_posting",
        record_id=posting.id,
        detail=f"staff {person.id}",
    )
    return member


def remove_member(posting: Posting, member_id: int, loaded: object, actor: Staff) -> Staff:
    panel = ensure(posting)
    edits.expect_version(panel, loaded)
    member = db.session.get(PanelMember, member_id)
    if member is None or member.panel_id != panel.id:
        raise Refused("That interviewer is no longer on this panel. The page below shows the panel as it is now.")
    person = member.staff
    if _submitted_for(posting, person.id):
        raise Refused(
            f"{person.name} has submitted scores for this posting's candidates, so they stay on the panel: their "
            "scores are part of the candidates' summaries."
        )
    interviewing = db.session.scalar(
        select(func.count()).where(Candidate.posting_id == posting.id, Candidate.stage.in_(SCORING_STAGES))
    )
    rest = [other for other in members(panel) if other.id != member.id]
    if interviewing and problems(panel, rest):
        raise Refused(
            f"Candidates are being interviewed, and without {person.name} the panel would not be complete: "
            + " ".join(problems(panel, rest))
            + " Add the new interviewer first, then remove this one."
        )
    # Their unsubmitted drafts for this posting go with them.
    drafts = (
        select(Scorecard.id)
        .join(Candidate, Candidate.id == Scorecard.candidate_id)
        .where(Candidate.posting_id == posting.id, Scorecard.interviewer_id == person.id)
    )
    db.session.execute(delete(Score).where(Score.scorecard_id.in_(drafts)))
    db.session.execute(delete(Scorecard).where(Scorecard.id.in_(drafts.scalar_subquery())))
    db.session.delete(member)
    edits.bump(panel)
    edits.flush()
    audit.record(
        "hiring.panel_member_removed",
        actor=actor,
        record_type="hiring_posting",
        record_id=posting.id,
        detail=f"staff {person.id}",
    )
    return person


def set_competencies(posting: Posting, keys: list[str], loaded: object, actor: Staff) -> list[str]:
    """Choose the competencies the panel scores. Refused once anyone has submitted scores (the summaries would no
    longer compare like with like). Returns the keys chosen, in seed 003's order."""
    panel = ensure(posting)
    edits.expect_version(panel, loaded)
    wanted = [competency.key for competency in competencies.in_order(keys)]
    if not wanted or len(wanted) != len(set(keys)):
        raise InvalidInput({"competencies": "Choose at least one competency from the list."})
    if _submitted_for(posting):
        raise Refused(
            "Interviewers have submitted scores on the competencies chosen, so they no longer change for this "
            "posting: every candidate is scored on the same ones."
        )
    db.session.execute(delete(PanelCompetency).where(PanelCompetency.panel_id == panel.id))
    db.session.add_all(PanelCompetency(panel_id=panel.id, key=key, position=n) for n, key in enumerate(wanted))
    drafts = (
        select(Scorecard.id)
        .join(Candidate, Candidate.id == Scorecard.candidate_id)
        .where(Candidate.posting_id == posting.id)
    )
    db.session.execute(delete(Score).where(Score.scorecard_id.in_(drafts), Score.competency_key.not_in(wanted)))
    edits.bump(panel)
    edits.flush()
    audit.record(
        "hiring.panel_competencies",
        actor=actor,
        record_type="hiring_posting",
        record_id=posting.id,
        detail=f"{len(wanted)} competencies",
    )
    return wanted
