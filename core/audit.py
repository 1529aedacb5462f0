"""The audit log: append-only and hash-chained, so any edit, deletion, insertion or reordering shows.

Each entry's hash covers its own fields and the previous entry's hash. Appends are serialised through the one
row of ``core_audit_head``: ``UPDATE ... RETURNING`` takes that row's lock (PostgreSQL) or the database's write
lock (SQLite) and holds it until the transaction ends, so two writers can never chain onto the same entry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import NamedTuple

from flask import has_request_context, request
from sqlalchemy import Row, String, bindparam, event, insert, select, type_coerce, update
from sqlalchemy.orm import Session, SessionTransaction

from core.database import DriverStatement
from core.extensions import db
from core.models import AuditEntry, AuditHead, Staff
from core.timeutil import utcnow

GENESIS_HASH = "0" * 64
ALLOWED = "allowed"
DENIED = "denied"


# One encoder for every entry: json.dumps with separators builds a new one on each call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
_TEXTS = range(3, 11)  # the fields after the actor are text


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
    return _hash_of(
        id, at.isoformat(timespec="microseconds"), actor_id, action, record_type, record_id, outcome, address,
        user_agent, detail, prev_hash,
    )


def _hash_of(*fields: object) -> str:
    """The SHA-256 of the entry's fields (its time already as ISO text) as a compact JSON list."""
    return hashlib.sha256(_json_list(fields).encode()).hexdigest()


def _json_list(fields: tuple[object, ...]) -> str:
    """``_ENCODER.encode(fields)``, written out for the fields' usual types (a third quicker: the audit walk hashes
    every entry), with json's own escaping of text; anything else (a value changed to another type) goes through the
    encoder itself. tests/core/test_audit_chain.py holds the two equal on generated fields."""
    number, at, actor = fields[0], fields[1], fields[2]
    if (type(number) is not int or type(at) is not str or (actor is not None and type(actor) is not int)
            or not all(type(fields[k]) is str for k in _TEXTS)):
        return _ENCODER.encode(fields)
    text = ",".join(map(encode_basestring, fields[3:]))  # type: ignore[arg-type]
    return f"[{number},{encode_basestring(at)},{'null' if actor is None else actor},{text}]"


def _origin() -> tuple[str, str]:
    if not has_request_context():
        return "", ""
    agent = request.headers.get("User-Agent", "")[:255]
    return (request.remote_addr or "")[:64], agent


class Recorded(NamedTuple):
    """The entry ``record`` chained: its fields in the order the hash takes them, then the hash."""

    id: int
    at: datetime
    actor_id: int | None
    action: str
    record_type: str
    record_id: str
    outcome: str
    address: str
    user_agent: str
    detail: str
    prev_hash: str
    hash: str


# The statements of an append, built once, on the tables rather than the models: they run on the session's
# connection, outside the ORM's bookkeeping, and straight on the driver (DriverStatement: SQLAlchemy's execution was
# a third of the chain's cost in a request).
_HEAD_TABLE = AuditHead.__table__
_TAKE_HEAD = DriverStatement(
    update(_HEAD_TABLE)
    .where(_HEAD_TABLE.c.id == 1)
    .values(last_id=_HEAD_TABLE.c.last_id + 1)
    .returning(_HEAD_TABLE.c.last_id, _HEAD_TABLE.c.last_hash)
)
_START_HEAD = insert(_HEAD_TABLE).values(id=1, last_id=0, last_hash=GENESIS_HASH)
_SET_HEAD = DriverStatement(
    update(_HEAD_TABLE)
    .where(_HEAD_TABLE.c.id == 1)
    .values(last_id=bindparam("new_id"), last_hash=bindparam("new_hash"))
)
_ADD_ENTRY_TO = insert(AuditEntry.__table__)  # many at once (held_until_the_end)
_ADD_ENTRY = DriverStatement(_ADD_ENTRY_TO, column_keys=[*Recorded._fields])


@dataclass(frozen=True)
class _Chain:
    """Where a transaction's entries have taken the log: the head it will write when it commits."""

    last_id: int
    last_hash: str


# The heads not yet written, by transaction. The first entry of a transaction takes the head (``_take_head``: its row
# lock, or SQLite's write lock, is then held to the end of the transaction, so no other writer can chain in between);
# the next ones follow it here, and the head is written once, just before the commit, instead of once an entry. A
# savepoint keeps its own: released, it passes it to the transaction around it; rolled back, it drops it with its
# entries.
_CHAIN_KEY = "core.audit.chain"


