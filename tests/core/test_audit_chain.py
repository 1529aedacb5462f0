"""Evidence that the hash-chained audit log shows tampering, holds under concurrent writers, and is append-only.

A 10,000-entry chain is built straight into the table (hashes made with core.audit.entry_hash, one executemany), then
tampered with in each way someone with database access might try. Both core.audit.verify() and
`flask --app wsgi audit verify` must refuse it and name the first bad entry.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.pool import StaticPool

from core import audit
from core.app import create_app
from core.extensions import db as _db
from core.models import AuditEntry, AuditHead
from tests.conftest import ON_POSTGRES
from tests.queries import counting_queries

N = 10_000
MIDDLE = 5_000
ENTRIES = AuditEntry.__table__
CONTENT = ("at", "actor_id", "action", "record_type", "record_id", "outcome", "address", "user_agent", "detail")


def chained(rows: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    """One more entry, hashed correctly onto the last of ``rows`` (what a careful forger would write)."""
    last = rows[-1] if rows else {"id": 0, "hash": audit.GENESIS_HASH, "at": datetime(2025, 1, 1)}
    row = {
        "id": last["id"] + 1,
        "at": last["at"] + timedelta(seconds=1),
        "actor_id": None,
        "action": "caseload.viewed" if last["id"] % 3 else "signin.succeeded",
        "record_type": "client",
        "record_id": str(last["id"] % 97),
        "outcome": audit.DENIED if last["id"] % 11 == 0 else audit.ALLOWED,
        "address": "192.0.2.7",
        "user_agent": "Mozilla/5.0 (test)",
        "detail": "",
        "prev_hash": last["hash"],
    }
    row.update(fields)
    row["hash"] = audit.entry_hash(**row)
    return row


@cache
def chain_rows(n: int = N) -> tuple[dict[str, Any], ...]:
    """The rows of an intact chain of ``n`` entries, made once per test run (the hashing is the slow part)."""
    rows: list[dict[str, Any]] = []
    for _ in range(n):
        rows.append(chained(rows))
    return tuple(rows)


def build_chain(n: int = N) -> list[dict[str, Any]]:
    rows = list(chain_rows(n))
    _db.session.execute(insert(AuditEntry), rows)
    _db.session.merge(AuditHead(id=1, last_id=rows[-1]["id"], last_hash=rows[-1]["hash"]))
    _db.session.commit()
    return rows


def row(entry_id: int) -> dict[str, Any]:
    return dict(_db.session.execute(select(ENTRIES).where(ENTRIES.c.id == entry_id)).one()._mapping)


def bypass_append_only_guard() -> None:
    """PostgreSQL refuses UPDATE and DELETE on the log; a superuser can switch the triggers off for a transaction."""
    if ON_POSTGRES:
        _db.session.execute(sa.text("SET LOCAL session_replication_role = replica"))


def renumber_from(first: int, by: int) -> None:
    """Shift ids >= first by ``by`` in two steps (a one-step shift collides with the primary key midway)."""
    _db.session.execute(update(AuditEntry).where(AuditEntry.id >= first).values(id=-AuditEntry.id))
    _db.session.execute(update(AuditEntry).where(AuditEntry.id < 0).values(id=-AuditEntry.id + by))


# Each tampering returns the id of the first entry verify() must name.


def edit_a_field(rows: list[dict[str, Any]]) -> int:
    _db.session.execute(update(AuditEntry).where(AuditEntry.id == MIDDLE).values(detail="nothing to see"))
    return MIDDLE


def delete_from_the_middle(rows: list[dict[str, Any]]) -> int:
    _db.session.execute(delete(AuditEntry).where(AuditEntry.id == MIDDLE))
    return MIDDLE


def delete_the_last(rows: list[dict[str, Any]]) -> int:
    _db.session.execute(delete(AuditEntry).where(AuditEntry.id == N))
    return N


def swap_two_entries(rows: list[dict[str, Any]]) -> int:
    """Reorder: entries MIDDLE and MIDDLE + 1 trade places (all their contents and hashes, ids kept)."""
    first, second = row(MIDDLE), row(MIDDLE + 1)
    parking = "f" * 64  # the hash column is unique, so park one while the other moves
    _db.session.execute(update(AuditEntry).where(AuditEntry.id == MIDDLE).values(hash=parking))
    _db.session.execute(
        update(AuditEntry)
        .where(AuditEntry.id == MIDDLE + 1)
        .values({name: first[name] for name in (*CONTENT, "prev_hash", "hash")})
    )
    _db.session.execute(
        update(AuditEntry)
        .where(AuditEntry.id == MIDDLE)
        .values({name: second[name] for name in (*CONTENT, "prev_hash", "hash")})
    )
    return MIDDLE


def insert_by_renumbering(rows: list[dict[str, Any]]) -> int:
    """A forged entry, correctly chained onto the one before, slipped in at MIDDLE; the rest renumbered up by one.

    The forgery itself checks out; the chain breaks at the next entry, whose prev_hash names the real MIDDLE - 1.
    """
    renumber_from(MIDDLE, by=1)
    forged = chained(rows[: MIDDLE - 1], action="signin.succeeded", detail="forged")
    assert forged["id"] == MIDDLE
    _db.session.execute(insert(AuditEntry), [forged])
    return MIDDLE + 1


def insert_crudely(rows: list[dict[str, Any]]) -> int:
    """A forged entry with a made-up hash, slipped in at MIDDLE by renumbering: caught at the forgery itself."""
    renumber_from(MIDDLE, by=1)
    forged = chained(rows[: MIDDLE - 1], detail="forged")
    forged["hash"] = "a" * 64
    _db.session.execute(insert(AuditEntry), [forged])
    return MIDDLE


def insert_before_the_first(rows: list[dict[str, Any]]) -> int:
    """A forged entry in a free id before the start of the log."""
    _db.session.execute(insert(AuditEntry), [chained([], id=0, prev_hash=audit.GENESIS_HASH)])
    return 0


def append_without_the_head(rows: list[dict[str, Any]]) -> int:
    """A forged entry in the free id after the last, correctly chained, but the head was not moved."""
    _db.session.execute(insert(AuditEntry), [chained(rows, detail="forged")])
    return N + 1


def edit_and_rehash(rows: list[dict[str, Any]]) -> int:
    """Change MIDDLE and recompute its own hash: it checks out, but the next entry no longer follows it."""
    changed = row(MIDDLE) | {"detail": "rewritten"}
    changed["hash"] = audit.entry_hash(**{k: v for k, v in changed.items() if k != "hash"})
    _db.session.execute(
        update(AuditEntry).where(AuditEntry.id == MIDDLE).values(detail="rewritten", hash=changed["hash"])
    )
    return MIDDLE + 1


def edit_and_rehash_the_last(rows: list[dict[str, Any]]) -> int:
    """Change the last entry and recompute its hash: nothing follows it, but the head of the log still disagrees."""
    changed = row(N) | {"outcome": audit.ALLOWED, "detail": "rewritten"}
    changed["hash"] = audit.entry_hash(**{k: v for k, v in changed.items() if k != "hash"})
    _db.session.execute(
        update(AuditEntry)
        .where(AuditEntry.id == N)
        .values(outcome=audit.ALLOWED, detail="rewritten", hash=changed["hash"])
    )
    return N


# Each tampering, with what verify() must say about the first bad entry.
TAMPERING: list[tuple[Callable[[list[dict[str, Any]]], int], str]] = [
    (edit_a_field, "its content was changed after it was written"),
    (delete_from_the_middle, "it is missing"),
    (delete_the_last, "it is missing (entries at the end of the log were removed)"),
    (swap_two_entries, "it does not follow the entry before it"),
    (insert_by_renumbering, "it does not follow the entry before it"),
    (insert_crudely, "its content was changed after it was written"),
    (insert_before_the_first, "it is out of sequence"),
    (append_without_the_head, "it was added past the end of the log"),
    (edit_and_rehash, "it does not follow the entry before it"),
    (edit_and_rehash_the_last, "it does not match the head of the log"),
]


def test_an_untouched_chain_verifies(app: Flask, runner: FlaskCliRunner) -> None:
    rows = build_chain()
    assert _db.session.scalar(select(func.count()).select_from(AuditEntry)) == N

    verdict = audit.verify()
    assert verdict == audit.Verdict(True, N)

    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert f"intact: {N} entries checked" in result.output
    assert rows[-1]["hash"] == _db.session.get(AuditHead, 1).last_hash


@pytest.mark.parametrize(("tamper", "reason"), TAMPERING, ids=[tamper.__name__ for tamper, _ in TAMPERING])
def test_tampering_is_caught_and_the_first_bad_entry_named(
    app: Flask, runner: FlaskCliRunner, tamper: Callable[[list[dict[str, Any]]], int], reason: str
) -> None:
    rows = build_chain()
    bypass_append_only_guard()
    first_bad = tamper(rows)
    _db.session.commit()

    verdict = audit.verify()
    assert not verdict.ok
    assert verdict.bad_id == first_bad, verdict
    assert verdict.checked == max(first_bad - 1, 0), verdict
    assert reason in verdict.reason

    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"tampered with at entry {first_bad}: {verdict.reason}" in result.output


def test_tampering_is_caught_in_a_small_batch_walk(app: Flask) -> None:
    """The walk goes in batches; a break right on a batch boundary is still found."""
    rows = build_chain(1_000)
    bypass_append_only_guard()
    _db.session.execute(delete(AuditEntry).where(AuditEntry.id == 501))
    _db.session.commit()
    verdict = audit.verify(batch=500)
    assert (verdict.ok, verdict.checked, verdict.bad_id) == (False, 500, 501)
    assert verdict.reason.startswith("it is missing")
    assert audit.verify(batch=7) == verdict
    assert len(rows) == 1_000


def test_an_empty_log_verifies(app: Flask, runner: FlaskCliRunner) -> None:
    assert audit.verify() == audit.Verdict(True, 0)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0
    assert "intact: 0 entries checked" in result.output


def test_a_wiped_log_is_caught(app: Flask) -> None:
    build_chain(50)
    bypass_append_only_guard()
    _db.session.execute(delete(AuditEntry))
    _db.session.commit()
    verdict = audit.verify()
    assert (verdict.ok, verdict.bad_id) == (False, 1)


def head_statements(statements: list[str]) -> list[str]:
    return [statement.split()[0] for statement in statements if "core_audit_head" in statement]


def test_a_transaction_takes_the_head_once_and_writes_it_once_at_the_commit(app: Flask) -> None:
    """Three entries in one transaction: the first takes the head (its lock held to the end), the others follow it in
    memory, and the head is written once, just before the commit. Inside the transaction the walk already sees the
    head the commit will write."""
    audit.record("test.zero")
    _db.session.commit()
    with counting_queries() as statements:
        for n in range(3):
            audit.record("test.several", record_id=n)
        assert audit.verify() == audit.Verdict(True, 4)
        _db.session.commit()
    assert head_statements(statements) == ["UPDATE", "UPDATE"]  # taken by the first entry, written at the commit
    assert sum(statement.startswith("INSERT INTO core_audit_entry") for statement in statements) == 3
    head = _db.session.execute(select(AuditHead.last_id, AuditHead.last_hash)).one()
    last = _db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
    assert (head.last_id, head.last_hash) == (4, last.hash)
    assert audit.verify() == audit.Verdict(True, 4)


def test_a_rolled_back_transaction_leaves_no_head_behind(app: Flask) -> None:
    """Entries of a transaction that is rolled back go with it, and so does the head it would have written: the next
    transaction chains onto the committed log."""
    audit.record("test.kept")
    _db.session.commit()
    audit.record("test.undone")
    audit.record("test.undone")
    _db.session.rollback()
    audit.record("test.after")
    _db.session.commit()
    assert _db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all() == ["test.kept", "test.after"]
    assert audit.verify() == audit.Verdict(True, 2)


@pytest.mark.parametrize("savepoint_ends", ["rollback", "commit"])
def test_entries_inside_a_savepoint_go_or_stay_with_it(app: Flask, savepoint_ends: str) -> None:
    """A savepoint rolled back takes its entries and the head they led to; one released keeps both. Either way the
    transaction around it goes on chaining where the log really ends."""
    audit.record("test.before")
    savepoint = _db.session.begin_nested()
    audit.record("test.inside")
    audit.record("test.inside")
    getattr(savepoint, savepoint_ends)()
    audit.record("test.after")
    _db.session.commit()
    inside = ["test.inside", "test.inside"] if savepoint_ends == "commit" else []
    assert _db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all() == [
        "test.before", *inside, "test.after"
    ]
    assert audit.verify() == audit.Verdict(True, 2 + len(inside))


def test_record_keeps_long_values_within_their_columns(app: Flask) -> None:
    """A long record type (e.g. a model name plus an action) must not break the write on PostgreSQL."""
    entry = audit.record("a" * 80, record_type="SomeLongModelName:some.long.action.name.here", record_id="9" * 60)
    _db.session.commit()
    assert (len(entry.action), len(entry.record_type), len(entry.record_id)) == (60, 40, 40)
    assert audit.verify().ok


@pytest.mark.skipif(not ON_POSTGRES, reason="the append-only triggers are PostgreSQL's")
@pytest.mark.parametrize(
    "statement",
    [
        update(AuditEntry).where(AuditEntry.id == 1).values(detail="changed"),
        delete(AuditEntry).where(AuditEntry.id == 1),
        sa.text("TRUNCATE core_audit_entry"),
    ],
    ids=["update", "delete", "truncate"],
)
def test_postgres_refuses_to_change_the_log(app: Flask, statement: Any) -> None:
    audit.record("test.entry")
    _db.session.commit()
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        _db.session.execute(statement)
    _db.session.rollback()
    assert _db.session.scalar(select(AuditEntry.detail).where(AuditEntry.id == 1)) == ""
    assert audit.verify().ok


# Concurrent writers ---------------------------------------------------------------------------------------------

THREADS = 4
PER_THREAD = 200


@pytest.fixture
def shared_database_app(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    """An app whose threads each get their own database connection.

    On PostgreSQL that is the usual test app. On SQLite the usual one shares one in-memory connection between
    threads, which would test nothing; here it is a database file, so the writers really do contend for it.
    """
    if ON_POSTGRES:
        yield request.getfixturevalue("app")
        return
    monkeypatch.setenv("PEERWORKS_INSTANCE", str(tmp_path / "instance"))
    application = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'audit.sqlite3'}",
        }
    )
    with application.app_context():
        # Durability is not under test: skipping the fsync on each of the many commits keeps this quick on a busy disk.
        sa.event.listen(
            _db.engine, "connect", lambda connection, _record: connection.execute("PRAGMA synchronous = OFF")
        )
        _db.create_all()
        _db.session.add(AuditHead(id=1, last_id=0, last_hash=audit.GENESIS_HASH))
        _db.session.commit()
        yield application
        _db.session.remove()
        _db.engine.dispose()


# Real commits: threads write with connections of their own, and each must see the chain the others committed.
@pytest.mark.real_commits
def test_concurrent_writers_keep_one_unbroken_chain(shared_database_app: Flask) -> None:
    app = shared_database_app
    assert not isinstance(_db.engine.pool, StaticPool)
    assert _db.engine.url.database not in (None, "", ":memory:")
    start = threading.Barrier(THREADS)
    failures: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            with app.app_context():
                start.wait(timeout=30)
                for n in range(PER_THREAD):
                    audit.record("test.concurrent", record_type="worker", record_id=f"{worker}-{n}")
                    _db.session.commit()
                _db.session.remove()
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    assert not any(thread.is_alive() for thread in threads)

    total = THREADS * PER_THREAD
    ids = _db.session.scalars(select(AuditEntry.id).order_by(AuditEntry.id)).all()
    assert ids == list(range(1, total + 1))
    distinct_links = _db.session.scalar(select(func.count(func.distinct(AuditEntry.prev_hash))))
    assert distinct_links == total
    written = _db.session.scalars(select(AuditEntry.record_id)).all()
    assert sorted(written) == sorted(f"{w}-{n}" for w in range(THREADS) for n in range(PER_THREAD))
    assert audit.verify() == audit.Verdict(True, total)


# Real commits: entries are committed by another connection while verify walks the log on its own.
@pytest.mark.real_commits
def test_verify_is_not_fooled_by_entries_written_while_it_walks(
    shared_database_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app keeps writing while someone checks the chain: new entries at the end are not tampering."""
    app = shared_database_app
    for n in range(20):
        audit.record("test.before", record_id=n)
        _db.session.commit()

    def write_five_more() -> None:
        with app.app_context():
            for n in range(5):
                audit.record("test.meanwhile", record_id=n)
                _db.session.commit()
            _db.session.remove()

    walk = audit._entries
    interrupted: list[bool] = []

    def walk_then_others_write(*args: Any) -> Iterator[Any]:
        yield from walk(*args)
        if not interrupted:
            interrupted.append(True)
            writer = threading.Thread(target=write_five_more)
            writer.start()
            writer.join(timeout=30)

    monkeypatch.setattr(audit, "_entries", walk_then_others_write)
    assert audit.verify() == audit.Verdict(True, 25)
    assert interrupted == [True]


