"""Training command-line tools: `flask --app wsgi training remind`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from core.extensions import db

training_group = AppGroup("training", help="Training: certifications and continuing education.")


def register(app: Flask) -> None:
    app.cli.add_command(training_group)


@training_group.command("remind")
def remind() -> None:
    """Remind people, and their supervisors, of certifications expiring in 90, 60, 30 and 7 days (a scheduler runs
    this daily; running it twice, or on two servers at once, never sends a reminder twice)."""
    from training.services import reminders

    sent = skipped = 0
    for reminder in reminders.due():
        if reminders.send(reminder):
            sent += 1
        else:
            skipped += 1
        db.session.commit()  # each reminder in a transaction of its own: its row, its notices, its emails
    click.echo(f"Sent {sent} reminder(s) of certifications expiring soon; {skipped} had been sent already.")
