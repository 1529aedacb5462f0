"""`flask backup` and `flask restore`: a small agency backed up and restored into an empty database has the same rows
and an audit chain that still verifies; a database holding data is not overwritten without --force; a file that is
not a backup, or is damaged, or from a newer version, gives a plain error and changes nothing.

Runs on the database of the pass: SQLite's online-backup API on SQLite, pg_dump/pg_restore on PostgreSQL (the
restore target is a second database of this test's own)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from core import audit, backup
from core.app import create_app
from core.extensions import db
from core.models import AuditEntry, Staff
from tests import factories
from tests.conftest import ON_POSTGRES
from tests.conftest import testing_config as config_for

NO_PG_DUMP = ON_POSTGRES and shutil.which("pg_dump") is None
needs_pg_dump = pytest.mark.skipif(
    NO_PG_DUMP, reason="pg_dump is not installed (PostgreSQL client tools): PostgreSQL backups cannot be made here"
)


def stamp(revision: str | None = None) -> str:
    """Give a database built by create_all the migration revision the migrations would leave (the head)."""
    revision = revision or backup.code_revision()
    with db.engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL)"))
        connection.execute(sa.text("DELETE FROM alembic_version"))
        connection.execute(sa.text("INSERT INTO alembic_version VALUES (:r)"), {"r": revision})
    return revision


def small_agency() -> None:
    admin = factories.make_staff("admin")
    peer = factories.make_staff("peer")
    client = factories.make_client()
    factories.assign(client, peer)
    factories.make_note(peer, client)
    for number in range(3):
        audit.record("test.entry", actor=admin, record_type="client", record_id=client.id, detail=f"entry {number}")
    db.session.commit()


def row_counts() -> dict[str, int]:
    with db.engine.connect() as connection:
        return {
            table.name: connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for table in db.metadata.sorted_tables
        }


def chain() -> list[tuple[int, str]]:
    return [(entry.id, entry.hash) for entry in db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))]


@pytest.fixture
def empty_database(app: Flask, tmp_path: Path) -> Iterator[str]:
    """A second database with nothing in it, for the restore: a SQLite file, or a PostgreSQL database of our own."""
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    source = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    url = source.set(database=f"{source.database}_restored")
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def restore_target(empty_database: str, tmp_path: Path) -> Iterator[Flask]:
    target = create_app(config_for(empty_database, tmp_path))
    yield target
    with target.app_context():
        db.session.remove()
        db.engine.dispose()


def invoke(app: Flask, *args: str, **kwargs: object):
    """Run a command on ``app`` (in a context of its own: a command runs on the app whose context is current)."""
    with app.app_context():
        result = app.test_cli_runner().invoke(args=list(args), **kwargs)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


@pytest.fixture
def source(app: Flask, tmp_path: Path) -> Iterator[Flask]:
    """The agency to back up, whose commits are real and which another connection can write to at the same time:
    the worker's PostgreSQL database (the ``real_commits`` app), or a SQLite file of its own."""
    if ON_POSTGRES:
        yield app
        return
    config = config_for(f"sqlite:///{tmp_path / 'agency.sqlite3'}", tmp_path)
    config.pop("SQLALCHEMY_ENGINE_OPTIONS")  # a pool of connections, as the app has
    own = create_app(config)
    with own.app_context():
        db.create_all()
        stamp()
        yield own
        db.session.remove()
        db.engine.dispose()


