"""Fixtures: app (a fresh database per test), db, client, runner, login_as(role).

Without TEST_DATABASE_URL each test gets its own in-memory SQLite database. With a PostgreSQL TEST_DATABASE_URL
each pytest-xdist worker gets its own database, built once by the migrations (so the audit trigger is there) and
emptied after every test.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask, g
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.pool import StaticPool

from core.app import create_app
from core.extensions import db as _db
from core.models import Staff
from tests import factories

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
ON_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")


def _worker_database(base_url: str, worker: str) -> str:
    url = sa.engine.make_url(base_url)
    name = f"{url.database}_{worker}_{os.getpid()}"  # own database per process: parallel runs never collide
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _drop_database(worker_url: str) -> None:
    url = sa.engine.make_url(worker_url)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[str]:
    if not ON_POSTGRES:
        yield "sqlite://"
        return
    url = _worker_database(TEST_DATABASE_URL, worker_id)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "test"})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        _db.engine.dispose()
    yield url
    _drop_database(url)


def _empty_postgres() -> None:
    # DELETE is much faster than TRUNCATE on small tables. The replica role skips foreign-key and audit
    # append-only triggers, for cleaning up between tests only.
    with _db.engine.begin() as connection:
        connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
        for table in reversed(_db.metadata.sorted_tables):
            connection.execute(table.delete())
        connection.execute(
            sa.text("INSERT INTO core_audit_head (id, last_id, last_hash) VALUES (1, 0, :h)"), {"h": "0" * 64}
        )


def testing_config(database_url: str, instance: Path) -> dict[str, object]:
    config: dict[str, object] = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": None,
    }
    if database_url.startswith("sqlite"):
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "poolclass": StaticPool,
            "connect_args": {"check_same_thread": False},
        }
    return config


def _forget_signed_in_user(_error: BaseException | None) -> None:
    """The fixture keeps one app context open, so ``g`` outlives each request, and with it the person Flask-Login
    caches there: the next request, from any test client, would be that person. Forget it, as a real request would."""
    g.pop("_login_user", None)
    g.pop("session_end_reason", None)


@pytest.fixture
def app(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    monkeypatch.setenv("PEERWORKS_INSTANCE", str(tmp_path / "instance"))
    application = create_app(testing_config(database_url, tmp_path))
    application.teardown_request(_forget_signed_in_user)
    with application.app_context():
        if not ON_POSTGRES:
            _db.create_all()
        yield application
        _db.session.remove()
        if ON_POSTGRES:
            _empty_postgres()
        _db.engine.dispose()


@pytest.fixture
def db(app: Flask):  # noqa: ANN201 - the Flask-SQLAlchemy extension
    return _db


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def login_as(app: Flask, client: FlaskClient) -> Callable[..., Staff]:
    """Sign the test client in as a new staff member with the given roles; returns that person."""

    def sign_in(*roles: str, **kwargs: object) -> Staff:
        staff = factories.make_staff(*roles, **kwargs)  # type: ignore[arg-type]
        token = factories.start_session(staff)
        with client.session_transaction() as session:
            session["_user_id"] = token
            session["_fresh"] = True
        return staff

    return sign_in


from tests.clock import frozen_time  # noqa: E402, F401 - the clock fixture, for every test module
