"""PERFORMANCE.md is the one place for measured speed figures: the README states the targets (requirements) and
points there, so its figures can never disagree with this release's measurements."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# A time ratio (1.5×, 13.2–17.5×), milliseconds, requests or rows a second.
SPEED = re.compile(r"\d[\d.,]*(?:[–-]\d[\d.,]*)?\s?(?:×|ms\b|req/s|rows/s)")
# What the README may say: a target, or a delay the app waits on purpose.
ALLOWED = re.compile(r"at\s+(?:most|least)\s+$|^600 ms after the last keystroke")


def speed_figures(text: str) -> list[str]:
    found = []
    for match in SPEED.finditer(text):
        before = text[max(0, match.start() - 12):match.start()]
        if not (ALLOWED.search(before) or ALLOWED.match(text[match.start():])):
            found.append(text[max(0, match.start() - 40):match.end()].replace("\n", " "))
    return found


def test_the_readme_states_targets_not_measured_speed_figures():
    assert speed_figures((ROOT / "README.md").read_text(encoding="utf-8")) == []


def test_the_check_finds_a_measured_figure():
    text = ("prints the milliseconds per page (target at most 100 ms; measured 27–66 ms a page) and the ratio "
            "(target at most 2×; measured 1.11–1.58×); 600 ms after the last keystroke")
    assert len(speed_figures(text)) == 2
