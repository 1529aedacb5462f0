"""The PostgreSQL pass's choice of tests (tests/sql_paths.py): every statement the SQLite pass sends is sent on
PostgreSQL too, and the tests that always need both databases always run there."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

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


def item(nodeid: str, path: Path, *markers: str) -> SimpleNamespace:
    return SimpleNamespace(nodeid=nodeid, path=path,
                           get_closest_marker=lambda name: name if name in markers else None)


def test_the_tests_that_always_need_both_databases_are_kept(tmp_path: Path):
    plain, asks = tmp_path / "test_plain.py", tmp_path / "test_asks.py"
    plain.write_text("def test_x(): pass\n")
    asks.write_text("from tests.conftest import ON_POSTGRES\n")
    records = {
        "covers-all": {"statements": ["s1", "s2"], "outcome": "passed", "seconds": 0.1},
        "covered": {"statements": ["s1"], "outcome": "passed", "seconds": 0.1},
        "no-sql": {"statements": [], "outcome": "passed", "seconds": 0.1},
        "failed-on-sqlite": {"statements": [], "outcome": "failed", "seconds": 0.0},
        "skipped-here": {"statements": [], "outcome": "skipped", "seconds": 0.0},
        "marked": {"statements": ["s2"], "outcome": "passed", "seconds": 0.1},
        "races": {"statements": ["s1"], "outcome": "passed", "seconds": 0.1},
        "asks-which": {"statements": ["s1"], "outcome": "passed", "seconds": 0.1},
    }
    items = [item("covers-all", plain), item("covered", plain), item("no-sql", plain),
             item("failed-on-sqlite", plain), item("skipped-here", plain), item("marked", plain, "both_databases"),
             item("races", plain, "real_commits"), item("asks-which", asks), item("new-test", plain)]
    kept, left = pick(items, records)  # type: ignore[arg-type]
    assert [i.nodeid for i in kept] == ["failed-on-sqlite", "marked", "races", "asks-which", "new-test"]
    # s1 and s2 are sent by kept tests; a test skipped in a module that names no database would skip there too
    assert sorted(i.nodeid for i in left) == ["covered", "covers-all", "no-sql", "skipped-here"]


def test_the_recorder_files_each_statement_under_the_test_that_sent_it(tmp_path: Path):
    engine = sa.create_engine("sqlite://")
    recorder = Recorder(tmp_path)
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
    items = [item("a", tmp_path / "test_a.py"), item("b", tmp_path / "test_b.py")]
    pick_for_postgresql(SimpleNamespace(), items)  # type: ignore[arg-type]
    assert [i.nodeid for i in items] == ["a", "b"]
