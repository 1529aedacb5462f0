"""Database helpers shared by the app and the tests."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import ColumnElement, String, event, exc, func, literal, select
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import GenericFunction

from core.extensions import db


def install_sqlite_pragmas(app: Flask) -> None:
    """Foreign keys on, and wait for a busy writer instead of failing at once."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return

    with app.app_context():
        engine: Engine = db.engine

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 15000")
        cursor.close()
        dbapi_connection.create_function(UNICODE_LOWER, 1, _lower, deterministic=True)


# SQLite's own lower() changes only A to Z: "Åsa" stays "Åsa", while Python's str.lower() and PostgreSQL's lower()
# give "åsa". A check "is this name taken?" written as lower(column) == typed.lower() then misses a name with a
# capital letter outside A-Z on SQLite (and one ending in a Greek capital sigma on PostgreSQL), and a unique column
# fails with a server error instead of the message.
UNICODE_LOWER = "pw_lower"


def _lower(text: object) -> object:
    return text.lower() if isinstance(text, str) else text


class Lowered(GenericFunction[str]):
    """``lower(x)`` that lowers every letter on SQLite too. Compare both sides with it, ``Lowered(column) ==
    Lowered(typed)``, never with Python's ``typed.lower()``: PostgreSQL's lower() and Python's disagree on a few
    letters (a final Greek sigma). (Sorting may keep ``func.lower``: SQLite's is faster, the order hardly differs.)"""

    type = String()
    identifier = "pw_lowered"  # its name among SQLAlchemy's functions; it never reaches the SQL
    inherit_cache = True


def contains_text(column: ColumnElement[Any], typed: str) -> ColumnElement[bool]:
    """``column`` holds ``typed`` anywhere, whatever the case of any letter: both sides lowered by the database
    (``Lowered``), so "ZOË" finds "Zoë" on SQLite too (its own lower() and LIKE fold only A to Z). Every search box
    goes through this; ``%``, ``_`` and ``\\`` typed are taken as themselves."""
    pattern = "%" + typed.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return Lowered(column).like(Lowered(literal(pattern)), escape="\\")


@compiles(Lowered)
def _lowered(element: Lowered, compiler: SQLCompiler, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(Lowered, "sqlite")
def _lowered_sqlite(element: Lowered, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{UNICODE_LOWER}({compiler.process(element.clauses, **kw)})"


def take_turns(name: str) -> None:
    """Wait until no other transaction holds ``name``, then hold it until this one ends: two runs of a scheduled
    command that reads, then writes what is missing (two app servers' schedulers at the same minute) run one after
    the other, and the second sees what the first wrote. PostgreSQL's transaction-level advisory lock; SQLite serves
    one server, where the scheduler does not overlap a run with itself, so nothing is needed there. Call it first in
    the transaction, before the reads it protects."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
    db.session.execute(select(func.pg_advisory_xact_lock(key)))


@dataclass(frozen=True)
class _Prepared:
    sql: str
    names: tuple[str, ...] | None  # the parameters' order for a positional driver (SQLite's ?), None for named ones
    fixed: dict[str, Any]  # the statement's own values (a literal in its WHERE is sent as a parameter)
    processors: dict[str, Callable[[Any], Any]]  # how SQLAlchemy's types send a value (SQLite: a datetime as text)


class DriverStatement:
    """A Core statement sent straight to the driver's cursor on a connection's transaction, for the few statements
    that run on every write request (the audit chain's). SQLAlchemy's own execution costs 15 to 60 µs a statement
    in a request (its call path is long, and cold after a page's work); the driver takes 3 to 5.

    What SQLAlchemy would do is kept: the SQL is compiled once per dialect from the same Core statement, values go
    through the column types' bind processors, ``before_cursor_execute`` listeners see the statement (the CSRF write
    guard, and the tests' query counts, fault injection and PostgreSQL pick), a driver error is raised as
    SQLAlchemy's ``DBAPIError`` (so the error pages classify it) and a lost connection is invalidated. Not kept:
    ``echo`` logging and the ``handle_error`` event, which the app does not use.
    tests/core/test_driver_statement.py holds these on both databases."""

    def __init__(self, statement: Executable, *, column_keys: Sequence[str] | None = None) -> None:
        self.statement = statement
        self.column_keys = list(column_keys) if column_keys is not None else None
        self._prepared: dict[str, _Prepared] = {}

    def _prepare(self, dialect: Dialect) -> _Prepared:
        compiled = self.statement.compile(dialect=dialect, column_keys=self.column_keys)  # type: ignore[attr-defined]
        processors = {}
        for name, bind in compiled.binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                processors[name] = processor
        fixed = {name: bind.value for name, bind in compiled.binds.items() if bind.value is not None}
        names = tuple(compiled.positiontup) if dialect.positional else None
        prepared = _Prepared(str(compiled), names, fixed, processors)
        self._prepared[dialect.name] = prepared
        return prepared

    def run(self, connection: Connection, values: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Send the statement with ``values`` (by the names its binds have); the rows it returns, if any."""
        dialect = connection.dialect
        prepared = self._prepared.get(dialect.name) or self._prepare(dialect)
        merged = dict(prepared.fixed)
        if values:
            merged.update(values)
        for name, processor in prepared.processors.items():
            if name in merged:
                merged[name] = processor(merged[name])
        parameters: Any = tuple(merged[name] for name in prepared.names) if prepared.names is not None else merged
        statement = prepared.sql
        dbapi_connection = connection.connection
        cursor = dbapi_connection.cursor()
        try:
            for listener in connection.dispatch.before_cursor_execute:
                statement, parameters = listener(connection, cursor, statement, parameters, None, False)
            cursor.execute(statement, parameters)
            return cursor.fetchall() if cursor.description is not None else []
        except dialect.loaded_dbapi.Error as error:
            lost = dialect.is_disconnect(error, dbapi_connection, cursor)
            if lost:
                connection.invalidate(error)
            raise exc.DBAPIError.instance(
                statement, parameters, error, dialect.loaded_dbapi.Error,
                hide_parameters=connection.engine.hide_parameters, connection_invalidated=lost, dialect=dialect,
            ) from error
        finally:
            cursor.close()
