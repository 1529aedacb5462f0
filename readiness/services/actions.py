"""From results to action: domain scores and training suggestions, the action plan, and team champions.

Domain scores are read from the running totals (``readiness_domain_tally``), never from the answers, so the cost does
not grow with the number of answers. A domain's score is the mean of its agreement answers mapped from 1..5 to
0..100 (a reversed statement counts ``6 - value``). Every function takes the acting person, flushes and writes
the audit log; none commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Float, Select, and_, cast, exists, func, select
from sqlalchemy.orm import joinedload

from core import audit, edits, settings
from core.extensions import db
from core.models import Staff, StaffStatus, Team
from readiness.models import (
    Action,
    ActionStatus,
    Campaign,
    Champion,
    Domain,
    DomainTally,
    Item,
    ItemKind,
)
from readiness.services import results, thresholds

THRESHOLD_KEY = "readiness_action_threshold"
DEFAULT_THRESHOLD = 60
# The organization's scores are shown only once this many people have answered (small-group protection).


@dataclass(frozen=True)
class DomainScore:
    domain_id: int
    name: str
    training_topic: str
    answers: int  # agreement answers counted
    score: float | None  # 0-100, None when nobody answered

    @property
    def rounded(self) -> int | None:
        return None if self.score is None else round(self.score)


@dataclass(frozen=True)
class Scores:
    respondents: int
    domains: list[DomainScore]
    threshold: int
    minimum: int  # the wave's small-group threshold (readiness.services.thresholds)

    @property
    def shown(self) -> bool:
        # The same small-group floor as the results page: the wave's own.
        return self.respondents >= self.minimum

    @property
    def suggestions(self) -> list[DomainScore]:
        """Each domain under the threshold that names a training topic, lowest score first."""
        if not self.shown:
            return []
        low = [d for d in self.domains if d.score is not None and d.score < self.threshold and d.training_topic]
        return sorted(low, key=lambda d: (d.score, d.name))


def threshold() -> int:
    """The agency's score under which a domain suggests training (0-100; a bad stored value means the default)."""
    raw = settings.get(THRESHOLD_KEY)
    try:
        value = int(raw)
    except ValueError:
        return DEFAULT_THRESHOLD
    return min(max(value, 0), 100)


def domain_scores(campaign: Campaign) -> Scores:
    """The organization's 0-100 score per scored domain of the campaign's survey: two queries at any size."""
    answers = func.sum(DomainTally.answers)
    totals = (
        select(
            DomainTally.domain_id.label("domain_id"),
            answers.label("answers"),
            # (points - answers) x 25 / answers: exact where (points / answers - 1) x 25 is not (14/5 -> 44.999...)
            (cast(func.sum(DomainTally.points) - answers, Float) * 25.0 / answers).label("score"),
        )
        .where(DomainTally.campaign_id == campaign.id, DomainTally.answers > 0)
        .group_by(DomainTally.domain_id)
        .subquery()
    )
    scored = exists().where(Item.domain_id == Domain.id, Item.kind == ItemKind.LIKERT)
    rows = db.session.execute(
        select(Domain.id, Domain.name, Domain.training_topic, totals.c.answers, totals.c.score)
        .outerjoin(totals, totals.c.domain_id == Domain.id)
        .where(Domain.instrument_id == campaign.instrument_id, scored)
        .order_by(Domain.position, Domain.id)
    ).all()
    domains = [
        DomainScore(row.id, row.name, row.training_topic, int(row.answers or 0),
                    None if row.score is None else float(row.score))
        for row in rows
    ]
    return Scores(results.respondents(campaign), domains, threshold(), thresholds.for_campaign(campaign))


# The action plan ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionDetails:
    title: str
    domain_id: int | None
    owner_id: int
    due_on: date
    status: str


def active_staff() -> Select[tuple[Staff]]:
    return select(Staff).where(Staff.status == StaffStatus.ACTIVE).order_by(Staff.name, Staff.id)


def campaign_domains(campaign: Campaign) -> Select[tuple[Domain]]:
    return select(Domain).where(Domain.instrument_id == campaign.instrument_id).order_by(Domain.position, Domain.id)


def actions_of(campaign: Campaign) -> Select[tuple[Action]]:
    return (
        select(Action)
        .where(Action.campaign_id == campaign.id)
        .options(joinedload(Action.owner), joinedload(Action.domain), joinedload(Action.training_session))
        .order_by(Action.due_on, Action.id)
    )