@needs_pg_dump
@pytest.mark.real_commits
def test_a_backup_restores_into_an_empty_database_with_the_same_rows_and_a_chain_that_verifies(
    source, restore_target, tmp_path, monkeypatch
):
    small_agency()
    counts, entries = row_counts(), chain()
    names = set(db.session.scalars(sa.select(Staff.name)))
    file = tmp_path / "agency.backup"

    # Made while another transaction has written and not committed (the app serving): the backup does not wait for
    # it and holds only what was committed. That writer finishes after the copy, before the audit entry.
    writer = db.engine.connect()
    writer.execute(sa.text("UPDATE core_staff SET name = 'Not committed'"))
    copies = {name: getattr(backup, name) for name in ("_sqlite_backup", "_pg_dump")}
    for name, copy in copies.items():
        monkeypatch.setattr(backup, name, lambda *args, copy=copy: (copy(*args), writer.rollback()))
    made = invoke(source, "backup", str(file))
    writer.close()
    assert made.exit_code == 0, made.output
    assert stat.S_IMODE(file.stat().st_mode) == 0o600, "a backup holds personal data: its owner's only"
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".part")]
    entry = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.action, entry.actor_id) == ("backup.made", None)
    assert entry.detail == f"from the command line: agency.backup, {file.stat().st_size} bytes"
    assert audit.verify().ok

    restored = invoke(restore_target, "restore", str(file))
    assert restored.exit_code == 0, restored.output
    assert f"database revision {backup.code_revision()}" in restored.output
    assert f"The audit log is intact: {len(entries) + 1} entries checked." in restored.output
    with restore_target.app_context():
        after = row_counts()
        assert after.pop("core_audit_entry") == counts.pop("core_audit_entry") + 1
        assert after == counts
        assert set(db.session.scalars(sa.select(Staff.name))) == names
        assert chain()[:-1] == entries  # the very same entries, hashes and all
        last = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (last.action, last.actor_id) == ("backup.restored", None)
        assert last.detail.startswith("from the command line: agency.backup")
        assert audit.verify().ok

    # The target now holds data: refused without --force, off a terminal and when the person says no on one.
    refused = invoke(restore_target, "restore", str(file))
    assert refused.exit_code == 1
    assert "already holds data, so nothing was changed" in refused.output
    assert "--force" in refused.output
    monkeypatch.setattr("core.cli._on_terminal", lambda: True)
    declined = invoke(restore_target, "restore", str(file), input="n\n")
    assert declined.exit_code == 1
    assert "Replace all of it with the backup? [y/N]" in declined.output
    assert "Nothing was changed." in declined.output
    with restore_target.app_context():
        assert len(chain()) == len(entries) + 1

    forced = invoke(restore_target, "restore", "--force", str(file))
    assert forced.exit_code == 0, forced.output
    with restore_target.app_context():
        assert chain()[:-1] == entries
        assert audit.verify().ok
        before = row_counts()

    # A backup whose end is lost (a disk that filled up, a copy stopped half way) is refused and changes nothing,
    # even forced: the file is read and checked before the database is touched.
    cut = tmp_path / "cut.backup"
    whole = file.read_bytes()
    cut.write_bytes(whole[: len(whole) * 95 // 100] + bytes(len(whole) - len(whole) * 95 // 100))
    failed = invoke(restore_target, "restore", "--force", str(cut))
    assert failed.exit_code == 1
    assert "Nothing was changed" in failed.output
    with restore_target.app_context():
        assert row_counts() == before
        assert audit.verify().ok


def not_a_backup(tmp_path: Path, case: str) -> Path:
    file = tmp_path / f"{case}.backup"
    header = backup.PG_DUMP_HEADER if ON_POSTGRES else backup.SQLITE_HEADER
    if case == "random bytes":
        file.write_bytes(os.urandom(8192))
    elif case == "empty":
        file.write_bytes(b"")
    elif case == "damaged":
        file.write_bytes(header + os.urandom(8192))
    elif case == "the other database's kind":
        file.write_bytes((backup.SQLITE_HEADER if ON_POSTGRES else backup.PG_DUMP_HEADER) + os.urandom(8192))
    elif case == "a folder":
        file.mkdir()
    return file


@pytest.mark.parametrize(
    ("case", "says"),
    [
        ("random bytes", "is not a PeerWorks backup"),
        ("empty", "is not a PeerWorks backup"),
        ("damaged", "is damaged"),
        ("the other database's kind", "Restore it into"),
        ("missing", "There is no file"),
        ("a folder", "is not a file"),
    ],
)
def test_a_file_that_is_not_a_backup_gives_a_plain_error_and_changes_nothing(app, db, tmp_path, case, says):
    if case == "damaged" and NO_PG_DUMP:
        pytest.skip("pg_restore is not installed (PostgreSQL client tools): it reads PostgreSQL backups")
    factories.make_staff("admin")
    result = invoke(app, "restore", "--force", str(not_a_backup(tmp_path, case)))
    assert result.exit_code == 1
    assert result.output.startswith("Error: ")
    assert says in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Staff)) == 1


