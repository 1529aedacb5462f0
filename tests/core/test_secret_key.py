"""The secret key generated into the instance folder on a first run: one key, whole, even when several processes
start at once (a PostgreSQL test run's two workers once both tried to create it and one failed)."""

from __future__ import annotations

import threading
from pathlib import Path

from core.config import secret_key


def test_processes_starting_at_once_share_one_whole_key(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    for trial in range(20):
        folder = tmp_path / str(trial)
        keys: list[str] = []
        errors: list[BaseException] = []

        def start(folder: Path = folder, keys: list[str] = keys, errors: list[BaseException] = errors) -> None:
            try:
                keys.append(secret_key(folder))
            except BaseException as error:  # noqa: BLE001 - any failure is the finding
                errors.append(error)

        threads = [threading.Thread(target=start) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors
        assert len(set(keys)) == 1
        assert len(keys[0]) == 64
        assert [path.name for path in folder.iterdir()] == ["secret_key"], "no half-written or spare file is left"
        assert (folder / "secret_key").stat().st_mode & 0o777 == 0o600
