"""What ``core.demo.load`` costs: statements sent, CPU and wall seconds, on a fresh database; and a canonical dump of
what it wrote, to show a change to the loaders leaves the demo data as it was.

    .venv/bin/python -m bench.demo_load [--url URL] [--dump FILE] [--profile N]

The URL is SQLite (a fresh file, schema by ``create_all``, the default) or PostgreSQL (the database is dropped, made
again and built by the migrations, so the audit trigger is there). Passwords are hashed with the tests' fast
parameters, as in the test suite. The dump lists every table's rows sorted; what legitimately varies from one load to
the next (the time of the load, salts, random tokens, the hashes built on them) is replaced by a placeholder.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import os
import pstats
import re
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from core import passwords

VARYING_NAMES = ("hash", "token", "secret", "salt", "nonce", "key_id", "stored_name", "path")
UUID_HEX = re.compile(r"[0-9a-f]{32}")


def _fresh_postgres(url: str) -> None:
    parsed = sa.engine.make_url(url)
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def _value(column: str, value: Any, started: datetime) -> Any:
    if value is None:
        return None
    if any(word in column for word in VARYING_NAMES) and isinstance(value, str | bytes):
        return "<varies>"
    if isinstance(value, datetime):
        naive = value.replace(tzinfo=None)
        if abs(naive - started) < timedelta(minutes=10):
            return "<now>"
        if naive.second == 0 and naive.microsecond == 0:  # set from the day: as it is
            return naive.isoformat()
        return f"<now{round((naive - started).total_seconds() / 3600)}h>"  # now less some days
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, str) and "/invite/" in value:
        return re.sub(r"/invite/\S+", "/invite/<token>", value)
    return value


def _name_random_ids(found: dict[str, list[list[Any]]]) -> dict[str, list[list[Any]]]:
    """Random ids (uuid4 hex: the anonymous survey responses) named by everything that refers to them instead."""
    uses: dict[str, list[str]] = {}
    for table, rows in found.items():
        for row in rows:
            for value in row:
                if isinstance(value, str) and UUID_HEX.fullmatch(value):
                    uses.setdefault(value, []).append(table + json.dumps([v if v != value else "*" for v in row]))
    names = {key: hashlib.sha256("\n".join(sorted(rows)).encode()).hexdigest()[:12] for key, rows in uses.items()}
    return {
        table: [[f"<id {names[v]}>" if isinstance(v, str) and v in names else v for v in row] for row in rows]
        for table, rows in found.items()
    }


def dump(db: Any, started: datetime) -> dict[str, list[list[Any]]]:
    found: dict[str, list[list[Any]]] = {}
    for table in sorted(db.metadata.tables.values(), key=lambda t: t.name):
        rows = db.session.execute(sa.select(table)).all()
        names = [column.name for column in table.columns]
        cleaned = [[_value(name, value, started) for name, value in zip(names, row, strict=True)] for row in rows]
        found[table.name] = cleaned
    found = _name_random_ids(found)
    return {table: sorted(rows, key=lambda row: json.dumps(row, default=str)) for table, rows in found.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="")
    parser.add_argument("--dump", default="")
    parser.add_argument("--warm", action="store_true",
                        help="load once and roll it back first, so SQLAlchemy's statement cache is warm, as in a "
                        "test run that loads the demo many times on one app (the ids differ on PostgreSQL then)")
    parser.add_argument("--profile", type=int, default=0, help="print the top N functions by cumulative time")
    args = parser.parse_args()
    passwords.use_fast_test_parameters()
    url = args.url or f"sqlite:///{tempfile.mkdtemp()}/demo.db"
    if url.startswith("postgresql"):
        _fresh_postgres(url)
    os.environ.setdefault("PEERWORKS_INSTANCE", tempfile.mkdtemp())
    from core import demo
    from core.app import create_app
    from core.extensions import db
    from core.timeutil import utcnow

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        if url.startswith("postgresql"):
            from flask_migrate import upgrade

            upgrade()
        else:
            db.create_all()
        sa.orm.configure_mappers()  # once per process, as in the tests: not the demo's cost
        if args.warm:
            demo.load("pw")
            db.session.rollback()
        statements = [0]

        def count(*_args: Any) -> None:
            statements[0] += 1

        event.listen(db.engine, "before_cursor_execute", count)
        started = utcnow().replace(tzinfo=None)
        profile = cProfile.Profile()
        wall, cpu = time.perf_counter(), time.process_time()
        if args.profile:  # off otherwise: it about doubles the CPU time
            profile.enable()
        demo.load("pw")
        db.session.commit()
        profile.disable()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        event.remove(db.engine, "before_cursor_execute", count)
        print(f"{url.split(':')[0]}: {statements[0]} statements, {cpu:.2f} s CPU, {wall:.2f} s wall")
        if args.profile:
            stats = pstats.Stats(profile)
            print(f"{stats.total_calls} function calls (under the profiler)")  # type: ignore[attr-defined]
            stats.sort_stats("cumulative").print_stats(args.profile)
        if args.dump:
            Path(args.dump).write_text(json.dumps(dump(db, started), indent=0, default=str, sort_keys=True))
            from core import audit

            print("audit verify:", audit.verify())


if __name__ == "__main__":
    main()
