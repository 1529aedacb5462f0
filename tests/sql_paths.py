"""Which tests the PostgreSQL pass runs: every SQL statement the suite sends, sent on PostgreSQL too.

The SQLite pass (with ``PEERWORKS_SQL_RECORD=<folder>``) records, per test, the statements the app sends (the code
outside ``tests/``: a test's own reads to check its result, its factories and fixtures are not what production
runs), in a normalized form (whitespace folded, an ``IN (?, ?, ?)`` list and a multi-row ``VALUES`` taken as one,
``FOR UPDATE`` noted: SQLite leaves it out of its SQL), with the test's outcome and time. The PostgreSQL pass (with
``PEERWORKS_SQL_PICK=<folder>``) then runs:

* every test that always needs both databases: marked ``both_databases`` or ``real_commits`` (threads, racing
  transactions, locks), or that names a database (``ON_POSTGRES``, ``TEST_DATABASE_URL``, a dialect, "postgres",
  "sqlite", or reads the schema with ``sa.inspect(``: migrations, the audit trigger, system columns, the SQLite file,
  a NUL PostgreSQL cannot store) in its own source (decorators and docstring included), a fixture of its own module,
  a helper of its module it calls, or its module's docstring;
* every test the SQLite pass did not see end (new, or failed). A test skipped on SQLite in a module that names no
  database skipped for a reason of its own (a walk's case that does not apply), and would skip on PostgreSQL too;
* and, of the rest, a set that sends every statement they send: chosen greedily, most new statements per second
  first (a weighted set cover).

A test left out on PostgreSQL has the app send only statements that a test run there has it send too; it still runs
on SQLite. A test that has the app send no SQL at all runs once. Without the recorded folder (PostgreSQL on its own)
every test runs.
"""

from __future__ import annotations

import hashlib
import heapq
import inspect
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

RECORD = "PEERWORKS_SQL_RECORD"
SUMMARY = "postgresql-pass.txt"
PICK = "PEERWORKS_SQL_PICK"
ALWAYS_MARKERS = ("both_databases", "real_commits")
ASKS_WHICH_DATABASE = re.compile(r"ON_POSTGRES|TEST_DATABASE_URL|dialect|postgres|sqlite|sa\.inspect\(", re.IGNORECASE)

# The checkout, as resolved and as imported (a symlink in the path gives two spellings).
_HERE = Path(__file__)
_OURS = tuple({str(folder.parent) + os.sep for folder in (_HERE.resolve().parent, _HERE.absolute().parent)})
_TESTS = tuple(prefix + "tests" + os.sep for prefix in _OURS)
_LIBRARIES = tuple(prefix + ".venv" + os.sep for prefix in _OURS)
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


def sent_by_the_app() -> bool:
    """Whether the statement being sent comes from the app: the nearest caller in the checkout (this recorder and
    libraries left out) is outside ``tests/``. A test's own check (``db.session.scalar(select(...))``), a factory's
    flush or a fixture's clean-up is not a path production takes."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.startswith(_OURS) and not filename.startswith(_LIBRARIES) and filename != __file__:
            return not filename.startswith(_TESTS)
        frame = frame.f_back
    return True  # no file of the checkout on the stack: count it rather than lose it


class Recorder:
    def __init__(self, folder: Path, sent_by_the_app: Callable[[], bool] = sent_by_the_app) -> None:
        self.folder = folder
        self.sent_by_the_app = sent_by_the_app
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
        sent = self.tests[self.current]["statements"]
        # The stack is read only for a statement this test has not yet been seen to send from the app.
        if found is not None and found not in sent and self.sent_by_the_app():
            sent.add(found)

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


def _source_names_a_database(code: object, seen: dict[object, bool]) -> bool:
    """Whether a function's source (decorators, docstring and comments included) or a module's docstring names a
    database."""
    if code not in seen:
        try:
            text = (inspect.getdoc(code) or "") if inspect.ismodule(code) else inspect.getsource(code)  # type: ignore[arg-type]
        except (OSError, TypeError):
            text = ""
        seen[code] = bool(ASKS_WHICH_DATABASE.search(text))
    return seen[code]


def _helpers(function: Any) -> Iterator[Any]:
    """The functions of the same module that ``function`` calls by name (nested functions and lambdas included)."""
    codes = [function.__code__]
    names: set[str] = set()
    while codes:
        code = codes.pop()
        names.update(code.co_names)
        codes.extend(const for const in code.co_consts if inspect.iscode(const))
    for name in sorted(names):
        helper = function.__globals__.get(name)
        if inspect.isfunction(helper) and helper.__module__ == function.__module__:
            yield helper


def _names_a_database(function: Any, seen: dict[object, bool], walked: set[object] | None = None) -> bool:
    """Whether ``function``, or a helper of its module that it calls (and theirs), names a database."""
    walked = set() if walked is None else walked
    if function in walked:
        return False
    walked.add(function)
    if _source_names_a_database(function, seen):
        return True
    if not inspect.isfunction(function):
        return False
    return any(_names_a_database(helper, seen, walked) for helper in _helpers(function))


def _always(item: pytest.Item, seen: dict[object, bool]) -> bool:
    """Marked to run on both, or asks which database it is on: the module's docstring says the whole module is
    about a database, or the test itself, a fixture of its own module or a helper of its module that they call names
    one (a comment elsewhere in the file, about another test, does not count)."""
    if any(item.get_closest_marker(name) for name in ALWAYS_MARKERS):
        return True
    module = getattr(item, "module", None)
    function = getattr(item, "function", None)
    if module is None or function is None:
        return True  # not a plain test function: run it on both rather than guess
    if _source_names_a_database(module, seen) or _names_a_database(function, seen):
        return True
    definitions = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {})
    for name in getattr(item, "fixturenames", ()):
        for definition in definitions.get(name, ()):
            fixture = getattr(definition, "func", None)
            own = fixture is not None and getattr(fixture, "__module__", None) == module.__name__
            if own and _names_a_database(fixture, seen):
                return True
    return False


def pick(items: list[pytest.Item], records: dict[str, dict[str, Any]]) -> tuple[list[pytest.Item], list[pytest.Item]]:
    """(kept, left out) for the PostgreSQL pass."""
    seen: dict[object, bool] = {}
    must: set[str] = set()
    candidates: dict[str, set[str]] = {}
    for item in items:
        record = records.get(item.nodeid)
        if record is None or record["outcome"] == "failed" or _always(item, seen):
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
