"""The invitation email that lets a new person choose a password (queued in the outbox, sent by `send-mail`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import Flask, current_app, url_for

from core import mail
from core.accounts.service import invitation_token
from core.extensions import db
from core.models import OutboxEmail, Staff

INVITED_LISTENERS = "peerworks.invited_listeners"


def when_invited(app: Flask, listener: Callable[[Staff, Staff], None]) -> None:
    """A module that starts something for a newly invited staff member (training: their orientation) registers
    here, from its ``register(app)``, what to do; it runs in the same transaction as the invitation."""
    app.extensions.setdefault(INVITED_LISTENERS, []).append(listener)


def tell_invited(staff: Staff, actor: Staff) -> None:
    for listener in current_app.extensions.get(INVITED_LISTENERS, []):
        listener(staff, actor)


def invitation_link(staff: Staff) -> str:
    """The link that lets an invited person set a password; BASE_URL, when set, is its scheme and host."""
    token = invitation_token(staff, current_app.config["SECRET_KEY"])
    base = (current_app.config.get("BASE_URL") or "").rstrip("/")
    if base:
        return base + url_for("accounts.accept_invite", token=token)
    return url_for("accounts.accept_invite", token=token, _external=True)


def _days(age: timedelta) -> str:
    days = max(1, round(age.total_seconds() / 86400))
    return "1 day" if days == 1 else f"{days} days"


INVITATION_SUBJECT = "Your PeerWorks account is ready"


def _invitation_body(staff: Staff, actor: Staff) -> str:
    return (
        f"Hello {staff.name},\n\n"
        f"{actor.name} has set up a PeerWorks account for you. PeerWorks is where our agency keeps the work of its "
        "peer workforce: readiness, hiring, training and supervision.\n\n"
        f"To choose your password and sign in, open this link within "
        f"{_days(current_app.config['INVITE_MAX_AGE'])}:\n\n{invitation_link(staff)}\n\n"
        "The link works once. If it has expired, ask your PeerWorks administrator to send a new invitation.\n\n"
        "If you were not expecting this email, you can ignore it.\n"
    )


def queue_invitation(staff: Staff, actor: Staff) -> OutboxEmail:
    return mail.queue(staff.email, INVITATION_SUBJECT, _invitation_body(staff, actor), kind="invitation")


def queue_invitations(people: list[Staff], actor: Staff) -> None:
    """The same emails as ``queue_invitation``, flushed together: mail.queue flushes once per message, which is
    most of the time of a 2,000-person import."""
    db.session.add_all(
        OutboxEmail(to_address=staff.email, subject=INVITATION_SUBJECT, body=_invitation_body(staff, actor),
                    kind="invitation")
        for staff in people
    )
    db.session.flush()

