"""The email outbox screen and `flask --app wsgi send-mail`."""

from __future__ import annotations

import functools
import hashlib
import re
import smtplib

import pytest

from core import mail
from core.models import OutboxEmail
from tests.factories import make_staff

SECRET_BODY = "the-body-with-a-secret-link-ABC123"


class FakeSMTP:
    """Stands in for smtplib.SMTP; refuses addresses in ``refuse``."""

    sent: list[str] = []
    refuse: set[str] = set()

    def __init__(self, host, port, timeout=None):
        self.host, self.port = host, port

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        pass

    def login(self, user, password):
        pass

    def send_message(self, message):
        if message["To"] in self.refuse:
            raise smtplib.SMTPRecipientsRefused({message["To"]: (550, b"no such user")})
        self.sent.append(message["To"])


@pytest.fixture
def fake_smtp(app, monkeypatch):
    FakeSMTP.sent = []
    FakeSMTP.refuse = set()
    app.config["SMTP_HOST"] = "smtp.example.org"
    monkeypatch.setattr(mail, "send_pending", functools.partial(mail.send_pending, smtp_factory=FakeSMTP))
    return FakeSMTP


def queue(db, count, **kwargs):
    for n in range(count):
        mail.queue(f"person{n}@example.org", f"Subject {n}", SECRET_BODY, kind="invitation", **kwargs)
    db.session.commit()


def test_lists_emails_but_never_the_body(client, db, login_as):
    login_as("admin")
    queue(db, 2)
    response = client.get("/admin/outbox")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "person0@example.org" in page
    assert "Subject 1" in page
    assert "Invitation" in page
    assert "Waiting" in page
    assert SECRET_BODY not in page
    assert "flask --app wsgi send-mail" in page
    assert "SMTP_HOST" in page
    assert re.search(r"<caption[ >]", page), "the table has a caption"


def test_pages_and_states(app, client, db, login_as):
    login_as("admin")
    queue(db, 3)
    sent = db.session.query(OutboxEmail).filter_by(to_address="person0@example.org").one()
    sent.sent_at = sent.created_at
    sent.attempts = 1
    failed = db.session.query(OutboxEmail).filter_by(to_address="person1@example.org").one()
    failed.attempts = mail.MAX_ATTEMPTS
    failed.last_error = "SMTPRecipientsRefused"
    db.session.commit()

    app.config["PAGE_SIZE"] = 2
    first = client.get("/admin/outbox").get_data(as_text=True)
    assert "Showing 1 to 2 of 3." in first
    only_sent = client.get("/admin/outbox?state=sent").get_data(as_text=True)
    assert "person0@example.org" in only_sent
    assert "person1@example.org" not in only_sent
    only_failed = client.get("/admin/outbox?state=failed").get_data(as_text=True)
    assert "person1@example.org" in only_failed
    assert "SMTPRecipientsRefused" in only_failed
    waiting = client.get("/admin/outbox?state=waiting").get_data(as_text=True)
    assert "person2@example.org" in waiting
    assert "person0@example.org" not in waiting
    assert client.get("/admin/outbox?state=bogus&page=x").status_code == 200


def test_empty_outbox_explains_itself(client, login_as):
    login_as("admin")
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "No emails here" in page


def test_send_mail_sends_and_marks_messages_sent(runner, db, fake_smtp):
    queue(db, 2)
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output
    assert "Sent 2, failed 0." in result.output
    assert sorted(fake_smtp.sent) == ["person0@example.org", "person1@example.org"]
    db.session.expire_all()
    for message in db.session.query(OutboxEmail):
        assert message.sent_at is not None
        assert message.attempts == 1
    again = runner.invoke(args=["send-mail"])
    assert "Sent 0, failed 0." in again.output
    assert len(fake_smtp.sent) == 2


def test_send_mail_records_a_failure(runner, db, fake_smtp):
    queue(db, 2)
    fake_smtp.refuse = {"person1@example.org"}
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 1
    assert "Sent 1, failed 1." in result.output
    db.session.expire_all()
    refused = db.session.query(OutboxEmail).filter_by(to_address="person1@example.org").one()
    assert refused.sent_at is None
    assert refused.attempts == 1
    assert refused.last_error == "SMTPRecipientsRefused"


def test_send_mail_without_smtp_host_says_so(app, runner, db):
    app.config["SMTP_HOST"] = ""
    queue(db, 3)
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code != 0
    assert "SMTP_HOST is not set; 3 email(s) wait in the outbox." in result.output


def test_invitations_from_the_admin_screens_are_sent(client, runner, db, login_as, fake_smtp):
    login_as("admin")
    boss = make_staff("supervisor")
    db.session.commit()
    client.post("/admin/staff/invite", data={"name": "New Person", "email": "new@example.org", "roles": ["peer"],
                                             "program": "", "supervisor": str(boss.id)})
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output
    assert fake_smtp.sent == ["new@example.org"]
    page = client.get("/admin/outbox?state=sent").get_data(as_text=True)
    assert "new@example.org" in page


class RecordingSMTP(FakeSMTP):
    """Also keeps the text of every message it sends."""

    bodies: list[str] = []

    def send_message(self, message):
        super().send_message(message)
        self.bodies.append(message.get_content())


def test_a_sent_email_keeps_only_the_hash_of_its_links(app, runner, db, monkeypatch):
    """A personal link (a survey's, an account invitation's) is a secret: it goes out in the email, and the stored
    body keeps only its SHA-256 from then on. A message still waiting keeps its link, so it can still be sent."""
    link = "https://peerworks.example/readiness/survey/PersonalToken_ABC-123"
    body = f"Hello,\n\nOpen this link, which is only for you:\n\n{link}\n\nThank you.\n"
    mail.queue("person@example.org", "A survey", body, kind="survey")
    mail.queue("later@example.org", "A survey", body.replace("ABC", "XYZ"), kind="survey")
    db.session.commit()
    RecordingSMTP.sent, RecordingSMTP.refuse, RecordingSMTP.bodies = [], {"later@example.org"}, []
    app.config["SMTP_HOST"] = "smtp.example.org"
    monkeypatch.setattr(mail, "send_pending", functools.partial(mail.send_pending, smtp_factory=RecordingSMTP))

    runner.invoke(args=["send-mail"])

    assert link in RecordingSMTP.bodies[0], "the person got their link"
    db.session.expire_all()
    sent = db.session.query(OutboxEmail).filter_by(to_address="person@example.org").one()
    assert "PersonalToken" not in sent.body
    assert "https://" not in sent.body
    assert hashlib.sha256(link.encode()).hexdigest() in sent.body
    assert sent.body.startswith("Hello,\n\nOpen this link, which is only for you:\n\n[link removed once sent; SHA-256 ")
    waiting = db.session.query(OutboxEmail).filter_by(to_address="later@example.org").one()
    assert "PersonalToken_XYZ-123" in waiting.body, "not sent yet: the link is kept for the next try"

    for _ in range(mail.MAX_ATTEMPTS - 1):  # refused every time, until it is given up on
        runner.invoke(args=["send-mail"])
    db.session.expire_all()
    given_up = db.session.query(OutboxEmail).filter_by(to_address="later@example.org").one()
    assert given_up.attempts == mail.MAX_ATTEMPTS
    assert "PersonalToken" not in given_up.body, "never to be sent: the link is not kept either"
