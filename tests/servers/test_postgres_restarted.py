"""PostgreSQL restarted while notes are being saved: the app recovers without a restart of its own and loses nothing
committed (issue 14, faults).

Four visitors keep logging contact notes through one gunicorn instance; once saves are being answered, the test
restarts the PostgreSQL cluster itself (``pg_ctlcluster … restart``: every connection of the app's pool is cut) and
goes on until the same worker has answered more saves. While the server is down a request gets the plain "cannot
save anything right now" page (503), never a stack trace. Then: the server really restarted (its start time
changed), the gunicorn worker is the one from before (the app was not restarted), every save answered with a
redirect is in the database, every note kept was sent and has its audit entry, and ``flask audit verify`` passes.

It restarts the PostgreSQL it runs on, so it runs only against the local cluster (``pg_ctlcluster`` present) and
only under ``make scale``, which runs nothing else at the time.
"""

from __future__ import annotations

import http.client
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from bench import servers
from bench.servers import Instance, Visitor
from tests.servers.conftest import PG, count, flush_limits
from tests.servers.notes import first_client, kept_notes, log_note, wait_for

pytestmark = pytest.mark.servers

VISITORS = 4
BEFORE, AFTER = 6, 6  # saves answered before the restart, and after it
PLAIN_503 = "The database cannot save anything right now"


def _cluster() -> tuple[str, str] | None:
    """(version, name) of the local cluster PEERWORKS_SERVERS_PG points at, or None when it is not a local one."""
    if shutil.which("pg_ctlcluster") is None or urlsplit(PG).hostname not in ("127.0.0.1", "localhost"):
        return None
    versions = sorted(Path("/etc/postgresql").glob("*/main"))
    return (versions[-1].parent.name, "main") if versions else None


@pytest.fixture(scope="module")
def server(server_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    if _cluster() is None:
        pytest.skip("needs the local PostgreSQL cluster and pg_ctlcluster, to restart it")
    with servers.running(1, server_env, tmp_path_factory.mktemp("logs")) as (instance,):
        yield instance


class Saves:
    """What each visitor sent and what came back (None: no answer; 0: the form page itself could not be had)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, int | None]] = []
        self.refusals: list[str] = []  # the pages of the answers that were not a redirect
        self.stop = threading.Event()

    def answered(self) -> int:
        return sum(1 for _text, status in self.sent if status == 302)

    def keep_saving(self, visitor: Visitor, base: str, client_id: int, number: int) -> None:
        day = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
        attempt = 0
        while not self.stop.is_set():
            text = f"pg-restart note {number}-{attempt}"
            status: int | None
            try:
                answer = log_note(visitor, base, client_id, text, day)
                status = answer.status
                if status != 302:
                    self.refusals.append(answer.body)
            except RuntimeError as error:  # the form page did not come: its answer is in the message
                status = 0
                self.refusals.append(str(error))
            except (OSError, http.client.HTTPException):
                status = None
            self.sent.append((text, status))
            attempt += 1
            if status != 302:
                time.sleep(0.2)


def _started_at(engine: sa.Engine) -> datetime:
    with engine.connect() as connection:
        return connection.execute(sa.text("SELECT pg_postmaster_start_time()")).scalar_one()


def test_the_app_recovers_from_a_postgresql_restart_and_loses_nothing_committed(
    server: Instance, engine: sa.Engine, server_env: dict[str, str]
) -> None:
    version, cluster = _cluster()  # type: ignore[misc]
    flush_limits()
    visitors = [Visitor() for _ in range(VISITORS)]
    for visitor in visitors:
        assert visitor.sign_in(server.base, "peer@example.org").status == 302
    client_id = first_client(visitors[0], server.base)
    (worker,) = server.workers()
    started_before = _started_at(engine)
    engine.dispose()
    saves = Saves()
    threads = [threading.Thread(target=saves.keep_saving, args=(visitor, server.base, client_id, number))
               for number, visitor in enumerate(visitors)]
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: saves.answered() >= BEFORE, 180, "the first saves")
        at_restart, restarted = saves.answered(), time.monotonic()
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, cluster, "restart"],
                       check=True, capture_output=True, timeout=120)
        took = time.monotonic() - restarted
        wait_for(lambda: saves.answered() >= at_restart + AFTER, 180, "saves answered after the restart")
    finally:
        saves.stop.set()
        for thread in threads:
            thread.join()

    assert _started_at(engine) > started_before, "PostgreSQL did not restart: the test proves nothing"
    assert server.workers() == [worker], "the app's worker was restarted: it should recover by itself"
    statuses = {status for _text, status in saves.sent}
    assert statuses <= {302, 503, 0, None}, f"unexpected answers: {statuses}"
    for page in saves.refusals:
        assert "Traceback" not in page
        assert PLAIN_503 in page or "answered 503" in page, page[:500]
    stored, unaudited = kept_notes(engine, "pg-restart note ")
    answered = {text for text, status in saves.sent if status == 302}
    assert answered <= stored, f"answered but not kept: {sorted(answered - stored)}"
    assert stored <= {text for text, _status in saves.sent}
    assert unaudited == 0
    entries = count(engine, "SELECT count(*) FROM core_audit_entry")
    assert count(engine, "SELECT last_id FROM core_audit_head") == entries
    assert "intact" in servers.flask(["audit", "verify"], {"DATABASE_URL": server_env["DATABASE_URL"]}).stdout
    refused = sum(1 for _text, status in saves.sent if status != 302)
    print(f"\nPostgreSQL restarted in {took:.1f} s: {len(answered)} saves answered and kept, {refused} refused "
          f"with the plain page or cut off while it was down; the same worker served on")
