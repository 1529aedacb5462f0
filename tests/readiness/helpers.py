"""Readiness test data: a small instrument, campaigns, invitations, and survey form data."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from core import timeutil
from core.extensions import db
from core.models import Staff, Team
from readiness.models import Campaign, Domain, Instrument, Invitation, Item, ItemKind
from readiness.services import campaigns as campaign_service
from readiness.services.instruments import load_contents


def form_version(page: str) -> str:
    """The version a form page was loaded at (its hidden ``version`` field), as a browser would send it back."""
    found = re.search(r'name="version"[^>]*value="([^"]*)"', page) or re.search(
        r'value="([^"]*)"[^>]*name="version"', page
    )
    assert found, "the form has no version field"
    return html.unescape(found.group(1))


def today() -> date:
    return timeutil.today()


def make_instrument(name: str = "Small survey") -> Instrument:
    """Two scored domains (one reversed statement), a single choice, a multiple choice, an open question."""
    instrument = Instrument(name=name, description="A survey for tests.", version=1)
    db.session.add(instrument)
    role = Domain(instrument=instrument, code="role", name="The peer role", position=1,
                  training_topic="What peer specialists do")
    fears = Domain(instrument=instrument, code="fears", name="Worries", position=2, training_topic="Working together")
    db.session.add_all([role, fears])
    db.session.add_all([
        Item(instrument=instrument, domain=role, code="r1", position=1, kind=ItemKind.LIKERT,
             text="I could explain what a peer specialist does."),
        Item(instrument=instrument, domain=role, code="r2", position=2, kind=ItemKind.LIKERT, reversed=True,
             text="Peer specialists do the tasks nobody else has time for."),
        Item(instrument=instrument, domain=fears, code="f1", position=3, kind=ItemKind.LIKERT, reversed=True,
             text="I worry about safety."),
        Item(instrument=instrument, domain=None, code="fmt", position=4, kind=ItemKind.SINGLE, required=False,
             text="How would you like to learn?", options="In person\nOnline"),
        Item(instrument=instrument, domain=None, code="topics", position=5, kind=ItemKind.MULTI, required=False,
             text="Which topics?", options="Role\nBoundaries\nSupervision"),
        Item(instrument=instrument, domain=None, code="open", position=6, kind=ItemKind.TEXT, required=False,
             text="What is your biggest concern?"),
    ])
    db.session.flush()
    return load_contents(instrument.id)


def make_campaign(
    instrument: Instrument,
    *,
    teams: list[Team] | None = None,
    opens_on: date | None = None,
    closes_on: date | None = None,
    name: str = "Readiness",
    wave: str = "Baseline",
    closed: bool = False,
) -> Campaign:
    """A campaign open since yesterday for two weeks; ``closed``: one that closed yesterday, whose results show
    scores by team and by role group (they appear only once a wave is over)."""
    if closed:
        opens_on, closes_on = today() - timedelta(days=15), today() - timedelta(days=1)
    campaign = Campaign(
        name=name, wave=wave, instrument_id=instrument.id, whole_organization=teams is None,
        opens_on=opens_on or today() - timedelta(days=1), closes_on=closes_on or today() + timedelta(days=14),
        teams=list(teams or []),
    )
    db.session.add(campaign)
    db.session.flush()
    return campaign


def close(campaign: Campaign) -> Campaign:
    """Close the wave yesterday (its scores by group then appear, once no answers wait in the ballot box)."""
    campaign.opens_on = min(campaign.opens_on, today() - timedelta(days=15))
    campaign.closes_on = today() - timedelta(days=1)
    db.session.flush()
    return campaign


def send(campaign: Campaign, actor: Staff | None = None) -> dict[int, str]:
    """Send invitations; returns the raw token of each new invitation by staff id (as only the email has it)."""
    tokens: list[str] = []

    def link(token: str) -> str:
        tokens.append(token)
        return f"https://peerworks.example/readiness/survey/{token}"

    campaign_service.send_invitations(campaign, actor, link=link)
    found: dict[int, str] = {}
    for token in tokens:
        invitation = campaign_service.invitation_for_token(token)
        assert invitation is not None
        found[invitation.staff_id] = token
    return found


def invite_team(campaign: Campaign, team: Team, invited: int, answered: int = 0) -> None:
    """``invited`` new people on ``team`` invited to ``campaign``, ``answered`` of them marked as having answered
    (their answers, if any, are stored by the test itself): participation, as the results read it."""
    from core.models import Role
    from readiness.models import InvitationStatus
    from tests import factories

    for n in range(invited):
        person = factories.make_staff(Role.STAFF, teams=[team])
        db.session.add(Invitation(
            campaign_id=campaign.id, staff_id=person.id, team_id=team.id,
            token_hash=campaign_service.token_hash(f"test-{campaign.id}-{person.id}"),
            status=InvitationStatus.COMPLETED if n < answered else InvitationStatus.INVITED,
        ))
    db.session.flush()


def invitation_of(campaign: Campaign, staff: Staff) -> Invitation:
    return db.session.scalars(
        select(Invitation).where(Invitation.campaign_id == campaign.id, Invitation.staff_id == staff.id)
    ).one()


SURVEY = "/readiness/survey"  # the survey's one address: no invitation id, no token (readiness/ANONYMITY.md)


LINK_LANDING = f"{SURVEY}/link"  # where the emailed link sends the browser at once, its token left behind


def open_link(client: Any, token: str) -> Any:
    """Open the emailed link as a browser does: its one request keeps the token in the session cookie and moves on
    at once to LINK_LANDING, whose answer (the survey's address, or a problem page) is returned."""
    first = client.get(f"{SURVEY}/{token}")
    assert first.status_code == 302, first.status_code
    assert first.headers["Location"] == LINK_LANDING, "the token goes no further than its own request"
    return client.get(LINK_LANDING)


def open_survey(client: Any, invitation: Invitation) -> Any:
    """Press "Answer the survey" on the Readiness page: the browser then shows that survey at SURVEY."""
    response = client.post(f"{SURVEY}/open", data={"invitation": str(invitation.id)})
    assert response.status_code == 302, response.status_code
    return response


def send_survey(client: Any, invitation: Invitation, data: dict[str, Any]) -> Any:
    """Send (or save) the survey form as the page does: the invitation goes in the form body."""
    return client.post(SURVEY, data={**data, "invitation": str(invitation.id)})


def full_answers(instrument: Instrument, likert: int = 4, **extra: Any) -> dict[str, Any]:
    """Form data answering every item of ``instrument``."""
    data: dict[str, Any] = {"action": "send"}
    for item in load_contents(instrument.id).items:
        name = f"item_{item.id}"
        if item.kind == ItemKind.LIKERT:
            data[name] = str(likert)
        elif item.kind == ItemKind.SINGLE:
            data[name] = "2"
        elif item.kind == ItemKind.MULTI:
            data[name] = ["1", "3"]
        else:
            data[name] = "More time to plan together."
    data.update(extra)
    return data


def items_by_code(instrument: Instrument) -> dict[str, Item]:
    return {item.code: item for item in load_contents(instrument.id).items}


def release(campaign: Campaign) -> int:
    """Release every ballot waiting for the campaign into the results, whatever their number (as if the
    threshold were 1), and commit: tests that look at stored answers after a send call this first."""
    from readiness.services import ballots

    released = ballots.release(campaign, 1, today())
    db.session.commit()
    return released
