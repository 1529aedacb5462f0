"""A gunicorn worker killed (SIGKILL) while notes are being saved loses nothing committed (issue 14, faults).

Four visitors keep logging contact notes through one gunicorn instance; the test kills its worker mid-request,
once at least one save has been answered, and goes on until the master's new worker has answered more saves. Then:
every save answered with a redirect is in the database, every note in the database was sent by a visitor and has
its audit entry (and every such entry its note: nothing half-written), ``flask audit verify`` passes, and the new
worker answers the next request.
"""

from __future__ import annotations

import http.client
import os
import signal
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from bench import servers
from bench.servers import Instance, Visitor
from tests.servers.conftest import count, flush_limits
from tests.servers.notes import first_client, kept_notes, log_note, wait_for

pytestmark = pytest.mark.servers

VISITORS = 4
BEFORE, AFTER = 6, 6  # saves answered before the kill, and by the new worker after it


@pytest.fixture(scope="module")
def server(server_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    with servers.running(1, server_env, tmp_path_factory.mktemp("logs")) as (instance,):
        yield instance


class Saves:
    """What each visitor sent and what came back (None: the connection ended without an answer)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, int | None]] = []
        self.answered_at: list[float] = []
        self.stop = threading.Event()

    def answered(self) -> int:
        return sum(1 for _text, status in self.sent if status is not None)

    def keep_saving(self, visitor: Visitor, base: str, client_id: int, number: int) -> None:
        day = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
        attempt = 0
        while not self.stop.is_set():
            text = f"worker-kill note {number}-{attempt}"
            try:
                status: int | None = log_note(visitor, base, client_id, text, day).status
            except (OSError, http.client.HTTPException):
                status = None
            self.sent.append((text, status))
            if status is not None:
                self.answered_at.append(time.monotonic())
            attempt += 1


def test_a_worker_killed_mid_request_loses_nothing_committed(
    server: Instance, engine: sa.Engine, server_env: dict[str, str]
) -> None:
    flush_limits()
    visitors = [Visitor() for _ in range(VISITORS)]
    for visitor in visitors:
        assert visitor.sign_in(server.base, "peer@example.org").status == 302
    client_id = first_client(visitors[0], server.base)
    saves = Saves()
    threads = [threading.Thread(target=saves.keep_saving, args=(visitor, server.base, client_id, number))
               for number, visitor in enumerate(visitors)]
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: saves.answered() >= BEFORE, 180, "the first saves")
        (killed,) = server.workers()
        os.kill(killed, signal.SIGKILL)
        killed_at, at_kill = time.monotonic(), saves.answered()
        wait_for(lambda: saves.answered() >= at_kill + AFTER, 300, "the new worker to answer saves")
    finally:
        saves.stop.set()
        for thread in threads:
            thread.join()

    statuses = {status for _text, status in saves.sent}
    assert statuses <= {302, None}, f"answers other than a redirect: {statuses}"
    assert None in statuses, "no request was cut off by the kill: the test proves nothing"
    stored, unaudited = kept_notes(engine, "worker-kill note ")
    with engine.connect() as connection:
        orphans = connection.execute(sa.text(
            "SELECT count(*) FROM core_audit_entry a WHERE a.action = 'note.added' AND NOT EXISTS "
            "(SELECT 1 FROM caseload_contact_note n WHERE a.detail = 'contact note ' || n.id)")).scalar_one()
    answered = {text for text, status in saves.sent if status == 302}
    assert answered <= stored, f"answered but not kept: {sorted(answered - stored)}"
    assert stored <= {text for text, _status in saves.sent}
    assert unaudited == 0
    assert orphans == 0
    entries = count(engine, "SELECT count(*) FROM core_audit_entry")
    assert count(engine, "SELECT last_id FROM core_audit_head") == entries
    assert "intact" in servers.flask(["audit", "verify"], {"DATABASE_URL": server_env["DATABASE_URL"]}).stdout
    (new_worker,) = server.workers()
    assert new_worker != killed
    assert visitors[0].get(server.base, "/").status == 200
    back = min(at for at in saves.answered_at if at > killed_at) - killed_at
    print(f"\nworker killed: {len(answered)} saves answered, {sum(s is None for _t, s in saves.sent)} cut off "
          f"without an answer, {len(stored)} kept; the new worker answered {back:.1f} s after the kill")
