"""Counting SQL statements, for the tests that prove a page's queries do not grow with its rows (no N+1)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from core.extensions import db

# The sign-in session's last-seen minute is written by the first request of each minute, whatever the page
# (core.sessions): counted, it made two counts taken either side of a minute's turn differ by one (a CI run failed so).
MINUTE_TOUCH = "UPDATE core_auth_session SET last_seen_at="


@contextmanager
def counting_queries(*, with_session_touch: bool = False) -> Iterator[list[str]]:
    """The SQL statements run inside the block, in order, leaving out the once-a-minute session touch unless the
    test is about that touch (``with_session_touch=True``)."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if with_session_touch or not statement.startswith(MINUTE_TOUCH):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def queries_for(client: Any, url: str) -> int:
    """How many statements one GET of ``url`` runs; the page must answer 200."""
    with counting_queries() as statements:
        assert client.get(url).status_code == 200, url
    return len(statements)


def fresh_queries_for(client: Any, url: str) -> int:
    """``queries_for`` with nothing loaded beforehand, as on a real server (in the tests one app context, and so one
    identity map, outlives each request, so a row an earlier request loaded would not be read again)."""
    db.session.expunge_all()
    return queries_for(client, url)
