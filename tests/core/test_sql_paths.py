"""The PostgreSQL pass's choice of tests (tests/sql_paths.py): every statement the SQLite pass sends is sent on
PostgreSQL too (the app's statements: not a test's own checks), and the tests that always need both databases always
run there."""

from __future__ import annotations

import importlib.util
import json
import linecache
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa

from core.app import ROOT
from tests.sql_paths import Recorder, cover, fingerprint, normalize, pick, pick_for_postgresql


def test_a_statement_is_read_as_its_path_through_the_code():
    assert normalize("SELECT a\n  FROM t\n WHERE id IN (?, ?, ?)") == "SELECT a FROM t WHERE id IN (?)"
    assert normalize("SELECT a FROM t WHERE id IN (?)") == "SELECT a FROM t WHERE id IN (?)"
    assert normalize("INSERT INTO t (a, b) VALUES (?, ?), (?, ?), (?, ?)") == "INSERT INTO t (a, b) VALUES (?)"
    assert normalize("SELECT a FROM t WHERE id = ?", for_update=True) == "SELECT a FROM t WHERE id = ? FOR UPDATE"
    for control in ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT sa_1", "RELEASE SAVEPOINT sa_1", "PRAGMA x",
                    "CREATE TABLE t"):
        assert normalize(control) is None


def test_the_cover_sends_every_statement_and_prefers_the_quicker_test():
    candidates = {"slow": {"a", "b", "c"}, "quick-a": {"a", "b"}, "quick-c": {"c"}, "nothing-new": {"a"}}
    seconds = {"slow": 10.0, "quick-a": 0.1, "quick-c": 0.1, "nothing-new": 0.1}
    picked = cover(candidates, seconds)
    assert set().union(*(candidates[test] for test in picked)) == {"a", "b", "c"}
    assert sorted(picked) == ["quick-a", "quick-c"]
    assert cover(candidates, seconds, already={"a", "b", "c"}) == []
    assert cover({}, {}) == []


PLAIN = '''"""Tests of lists."""
# PostgreSQL is named in this comment, about no test in particular: it does not count.

import pytest


@pytest.fixture
def rows():
    return [1, 2]


@pytest.fixture
def by_dialect():
    """Rows as the database's dialect sorts them."""
    return [2, 1]


def test_plain(rows):
    assert rows


def test_with_a_fixture_that_asks(by_dialect):
    assert by_dialect


@pytest.mark.skipif(True, reason="ON_POSTGRES only")
def test_decorated():
    pass


def test_says_so():
    """SQLite keeps a NUL that PostgreSQL refuses."""


def tamper():
    return "SET LOCAL session_replication_role = replica" if ON_POSTGRES else ""


def change_a_row():
    return tamper()


def test_through_a_helper():
    assert (lambda: change_a_row())() is not None
'''
ABOUT_A_DATABASE = '''"""The audit trigger on PostgreSQL."""


def test_trigger():
    pass
'''


def load_module(folder: Path, name: str, text: str) -> ModuleType:
    path = folder / f"{name}.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    linecache.checkcache(str(path))
    return module


def item(nodeid: str, module: ModuleType, function: str = "test_plain", *markers: str,
         fixtures: tuple[str, ...] = ()) -> SimpleNamespace:
    definitions = {name: [SimpleNamespace(func=getattr(getattr(module, name), "__wrapped__", None)
                                          or getattr(module, name))] for name in fixtures}
    return SimpleNamespace(nodeid=nodeid, path=Path(module.__file__ or ""), module=module,
                           function=getattr(module, function), fixturenames=list(fixtures),
                           _fixtureinfo=SimpleNamespace(name2fixturedefs=definitions),
                           get_closest_marker=lambda name: name if name in markers else None)


