"""The ballot box: a send completes the invitation and waits apart from the results; the results move only when a
batch of at least the threshold is released, from the send itself or from ``flask readiness release``; a closed wave
releases its last, smaller batch only when the whole wave reaches the threshold, and otherwise says it holds the
answers back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.models import Role, Staff
from readiness.models import Ballot, Campaign, Instrument, ItemKind, OpenAnswer, Response, ResponseCount
from readiness.services import answering, ballots
from readiness.services import results as results_service
from readiness.services.instruments import load_contents
from tests import factories
from tests.readiness.helpers import (
    full_answers,
    invitation_of,
    make_campaign,
    make_instrument,
    send,
    send_survey,
    today,
)

THRESHOLD = results_service.DEFAULT_MINIMUM


def waiting_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Ballot)) or 0


def released_count() -> int:
    return db.session.scalar(select(func.coalesce(func.sum(ResponseCount.n), 0))) or 0


def what_results_readers_see(campaign: Campaign) -> tuple[Any, ...]:
    """Everything the results page, its CSV, the PDF and the open answers show about the answers (participation,
    which comes from the invitations, is left out: it moves with each send by design)."""
    db.session.expire_all()
    results = results_service.campaign_results(campaign)
    texts = [item for item in load_contents(campaign.instrument_id).items if item.kind == ItemKind.TEXT]
    return (
        results_service.score_rows(results),
        [(d.item.id, d.counts, d.total) for d in results.distributions],
        [(q.item.id, q.total, q.first) for q in results.free_text],
        results_service.open_answer_rows(campaign, texts),
        [(g.key, g.n, g.shown, g.scores) for g in (*results.groups, *(results.cells or []))],
    )


@pytest.fixture
def wave(app) -> dict[str, Any]:
    team = factories.make_team()
    people = [factories.make_staff(Role.STAFF, teams=[team]) for _ in range(12)]
    instrument = make_instrument()
    campaign = make_campaign(instrument)
    send(campaign)
    db.session.commit()
    return {"people": people, "instrument": instrument, "campaign": campaign, "team": team}


def answer(campaign: Campaign, instrument: Instrument, person: Staff, value: int) -> None:
    """One person sends, then the send path's release runs, as the survey page does."""
    items = load_contents(instrument.id).items
    answers = [(item.id, value, None) for item in items if item.kind == ItemKind.LIKERT]
    answers += [(item.id, 0, f"Answer from someone who chose {value}") for item in items if item.kind == ItemKind.TEXT]
    answering.submit(invitation_of(campaign, person), answering.Submission(answers, role_group="clinical"))
    db.session.commit()
    ballots.release(db.session.get_one(Campaign, campaign.id), THRESHOLD, today())
    db.session.commit()


def test_sends_wait_until_a_batch_of_the_threshold_is_released(wave):
    campaign, instrument, people = wave["campaign"], wave["instrument"], wave["people"]

    for n, person in enumerate(people[:THRESHOLD - 1], start=1):
        answer(campaign, instrument, person, 4)
        assert (waiting_count(), released_count()) == (n, 0)
    answer(campaign, instrument, people[THRESHOLD - 1], 4)

    assert (waiting_count(), released_count()) == (0, THRESHOLD)
    assert db.session.scalar(select(func.count()).select_from(Response)) == THRESHOLD
    assert db.session.scalar(select(func.count()).select_from(OpenAnswer)) == THRESHOLD


def test_one_more_send_does_not_change_what_results_readers_see(wave):
    """The attack: read the results, let one person send, read again. Nothing differs until a whole batch of at
    least the threshold is released, and then at least that many people moved together."""
    campaign, instrument, people = wave["campaign"], wave["instrument"], wave["people"]
    for person in people[:THRESHOLD]:
        answer(campaign, instrument, person, 4)
    before = what_results_readers_see(campaign)

    for person in people[THRESHOLD:2 * THRESHOLD - 1]:
        answer(campaign, instrument, person, 1)  # answers far from the others', so any leak would show
        assert what_results_readers_see(campaign) == before
    answer(campaign, instrument, people[2 * THRESHOLD - 1], 1)

    assert what_results_readers_see(campaign) != before
    assert released_count() == 2 * THRESHOLD


