"""Command-line tools: `flask --app wsgi create-admin | seed-demo | audit verify | send-mail | backup | restore`,
and the one way every command of the app (these, the modules', Flask-Migrate's) stops on a database error."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from core import audit, backup, passwords, sessions
from core.errors import DatabaseFailure, Trouble, carries_a_statement, database_failure, without_values
from core.extensions import db
from core.models import Role, Staff, StaffStatus
from core.timeutil import utcnow


def register(app: Flask) -> None:
    app.cli.add_command(create_admin)
    app.cli.add_command(seed_demo)
    app.cli.add_command(send_mail)
    app.cli.add_command(audit_group)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


# A database error: one plain sentence, never a traceback ------------------------------------------------------

# What failed, then what to do; the driver's short code goes between them. Never the error's text: it holds the
# statement and the values sent with it (record content), and a terminal's output often ends up in a log.
STOPPED = "The command stopped, and the step that failed saved nothing."  # each step of ours is one transaction
STOPPED_ELSEWHERE = "The command stopped."  # a library's command (Flask-Migrate's db): its steps are its own
SENTENCES: dict[Trouble, tuple[str, str]] = {
    Trouble.UNREACHABLE: (
        "The database could not be reached",
        "Check DATABASE_URL and that the database is running (for SQLite: that the file's folder exists).",
    ),
    Trouble.READ_ONLY: (
        "The database is read-only for this command",
        "Check that the user running it may write to the database (for SQLite: to its file and its folder; for "
        "PostgreSQL: that DATABASE_URL names the primary server and a user allowed to write).",
    ),
    Trouble.BUSY: (
        "The database is busy: another process held it too long",
        "Wait until the other work (a backup, a restore, another command) has finished, then run this again.",
    ),
    Trouble.DISK: (
        "The disk holding the database is full or failing",
        "Free some space on it (or have the disk checked), then run this again.",
    ),
    Trouble.NOT_MIGRATED: (
        "The database is missing tables this version of PeerWorks needs: it is new or not upgraded yet",
        "Run `flask --app wsgi db upgrade`, then run this again.",
    ),
    Trouble.OTHER: (
        "The database refused the command",
        "This is most likely a fault in PeerWorks: tell its maintainers the command and this message.",
    ),
}
GUARDED = "_peerworks_database_errors_guarded"


class DatabaseStop(click.ClickException):
    """A command stopped by a database error: click prints ``Error: <sentence>`` to stderr and exits with 1."""


def sentence_for(failure: DatabaseFailure | None, stopped: str = STOPPED) -> str:
    """The plain sentence for a database error: what failed, the driver's short code, what to do."""
    if failure is None:  # an error carrying a statement: one raised while handling a database error, a bad value
        return f"The command failed on a database statement (where: above). {stopped} {SENTENCES[Trouble.OTHER][1]}"
    what, then = SENTENCES[failure.trouble]
    return f"{what} ({failure.code}). {stopped} {then}"


def stop_plainly_on_database_errors(callback: Callable[..., Any], stopped: str = STOPPED) -> Callable[..., Any]:
    """Wrap a command's callback: a database error becomes ``DatabaseStop`` with its plain sentence, no traceback.
    Any other error keeps its traceback, unless it carries a statement (whose text holds the values): then where it
    failed without them, as the log keeps it (``without_values``); likewise under a database error that is most
    likely a fault. The open transaction is rolled back when the command's app context ends."""

    @functools.wraps(callback)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return callback(*args, **kwargs)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise  # the command's own message (it may have been raised from a database error)
        except Exception as error:
            failure = database_failure(error)
            if failure is None and not carries_a_statement(error):
                raise
            if failure is None or failure.trouble is Trouble.OTHER:
                click.echo(f"Where it failed (no values shown):\n{without_values(error)}", err=True)
            raise DatabaseStop(sentence_for(failure, stopped)) from None

    setattr(guarded, GUARDED, True)
    return guarded


def _from_a_library(callback: Callable[..., Any]) -> bool:
    module = sys.modules.get(callback.__module__)
    return "site-packages" in Path(str(getattr(module, "__file__", "") or "")).parts


def guard_commands(group: click.Group) -> None:
    """Wrap every command under ``group`` (once: the modules' and Flask-Migrate's groups are shared by every app the
    process makes). The factory calls this after everything is registered, so a command added later is covered."""
    for command in group.commands.values():
        callback = command.callback
        if callback is not None and not getattr(callback, GUARDED, False):
            stopped = STOPPED_ELSEWHERE if _from_a_library(callback) else STOPPED
            command.callback = stop_plainly_on_database_errors(callback, stopped)
        if isinstance(command, click.Group):
            guard_commands(command)


