"""Fixtures: app, db, client, runner, login_as(role).

One app per pytest-xdist worker, on one database per worker: SQLite in memory (schema by ``create_all``), or with a
PostgreSQL ``TEST_DATABASE_URL`` a database per process built by the migrations (so the audit trigger is there).
Each test runs inside a transaction on one connection, rolled back at the end: the session joins it with
``join_transaction_mode="create_savepoint"``, so the code under test commits and rolls back as usual, and only
ever releases or undoes its own savepoints. The app's config, the rate limiter's switch and PostgreSQL's sequences
are put back after each test too, so every test starts from the same empty agency.

``@pytest.mark.real_commits`` is for the few tests whose commits must really reach the database (threads with their
own connections, two transactions racing): they get an app of their own and an emptied database, as every test
did before.

Data that the tests of one module only read (or change and have rolled back) can be built once: a module-scoped
fixture asks for ``module_transaction`` and writes inside ``with module_transaction.app_context():``; that
module-wide transaction stays open, and each test of the module runs in a savepoint on top of it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, current_app, g, has_app_context
from flask.testing import FlaskClient, FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy.pool import StaticPool

from core import passwords
from core.app import create_app
from core.extensions import db as _db
from core.extensions import limiter
from core.models import Staff
from tests import factories

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
ON_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")

# Sign-ins are tested by the hundred; production's Argon2 parameters would spend most of the suite hashing.
passwords.use_fast_test_parameters()


def _temporary_root() -> None:
    """``tmp_path`` and friends in memory (/dev/shm) when there is some and nobody chose another root: the tests'
    SQLite files (the migrations, the racing edits, the backups) are written and synced there, and a sync to this
    machine's disk costs milliseconds a commit, which a test of migrations pays thousands of times. pytest keeps its
    usual numbered folders there (``pytest-of-<user>/pytest-<n>``, the last three runs), so parallel runs still
    never share one."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        os.environ.setdefault("PYTEST_DEBUG_TEMPROOT", str(shm))  # pytest's documented setting for the root


_temporary_root()

# Every app the tests build (one per worker, the live servers, apps of a test's own) keeps its compiled templates in
# one folder for the whole run (core.app.use_template_cache), so each compiles a template only if none did before.
os.environ.setdefault("PEERWORKS_TEMPLATE_CACHE", str(Path(__file__).resolve().parent.parent / "test-artifacts"
                                                      / "template-cache"))


def _worker_database(base_url: str, worker: str) -> str:
    url = sa.engine.make_url(base_url)
    name = f"{url.database}_{worker}_{os.getpid()}"  # own database per process: parallel runs never collide
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        # A test database need not survive a power cut: commits return without waiting for the disk.
        connection.execute(sa.text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _drop_database(worker_url: str) -> None:
    url = sa.engine.make_url(worker_url)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def database_url(worker_id: str) -> Iterator[str]:
    """The worker's database: in-memory SQLite (each app gets its own), or a PostgreSQL database of this process's
    own, built by the migrations."""
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
    """Remove every committed row, put the audit log's head row back and restart every sequence at 1."""
    # DELETE is much faster than TRUNCATE on small tables. The replica role skips foreign-key and audit
    # append-only triggers, for cleaning up between tests only.
    with _db.engine.begin() as connection:
        connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
        for table in reversed(_db.metadata.sorted_tables):
            connection.execute(table.delete())
        connection.execute(
            sa.text("INSERT INTO core_audit_head (id, last_id, last_hash) VALUES (1, 0, :h)"), {"h": "0" * 64}
        )
        connection.execute(_sequences_restore(_sequences_now(connection), fresh=True))


def testing_config(database_url: str, instance: Path) -> dict[str, object]:
    config: dict[str, object] = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": None,
        # The test client says "localhost": any host, whatever TRUSTED_HOSTS or BASE_URL the shell has
        # (tests/core/test_trusted_hosts.py sets its own).
        "TRUSTED_HOSTS": None,
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


# --- Transactions rolled back -----------------------------------------------------------------------------------


def _sequences_now(connection: sa.Connection) -> dict[str, int | None]:
    """PostgreSQL's sequences and the last value each handed out (None: none yet)."""
    rows = connection.execute(
        sa.text("SELECT schemaname || '.' || sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'")
    )
    return dict(rows.all())  # type: ignore[arg-type]


def _sequences_restore(state: dict[str, int | None], *, fresh: bool = False) -> sa.TextClause:
    """One statement that sets every sequence back to ``state`` (or to its start when ``fresh``): a rollback leaves
    sequences where they are, and an id a test expects to be free (or a row's id) would drift from run to run."""
    calls = [
        f"setval('{name}', {1 if fresh or last is None else last}, {'false' if fresh or last is None else 'true'})"
        for name, last in sorted(state.items())
    ]
    return sa.text("SELECT " + ", ".join(calls) if calls else "SELECT 1")


class _Transactions:
    """The shared app's open transactions on its one connection: a module's (when one asked), then a test's."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.connection: sa.Connection | None = None

    @contextmanager
    def rolled_back(self) -> Iterator[None]:
        outermost = self.connection is None
        if outermost:
            with self.app.app_context():
                self.connection = _db.engine.connect()
            transaction = self.connection.begin()
        else:
            assert self.connection is not None
            transaction = self.connection.begin_nested()
        connection = self.connection
        sequences: dict[str, int | None] = {}
        try:
            if ON_POSTGRES:
                sequences = _sequences_now(connection)
            yield
        finally:
            if transaction.is_active:
                transaction.rollback()
            if sequences:
                connection.execute(_sequences_restore(sequences))
            if outermost:
                connection.close()
                self.connection = None


_TRANSACTIONS: list[_Transactions] = []  # the worker's one shared app, once it exists


class _TestSession(FlaskSession):
    """Every session of the shared app, in any app context, uses the connection holding the test's transaction."""

    def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None, **kwargs: Any) -> Any:
        if bind is None and _TRANSACTIONS and has_app_context():
            transactions = _TRANSACTIONS[0]
            if transactions.connection is not None and current_app._get_current_object() is transactions.app:  # type: ignore[attr-defined]
                return transactions.connection
        return super().get_bind(mapper, clause, bind, **kwargs)


