"""Logging a contact note through the real form: the write both server tests send (two audit entries each)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import sqlalchemy as sa

from bench.servers import Answer, Visitor

CLIENT_LINK = re.compile(r'/caseload/clients/(\d+)"')


def first_client(visitor: Visitor, base: str) -> int:
    page = visitor.get(base, "/caseload/clients")
    found = CLIENT_LINK.search(page.body)
    assert page.status == 200
    assert found, "the caseload list shows no client"
    return int(found.group(1))


def log_note(visitor: Visitor, base: str, client_id: int, text: str, day: str) -> Answer:
    """A 30-minute phone contact dated ``day`` whose note is ``text``."""
    return visitor.post(base, f"/caseload/clients/{client_id}/notes/new", {
        "happened_on": day, "kind": "advocacy", "minutes": "30", "place": "phone", "body": text,
    })


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds:.0f} s for {what}"
        time.sleep(0.05)


def kept_notes(engine: sa.Engine, prefix: str) -> tuple[set[str], int]:
    """The notes whose text starts with ``prefix`` that the database holds, and how many of them have no
    ``note.added`` audit entry."""
    pattern = prefix + "%"
    with engine.connect() as connection:
        stored = set(connection.execute(sa.text(
            "SELECT body FROM caseload_contact_note WHERE body LIKE :pattern"), {"pattern": pattern}).scalars())
        unaudited = connection.execute(sa.text(
            "SELECT count(*) FROM caseload_contact_note n WHERE n.body LIKE :pattern AND NOT EXISTS "
            "(SELECT 1 FROM core_audit_entry a WHERE a.action = 'note.added' AND a.detail = 'contact note ' || n.id)"
        ), {"pattern": pattern}).scalar_one()
    return stored, unaudited
