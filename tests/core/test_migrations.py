"""The migrations build the schema the models describe, undo it cleanly, and form one line of history."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask

from core.app import ROOT, create_app
from core.extensions import db
from tests.conftest import ON_POSTGRES, TEST_DATABASE_URL

MIGRATIONS = ROOT / "migrations"
AppAt = Callable[[str], Flask]  # a revision -> an app on a new database upgraded to it


def test_exactly_one_head():
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"the migrations have {len(heads)} heads {heads}: merge them into one"


@contextmanager
def logging_left_as_it_was() -> Iterator[None]:
    """migrations/env.py calls logging.config.fileConfig, which disables existing loggers and replaces handlers."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    disabled = {
        name: logger.disabled for name, logger in logging.root.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, logger in logging.root.manager.loggerDict.items():
            if isinstance(logger, logging.Logger):
                logger.disabled = disabled.get(name, False)


def _admin(url: sa.engine.URL) -> sa.Engine:
    return sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")


def _new_postgres_database(name: str, template: str | None = None) -> str:
    """A PostgreSQL database called ``name``, empty or a copy of ``template`` (one no connection is open on)."""
    url = sa.engine.make_url(TEST_DATABASE_URL)
    admin = _admin(url)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        copy = f' TEMPLATE "{template}"' if template else ""
        connection.execute(sa.text(f'CREATE DATABASE "{name}"{copy}'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _drop_postgres_databases(*names: str) -> None:
    admin = _admin(sa.engine.make_url(TEST_DATABASE_URL))
    with admin.connect() as connection:
        for name in names:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _app_on(database_url: str) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "migrations",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "RATELIMIT_ENABLED": False,
        }
    )


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it: a temporary SQLite file, or a throwaway PostgreSQL database."""
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    name = f"peerworks_migrations_{os.getpid()}"
    try:
        yield _new_postgres_database(name)
    finally:
        _drop_postgres_databases(name)


@pytest.fixture
def migration_app(empty_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    monkeypatch.setenv("PEERWORKS_INSTANCE", str(tmp_path / "instance"))
    application = _app_on(empty_database)
    with logging_left_as_it_was():
        yield application
    with application.app_context():
        db.engine.dispose()


# The revisions the tests below start from, in the order of the history ("head": the newest).
STARTING_POINTS = ("0009_team_version", "0011_readiness_ballots", "0014_notification_priority",
                   "0018_training_sessions", "head")


@pytest.fixture(scope="module")
def upgraded_copies(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One database upgraded from empty through every starting point once, copied at each (a SQLite file, or a
    PostgreSQL database to use as a template): each test then starts from a copy instead of running the same
    migrations from empty again. The upgrades are the ones the tests ran themselves before, in the same order, with
    the same check that each succeeded; test_upgrade_downgrade_upgrade_and_the_models_match still upgrades from
    empty on its own."""
    folder = tmp_path_factory.mktemp("migration-copies")
    chain = f"peerworks_migrations_{os.getpid()}_chain"
    url = _new_postgres_database(chain) if ON_POSTGRES else f"sqlite:///{folder / 'chain.sqlite3'}"
    copies: dict[str, str] = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PEERWORKS_INSTANCE", str(folder / "instance"))
        application = _app_on(url)
    try:
        with logging_left_as_it_was():
            for revision in STARTING_POINTS:
                flask_db(application, "upgrade", revision)
                with application.app_context():
                    db.engine.dispose()  # no connection left open on the copy's source
                if ON_POSTGRES:
                    copies[revision] = f"{chain}_{STARTING_POINTS.index(revision)}"
                    _new_postgres_database(copies[revision], template=chain)
                else:
                    copies[revision] = str(folder / f"at-{revision}.sqlite3")
                    shutil.copyfile(folder / "chain.sqlite3", copies[revision])
        yield copies
    finally:
        if ON_POSTGRES:
            _drop_postgres_databases(chain, *copies.values())


