"""Backups of the whole database, and restoring one: `flask --app wsgi backup <file>` and `restore <file>`.

* **SQLite** (the embedded default): SQLite's online-backup API (``sqlite3.Connection.backup``) copies the database
  page by page in one step, under a read lock, so the copy is consistent while the app keeps serving (a writer waits
  for it, as for any other reader). Restoring copies the backup's pages over the app's database the same way.
* **PostgreSQL**: ``pg_dump --format=custom`` (a consistent snapshot, safe while the app serves) and ``pg_restore``
  in one transaction (all or nothing). Both come with the PostgreSQL client tools, whose major version must be the
  server's or later; the commands say so plainly when the tools are missing or too old.

A backup is written to a file of its own (mode 0600: it holds personal data) next to the target and moved into place
only when complete, so a failed run never leaves half a backup under the file's name.

Restoring checks, before changing anything: that the file is a PeerWorks backup of this kind of database, which
migration revision it was made at (its ``alembic_version``) against the code's, and that the target database holds
no data (unless forced). Afterwards it writes its audit entry and verifies the audit chain (``core.audit.verify``).
Both commands audit who ("from the command line") and what (a backup made or restored, its file name and size),
never any content.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy.engine import URL, Engine

from core import audit
from core.extensions import db

SQLITE_HEADER = b"SQLite format 3\x00"
PG_DUMP_HEADER = b"PGDMP"
# Rows a database has as soon as the migrations ran: it counts as empty with these.
ALWAYS_THERE = frozenset({"alembic_version", "core_audit_head"})
# A busy database makes pg_restore fail after this long instead of waiting for the app to let go.
PG_LOCK_TIMEOUT = "30s"
TOOLS_HINT = (
    "Install the PostgreSQL client tools of the server's major version or later "
    "(on Debian or Ubuntu: apt install postgresql-client-{major})."
)


class BackupError(Exception):
    """Something the person at the command line can act on; the message says what to do."""


@dataclass(frozen=True)
class Made:
    path: Path
    size: int


@dataclass(frozen=True)
class Restored:
    path: Path
    revision: str
    expected: str
    verdict: audit.Verdict | None  # None: the chain could not be read (an older schema)

    @property
    def older(self) -> bool:
        return self.revision != self.expected


# --- What the app runs on ------------------------------------------------------------------------------------


def _engine() -> Engine:
    return db.engine


def dialect() -> str:
    return _engine().dialect.name


def described() -> str:
    """The database, for messages: its address without the password."""
    return _engine().url.render_as_string(hide_password=True)


def code_revision() -> str:
    """The migration revision this code expects (the single head)."""
    head = _scripts().get_current_head()
    if head is None:  # no migrations at all: never in this project
        raise BackupError("This copy of PeerWorks has no migrations.")
    return head


def _scripts() -> ScriptDirectory:
    return ScriptDirectory(current_app.extensions["migrate"].directory)


def _sqlite_file() -> Path | None:
    name = _engine().url.database
    return Path(name).resolve() if name and name != ":memory:" and not name.startswith("file:") else None


def holds_data() -> bool:
    """Whether any table of the database has a row (beyond what the migrations themselves put there): the app's
    tables, and any other (a wrong DATABASE_URL pointing at another app's database holds data too)."""
    with _engine().connect() as connection:
        for name in sa.inspect(connection).get_table_names():
            if name in ALWAYS_THERE:
                continue
            if connection.execute(sa.select(sa.literal(1)).select_from(sa.table(name)).limit(1)).first() is not None:
                return True
    return False


def _has_tables() -> bool:
    with _engine().connect() as connection:
        return bool(sa.inspect(connection).get_table_names())


def _let_go() -> None:
    """End the session's transaction, so nothing of ours holds a lock (its connection goes back to the pool)."""
    db.session.remove()


# --- Making a backup -----------------------------------------------------------------------------------------


def make(path: Path) -> Made:
    """Back the database up into ``path`` (replaced when there), then audit it."""
    target = path.expanduser().resolve()
    if target.is_dir():
        raise BackupError(f"{path} is a folder: give the backup a file name, e.g. {path}/peerworks.backup.")
    if not target.parent.is_dir():
        raise BackupError(f"There is no folder {target.parent}: create it first.")
    if target == _sqlite_file():
        raise BackupError("That is the database file itself: write the backup to another file.")
    if dialect() not in ("sqlite", "postgresql"):
        raise BackupError(f"Backups of a {dialect()} database are not supported: use SQLite or PostgreSQL.")
    tool = _check_tool("pg_dump") if dialect() == "postgresql" else ""
    _let_go()
    handle, part = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(handle)
    try:
        if tool:
            _pg_dump(tool, Path(part))
        else:
            _sqlite_backup(Path(part))
        os.replace(part, target)
    except BaseException:
        Path(part).unlink(missing_ok=True)
        raise
    made = Made(target, target.stat().st_size)
    audit.record("backup.made", detail=f"from the command line: {target.name}, {made.size} bytes")
    db.session.commit()
    return made


def _sqlite_backup(part: Path) -> None:
    raw = _engine().raw_connection()
    try:
        copy = sqlite3.connect(part)
        try:
            raw.driver_connection.backup(copy)  # every page in one step: one consistent copy
        finally:
            copy.close()
    finally:
        raw.close()


# --- PostgreSQL's tools --------------------------------------------------------------------------------------


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed, and PeerWorks needs it here. {_hint()}")
    return found


def _server_major() -> int:
    with _engine().connect() as connection:
        return int(connection.execute(sa.text("SHOW server_version_num")).scalar_one()) // 10000


def _hint() -> str:
    try:
        major: object = _server_major()
    except sa.exc.SQLAlchemyError:
        major = "NN"
    return TOOLS_HINT.format(major=major)


def _tool_major(tool: str) -> int:
    shown = _run([tool, "--version"], what=tool).stdout
    found = re.search(r"\(PostgreSQL\)\s+(\d+)", shown)
    if found is None:
        raise BackupError(f"Could not read the version of {tool} ({shown.strip()[:80]!r}).")
    return int(found.group(1))


def _check_tool(name: str) -> str:
    tool = _tool(name)
    major, server = _tool_major(tool), _server_major()
    if major < server:
        raise BackupError(
            f"{name} is version {major}, older than the PostgreSQL server (version {server}). "
            + TOOLS_HINT.format(major=server)
        )
    return tool


def _libpq() -> tuple[str, dict[str, str]]:
    """The database as a libpq address without its password, and the environment that carries the password."""
    url: URL = _engine().url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} -c lock_timeout={PG_LOCK_TIMEOUT}".strip()
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(
    args: list[str], *, what: str, env: dict[str, str] | None = None, then: str = ""
) -> subprocess.CompletedProcess[str]:
    # A fixed program found on PATH, with arguments as a list: no shell sees any of it.
    result = subprocess.run(args, capture_output=True, text=True, env=env, check=False)  # noqa: S603  # nosec B603
    if result.returncode != 0:
        raise BackupError(" ".join(filter(None, [_explain(what, result.stderr), then])))
    return result


