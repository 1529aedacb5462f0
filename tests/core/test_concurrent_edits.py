"""200 pairs of people saving the same record at the same moment: no update is ever lost.

Each pair is two threads, each with its own browser and its own database connection (commits are real: a SQLite
file, or PostgreSQL), loading the same record's edit form at the same version, waiting for each other, then saving
different words. Exactly one save of each pair goes through; the other answers 409 with the words typed in it still
in the form and a sentence saying how to save them again; the record holds the winner's words and its version moved
on by one. The pairs are spread over several kinds of editable record (core/edits.py's version column).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from caseload.models import PeerGroup, Resource
from core import edits
from core.app import create_app
from core.errors import StaleEdit
from core.extensions import db
from core.models import Team
from tests.conftest import ON_POSTGRES
from tests.conftest import testing_config as _testing_config
from tests.core.test_stale_edits import forms_on
from tests.factories import make_peer_group, make_program, make_resource, make_staff, make_team, start_session

pytestmark = pytest.mark.real_commits

PAIRS = 200
SAVE_AGAIN = re.compile(r"save (?:it )?again", re.IGNORECASE)  # the page says how to re-apply the kept words


@pytest.fixture
def racing_app(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """An app whose threads each get their own connection: PostgreSQL's real_commits app, or a SQLite file (the
    tests' in-memory SQLite has one connection for everyone)."""
    if ON_POSTGRES:
        yield request.getfixturevalue("app")
        return
    monkeypatch.setenv("PEERWORKS_INSTANCE", str(tmp_path))
    config = _testing_config(f"sqlite:///{tmp_path / 'race.sqlite3'}", tmp_path)
    config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True, "connect_args": {"check_same_thread": False}}
    application = create_app(config)
    with application.app_context():
        db.create_all()
        yield application
        db.session.remove()
        db.engine.dispose()


@dataclass(frozen=True)
class Kind:
    """One kind of editable record: where its edit form is, and how to read the saved words back."""

    model: type
    edit_url: str  # with {id}
    field: str
    read: Callable[[object], str]


KINDS = [
    Kind(Team, "/admin/teams/{id}/rename", "name", lambda record: record.name),
    Kind(Resource, "/caseload/resources/{id}/edit", "name", lambda record: record.name),
    Kind(PeerGroup, "/caseload/groups/{id}/edit", "name", lambda record: record.name),
]


def _browser(app: Flask, token: str) -> FlaskClient:
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
    return client


def _tab(client: FlaskClient, url: str, field: str, words: str, ready: threading.Barrier) -> tuple[int, str]:
    """One person's tab: load the form, wait for the other tab to have loaded it too, save ``words``."""
    page = client.get(url)
    assert page.status_code == 200, url
    [form] = [form for form in forms_on(page.get_data(as_text=True)) if form.version_field]
    ready.wait(timeout=30)
    saved = client.post(url, data=form.data({field: words}))
    return saved.status_code, saved.get_data(as_text=True)


def _counting_races(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Saves refused by the database's version check (``StaleDataError``): both tabs had passed the form's check,
    so the two saves really overlapped."""
    caught: list[str] = []
    for name in ("flush", "commit"):
        real = getattr(edits, name)

        def counted(real: Callable[[], None] = real, name: str = name) -> None:
            try:
                real()
            except StaleEdit:
                caught.append(name)
                raise

        monkeypatch.setattr(edits, name, counted)
    return caught


def test_two_hundred_simultaneous_edit_pairs_lose_no_update(racing_app: Flask, monkeypatch: pytest.MonkeyPatch):
    app = racing_app
    overlapped = _counting_races(monkeypatch)
    with app.app_context():
        program = make_program("CRP", "Community Reintegration Program")
        team = make_team(program, "Day program")
        editor = make_staff("admin", "supervisor", "peer", program=program, teams=[team])
        records = {
            Team: make_team(program, "Referral intake").id,
            Resource: make_resource(editor, name="Main Street YMCA").id,
            PeerGroup: make_peer_group(editor, name="Tuesday WRAP group").id,
        }
        db.session.commit()
        tokens = [start_session(editor), start_session(editor)]  # two tabs, or two people: two sign-ins
        db.session.remove()
    browsers = [_browser(app, token) for token in tokens]

    wins = {kind.model: 0 for kind in KINDS}
    problems: list[str] = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        for pair in range(PAIRS):
            kind = KINDS[pair % len(KINDS)]
            record_id = records[kind.model]
            url = kind.edit_url.format(id=record_id)
            with app.app_context():
                before = db.session.get(kind.model, record_id).version
                db.session.remove()
            words = [f"Pair {pair} tab A", f"Pair {pair} tab B"]
            ready = threading.Barrier(2)
            answers = list(pool.map(_tab, browsers, [url] * 2, [kind.field] * 2, words, [ready] * 2))
            statuses = sorted(status for status, _page in answers)
            if statuses != [302, 409]:
                problems.append(f"pair {pair} on {url}: answered {statuses}")
                continue
            winner = next(tab for tab in (0, 1) if answers[tab][0] == 302)
            loser_page = unescape(answers[1 - winner][1])
            with app.app_context():
                record = db.session.get(kind.model, record_id)
                saved, version = kind.read(record), record.version
                db.session.remove()
            if saved != words[winner] or version != before + 1:
                problems.append(f"pair {pair} on {url}: saved {saved!r} at version {version}, "
                                f"expected {words[winner]!r} at {before + 1}")
            if f'value="{words[1 - winner]}"' not in loser_page:
                problems.append(f"pair {pair} on {url}: the 409 page lost the words typed")
            if not SAVE_AGAIN.search(loser_page):
                problems.append(f"pair {pair} on {url}: the 409 page does not say how to save the words again")
            wins[kind.model] += 1
    assert not problems, "\n".join(problems[:20])
    assert sum(wins.values()) == PAIRS
    print(f"\n{PAIRS} pairs, no update lost; {len(overlapped)} losers passed the form's version check and were "
          "stopped by the database's")  # shown with -s
