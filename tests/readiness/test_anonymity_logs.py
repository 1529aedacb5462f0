"""Issue 9, attacker (c): the request log, the session table and the outbox. A send must leave nothing there that
names the person: the request line of a send is the same for everyone, the session row keeps no time finer than the
minute, and a sent invitation email keeps no personal link."""

from __future__ import annotations

import functools
import http.client
import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from gunicorn.config import Config
from gunicorn.glogging import Logger as GunicornLogger
from sqlalchemy import select
from werkzeug.serving import make_server

from core import logs, mail, sessions
from core.models import AuthSession, OutboxEmail, Role
from readiness.models import Campaign, Invitation
from readiness.services import campaigns as campaign_service
from tests import factories
from tests.core.security_helpers import signed_in_client
from tests.readiness.helpers import (
    LINK_LANDING,
    SURVEY,
    full_answers,
    invitation_of,
    make_campaign,
    make_instrument,
    open_survey,
    send,
)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class RequestLog:
    """What an access log (gunicorn's, nginx's) writes of each request, but the time and the client's address:
    the request line and the page it came from."""

    def __init__(self, wrapped: WsgiApp) -> None:
        self.wrapped = wrapped
        self.lines: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        query = environ.get("QUERY_STRING", "")
        line = f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO', '')}{'?' + query if query else ''}"
        self.lines.append(f"{line} referer={environ.get('HTTP_REFERER', '-')}")
        return self.wrapped(environ, start_response)


@pytest.fixture
def request_log(app: Flask, monkeypatch: pytest.MonkeyPatch) -> RequestLog:
    log = RequestLog(app.wsgi_app)
    monkeypatch.setattr(app, "wsgi_app", log)
    return log


@pytest.fixture
def wave(app: Flask, db: Any) -> dict[str, Any]:
    team = factories.make_team()
    people = [factories.make_staff(Role.PEER, teams=[team]) for _ in range(2)]
    instrument = make_instrument()
    campaign = make_campaign(instrument)
    tokens = send(campaign)
    db.session.commit()
    return {"people": people, "tokens": tokens, "campaign": campaign, "instrument": instrument}


def _answer_as_a_browser_does(browser: FlaskClient, token: str, data: dict[str, Any]) -> None:
    """Open the emailed link, follow it to the survey, send it from there (the browser's Referer is the page)."""
    opened = browser.get(f"/readiness/survey/{token}")
    assert opened.status_code == 302
    landed = browser.get(opened.headers["Location"])
    assert landed.status_code == 302
    survey_address = "http://localhost" + landed.headers["Location"]
    page = browser.get(survey_address)
    assert page.status_code == 200
    sent = browser.post(survey_address, data=data, headers={"Referer": survey_address})
    assert sent.status_code == 302


def test_the_request_log_of_a_send_is_the_same_for_everyone(
    app: Flask, wave: dict[str, Any], request_log: RequestLog
) -> None:
    campaign: Campaign = wave["campaign"]
    per_person: list[list[str]] = []
    for person in wave["people"]:
        invitation: Invitation = invitation_of(campaign, person)
        browser = signed_in_client(app, factories.start_session(person))
        start = len(request_log.lines)
        data = {**full_answers(wave["instrument"]), "invitation": str(invitation.id)}
        _answer_as_a_browser_does(browser, wave["tokens"][person.id], data)
        # After the emailed link itself, whose token every log hides (below).
        assert request_log.lines[start].startswith("GET /readiness/survey/")
        per_person.append(request_log.lines[start + 1 :])

    assert per_person[0] == per_person[1], "the survey's requests differ from person to person"
    assert per_person[0] == [
        f"GET {LINK_LANDING} referer=-",
        f"GET {SURVEY} referer=-",
        f"POST {SURVEY} referer=http://localhost{SURVEY}",
    ]


