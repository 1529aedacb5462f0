"""Speed benchmark for the signed-in request path: what does being signed in cost a page?

Builds a small agency in a throwaway database (a supervised peer specialist in one team, with clients assigned and
unread notifications), then, through the Flask test client (each request in its own app context, as under a real
server), requests

* ``GET /login`` anonymously (the cheapest page: no session, no person),
* ``GET /`` signed in (the home page: the session, the person, the menu),
* ``GET /caseload/clients`` signed in (a list page),

and prints for each the requests per second (median of 7 rounds of 10 requests, the pages taking turns within each
round), the SQL queries of one request, and how many times slower than the anonymous sign-in page it is (the median
of the rounds' ratios). The home page is also measured with ``last_seen_at`` written on every request, the path a
request takes when it is the person's first in a new minute (``SESSION_SEEN_STEP``).

    .venv/bin/python bench/signed_in_requests.py
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/peerworks_bench \\
        .venv/bin/python bench/signed_in_requests.py

Not a test: it prints numbers and never fails a build. The PostgreSQL database must be an empty throwaway one: the
script creates the tables and drops them at the end.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import inspect  # noqa: E402

from bench.common import counting, make_app, signed_in, sqlite_url  # noqa: E402
from caseload.models import Assignment, Client  # noqa: E402
from core import sessions  # noqa: E402
from core.extensions import db  # noqa: E402
from core.models import Notification, Program, Role, Staff, StaffStatus, Team  # noqa: E402

ROUNDS = 7
BATCH = 10
SEEN_STEP = timedelta(minutes=1)  # core.config's SESSION_SEEN_STEP
EVERY_REQUEST = timedelta(microseconds=1)  # a step so small that every request is in a new one: always written
CLIENTS = 12


def build_agency() -> str:
    """A peer specialist with a supervisor, a team, assigned clients and unread notifications; their session token."""
    program = Program(code="BEN", name="Bench program")
    team = Team(program=program, name="Bench team")
    supervisor = Staff(email="supervisor@bench.example", name="Supervisor", status=StaffStatus.ACTIVE, teams=[team])
    supervisor.set_roles({Role.SUPERVISOR})
    peer = Staff(email="peer@bench.example", name="Peer", status=StaffStatus.ACTIVE, teams=[team],
                 program=program, supervisor=supervisor)
    peer.set_roles({Role.PEER})
    db.session.add_all([program, team, supervisor, peer])
    db.session.flush()
    for n in range(CLIENTS):
        client = Client(name=f"Client {n}", date_of_birth=date(1980, 1, 1 + n), program=program)
        db.session.add(client)
        db.session.flush()
        db.session.add(Assignment(client_id=client.id, staff_id=peer.id, kind="peer"))
    db.session.add_all(Notification(staff_id=peer.id, text=f"Note {n}", link="/") for n in range(3))
    token = sessions.start(peer)
    db.session.commit()
    return token


@dataclass
class Page:
    name: str
    client: FlaskClient
    path: str
    seen_step: timedelta = SEEN_STEP
    rates: list[float] = field(default_factory=list)

    def batch(self, app: Flask) -> None:
        """BATCH requests, timed; last_seen_at written as often as this page says."""
        app.config["SESSION_SEEN_STEP"] = self.seen_step
        try:
            started = time.perf_counter()
            for _ in range(BATCH):
                self.client.get(self.path)
            self.rates.append(BATCH / (time.perf_counter() - started))
        finally:
            app.config["SESSION_SEEN_STEP"] = SEEN_STEP


def queries_and_status(app: Flask, page: Page) -> tuple[int, int]:
    app.config["SESSION_SEEN_STEP"] = page.seen_step
    try:
        with counting(app, with_session_touch=True) as statements:
            status = page.client.get(page.path).status_code
    finally:
        app.config["SESSION_SEEN_STEP"] = SEEN_STEP
    return len(statements), status


def run(label: str, url: str, instance: Path) -> None:
    print(f"\n{label}: {url.split('@')[-1]}")
    app = make_app(url, instance)
    with app.app_context():
        if inspect(db.engine).get_table_names():
            print("  The database is not empty: give an empty throwaway database. Skipped.")
            return
        db.create_all()
        token = build_agency()
    try:
        client = signed_in(app, token)
        baseline = Page("GET /login, anonymous", app.test_client(), "/login")
        pages = [
            baseline,
            Page("GET /, signed in", client, "/"),
            Page("GET /caseload/clients, signed in", client, "/caseload/clients"),
            Page("GET /, signed in, last_seen_at written", client, "/", seen_step=EVERY_REQUEST),
        ]
        for page in pages:
            page.client.get(page.path)  # warm-up: templates compiled, connections opened
        # The pages take turns in every round, so a busy moment on the machine slows them all alike.
        for _ in range(ROUNDS):
            for page in pages:
                page.batch(app)
        for page in pages:
            queries, status = queries_and_status(app, page)
            line = (f"  {page.name:<42} {statistics.median(page.rates):6.0f} req/s  {queries:2} queries  "
                    f"HTTP {status}")
            if page is not baseline:
                ratio = statistics.median(b / p for b, p in zip(baseline.rates, page.rates, strict=True))
                line += f"  {ratio:5.2f}x slower than /login"
            print(line)
    finally:
        with app.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="peerworks-bench-") as folder:
        instance = Path(folder) / "instance"
        instance.mkdir()
        run("SQLite", sqlite_url(Path(folder)), instance)
        postgres = os.environ.get("BENCH_DATABASE_URL")
        if postgres:
            run("PostgreSQL", postgres, instance)
        else:
            print("\nPostgreSQL: skipped (set BENCH_DATABASE_URL to an empty throwaway database to include it)")
        print("\nRead the ratios and the query counts; requests per second vary between machines and runs.")


if __name__ == "__main__":
    main()
