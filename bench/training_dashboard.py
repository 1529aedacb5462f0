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
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select, true  # noqa: E402

from bench.common import (  # noqa: E402
    Timing,
    analyze,
    insert_rows,
    make_app,
    ratio_line,
    sqlite_url,
    throwaway_tables,
    time_page,
)
from core import credentials, sessions, timeutil  # noqa: E402
from core.extensions import db  # noqa: E402
from core.models import Program, Role, Staff, StaffRole, StaffStatus  # noqa: E402
from training.models import CeEntry, Certification, Cycle  # noqa: E402
from training.services import progress  # noqa: E402
from training.services.dates import grace_end  # noqa: E402

SIZES = ((500, 10_000), (5_000, 100_000))
RUNS = 7
PAGES = ("/training/dashboard", "/training/dashboard?show=behind")
CATEGORIES = ("ethics", "cultural", "recovery", "trauma", "co_occurring", "general")
FORMATS = ("in_person", "live_online", "self_paced")


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
    insert_rows(Staff, staff_rows)
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
    insert_rows(Certification, certs)
    insert_rows(Cycle, cycles)
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
    insert_rows(CeEntry, entries)
    started = time.perf_counter()
    refreshed = progress.refresh(true())
    db.session.commit()
    print(
        f"  {staff_count:,} staff, {entry_count:,} CE entries; {refreshed:,} cycles' totals worked out in "
        f"{time.perf_counter() - started:.1f} s"
    )
    return hr


def run_size(url: str, instance: Path, staff_count: int, entry_count: int, runs: int = RUNS) -> dict[str, Timing]:
    app = make_app(url, instance)
    with throwaway_tables(app):
        hr = build(staff_count, entry_count, random.Random(12))
        token = sessions.start(hr)
        db.session.commit()
        analyze()
        return {path: time_page(app, token, path, runs) for path in PAGES}


def collect(
    urls: list[str], instance: Path, sizes: tuple[tuple[int, int], ...] = SIZES, runs: int = RUNS
) -> list[dict[str, Timing]]:
    """Each size built in its own empty database (``urls``, one a size); each page's timing at each size."""
    return [run_size(url, instance, staff, entries, runs) for url, (staff, entries) in zip(urls, sizes, strict=True)]


def run(label: str, urls: list[str], instance: Path) -> None:
    print(f"\n{label}")
    measured = collect(urls, instance)
    for path in PAGES:
        print(f"  page {path}")
        for (staff, _entries), found in zip(SIZES, measured, strict=True):
            timing = found[path]
            print(f"    {staff:>6,} staff: median {timing.median * 1000:8.1f} ms, {timing.queries} queries, "
                  f"HTTP {timing.status}")
        _ratio, time_verdict, query_verdict = ratio_line(measured[0][path], measured[-1][path])
        print(f"    {time_verdict}")
        print(f"    {query_verdict}")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="peerworks-bench-") as folder:
        instance = Path(folder) / "instance"
        run("SQLite", [sqlite_url(Path(folder), f"bench{n}") for n in range(len(SIZES))], instance)
        url = os.environ.get("BENCH_DATABASE_URL", "")
        if url:
            run("PostgreSQL", [url] * len(SIZES), instance)


if __name__ == "__main__":
    main()
