"""The caseload's commands: ``flask --app wsgi safeguards remind``."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from caseload.services import safeguard_queries as queries
from core import timeutil
from core.extensions import db

safeguards_cli = AppGroup("safeguards", help="Dual-relationship safeguards.")


@safeguards_cli.command("remind")
def remind_command() -> None:
    """Tell privacy officers about determinations whose review is due within 14 days or overdue (once a day)."""
    written = queries.notify_due_reviews(timeutil.today())
    db.session.commit()
    click.echo(f"{written} reminder(s) sent to privacy officers.")


def register(app: Flask) -> None:
    app.cli.add_command(safeguards_cli)
