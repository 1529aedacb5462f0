"""A form refused for its CSRF token comes back as the same form, with the input kept and a new token.

The token check itself is Flask-WTF's and stays first in every request. When it fails, the request is not stopped
at once: it goes on **read-only**, so the view can show its form again with what the person typed (its
``FlaskForm.validate()`` answers "not valid" without looking at the fields, see ``core.forms``). Read-only is
enforced under the view, where nothing can go around it:

* every SQL statement but a read, and every commit, raises ``WriteRefused`` before it reaches the database, and
  the transaction is rolled back at the end of the request: no row, audit entry or sign-in session changes. (So a
  page that must audit the record it shows, such as a recovery plan, answers the plain page: the browser then
  offers the typed text back on the form, see static/js/session-timeout.js.)
* the signed cookie session is put back as it was, apart from the CSRF secret (a view cannot sign anyone in or
  out);
* unless the answer is an HTML page that shows the "send it again" sentence (the form again), it is replaced by
  the plain 400 page. So a bare button (a POST route with no form to show), a redirect, a refusal, a missing
  record and a JSON call all answer the plain 400 page (or JSON), exactly as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, has_request_context, render_template, request, session
from flask_login import current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

# One sentence, shown above the form that comes back (base.html) and on the plain page.
SEND_AGAIN = (
    "This form was not sent, because the page was opened before your latest sign-in or is out of date: "
    "check what you typed and send it again."
)
PLAIN_TITLE = "This form was not sent"
PLAIN_ADVICE = (
    "Nothing was changed, because the page was opened before your latest sign-in or is out of date. "
    "Go back to the page, check it and send it again."
)
_KEY = "peerworks.csrf_refused"
# Reads, and the statements that only mark or undo work inside a transaction.
_READ = re.compile(r"\s*(SELECT|SAVEPOINT|RELEASE|ROLLBACK)\b", re.IGNORECASE)
_WITH_READ = re.compile(r"\s*WITH\b(?!.*\b(INSERT|UPDATE|DELETE|MERGE)\b)", re.IGNORECASE | re.DOTALL)
# What the sign-in session may change on a refused request: Flask-WTF's secret behind the new token, and
# messages waiting to be shown.
_SESSION_KEYS_KEPT = {"csrf_token", "_flashes"}


class WriteRefused(Exception):  # it names what happened, like PermissionError
    """A view tried to change stored data on a request whose CSRF token was refused."""


@dataclass
class Refusal:
    reason: str
    session_before: dict[str, Any] = field(default_factory=dict)
    write_attempted: bool = False


def refusal() -> Refusal | None:
    """The refusal of this request's CSRF token, or None (also outside a request)."""
    if not has_request_context():
        return None
    found = request.environ.get(_KEY)
    return found if isinstance(found, Refusal) else None


def refused() -> bool:
    return refusal() is not None


class ResendingCSRFProtect(CSRFProtect):
    """Flask-WTF's check, unchanged, except that a failure marks the request read-only instead of stopping it."""

    def protect(self, apply_exemptions: bool = False) -> None:
        try:
            super().protect(apply_exemptions=apply_exemptions)
        except CSRFError as error:
            _start_refusal(str(error.description))


def _start_refusal(reason: str) -> None:
    g.pop("csrf_valid", None)  # never let a form trust an earlier request's check
    # The sign-in is looked up now, before the writes stop: the look-up counts activity and ends a session that
    # timed out, as on any request.
    current_user._get_current_object()
    request.environ[_KEY] = Refusal(reason=reason, session_before=dict(session))


def _refuse_commit(*_args: Any, **_kwargs: Any) -> None:
    found = refusal()
    if found is None:
        return
    found.write_attempted = True
    raise WriteRefused("a write or a commit")


def _refuse_writes(
    _connection: Any, _cursor: Any, statement: str, _parameters: Any, _context: Any, _executemany: bool
) -> None:
    if refusal() is not None and not (_READ.match(statement) or _WITH_READ.match(statement)):
        _refuse_commit()


# Any statement but a read is refused before it reaches the database; and, should anything get past that, every
# commit too: the ORM session's (also when it only releases a savepoint) and a connection's.
for _target, _name, _listener in (
    (Engine, "before_cursor_execute", _refuse_writes),
    (Engine, "commit", _refuse_commit),
    (Session, "before_commit", _refuse_commit),
):
    if not event.contains(_target, _name, _listener):
        event.listen(_target, _name, _listener)


def _plain_answer(code: int = 400) -> Response:
    current_app.extensions["sqlalchemy"].session.rollback()  # the page below reads; a refused write left none
    if request.accept_mimetypes.best == "application/json":
        response = current_app.json.response({"error": "csrf", "message": PLAIN_ADVICE})
    else:
        response = Response(
            render_template("errors/error.html", code=code, title=PLAIN_TITLE, advice=PLAIN_ADVICE, back=back_to_form())
        )
    response.status_code = code
    return response


def back_to_form() -> str | None:
    """The page the request came from, when it is on this site: where the form is."""
    referrer = request.referrer
    if not referrer:
        return None
    try:
        parts = urlsplit(referrer)
    except ValueError:  # not an address at all ("http://[" has an unclosed IPv6 bracket)
        return None
    if parts.netloc != request.host or parts.scheme not in ("http", "https"):
        return None
    path = parts.path or "/"
    if not path.startswith("/") or path.startswith("//") or "\\" in path or not path.isprintable():
        return None
    return path + (f"?{parts.query}" if parts.query else "")


def register(app: Flask) -> None:
    @app.errorhandler(WriteRefused)
    def write_refused(_error: WriteRefused) -> Response:
        return _plain_answer()

    @app.after_request
    def finish_refusal(response: Response) -> Response:
        found = refusal()
        if found is None:
            return response
        current_app.extensions["sqlalchemy"].session.rollback()
        for key in set(session) - _SESSION_KEYS_KEPT - set(found.session_before):
            del session[key]
        for key, value in found.session_before.items():
            if key not in _SESSION_KEYS_KEPT:
                session[key] = value
        shows_form = (
            not found.write_attempted
            and response.status_code in (200, 400)
            and response.mimetype == "text/html"
            and not response.is_streamed
            and SEND_AGAIN in response.get_data(as_text=True)
        )
        if shows_form:
            response.status_code = 400
            return response
        return _plain_answer()

    app.jinja_env.globals["csrf_refused"] = refused
    app.jinja_env.globals["csrf_send_again"] = SEND_AGAIN
