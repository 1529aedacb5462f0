"""core.database.DriverStatement: the audit chain's statements go straight to the driver, and keep what SQLAlchemy's
own execution gives the app (the same SQL, types, listeners and errors), on both databases."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa

from core import audit
from core.database import DriverStatement
from core.extensions import db
from core.models import AuditEntry, AuditHead

pytestmark = pytest.mark.both_databases

WHEN = datetime(2026, 12, 7, 11, 30, 15, 123456)


def _entry(number: int, **changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "id": number, "at": WHEN, "actor_id": None, "action": "test.driver", "record_type": "client",
        "record_id": "7", "outcome": audit.ALLOWED, "address": "", "user_agent": "", "detail": "",
        "prev_hash": "a" * 64, "hash": f"{number:064d}",
    }
    return {**fields, **changes}


def _seen(statements: list[tuple[str, Any]]) -> Any:
    def listener(_connection: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        statements.append((statement, parameters))
    return listener


def test_the_sql_is_the_one_sqlalchemy_compiles_and_listeners_see_it(app):
    sent: list[tuple[str, Any]] = []
    listener = _seen(sent)
    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        audit.record("test.driver", record_type="client", record_id=7)
        db.session.flush()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    texts = [statement for statement, _ in sent]
    compiled = audit._ADD_ENTRY.statement.compile(dialect=db.engine.dialect, column_keys=list(audit.Recorded._fields))
    expected = str(compiled)
    assert expected in texts, texts
    assert any(text.startswith("UPDATE core_audit_head") and "RETURNING" in text for text in texts), texts


def test_an_entry_written_by_the_driver_reads_back_through_the_orm_unchanged(app):
    audit._ADD_ENTRY.run(db.session.connection(), _entry(900_001))
    stored = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.id == 900_001)).one()
    assert stored.at == WHEN, "the time is stored as SQLAlchemy's DateTime stores it"
    assert (stored.action, stored.record_id, stored.hash) == ("test.driver", "7", f"{900_001:064d}")


def test_a_statement_with_returning_gives_its_rows_and_literals_are_sent(app):
    audit.record("test.driver")  # the head exists
    before = db.session.scalar(sa.select(AuditHead.last_id))
    rows = audit._TAKE_HEAD.run(db.session.connection())
    assert len(rows) == 1
    assert rows[0][0] == before + 1, "the statement's own + 1 and WHERE id = 1 reached the database"


def test_a_driver_error_is_raised_as_sqlalchemys(app):
    connection = db.session.connection()
    with connection.begin_nested():
        audit._ADD_ENTRY.run(connection, _entry(900_002))
    with pytest.raises(sa.exc.IntegrityError) as raised, connection.begin_nested():
        audit._ADD_ENTRY.run(connection, _entry(900_002))
    assert raised.value.orig is not None, "the driver's own error is kept"
    assert "core_audit_entry" in raised.value.statement


def test_an_error_raised_by_a_listener_is_wrapped_too(app):
    """How tests/core/test_faults.py stands in for a full disk: the driver's error, raised before the statement."""
    failure = db.engine.dialect.loaded_dbapi.OperationalError("database or disk is full")

    def fail(*_args: Any) -> None:
        raise failure

    sa.event.listen(db.engine, "before_cursor_execute", fail)
    try:
        with pytest.raises(sa.exc.OperationalError) as raised:
            audit._ADD_ENTRY.run(db.session.connection(), _entry(900_003))
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", fail)
    assert raised.value.orig is failure


def test_a_statement_is_compiled_once_per_database(app):
    statement = DriverStatement(sa.select(sa.literal(5, sa.Integer).label("five")))
    assert statement.run(db.session.connection()) == [(5,)]
    assert list(statement._prepared) == [db.engine.dialect.name]
    assert statement.run(db.session.connection()) == [(5,)]
    assert len(statement._prepared) == 1