def test_a_closed_wave_releases_a_smaller_last_batch_when_the_wave_reaches_the_threshold(wave):
    campaign, instrument, people = wave["campaign"], wave["instrument"], wave["people"]
    for person in people[:THRESHOLD + 2]:
        answer(campaign, instrument, person, 3)
    assert (waiting_count(), released_count()) == (2, THRESHOLD)

    after_closing = campaign.closes_on + timedelta(days=1)
    assert ballots.release(campaign, THRESHOLD, after_closing) == 2
    db.session.commit()

    assert (waiting_count(), released_count()) == (0, THRESHOLD + 2)


def test_a_closed_wave_under_the_threshold_holds_its_answers_back_and_says_so(wave, login_as, client):
    campaign, instrument, people = wave["campaign"], wave["instrument"], wave["people"]
    for person in people[:THRESHOLD - 1]:
        answer(campaign, instrument, person, 3)
    after_closing = campaign.closes_on + timedelta(days=1)

    assert ballots.release(campaign, THRESHOLD, after_closing) == 0
    assert ballots.waiting(campaign, THRESHOLD, after_closing) == ballots.Waiting(waiting=True, held_back=True)
    assert (waiting_count(), released_count()) == (THRESHOLD - 1, 0)
    login_as(Role.HR)
    page = client.get(f"/readiness/campaigns/{campaign.id}/results").get_data(as_text=True)
    assert "Some answers are not in these results yet" in page  # still open today


def test_the_results_page_says_answers_are_waiting(wave, login_as, client):
    campaign, instrument, people = wave["campaign"], wave["instrument"], wave["people"]
    answer(campaign, instrument, people[0], 3)
    login_as(Role.HR)

    page = client.get(f"/readiness/campaigns/{campaign.id}/results").get_data(as_text=True)

    assert "Some answers are not in these results yet" in page
    assert "held back" not in page


def test_the_results_page_says_a_closed_small_wave_is_held_back(app, login_as, client):
    team = factories.make_team()
    people = [factories.make_staff(Role.STAFF, teams=[team]) for _ in range(2)]
    instrument = make_instrument()
    campaign = make_campaign(instrument, opens_on=today() - timedelta(days=20), closes_on=today() - timedelta(days=1))
    send(campaign)
    for person in people:
        answering.submit(invitation_of(campaign, person), answering.Submission([]))
    db.session.commit()
    login_as(Role.HR)

    page = client.get(f"/readiness/campaigns/{campaign.id}/results").get_data(as_text=True)

    assert "The answers to this survey are held back" in page
    assert released_count() == 0


def test_the_survey_page_releases_a_due_batch_after_the_send(wave, login_as, client):
    campaign, instrument, people = wave["campaign"], wave["instrument"], wave["people"]
    for person in people[:THRESHOLD - 1]:
        answering.submit(invitation_of(campaign, person), answering.Submission([]))
    db.session.commit()
    person = login_as(Role.PEER, teams=[wave["team"]])
    send(campaign)  # invites the newcomer
    db.session.commit()

    response = send_survey(client, invitation_of(campaign, person), full_answers(instrument, role_group="peer"))

    assert response.status_code == 302
    assert (waiting_count(), released_count()) == (0, THRESHOLD)


def test_the_release_command_releases_due_batches_only(wave, runner):
    campaign, people = wave["campaign"], wave["people"]
    for person in people[:THRESHOLD]:  # through the service only: nothing released yet
        answering.submit(invitation_of(campaign, person), answering.Submission([]))
    other = make_campaign(wave["instrument"], name="Another")
    send(other)
    answering.submit(invitation_of(other, people[0]), answering.Submission([]))
    db.session.commit()

    result = runner.invoke(args=["readiness", "release"])

    assert result.exit_code == 0, result.output
    assert f"Released {THRESHOLD} answer(s)" in result.output
    assert db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.campaign_id == other.id)) == 1
    assert db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.campaign_id == campaign.id)) == 0
