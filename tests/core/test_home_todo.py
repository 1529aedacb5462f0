"""The home page's to-do list (core/todo.py): what needs the signed-in person across modules, most urgent first,
each with a link; one query per module however many items wait; a sealed record never counted; the plain empty
state; each card saying what its part is for."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest

from caseload.models import Determination
from core import todo
from core.extensions import db
from core.models import Notification, Priority, Role, Staff
from core.timeutil import today
from readiness.models import Invitation
from tests import factories
from tests.queries import fresh_queries_for


def sign_in(client, person) -> None:
    token = factories.start_session(person)
    with client.session_transaction() as session:
        session["_user_id"] = token


def home(client) -> str:
    return html.unescape(client.get("/").get_data(as_text=True))


def todo_lines(page: str) -> list[str]:
    """The to-do list's items, as plain text, in order."""
    found = re.findall(r'<li class="pw-todo__item[^"]*">(.*?)</li>', page, re.DOTALL)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()).replace(" :", ":") for item in found]


@pytest.fixture
def now(frozen_time):
    return frozen_time.at("2026-06-10 09:00")


def open_survey_for(person: Staff, closes_in: int = 10) -> None:
    from tests.readiness.helpers import make_campaign, make_instrument

    campaign = make_campaign(make_instrument(), closes_on=today() + timedelta(days=closes_in))
    db.session.add(Invitation(campaign_id=campaign.id, staff_id=person.id, token_hash=f"h{campaign.id}-{person.id}"))
    db.session.flush()


def referral_today(taker: Staff, program=None, **client_fields):
    client = factories.make_client(program=program, **client_fields)
    return client, factories.make_referral(client, taker)


def determination_due(client, officer: Staff, *, days: int) -> None:
    db.session.add(Determination(client_id=client.id, situation="Works here.", decision="Case by case.",
                                 rationale="Different team.", consulted="Director",
                                 review_on=today() + timedelta(days=days), recorded_by_id=officer.id))
    db.session.flush()


def test_nothing_needs_you_is_said_plainly(client, db, now):
    sign_in(client, factories.make_staff(Role.STAFF))
    page = home(client)
    assert "Nothing needs you right now." in page
    assert todo_lines(page) == []


def test_each_card_says_what_its_part_is_for(client, db, now):
    sign_in(client, factories.make_staff(Role.PEER))
    page = home(client)
    assert "Certifications, continuing education, orientation and shadowing." in page
    assert "Your clients, today's referrals, recovery plans and contact notes" in page


def test_a_peer_sees_their_survey_certification_and_orientation_most_urgent_first(client, db, now):
    from tests.training.helpers import certify, make_credential
    from training.services import orientation

    team = factories.make_team()
    peer = factories.make_staff(Role.PEER, teams=[team], program=team.program)
    open_survey_for(peer, closes_in=2)
    certify(peer, make_credential(), date(2024, 7, 1), today() - timedelta(days=3))  # expired three days ago
    orientation.assign(peer, None, starts_on=today() - timedelta(days=30))
    db.session.add(Notification(staff_id=peer.id, text="Someone asked for a record.", link="/",
                                priority=Priority.HIGH))
    db.session.commit()
    sign_in(client, peer)
    lines = todo_lines(home(client))
    assert lines[0].startswith("Urgent: 1 urgent notification to read")
    assert any(line.startswith("Urgent: A certification expiring") and "Expired" in line for line in lines)
    assert any("orientation items to sign off (Training)" in line for line in lines)
    assert any(line.startswith("Due soon: A survey to answer (Readiness)") for line in lines)
    urgencies = [line.split(":")[0] for line in lines]
    order = ["Urgent", "Due soon", "Waiting for you", "Coming up"]
    assert urgencies == sorted(urgencies, key=order.index)


def test_a_supervisor_sees_ce_entries_and_orientation_items_of_their_reports(client, db, now):
    from tests.training.helpers import certify, log, make_credential
    from training.services import orientation

    supervisor = factories.make_staff(Role.SUPERVISOR)
    report = factories.make_staff(Role.PEER, supervisor=supervisor)
    below = factories.make_staff(Role.PEER, supervisor=report)  # two levels down
    stranger = factories.make_staff(Role.PEER)
    credential = make_credential()
    for person in (report, below, stranger):
        log(certify(person, credential, date(2025, 1, 1)), person, taken_on=date(2026, 3, 1))
    orientation.assign(report, None, starts_on=today() - timedelta(days=60))
    db.session.commit()
    sign_in(client, supervisor)
    lines = todo_lines(home(client))
    ce = next(line for line in lines if "CE entries to approve" in line)
    assert ce.startswith("Waiting for you: 2 CE entries to approve")
    assert any("to sign off for the people you supervise" in line for line in lines)
    assert 'href="/training/review"' in client.get("/").get_data(as_text=True)


