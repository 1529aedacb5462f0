"""Argon2id: the app hashes with production parameters; only the test suite swaps in cheap ones."""

from __future__ import annotations

import subprocess
import sys

from argon2 import PasswordHasher, Type, extract_parameters
from argon2.profiles import RFC_9106_LOW_MEMORY

from core import passwords
from core.app import ROOT

APP_PACKAGES = ("core", "caseload", "readiness", "hiring", "training", "supervision")


def test_the_app_hashes_with_the_production_parameters():
    """In a fresh interpreter, as the app runs: nothing from the test suite has touched core.passwords there."""
    code = "from core import passwords; print(passwords.hash_password('correct horse battery staple'))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                          timeout=60)
    used = extract_parameters(done.stdout.strip())
    assert (used.type, used.time_cost, used.memory_cost, used.parallelism) == (Type.ID, 3, 64 * 1024, 4)
    assert used == RFC_9106_LOW_MEMORY


def test_only_the_test_suite_switches_to_the_cheap_parameters():
    callers = sorted(
        str(path.relative_to(ROOT))
        for package in APP_PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "use_fast_test_parameters(" in path.read_text(encoding="utf-8") and path != ROOT / "core" / "passwords.py"
    )
    assert callers == []
    assert "passwords.use_fast_test_parameters()" in (ROOT / "tests" / "conftest.py").read_text(encoding="utf-8")


def test_the_suite_hashes_cheaply_and_production_hashes_still_verify():
    used = extract_parameters(passwords.hash_password("correct horse battery staple"))
    assert (used.type, used.time_cost, used.memory_cost, used.parallelism) == (Type.ID, 1, 8, 1)

    stored = PasswordHasher().hash("correct horse battery staple")  # made with production's parameters
    assert passwords.check_password(stored, "correct horse battery staple")
    assert not passwords.check_password(stored, "correct horse battery stable")
    assert not passwords.check_password(None, "correct horse battery staple")
