"""Campaigns (one wave of a survey), their scope, and the personal invitations.

A campaign goes to the whole organization or to chosen teams (choosing a program chooses each of its teams). Sending
invitations gives every active person in scope a personal one-time link, in the app ("Surveys for you") and by email
through the outbox; sending again adds only people who have joined since. The link's token is shown once, in the
email; only its SHA-256 is stored. Once invitations are out, the campaign's instrument and scope are fixed.

"Today" is the agency's day (core.timeutil.today). Functions take the acting person, flush and audit; the view commits.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from flask import current_app, url_for
from sqlalchemy import Date, Integer, Select, bindparam, case, func, select
from sqlalchemy.orm import joinedload, lazyload, selectinload

from core import audit, edits, timeutil
from core.extensions import db
from core.models import Notification, OutboxEmail, Program, Staff, StaffStatus, Team, staff_team
from core.timeutil import long_date, utcnow
from readiness.models import Campaign, Instrument, Invitation, InvitationStatus, Item
from readiness.services import instruments as instrument_service
from readiness.services import thresholds

FIELD_LABELS = {
    "name": "Name",
    "wave": "Wave",
    "instrument_id": "Survey",
    "whole_organization": "Who is asked",
    "team_ids": "Teams",
    "opens_on": "Opening date",
    "closes_on": "Closing date",
}


def today() -> date:
    return timeutil.today()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class CampaignDetails:
    name: str
    wave: str
    opens_on: date
    closes_on: date
    # The survey chosen. With neither an id nor ``default_survey``, the campaign keeps its survey and scope
    # (editing after invitations went out).
    instrument_id: int | None = None
    # The default survey that ships with PeerWorks, chosen before it was first created (the view creates it).
    default_survey: bool = False
    whole_organization: bool = True
    program_ids: frozenset[int] = frozenset()
    team_ids: frozenset[int] = frozenset()

    @property
    def sets_survey_and_scope(self) -> bool:
        return self.instrument_id is not None or self.default_survey


@dataclass(frozen=True)
class WaveDetails:
    name: str
    wave: str
    opens_on: date
    closes_on: date


# Reading ----------------------------------------------------------------------------------------------------


def programs_with_teams() -> list[Program]:
    return list(db.session.scalars(select(Program).order_by(Program.name)))


# What the readiness page shows of a campaign is its own columns: its survey (joined by default) and its teams (a
# second query by default) are left to be read if ever asked for, which the page never does.
_OWN_COLUMNS = (lazyload(Campaign.instrument), lazyload(Campaign.teams))


def campaign_list() -> Select:
    return select(Campaign).order_by(Campaign.opens_on.desc(), Campaign.id.desc()).options(*_OWN_COLUMNS)


@dataclass(frozen=True)
class Participation:
    invited: int = 0
    completed: int = 0

    @property
    def percent(self) -> int | None:
        return round(100 * self.completed / self.invited) if self.invited else None


# The readiness page's two statements about the person's and the campaigns' invitations, built once (building them
# cost about as much as running them): the person, the day and the page's campaigns are bound when they run.
_PARTICIPATION = (
    select(Invitation.campaign_id, func.count(Invitation.id),
           func.sum(case((Invitation.status == InvitationStatus.COMPLETED, 1), else_=0)))
    .where(Invitation.campaign_id.in_(bindparam("campaign_ids", expanding=True)))
    .group_by(Invitation.campaign_id)
)
_MY_INVITATIONS = (
    select(Invitation)
    .join(Campaign, Campaign.id == Invitation.campaign_id)
    .where(Invitation.staff_id == bindparam("staff_id", type_=Integer),
           Campaign.closes_on >= bindparam("on", type_=Date))
    .order_by(Campaign.closes_on, Campaign.id)
    .options(joinedload(Invitation.campaign).options(*_OWN_COLUMNS))
)


def participation(campaign_ids: list[int]) -> dict[int, Participation]:
    """Invited and answered per campaign, in one query."""
    if not campaign_ids:
        return {}
    rows = db.session.execute(_PARTICIPATION, {"campaign_ids": list(campaign_ids)})
    found = {row[0]: Participation(int(row[1]), int(row[2] or 0)) for row in rows}
    return {campaign_id: found.get(campaign_id, Participation()) for campaign_id in campaign_ids}


def invitations_sent(campaign: Campaign) -> bool:
    return campaign.invitations_sent_at is not None


def my_invitations(staff: Staff, on: date) -> list[Invitation]:
    """The person's invitations to campaigns that have not closed, soonest closing first."""
    return list(db.session.scalars(_MY_INVITATIONS, {"staff_id": staff.id, "on": on}))


def invitation_for_token(token: str) -> Invitation | None:
    if not token or len(token) > 200:
        return None
    return db.session.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token)))


