"""Two `flask training remind` runs at the same moment (two threads, each on its own database connection, as two
app servers would be) send each reminder once: the unique (certification, date) row lets only one of them claim it.
Real commits, on SQLite (a file two connections share) and on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.pool import StaticPool

from core.app import create_app
from core.extensions import db
from core.models import Notification, OutboxEmail, Role
from tests import factories
from tests.conftest import ON_POSTGRES
from tests.training.helpers import certify, make_credential
from training.models import Reminder
from training.services import reminders


def _config(url: str) -> dict[str, Any]:
    config: dict[str, Any] = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": None,
    }
    if url == "sqlite://":
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
    return config


def _race(app: Flask, frozen_time: Any) -> None:
    frozen_time.at("2026-12-24 07:00")
    people = []
    credential = make_credential(grace_days=0)
    supervisor = factories.make_staff(Role.SUPERVISOR)
    for n in range(6):
        person = factories.make_staff(Role.PEER, supervisor=supervisor)
        certify(person, credential, date(2025, 1, 1), date(2026, 12, 28 + n % 3))
        people.append(person)
    db.session.commit()
    ready = threading.Barrier(2, timeout=30)
    sent: list[int] = []
    failures: list[BaseException] = []

    def run_once() -> None:
        with app.app_context():
            try:
                found = reminders.due()
                ready.wait()  # both runs found the same six reminders due before either sent one
                count = 0
                for reminder in found:
                    count += reminders.send(reminder)
                    db.session.commit()
                sent.append(count)
            except BaseException as error:  # reported below
                failures.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run_once) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    assert sum(sent) == 6, sent
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Reminder)) == 6
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 12  # each peer and the supervisor
    assert db.session.scalar(select(func.count()).select_from(OutboxEmail)) == 12


@pytest.mark.skipif(not ON_POSTGRES, reason="needs two real connections to PostgreSQL")
@pytest.mark.real_commits
def test_two_runs_at_once_send_each_reminder_once_on_postgres(app, frozen_time):
    _race(app, frozen_time)


@pytest.mark.skipif(ON_POSTGRES, reason="an SQLite file with two connections")
@pytest.mark.real_commits
def test_two_runs_at_once_send_each_reminder_once_on_sqlite(app, tmp_path, frozen_time):
    fresh = create_app(_config(f"sqlite:///{tmp_path / 'race.sqlite3'}"))  # a real pool: a connection a thread
    with fresh.app_context():
        db.create_all()
        try:
            _race(fresh, frozen_time)
        finally:
            db.session.remove()
            db.engine.dispose()
