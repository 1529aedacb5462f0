"""What the benchmarks share: a throwaway app and database, a signed-in test client, counting SQL statements, timing
a page, bulk inserts, counting a PDF's pages.

Each script in bench/ builds its own data and says what it measures; the plumbing around that lives here so every
script times pages, counts queries and builds its app the same way.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import event, insert, inspect, text  # noqa: E402

from core.app import create_app  # noqa: E402
from core.extensions import db  # noqa: E402

CHUNK = 5_000
SECRET_KEY = "bench-secret-key"
# The sign-in session's last-seen minute is written by the first request of each minute, whatever the page
# (core.sessions, as in tests/queries.py): left out of the counts so two counts either side of a minute agree.
MINUTE_TOUCH = "UPDATE core_auth_session SET last_seen_at="


def make_app(url: str, instance: Path, **extra: object) -> Flask:
    """The app on ``url`` with its instance folder at ``instance``; CSRF and rate limits off, as in the tests."""
    os.environ["PEERWORKS_INSTANCE"] = str(instance)
    instance.mkdir(parents=True, exist_ok=True)
    return create_app({
        "TESTING": True, "SECRET_KEY": SECRET_KEY, "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "SERVER_NAME": None, **extra,
    })


def sqlite_url(folder: Path, name: str = "bench") -> str:
    return f"sqlite:///{Path(folder) / f'{name}.sqlite'}"


def empty(app: Flask) -> bool:
    with app.app_context():
        return not inspect(db.engine).get_table_names()


@contextmanager
def throwaway_tables(app: Flask) -> Iterator[None]:
    """Inside an app context: the tables created in an empty database, dropped (and the engine let go) after."""
    with app.app_context():
        if inspect(db.engine).get_table_names():
            raise SystemExit("The database is not empty: give an empty throwaway database.")
        db.create_all()
        try:
            yield
        finally:
            db.session.remove()
            db.drop_all()
            db.engine.dispose()


def analyze() -> None:
    """Fresh planner statistics on PostgreSQL (as autovacuum would have them); nothing to do on SQLite."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))


def insert_rows(model: Any, rows: Sequence[dict[str, Any]], chunk: int = CHUNK) -> None:
    """Bulk insert, a chunk at a time (SQLite's bound-parameter limit; memory)."""
    for start in range(0, len(rows), chunk):
        db.session.execute(insert(model), rows[start : start + chunk])


def signed_in(app: Flask, token: str) -> FlaskClient:
    """A test client signed in with the session token ``core.sessions.start`` returned."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
    return client


@contextmanager
def counting(app: Flask | None = None, *, with_session_touch: bool = False) -> Iterator[list[str]]:
    """The SQL statements the engine runs inside the block (the once-a-minute session touch left out)."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if with_session_touch or not statement.startswith(MINUTE_TOUCH):
            statements.append(statement)

    if app is not None:
        with app.app_context():
            engine = db.engine
    else:
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


@dataclass(frozen=True)
class Timing:
    median: float  # seconds
    queries: int  # SQL statements of one request
    status: int  # HTTP status of the warm-up request


def time_page(app: Flask, token: str, path: str, runs: int = 7) -> Timing:
    """Median seconds over ``runs`` requests (after one warm-up), the queries of one request, and its status.

    Each request runs in an app context of its own, as under a real server: its own ``g`` (so the signed-in person
    is the one this token names, not whoever an earlier request loaded) and its own database session (nothing
    loaded by an earlier request is reused)."""
    client = signed_in(app, token)

    def get() -> int:
        with app.app_context():
            return client.get(path).status_code

    status = get()  # warm-up: templates compiled, caches filled
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        get()
        times.append(time.perf_counter() - started)
    with counting(app) as statements:
        get()
    return Timing(statistics.median(times), len(statements), status)


def ratio_line(small: Timing, large: Timing, target: float = 2) -> tuple[float, str, str]:
    """The time ratio and the two printed verdict lines every small-against-large script prints."""
    ratio = large.median / small.median if small.median else float("inf")
    return (
        ratio,
        f"time ratio: {ratio:.2f}x (target at most {target:g}x) {'OK' if ratio <= target else 'OVER TARGET'}",
        f"queries: {small.queries} and {large.queries} (target equal) "
        f"{'OK' if small.queries == large.queries else 'DIFFERENT'}",
    )


def pdf_pages(data: bytes) -> int:
    """A PDF's pages, from poppler's pdfinfo, or by counting its page objects when pdfinfo is not installed."""
    try:
        done = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, check=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return len(re.findall(rb"/Type\s*/Page[^s]", data))
    found = re.search(rb"Pages:\s+(\d+)", done.stdout)
    return int(found.group(1)) if found else 0


def timed(make: Any) -> float:
    started = time.perf_counter()
    make()
    return time.perf_counter() - started
