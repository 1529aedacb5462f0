"""Hiring command-line tools: `flask --app wsgi hiring close-expired`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from core.extensions import db

hiring_group = AppGroup("hiring", help="Hiring: job postings.")


def register(app: Flask) -> None:
    app.cli.add_command(hiring_group)


@hiring_group.command("close-expired")
def close_expired() -> None:
    """Close the published postings whose last day to apply has passed (a scheduler runs this daily)."""
    from hiring.services import postings

    closed = postings.close_expired()
    db.session.commit()
    click.echo(f"Closed {closed} posting(s) whose last day to apply has passed.")
