"""`make bench` (bench/run.py) runs end to end, writes its table and chart, and its exit status follows the targets.

One quick run (BENCH_QUICK=1: small sizes, a second of load a page) with one target made impossible: the run must
end with status 1, the table must mark that figure missed and hold every other figure, and the chart must be a PNG.
The figures themselves are not checked here (they depend on the machine): `make bench` is for that.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.run import Figure, Report, chosen_sections, exit_status

ROOT = Path(__file__).resolve().parents[2]
MISSING = [tool for tool in ("wrk", "taskset") if shutil.which(tool) is None]


@pytest.mark.skipif(bool(MISSING), reason=f"make bench needs {' and '.join(MISSING)} (Debian: apt-get install wrk "
                    "util-linux; make test installs wrk)")
@pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None,
                    reason="make bench draws its chart with matplotlib, a dev dependency: run uv sync")
def test_quick_bench_writes_table_and_chart_and_fails_on_a_missed_target(tmp_path: Path) -> None:
    out = tmp_path / "results"
    env = {**os.environ, "BENCH_QUICK": "1", "BENCH_RESULTS": str(out),
           "BENCH_TARGETS": "verify_rows_per_s=1e15"}
    done = subprocess.run([sys.executable, "-m", "bench"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    table = (out / "results.md").read_text()
    assert "| Figure | Target | Measured | Met? |" in table
    verify_row = next(line for line in table.splitlines() if line.startswith("| flask audit verify"))
    assert verify_row.endswith("| **no** |")
    assert "at least 1,000,000,000,000,000 rows/s" in verify_row
    for figure in ("requests per second", "queries at", "Readiness", "Training", "Supervision compliance",
                   "Hiring pipeline", "PDF", "audit pack", "Audit chain's share"):
        assert figure in table, figure
    references = table.split("Reference points, no target", 1)[1]
    for reference in ("Flask hello world", "The floor of a signed-in list page", "The sign-in page, nobody signed in",
                      "A signed-in page with nothing"):
        assert reference in references, reference
    assert "error:" not in table, table
    assert (out / "chart.png").read_bytes().startswith(b"\x89PNG")


def test_exit_status_is_1_exactly_when_a_figure_missed_its_target() -> None:
    report = Report()
    report.figures = [Figure("a", "at most 2x", "1.5x", True), Figure("b", "equal", "3 and 3", True)]
    assert exit_status(report) == 0
    report.figures.append(Figure("c", "at least 12%", "3%", False))
    assert exit_status(report) == 1


def test_bench_sections_names_the_sections_to_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BENCH_SECTIONS", raising=False)
    assert chosen_sections() == {"List pages", "Data size", "PDFs", "Audit chain"}
    monkeypatch.setenv("BENCH_SECTIONS", "list, audit")
    assert chosen_sections() == {"List pages", "Audit chain"}
    monkeypatch.setenv("BENCH_SECTIONS", "lists")
    with pytest.raises(SystemExit, match="unknown section 'lists'"):
        chosen_sections()


def test_the_floor_app_is_a_signed_in_list_page_with_its_count(tmp_path: Path) -> None:
    """bench/floor.py, the reference the list-page target is read against, does a list page's whole job: it refuses
    a visitor who is not signed in, and shows the signed-in person 25 rows of 10,000 with their count."""
    from bench import floor

    floor.build(tmp_path / "floor.sqlite")
    client = floor.create_app(str(tmp_path / "floor.sqlite")).test_client()
    assert client.get("/items").status_code == 401
    assert client.get("/enter").status_code == 200
    page = client.get("/items?page=2").get_data(as_text=True)
    assert "10000 items" in page
    assert page.count("<tr><td>") == 25
    assert "Client 00025" in page, "page 2 starts after the first 25 by name"
    assert "Client 00024" not in page
    assert "Peer Specialist" in page