def test_an_interviewer_sees_candidates_to_score_until_they_submit(client, db, now):
    from tests.hiring.helpers import COMPETENCIES, applicant, moved, published, ready_panel, scored

    hr = factories.make_staff(Role.HR)
    posting = published(hr)
    interviewer, _other = ready_panel(posting, hr=hr)
    first, second = applicant(posting, "Robin Vega"), applicant(posting, "Ari Lane")
    for candidate in (first, second):
        moved(candidate, "interview", hr)
    db.session.commit()
    sign_in(client, interviewer)
    lines = todo_lines(home(client))
    assert any(line.startswith("Waiting for you: 2 candidates to score (Interviews)") for line in lines)
    scored(first, interviewer, dict.fromkeys(COMPETENCIES, 4))
    db.session.commit()
    assert any(line.startswith("Waiting for you: 1 candidate to score") for line in todo_lines(home(client)))


def test_todays_referrals_and_determinations_due(client, db, now):
    team = factories.make_team()
    peer = factories.make_staff(Role.PEER, teams=[team], program=team.program)
    referral_today(peer, program=team.program)
    referral_today(peer, program=team.program)
    _client, seen = referral_today(peer, program=team.program)
    seen.seen_at = seen.received_at
    officer = factories.make_staff(Role.PRIVACY)
    staff_member = factories.make_staff(Role.STAFF)
    sealed = factories.make_client("Dana Sealed")
    factories.seal(sealed, staff_member)
    determination_due(sealed, officer, days=-2)
    db.session.commit()
    sign_in(client, peer)
    assert "Due soon: 2 referrals today not seen yet (Caseload)" in todo_lines(home(client))
    sign_in(client, officer)
    line = next(line for line in todo_lines(home(client)) if "determination" in line)
    assert line == "Urgent: 1 determination due for review (Caseload) 1 overdue."


def test_a_sealed_record_never_shows_in_the_list(client, db, now):
    """A referral today for a staff member who is also a client: their supervisor, on the same program, counts the
    open referral and not the sealed one; a privacy officer whose own record it is does not count its review."""
    team = factories.make_team()
    supervisor = factories.make_staff(Role.SUPERVISOR, teams=[team], program=team.program)
    worker = factories.make_staff(Role.PEER, teams=[team], program=team.program, supervisor=supervisor)
    referral_today(supervisor, program=team.program)
    sealed, _referral = referral_today(supervisor, program=team.program, name="Sealed Person")
    factories.seal(sealed, worker)
    officer = factories.make_staff(Role.PRIVACY)
    own = factories.make_client("Officer Own")
    factories.seal(own, officer)
    determination_due(own, officer, days=3)
    db.session.commit()
    sign_in(client, supervisor)
    page = home(client)
    assert "Due soon: 1 referral today not seen yet (Caseload)" in todo_lines(page)
    assert "Sealed Person" not in page
    sign_in(client, officer)
    assert not [line for line in todo_lines(home(client)) if "determination" in line]


def test_one_query_per_module_however_many_items(client, db, now):
    from tests.hiring.helpers import applicant, moved, published, ready_panel
    from tests.training.helpers import certify, log, make_credential
    from training.services import orientation

    team = factories.make_team()
    hr = factories.make_staff(Role.HR)
    supervisor = factories.make_staff(Role.SUPERVISOR, Role.PEER, teams=[team], program=team.program)
    supervisor_id = supervisor.id
    posting = published(hr)
    ready_panel(posting, supervisor, factories.make_staff(Role.STAFF), hr=hr)
    credential_id, posting_id, program_id, hr_id = make_credential().id, posting.id, team.program_id, hr.id

    def more(n: int) -> None:
        from core.models import CredentialType, Program
        from hiring.models import Posting

        person, hr = db.session.get(Staff, supervisor_id), db.session.get(Staff, hr_id)
        credential, posting = db.session.get(CredentialType, credential_id), db.session.get(Posting, posting_id)
        for _ in range(n):
            report = factories.make_staff(Role.PEER, supervisor=person)
            log(certify(report, credential, date(2025, 1, 1)), report, taken_on=date(2026, 3, 1))
            orientation.assign(report, None, starts_on=today() - timedelta(days=40))
            referral_today(person, program=db.session.get(Program, program_id))
            moved(applicant(posting, f"Person {report.id}", email=f"c{report.id}@example.org"), "interview", hr)
            open_survey_for(person)
        db.session.commit()

    more(1)
    sign_in(client, supervisor)
    client.get("/")
    small = fresh_queries_for(client, "/")
    lines_small = todo_lines(home(client))
    more(6)
    large = fresh_queries_for(client, "/")
    lines_large = todo_lines(home(client))
    assert len(lines_large) == len(lines_small) >= 5
    assert "Waiting for you: 7 CE entries to approve (Training)" in lines_large
    assert large == small


def test_providers_are_registered_by_each_module(app):
    with app.app_context():
        assert list(todo.providers()) == ["notifications", "caseload", "readiness", "hiring", "training", "supervision"]
