"""The tests' temporary folders are in memory when the machine has some (tests/conftest.py, README "How the tests
run"): a test's SQLite file is synced to memory, not to the disk."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHM = Path("/dev/shm")


@pytest.mark.skipif(not (SHM.is_dir() and os.access(SHM, os.W_OK)), reason="no writable /dev/shm on this machine")
def test_tmp_path_is_in_memory_unless_another_root_was_chosen(tmp_path: Path):
    chosen = os.environ["PYTEST_DEBUG_TEMPROOT"]
    assert tmp_path.resolve().is_relative_to(Path(chosen).resolve())
    if chosen == str(SHM):
        assert tmp_path.resolve().is_relative_to(SHM.resolve())
