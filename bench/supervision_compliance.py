"""Speed benchmark for supervision's compliance view: does it cost the same for 200 supervisors and 2,000 peer
specialists as for a tenth of that, each with three years of sessions?

Builds one agency per size in its own throwaway database: 20 supervisors with 200 peers, and 200 supervisors with
2,000 peers (ten each), every peer with a one-to-one session most months and a monthly group session with their
supervisor's other peers, for three years (about 8,000 sessions and 14,000 attendances at the small size, 80,000
and 140,000 at the large), inserted in bulk, with the agency's rule and a credential rule that a third of the peers
follow. It times, through the Flask test client:

* HR: ``GET /supervision/compliance`` (everyone, the first page), and the same filtered to one supervisor (their
  name typed in the search box);
* a supervisor: ``GET /supervision/compliance`` (their own peers).

several times at each size. Prints the median times, their ratio (target: at most 2) and the number of SQL queries
at each size (target: equal). Not a test: it prints numbers and never fails a build.

    .venv/bin/python bench/supervision_compliance.py
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/peerworks_bench \\
        .venv/bin/python bench/supervision_compliance.py

The PostgreSQL database must be an empty throwaway one: the script creates the tables and drops them after each
size.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
from datetime import date, datetime, timedelta
from datetime import time as time_of_day
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402

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
from core import sessions, timeutil  # noqa: E402
from core.extensions import db  # noqa: E402
from core.models import CredentialType, Role, Staff, StaffRole, StaffStatus  # noqa: E402
from supervision.models import Attendee, Meeting, Requirement  # noqa: E402
from supervision.services.hours import add_months  # noqa: E402
from training.models import Certification  # noqa: E402

SIZES = ((20, 200), (200, 2_000))
MONTHS = 36
RUNS = 7


def _people(count: int, prefix: str, role: str, supervisors: list[int] | None) -> list[int]:
    now = timeutil.utcnow()
    rows = [
        {
            "email": f"{prefix}{n}@bench.example",
            "name": f"{prefix.upper()} {n:05d}",
            "job_title": role,
            "status": StaffStatus.ACTIVE,
            "supervisor_id": supervisors[n // 10] if supervisors else None,
            "failed_signins": 0,
            "created_at": now - timedelta(days=4 * 365),
            "version": 1,
        }
        for n in range(count)
    ]
    insert_rows(Staff, rows)
    mine = Staff.email.like(f"{prefix}%@bench.example")
    ids = list(db.session.scalars(select(Staff.id).where(mine).order_by(Staff.id)))
    db.session.execute(insert(StaffRole), [{"staff_id": i, "role": role} for i in ids])
    return ids


def build(supervisor_count: int, peer_count: int, rng: random.Random) -> tuple[Staff, Staff]:
    hr = Staff(email="hr@bench.example", name="HR bench", status=StaffStatus.ACTIVE)
    hr.set_roles({Role.HR})
    db.session.add(hr)
    credential = CredentialType(name="Bench credential")
    db.session.add(credential)
    db.session.flush()
    db.session.add_all([
        Requirement(credential_type_id=None, monthly_minutes=120, one_to_one_minutes=60),
        Requirement(credential_type_id=credential.id, monthly_minutes=180, one_to_one_minutes=60),
    ])
    bosses = _people(supervisor_count, "s", "supervisor", None)
    peers = _people(peer_count, "p", "peer", bosses)
    today = timeutil.today()
    db.session.execute(insert(Certification), [
        {"staff_id": staff_id, "credential_type_id": credential.id, "number": "N", "issued_on": today - timedelta(700),
         "expires_on": today + timedelta(30), "grace_ends_on": today + timedelta(30), "provisional": False,
         "hold": "none", "hold_note": "", "version": 1}
        for staff_id in peers[::3]
    ])
    first = add_months(today.replace(day=1), -MONTHS)
    meetings: list[dict[str, Any]] = []
    attendance: list[tuple[int, int]] = []  # (meeting number, staff id)
    for month_number in range(MONTHS + 1):
        month = add_months(first, month_number)
        for index, boss in enumerate(bosses):
            team = peers[index * 10 : index * 10 + 10]
            day = month.replace(day=5)
            meetings.append(_meeting(boss, "group", day, 90))
            attendance.extend((len(meetings), staff_id) for staff_id in team)
            for offset, staff_id in enumerate(team):
                if rng.random() < 0.85:
                    meetings.append(_meeting(boss, "one_to_one", month.replace(day=10 + offset), 60))
                    attendance.append((len(meetings), staff_id))
    start_id = (db.session.scalar(select(Meeting.id).order_by(Meeting.id.desc()).limit(1)) or 0) + 1
    for n, row in enumerate(meetings):
        row["id"] = start_id + n
    insert_rows(Meeting, meetings)
    rows = [{"meeting_id": start_id + number - 1, "staff_id": staff_id, "private_note": "", "version": 1}
            for number, staff_id in attendance]
    insert_rows(Attendee, rows)
    db.session.commit()
    print(f"  {supervisor_count:,} supervisors, {peer_count:,} peers: {len(meetings):,} sessions, "
          f"{len(rows):,} attendances")
    return hr, db.session.get(Staff, bosses[0])


def _meeting(boss: int, kind: str, day: date, minutes: int) -> dict[str, Any]:
    at = datetime.combine(day, time_of_day(15))  # stored UTC; the agency's day is the same
    return {"supervisor_id": boss, "kind": kind, "format": "in_person", "held_at": at, "held_on": day,
            "held_month": day.replace(day=1), "duration_minutes": minutes, "topics": "", "notes": "",
            "decisions": "", "revision": 1, "created_at": at, "updated_at": at, "version": 1}


PAGES = ("HR: everyone", "HR: one supervisor", "supervisor: own peers")


def run_size(url: str, instance: Path, supervisors: int, peers: int, runs: int = RUNS) -> dict[str, Timing]:
    app = make_app(url, instance)
    with throwaway_tables(app):
        hr, boss = build(supervisors, peers, random.Random(13))
        hr_token, boss_token, boss_name = sessions.start(hr), sessions.start(boss), boss.name
        db.session.commit()
        analyze()
        return {
            PAGES[0]: time_page(app, hr_token, "/supervision/compliance", runs),
            PAGES[1]: time_page(app, hr_token, f"/supervision/compliance?{urlencode({'supervisor': boss_name})}", runs),
            PAGES[2]: time_page(app, boss_token, "/supervision/compliance", runs),
        }


def collect(
    urls: list[str], instance: Path, sizes: tuple[tuple[int, int], ...] = SIZES, runs: int = RUNS
) -> list[dict[str, Timing]]:
    """Each size built in its own empty database (``urls``, one a size); each page's timing at each size."""
    return [run_size(url, instance, s, p, runs) for url, (s, p) in zip(urls, sizes, strict=True)]


def run(label: str, urls: list[str], instance: Path) -> None:
    print(f"\n{label}")
    measured = collect(urls, instance)
    for name in PAGES:
        print(f"  {name}")
        for (_s, peers), found in zip(SIZES, measured, strict=True):
            timing = found[name]
            print(f"    {peers:>6,} peers: median {timing.median * 1000:8.1f} ms, {timing.queries} queries, "
                  f"HTTP {timing.status}")
        _ratio, time_verdict, query_verdict = ratio_line(measured[0][name], measured[-1][name])
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
