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
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from flask import current_app, request
from sqlalchemy.exc import StatementError
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


def without_values(error: BaseException) -> str:
    """What failed and where, without the errors' text: for each error of the chain, its kind (and, for a database
    error, the driver's kind and error code), then the frames (file, line and code, never a value)."""
    parts = []
    for found in _chain(error):
        driver = getattr(found, "orig", None)
        code = getattr(driver, "sqlite_errorname", None) or getattr(driver, "sqlstate", None) or ""
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
