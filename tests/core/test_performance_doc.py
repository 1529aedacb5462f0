"""PERFORMANCE.md states measured figures: each of make bench's targets with what was measured against it, the
commands that reproduce them, and no place left to fill."""

from __future__ import annotations

import re

from bench.run import TARGETS
from core.app import ROOT

DOC = (ROOT / "PERFORMANCE.md").read_text()
TARGET_WORDS = {
    "list_share": "at least 12% of raw WSGI",
    "size_ratio": "at most 2×, same queries",
    "pdf_ms_per_page": "at most 100 ms a page",
    "audit_pack_ratio": "at most 25×",
    "audit_share": "at most 5%",
    "verify_rows_per_s": "at least 100,000 rows/s",
}


def figure_rows() -> list[list[str]]:
    table = DOC.split("## Figures (`make bench`)", 1)[1].split("\n\n", 2)[1]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in table.splitlines()[2:]]


def test_every_target_of_the_bench_has_a_measured_row() -> None:
    assert set(TARGET_WORDS) == set(TARGETS), "a target was added to bench/run.py: say it in PERFORMANCE.md"
    rows = figure_rows()
    for key, words in TARGET_WORDS.items():
        found = [row for row in rows if row[1] == words]
        assert found, f"no row of PERFORMANCE.md's figures has the target {words!r} ({key})"
        for row in found:
            assert re.search(r"\d", row[2]), f"{row[0]}: nothing measured"
            assert row[3] in ("yes", "**no**", "**no** (see below)"), row


def test_nothing_is_left_to_fill_and_the_commands_exist() -> None:
    assert "TO BE FILLED" not in DOC
    assert "_to fill_" not in DOC
    assert not re.search(r"\| _ \|", DOC)
    makefile = (ROOT / "Makefile").read_text()
    for command in re.findall(r"^make (\w+)", DOC, flags=re.MULTILINE):
        assert re.search(rf"^{command}:", makefile, flags=re.MULTILINE), f"make {command} is not in the Makefile"