def test_a_send_leaves_no_time_finer_than_the_minute_in_the_session_table(
    app: Flask, db: Any, wave: dict[str, Any], frozen_time: Any
) -> None:
    person = wave["people"][0]
    invitation = invitation_of(wave["campaign"], person)
    day = wave["campaign"].opens_on + timedelta(days=1)  # the survey is open
    frozen_time.at(f"{day} 10:40:05")
    token = factories.start_session(person)
    browser = signed_in_client(app, token)
    browser.get("/readiness/")
    frozen_time.at(f"{day} 10:42:01")
    open_survey(browser, invitation)  # the survey opened in the minute before the send
    before = _session_row(db, token)

    frozen_time.at(f"{day} 10:42:17.654321")
    sent = browser.post(SURVEY, data={**full_answers(wave["instrument"]), "invitation": str(invitation.id)})

    assert sent.status_code == 302
    after = _session_row(db, token)
    assert after == before, "the send wrote nothing to the session table: its minute was already there"
    assert after["last_seen_at"] == frozen_time.utc().replace(second=0, microsecond=0), "10:42, never the second"

    frozen_time.at(f"{day} 10:43:59.5")  # a send that is the first request of its minute
    other = wave["people"][1]
    browser = signed_in_client(app, factories.start_session(other))
    second_send = frozen_time.at(f"{day} 10:45:31.25")
    browser.post(
        SURVEY, data={**full_answers(wave["instrument"]), "invitation": str(invitation_of(wave["campaign"], other).id)}
    )
    rows = db.session.execute(select(AuthSession.last_seen_at)).scalars().all()
    assert second_send.replace(tzinfo=None, second=0, microsecond=0) in rows, "10:45, never the second"
    assert all(seen.second == 0 and seen.microsecond == 0 for seen in rows), rows


def _session_row(db: Any, token: str) -> dict[str, Any]:
    db.session.expire_all()
    row = db.session.execute(
        select(AuthSession.__table__).where(AuthSession.token_hash == sessions._digest(token))
    ).one()
    return dict(row._mapping)


def test_the_outbox_keeps_no_survey_link_once_the_invitations_are_sent(
    app: Flask, db: Any, runner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The emailed link opens a person's own survey; once the email has gone, the outbox keeps only its hash."""
    team = factories.make_team()
    for _ in range(3):
        factories.make_staff(Role.STAFF, teams=[team])
    campaign = make_campaign(make_instrument())
    with app.test_request_context():
        campaign_service.send_invitations(campaign, None)
    db.session.commit()
    delivered: list[str] = []

    class SMTP:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pass

        def __enter__(self) -> SMTP:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def starttls(self) -> None:
            pass

        def send_message(self, message: Any) -> None:
            delivered.append(message.get_content())

    app.config["SMTP_HOST"] = "smtp.example.org"
    monkeypatch.setattr(mail, "send_pending", functools.partial(mail.send_pending, smtp_factory=SMTP))

    assert runner.invoke(args=["send-mail"]).exit_code == 0

    tokens = [re.search(r"/readiness/survey/([A-Za-z0-9_-]+)", text).group(1) for text in delivered]
    assert len(tokens) == 3
    assert all(campaign_service.invitation_for_token(token) is not None for token in tokens), "working links"
    db.session.expire_all()
    stored = " ".join(db.session.scalars(select(OutboxEmail.body)))
    assert not any(token in stored for token in tokens)
    assert "/readiness/survey/" not in stored


# The emailed link's own request: its token is in no log the app writes ---------------------------------------------


class _Captured(logging.Handler):
    """Every line a logger writes, formatted as its own handler would."""

    def __init__(self, fmt: str = "%(message)s") -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter(fmt))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def captured() -> Iterator[Callable[[str], _Captured]]:
    attached: list[tuple[logging.Logger, _Captured, int, bool]] = []

    def capture(name: str) -> _Captured:
        logger = logging.getLogger(name)
        handler = _Captured()
        attached.append((logger, handler, logger.level, logger.disabled))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        # Building a PostgreSQL test database runs the migrations, whose logging set-up (migrations/env.py)
        # switches off the loggers that existed then; a server process never runs it.
        logger.disabled = False
        return handler

    yield capture
    for logger, handler, level, disabled in attached:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.disabled = disabled


