"""Scheduled commands run on two servers at the same moment do their work once (issue 14, scale-out).

Found by tests/servers/test_scale_out.py (two real processes of each command, started together): ``send-mail`` sent
every waiting email twice, and ``safeguards remind`` wrote each privacy officer's reminder twice. Here the same
races, made certain with two threads of one app on PostgreSQL (several app servers need PostgreSQL; SQLite serves
one): the first run is held in the middle of its work while the second one runs.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from caseload.models import Determination
from caseload.services.safeguard_queries import notify_due_reviews
from core import mail, timeutil
from core.extensions import db
from core.models import Notification, OutboxEmail, Role
from tests.conftest import ON_POSTGRES
from tests.factories import make_client, make_staff, seal

pytestmark = [
    pytest.mark.real_commits,
    pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL only: two app servers at once need PostgreSQL"),
]

CONFIG = {"SMTP_HOST": "smtp.example.org", "SMTP_PORT": 25, "SMTP_STARTTLS": False, "SMTP_USERNAME": "",
          "SMTP_PASSWORD": "", "MAIL_FROM": "PeerWorks <no-reply@example.org>"}
WAIT = 30


class SMTP:
    """Records what it sends; a message to ``held`` waits for ``go_on`` after saying it has started."""

    sent: list[str] = []
    held = ""
    started = threading.Event()
    go_on = threading.Event()

    def __init__(self, *_args: Any, **_kwargs: Any) -> None:
        pass

    def __enter__(self) -> SMTP:
        return self

    def __exit__(self, *_exc: object) -> bool:
        return False

    def send_message(self, message: Any) -> None:
        if message["To"] == self.held and not SMTP.started.is_set():
            SMTP.started.set()
            assert SMTP.go_on.wait(WAIT)
        SMTP.sent.append(message["To"])


def _in_thread(app: Flask, work: Any) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def run() -> None:
        with app.app_context():
            try:
                work()
            except BaseException as error:  # noqa: BLE001 - handed to the test
                errors.append(error)
            finally:
                db.session.remove()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def test_two_send_mail_runs_at_once_send_each_email_once(app: Flask) -> None:
    addresses = [f"person{n}@example.org" for n in range(4)]
    for address in addresses:
        mail.queue(address, "Hello", "Body", kind="invitation")
    db.session.commit()
    SMTP.sent, SMTP.held = [], addresses[0]
    SMTP.started.clear()
    SMTP.go_on.clear()

    first, errors = _in_thread(app, lambda: mail.send_pending(CONFIG, smtp_factory=SMTP))
    assert SMTP.started.wait(WAIT)  # the first run is sending the first email
    second = mail.send_pending(CONFIG, smtp_factory=SMTP)
    db.session.commit()
    SMTP.go_on.set()
    first.join(WAIT)

    assert not errors
    assert second == (3, 0)  # the other three; the first run had the first one
    assert sorted(SMTP.sent) == addresses
    db.session.expire_all()
    assert db.session.scalar(select(func.max(OutboxEmail.attempts))) == 1


def test_two_safeguard_reminder_runs_at_once_remind_once(app: Flask) -> None:
    officer = make_staff(Role.PRIVACY, name="Pia Privacy")
    peer = make_staff(Role.PEER, name="Wren Worker")
    client = make_client("Ola Overdue")
    seal(client, peer)
    today = timeutil.today()
    db.session.add(Determination(client_id=client.id, situation="Asked for peer support", decision="Another team",
                                 rationale="Only provider in town", consulted="Clinical director",
                                 review_on=today - timedelta(days=1), recorded_by_id=officer.id))
    db.session.commit()
    held = threading.Event()
    go_on = threading.Event()

    def first_run() -> None:
        assert notify_due_reviews(today) == 1
        held.set()
        assert go_on.wait(WAIT)  # written, not yet committed
        db.session.commit()

    first, errors = _in_thread(app, first_run)
    assert held.wait(WAIT)
    second_written: list[int] = []
    second, second_errors = _in_thread(app, lambda: second_written.append(notify_due_reviews(today)))
    second.join(1)
    assert second.is_alive(), "the second run did not wait for the first one"
    go_on.set()
    first.join(WAIT)
    second.join(WAIT)

    assert not errors
    assert not second_errors
    assert second_written == [0]
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 1
