"""Two app servers, one PostgreSQL, one Redis (issue 14, scale-out): two gunicorn instances of ``wsgi:app`` on the
same settings, requests spread over both.

- A session started on one instance works on the other, and signing out on either ends it on both.
- The sign-in limit counts attempts on both instances together (Flask-Limiter's store is Redis).
- Notes logged at once through both instances chain their audit entries in one line: ``flask audit verify`` passes
  and the log holds exactly the entries written.
- Each scheduled command, started on two servers at the same moment, does its work once: the test holds a lock on
  the table the command reads first until both processes wait on it, so both read the same state.
"""

from __future__ import annotations

import os
import socketserver
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from bench import servers
from bench.servers import Instance, Visitor
from tests.servers.conftest import count, flush_limits
from tests.servers.notes import first_client, log_note

pytestmark = pytest.mark.servers

PEER = "peer@example.org"
NOTES_PER_VISITOR = 8
VISITORS = 4


@pytest.fixture(scope="module")
def pair(server_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Instance]]:
    with servers.running(2, server_env, tmp_path_factory.mktemp("logs")) as instances:
        yield instances


def _signed_in(visitor: Visitor, base: str) -> bool:
    page = visitor.get(base, "/")
    return page.status == 200 and 'action="/logout"' in page.body


def test_a_session_started_on_one_instance_works_on_the_other_and_ends_on_both(pair: list[Instance]) -> None:
    a, b = pair
    flush_limits()
    visitor = Visitor()
    assert visitor.sign_in(a.base, PEER).status == 302
    assert _signed_in(visitor, b.base), "the session started on A is not known on B"
    assert _signed_in(visitor, a.base)
    kept = dict(visitor.cookies)
    assert visitor.post(b.base, "/logout", {}, form_page="/").status == 302
    stale = Visitor(kept)  # the cookies as they were before signing out, sent again
    for instance in (a, b):
        page = stale.get(instance.base, "/")
        assert page.status == 302, "the session signed out on B still works"
        assert "/login" in page.location


def test_the_sign_in_limit_counts_attempts_on_both_instances(pair: list[Instance]) -> None:
    a, b = pair
    flush_limits()
    visitor = Visitor()
    answers = [visitor.sign_in((a, b)[n % 2].base, "nobody@example.org", "wrong").status for n in range(6)]
    assert 429 not in answers, answers  # 6 per minute: three tries on each instance are allowed
    assert visitor.sign_in(a.base, "nobody@example.org", "wrong").status == 429
    assert visitor.sign_in(b.base, PEER).status == 429, "B did not count the tries sent to A"
    flush_limits()