def action_problems(details: ActionDetails, campaign: Campaign) -> dict[str, str]:
    """What is wrong with the details, by form field, in words that say what to do."""
    problems: dict[str, str] = {}
    if details.status not in set(ActionStatus):
        problems["status"] = "Choose one of the options shown."
    owner = db.session.get(Staff, details.owner_id)
    if owner is None or owner.status != StaffStatus.ACTIVE:
        problems["owner"] = "Choose a person who is on staff now."
    if details.domain_id is not None:
        domain = db.session.get(Domain, details.domain_id)
        if domain is None or domain.instrument_id != campaign.instrument_id:
            problems["domain"] = "Choose one of the domains of this campaign's survey."
    return problems


def link_training_session(action: Action, session_id: int, actor: Staff) -> None:
    """The staff training session planned for ``action`` (in Training) becomes its "training session" link. Moves
    the action's version on, so a form loaded before the link was made does not silently drop it."""
    if action.training_session_id == session_id:
        return
    action.training_session_id = session_id
    edits.bump(action)
    edits.flush()
    audit.record("readiness.action_updated", actor=actor, record_type="readiness_action", record_id=action.id,
                 detail=f"training session {session_id} planned for it")


def create_action(campaign: Campaign, details: ActionDetails, actor: Staff) -> Action:
    action = Action(
        campaign_id=campaign.id, title=details.title, domain_id=details.domain_id, owner_id=details.owner_id,
        due_on=details.due_on, status=details.status, created_by_id=actor.id,
    )
    db.session.add(action)
    db.session.flush()
    audit.record("readiness.action_created", actor=actor, record_type="readiness_action", record_id=action.id,
                 detail=f"campaign {campaign.id}, status {action.status}")
    return action


FIELD_NAMES = {"title": "title", "domain_id": "domain", "owner_id": "owner", "due_on": "due date",
               "status": "status"}


def update_action(action: Action, details: ActionDetails, seen_version: object, actor: Staff) -> list[str]:
    """Save the changes; raises ``StaleEdit`` when the action changed since ``seen_version`` was read."""
    edits.expect_version(action, seen_version)
    changed = [words for name, words in FIELD_NAMES.items() if getattr(action, name) != getattr(details, name)]
    for name in FIELD_NAMES:
        setattr(action, name, getattr(details, name))
    if changed:
        db.session.flush()
        detail = ", ".join(changed)
        if "status" in changed:
            detail += f"; status now {action.status}"
        audit.record("readiness.action_updated", actor=actor, record_type="readiness_action", record_id=action.id,
                     detail=detail)
    return changed


def actions_for_session(session_id: int) -> list[Action]:
    """The readiness actions a staff training session was planned for (one query)."""
    return list(db.session.scalars(
        select(Action).where(Action.training_session_id == session_id)
        .options(joinedload(Action.campaign)).order_by(Action.id)
    ))


def load_action(action_id: int) -> Action | None:
    return db.session.scalars(
        select(Action).where(Action.id == action_id).options(
            joinedload(Action.training_session), joinedload(Action.campaign), joinedload(Action.owner),
            joinedload(Action.domain),
        )
    ).one_or_none()


# Champions ----------------------------------------------------------------------------------------------------


def champions() -> Select[tuple[Champion]]:
    return (
        select(Champion)
        .join(Team, Team.id == Champion.team_id)
        .join(Staff, Staff.id == Champion.staff_id)
        .options(joinedload(Champion.team), joinedload(Champion.staff))
        .order_by(Team.name, Staff.name, Champion.id)
    )


def champion_problems(staff_id: int, team_id: int) -> dict[str, str]:
    problems: dict[str, str] = {}
    staff = db.session.get(Staff, staff_id)
    if staff is None or staff.status != StaffStatus.ACTIVE:
        problems["staff"] = "Choose a person who is on staff now."
    if db.session.get(Team, team_id) is None:
        problems["team"] = "Choose one of the teams shown."
    if not problems and db.session.scalar(
        select(exists().where(and_(Champion.team_id == team_id, Champion.staff_id == staff_id)))
    ):
        problems["staff"] = "This person is already a champion for this team."
    return problems


def name_champion(staff_id: int, team_id: int, since: date, actor: Staff) -> Champion:
    champion = Champion(staff_id=staff_id, team_id=team_id, since=since)
    db.session.add(champion)
    db.session.flush()
    audit.record("readiness.champion_named", actor=actor, record_type="readiness_champion", record_id=champion.id,
                 detail=f"team {team_id}, staff {staff_id}")
    return champion


def remove_champion(champion: Champion, actor: Staff) -> None:
    audit.record("readiness.champion_removed", actor=actor, record_type="readiness_champion", record_id=champion.id,
                 detail=f"team {champion.team_id}, staff {champion.staff_id}")
    db.session.delete(champion)
    db.session.flush()