@click.command("create-admin")
@click.option("--email", prompt="Email address")
@click.option("--name", prompt="Full name")
@click.password_option("--password", prompt="Password (at least 12 characters)")
def create_admin(email: str, name: str, password: str) -> None:
    """Create an administrator account, or give an existing account the administrator role.

    An existing account keeps its name; it gets the password typed, is made active, and its wrong sign-in tries are
    forgotten, so a lockout after too many of them ends at once (this is the way back in for a locked-out
    administrator); as with any password change, every session it had ends."""
    problems = passwords.problems_with(password, email=email)
    if problems:
        raise click.ClickException(" ".join(problems))
    staff = db.session.scalar(select(Staff).where(Staff.email == email.strip().lower()))
    existing = staff is not None
    was_locked = staff is not None and staff.locked_until is not None and staff.locked_until > utcnow()
    if staff is None:
        staff = Staff(email=email.strip().lower(), name=name.strip())
        db.session.add(staff)
    staff.password_hash = passwords.hash_password(password)
    staff.status = StaffStatus.ACTIVE
    # The tries were against the old password: the new one starts with none, and a lockout ends now.
    staff.failed_signins = 0
    staff.locked_until = None
    staff.set_roles(staff.roles | {Role.ADMIN})
    db.session.flush()
    if existing:
        sessions.end_all(staff.id)  # a new password ends every session, here as in the app (README, SECURITY.md)
    detail = "from the command line"
    if existing:
        detail += "; an existing account: new password, signed out everywhere"
    if was_locked:
        detail += ", lockout lifted"
    audit.record("staff.create_admin", record_type="staff", record_id=staff.id, detail=detail)
    db.session.commit()
    if existing:
        click.echo(f"{staff.email} already had an account: it is now an administrator, with the password you typed, "
                   "and it was signed out everywhere.")
        if was_locked:
            click.echo("It was locked after too many wrong sign-in tries: the lock is lifted, so it can sign in now.")
    else:
        click.echo(f"{staff.email} is an administrator and can sign in.")


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing (and succeed) when the database already has staff.")
def seed_demo(if_empty: bool) -> None:
    """Load the demo agency into an empty database (refused in production mode)."""
    from core import demo

    if current_app.config["PRODUCTION"]:
        raise click.ClickException("Demo data is never loaded in production mode (PEERWORKS_ENV=production).")
    if db.session.scalar(select(Staff.id).limit(1)) is not None:
        # Loaded twice, the demo's accounts would collide with the first load's: say so plainly, change nothing.
        if if_empty:
            click.echo("The database already has staff; demo data not loaded.")
            return
        raise click.ClickException(
            "The database already has staff, so the demo agency was not loaded and nothing was changed. The demo is "
            "loaded only into an empty database: set DATABASE_URL to a new one (then run `flask --app wsgi db "
            "upgrade` and this command), or use --if-empty to do nothing when there is data."
        )
    summary = demo.load(password=demo.demo_password())
    db.session.commit()
    click.echo(summary)


@click.command("send-mail")
def send_mail() -> None:
    """Send the emails waiting in the outbox over SMTP (SMTP_HOST and friends)."""
    from core import mail

    if not current_app.config["SMTP_HOST"]:
        waiting = len(mail.pending())
        raise click.ClickException(f"SMTP_HOST is not set; {waiting} email(s) wait in the outbox.")
    sent, failed = mail.send_pending(current_app.config)
    click.echo(f"Sent {sent}, failed {failed}.")
    if failed:
        sys.exit(1)


audit_group = AppGroup("audit", help="The audit log.")


@audit_group.command("verify")
def audit_verify() -> None:
    """Check the hash chain; name the first bad entry and exit 1 if anything was changed."""
    if not _report(audit.verify()):
        sys.exit(1)


def _report(verdict: audit.Verdict) -> bool:
    if verdict.ok:
        click.echo(f"The audit log is intact: {verdict.checked} entries checked.")
        return True
    click.echo(
        f"The audit log was tampered with at entry {verdict.bad_id}: {verdict.reason}. "
        f"{verdict.checked} entries before it are intact.",
        err=True,
    )
    return False


@click.command("backup")
@click.argument("file", type=click.Path(path_type=Path))
def backup_command(file: Path) -> None:
    """Back the whole database up into FILE (replaced if there), safe while the app serves.

    SQLite: SQLite's online-backup API. PostgreSQL: pg_dump --format=custom (the client tools of the server's
    version). The file holds personal data: it is made readable by its owner only; keep it as safe as the database.
    """
    try:
        made = backup.make(file)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backed up {backup.described()} into {made.path} ({made.size:,} bytes).")


@click.command("restore")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data, without asking.")
def restore_command(file: Path, force: bool) -> None:
    """Replace the database with the backup in FILE, then verify the audit log.

    Stop the app first. A database that already holds data is replaced only with --force (or, on a terminal, when
    you say yes). The backup must be of the same kind of database (SQLite or PostgreSQL) and no newer than this
    version of PeerWorks.
    """
    confirm = (lambda question: click.confirm(question, default=False)) if _on_terminal() else None
    try:
        restored = backup.restore(file, force=force, confirm=confirm)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Restored {backup.described()} from {restored.path} (database revision {restored.revision}).")
    if restored.older:
        click.echo(
            f"This backup was made by an older version of PeerWorks (revision {restored.revision}; this code "
            f"expects {restored.expected}). Run `flask --app wsgi db upgrade` now, before starting the app."
        )
    if restored.verdict is None:
        click.echo("Then run `flask --app wsgi audit verify` to check the audit log.")
        return
    if not _report(restored.verdict):
        sys.exit(1)


def _on_terminal() -> bool:
    return sys.stdin.isatty()
