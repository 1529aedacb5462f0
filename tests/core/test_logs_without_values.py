"""No log line holds what a person typed or a record's content, even when a database statement fails where no
request's error page handles it.

A database error's text carries its statement and the values sent with it (a client's name, a date of birth, a note).
The request's database error page already logs only the route, the kinds of error, the driver's code and the frames
(tests/core/test_faults.py). These probes fail the other ways: work done after the answer
(``core.errors.after_the_answer``, which checks a new client record against the sealed ones by name and date of
birth), a statement that fails before it reaches the database (a value of the wrong type: not a database error, so
the catch-all handler logs it), and another error raised while handling a database error (a traceback shows the
chain). The log, formatted as a handler writes it (traceback included), keeps none of the values; a plain bug still
logs its message and traceback.
"""

from __future__ import annotations

import logging

import pytest
from flask import Flask, Response
from sqlalchemy import Date, bindparam, select, text
from sqlalchemy.exc import DBAPIError
from werkzeug.test import EnvironBuilder

from core.app import create_app
from core.errors import after_the_answer
from core.extensions import db
from core.policy import public

TYPED = "Jo Doe, born 1980-02-29"


def failing_statement() -> None:
    db.session.execute(text("SELECT * FROM no_such_table WHERE name = :name"), {"name": TYPED})


@pytest.fixture(scope="module")
def probe() -> Flask:
    made = create_app({"TESTING": True, "PROPAGATE_EXCEPTIONS": False, "SECRET_KEY": "probe",
                       "SQLALCHEMY_DATABASE_URI": "sqlite://", "WTF_CSRF_ENABLED": False})

    @made.post("/probe/work-fails")
    @public
    def work_fails() -> Response:
        return after_the_answer(Response("saved", status=302, headers={"Location": "/"}), failing_statement)

    @made.post("/probe/wrong-type")
    @public
    def wrong_type() -> str:
        db.session.execute(select(bindparam("born", TYPED, type_=Date)))
        return "not reached"

    @made.post("/probe/error-while-handling")
    @public
    def error_while_handling() -> str:
        try:
            failing_statement()
        except DBAPIError as error:
            raise RuntimeError("the record could not be saved") from error
        return "not reached"

    @made.post("/probe/plain-bug")
    @public
    def plain_bug() -> str:
        raise RuntimeError("a plain bug, nothing typed in it")

    return made


@pytest.fixture
def logged(probe: Flask, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> pytest.LogCaptureFixture:
    # On PostgreSQL the migrations' logging.config.fileConfig switched the loggers that existed then off.
    monkeypatch.setattr(probe.logger, "disabled", False)
    caplog.set_level(logging.ERROR)
    return caplog


def as_written(caplog: pytest.LogCaptureFixture) -> str:
    """The log as a handler writes it: each message with its traceback."""
    return "\n".join(logging.Formatter().format(record) for record in caplog.records)


def post(app: Flask, path: str) -> tuple[str, bytes]:
    answered: dict[str, str] = {}

    def start_response(status: str, _headers: object, _exc: object = None) -> None:
        answered["status"] = status

    body = app(EnvironBuilder(path=path, method="POST").get_environ(), start_response)
    try:
        content = b"".join(body)
    finally:
        getattr(body, "close", lambda: None)()
    return answered["status"], content


def assert_no_values(log: str) -> None:
    assert TYPED not in log
    assert "1980-02-29" not in log
    assert "[parameters" not in log
    assert "[SQL" not in log


def test_failed_work_after_the_answer_logs_no_statement_and_no_values(probe: Flask, logged):
    status, _body = post(probe, "/probe/work-fails")
    assert status.startswith("302")
    log = as_written(logged)
    assert "Work done after an answer failed" in log
    assert "OperationalError" in log, "the kind of error is kept"
    assert "failing_statement" in log, "and where it happened"
    assert_no_values(log)


def test_a_statement_that_fails_before_the_database_logs_no_values(probe: Flask, logged):
    status, body = post(probe, "/probe/wrong-type")
    assert status.startswith("500")
    assert TYPED.encode() not in body
    log = as_written(logged)
    assert "Unhandled error on POST /probe/wrong-type" in log
    assert "StatementError" in log
    assert_no_values(log)


def test_an_error_raised_while_handling_a_database_error_logs_no_values(probe: Flask, logged):
    status, _body = post(probe, "/probe/error-while-handling")
    assert status.startswith("500")
    log = as_written(logged)
    assert "Unhandled error on POST /probe/error-while-handling" in log
    assert "RuntimeError" in log
    assert "OperationalError" in log
    assert_no_values(log)


def test_a_plain_bug_still_logs_its_message_and_traceback(probe: Flask, logged):
    """The control: only errors that carry a statement lose their text."""
    status, _body = post(probe, "/probe/plain-bug")
    assert status.startswith("500")
    log = as_written(logged)
    assert "Traceback (most recent call last)" in log
    assert "RuntimeError: a plain bug, nothing typed in it" in log
