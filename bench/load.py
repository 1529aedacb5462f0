"""`make load`: a bounded load test of the main journeys of every role (issue 14), set-up included.

1. a throwaway PostgreSQL database holding the demo agency (``flask db upgrade``, ``flask seed-demo``), dropped after;
2. LOAD_INSTANCES gunicorn instances (2) of LOAD_WORKERS workers (2) on loopback ports, sharing the database and
   a Redis database for the rate limits, as two app servers would;
3. one session per simulated user, signed in through the real form (LOAD_SIGN_INS at a time, 4), timed: a sign-in
   is meant to be slow (Argon2id), and 200 people never sign in within the same minute;
4. locust, headless, LOAD_USERS simulated users (200) started LOAD_SPAWN a second (10), for LOAD_SECONDS (60),
   doing bench/locustfile.py's journeys on those sessions; it stops by itself;
5. prints the table (requests, errors, p50/p95/p99 in ms per journey and overall) and writes it, with locust's CSV
   files, into load-results/<UTC time>/; exits 1 on any error.

Sign-in: the users share the six demo accounts, one a role (ACCOUNTS, weighted), each user a session of
its own. The sign-in limit is per address and every sign-in comes from 127.0.0.1, so this run raises
LOGIN_RATE_LIMIT to 10000 per minute (only here). ``.venv/bin/python -m bench.load --quick`` checks the tool by hand
(5 users, 3 s, one instance of one worker); no test runs it (building the demo database is too slow for `make test`).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import servers

PG = os.environ.get("LOAD_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("LOAD_REDIS", "redis://127.0.0.1:6379/12")
LOCUST = servers.ROOT / ".venv" / "bin" / "locust"
# The demo account each role uses, and its share of the users (locust's weights).
ACCOUNTS = {"peer@example.org": 8, "supervisor@example.org": 2, "hr@example.org": 2, "privacy@example.org": 1,
            "clinician@example.org": 2, "admin@example.org": 1}
COLUMNS = ("Journey", "Requests", "Errors", "p50 ms", "p95 ms", "p99 ms", "Req/s")


@dataclass(frozen=True)
class Plan:
    users: int
    spawn: float
    seconds: int
    instances: int
    workers: int


def plan(quick: bool) -> Plan:
    if quick:
        return Plan(users=5, spawn=5, seconds=3, instances=1, workers=1)
    env = os.environ
    return Plan(int(env.get("LOAD_USERS", "200")), float(env.get("LOAD_SPAWN", "10")),
                int(env.get("LOAD_SECONDS", "60")), int(env.get("LOAD_INSTANCES", "2")),
                int(env.get("LOAD_WORKERS", "2")))


def rows(stats_csv: Path) -> list[list[str]]:
    """One row per journey, then the overall one, from locust's ``_stats.csv``."""
    table = []
    with stats_csv.open(newline="") as handle:
        for line in csv.DictReader(handle):
            name = "Overall" if line["Name"] == "Aggregated" else line["Name"]
            table.append([name, line["Request Count"], line["Failure Count"], line["50%"], line["95%"],
                          line["99%"], f"{float(line['Requests/s']):.1f}"])
    return table


def markdown(table: list[list[str]]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + " --- |" * len(COLUMNS)]
    lines += ["| " + " | ".join(row) + " |" for row in table]
    return "\n".join(lines)


def _session(base: str, email: str) -> dict[str, str]:
    visitor = servers.Visitor()
    answer = visitor.sign_in(base, email)
    if answer.status != 302 or "/login" in answer.location:
        raise RuntimeError(f"signing in as {email} answered {answer.status}")
    return visitor.cookies


