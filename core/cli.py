"""Command-line tools: `flask --app wsgi create-admin | seed-demo | audit verify | send-mail`."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from core import audit, passwords
from core.extensions import db
from core.models import Role, Staff, StaffStatus


def register(app: Flask) -> None:
    app.cli.add_command(create_admin)
    app.cli.add_command(seed_demo)
    app.cli.add_command(send_mail)
    app.cli.add_command(audit_group)


@click.command("create-admin")
@click.option("--email", prompt="Email address")
@click.option("--name", prompt="Full name")
@click.password_option("--password", prompt="Password (at least 12 characters)")
def create_admin(email: str, name: str, password: str) -> None:
    """Create an administrator account, or give an existing account the administrator role."""
    problems = passwords.problems_with(password, email=email)
    if problems:
        raise click.ClickException(" ".join(problems))
    staff = db.session.scalar(select(Staff).where(Staff.email == email.strip().lower()))
    if staff is None:
        staff = Staff(email=email.strip().lower(), name=name.strip())
        db.session.add(staff)
    staff.password_hash = passwords.hash_password(password)
    staff.status = StaffStatus.ACTIVE
    staff.set_roles(staff.roles | {Role.ADMIN})
    db.session.flush()
    audit.record("staff.create_admin", record_type="staff", record_id=staff.id, detail="from the command line")
    db.session.commit()
    click.echo(f"{staff.email} is an administrator and can sign in.")


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has staff.")
def seed_demo(if_empty: bool) -> None:
    """Load the demo agency (refused in production mode)."""
    from core import demo

    if current_app.config["PRODUCTION"]:
        raise click.ClickException("Demo data is never loaded in production mode (PEERWORKS_ENV=production).")
    if if_empty and db.session.scalar(select(Staff.id).limit(1)) is not None:
        click.echo("The database already has staff; demo data not loaded.")
        return
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
    verdict = audit.verify()
    if verdict.ok:
        click.echo(f"The audit log is intact: {verdict.checked} entries checked.")
        return
    click.echo(
        f"The audit log was tampered with at entry {verdict.bad_id}: {verdict.reason}. "
        f"{verdict.checked} entries before it are intact.",
        err=True,
    )
    sys.exit(1)