@pytest.fixture
def migration_app_at(
    upgraded_copies: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[AppAt]:
    """``migration_app_at("0009_team_version")``: an app on a new database already upgraded to that revision, as
    ``flask db upgrade 0009_team_version`` on an empty one leaves it."""
    monkeypatch.setenv("PEERWORKS_INSTANCE", str(tmp_path / "instance"))
    made: list[tuple[Flask, str]] = []

    def at(revision: str) -> Flask:
        if ON_POSTGRES:
            name = f"peerworks_migrations_{os.getpid()}"
            url = _new_postgres_database(name, template=upgraded_copies[revision])
        else:
            name = str(tmp_path / "migrations.sqlite3")
            shutil.copyfile(upgraded_copies[revision], name)
            url = f"sqlite:///{name}"
        application = _app_on(url)
        made.append((application, name))
        return application

    with logging_left_as_it_was():
        yield at
    for application, name in made:
        with application.app_context():
            db.engine.dispose()
        if ON_POSTGRES:
            _drop_postgres_databases(name)


def flask_db(app: Flask, *args: str) -> None:
    result = app.test_cli_runner().invoke(args=["db", *args])
    assert result.exit_code == 0, f"flask db {' '.join(args)} failed:\n{result.output}\n{result.exception!r}"


def tables(app: Flask) -> set[str]:
    with app.app_context():
        names = set(sa.inspect(db.engine).get_table_names())
        db.engine.dispose()
    return names


def differences(app: Flask) -> list:
    """What `flask db check` looks at: autogenerate's comparison of the database with the models."""
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_upgrade_downgrade_upgrade_and_the_models_match(migration_app: Flask):
    model_tables = set(db.metadata.tables)
    assert tables(migration_app) == set()

    flask_db(migration_app, "upgrade")
    assert tables(migration_app) == model_tables | {"alembic_version"}
    assert differences(migration_app) == [], "the models and the migrations differ: add a migration"
    flask_db(migration_app, "check")

    flask_db(migration_app, "downgrade", "base")
    assert tables(migration_app) <= {"alembic_version"}

    flask_db(migration_app, "upgrade")
    assert tables(migration_app) == model_tables | {"alembic_version"}
    assert differences(migration_app) == []


def test_the_comparison_notices_a_missing_column(migration_app_at: AppAt):
    """The check above can fail: a column the migrations never made shows as a difference."""
    migration_app = migration_app_at("head")
    with migration_app.app_context(), db.engine.begin() as connection:
        connection.execute(sa.text("ALTER TABLE core_outbox_email DROP COLUMN last_error"))
    found = differences(migration_app)
    assert any(change[0] == "add_column" and change[3].name == "last_error" for change in found)


def test_0010_fills_each_referrals_local_days_in_the_agencys_zone(migration_app_at: AppAt):
    """The backfill reads the saved zone (Tokyo here): received 20:00 UTC on 8 December is 05:00 on the 9th in
    Tokyo, seen 02:00 UTC on the 9th is 11:00 there, so the visit was the same day after all."""
    migration_app = migration_app_at("0009_team_version")
    rows = {
        "core_agency_setting": "INSERT INTO core_agency_setting (key, value, updated_at) "
        "VALUES ('agency_time_zone', 'Asia/Tokyo', '2026-12-01 00:00:00')",
        "core_staff": "INSERT INTO core_staff (id, email, name, job_title, status, failed_signins, created_at, "
        "version) VALUES (1, 'a@example.org', 'A', '', 'active', 0, '2026-12-01 00:00:00', 1)",
        "caseload_client": "INSERT INTO caseload_client (id, name, preferred_name, pronouns, phone, status, "
        "created_at, version) VALUES (1, 'C', '', '', '', 'referred', '2026-12-01 00:00:00', 1)",
        "caseload_referral": "INSERT INTO caseload_referral (id, client_id, source, reason, urgency, received_at, "
        "received_by_id, seen_at, seen_same_day, version) VALUES "
        "(1, 1, 'clinic', 'r', 'routine', '2026-12-08 20:00:00', 1, '2026-12-09 02:00:00', false, 1), "
        "(2, 1, 'clinic', 'r', 'routine', '2026-12-08 14:00:00', 1, NULL, NULL, 1)",
    }
    with migration_app.app_context(), db.engine.begin() as connection:
        for statement in rows.values():
            connection.execute(sa.text(statement))
    flask_db(migration_app, "upgrade")
    with migration_app.app_context(), db.engine.connect() as connection:
        found = connection.execute(sa.text(
            "SELECT id, received_on, seen_on, seen_same_day FROM caseload_referral ORDER BY id"
        )).all()
        db.engine.dispose()
    as_dates = [(r.id, str(r.received_on), r.seen_on and str(r.seen_on), r.seen_same_day) for r in found]
    assert as_dates == [(1, "2026-12-09", "2026-12-09", True), (2, "2026-12-08", None, None)]
    flask_db(migration_app, "downgrade", "0009_team_version")
    flask_db(migration_app, "upgrade")


def test_0012_fixes_invited_waves_thresholds_rounds_session_times_and_forgets_sent_links(migration_app_at: AppAt):
    """Waves already invited keep at least the 5 their emails promised, even when the setting was lowered to 3; a
    wave not yet invited follows the setting. Session times lose their seconds. Sent and given-up emails keep
    only the hash of their links; an email still waiting keeps its link."""
    migration_app = migration_app_at("0011_readiness_ballots")
    link = "https://peerworks.example/readiness/survey/PersonalToken123"
    statements = [
        "INSERT INTO core_agency_setting (key, value, updated_at) VALUES ('readiness_min_cell', '3', "
        "'2026-12-01 00:00:00')",
        "INSERT INTO core_staff (id, email, name, job_title, status, failed_signins, created_at, version) "
        "VALUES (1, 'a@example.org', 'A', '', 'active', 0, '2026-12-01 00:00:00', 1)",
        "INSERT INTO core_auth_session (id, token_hash, staff_id, created_at, last_seen_at, reauthenticated_at) "
        "VALUES (1, 'h', 1, '2026-12-01 10:00:00', '2026-12-01 10:42:17.654321', '2026-12-01 10:00:00')",
        "INSERT INTO readiness_instrument (id, name, description, version, created_at, revision) "
        "VALUES (1, 'S', '', 1, '2026-12-01 00:00:00', 1)",
        "INSERT INTO readiness_campaign (id, name, wave, instrument_id, whole_organization, opens_on, closes_on, "
        "created_at, invitations_sent_at, version) VALUES "
        "(1, 'R', 'Baseline', 1, true, '2026-12-01', '2026-12-20', '2026-12-01 00:00:00', '2026-12-01 09:00:00', 1),"
        "(2, 'R', 'Follow-up', 1, true, '2027-06-01', '2027-06-20', '2026-12-01 00:00:00', NULL, 1)",
        "INSERT INTO core_outbox_email (id, to_address, subject, body, kind, created_at, sent_at, attempts, "
        "last_error) VALUES "
        f"(1, 'a@example.org', 'S', 'Open {link} now', 'survey', '2026-12-01 09:00:00', '2026-12-01 09:01:00', 1, ''),"
        f"(2, 'b@example.org', 'S', 'Open {link}2 now', 'survey', '2026-12-01 09:00:00', NULL, 5, 'Refused'),"
        f"(3, 'c@example.org', 'S', 'Open {link}3 now', 'survey', '2026-12-01 09:00:00', NULL, 1, 'Refused')",
    ]
    with migration_app.app_context(), db.engine.begin() as connection:
        for statement in statements:
            connection.execute(sa.text(statement))
    flask_db(migration_app, "upgrade")
    with migration_app.app_context(), db.engine.connect() as connection:
        thresholds = connection.execute(sa.text("SELECT id, min_cell FROM readiness_campaign ORDER BY id")).all()
        seen = connection.execute(sa.text("SELECT last_seen_at FROM core_auth_session")).scalar_one()
        bodies = connection.execute(sa.text("SELECT body FROM core_outbox_email ORDER BY id")).scalars().all()
        db.engine.dispose()
    assert [tuple(row) for row in thresholds] == [(1, 5), (2, None)]
    assert str(seen) in ("2026-12-01 10:42:00", "2026-12-01 10:42:00.000000"), "as each database writes a time"
    assert "PersonalToken" not in bodies[0] + bodies[1]
    assert hashlib.sha256(link.encode()).hexdigest() in bodies[0]
    assert bodies[2] == f"Open {link}3 now"
    flask_db(migration_app, "downgrade", "0011_readiness_ballots")


def test_0015_makes_a_candidate_of_each_application_already_sent(migration_app_at: AppAt):
    """Applications sent before the candidate pipeline existed join it at "applied", with the first step of their
    history, so nobody who applied is missing from a posting's board."""
    migration_app = migration_app_at("0014_notification_priority")
    rows = [
        "INSERT INTO hiring_posting (id, status, template_name, created_at, current_number, version) "
        "VALUES (1, 'published', 'sample', '2026-12-01 00:00:00', 1, 1)",
        "INSERT INTO core_upload (id, purpose, filename, content_type, size, sha256, data, created_at) "
        "VALUES (1, 'hiring.resume', 'cv.pdf', 'application/pdf', 4, 'x', :data, '2026-12-01 00:00:00'), "
        "(2, 'hiring.resume', 'cv.pdf', 'application/pdf', 4, 'x', :data, '2026-12-01 00:00:00')",
        "INSERT INTO hiring_application (id, posting_id, version_number, name, email, phone, answers, statement, "
        "resume_id, created_at) VALUES "
        "(1, 1, 1, 'Robin Vega', 'robin@example.org', '', '[]', '', 1, '2026-12-02 10:00:00'), "
        "(2, 1, 1, 'Sam Ortiz', 'sam@example.org', '', '[]', '', 2, '2026-12-03 10:00:00')",
    ]
    with migration_app.app_context(), db.engine.begin() as connection:
        for statement in rows:
            connection.execute(sa.text(statement), {"data": b"%PDF"})
    flask_db(migration_app, "upgrade")
    with migration_app.app_context(), db.engine.connect() as connection:
        candidates = connection.execute(sa.text(
            "SELECT application_id, posting_id, stage, version FROM hiring_candidate ORDER BY application_id"
        )).all()
        events = connection.execute(sa.text(
            "SELECT to_stage, actor_id FROM hiring_candidate_event ORDER BY candidate_id"
        )).all()
        db.engine.dispose()
    assert [tuple(row) for row in candidates] == [(1, 1, "applied", 1), (2, 1, "applied", 1)]
    assert [tuple(row) for row in events] == [("applied", None), ("applied", None)]
    flask_db(migration_app, "downgrade", "0014_notification_priority")
    flask_db(migration_app, "upgrade")


def test_0019_adds_transport_only_and_clerical_and_the_downgrade_makes_them_administration(migration_app_at: AppAt):
    """Upgraded, the two new kinds are accepted and an unknown kind still refused; downgraded, both are recorded
    as administration again (indirect) and the old constraint refuses them."""
    note = ("INSERT INTO caseload_contact_note (id, staff_id, happened_on, kind, direct, minutes, place, body, "
            "written_at) VALUES ({id}, 1, '2026-12-01', '{kind}', false, 30, 'office', 'b', '2026-12-01 10:00:00')")

    def insert(number: int, kind: str) -> None:
        with migration_app.app_context(), db.engine.begin() as connection:
            connection.execute(sa.text(note.format(id=number, kind=kind)))

    def refused(number: int, kind: str) -> None:
        with pytest.raises(sa.exc.IntegrityError):
            insert(number, kind)
        with migration_app.app_context():
            db.engine.dispose()

    migration_app = migration_app_at("0018_training_sessions")
    with migration_app.app_context(), db.engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO core_staff (id, email, name, job_title, status, failed_signins, created_at, version) "
            "VALUES (1, 'a@example.org', 'A', '', 'active', 0, '2026-12-01 00:00:00', 1)"))
    insert(1, "administration")
    refused(9, "clerical")
    flask_db(migration_app, "upgrade", "0019_note_kinds_item_version")
    insert(2, "transport_only")
    insert(3, "clerical")
    refused(9, "chores")
    flask_db(migration_app, "downgrade", "0018_training_sessions")
    with migration_app.app_context(), db.engine.connect() as connection:
        kinds = connection.execute(sa.text("SELECT id, kind, direct FROM caseload_contact_note ORDER BY id")).all()
        db.engine.dispose()
    assert [tuple(row) for row in kinds] == [(1, "administration", False), (2, "administration", False),
                                              (3, "administration", False)]
    refused(9, "transport_only")
    flask_db(migration_app, "upgrade")
