"""What happens when things break: a save failing midway, a full disk, a read-only database, PostgreSQL dropping the
app's connections. Each test's commits are real (``real_commits``): what is checked is what the database keeps.

- A save that fails at any of its writes (the first, the second, ... the audit entry) leaves every table as it was:
  no half-made record, no audit entry for a change that did not happen.
- A full disk or a read-only database gives the plain error page (503, plain words, no traceback, nothing of the
  record), and the log names the route and the driver's error code, never the statement or its values.
- PostgreSQL terminating every connection of the app between two requests: the second request works (the pool
  tests each connection before handing it out, ``pool_pre_ping``) and nothing committed is lost.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from core import audit, config
from core.extensions import db
from core.models import Staff
from tests.conftest import ON_POSTGRES
from tests.core.security_helpers import WRITE, snapshot
from tests.factories import make_program, make_staff, make_team, start_session

pytestmark = pytest.mark.real_commits

NAME = "Jordan Fault-Test"  # the invited person's name: must never show on an error page or in the log
# A sign-in's "last seen" moves on any request; the rest of the database must be exactly as before.
TOUCHED = {"core_auth_session"}


@pytest.fixture
def signed_in(app: Flask, monkeypatch: pytest.MonkeyPatch) -> tuple[FlaskClient, dict[str, Any]]:
    # On PostgreSQL the migrations' logging.config.fileConfig switched the loggers that existed then off.
    monkeypatch.setattr(app.logger, "disabled", False)
    admin = make_staff("admin", name="Alex Admin")
    crp = make_program("CRP", "Community Reintegration Program")
    day = make_team(crp, "Day program")
    boss = make_staff("supervisor", name="Sam Okafor", email="sam@example.org", program=crp)
    db.session.commit()
    token = start_session(admin)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
    invite = {
        "name": NAME, "email": "jordan.fault@example.org", "job_title": "Peer specialist", "roles": ["peer"],
        "program": str(crp.id), "teams": [str(day.id)], "supervisor": str(boss.id),
    }
    db.session.remove()
    return client, invite


@contextmanager
def failing_write(app: Flask, number: int, message: str) -> Iterator[list[str]]:
    """The ``number``-th INSERT, UPDATE or DELETE sent inside the block fails in the driver with ``message``, as a
    full disk or a lost connection would; yields the tables written, in order."""
    engine = db.engine
    error = engine.dialect.loaded_dbapi.OperationalError
    written: list[str] = []

    def fail(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        found = WRITE.match(statement)
        if found:
            written.append(found.group(1))
            if len(written) == number:
                raise error(message)

    sa.event.listen(engine, "before_cursor_execute", fail)
    try:
        yield written
    finally:
        sa.event.remove(engine, "before_cursor_execute", fail)


def assert_plain_error_page(page: str, status: int) -> None:
    assert status == 503, page[-2000:]
    assert "The database cannot save anything right now" in page
    assert "Nothing was saved" in page
    for leaked in ("Traceback", "sqlalchemy", "INSERT", "UPDATE", NAME, "jordan.fault"):
        assert leaked not in page, f"the error page shows {leaked!r}"


def test_a_save_failing_at_any_of_its_writes_leaves_nothing_behind(app, signed_in, caplog):
    """The staff invitation writes the person, their roles and teams, the invitation email and audit entries:
    make each write in turn fail; the database must stay exactly as it was every time."""
    client, invite = signed_in
    caplog.set_level(logging.ERROR)
    before = snapshot(app, skip=TOUCHED)
    failures = 0
    for number in range(1, 40):
        with failing_write(app, number, "database or disk is full") as written:
            response = client.post("/admin/staff/invite", data=invite)
        if len(written) < number:  # fewer writes than that: the save went through
            break
        failures += 1
        assert_plain_error_page(response.get_data(as_text=True), response.status_code)
        assert snapshot(app, skip=TOUCHED) == before, f"write {number} ({written[-1]}) failing left rows behind"
    assert failures >= 4, f"the invitation wrote only {failures} rows: the check did not reach the audit entry"
    assert "core_audit_entry" in written, written
    assert response.status_code == 302, "with no write failing, the same form saves"
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Database error on POST /admin/staff/invite: OperationalError" in logged
    assert "core/admin/views/staff.py" in logged, "the log says where in the code it failed"
    for leaked in (NAME, "jordan.fault", "Peer specialist", "disk is full", "[parameters"):
        assert leaked not in logged, f"the log holds {leaked!r}"


@contextmanager
def read_only_database(app: Flask) -> Iterator[None]:
    """Every connection of the app read-only: SQLite's ``query_only``, PostgreSQL's default_transaction_read_only
    (new connections only, so the pool is emptied first)."""
    engine = db.engine
    db.session.remove()
    if not ON_POSTGRES:  # the tests' SQLite app has one connection (StaticPool)
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA query_only = ON")
        try:
            yield
        finally:
            db.session.remove()
            with engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA query_only = OFF")
        return

    def read_only(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET SESSION default_transaction_read_only = on")
        dbapi_connection.commit()

    engine.dispose()
    sa.event.listen(engine, "connect", read_only)
    try:
        yield
    finally:
        db.session.remove()
        sa.event.remove(engine, "connect", read_only)
        engine.dispose()


def test_a_read_only_database_gives_the_plain_error_page(app, signed_in, caplog):
    client, invite = signed_in
    caplog.set_level(logging.ERROR)
    before = snapshot(app, skip=TOUCHED)
    with read_only_database(app):
        response = client.post("/admin/staff/invite", data=invite)
        page = response.get_data(as_text=True)
    assert_plain_error_page(page, response.status_code)
    assert snapshot(app, skip=TOUCHED) == before
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Database error on POST" in logged
    assert NAME not in logged


def test_the_engine_tests_each_connection_before_use():
    """``pool_pre_ping`` is the default of every app (the tests' SQLite app replaces the options: one connection)."""
    assert config.DEFAULTS["SQLALCHEMY_ENGINE_OPTIONS"] == {"pool_pre_ping": True}


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL only: SQLite has no server to restart or connections to drop")
def test_the_app_recovers_when_postgresql_drops_its_connections(app, signed_in):
    client, invite = signed_in
    assert db.engine.pool._pre_ping, "the app's pool tests connections before use"
    assert client.post("/admin/staff/invite", data=invite).status_code == 302
    assert client.get("/admin/staff").status_code == 200
    db.session.remove()

    url = db.engine.url
    killer = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with killer.connect() as connection:
        ended = connection.execute(sa.text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )).scalar_one()
    killer.dispose()
    assert ended >= 1, "the app had a connection to drop"

    page = client.get("/admin/staff")
    assert page.status_code == 200
    assert NAME in page.get_data(as_text=True), "what was committed before is still there"
    assert db.session.scalar(sa.select(sa.func.count()).where(Staff.name == NAME)) == 1


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL only: SQLite has no server to drop a connection")
def test_a_connection_lost_under_the_audit_chains_driver_statement_is_thrown_away(app):
    """The audit chain's statements go straight to the driver (core.database.DriverStatement): a connection lost
    there is invalidated as SQLAlchemy's own execution would, and the next request gets a working one."""
    connection = db.session.connection()
    pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    killer = sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool)
    with killer.connect() as other:
        other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    killer.dispose()

    with pytest.raises(sa.exc.DBAPIError) as raised:
        audit._TAKE_HEAD.run(connection)
    assert raised.value.connection_invalidated
    assert connection.invalidated
    db.session.remove()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Staff)) >= 0