def _install_test_session() -> None:
    factory = _db.session.session_factory
    factory.class_ = _TestSession
    # Only matters for a session given a connection already inside a transaction: the shared app's.
    factory.configure(join_transaction_mode="create_savepoint")


def _sqlite_savepoints(app: Flask) -> None:
    """pysqlite opens transactions itself and gets SAVEPOINT wrong; let SQLAlchemy say BEGIN (SQLAlchemy's recipe
    for SAVEPOINT on pysqlite)."""
    with app.app_context():
        engine = _db.engine

    @sa.event.listens_for(engine, "connect")
    def _no_implicit_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN")


def _quiet_savepoints(app: Flask) -> None:
    """Send the savepoints straight to the driver. They are the harness's (the app itself makes none), and the tests
    that count a page's statements with a ``before_cursor_execute`` listener should count only the app's."""
    with app.app_context():
        dialect = _db.engine.dialect

    def through_the_driver(template: str) -> Callable[[sa.Connection, str], None]:
        def execute(connection: sa.Connection, name: str) -> None:
            cursor = connection.connection.cursor()
            try:
                cursor.execute(template.format(dialect.identifier_preparer.quote(name)))
            finally:
                cursor.close()

        return execute

    dialect.do_savepoint = through_the_driver("SAVEPOINT {}")  # type: ignore[method-assign]
    dialect.do_release_savepoint = through_the_driver("RELEASE SAVEPOINT {}")  # type: ignore[method-assign]
    dialect.do_rollback_to_savepoint = through_the_driver("ROLLBACK TO SAVEPOINT {}")  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def _transactions(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Transactions]:
    instance = tmp_path_factory.mktemp("instance")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PEERWORKS_INSTANCE", str(instance))
        application = create_app(testing_config(database_url, instance))
    application.teardown_request(_forget_signed_in_user)
    if not ON_POSTGRES:
        _sqlite_savepoints(application)
        with application.app_context():
            _db.create_all()
    _quiet_savepoints(application)
    _install_test_session()
    transactions = _Transactions(application)
    _TRANSACTIONS.append(transactions)
    yield transactions
    _TRANSACTIONS.remove(transactions)
    with application.app_context():
        _db.engine.dispose()


@pytest.fixture(scope="module")
def module_transaction(_transactions: _Transactions) -> Iterator[Flask]:
    """The shared app, inside a transaction kept open for the whole module and rolled back after it."""
    with _transactions.rolled_back():
        yield _transactions.app


def _own_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """A new app whose commits are real, on a new in-memory SQLite database or the worker's PostgreSQL one."""
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
def app(
    request: pytest.FixtureRequest,
    _transactions: _Transactions,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Flask]:
    monkeypatch.setenv("PEERWORKS_INSTANCE", str(tmp_path / "instance"))
    if request.node.get_closest_marker("real_commits"):
        if _transactions.connection is not None:
            pytest.fail("a real_commits test cannot run inside a module-wide transaction: give it its own file")
        yield from _own_app(database_url, tmp_path)
        return
    application = _transactions.app
    config = dict(application.config)
    try:
        with _transactions.rolled_back(), application.app_context():
            yield application
    finally:
        application.config.clear()
        application.config.update(config)


@pytest.fixture(autouse=True)
def _limiter_off() -> None:
    """The limiter is one object for every app, switched on or off by the last app created: an app an earlier test
    built with RATELIMIT_ENABLED would leave it on for the shared app, whose config has it off. (A test that wants
    limits builds its own app, after this ran.)"""
    limiter.enabled = False


@pytest.fixture
def db(app: Flask) -> SQLAlchemy:
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
from tests.sql_paths import (  # noqa: E402, F401 - which tests the PostgreSQL pass runs
    pick_for_postgresql,
    pytest_configure,
    pytest_terminal_summary,
)

# The files that take longest, first: the two workers start on them and end on quick tests, instead of one worker
# finishing a long walk alone at the end (worksteal hands each worker half the list, then the idle one takes from
# the end of the other's queue). The browser tests keep their own order: their live servers share one host, so a
# sign-in cookie of one journey can meet the next (tests/browser/test_tabs_and_sessions.py runs after the journeys).
LONGEST_FIRST = (
    "tests/core/test_stale_edits.py",
    "tests/core/test_csrf_resend.py",
    "tests/core/test_fuzz_forms.py",  # one demo agency and one walk: early, so one worker runs it all (not two walks)
    "tests/caseload/test_sealed_everywhere.py",
    "tests/core/test_dates_at_the_edge.py",
    "tests/caseload/test_emergency.py",
    "tests/core/test_migrations.py",
    "tests/core/test_module_shape.py",
)


@pytest.hookimpl(trylast=True)  # after -m has left out what it leaves out
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rank = {path: place for place, path in enumerate(LONGEST_FIRST)}

    def place(item: pytest.Item) -> int:
        return rank.get(Path(item.path).relative_to(config.rootpath).as_posix(), len(rank))

    items.sort(key=place)  # stable: each file keeps its own order
    pick_for_postgresql(config, items)
