"""A command meeting a database it cannot use says so in one plain sentence and exits non-zero: no traceback, and
never a statement or its values (record content must never reach a terminal or a scheduler's log).

The database is broken the real ways: a SQLite file in a folder that does not exist, PostgreSQL on a closed port, a
database whose tables were never made, a SQLite file opened read-only (and one the user may not write, when the
tests do not run as root), another process holding the file locked, a file that may not grow (SQLite's
``max_page_count``: the disk-full error), and on PostgreSQL an empty database and a read-only session. Two run the
real ``flask`` command in a process of its own, as a scheduler would; the rest run the app's own command group.
A plain bug keeps its traceback; an error that carries a statement shows where it failed without the values; and a
walk proves every command the app registers is guarded (core/cli.py, ``guard_commands``).
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import psycopg.errors
import pytest
import sqlalchemy as sa
from click.testing import Result
from flask import Flask

from core import cli
from core.app import create_app
from core.errors import Trouble, database_failure
from core.extensions import db
from tests.conftest import ON_POSTGRES

ROOT = Path(__file__).resolve().parents[2]
NAME = "Jordan Private-Value"  # typed into create-admin: must never be shown
EMAIL = "jordan.private@example.org"
CREATE_ADMIN = ["create-admin", "--email", EMAIL, "--name", NAME, "--password", "a long enough secret"]
# Commands that read or write the database, with arguments that need no prompt.
COMMANDS = [
    ["audit", "verify"],
    ["send-mail"],
    ["seed-demo"],
    CREATE_ADMIN,
    ["readiness", "release"],
    ["safeguards", "remind"],
    ["training", "remind"],
    ["hiring", "close-expired"],
    ["hiring", "purge-candidates"],
]


def own_app(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, tables: bool = False) -> Flask:
    monkeypatch.setenv("PEERWORKS_INSTANCE", str(tmp_path / "instance"))
    made = create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": url})
    if tables:
        with made.app_context():
            db.create_all()
            db.engine.dispose()
    return made


@pytest.fixture
def apps() -> Iterator[list[Flask]]:
    """The apps a test made: their connections closed at the end (a file stays locked otherwise)."""
    made: list[Flask] = []
    yield made
    for app in made:
        with app.app_context():
            db.engine.dispose()


def invoke(app: Flask, args: list[str]) -> Result:
    """Run a command on ``app`` (in its own context: a command runs on the app whose context is current)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=args)


def assert_plain(result: Result, *begins: str) -> None:
    """Exit 1, the plain sentence (one of ``begins``) on stderr, no traceback, nothing of a statement or a value."""
    said = result.output + result.stderr
    assert result.exit_code == 1, said
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.stderr.startswith(tuple(f"Error: {begin}" for begin in begins)), said
    assert len(result.stderr.strip().splitlines()) == 1, said
    assert "The command stopped, and the step that failed saved nothing." in result.stderr
    for never in ("Traceback", "[SQL", "[parameters", "SELECT", "INSERT", NAME, EMAIL, "jordan"):
        assert never not in said, f"{never!r} shown: {said}"


UNREACHABLE = "The database could not be reached"
READ_ONLY = "The database is read-only for this command"
NOT_MIGRATED = "The database is missing tables this version of PeerWorks needs"


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_a_sqlite_file_in_a_missing_folder(tmp_path, monkeypatch, apps, args):
    app = own_app(f"sqlite:///{tmp_path / 'no-such-folder' / 'peerworks.sqlite3'}", tmp_path, monkeypatch)
    apps.append(app)
    result = invoke(app, args)
    assert_plain(result, UNREACHABLE)
    assert "(SQLITE_CANTOPEN)" in result.stderr
    assert "Check DATABASE_URL" in result.stderr


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_tables_not_made(tmp_path, monkeypatch, apps, args):
    app = own_app(f"sqlite:///{tmp_path / 'empty.sqlite3'}", tmp_path, monkeypatch)
    apps.append(app)
    result = invoke(app, args)
    assert_plain(result, NOT_MIGRATED)
    assert "(SQLITE_ERROR)" in result.stderr
    assert "Run `flask --app wsgi db upgrade`" in result.stderr


@pytest.mark.parametrize("args", [CREATE_ADMIN, ["seed-demo"], ["backup", "{tmp}/peerworks.backup"]], ids=" ".join)
def test_a_sqlite_file_opened_read_only(tmp_path, monkeypatch, apps, args):
    file = tmp_path / "agency.sqlite3"
    own_app(f"sqlite:///{file}", tmp_path, monkeypatch, tables=True)
    app = own_app(f"sqlite:///file:{file}?mode=ro&uri=true", tmp_path, monkeypatch)
    apps.append(app)
    result = invoke(app, [arg.format(tmp=tmp_path) for arg in args])
    assert_plain(result, READ_ONLY)
    assert "(SQLITE_READONLY)" in result.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to a read-only file")
