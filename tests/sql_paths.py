"""Which tests the PostgreSQL pass runs: every SQL statement the suite sends, sent on PostgreSQL too.

The SQLite pass (with ``PEERWORKS_SQL_RECORD=<folder>``) records, per test, the statements it sends, in a normalized
form (whitespace folded, an ``IN (?, ?, ?)`` list and a multi-row ``VALUES`` taken as one, ``FOR UPDATE`` noted:
SQLite leaves it out of its SQL), with the test's outcome and time. The PostgreSQL pass (with
``PEERWORKS_SQL_PICK=<folder>``) then runs:

* every test that always needs both databases: marked ``both_databases`` or ``real_commits`` (threads, racing
  transactions, locks), or in a module that names a database at all (``ON_POSTGRES``, ``TEST_DATABASE_URL``, a
  dialect, "postgres", "sqlite": migrations, the audit trigger, system columns, the SQLite file);
* every test the SQLite pass did not see end (new, or failed). A test skipped on SQLite in a module that names no
  database skipped for a reason of its own (a walk's case that does not apply), and would skip on PostgreSQL too;
* and, of the rest, a set that sends every statement they send: chosen greedily, most new statements per second
  first (a weighted set cover).

A test left out on PostgreSQL sends only statements that a test run there sends too; it still runs on SQLite. A test
that sends no SQL at all runs once. Without the recorded folder (PostgreSQL on its own) every test runs.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

RECORD = "PEERWORKS_SQL_RECORD"
SUMMARY = "postgresql-pass.txt"
PICK = "PEERWORKS_SQL_PICK"
ALWAYS_MARKERS = ("both_databases", "real_commits")
ASKS_WHICH_DATABASE = re.compile(r"ON_POSTGRES|TEST_DATABASE_URL|dialect|postgres|sqlite", re.IGNORECASE)

_SPACES = re.compile(r"\s+")
_PLACEHOLDERS = re.compile(r"\?(?:, \?)+")
_ROWS = re.compile(r"\(\?\)(?:, \(\?\))+")
_SKIPPED = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA", "CREATE ", "DROP ")


def normalize(statement: str, *, for_update: bool = False) -> str | None:
    """The statement as a path through the code: None for transaction control and schema statements."""
    text = _SPACES.sub(" ", statement).strip()
    if text.upper().startswith(_SKIPPED):
        return None
    text = _ROWS.sub("(?)", _PLACEHOLDERS.sub("?", text))
    return text + " FOR UPDATE" if for_update else text


def fingerprint(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


# --- Recording, on SQLite ----------------------------------------------------------------------------------------


class Recorder:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.current: str | None = None
        self.tests: dict[str, dict[str, Any]] = {}
        # The same few thousand statement strings come back millions of times (SQLAlchemy caches its SQL): each is
        # normalized and fingerprinted once.
        self.known: dict[tuple[str, bool], str | None] = {}

    def statement(self, _conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, _many: bool) -> None:
        if self.current is None:
            return
        compiled = getattr(context, "compiled", None)
        for_update = getattr(getattr(compiled, "statement", None), "_for_update_arg", None) is not None
        key = (statement, for_update)
        if key not in self.known:
            text = normalize(statement, for_update=for_update)
            self.known[key] = None if text is None else fingerprint(text)
        found = self.known[key]
        if found is not None:
            self.tests[self.current]["statements"].add(found)

    def start(self, nodeid: str) -> None:
        self.current = nodeid
        self.tests[nodeid] = {"statements": set(), "outcome": "passed", "ran": False, "seconds": 0.0}

    def report(self, report: pytest.TestReport) -> None:
        test = self.tests.get(report.nodeid)
        if test is None:
            return
        test["seconds"] += report.duration
        if report.when == "call" or report.skipped:
            test["ran"] = True
        if report.failed:
            test["outcome"] = "failed"
        elif report.skipped and test["outcome"] == "passed":
            test["outcome"] = "skipped"

    def write(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        rows = {
            nodeid: {"statements": sorted(test["statements"]),
                     "outcome": test["outcome"] if test["ran"] else "failed", "seconds": round(test["seconds"], 4)}
            for nodeid, test in self.tests.items()
        }
        (self.folder / f"{worker}.json").write_text(json.dumps(rows))


class RecordingPlugin:
    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        self.recorder.start(nodeid)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.recorder.report(report)

    def pytest_sessionfinish(self) -> None:
        self.recorder.write()


# --- Picking, on PostgreSQL --------------------------------------------------------------------------------------


def read_records(folder: Path) -> dict[str, dict[str, Any]]:
    records: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("*.json")):  # one file per worker of the SQLite pass
        records.update(json.loads(path.read_text()))
    return records


def cover(candidates: dict[str, set[str]], seconds: dict[str, float], already: Iterable[str] = ()) -> list[str]:
    """Tests that together send every statement the candidates send, beyond those ``already`` sent: greedily, the
    most new statements per second first (lazy greedy: a test's gain only shrinks as others are picked)."""
    covered = set(already)
    wanted = set().union(*candidates.values()) - covered if candidates else set()
    heap = [(-len(sent - covered) / (seconds.get(test, 0.0) + 0.01), test) for test, sent in candidates.items()]
    heapq.heapify(heap)
    picked: list[str] = []
    while wanted and heap:
        _score, test = heapq.heappop(heap)
        gain = candidates[test] & wanted
        if not gain:
            continue
        score = -len(gain) / (seconds.get(test, 0.0) + 0.01)
        if heap and score > heap[0][0]:  # its gain shrank since it was scored: score it again
            heapq.heappush(heap, (score, test))
            continue
        picked.append(test)
        wanted -= gain
    return picked


def only_in(records: dict[str, dict[str, Any]], run_here: set[str]) -> set[str]:
    """Statements that only tests outside ``run_here`` send."""
    here = set().union(*(set(records[n]["statements"]) for n in run_here if n in records))
    elsewhere = set().union(*(set(r["statements"]) for n, r in records.items() if n not in run_here))
    return elsewhere - here


def _always(item: pytest.Item, sources: dict[Path, bool]) -> bool:
    if any(item.get_closest_marker(name) for name in ALWAYS_MARKERS):
        return True
    path = Path(item.path)
    if path not in sources:
        sources[path] = bool(ASKS_WHICH_DATABASE.search(path.read_text(encoding="utf-8")))
    return sources[path]


def pick(items: list[pytest.Item], records: dict[str, dict[str, Any]]) -> tuple[list[pytest.Item], list[pytest.Item]]:
    """(kept, left out) for the PostgreSQL pass."""
    sources: dict[Path, bool] = {}
    must: set[str] = set()
    candidates: dict[str, set[str]] = {}
    for item in items:
        record = records.get(item.nodeid)
        if record is None or record["outcome"] == "failed" or _always(item, sources):
            must.add(item.nodeid)
        elif record["statements"]:
            candidates[item.nodeid] = set(record["statements"])
    already = set().union(*(set(records[n]["statements"]) for n in must if n in records)) if must else set()
    seconds = {nodeid: record["seconds"] for nodeid, record in records.items()}
    chosen = must | set(cover(candidates, seconds, already))
    kept = [item for item in items if item.nodeid in chosen]
    left = [item for item in items if item.nodeid not in chosen]
    return kept, left


def pytest_configure(config: pytest.Config) -> None:
    folder = os.environ.get(RECORD)
    on_postgres = os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")
    xdist_controller = getattr(config.option, "dist", "no") != "no" and not hasattr(config, "workerinput")
    if folder and not on_postgres and not xdist_controller:  # the workers run the tests and record them
        recorder = Recorder(Path(folder))
        sa.event.listen(sa.engine.Engine, "before_cursor_execute", recorder.statement)
        config.pluginmanager.register(RecordingPlugin(recorder), "sql-paths-recorder")


def pick_for_postgresql(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out, on the PostgreSQL pass, the tests whose statements the kept ones send too (from the conftest's
    ``pytest_collection_modifyitems``, run last: after -m "not browser" has left the browser tests out)."""
    folder = os.environ.get(PICK)
    if not folder or not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"):
        return
    records = read_records(Path(folder))
    if not records:
        return
    kept, left = pick(items, records)
    if os.environ.get("PYTEST_XDIST_WORKER", "gw0") == "gw0":
        browser_only = len(only_in(records, {item.nodeid for item in items}))
        (Path(folder) / SUMMARY).write_text(
            f"PostgreSQL pass: {len(kept)} tests send every statement of the SQLite pass; {len(left)} others, whose "
            f"statements they all send too, ran on SQLite only (tests/sql_paths.py). Statements sent only by tests "
            f"not run on PostgreSQL (the browser tests): {browser_only}.\n"
        )
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept


def pytest_terminal_summary(terminalreporter: Any) -> None:
    folder = os.environ.get(PICK)
    summary = Path(folder) / SUMMARY if folder else None
    if summary is not None and summary.exists() and os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"):
        terminalreporter.write_line(summary.read_text().strip())