# Problems with input ----------------------------------------------------------------------------------------


CLOSED_STAYS_CLOSED = (
    "This survey has closed and its scores by team are out, so its closing date stays {date}: moving it would let "
    "more answers change those scores, and comparing them could show what one person said. To ask again, start a "
    "new wave."
)


def campaign_problems(
    details: CampaignDetails, *, on: date, creating: bool, current: Campaign | None = None
) -> dict[str, str]:
    """What is wrong with ``details``; ``current`` is the campaign being changed (None when creating one)."""
    problems: dict[str, str] = {}
    if current is not None and on > current.closes_on and details.closes_on != current.closes_on:
        problems["closes_on"] = CLOSED_STAYS_CLOSED.format(date=long_date(current.closes_on))
    elif details.closes_on < details.opens_on:
        problems["closes_on"] = "The closing date must be on or after the opening date."
    elif creating and details.closes_on < on:
        problems["closes_on"] = "Choose a closing date from today on, so people have time to answer."
    if details.sets_survey_and_scope and not details.whole_organization and not resolve_team_ids(details):
        problems["team_ids"] = "Choose at least one program or team, or ask the whole organization."
    return problems


def resolve_team_ids(details: CampaignDetails) -> set[int]:
    """The chosen teams plus every team of the chosen programs (existing teams only)."""
    chosen = set(details.team_ids)
    if details.program_ids:
        chosen |= set(db.session.scalars(select(Team.id).where(Team.program_id.in_(details.program_ids))))
    if not chosen:
        return set()
    return set(db.session.scalars(select(Team.id).where(Team.id.in_(chosen))))


# Changes ----------------------------------------------------------------------------------------------------


def create_campaign(details: CampaignDetails, instrument: Instrument, actor: Staff) -> Campaign:
    campaign = Campaign(
        name=details.name,
        wave=details.wave,
        instrument_id=instrument.id,
        whole_organization=details.whole_organization,
        opens_on=details.opens_on,
        closes_on=details.closes_on,
        created_by_id=actor.id,
    )
    if not details.whole_organization:
        campaign.teams = _teams(resolve_team_ids(details))
    db.session.add(campaign)
    db.session.flush()
    audit.record("readiness.campaign_created", actor=actor, record_type="readiness_campaign", record_id=campaign.id)
    return campaign


def _teams(team_ids: Iterable[int]) -> list[Team]:
    ids = list(team_ids)
    return list(db.session.scalars(select(Team).where(Team.id.in_(ids)))) if ids else []


def update_campaign(campaign: Campaign, details: CampaignDetails, seen_version: object, actor: Staff) -> list[str]:
    """Change a campaign; the instrument and scope only until invitations have gone out. Returns what changed.
    Raises ``StaleEdit`` when the campaign changed since the form was loaded at ``seen_version``."""
    if details.default_survey:
        raise ValueError("create the default survey first and pass its id")
    edits.expect_version(campaign, seen_version)
    changed: list[str] = []
    for name in ("name", "wave", "opens_on", "closes_on"):
        value = getattr(details, name)
        if getattr(campaign, name) != value:
            setattr(campaign, name, value)
            changed.append(name)
    if details.instrument_id is not None and not invitations_sent(campaign):
        if campaign.instrument_id != details.instrument_id:
            campaign.instrument_id = details.instrument_id
            changed.append("instrument_id")
        if campaign.whole_organization != details.whole_organization:
            campaign.whole_organization = details.whole_organization
            changed.append("whole_organization")
        wanted = set() if details.whole_organization else resolve_team_ids(details)
        if {team.id for team in campaign.teams} != wanted:
            campaign.teams = _teams(wanted)
            changed.append("team_ids")
    if changed:
        edits.bump(campaign)  # also when only the teams (rows of the link table) changed
        edits.flush()
        audit.record("readiness.campaign_updated", actor=actor, record_type="readiness_campaign",
                     record_id=campaign.id, detail=", ".join(changed))
    return changed


def copy_into_new_wave(campaign: Campaign, details: WaveDetails, actor: Staff) -> Campaign:
    """A new campaign with the same scope, on the newest version of the same instrument."""
    instrument = instrument_service.newest_version(campaign.instrument)
    copy = Campaign(
        name=details.name,
        wave=details.wave,
        instrument_id=instrument.id,
        whole_organization=campaign.whole_organization,
        opens_on=details.opens_on,
        closes_on=details.closes_on,
        copied_from_id=campaign.id,
        created_by_id=actor.id,
        teams=list(campaign.teams),
    )
    db.session.add(copy)
    db.session.flush()
    audit.record("readiness.campaign_copied", actor=actor, record_type="readiness_campaign", record_id=copy.id,
                 detail=f"new wave of campaign {campaign.id}")
    return copy