def _innermost(session: Session) -> SessionTransaction | None:
    return session.get_nested_transaction() or session.get_transaction()


def _pending(session: Session) -> _Chain | None:
    """The head this transaction (or a savepoint in it) has not written yet, if any."""
    chains: dict[SessionTransaction, _Chain] = session.info.get(_CHAIN_KEY, {})
    transaction = _innermost(session)
    while transaction is not None and chains:
        if transaction in chains:
            return chains[transaction]
        transaction = transaction.parent
    return None


def _take_head() -> tuple[int, str]:
    """The next number and the hash to chain onto. What the session has pending is written first, as before any
    statement (an actor added in this transaction then has its number)."""
    session = db.session()
    session.flush()
    chain = _pending(session)
    if chain is not None:
        return chain.last_id + 1, chain.last_hash
    connection = session.connection()
    rows = _TAKE_HEAD.run(connection)
    if not rows:
        connection.execute(_START_HEAD)
        rows = _TAKE_HEAD.run(connection)
    return rows[0][0], rows[0][1]


def _advance(session: Session, last_id: int, last_hash: str) -> None:
    """The log now ends at ``last_id``: the head is written just before the commit."""
    session.info.setdefault(_CHAIN_KEY, {})[_innermost(session)] = _Chain(last_id, last_hash)


def _write_head(session: Session) -> None:
    """Write the head the transaction's entries left (called just before a commit, or a savepoint's release)."""
    chain = _pending(session)
    if chain is not None:
        _SET_HEAD.run(session.connection(), {"new_id": chain.last_id, "new_hash": chain.last_hash})


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    _write_head(session)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    """A savepoint released: the transaction around it now ends the log where the savepoint did."""
    chains: dict[SessionTransaction, _Chain] = session.info.get(_CHAIN_KEY, {})
    transaction = session.get_nested_transaction()
    if transaction is not None and transaction in chains and transaction.parent is not None:
        chains[transaction.parent] = chains.pop(transaction)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    """Committed (the head is written) or rolled back (its entries are gone): its head is done with."""
    chains: dict[SessionTransaction, _Chain] | None = session.info.get(_CHAIN_KEY)
    if chains:
        chains.pop(transaction, None)
        if transaction.parent is None:
            chains.clear()


@dataclass
class _Held:
    """Entries chained in memory by ``held_until_the_end``: the last number and hash given, the entries to write."""

    last_id: int = 0
    last_hash: str = ""
    entries: list[dict[str, object]] = field(default_factory=list)


_HELD_KEY = "core.audit.held"


@contextmanager
def held_until_the_end() -> Iterator[None]:
    """For one bulk job in one transaction (the demo agency): the entries recorded inside are chained in memory and
    written in one go at the end, instead of one statement each.

    The first entry takes the head as ``record`` does; the others follow it in memory. Nothing inside may undo part
    of the transaction (a savepoint rolled back would leave its entries here): on an error nothing is written and
    the caller rolls the transaction back.
    """
    session = db.session()
    if _HELD_KEY in session.info:  # already inside one: the outer one writes
        yield
        return
    held = _Held()
    session.info[_HELD_KEY] = held
    try:
        yield
    finally:
        del session.info[_HELD_KEY]
    if held.entries:
        session.connection().execute(_ADD_ENTRY_TO, held.entries)
        _advance(session, held.last_id, held.last_hash)


def _next_held(held: _Held) -> tuple[int, str]:
    if not held.entries:
        return _take_head()
    return held.last_id + 1, held.last_hash


def record(
    action: str,
    *,
    actor: Staff | None = None,
    actor_id: int | None = None,
    record_type: str = "",
    record_id: object = "",
    outcome: str = ALLOWED,
    detail: str = "",
) -> Recorded:
    """Chain one entry onto the log inside the current transaction. Never pass record content here."""
    session = db.session()
    held: _Held | None = session.info.get(_HELD_KEY)
    seq, prev_hash = _next_held(held) if held is not None else _take_head()
    address, agent = _origin()
    fields: dict[str, object] = {
        "id": seq,
        "at": utcnow(),
        "actor_id": actor.id if actor is not None else actor_id,
        "action": action[:60],
        "record_type": record_type[:40],
        "record_id": ("" if record_id is None else str(record_id))[:40],
        "outcome": outcome,
        "address": address,
        "user_agent": agent,
        "detail": detail[:255],
        "prev_hash": prev_hash,
    }
    fields["hash"] = entry_hash(**fields)  # type: ignore[arg-type]
    if held is not None:
        held.last_id, held.last_hash = seq, fields["hash"]  # type: ignore[assignment]
        held.entries.append(fields)
    else:
        _ADD_ENTRY.run(session.connection(), fields)
        _advance(session, seq, fields["hash"])  # type: ignore[arg-type]
    return Recorded(**fields)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Verdict:
    ok: bool
    checked: int
    bad_id: int | None = None
    reason: str = ""


