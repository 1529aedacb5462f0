"""The statement counter the no-N+1 tests share (tests/queries.py) counts the page's own work, not the clock's."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from core.models import AuthSession
from tests.queries import counting_queries, fresh_queries_for


def test_a_count_taken_as_a_minute_turns_equals_one_taken_within_it(client, db, login_as):
    """The first request of each minute writes the session's last-seen minute; a count that straddled a minute's
    turn once came out one higher than its twin and failed a CI run."""
    person_id = login_as("peer").id
    fresh_queries_for(client, "/")  # this minute is written
    within = fresh_queries_for(client, "/")
    a_minute_ago = db.session.scalar(select(AuthSession.last_seen_at)) - timedelta(minutes=1)
    db.session.execute(update(AuthSession).where(AuthSession.staff_id == person_id).values(last_seen_at=a_minute_ago))
    db.session.commit()
    db.session.expunge_all()
    with counting_queries() as turned:
        assert client.get("/").status_code == 200
    assert len(turned) == within
    assert db.session.scalar(select(AuthSession.last_seen_at)) > a_minute_ago  # the minute was written in the count
