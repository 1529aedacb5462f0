"""The ballot box: sent answers wait in ``readiness_ballot`` and are released into the results in batches.

A wave's waiting ballots are released together when at least *threshold* of them are waiting, or when the wave has
closed and the whole wave (released and waiting) reaches the threshold; otherwise they stay held back, and the
results say so. So the results move only in steps of at least the threshold, and reading them before and after one
person's send shows nothing.

Releasing is its own transaction, never the one that completed an invitation: on PostgreSQL every row it writes
carries the releasing transaction's id (``xmin``), which no invitation shares, and the ballots are written in a
shuffled order, so neither PostgreSQL's ``ctid`` nor SQLite's cell offsets say who sent first. The ballots are
deleted in the same transaction.

Two releasers at once (the submit path of two requests, a scheduled ``flask readiness release``) count each ballot
once: each first locks the wave's campaign row (PostgreSQL ``FOR NO KEY UPDATE``, which does not hold up sends;
on SQLite a write that takes the database's write lock), then counts, then deletes the ballots it writes
(``DELETE ... RETURNING``): what one deleted the other cannot see.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, func, select, update

from core.extensions import db
from readiness.models import Ballot, Campaign, ResponseCount
from readiness.services.answering import record_response

_shuffle = random.SystemRandom().shuffle


@dataclass(frozen=True)
class Waiting:
    """What the results may say about a wave's ballot box: whether answers are waiting, and whether they are held
    back for good (the wave closed with fewer answers than the threshold)."""

    waiting: bool
    held_back: bool


def _lock(campaign_id: int) -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(Campaign.id).where(Campaign.id == campaign_id).with_for_update(key_share=True))
    else:  # SQLite: any write takes the one write lock, held to the end of the transaction
        db.session.execute(
            update(Campaign).where(Campaign.id == campaign_id).values(id=Campaign.id)
            .execution_options(synchronize_session=False)
        )


def _released(campaign_id: int) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(ResponseCount.n), 0)).where(ResponseCount.campaign_id == campaign_id)
    ) or 0


def _pending(campaign_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.campaign_id == campaign_id)) or 0


def due(pending: int, released: int, threshold: int, closed: bool) -> bool:
    """Whether a wave's waiting ballots may be released now."""
    if pending == 0:
        return False
    if pending >= threshold:
        return True
    return closed and released + pending >= threshold


def release(campaign: Campaign, threshold: int, on: date) -> int:
    """Release the wave's waiting ballots into the results when they are due; returns how many were released.
    Flushes, never commits: the caller commits, in a transaction that completed no invitation."""
    _lock(campaign.id)
    if not due(_pending(campaign.id), _released(campaign.id), threshold, on > campaign.closes_on):
        return 0
    taken = db.session.execute(
        delete(Ballot).where(Ballot.campaign_id == campaign.id)
        .returning(Ballot.team_key, Ballot.role_group, Ballot.tenure_band, Ballot.answers)
    ).all()
    batch = list(taken)
    _shuffle(batch)
    for team_key, role_group, tenure_band, answers in batch:
        record_response(
            campaign_id=campaign.id,
            team_id=team_key,
            role_group=role_group,
            tenure_band=tenure_band,
            submitted_on=on,
            answers=[(int(item_id), int(value), text) for item_id, value, text in json.loads(answers)],
        )
    return len(batch)


def campaigns_waiting() -> list[Campaign]:
    """The campaigns with ballots in the box, for the scheduled release."""
    ids = select(Ballot.campaign_id)
    return list(db.session.scalars(select(Campaign).where(Campaign.id.in_(ids)).order_by(Campaign.id)))


def waiting(campaign: Campaign, threshold: int, on: date) -> Waiting:
    pending = _pending(campaign.id)
    closed = on > campaign.closes_on
    return Waiting(waiting=pending > 0, held_back=closed and pending > 0 and not due(
        pending, _released(campaign.id), threshold, closed))