def _explain(what: str, stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    said = " ".join(lines[-3:])[:600] or "no message"
    if "version mismatch" in stderr or "unsupported version" in stderr:
        return f"{what} failed: {said}. The client tools and the server (or the file) are of different versions. " + (
            _hint()
        )
    if "lock timeout" in stderr:
        return f"{what} failed: the database is in use. Stop the app (every instance), then run this again."
    return f"{what} failed: {said}"


def _pg_dump(tool: str, part: Path) -> None:
    address, env = _libpq()
    _run([tool, "--format=custom", "--no-password", f"--file={part}", f"--dbname={address}"], what="pg_dump", env=env)


def _pg_restore(path: Path, *, replace: bool) -> None:
    tool = _check_tool("pg_restore")
    address, env = _libpq()
    args = [tool, "--single-transaction", "--no-owner", "--no-privileges", "--no-password", f"--dbname={address}"]
    if replace:
        args += ["--clean", "--if-exists"]
    _run([*args, str(path)], what="pg_restore", env=env, then="Nothing was changed: the restore is one transaction.")


# --- Reading a backup ----------------------------------------------------------------------------------------


def kind_of(path: Path) -> str:
    """"sqlite" or "postgresql" from the file's first bytes; a plain error for anything else."""
    if not path.exists():
        raise BackupError(f"There is no file {path}.")
    if not path.is_file():
        raise BackupError(f"{path} is not a file.")
    with path.open("rb") as handle:
        start = handle.read(len(SQLITE_HEADER))
    if start == SQLITE_HEADER:
        return "sqlite"
    if start.startswith(PG_DUMP_HEADER):
        return "postgresql"
    raise BackupError(
        f"{path} is not a PeerWorks backup (neither a SQLite database nor a pg_dump archive). Nothing was changed."
    )


def _not_ours(path: Path) -> BackupError:
    return BackupError(
        f"{path} is not a backup of a PeerWorks database (it has no audit log or no migration revision). "
        "Nothing was changed."
    )


def sqlite_revision(path: Path) -> str:
    """The migration revision inside a SQLite backup, after checking the file is whole."""
    try:
        backup = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            problems = backup.execute("PRAGMA quick_check").fetchall()
            if problems != [("ok",)]:
                raise BackupError(f"{path} is damaged ({problems[0][0][:120]}). Nothing was changed.")
            names = {row[0] for row in backup.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not {"alembic_version", "core_audit_entry"} <= names:
                raise _not_ours(path)
            row = backup.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            backup.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is damaged or not a SQLite database ({error}). Nothing was changed.") from error
    if row is None:
        raise _not_ours(path)
    return str(row[0])


COPY_REVISION = re.compile(r"^COPY \S*alembic_version \(version_num\) FROM stdin;\n(?P<revision>[^\n]+)\n", re.M)


def pg_revision(path: Path) -> str:
    """The migration revision inside a pg_dump archive, read with pg_restore without restoring anything."""
    tool = _check_tool("pg_restore")
    damaged = f"{path} is damaged or not a whole pg_dump archive. Nothing was changed."
    listing = _run([tool, "--list", str(path)], what="Reading the backup", then=damaged).stdout
    if not re.search(r"TABLE DATA \S+ core_audit_entry ", listing) or "alembic_version" not in listing:
        raise _not_ours(path)
    script = _run(
        [tool, "--data-only", "--table=alembic_version", "--file=-", str(path)], what="Reading the backup", then=damaged
    ).stdout
    found = COPY_REVISION.search(script)
    if found is None:
        raise _not_ours(path)
    return found.group("revision").strip()


def _check_revision(revision: str, expected: str) -> None:
    if revision == expected:
        return
    known = {script.revision for script in _scripts().walk_revisions()}
    if revision not in known:
        raise BackupError(
            f"This backup was made by a newer version of PeerWorks (database revision {revision}, which this code "
            f"does not know; it expects {expected}). Install that version of PeerWorks, or a later one, and "
            "restore with it. Nothing was changed."
        )


# --- Restoring -----------------------------------------------------------------------------------------------


def restore(path: Path, *, force: bool, confirm: Callable[[str], bool] | None) -> Restored:
    """Replace the database with the backup in ``path``, then audit it and verify the audit chain.

    A database holding data is replaced only with ``force``, or when ``confirm`` (asked on a terminal) says yes."""
    source = path.expanduser().resolve()
    kind = kind_of(source)
    if kind != dialect():
        raise BackupError(
            f"{path} is a backup of a {_named(kind)} database, and this PeerWorks uses {_named(dialect())} "
            f"({described()}). Restore it into {_named(kind)}. Nothing was changed."
        )
    if source == _sqlite_file():
        raise BackupError("That is the database file itself: give the backup's file.")
    revision = sqlite_revision(source) if kind == "sqlite" else pg_revision(source)
    expected = code_revision()
    _check_revision(revision, expected)
    _refuse_to_overwrite(force, confirm)
    replace = _has_tables()
    _let_go()
    if kind == "sqlite":
        _sqlite_restore(source)  # the pool's other connections see the new file as it is
    else:
        _pg_restore(source, replace=replace)
        _engine().dispose()  # pooled connections may hold plans of the tables the restore replaced
    return Restored(source, revision, expected, _audit_and_verify(source, revision, older=revision != expected))


def _named(kind: str) -> str:
    return {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(kind, kind)


def _refuse_to_overwrite(force: bool, confirm: Callable[[str], bool] | None) -> None:
    if force or not holds_data():
        return
    question = f"The database {described()} already holds data. Replace all of it with the backup?"
    if confirm is not None:
        if confirm(question):
            return
        raise BackupError("Nothing was changed.")
    raise BackupError(
        f"The database {described()} already holds data, so nothing was changed. To replace all of it with the "
        "backup, stop the app and run the command again with --force."
    )


def _sqlite_restore(source: Path) -> None:
    backup = sqlite3.connect(source.as_uri() + "?mode=ro", uri=True)
    raw = _engine().raw_connection()
    try:
        backup.backup(raw.driver_connection)
    except sqlite3.OperationalError as error:
        raise BackupError(f"The restore failed ({error}): stop the app, then run this again.") from error
    finally:
        raw.close()
        backup.close()


def _audit_and_verify(source: Path, revision: str, *, older: bool) -> audit.Verdict | None:
    """Write the restore's audit entry and walk the chain; None when an older backup's audit log cannot be read
    until the migrations have brought it up to date."""
    try:
        audit.record("backup.restored", detail=f"from the command line: {source.name}, revision {revision}")
        db.session.commit()
        return audit.verify()
    except sa.exc.SQLAlchemyError:
        if not older:
            raise
        db.session.rollback()
        return None
