"""The email outbox: requests add rows; `flask --app wsgi send-mail` sends them over SMTP.

An email's body keeps its links only until it is sent: personal one-time links (a readiness survey's, an account
invitation's) are secrets, and a sent email in the database would otherwise hold them for ever. Once a message is
sent, or given up on, every link in its stored body is replaced by the link's SHA-256 (``forget_links``), which can
still show that a given link was in that email but cannot be opened. The administrator's outbox never shows a body.
"""

from __future__ import annotations

import hashlib
import re
import smtplib
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import defer

from core.extensions import db
from core.labels import Labelled, label_words
from core.models import OutboxEmail
from core.timeutil import utcnow

MAX_ATTEMPTS = 5

LINK = re.compile(r"https?://[^\s<>\"']+")


def forget_links(body: str) -> str:
    """The body with each link replaced by its SHA-256: what the outbox keeps of an email once it has gone."""
    return LINK.sub(lambda found: f"[link removed once sent; SHA-256 {_sha256(found.group())}]", body)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class OutboxState(Labelled):
    """Where a message is, for the administrator's outbox filter (worked out from its columns, not stored)."""

    WAITING = "waiting"
    SENT = "sent"
    FAILED = "failed"


label_words({
    (OutboxState, "waiting"): "Waiting to be sent",
    (OutboxState, "sent"): "Sent",
    (OutboxState, "failed"): f"Gave up after {MAX_ATTEMPTS} tries",
})


def queue(to_address: str, subject: str, body: str, *, kind: str) -> OutboxEmail:
    message = OutboxEmail(to_address=to_address, subject=subject, body=body, kind=kind)
    db.session.add(message)
    db.session.flush()
    return message


def _waiting() -> tuple[Any, ...]:
    return OutboxEmail.sent_at.is_(None), OutboxEmail.attempts < MAX_ATTEMPTS


def pending(limit: int = 100) -> list[OutboxEmail]:
    return list(db.session.scalars(select(OutboxEmail).where(*_waiting()).order_by(OutboxEmail.id).limit(limit)))


def _take_next(after: int) -> OutboxEmail | None:
    """The next waiting message after ``after``, locked until this run commits it. Another run sending at the same
    time (``send-mail`` on two servers, or a run still going when the next one starts) skips a locked message and
    finds it sent once the lock goes (PostgreSQL's ``FOR UPDATE SKIP LOCKED``), so no email goes out twice."""
    return db.session.scalars(
        select(OutboxEmail).where(*_waiting(), OutboxEmail.id > after).order_by(OutboxEmail.id).limit(1)
        .with_for_update(skip_locked=True)
    ).first()


def send_pending(config: Mapping[str, Any], smtp_factory: Any = None, limit: int = 100) -> tuple[int, int]:
    """Send what is waiting, up to ``limit`` messages. Returns (sent, failed). Each message is taken, sent and
    committed on its own."""
    sent = failed = 0
    message = _take_next(0)
    if message is None:
        return 0, 0
    with (smtp_factory or smtplib.SMTP)(config["SMTP_HOST"], config["SMTP_PORT"], timeout=30) as smtp:
        if config["SMTP_STARTTLS"]:
            smtp.starttls()
        if config["SMTP_USERNAME"]:
            smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"])
        for _ in range(limit):
            if _send(smtp, message, config["MAIL_FROM"]):
                sent += 1
            else:
                failed += 1
            db.session.commit()
            next_message = _take_next(message.id)
            if next_message is None:
                break
            message = next_message
    return sent, failed


def _send(smtp: Any, message: OutboxEmail, sender: str) -> bool:
    """One message over ``smtp``; its row updated (flushed at commit). True when the server took it."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email.set_content(message.body)
    message.attempts += 1
    try:
        smtp.send_message(email)
    except smtplib.SMTPException as error:
        message.last_error = type(error).__name__
    else:
        message.sent_at = utcnow()
        message.last_error = ""
    if message.sent_at is not None or message.attempts >= MAX_ATTEMPTS:
        message.body = forget_links(message.body)  # sent, or never to be sent: the links are not needed
    return message.sent_at is not None


def outbox_query(state: str = "") -> Select[tuple[OutboxEmail]]:
    """Outbox messages for the administrator's list, newest first; the body is never loaded."""
    statement = select(OutboxEmail).options(defer(OutboxEmail.body, raiseload=True))
    if state == OutboxState.WAITING:
        statement = statement.where(OutboxEmail.sent_at.is_(None), OutboxEmail.attempts < MAX_ATTEMPTS)
    elif state == OutboxState.SENT:
        statement = statement.where(OutboxEmail.sent_at.is_not(None))
    elif state == OutboxState.FAILED:
        statement = statement.where(OutboxEmail.sent_at.is_(None), OutboxEmail.attempts >= MAX_ATTEMPTS)
    return statement.order_by(OutboxEmail.created_at.desc(), OutboxEmail.id.desc())
