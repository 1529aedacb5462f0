"""Hiring command-line tools: `flask --app wsgi hiring close-expired` and `flask --app wsgi hiring purge-candidates`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from core.extensions import db

hiring_group = AppGroup("hiring", help="Hiring: job postings and candidates.")


def register(app: Flask) -> None:
    app.cli.add_command(hiring_group)


@hiring_group.command("close-expired")
def close_expired() -> None:
    """Close the published postings whose last day to apply has passed (a scheduler runs this daily)."""
    from hiring.services import postings

    closed = postings.close_expired()
    db.session.commit()
    click.echo(f"Closed {closed} posting(s) whose last day to apply has passed.")


@hiring_group.command("purge-candidates")
def purge_candidates() -> None:
    """Remove the candidates (applications, résumés, history, scores) of postings closed longer ago than the agency
    keeps them (a scheduler runs this daily). The audit log keeps how many, never who."""
    from hiring.services import retention

    done = retention.purge()
    db.session.commit()
    click.echo(
        f"Removed {done.candidates} candidate(s), {done.files} résumé file(s), {done.scorecards} scorecard(s) and "
        f"{done.emails} confirmation email(s) of {done.postings} posting(s) closed more than {retention.months()} "
        "month(s) ago."
    )