def test_a_sqlite_file_the_user_may_not_write(tmp_path, monkeypatch, apps):
    file = tmp_path / "agency.sqlite3"
    own_app(f"sqlite:///{file}", tmp_path, monkeypatch, tables=True)
    file.chmod(0o444)
    app = own_app(f"sqlite:///{file}", tmp_path, monkeypatch)
    apps.append(app)
    assert_plain(invoke(app, CREATE_ADMIN), READ_ONLY)


def test_a_sqlite_file_locked_by_another_process(tmp_path, monkeypatch, apps):
    file = tmp_path / "agency.sqlite3"
    app = own_app(f"sqlite:///{file}", tmp_path, monkeypatch, tables=True)
    apps.append(app)
    with app.app_context():
        sa.event.listen(db.engine, "connect", lambda connection, _record: connection.execute("PRAGMA busy_timeout=50"))
    holder = sqlite3.connect(file, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        result = invoke(app, CREATE_ADMIN)
    finally:
        holder.close()
    assert_plain(result, "The database is busy")
    assert "(SQLITE_BUSY)" in result.stderr
    assert staff_in(file) == 0


def test_a_full_disk(tmp_path, monkeypatch, apps):
    """SQLite refuses to let the file grow past ``max_page_count`` with the error a full disk gives."""
    file = tmp_path / "agency.sqlite3"
    app = own_app(f"sqlite:///{file}", tmp_path, monkeypatch, tables=True)
    apps.append(app)
    pages = sqlite3.connect(file).execute("PRAGMA page_count").fetchone()[0]
    with app.app_context():
        sa.event.listen(
            db.engine, "connect", lambda connection, _record: connection.execute(f"PRAGMA max_page_count = {pages}")
        )
    result = invoke(app, ["seed-demo"])
    assert_plain(result, "The disk holding the database is full or failing")
    assert "(SQLITE_FULL)" in result.stderr
    assert "Free some space" in result.stderr
    assert staff_in(file) == 0, "the step that failed saved nothing"


def staff_in(file: Path) -> int:
    with sqlite3.connect(file) as connection:
        return connection.execute("SELECT count(*) FROM core_staff").fetchone()[0]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_flask(args: list[str], url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """The real ``flask`` command, in a process of its own, as a scheduler runs it."""
    env = {**os.environ, "DATABASE_URL": url, "PEERWORKS_INSTANCE": str(tmp_path / "instance")}
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )


@pytest.mark.parametrize(
    ("args", "url", "says", "code"),
    [
        (["training", "remind"], "postgresql://peerworks@127.0.0.1:{port}/peerworks", UNREACHABLE,
         "(psycopg.OperationalError)"),
        (CREATE_ADMIN, "sqlite:///{tmp}/empty.sqlite3", NOT_MIGRATED, "(SQLITE_ERROR)"),
        (["db", "upgrade"], "sqlite:///file:{tmp}/agency.sqlite3?mode=ro&uri=true", READ_ONLY, "(SQLITE_READONLY)"),
    ],
    ids=["postgresql on a closed port", "tables not made", "migrations on a read-only file"],
)
def test_the_real_command_in_a_process_of_its_own(tmp_path, args, url, says, code):
    sqlite3.connect(tmp_path / "agency.sqlite3").close()
    done = run_flask(args, url.format(port=closed_port(), tmp=tmp_path), tmp_path)
    assert done.returncode == 1, done.stderr
    assert done.stdout == ""
    *before, last = done.stderr.strip().splitlines()
    assert last.startswith(f"Error: {says}"), done.stderr
    assert f"{code}." in last
    assert all(line.startswith("INFO  [alembic") for line in before), "only the migrations' own progress lines"
    if args[0] == "db":  # a library's command: its steps are its own, so no promise about them
        assert "The command stopped. Check that" in last
    else:
        assert "The command stopped, and the step that failed saved nothing." in last
    for never in ("Traceback", "[SQL", "[parameters", NAME, EMAIL):
        assert never not in done.stderr


# PostgreSQL ----------------------------------------------------------------------------------------------------


@pytest.fixture
def empty_postgres(database_url: str) -> Iterator[str]:
    """A PostgreSQL database of its own, with no tables."""
    url = sa.engine.make_url(database_url)
    empty = url.set(database=f"{url.database}_empty")
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{empty.database}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{empty.database}"'))
    try:
        yield empty.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{empty.database}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL only (TEST_DATABASE_URL)")
@pytest.mark.parametrize("args", [CREATE_ADMIN, ["audit", "verify"], ["training", "remind"]], ids=" ".join)
def test_postgresql_without_tables(empty_postgres, tmp_path, monkeypatch, apps, args):
    app = own_app(empty_postgres, tmp_path, monkeypatch)
    apps.append(app)
    result = invoke(app, args)
    assert_plain(result, NOT_MIGRATED)
    assert "(42P01)" in result.stderr


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL only (TEST_DATABASE_URL)")
def test_postgresql_read_only(database_url, tmp_path, monkeypatch, apps):
    """A session whose transactions are read-only, as on a standby server."""
    url = sa.engine.make_url(database_url).update_query_dict({"options": "-c default_transaction_read_only=on"})
    app = own_app(url.render_as_string(hide_password=False), tmp_path, monkeypatch)
    apps.append(app)
    result = invoke(app, CREATE_ADMIN)
    assert_plain(result, READ_ONLY)
    assert "(25006)" in result.stderr


# Other errors, and the walk -----------------------------------------------------------------------------------


@pytest.fixture
def probes(tmp_path, monkeypatch, apps) -> tuple[Flask, click.Group]:
    app = own_app("sqlite://", tmp_path, monkeypatch, tables=True)
    apps.append(app)
    group = click.Group("probe")

    @group.command("bug")
    def bug() -> None:
        raise RuntimeError("a plain bug, nothing typed in it")

    @group.command("wrong-type")
    def wrong_type() -> None:
        db.session.execute(sa.select(sa.bindparam("born", NAME, type_=sa.Date)))

    @group.command("duplicate")
    def duplicate() -> None:
        db.session.execute(sa.text("CREATE TABLE probe (name TEXT UNIQUE)"))
        for _ in range(2):
            db.session.execute(sa.text("INSERT INTO probe (name) VALUES (:name)"), {"name": NAME})

    @group.command("own-message")
    def own_message() -> None:
        try:
            db.session.execute(sa.text("SELECT * FROM no_such_table WHERE name = :name"), {"name": NAME})
        except sa.exc.DBAPIError as error:
            raise click.ClickException("The command's own words.") from error

    cli.guard_commands(group)
    return app, group


def run_probe(probes: tuple[Flask, click.Group], name: str) -> Result:
    app, group = probes
    with app.app_context():
        return app.test_cli_runner().invoke(group, [name])


def test_a_plain_bug_keeps_its_traceback(probes):
    result = run_probe(probes, "bug")
    assert isinstance(result.exception, RuntimeError), "not swallowed: click's runner, like Python, shows it whole"
    assert str(result.exception) == "a plain bug, nothing typed in it"


def test_an_error_carrying_a_statement_shows_where_without_values(probes):
    result = run_probe(probes, "wrong-type")
    assert result.exit_code == 1
    assert "Where it failed (no values shown):" in result.stderr
    assert "StatementError" in result.stderr
    assert "wrong_type" in result.stderr, "the frame, so a developer can find it"
    assert "Error: The command failed on a database statement" in result.stderr
    assert NAME not in result.stderr
    assert "Traceback" not in result.stderr


def test_a_statement_the_database_refuses_is_most_likely_a_fault(probes):
    result = run_probe(probes, "duplicate")
    assert result.exit_code == 1
    assert "Error: The database refused the command (SQLITE_CONSTRAINT_UNIQUE)." in result.stderr
    assert "duplicate" in result.stderr, "where it failed"
    assert NAME not in result.stderr
    assert "[parameters" not in result.stderr


def test_a_commands_own_message_is_kept(probes):
    result = run_probe(probes, "own-message")
    assert result.exit_code == 1
    assert result.stderr == "Error: The command's own words.\n"


def every_command(group: click.Group, path: str = "") -> Iterator[tuple[str, click.Command]]:
    for name, command in group.commands.items():
        yield f"{path}{name}", command
        if isinstance(command, click.Group):
            yield from every_command(command, f"{path}{name} ")


def test_every_command_of_the_app_is_guarded(app):
    found = dict(every_command(app.cli))
    assert {"create-admin", "seed-demo", "send-mail", "audit verify", "backup", "restore", "readiness release",
            "safeguards remind", "training remind", "hiring close-expired", "db upgrade"} <= set(found)
    unguarded = [name for name, command in found.items()
                 if command.callback is not None and not getattr(command.callback, cli.GUARDED, False)]
    assert unguarded == []


def test_guarding_twice_wraps_once(app):
    callback = app.cli.commands["seed-demo"].callback
    cli.guard_commands(app.cli)
    assert app.cli.commands["seed-demo"].callback is callback


@pytest.mark.parametrize(
    ("error", "trouble"),
    [
        (psycopg.errors.lookup("25006")(), Trouble.READ_ONLY),
        (psycopg.errors.lookup("53100")(), Trouble.DISK),
        (psycopg.errors.lookup("55P03")(), Trouble.BUSY),
        (psycopg.errors.lookup("42P01")(), Trouble.NOT_MIGRATED),
        (psycopg.errors.lookup("57P01")(), Trouble.UNREACHABLE),
        (psycopg.errors.lookup("28P01")(), Trouble.UNREACHABLE),
        (psycopg.errors.lookup("23505")(), Trouble.OTHER),
        (psycopg.OperationalError("connection refused"), Trouble.UNREACHABLE),
    ],
    ids=lambda value: getattr(value, "sqlstate", None) or str(value),
)
def test_postgresql_codes(error, trouble):
    """The codes the tests above cannot provoke on SQLite, classified from PostgreSQL's own error classes."""
    wrapped = sa.exc.DBAPIError.instance("SELECT 1", {}, error, psycopg.Error)
    assert database_failure(wrapped).trouble is trouble
    assert database_failure(error).trouble is trouble, "the driver's own error, raised outside SQLAlchemy"
    assert database_failure(RuntimeError("not the database")) is None
