"""The candidate pipeline per posting: applied → screened → interview → offer → hired / not selected / withdrawn,
with history (who, when, comment), a required reason for "not selected", a board (a column per stage, moving by a
select and a button) and a list with search, pages and a formula-safe CSV. Every read is audited; only HR and the
administrator (and the posting's panel, see test_panels.py) read candidates; a second tab's move gets 409 with its
input kept."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import func, select

from core.models import AuditEntry, Role
from hiring.models import Candidate, CandidateEvent
from tests.hiring.helpers import applicant, make_hr, moved, published, ready_panel
from tests.queries import counting_queries, fresh_queries_for


@pytest.fixture
def job(db):
    hr = make_hr()
    posting = published(hr, title="Peer Specialist, day program")
    db.session.commit()
    return posting


def audit_actions(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_an_application_makes_a_candidate_at_applied_with_the_first_step_of_its_history(db, job):
    candidate = applicant(job, "Robin Vega")

    assert candidate.stage == "applied"
    assert candidate.posting_id == job.id
    [event] = db.session.scalars(select(CandidateEvent).where(CandidateEvent.candidate_id == candidate.id)).all()
    assert (event.to_stage, event.actor_id) == ("applied", None)


def test_hr_moves_a_candidate_and_the_history_keeps_who_when_and_the_comment(client, db, job, login_as):
    hr = login_as(Role.HR, name="Harriet Reyes")
    candidate = applicant(job, "Robin Vega")
    db.session.commit()

    response = client.post(
        f"/hiring/candidates/{candidate.id}/move",
        data={"to_stage": "screened", "comment": "Strong answers about recovery.", "version": candidate.version},
    )

    assert response.status_code == 302
    db.session.refresh(candidate)
    assert candidate.stage == "screened"
    last = db.session.scalars(
        select(CandidateEvent).where(CandidateEvent.candidate_id == candidate.id).order_by(CandidateEvent.id.desc())
    ).first()
    assert (last.from_stage, last.to_stage, last.actor_id, last.comment) == (
        "applied",
        "screened",
        hr.id,
        "Strong answers about recovery.",
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Harriet Reyes" in page
    assert "Strong answers about recovery." in page
    [entry] = audit_actions(db, "hiring.candidate_moved")
    assert entry.detail == "applied to screened"  # never the comment or the name
    assert "Robin" not in entry.detail


def test_not_selected_needs_a_reason_and_the_form_keeps_what_was_typed(client, db, job, login_as):
    login_as(Role.HR)
    candidate = applicant(job, "Robin Vega")
    db.session.commit()

    refused = client.post(
        f"/hiring/candidates/{candidate.id}/move",
        data={"to_stage": "not_selected", "comment": "Talked with the team.", "reason": "  ", "version": 1},
    )

    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "Say why Robin Vega is not selected" in page
    assert "Talked with the team." in page
    assert re.search(r'<option selected value="not_selected">|<option value="not_selected" selected', page)
    db.session.refresh(candidate)
    assert candidate.stage == "applied"

    reason = "Needs more experience running groups; encouraged to apply again."
    sent = client.post(
        f"/hiring/candidates/{candidate.id}/move",
        data={"to_stage": "not_selected", "reason": reason, "version": 1},
    )
    assert sent.status_code == 302
    db.session.refresh(candidate)
    assert candidate.stage == "not_selected"
    assert reason in client.get(f"/hiring/candidates/{candidate.id}").get_data(as_text=True)


def test_a_reason_of_invisible_characters_is_not_a_reason(db, job):
    from core.errors import InvalidInput
    from hiring.services import candidates

    hr = make_hr()
    candidate = applicant(job)
    with pytest.raises(InvalidInput):
        candidates.move(candidate, candidates.Move("not_selected", reason="\u200b" * 30 + "no"), 1, hr)


def test_hired_is_not_a_stage_to_move_to_and_a_hired_candidate_stays_hired(client, db, job, login_as):
    hr = login_as(Role.HR)
    candidate = applicant(job)
    db.session.commit()

    response = client.post(f"/hiring/candidates/{candidate.id}/move", data={"to_stage": "hired", "version": 1})
    assert response.status_code == 400
    assert "Choose one of the options shown." in response.get_data(as_text=True)
    db.session.refresh(candidate)
    assert candidate.stage == "applied"

    candidate.stage = "hired"  # as the hire does (test_hire.py)
    db.session.commit()
    page = client.get(f"/hiring/candidates/{candidate.id}").get_data(as_text=True)
    assert "Move to another stage" not in page
    from core.errors import Refused
    from hiring.services import candidates

    with pytest.raises(Refused):
        candidates.move(candidate, candidates.Move("screened"), candidate.version, hr)


def test_the_board_has_a_column_per_stage_with_counts_and_cards_moved_by_a_select_and_a_button(
    client, db, job, login_as
):
    hr = login_as(Role.HR)
    robin, sam, lee = applicant(job, "Robin Vega"), applicant(job, "Sam Ortiz"), applicant(job, "Lee Park")
    moved(sam, "screened", hr)
    moved(lee, "withdrawn", hr)
    db.session.commit()

    page = client.get(f"/hiring/postings/{job.id}/board").get_data(as_text=True)

    for words in (
        "Applied: 1",
        "Screened: 1",
        "Interview: 0",
        "Offer: 0",
        "Hired: 0",
        "Not selected: 0",
        "Withdrawn: 1",
    ):
        assert words in page, words
    for stage in ("applied", "screened", "interview", "offer", "hired", "not_selected", "withdrawn"):
        assert f'id="stage-{stage}-heading"' in page
    applied_column = page.split('id="stage-applied"')[1].split("</section>")[0]
    assert "Robin Vega" in applied_column
    assert "Sam Ortiz" not in applied_column
    assert f'<label class="usa-label" for="move-{robin.id}">Move Robin Vega to</label>' in page
    assert f'action="/hiring/candidates/{robin.id}/move"' in page
    # the card suggests the next stage; the current stage is not offered
    card = page.split(f'id="candidate-{robin.id}"')[1].split("</li>")[0]
    assert '<option value="screened" selected>' in card
    assert 'value="applied"' not in card
    assert 'value="hired"' not in card

    moved_from_board = client.post(
        f"/hiring/candidates/{robin.id}/move", data={"to_stage": "screened", "version": 1, "back": "board"}
    )
    assert moved_from_board.status_code == 302
    assert moved_from_board.headers["Location"].endswith(f"/hiring/postings/{job.id}/board#candidate-{robin.id}")


def test_not_selected_from_the_board_opens_the_candidates_page_asking_for_the_reason(client, db, job, login_as):
    login_as(Role.HR)
    candidate = applicant(job, "Robin Vega")
    db.session.commit()

    response = client.post(
        f"/hiring/candidates/{candidate.id}/move", data={"to_stage": "not_selected", "version": 1, "back": "board"}
    )

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "<h1>Robin Vega</h1>" in page
    assert 'name="reason"' in page
    assert "Please fix this" in page


def test_the_board_and_the_list_read_the_same_number_of_queries_however_many_candidates(client, db, job, login_as):
    hr = login_as(Role.HR)
    ready_panel(job)
    for n in range(2):
        moved(applicant(job, f"Person {n}"), "screened", hr)
    db.session.commit()
    few = {
        url: fresh_queries_for(client, url)
        for url in (f"/hiring/postings/{job.id}/board", f"/hiring/postings/{job.id}/candidates")
    }
    hr, job = db.session.merge(hr), db.session.merge(job)
    for n in range(2, 14):
        candidate = applicant(job, f"Person {n}")
        if n % 2:
            moved(candidate, "interview" if n % 3 else "withdrawn", hr)
    db.session.commit()
    many = {url: fresh_queries_for(client, url) for url in few}
    assert many == few


def test_the_list_searches_by_name_or_email_filters_by_stage_and_pages(app, client, db, job, login_as):
    hr = login_as(Role.HR)
    app.config["PAGE_SIZE"] = 2
    applicant(job, "Robin Vega", email="robin@example.org")
    moved(applicant(job, "Sam Ortiz", email="sam@example.org"), "screened", hr)
    applicant(job, "Lee Park", email="lee.p@example.org")
    db.session.commit()
    url = f"/hiring/postings/{job.id}/candidates"

    assert "Robin Vega" in client.get(url + "?q=vega").get_data(as_text=True)
    by_email = client.get(url + "?q=lee.p@").get_data(as_text=True)
    assert "Lee Park" in by_email
    assert "Robin Vega" not in by_email
    screened = client.get(url + "?stage=screened").get_data(as_text=True)
    assert "Sam Ortiz" in screened
    assert "Robin Vega" not in screened
    first, second = client.get(url).get_data(as_text=True), client.get(url + "?page=2").get_data(as_text=True)
    assert "page 1 of 2" in first
    assert "page 2 of 2" in second
    shown = [name for name in ("Robin Vega", "Sam Ortiz", "Lee Park") if name in first + second]
    assert len(shown) == 3
    nobody = client.get(url + "?q=nobody-here").get_data(as_text=True)
    assert "No candidate matches your search" in nobody
    # a search for a percent sign is a search for that character, not "anything"
    assert "No candidate matches your search" in client.get(url + "?q=%25").get_data(as_text=True)
    # a stage that is not one is left out with a message, never an error
    odd = client.get(url + "?stage=<script>")
    assert odd.status_code == 200
    assert "We could not use this filter" in odd.get_data(as_text=True)


def test_the_csv_holds_every_match_and_cannot_run_a_formula(client, db, job, login_as):
    login_as(Role.HR)
    applicant(job, '=HYPERLINK("http://evil.example","click")', email="evil@example.org", phone="+1 555 0100")
    applicant(job, "Robin Vega")
    db.session.commit()

    response = client.get(f"/hiring/postings/{job.id}/candidates.csv")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == ["Name", "Email", "Phone", "Stage"]
    names = {row[0] for row in rows[1:]}
    assert names == {'\'=HYPERLINK("http://evil.example","click")', "Robin Vega"}
    phones = {row[2] for row in rows[1:]}
    assert "'+1 555 0100" in phones
    only = client.get(f"/hiring/postings/{job.id}/candidates.csv?q=vega").get_data(as_text=True)
    assert "Robin Vega" in only
    assert "HYPERLINK" not in only


def test_every_read_of_a_candidate_is_audited_without_names(client, db, job, login_as):
    hr = login_as(Role.HR)
    candidate = applicant(job, "Robin Vega")
    db.session.commit()

    for url in (
        f"/hiring/postings/{job.id}/board",
        f"/hiring/postings/{job.id}/candidates",
        f"/hiring/postings/{job.id}/candidates.csv",
        f"/hiring/candidates/{candidate.id}",
    ):
        assert client.get(url).status_code == 200

    lists = audit_actions(db, "hiring.candidates_read")
    assert [(e.record_id, e.detail, e.actor_id) for e in lists] == [
        (str(job.id), "board: 1 candidates", hr.id),
        (str(job.id), "list: 1 candidates", hr.id),
        (str(job.id), "CSV: 1 candidates", hr.id),
    ]
    [one] = audit_actions(db, "hiring.candidate_read")
    assert (one.record_type, one.record_id, one.actor_id) == ("hiring_candidate", str(candidate.id), hr.id)


@pytest.mark.parametrize("role", [Role.PEER, Role.STAFF, Role.SUPERVISOR, Role.PRIVACY])
def test_only_hr_and_the_administrator_read_candidates(client, db, job, login_as, role):
    candidate = applicant(job, "Robin Vega")
    db.session.commit()
    person = login_as(role)

    page = client.get(f"/hiring/candidates/{candidate.id}")
    assert page.status_code == 404  # exactly like a candidate that does not exist
    assert "Robin Vega" not in page.get_data(as_text=True)
    for url in (
        f"/hiring/postings/{job.id}/board",
        f"/hiring/postings/{job.id}/candidates",
        f"/hiring/postings/{job.id}/candidates.csv",
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Robin Vega" not in response.get_data(as_text=True)
    moved_by_them = client.post(f"/hiring/candidates/{candidate.id}/move", data={"to_stage": "screened", "version": 1})
    assert moved_by_them.status_code == 403
    db.session.refresh(candidate)
    assert candidate.stage == "applied"
    refusals = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "access.denied", AuditEntry.actor_id == person.id)
    ).all()
    assert any(e.record_type == "Candidate:candidate.read" and e.record_id == str(candidate.id) for e in refusals)


def test_the_administrator_reads_candidates(client, db, job, login_as):
    candidate = applicant(job, "Robin Vega")
    db.session.commit()
    login_as(Role.ADMIN)
    assert "Robin Vega" in client.get(f"/hiring/candidates/{candidate.id}").get_data(as_text=True)


def test_a_second_tab_moving_the_same_candidate_gets_409_with_its_input_kept(client, db, job, login_as):
    login_as(Role.HR)
    candidate = applicant(job, "Robin Vega")
    db.session.commit()
    first_tab_version = second_tab_version = candidate.version

    first = client.post(
        f"/hiring/candidates/{candidate.id}/move",
        data={"to_stage": "screened", "comment": "First tab.", "version": first_tab_version},
    )
    assert first.status_code == 302
    before = db.session.scalar(select(func.count()).select_from(CandidateEvent))

    second = client.post(
        f"/hiring/candidates/{candidate.id}/move",
        data={"to_stage": "withdrawn", "comment": "The second tab's words.", "version": second_tab_version},
    )

    assert second.status_code == 409
    page = second.get_data(as_text=True)
    assert "Someone else moved Robin Vega" in page
    assert "They are now at “Screened”" in page
    assert "The second tab&#39;s words." in page or "The second tab's words." in page
    assert re.search(r'<option selected value="withdrawn">|<option value="withdrawn" selected', page)
    db.session.expire_all()
    assert db.session.get(Candidate, candidate.id).stage == "screened"
    assert db.session.scalar(select(func.count()).select_from(CandidateEvent)) == before
    new_version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)

    again = client.post(
        f"/hiring/candidates/{candidate.id}/move",
        data={"to_stage": "withdrawn", "comment": "The second tab's words.", "version": new_version},
    )
    assert again.status_code == 302
    assert db.session.get(Candidate, candidate.id).stage == "withdrawn"


def test_a_move_in_a_race_is_refused_by_the_database_too(db, job):
    """The version is checked again when the row is written (core.edits): a move that passed the form's check but
    lost the race to another writer is a StaleEdit, not a silent overwrite."""
    from core.errors import StaleEdit
    from hiring.services import candidates

    hr = make_hr()
    candidate = applicant(job)
    loaded = candidate.version
    db.session.execute(  # another writer moves the row on behind this session's back
        Candidate.__table__.update().where(Candidate.__table__.c.id == candidate.id).values(version=loaded + 1)
    )
    with pytest.raises(StaleEdit):
        candidates.move(candidate, candidates.Move("screened"), loaded, hr)


def test_the_posting_page_links_its_candidates_and_the_applications_link_each_candidate(client, db, job, login_as):
    login_as(Role.HR)
    candidate = applicant(job, "Robin Vega")
    db.session.commit()
    assert f'href="/hiring/postings/{job.id}/board"' in client.get(f"/hiring/postings/{job.id}").get_data(as_text=True)
    applications = client.get(f"/hiring/postings/{job.id}/applications").get_data(as_text=True)
    assert f'href="/hiring/candidates/{candidate.id}"' in applications


def test_an_empty_board_and_list_say_what_to_expect(client, db, job, login_as):
    login_as(Role.HR)
    assert "No candidates yet" in client.get(f"/hiring/postings/{job.id}/board").get_data(as_text=True)
    assert "No candidates yet" in client.get(f"/hiring/postings/{job.id}/candidates").get_data(as_text=True)


def test_counting_the_board_query_alone(db, job):
    """The board reads its cards in one statement whatever the number of stages holding candidates."""
    from hiring.services import candidates

    hr = make_hr()
    ready_panel(job)
    for n, stage in enumerate(("screened", "interview", "withdrawn")):
        moved(applicant(job, f"Person {n}"), stage, hr)
    with counting_queries() as statements:
        columns = candidates.board(candidates.board_statement(job))
        [card.application.name for cards in columns.values() for card in cards]
    assert len(statements) == 1


def test_a_board_column_shows_the_longest_waiting_and_links_the_rest_in_the_list(
    client, db, job, login_as, monkeypatch
):
    from hiring.services import candidates

    monkeypatch.setattr(candidates, "BOARD_LIMIT", 2)
    login_as(Role.HR)
    names = ["First Waiting", "Second Waiting", "Third Waiting"]
    for name in names:
        applicant(job, name)
    db.session.commit()

    page = client.get(f"/hiring/postings/{job.id}/board").get_data(as_text=True)

    column = page.split('id="stage-applied"')[1].split("</section>")[0]
    assert "First Waiting" in column
    assert "Second Waiting" in column
    assert "Third Waiting" not in column
    assert f'href="/hiring/postings/{job.id}/candidates?stage=applied">See all 3 at “Applied” in the list' in column


def test_the_list_shows_the_newest_application_first_and_a_tie_by_the_later_candidate(client, db, job, login_as):
    from datetime import datetime

    login_as(Role.HR)
    older, tied_first, tied_second = (applicant(job, name) for name in ("Older One", "Tied First", "Tied Second"))
    older.application.created_at = datetime(2026, 3, 1, 9, 0)
    tied_first.application.created_at = tied_second.application.created_at = datetime(2026, 3, 2, 9, 0)
    db.session.commit()

    page = client.get(f"/hiring/postings/{job.id}/candidates").get_data(as_text=True)

    assert re.findall(r"(Older One|Tied First|Tied Second)</a>", page) == ["Tied Second", "Tied First", "Older One"]


def test_a_page_of_the_list_is_read_in_index_order_not_by_sorting_every_candidate(app, db, job):
    """At 10,000 candidates SQLite sorted every candidate of the posting for each page of 25 (8 ms of a 17 ms page);
    the applications' (posting_id, created_at) index gives the order, so a page's read stops after its rows (only
    candidates applying in the same instant are sorted among themselves)."""
    from hiring.services import candidates

    if db.session.get_bind().dialect.name != "sqlite":
        pytest.skip("PostgreSQL's planner chooses by its statistics (it walks a created_at index either way)")
    applicant(job, "Robin Vega")
    statement = candidates.listed(job, candidates.Filters()).limit(25)
    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})

    plan = [row[3] for row in db.session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")]

    assert any("ix_hiring_application_posting_created" in step for step in plan), plan
    assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan


# The list: the session with the person, the posting, the counts by stage, the page of candidates with their
# applications, their interview scores, the posting's title, and the audit entry (three statements). The board reads
# its cards instead of a page. Neither reads the version's program, team, credential or author (four queries more).
LIST_QUERIES = 9
BOARD_QUERIES = 9


def test_the_list_and_the_board_read_only_what_they_show(client, db, job, login_as):
    login_as(Role.HR)
    applicant(job, "Robin Vega")
    db.session.commit()

    for url, budget in ((f"/hiring/postings/{job.id}/candidates", LIST_QUERIES),
                        (f"/hiring/postings/{job.id}/board", BOARD_QUERIES)):
        db.session.expunge_all()
        with counting_queries() as statements:
            assert client.get(url).status_code == 200
        assert len(statements) == budget, f"{url}\n\n" + "\n\n".join(statements)
        assert not [s for s in statements if re.search(r"\bFROM (core_team|core_credential|core_staff_role)", s)]
