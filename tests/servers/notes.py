"""Logging a contact note through the real form: the write both server tests send (two audit entries each)."""

from __future__ import annotations

import re

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
