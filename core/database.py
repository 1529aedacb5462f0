"""Database helpers shared by the app and the tests."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Flask
from sqlalchemy import String, event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
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