def people_in_scope(campaign: Campaign) -> list[tuple[Staff, int | None]]:
    """Active staff in scope, each with the team their answers count for: one of their teams in scope, preferring
    a team of their own program (None for people on no team, in a whole-organization campaign)."""
    statement = select(Staff).where(Staff.status == StaffStatus.ACTIVE).order_by(Staff.id)
    scope_ids = {team.id for team in campaign.teams}
    if not campaign.whole_organization:
        if not scope_ids:
            return []
        statement = statement.where(
            Staff.id.in_(select(staff_team.c.staff_id).where(staff_team.c.team_id.in_(scope_ids)))
        )
    found: list[tuple[Staff, int | None]] = []
    for person in db.session.scalars(statement.options(selectinload(Staff.teams))):
        teams = [team for team in person.teams if campaign.whole_organization or team.id in scope_ids]
        teams.sort(key=lambda team: (team.program_id != person.program_id, team.name, team.id))
        found.append((person, teams[0].id if teams else None))
    return found


def survey_link(token: str) -> str:
    """The personal link in the email; BASE_URL, when set, is its scheme and host."""
    base = (current_app.config.get("BASE_URL") or "").rstrip("/")
    if base:
        return base + url_for("readiness.survey_link", token=token)
    return url_for("readiness.survey_link", token=token, _external=True)


SURVEYS_PAGE = "/readiness/"  # the in-app list "Surveys for you" (a plain path: demo data is made outside requests)
SURVEY_SUBJECT = "A short, anonymous staff survey: getting ready for peer specialists"


def _survey_email(person: Staff, campaign: Campaign, link: str, minimum: int) -> str:
    return (
        f"Hello {person.name},\n\n"
        "Our agency is asking all staff about working alongside peer specialists: people who use their own lived "
        "experience of recovery to support others. It is not a vote on whether to hire them. Your answers help us "
        "see what worries people and what training would help.\n\n"
        "Your answers are anonymous. They are stored without your name, and results for groups of fewer than "
        f"{minimum} people are never shown, for this survey, whatever changes later.\n\n"
        f"The survey is open from {campaign.opens_on:%B} {campaign.opens_on.day}, {campaign.opens_on.year} "
        f"to {campaign.closes_on:%B} {campaign.closes_on.day}, {campaign.closes_on.year}. Sign in to PeerWorks "
        f"and open this link, which is only for you:\n\n{link}\n\n"
        "You can also find the survey in PeerWorks under Readiness, \"Surveys for you\".\n"
    )


def send_problem(campaign: Campaign, on: date) -> str | None:
    """Why invitations cannot go out now, or None."""
    if on > campaign.closes_on:
        return "This campaign has closed, so no more invitations can be sent. Copy it into a new wave instead."
    questions = select(func.count()).select_from(Item).where(Item.instrument_id == campaign.instrument_id)
    if not db.session.scalar(questions):
        return "The survey has no questions yet. Add questions to it before sending it."
    return None


def send_invitations(
    campaign: Campaign,
    actor: Staff | None,
    *,
    email: bool = True,
    notify: bool = True,
    link: Callable[[str], str] | None = None,
) -> int:
    """Invite everyone in scope who has no invitation yet: an in-app notification and an email each (the demo
    data asks for neither). Returns how many were added."""
    already = set(db.session.scalars(select(Invitation.staff_id).where(Invitation.campaign_id == campaign.id)))
    newcomers = [(person, team_id) for person, team_id in people_in_scope(campaign) if person.id not in already]
    make_link = link or survey_link
    minimum = thresholds.fix(campaign)  # fixed with the first invitations; the email states it
    for person, team_id in newcomers:
        token = secrets.token_urlsafe(32)
        db.session.add(Invitation(
            campaign_id=campaign.id, staff_id=person.id, token_hash=token_hash(token), team_id=team_id,
            status=InvitationStatus.INVITED,
        ))
        if notify:
            db.session.add(Notification(
                staff_id=person.id,
                text=f"A readiness survey is waiting for you: {campaign.name} ({campaign.wave}).",
                link=SURVEYS_PAGE,
            ))
        if email:
            db.session.add(OutboxEmail(
                to_address=person.email, subject=SURVEY_SUBJECT,
                body=_survey_email(person, campaign, make_link(token), minimum), kind="survey",
            ))
    if campaign.invitations_sent_at is None:
        campaign.invitations_sent_at = utcnow()
    db.session.flush()
    audit.record("readiness.invitations_sent", actor=actor, record_type="readiness_campaign",
                 record_id=campaign.id, detail=f"{len(newcomers)} new")
    return len(newcomers)