def _through_the_development_server(app: Flask, paths: list[str]) -> None:
    """GET each path from werkzeug's development server (what `make run` serves with), one request at a time: the
    server answers in this thread (the tests' database connection lives here), a client thread asks."""
    server = make_server("127.0.0.1", 0, app)
    answers: list[tuple[str, int]] = []

    def ask(path: str) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
        connection.request("GET", path)
        answers.append((path, connection.getresponse().status))
        connection.close()

    try:
        for path in paths:
            client = threading.Thread(target=ask, args=(path,))
            client.start()
            server.handle_request()
            client.join(timeout=10)
    finally:
        server.server_close()
    assert [path for path, _ in answers] == paths


def test_the_development_servers_request_log_hides_the_emailed_links_token(
    app: Flask, wave: dict[str, Any], captured: Callable[[str], _Captured]
) -> None:
    token = next(iter(wave["tokens"].values()))
    log = captured("werkzeug")

    _through_the_development_server(
        app, [f"/readiness/survey/{token}", LINK_LANDING, f"/login?next=%2Freadiness%2Fsurvey%2F{token}"]
    )

    written = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(log.lines))  # the colours it writes to a terminal
    assert len(log.lines) == 3, written
    assert token not in written
    assert '"GET /readiness/survey/[hidden] HTTP/1.1" 302' in written
    assert f'"GET {LINK_LANDING} HTTP/1.1" 302' in written, "the fixed address stays readable"
    assert '"GET /login?next=/readiness/survey/[hidden] HTTP/1.1" 200' in written


def test_gunicorns_access_log_hides_the_token_in_the_request_line_and_the_referer(
    app: Flask, wave: dict[str, Any], captured: Callable[[str], _Captured]
) -> None:
    """gunicorn's own logger class, with its default (combined) access-log format, writing the request as gunicorn
    sees it: the line, the path, the query and the Referer a later page would carry."""
    token = next(iter(wave["tokens"].values()))
    log = captured("gunicorn.access")
    config = Config()
    config.set("accesslog", "-")
    logger = GunicornLogger(config)
    seen: list[dict[str, Any]] = []

    def keep(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        seen.append(dict(environ))
        return original(environ, start_response)

    original = app.wsgi_app
    app.wsgi_app = keep  # type: ignore[method-assign]
    try:
        response = app.test_client().get(
            f"/readiness/survey/{token}", headers={"Referer": f"https://mail.example/readiness/survey/{token}"}
        )
    finally:
        app.wsgi_app = original  # type: ignore[method-assign]
    environ = {**seen[0], "RAW_URI": f"/readiness/survey/{token}?from=email"}
    answer = SimpleNamespace(status=f"{response.status_code} FOUND", sent=0, headers=list(response.headers.items()))
    request = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])

    logger.access(answer, request, environ, timedelta(milliseconds=3))

    written = "\n".join(log.lines)
    assert len(log.lines) == 1, written
    assert token not in written
    assert '"GET /readiness/survey/[hidden]?from=email HTTP/1.1" 302' in written
    assert '"https://mail.example/readiness/survey/[hidden]"' in written


def test_the_apps_own_log_hides_the_token_of_a_link_that_failed(
    app: Flask, wave: dict[str, Any], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    token = next(iter(wave["tokens"].values()))

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("something went wrong")

    monkeypatch.setattr("readiness.views.answering.redirect", broken)
    monkeypatch.setattr(app.logger, "disabled", False)  # see the captured fixture
    with caplog.at_level(logging.ERROR):
        response = app.test_client().get(f"/readiness/survey/{token}")

    assert response.status_code == 500
    assert "Unhandled error on GET /readiness/survey/[hidden]" in caplog.text
    assert token not in caplog.text


def test_the_account_invitation_link_is_hidden_the_same_way() -> None:
    line = logs.redact('"GET /invite/InJvYmluIg.Zz9.abc?x=1 HTTP/1.1" 200')
    assert line == '"GET /invite/[hidden]?x=1 HTTP/1.1" 200'