# The walk's columns, in the order the hash takes them, then the stored hash. The time is read as the driver gives
# it (SQLite: text; PostgreSQL: a datetime), not through SQLAlchemy's DateTime, whose parsing in Python was most of
# the walk's cost: _iso turns either into the text the hash covers.
_WALK = Recorded._fields


def _entries(after: int | None, batch: int) -> Iterator[Row]:
    """Entries in id order, from the very first (even one numbered 0 or below) or from after ``after``, as tuples of
    ``_WALK`` (rows unpack as tuples)."""
    table = AuditEntry.__table__
    columns = [type_coerce(table.c.at, String).label("at") if name == "at" else table.c[name] for name in _WALK]
    while True:
        query = select(*columns).order_by(table.c.id).limit(batch)
        if after is not None:
            query = query.where(table.c.id > after)
        rows = db.session.execute(query).all()
        if not rows:
            return
        yield from rows
        after = rows[-1][0]


def _iso(at: str | datetime) -> str:
    """The entry's time as the hash covers it: ``datetime.isoformat`` to the microsecond. SQLite's text as SQLAlchemy
    writes it (``2026-12-07 08:46:51.123456``) differs from that only by its separator."""
    if isinstance(at, str):
        if len(at) == 26 and at[10] == " " and at[19] == ".":
            return f"{at[:10]}T{at[11:]}"
        at = datetime.fromisoformat(at)
    return at.isoformat(timespec="microseconds")


def _head() -> tuple[int, str]:
    """The head as stored now (a fresh read, not the session's copy), or as this transaction will write it."""
    chain = _pending(db.session())
    if chain is not None:
        return chain.last_id, chain.last_hash
    row = db.session.execute(select(AuditHead.last_id, AuditHead.last_hash).where(AuditHead.id == 1)).one_or_none()
    return (row.last_id, row.last_hash) if row is not None else (0, GENESIS_HASH)


def _problem(entry: Row, expected_id: int, prev_hash: str) -> tuple[int, str] | None:
    """(the bad entry's number, why) when ``entry`` (a tuple of ``_WALK``) does not fit where it sits; None when it
    does."""
    id_, at, actor_id, action, record_type, record_id, outcome, address, agent, detail, prev, stored = entry
    if id_ > expected_id:
        return expected_id, "it is missing (deleted, or the entries after it were renumbered)"
    if id_ < expected_id:
        return id_, "it is out of sequence (inserted before the first entry)"
    if prev != prev_hash:
        return id_, (
            "it does not follow the entry before it (that entry was changed, or entries were inserted, "
            "removed or reordered here)"
        )
    recomputed = _hash_of(id_, _iso(at), actor_id, action, record_type, record_id, outcome, address, agent, detail,
                          prev)
    if recomputed != stored:
        return id_, "its content was changed after it was written"
    return None


def verify(batch: int = 5000) -> Verdict:
    """Walk the chain in order and name the first entry that does not fit.

    Safe while people keep working: an entry and the head move in one transaction, so the committed log is always
    entries 1..head. When the head is found ahead of the walk, the walk carries on over the entries written
    meanwhile; only when they are not there is the end of the log reported missing.
    """
    expected_id, prev_hash, checked = 1, GENESIS_HASH, 0
    after: int | None = None
    while True:
        walked = 0
        for entry in _entries(after, batch):
            problem = _problem(entry, expected_id, prev_hash)
            if problem is not None:
                return Verdict(False, checked, *problem)
            checked += 1
            walked += 1
            expected_id, prev_hash = entry[0] + 1, entry[-1]
        if after is not None and walked == 0:
            return Verdict(False, checked, checked + 1, "it is missing (entries at the end of the log were removed)")
        after = checked
        head_id, head_hash = _head()
        if head_id == checked:
            if head_hash != prev_hash:
                reason = "its content was changed after it was written (it does not match the head of the log)"
                return Verdict(False, max(checked - 1, 0), checked, reason)
            return Verdict(True, checked)
        if head_id < checked:
            return Verdict(False, head_id, head_id + 1, "it was added past the end of the log without being chained")