def test_the_audit_chain_stays_one_line_under_writes_through_both(
    pair: list[Instance], engine: sa.Engine, server_env: dict[str, str]
) -> None:
    flush_limits()
    visitors = [Visitor() for _ in range(VISITORS)]
    for number, visitor in enumerate(visitors):
        assert visitor.sign_in(pair[number % 2].base, PEER).status == 302
    client_id = first_client(visitors[0], pair[0].base)
    day = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    entries_before = count(engine, "SELECT count(*) FROM core_audit_entry")
    answers: list[int] = []

    def write(number: int) -> None:
        for note in range(NOTES_PER_VISITOR):
            base = pair[(number + note) % 2].base  # each visitor alternates between the instances
            text = f"scale-out note {number}-{note}"
            answers.append(log_note(visitors[number], base, client_id, text, day).status)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(VISITORS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - started

    written = VISITORS * NOTES_PER_VISITOR
    assert answers == [302] * written
    assert count(engine, "SELECT count(*) FROM caseload_contact_note WHERE body LIKE 'scale-out note %'") == written
    with engine.connect() as connection:
        actions = dict(connection.execute(sa.text(
            "SELECT action, count(*) FROM core_audit_entry WHERE id > :before GROUP BY action"),
            {"before": entries_before}).all())
    # one entry for each form opened (the client's record was read) and one for each note saved: nothing else
    assert actions.get("note.added") == written, actions
    assert sorted(actions.values()) == [written, written], actions
    total = count(engine, "SELECT count(*) FROM core_audit_entry")
    assert count(engine, "SELECT last_id FROM core_audit_head") == total
    verified = servers.flask(["audit", "verify"], {"DATABASE_URL": server_env["DATABASE_URL"]})
    assert "intact" in verified.stdout
    print(f"\naudit chain: {written} notes saved through both instances by {VISITORS} visitors in {seconds:.1f} s; "
          f"{verified.stdout.strip()}")


# --- Scheduled commands on two servers at once -------------------------------------------------------------------


class _Sink(socketserver.StreamRequestHandler):
    """Just enough SMTP to take messages and count them (no TLS, no login)."""

    received: list[bytes] = []

    def _say(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self._say("220 sink")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb == b"DATA":
                self._say("354 go on")
                message = b"".join(iter(lambda: self.rfile.readline(), b".\r\n"))
                _Sink.received.append(message)
                self._say("250 taken")
            elif verb == b"QUIT":
                self._say("221 bye")
                return
            elif verb in (b"EHLO", b"HELO"):
                self._say("250 sink")
            else:
                self._say("250 ok")


@pytest.fixture
def smtp_sink() -> Iterator[tuple[int, list[bytes]]]:
    _Sink.received = []
    with socketserver.ThreadingTCPServer((servers.HOST, 0), _Sink) as sink:
        thread = threading.Thread(target=sink.serve_forever, daemon=True)
        thread.start()
        yield sink.server_address[1], _Sink.received
        sink.shutdown()


def _both_at_once(engine: sa.Engine, table: str, command: list[str], env: dict[str, str]) -> list[str]:
    """Runs ``command`` in two processes that read ``table`` at the same moment; their outputs."""
    env = {**env, "LOG_LEVEL": "WARNING"}
    with engine.connect() as holder:
        holder.execute(sa.text(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))  # a name of ours, not input
        runs = [subprocess.Popen([str(servers.FLASK), "--app", "wsgi", *command], cwd=servers.ROOT,
                                 env={**os.environ, **env}, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for _ in range(2)]
        deadline = time.monotonic() + 120
        while count(engine, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                            "AND wait_event_type = 'Lock'") < 2:
            assert all(run.poll() is None for run in runs), "a command ended before reading its table"
            assert time.monotonic() < deadline, "the two commands never both waited for the table"
            time.sleep(0.1)
        holder.rollback()  # both go on together
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    said = " | ".join(out.strip().splitlines()[-1] if out.strip() else "" for out, _err in outputs)
    print(f"\nflask {' '.join(command)}, two at once: {said}")
    return [out for out, _err in outputs]


def _no_twice(engine: sa.Engine, table: str, columns: str, after: int) -> None:
    twice = count(engine, f"SELECT count(*) FROM (SELECT {columns} FROM {table} WHERE id > :after "  # noqa: S608
                          f"GROUP BY {columns} HAVING count(*) > 1) AS twice", after=after)
    assert twice == 0, f"{table}: {twice} row(s) written twice"


def _last(engine: sa.Engine, table: str) -> int:
    return count(engine, f"SELECT coalesce(max(id), 0) FROM {table}")  # noqa: S608 - a name of ours


def test_training_reminders_on_two_servers_at_once_go_out_once(
    pair: list[Instance], engine: sa.Engine, server_env: dict[str, str]
) -> None:
    notes, mails = _last(engine, "core_notification"), _last(engine, "core_outbox_email")
    _both_at_once(engine, "training_certification", ["training", "remind"], server_env)
    sent = count(engine, "SELECT count(*) FROM training_reminder")
    assert sent > 0, "the demo agency has no certification due a reminder: the test proves nothing"
    assert count(engine, "SELECT count(*) FROM core_notification WHERE id > :n", n=notes) > 0
    _no_twice(engine, "core_notification", "staff_id, text, link", notes)
    _no_twice(engine, "core_outbox_email", "to_address, subject, body", mails)
    again = servers.flask(["training", "remind"], {"DATABASE_URL": server_env["DATABASE_URL"]})
    assert again.stdout.startswith("Sent 0 reminder(s)")


def test_safeguard_reminders_on_two_servers_at_once_go_out_once(
    pair: list[Instance], engine: sa.Engine, server_env: dict[str, str]
) -> None:
    notes = _last(engine, "core_notification")
    with engine.begin() as connection:  # the demo's determinations come due for review today
        connection.execute(sa.text("UPDATE caseload_determination SET review_on = CURRENT_DATE"))
    _both_at_once(engine, "caseload_determination", ["safeguards", "remind"], server_env)
    assert count(engine, "SELECT count(*) FROM core_notification WHERE id > :n", n=notes) > 0
    _no_twice(engine, "core_notification", "staff_id, link", notes)


def test_ballots_released_on_two_servers_at_once_count_once(
    pair: list[Instance], engine: sa.Engine, server_env: dict[str, str]
) -> None:
    with engine.begin() as connection:
        campaign, threshold, item, team = connection.execute(sa.text(
            "SELECT c.id, c.min_cell, i.id, (SELECT min(id) FROM core_team) FROM readiness_campaign c "
            "JOIN readiness_item i ON i.instrument_id = c.instrument_id AND i.kind = 'likert' "
            "WHERE c.closes_on >= CURRENT_DATE ORDER BY c.id, i.id LIMIT 1")).one()
        for number in range(threshold):
            connection.execute(sa.text(
                "INSERT INTO readiness_ballot (id, campaign_id, team_key, role_group, tenure_band, answers) "
                "VALUES (:id, :campaign, :team, 'peer', 'unsaid', :answers)"),
                {"id": f"scale{number:027d}", "campaign": campaign, "team": team, "answers": f"[[{item}, 4, null]]"})
    before = count(engine, "SELECT count(*) FROM readiness_response WHERE campaign_id = :c", c=campaign)
    _both_at_once(engine, "readiness_ballot", ["readiness", "release"], server_env)
    assert count(engine, "SELECT count(*) FROM readiness_ballot") == 0
    after = count(engine, "SELECT count(*) FROM readiness_response WHERE campaign_id = :c", c=campaign)
    assert after - before == threshold


def test_the_outbox_sent_from_two_servers_at_once_sends_each_email_once(
    pair: list[Instance], engine: sa.Engine, server_env: dict[str, str], smtp_sink: tuple[int, list[bytes]]
) -> None:
    port, received = smtp_sink
    waiting = count(engine, "SELECT count(*) FROM core_outbox_email WHERE sent_at IS NULL")
    assert waiting > 0, "the demo agency has no email waiting: the test proves nothing"
    mail = {"SMTP_HOST": servers.HOST, "SMTP_PORT": str(port), "SMTP_STARTTLS": "0"}
    _both_at_once(engine, "core_outbox_email", ["send-mail"], {**server_env, **mail})
    assert count(engine, "SELECT count(*) FROM core_outbox_email WHERE sent_at IS NULL") == 0
    assert len(received) == waiting, f"{len(received)} emails sent for {waiting} waiting"
    assert count(engine, "SELECT count(*) FROM core_outbox_email WHERE attempts > 1") == 0

