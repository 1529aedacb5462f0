"""Database helpers shared by the app and the tests."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import String, event
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
