"""Speed benchmark for training's expiry dashboard: does it cost the same at 500 staff and at 5,000?

Builds one agency per size in its own throwaway database: 500 staff with 10,000 CE entries, and 5,000 staff with
100,000 CE entries (every staff member a certification on one of three credentials, expiry dates spread over the
past and next two years, every status present, entries approved, waiting and returned, some repeated courses),
inserted in bulk, then the stored CE totals of every cycle worked out once (``training.services.progress.refresh``,
as approvals keep them in real use). It signs in as HR through the Flask test client and times

* ``GET /training/dashboard`` (the counts and the first page),
* ``GET /training/dashboard?show=behind`` (the CE-behind-schedule list),

several times at each size. Prints the median times, their ratio (target: at most 2) and the number of SQL queries
at each size (target: equal). Not a test: it prints numbers and never fails a build.

    .venv/bin/python bench/training_dashboard.py
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/peerworks_bench \\
        .venv/bin/python bench/training_dashboard.py

The PostgreSQL database must be an empty throwaway one: the script creates the tables and drops them after each
size.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from sqlalchemy import event, insert, inspect, select, text, true  # noqa: E402

from core import credentials, sessions, timeutil  # noqa: E402
from core.app import create_app  # noqa: E402
from core.extensions import db  # noqa: E402
from core.models import Program, Role, Staff, StaffRole, StaffStatus  # noqa: E402
from training.models import CeEntry, Certification, Cycle  # noqa: E402
from training.services import progress  # noqa: E402
from training.services.dates import grace_end  # noqa: E402

SIZES = ((500, 10_000), (5_000, 100_000))
RUNS = 7
CHUNK = 5_000
PAGES = ("/training/dashboard", "/training/dashboard?show=behind")
CATEGORIES = ("ethics", "cultural", "recovery", "trauma", "co_occurring", "general")
FORMATS = ("in_person", "live_online", "self_paced")


def make_app(url: str, instance: Path) -> Flask:
    os.environ["PEERWORKS_INSTANCE"] = str(instance)
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench-secret-key",
            "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "SERVER_NAME": None,
        }
    )


def build(staff_count: int, entry_count: int, rng: random.Random) -> Staff:
    today = timeutil.today()
    added = credentials.add_examples(None)
    programs = [Program(code=f"P{n}", name=f"Program {n}") for n in range(8)]
    db.session.add_all(programs)
    hr = Staff(email="hr@bench.example", name="HR bench", status=StaffStatus.ACTIVE)
    hr.set_roles({Role.HR})
    db.session.add(hr)
    db.session.flush()
    staff_rows = [
        {
            "email": f"p{n}@bench.example",
            "name": f"Person {n:05d}",
            "job_title": "Peer specialist",
            "status": StaffStatus.ACTIVE,
            "program_id": programs[n % 8].id,
            "supervisor_id": None,
            "failed_signins": 0,
            "created_at": timeutil.utcnow(),
            "version": 1,
        }
        for n in range(staff_count)
    ]
    for start in range(0, len(staff_rows), CHUNK):
        db.session.execute(insert(Staff), staff_rows[start : start + CHUNK])
    staff_ids = list(db.session.scalars(select(Staff.id).where(Staff.email.like("p%@bench.example"))))
    db.session.execute(insert(StaffRole), [{"staff_id": i, "role": "peer"} for i in staff_ids])
    certs, cycles = [], []
    for n, staff_id in enumerate(staff_ids):
        credential = added[n % 3]
        expires_on = today + timedelta(days=rng.randint(-200, 730))
        starts_on = expires_on - timedelta(days=729)
        certs.append(
            {
                "id": n + 1,
                "staff_id": staff_id,
                "credential_type_id": credential.id,
                "number": f"N{n}",
                "issued_on": starts_on,
                "expires_on": expires_on,
                "grace_ends_on": grace_end(expires_on, credential.grace_days),
                "provisional": False,
                "provisional_until": None,
                "hold": "suspended" if n % 97 == 0 else "none",
                "hold_note": "",
                "created_at": timeutil.utcnow(),
                "version": 1,
            }
        )
        cycles.append(
            {
                "certification_id": n + 1,
                "number": 1,
                "starts_on": starts_on,
                "ends_on": expires_on,
                "recorded_at": timeutil.utcnow(),
                "logged_qh": 0,
                "counted_qh": 0,
                "missing_qh": 0,
            }
        )
    for start in range(0, len(certs), CHUNK):
        db.session.execute(insert(Certification), certs[start : start + CHUNK])
        db.session.execute(insert(Cycle), cycles[start : start + CHUNK])
    entries = []
    for n in range(entry_count):
        cert = certs[n % len(certs)]
        day = min(cert["issued_on"] + timedelta(days=rng.randint(0, 729)), today)
        title = f"Course {rng.randint(1, 400)}"
        entries.append(
            {
                "staff_id": cert["staff_id"],
                "certification_id": cert["id"],
                "title": title,
                "provider": "Bench provider",
                "approval_number": "",
                "taken_on": day,
                "quarter_hours": rng.choice((2, 4, 6, 8, 12)),
                "category": rng.choice(CATEGORIES),
                "format": rng.choice(FORMATS),
                "course_key": f"{title.lower()}|bench provider",
                "evidence_id": None,
                "status": rng.choice(("approved", "approved", "approved", "submitted", "returned")),
                "return_reason": "",
                "created_at": timeutil.utcnow(),
                "version": 1,
            }
        )
    for start in range(0, len(entries), CHUNK):
        db.session.execute(insert(CeEntry), entries[start : start + CHUNK])
    started = time.perf_counter()
    refreshed = progress.refresh(true())
    db.session.commit()
    print(
        f"  {staff_count:,} staff, {entry_count:,} CE entries; {refreshed:,} cycles' totals worked out in "
        f"{time.perf_counter() - started:.1f} s"
    )
    return hr


def time_page(app: Flask, token: str, path: str) -> tuple[float, int, int]:
    """Median seconds over RUNS requests (after one warm-up), the queries of one request, and its status."""
    queries = 0

    def count(*_args: Any) -> None:
        nonlocal queries
        queries += 1

    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
    status = client.get(path).status_code
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        client.get(path)
        times.append(time.perf_counter() - started)
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return statistics.median(times), queries, status


def run_size(url: str, instance: Path, staff_count: int, entry_count: int) -> dict[str, tuple[float, int, int]]:
    app = make_app(url, instance)
    with app.app_context():
        if inspect(db.engine).get_table_names():
            raise SystemExit("The database is not empty: give an empty throwaway database.")
        db.create_all()
        try:
            hr = build(staff_count, entry_count, random.Random(12))
            token = sessions.start(hr)
            db.session.commit()
            if db.engine.dialect.name == "postgresql":
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                    connection.execute(text("ANALYZE"))
            return {path: time_page(app, token, path) for path in PAGES}
        finally:
            db.session.remove()
            db.drop_all()
            db.engine.dispose()


def run(label: str, urls: list[str], instance: Path) -> None:
    print(f"\n{label}")
    measured = [run_size(url, instance, staff, entries) for url, (staff, entries) in zip(urls, SIZES, strict=True)]
    for path in PAGES:
        print(f"  page {path}")
        for (staff, _entries), found in zip(SIZES, measured, strict=True):
            median, queries, status = found[path]
            print(f"    {staff:>6,} staff: median {median * 1000:8.1f} ms, {queries} queries, HTTP {status}")
        (small, small_q, _), (large, large_q, _) = (found[path] for found in measured)
        ratio = large / small if small else float("inf")
        print(f"    time ratio: {ratio:.2f}x (target at most 2x) {'OK' if ratio <= 2 else 'OVER TARGET'}")
        print(f"    queries: {small_q} and {large_q} (target equal) {'OK' if small_q == large_q else 'DIFFERENT'}")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="peerworks-bench-") as folder:
        instance = Path(folder) / "instance"
        instance.mkdir()
        run("SQLite", [f"sqlite:///{Path(folder) / f'bench{n}.sqlite'}" for n in range(len(SIZES))], instance)
        url = os.environ.get("BENCH_DATABASE_URL", "")
        if url:
            run("PostgreSQL", [url] * len(SIZES), instance)


if __name__ == "__main__":
    main()
