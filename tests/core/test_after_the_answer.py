"""Work done after the answer (core.errors.after_the_answer and its middleware AnswerThenWork): it runs once the
whole body has been handed to the server, or when the server closes the answer, once only, and the answer itself is
the same whether or not work follows it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask, Response
from werkzeug.test import EnvironBuilder

from core.app import create_app
from core.errors import after_the_answer
from core.policy import public


@pytest.fixture(scope="module")
def probe() -> Flask:
    """An app of PeerWorks (its middleware included) with two more routes: the same answer, one with work after it
    (the work writes nothing, so no database is needed)."""
    made = create_app({"TESTING": True, "SECRET_KEY": "probe", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                       "WTF_CSRF_ENABLED": False})
    made.extensions["probe_done"] = []

    @made.post("/probe/plain")
    @public
    def plain() -> Response:
        return Response("saved", status=302, headers={"Location": "/list"})

    @made.post("/probe/with-work")
    @public
    def with_work() -> Response:
        return after_the_answer(Response("saved", status=302, headers={"Location": "/list"}),
                                lambda: made.extensions["probe_done"].append("told"))

    return made


@pytest.fixture
def done(probe: Flask) -> list[str]:
    probe.extensions["probe_done"].clear()
    return probe.extensions["probe_done"]


def call(app: Flask, path: str) -> tuple[str, list[tuple[str, str]], Any]:
    """The app as a server calls it: the status and headers it starts the answer with, and the body to iterate."""
    answered: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], _exc: Any = None) -> None:
        answered["status"], answered["headers"] = status, headers

    body = app(EnvironBuilder(path=path, method="POST").get_environ(), start_response)
    headers = [(name, re.sub(r"nonce-[^']+", "nonce-N", value))  # a new nonce for every page
               for name, value in answered.get("headers", []) if name != "Set-Cookie"]
    return answered.get("status", ""), headers, body


def test_the_work_runs_once_the_body_is_taken_even_if_the_server_never_closes(probe, done):
    """Werkzeug's own server reads the body to its end, then may skip the close when the browser has hung up."""
    _status, _headers, body = call(probe, "/probe/with-work")
    assert done == []
    assert b"".join(body) == b"saved"
    assert done == ["told"]


def test_the_work_runs_on_close_when_the_body_is_not_read(probe, done):
    _status, _headers, body = call(probe, "/probe/with-work")
    body.close()  # a HEAD request, or a server that stops early
    assert done == ["told"]


def test_the_work_runs_once(probe, done):
    _status, _headers, body = call(probe, "/probe/with-work")
    b"".join(body)
    body.close()
    assert done == ["told"]


def test_the_answer_is_the_same_with_or_without_work_after_it(probe, done):
    plain_status, plain_headers, plain_body = call(probe, "/probe/plain")
    work_status, work_headers, work_body = call(probe, "/probe/with-work")
    assert (plain_status, plain_headers, b"".join(plain_body)) == (work_status, work_headers, b"".join(work_body))
