"""The audit log: append-only and hash-chained, so any edit, deletion, insertion or reordering shows.

Each entry's hash covers its own fields and the previous entry's hash. Appends are serialised through the one
row of ``core_audit_head``: ``UPDATE ... RETURNING`` takes that row's lock (PostgreSQL) or the database's write
lock (SQLite) and holds it until the transaction ends, so two writers can never chain onto the same entry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from flask import has_request_context, request
from sqlalchemy import Row, select, update

from core.extensions import db
from core.models import AuditEntry, AuditHead, Staff
from core.timeutil import utcnow

GENESIS_HASH = "0" * 64
ALLOWED = "allowed"
DENIED = "denied"


def entry_hash(
    *,
    id: int,
    at: datetime,
    actor_id: int | None,
    action: str,
    record_type: str,
    record_id: str,
    outcome: str,
    address: str,
    user_agent: str,
    detail: str,
    prev_hash: str,
) -> str:
    payload = json.dumps(
        [
            id,
            at.isoformat(timespec="microseconds"),
            actor_id,
            action,
            record_type,
            record_id,
            outcome,
            address,
            user_agent,
            detail,
            prev_hash,
        ],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _origin() -> tuple[str, str]:
    if not has_request_context():
        return "", ""
    agent = request.headers.get("User-Agent", "")[:255]
    return (request.remote_addr or "")[:64], agent


def _take_head() -> tuple[int, str]:
    statement = (
        update(AuditHead)
        .where(AuditHead.id == 1)
        .values(last_id=AuditHead.last_id + 1)
        .returning(AuditHead.last_id, AuditHead.last_hash)
        .execution_options(synchronize_session=False)
    )
    row = db.session.execute(statement).one_or_none()
    if row is None:
        db.session.add(AuditHead(id=1, last_id=0, last_hash=GENESIS_HASH))
        db.session.flush()
        row = db.session.execute(statement).one()
    return row.last_id, row.last_hash


def record(
    action: str,
    *,
    actor: Staff | None = None,
    actor_id: int | None = None,
    record_type: str = "",
    record_id: object = "",
    outcome: str = ALLOWED,
    detail: str = "",
) -> AuditEntry:
    """Chain one entry onto the log inside the current transaction. Never pass record content here."""
    seq, prev_hash = _take_head()
    address, agent = _origin()
    fields = {
        "id": seq,
        "at": utcnow(),
        "actor_id": actor.id if actor is not None else actor_id,
        "action": action,
        "record_type": record_type,
        "record_id": "" if record_id is None else str(record_id),
        "outcome": outcome,
        "address": address,
        "user_agent": agent,
        "detail": detail[:255],
        "prev_hash": prev_hash,
    }
    entry = AuditEntry(**fields, hash=entry_hash(**fields))
    db.session.add(entry)
    db.session.execute(
        update(AuditHead)
        .where(AuditHead.id == 1)
        .values(last_hash=entry.hash)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    return entry


@dataclass(frozen=True)
class Verdict:
    ok: bool
    checked: int
    bad_id: int | None = None
    reason: str = ""


def _entries(batch: int) -> Iterator[Row]:
    table = AuditEntry.__table__
    after = 0
    while True:
        rows = db.session.execute(select(table).where(table.c.id > after).order_by(table.c.id).limit(batch)).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].id


def verify(batch: int = 5000) -> Verdict:
    """Walk the chain in order and name the first entry that does not fit."""
    expected_id, prev_hash, checked = 1, GENESIS_HASH, 0
    for entry in _entries(batch):
        if entry.id != expected_id:
            return Verdict(False, checked, entry.id, f"expected entry {expected_id} here: missing or inserted")
        if entry.prev_hash != prev_hash:
            return Verdict(False, checked, entry.id, "does not follow the entry before it")
        recomputed = entry_hash(
            id=entry.id,
            at=entry.at,
            actor_id=entry.actor_id,
            action=entry.action,
            record_type=entry.record_type,
            record_id=entry.record_id,
            outcome=entry.outcome,
            address=entry.address,
            user_agent=entry.user_agent,
            detail=entry.detail,
            prev_hash=entry.prev_hash,
        )
        if recomputed != entry.hash:
            return Verdict(False, checked, entry.id, "its content was changed after it was written")
        checked += 1
        expected_id, prev_hash = entry.id + 1, entry.hash
    head = db.session.get(AuditHead, 1)
    head_id, head_hash = (head.last_id, head.last_hash) if head else (0, GENESIS_HASH)
    if head_id != checked or head_hash != prev_hash:
        return Verdict(False, checked, checked + 1 if head_id > checked else head_id, "entries after it were removed")
    return Verdict(True, checked)