def test_the_tests_that_always_need_both_databases_are_kept(tmp_path: Path):
    plain = load_module(tmp_path, "test_sql_paths_plain", PLAIN)
    about = load_module(tmp_path, "test_sql_paths_about", ABOUT_A_DATABASE)
    records = {
        "covers-all": {"statements": ["s1", "s2"], "outcome": "passed", "seconds": 0.1},
        "covered": {"statements": ["s1"], "outcome": "passed", "seconds": 0.1},
        "no-sql": {"statements": [], "outcome": "passed", "seconds": 0.1},
        "failed-on-sqlite": {"statements": [], "outcome": "failed", "seconds": 0.0},
        "skipped-here": {"statements": [], "outcome": "skipped", "seconds": 0.0},
        "marked": {"statements": ["s2"], "outcome": "passed", "seconds": 0.1},
        "races": {"statements": ["s1"], "outcome": "passed", "seconds": 0.1},
        "module-about-a-database": {"statements": ["s1"], "outcome": "passed", "seconds": 0.1},
        "fixture-asks": {"statements": ["s1"], "outcome": "passed", "seconds": 0.1},
        "decorator-asks": {"statements": ["s1"], "outcome": "passed", "seconds": 0.1},
        "docstring-asks": {"statements": ["s1"], "outcome": "passed", "seconds": 0.1},
        "helper-asks": {"statements": ["s1"], "outcome": "passed", "seconds": 0.1},
    }
    items = [item("covers-all", plain, fixtures=("rows",)), item("covered", plain), item("no-sql", plain),
             item("failed-on-sqlite", plain), item("skipped-here", plain),
             item("marked", plain, "test_plain", "both_databases"), item("races", plain, "test_plain", "real_commits"),
             item("module-about-a-database", about, "test_trigger"),
             item("fixture-asks", plain, "test_with_a_fixture_that_asks", fixtures=("by_dialect",)),
             item("decorator-asks", plain, "test_decorated"), item("docstring-asks", plain, "test_says_so"),
             item("helper-asks", plain, "test_through_a_helper"), item("new-test", plain)]
    kept, left = pick(items, records)  # type: ignore[arg-type]
    assert [i.nodeid for i in kept] == ["failed-on-sqlite", "marked", "races", "module-about-a-database",
                                        "fixture-asks", "decorator-asks", "docstring-asks", "helper-asks", "new-test"]
    # s1 and s2 are sent by kept tests; a test skipped in a module that names no database would skip there too;
    # the comment naming PostgreSQL at the top of the plain module is about none of its tests
    assert sorted(i.nodeid for i in left) == ["covered", "covers-all", "no-sql", "skipped-here"]


def test_the_recorder_files_each_statement_under_the_test_that_sent_it(tmp_path: Path):
    engine = sa.create_engine("sqlite://")
    recorder = Recorder(tmp_path, sent_by_the_app=lambda: True)
    sa.event.listen(engine, "before_cursor_execute", recorder.statement)
    table = sa.table("t", sa.column("id"))
    with engine.connect() as connection:
        connection.exec_driver_sql("CREATE TABLE t (id INTEGER)")
        recorder.start("tests/test_one.py::test_in_list")
        connection.execute(sa.select(table.c.id).where(table.c.id.in_([1, 2, 3])))
        recorder.start("tests/test_one.py::test_for_update")
        connection.execute(sa.select(table.c.id).where(table.c.id == 1).with_for_update())
    recorder.report(SimpleNamespace(nodeid="tests/test_one.py::test_in_list", duration=0.5, when="call",
                                    passed=True, failed=False, skipped=False))
    recorder.write()
    written = json.loads(next(tmp_path.glob("*.json")).read_text())
    in_list = fingerprint("SELECT t.id FROM t WHERE t.id IN (?)")
    assert written["tests/test_one.py::test_in_list"] == {"statements": [in_list], "outcome": "passed", "seconds": 0.5}
    locked = fingerprint("SELECT t.id FROM t WHERE t.id = ? FOR UPDATE")
    assert written["tests/test_one.py::test_for_update"]["statements"] == [locked]
    assert written["tests/test_one.py::test_for_update"]["outcome"] == "failed", "no report: not seen to end"


def test_without_a_record_every_test_runs_on_postgresql(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PEERWORKS_SQL_PICK", str(tmp_path))  # an empty folder: the SQLite pass recorded nothing
    monkeypatch.setenv("TEST_DATABASE_URL", "postgresql+psycopg://nowhere/none")
    plain = load_module(tmp_path, "test_sql_paths_plain_again", PLAIN)
    items = [item("a", plain), item("b", plain, "test_says_so")]
    pick_for_postgresql(SimpleNamespace(), items)  # type: ignore[arg-type]
    assert [i.nodeid for i in items] == ["a", "b"]


# A function as if it were in the app's own files: the recorder tells the app's statements from a test's by file.
APP_FUNCTION = """
def count_rows(connection, table):
    return connection.execute(sa.select(sa.func.count()).select_from(table)).scalar()
"""


def test_a_tests_own_check_is_not_recorded_only_what_the_app_sends(tmp_path: Path):
    engine = sa.create_engine("sqlite://")
    recorder = Recorder(tmp_path)
    sa.event.listen(engine, "before_cursor_execute", recorder.statement)
    table = sa.table("t", sa.column("id"))
    app_code: dict[str, Any] = {"sa": sa}
    exec(compile(APP_FUNCTION, str(ROOT / "core" / "_as_if_in_the_app.py"), "exec"), app_code)  # noqa: S102
    with engine.connect() as connection:
        connection.exec_driver_sql("CREATE TABLE t (id INTEGER)")
        recorder.start("tests/test_one.py::test_both")
        connection.execute(sa.select(table.c.id).where(table.c.id == 1))  # the test's own check
        assert app_code["count_rows"](connection, table) == 0
        connection.execute(sa.select(table.c.id).where(table.c.id == 2))
    recorder.write()
    written = json.loads(next(tmp_path.glob("*.json")).read_text())
    assert written["tests/test_one.py::test_both"]["statements"] == [
        fingerprint("SELECT count(*) AS count_1 FROM t")
    ]
