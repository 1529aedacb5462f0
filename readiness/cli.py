"""Readiness command-line tools: `flask --app wsgi readiness release`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from core.extensions import db

readiness_group = AppGroup("readiness", help="Readiness surveys.")


def register(app: Flask) -> None:
    app.cli.add_command(readiness_group)


@readiness_group.command("release")
def release() -> None:
    """Release the survey answers waiting in the ballot box into the results, where a batch is due (a scheduler
    runs this, e.g. every hour and after each wave closes)."""
    from readiness.services import ballots, thresholds
    from readiness.services import campaigns as campaign_service

    on = campaign_service.today()
    total = 0
    for campaign in ballots.campaigns_waiting():
        total += ballots.release(campaign, thresholds.for_campaign(campaign), on)  # the wave's own threshold
        db.session.commit()  # one transaction per wave: one wave's lock never holds up another
    click.echo(f"Released {total} answer(s) into the results.")