def sign_in_sessions(hosts: list[str], users: int, path: Path) -> tuple[int, float]:
    """Sessions for ``users`` users (each account's share, and two spare) into ``path``; (sign-ins, seconds)."""
    total = sum(ACCOUNTS.values())
    jobs = [email for email, weight in ACCOUNTS.items() for _ in range(math.ceil(users * weight / total) + 2)]
    started = time.monotonic()
    with ThreadPoolExecutor(int(os.environ.get("LOAD_SIGN_INS", "4"))) as pool:
        cookies = list(pool.map(lambda job: _session(hosts[job[0] % len(hosts)], job[1]), enumerate(jobs)))
    seconds = time.monotonic() - started
    sessions: dict[str, list[dict[str, str]]] = {email: [] for email in ACCOUNTS}
    for email, jar in zip(jobs, cookies, strict=True):
        sessions[email].append(jar)
    path.write_text(json.dumps(sessions))
    path.chmod(0o600)
    return len(jobs), seconds


def run_locust(hosts: list[str], how: Plan, out: Path) -> int:
    command = [str(LOCUST), "-f", str(servers.ROOT / "bench" / "locustfile.py"), "--headless", "--only-summary",
               "-u", str(how.users), "-r", str(how.spawn), "-t", f"{how.seconds}s",
               "--host", hosts[0], "--csv", str(out / "locust"), "--exit-code-on-error", "1",
               "--loglevel", "WARNING"]
    with (out / "locust.log").open("w") as log:
        env = {**os.environ, "LOAD_HOSTS": ",".join(hosts), "LOAD_SESSIONS": str(out / "sessions.json"),
               "PYTHONPATH": str(servers.ROOT)}
        done = subprocess.run(command, cwd=servers.ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT, check=False, timeout=how.seconds + 600)
    return done.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 users for 3 s: checks the tool, not the figures")
    parser.add_argument("--like", default="", help="copy this demo database (made before, not in use) instead")
    parser.add_argument("--out", type=Path, default=None, help="results folder (default load-results/<UTC time>)")
    args = parser.parse_args(argv)
    how = plan(args.quick)
    out = args.out or servers.ROOT / "load-results" / datetime.now(UTC).strftime("%Y-%m-%dT%H%M%SZ")
    out.mkdir(parents=True, exist_ok=True)
    import redis

    redis.Redis.from_url(REDIS).flushdb()  # this run's own Redis database only
    name = f"pw_load_{os.getpid()}"
    print(f"== Demo agency into PostgreSQL database {name} (migrations, seed-demo) ==", flush=True)
    database = servers.demo_database(PG, name, like=args.like)
    env = {"DATABASE_URL": database, "RATELIMIT_STORAGE_URI": REDIS, "SECRET_KEY": "load-test-secret-key",
           "PEERWORKS_ENV": "development", "PEERWORKS_INSTANCE": str(out / "instance"),
           "LOGIN_RATE_LIMIT": "10000 per minute"}
    try:
        print(f"== {how.instances} gunicorn instance(s) of {how.workers} worker(s) ==", flush=True)
        with servers.running(how.instances, env, out, workers=how.workers) as instances:
            hosts = [instance.base for instance in instances]
            sign_ins, seconds = sign_in_sessions(hosts, how.users, out / "sessions.json")
            signed = (f"{sign_ins} sign-ins through the form before the run: {seconds:.1f} s, "
                      f"{sign_ins / seconds:.1f} a second")
            print(f"== {signed} ==", flush=True)
            print(f"== locust: {how.users} users ({how.spawn:g} started a second) for {how.seconds} s ==", flush=True)
            status = run_locust(hosts, how, out)
            (out / "sessions.json").unlink()
    finally:
        servers.drop_database(PG, name)
        redis.Redis.from_url(REDIS).flushdb()
    table = rows(out / "locust_stats.csv")
    errors = sum(int(row[2]) for row in table if row[0] == "Overall")
    report = (f"{how.users} users, {how.seconds} s, {how.instances} instance(s) x {how.workers} worker(s), "
              f"{os.cpu_count()} cores (shared with whatever else runs); {signed}\n\n{markdown(table)}\n")
    (out / "load.md").write_text(report)
    print(report)
    print(f"Results: {out}  (locust's log: {out / 'locust.log'})")
    if status != 0 or errors:
        print(f"FAILED: {errors} error(s); locust exited with {status} (see {out / 'locust_failures.csv'})")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