# The walk's shortcuts give exactly what the hash has always covered ----------------------------------------------

_TEXT = st.text(max_size=40)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(
    number=st.integers(min_value=-(2**63), max_value=2**63 - 1),
    at=_TEXT,
    actor=st.none() | st.integers(min_value=0, max_value=2**63 - 1),
    texts=st.lists(_TEXT, min_size=8, max_size=8),
)
def test_the_written_out_json_is_the_encoders(number: int, at: str, actor: int | None, texts: list[str]) -> None:
    fields = (number, at, actor, *texts)
    assert audit._json_list(fields) == json.dumps(list(fields), separators=(",", ":"), ensure_ascii=False)


@pytest.mark.parametrize("value", [True, 1.5, None, "7"])
def test_a_field_of_another_type_goes_through_the_encoder(value: object) -> None:
    fields = (value, "2026-01-01T00:00:00.000000", value, *["x"] * 8)
    assert audit._json_list(fields) == json.dumps(list(fields), separators=(",", ":"), ensure_ascii=False)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.datetimes(min_value=datetime(1900, 1, 1)))
def test_sqlite_text_gives_the_times_iso_text(at: datetime) -> None:
    stored = at.strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's SQLite storage format
    assert audit._iso(stored) == at.isoformat(timespec="microseconds") == audit._iso(at)
    assert audit._iso(stored[:19]) == at.replace(microsecond=0).isoformat(timespec="microseconds")