@pytest.mark.skipif(ON_POSTGRES, reason="the revision check is the same code on both; these files are SQLite ones")
def test_a_sqlite_file_of_another_app_or_of_a_newer_version_is_refused(app, tmp_path):
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE notes (text)")
    result = invoke(app, "restore", str(other))
    assert result.exit_code == 1
    assert "is not a backup of a PeerWorks database" in result.output

    newer = tmp_path / "newer.sqlite3"
    with sqlite3.connect(newer) as connection:
        connection.execute("CREATE TABLE core_audit_entry (id)")
        connection.execute("CREATE TABLE alembic_version (version_num)")
        connection.execute("INSERT INTO alembic_version VALUES ('9999_from_the_future')")
    result = invoke(app, "restore", "--force", str(newer))
    assert result.exit_code == 1
    assert "made by a newer version of PeerWorks (database revision 9999_from_the_future" in result.output
    assert "Install that version of PeerWorks, or a later one, and restore with it. Nothing was changed." in (
        result.output
    )


@pytest.mark.skipif(ON_POSTGRES, reason="the revision check is the same code on both; SQLite makes the old backup")
@pytest.mark.real_commits
def test_an_older_backup_is_restored_and_says_to_run_the_migrations(app, restore_target, tmp_path):
    older = stamp("0017_supervision")
    small_agency()
    file = tmp_path / "older.backup"
    assert invoke(app, "backup", str(file)).exit_code == 0
    # A database with another app's rows holds data too (a DATABASE_URL pointing at the wrong database).
    with sqlite3.connect(tmp_path / "restored.sqlite3") as connection:
        connection.execute("CREATE TABLE invoices (number)")
        connection.execute("INSERT INTO invoices VALUES (1)")
    refused = invoke(restore_target, "restore", str(file))
    assert refused.exit_code == 1
    assert "already holds data, so nothing was changed" in refused.output
    result = invoke(restore_target, "restore", "--force", str(file))
    assert result.exit_code == 0, result.output
    assert f"made by an older version of PeerWorks (revision {older}; this code expects" in result.output
    assert "Run `flask --app wsgi db upgrade` now, before starting the app." in result.output
    assert "The audit log is intact" in result.output


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite backups need no tools; this is PostgreSQL's pg_dump")
def test_missing_or_older_postgresql_tools_give_a_plain_error(app, tmp_path, monkeypatch):
    with db.engine.connect() as connection:
        server = int(connection.execute(sa.text("SHOW server_version_num")).scalar_one()) // 10000
    monkeypatch.setattr(backup.shutil, "which", lambda name: None)
    result = invoke(app, "backup", str(tmp_path / "agency.backup"))
    assert result.exit_code == 1
    assert "pg_dump is not installed, and PeerWorks needs it here. Install the PostgreSQL client tools of the " in (
        result.output
    )
    assert f"server's major version or later (on Debian or Ubuntu: apt install postgresql-client-{server})." in (
        result.output
    )
    monkeypatch.setattr(backup.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(backup, "_tool_major", lambda tool: server - 1)
    result = invoke(app, "backup", str(tmp_path / "agency.backup"))
    assert result.exit_code == 1
    assert f"pg_dump is version {server - 1}, older than the PostgreSQL server (version {server})" in result.output
    assert not list(tmp_path.iterdir())
