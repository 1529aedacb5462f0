"""One vocabulary for what goes wrong with something a person asked for.

- ``InvalidInput``: input that breaks a rule the person can fix; shown next to the field (400).
- ``Refused``: an action the rules do not allow; the message says why in plain words (403 or shown on the page).
  It may carry the audit entry to write, so the refusal is kept in the log even though the work is undone.
- ``StaleEdit``: the record changed after the form was loaded; the form comes back with the input kept (409).

Services raise them; views catch them. ``keep_refusal`` is the one way to undo the work of a refused request and
still commit its audit entry.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from flask import current_app, request
from sqlalchemy.exc import DBAPIError, StatementError
from werkzeug.wrappers import Response

from core import audit
from core.extensions import db
from core.models import Staff


class InvalidInput(Exception):
    """Input that breaks a rule; ``problems`` maps a form field name to a plain message ("" for the whole form)."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(problems.values()))
        self.problems = problems


@dataclass(frozen=True)
class RefusalEntry:
    """What the audit log keeps of a refusal: never record content."""

    action: str
    record_type: str = ""
    record_id: object = ""
    detail: str = ""
    outcome: str = audit.DENIED  # an entry written before the refusal may record something that was allowed


class Refused(Exception):
    """An action the rules refuse; ``str(error)`` says why, in words the person can act on.

    ``earlier`` are audit entries the refused request wrote before it was refused that must outlive the rollback
    too (e.g. a failed re-authentication); they are written before ``entry``. ``then`` is work that must outlive
    the rollback as well, done after them in the same commit. ``afterwards`` is such work that must not show in the
    answer's time (an urgent notice that only some refusals send): the view runs it with ``after_the_answer``."""

    def __init__(
        self,
        message: str,
        *,
        entry: RefusalEntry | None = None,
        earlier: tuple[RefusalEntry, ...] = (),
        then: Callable[[], None] | None = None,
        afterwards: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(message)
        self.entry = entry
        self.earlier = earlier
        self.then = then
        self.afterwards = afterwards


class StaleEdit(Exception):
    """The record changed after the form was loaded, so saving would overwrite someone else's change."""


def keep_refusal(refusal: Refused, actor: Staff | None) -> None:
    """Undo everything the refused request did, then write and commit the refusal's audit entry (if any)."""
    db.session.rollback()
    entries = [*refusal.earlier, *([refusal.entry] if refusal.entry is not None else [])]
    if not entries and refusal.then is None:
        return
    for entry in entries:
        audit.record(
            entry.action,
            actor=actor,
            record_type=entry.record_type,
            record_id=entry.record_id,
            outcome=entry.outcome,
            detail=entry.detail,
        )
    if refusal.then is not None:
        refusal.then()
    db.session.commit()


# Logging a failure without what it carried -----------------------------------------------------------------------


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error and those it was raised from or while handling, as a traceback shows them."""
    seen: set[int] = set()
    found: BaseException | None = error
    while found is not None and id(found) not in seen:
        seen.add(id(found))
        yield found
        found = found.__cause__ or found.__context__


def carries_a_statement(error: BaseException) -> bool:
    """True when the error, or one in its chain, is SQLAlchemy's: its text holds the SQL statement and the values
    sent with it (what a person typed, a record's content)."""
    return any(isinstance(found, StatementError) for found in _chain(error))


def driver_code(driver: object) -> str:
    """The database driver's short code for its error: SQLite's name (``SQLITE_READONLY``) or PostgreSQL's SQLSTATE
    (``25006``); "" when it has none (a connection that could not be made). Never the error's text."""
    return str(getattr(driver, "sqlite_errorname", None) or getattr(driver, "sqlstate", None) or "")


# What went wrong with the database -------------------------------------------------------------------------------


class Trouble(StrEnum):
    """What a database error means for the person who met it: what failed, and so what they can do about it."""

    UNREACHABLE = "unreachable"  # no connection: not running, a wrong address or password, a missing SQLite folder
    READ_ONLY = "read-only"  # the file, the server or the database user may not write
    BUSY = "busy"  # another process held a lock too long, or every connection is taken
    DISK = "disk"  # the disk is full or failing
    NOT_MIGRATED = "not-migrated"  # a table or column this version needs is missing: `flask db upgrade`
    OTHER = "other"  # the database refused this statement: most likely a fault in PeerWorks


@dataclass(frozen=True)
class DatabaseFailure:
    """A database error classified once, for the request's error page (core/app.py) and the commands (core/cli.py)."""

    trouble: Trouble
    code: str  # the driver's short code, else the driver error's kind (``psycopg.OperationalError``)
    kinds: str  # the error's kind, the driver's and its code, as the log shows them: never the error's text
    unavailable: bool  # the database cannot serve now (503), rather than refusing one statement (500)


# SQLite's primary result codes (an extended one, SQLITE_IOERR_WRITE, starts with its primary) and PostgreSQL's
# SQLSTATE codes or their two-character classes.
_SQLITE: dict[Trouble, tuple[str, ...]] = {
    Trouble.UNREACHABLE: ("SQLITE_CANTOPEN", "SQLITE_NOTADB", "SQLITE_AUTH"),
    Trouble.READ_ONLY: ("SQLITE_READONLY", "SQLITE_PERM"),
    Trouble.BUSY: ("SQLITE_BUSY", "SQLITE_LOCKED"),
    Trouble.DISK: ("SQLITE_FULL", "SQLITE_IOERR"),
}
_SQLITE_MISSING = ("no such table", "no such column", "has no column named")  # SQLITE_ERROR's words for these
_POSTGRES: dict[Trouble, tuple[str, ...]] = {
    # connection, password, no such database, the server shutting down or starting
    Trouble.UNREACHABLE: ("08", "28", "3D000", "57P01", "57P02", "57P03"),
    Trouble.READ_ONLY: ("25006", "42501"),  # a read-only transaction (a standby), a user without the right
    Trouble.BUSY: ("55P03", "40P01", "40001", "53300"),  # a lock not available, a deadlock, too many connections
    Trouble.DISK: ("53100", "58030"),
    Trouble.NOT_MIGRATED: ("42P01", "42703", "3F000"),  # no such table, column or schema
}
_UNAVAILABLE_KINDS = {"OperationalError", "InternalError"}  # the DB-API's names, SQLAlchemy's and the drivers' alike


def _is_driver_error(error: BaseException) -> bool:
    """An error of a database driver itself, raised outside SQLAlchemy (the SQLite online-backup API)."""
    psycopg = sys.modules.get("psycopg")
    return isinstance(error, sqlite3.Error) or (psycopg is not None and isinstance(error, psycopg.Error))


def database_failure(error: BaseException) -> DatabaseFailure | None:
    """What ``error`` says went wrong with the database; None when it is not a database error. Reads the driver's
    code and its class, and for SQLite's catch-all code the start of its message (never shown anywhere)."""
    return classify(error) if isinstance(error, DBAPIError) or _is_driver_error(error) else None


def classify(error: BaseException) -> DatabaseFailure:
    """``database_failure`` for an error known to be the database's (SQLAlchemy's ``DBAPIError`` or the driver's)."""
    orig = getattr(error, "orig", None)
    driver = orig if isinstance(orig, BaseException) else error
    code = driver_code(driver)
    trouble = Trouble.OTHER
    if code.startswith("SQLITE_"):
        primary = "_".join(code.split("_")[:2])
        trouble = next((found for found, codes in _SQLITE.items() if primary in codes), Trouble.OTHER)
        if primary == "SQLITE_ERROR" and str(driver).startswith(_SQLITE_MISSING):
            trouble = Trouble.NOT_MIGRATED
    elif code:
        trouble = next((found for found, codes in _POSTGRES.items() if code in codes or code[:2] in codes),
                       Trouble.OTHER)
    elif _is_kind(driver, "OperationalError"):
        trouble = Trouble.UNREACHABLE  # no code: the connection itself failed (refused, no such host, timed out)
    names = [type(error).__name__] + ([type(driver).__name__] if driver is not error else []) + [code]
    driver_kind = f"{type(driver).__module__.split('.')[0]}.{type(driver).__name__}"
    unavailable = trouble is not Trouble.OTHER or _is_kind(error, *_UNAVAILABLE_KINDS)
    return DatabaseFailure(trouble, code or driver_kind, " ".join(filter(None, names)), unavailable)


def _is_kind(error: BaseException, *names: str) -> bool:
    """True when the error's class, or one it derives from, has one of the DB-API's names (``OperationalError``)."""
    return any(kind.__name__ in names for kind in type(error).__mro__)


def without_values(error: BaseException) -> str:
    """What failed and where, without the errors' text: for each error of the chain, its kind (and, for a database
    error, the driver's kind and error code), then the frames (file, line and code, never a value)."""
    parts = []
    for found in _chain(error):
        driver = getattr(found, "orig", None)
        code = driver_code(driver)
        kinds = [type(found).__name__, type(driver).__name__ if driver is not None else "", str(code)]
        frames = "".join(traceback.format_tb(found.__traceback__))
        parts.append(" ".join(kind for kind in kinds if kind) + "\n" + frames)
    return "\n".join(reversed(parts))  # the first error first, as a traceback reads


def log_failure(logger: logging.Logger, error: BaseException, message: str, *args: object) -> None:
    """Log ``error`` at ERROR with its traceback, unless it carries a database statement: then only
    ``without_values`` (as the request's own database error page does, core/app.py)."""
    if carries_a_statement(error):
        logger.error(message + "\n%s", *args, without_values(error))
    else:
        logger.error(message, *args, exc_info=error)


AFTER_THE_ANSWER = "peerworks.after_the_answer"


def after_the_answer(response: Response, work: Callable[[], None]) -> Response:
    """Do ``work`` once the answer has gone out, in an app context and a transaction of its own, so that how long it
    takes never shows in the answer. An error is logged, never raised: the answer is already sent. The response is
    returned as it is (the same headers and body whether or not work follows it); ``AnswerThenWork`` runs the work."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def run() -> None:
        with app.app_context():
            try:
                work()
                db.session.commit()
            except Exception as error:
                db.session.rollback()
                log_failure(app.logger, error, "Work done after an answer failed.")

    request.environ.setdefault(AFTER_THE_ANSWER, []).append(run)
    return response


class AnswerThenWork:
    """WSGI middleware: the work ``after_the_answer`` left in the request runs once the server has taken the last
    piece of the answer's body (it has been written by then), or when the server closes the answer, whichever comes
    first, and once only. Both, because servers differ: gunicorn always closes the answer; Werkzeug's own server
    skips the close when the browser has already hung up, but it always asks for the body to its end first."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return _ThenWork(self.wsgi_app(environ, start_response), environ)


class _ThenWork:
    def __init__(self, answer: Iterable[bytes], environ: dict[str, Any]) -> None:
        self.answer = answer
        self.environ = environ

    def __iter__(self) -> Iterator[bytes]:
        yield from self.answer
        self._work()

    def close(self) -> None:
        try:
            close = getattr(self.answer, "close", None)
            if close is not None:
                close()
        finally:
            self._work()

    def _work(self) -> None:
        for work in self.environ.pop(AFTER_THE_ANSWER, []):
            work()
