"""Scorecards: each interviewer scores each chosen competency 1 to 5 with evidence, saves for later or submits (then
it never changes), and cannot see anyone else's scores until they submit their own. Blindness is checked on every
path that shows scores: the candidate's page (the summary), the board, the list, the CSV, the interviewer's list
and the scoring page, for an interviewer who has not submitted, HR on the panel and HR outside it. The summary (each
score, the mean and the spread) is computed in SQL in a fixed number of queries."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from core.models import AuditEntry, Role
from hiring.models import Candidate, Score, Scorecard
from hiring.services import scorecards
from tests.factories import make_staff, start_session
from tests.hiring.helpers import COMPETENCIES, applicant, make_hr, moved, published, ready_panel, scored
from tests.queries import fresh_queries_for

ALLY, MODEL, SOLVER = COMPETENCIES
B_EVIDENCE = "Zebra evidence from the clinician"
A_DRAFT = "Koala words in a draft"


def sign_in(client, person) -> None:
    token = start_session(person)
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True


@pytest.fixture
def panel(db):
    """A posting whose panel is a peer (A), a clinician (B) and an HR person (H); Robin at interview. B has
    submitted, A has a draft, H has nothing yet. O is HR outside the panel."""
    hr = make_hr(name="Harriet Reyes")
    job = published(hr, title="Peer Specialist, day program")
    a = make_staff(Role.PEER, name="Pat Delgado")
    b = make_staff(Role.STAFF, name="Casey Lin")
    h = make_hr(name="Toni Marsh")
    ready_panel(job, a, b, h, hr=hr)
    robin = moved(applicant(job, "Robin Vega"), "interview", hr)
    entries = {
        ALLY: scorecards.Entry(2, B_EVIDENCE),
        MODEL: scorecards.Entry(5, B_EVIDENCE),
        SOLVER: scorecards.Entry(3, B_EVIDENCE),
    }
    scorecards.save(robin, entries, submit=True, loaded=0, interviewer=b)
    scorecards.save(robin, {ALLY: scorecards.Entry(4, A_DRAFT)}, submit=False, loaded=0, interviewer=a)
    o = make_hr(name="Omar Outside")
    db.session.commit()
    return {"job": job, "robin": robin, "a": a, "b": b, "h": h, "o": o, "hr": hr}


def every_score_page(client, panel) -> dict[str, str]:
    """Every page that can show Robin's scores, as the signed-in person gets it ('' when refused)."""
    job, robin = panel["job"], panel["robin"]
    urls = {
        "candidate": f"/hiring/candidates/{robin.id}",
        "board": f"/hiring/postings/{job.id}/board",
        "list": f"/hiring/postings/{job.id}/candidates",
        "csv": f"/hiring/postings/{job.id}/candidates.csv",
        "interviews": "/hiring/interviews",
        "score": f"/hiring/candidates/{robin.id}/score",
    }
    pages = {}
    for name, url in urls.items():
        response = client.get(url)
        pages[name] = response.get_data(as_text=True) if response.status_code == 200 else ""
    return pages


def csv_mean(page: str) -> str:
    rows = list(csv.reader(io.StringIO(page.lstrip("\ufeff"))))
    [robin] = [row for row in rows[1:] if row[0] == "Robin Vega"]
    return robin[6]


def test_an_interviewer_who_has_not_submitted_sees_no_one_elses_scores_anywhere(client, db, panel):
    sign_in(client, panel["a"])

    pages = every_score_page(client, panel)

    assert pages["candidate"], "A reads the candidate"
    assert "you see the panel's scores for Robin Vega once you submit your own" in pages["candidate"]
    for name, page in pages.items():
        assert B_EVIDENCE not in page, name
        assert "Casey Lin: " not in page, name
    assert A_DRAFT in pages["score"]  # their own draft, on their own scoring page only
    assert A_DRAFT not in pages["candidate"]
    assert "Saved, not submitted yet" in pages["interviews"]
    # and underneath the pages, the SQL itself hands A nothing
    summary = scorecards.summary(panel["robin"], panel["a"])
    assert summary.blind
    assert [line.scores for line in summary.lines] == [[], [], []]
    assert summary.submitted == 0
    assert scorecards.means_for([panel["robin"].id], panel["a"]) == {}


def test_hr_on_the_panel_is_blind_too_until_they_submit_on_the_board_list_and_csv(client, db, panel):
    sign_in(client, panel["h"])

    pages = every_score_page(client, panel)

    for name in ("candidate", "board", "list", "csv"):
        assert pages[name], name
        assert B_EVIDENCE not in pages[name], name
    assert "Interview score 2.0" not in pages["board"]
    assert "Interview score" not in pages["board"].split('id="stage-interview"')[1].split("</section>")[0]
    assert "(mean of" not in pages["list"]
    assert csv_mean(pages["csv"]) == ""

    scored(panel["robin"], panel["h"], {ALLY: 3, MODEL: 3, SOLVER: 3})
    db.session.commit()
    after = every_score_page(client, panel)
    assert B_EVIDENCE in after["candidate"]
    assert csv_mean(after["csv"]) == "3.2"  # (2+5+3+3+3+3) / 6
    assert "(mean of 2 scorecards)" in after["list"]


def test_hr_outside_the_panel_sees_the_submitted_scores_never_a_draft(client, db, panel):
    sign_in(client, panel["o"])

    pages = every_score_page(client, panel)

    assert B_EVIDENCE in pages["candidate"]
    assert "Casey Lin: 2" in pages["candidate"]
    assert "1 of 3 interviewers have submitted" in pages["candidate"]
    for name, page in pages.items():
        assert A_DRAFT not in page, name
        assert "Pat Delgado: 4" not in page, name
    assert csv_mean(pages["csv"]) == "3.3"  # B's 2, 5, 3 only
    assert "Interview score 3.3" in pages["board"]
    assert pages["score"] == ""  # not on the panel: no scorecard of their own


def test_after_submitting_an_interviewer_sees_each_score_the_mean_and_the_spread(client, db, panel):
    scored(panel["robin"], panel["a"], {ALLY: 4, MODEL: 5, SOLVER: 1})
    db.session.commit()
    sign_in(client, panel["a"])

    page = client.get(f"/hiring/candidates/{panel['robin'].id}").get_data(as_text=True)

    assert B_EVIDENCE in page
    rows = {
        re.sub(r"<[^>]+>", " ", row).split()[0]: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
        for row in re.findall(r"<tr>(.*?)</tr>", page, re.S)
        if '<th scope="row">' in row
    }
    assert "Casey Lin: 2" in rows["Ally"]
    assert "Pat Delgado: 4" in rows["Ally"]
    assert rows["Ally"].endswith("3.0 2")  # mean 3.0, spread 2
    assert rows["Role"].endswith("5.0 0")
    assert rows["Problem"].endswith("2.0 2")
    summary = scorecards.summary(panel["robin"], panel["a"])
    assert [(line.competency.name, line.mean, line.spread, line.count) for line in summary.lines] == [
        ("Ally and Confidant", 3.0, 2, 2),
        ("Role Model and Mentor", 5.0, 0, 2),
        ("Problem Solver", 2.0, 2, 2),
    ]
    assert summary.submitted == 2
    assert summary.interviewers == 3
    assert summary.overall == pytest.approx(10 / 3)


def test_the_summary_reads_a_fixed_number_of_queries_however_many_interviewers(client, db, login_as):
    hr = login_as(Role.HR)
    job = published(make_hr())
    people = [make_staff(Role.PEER), make_staff(Role.STAFF)]
    ready_panel(job, *people)
    robin = moved(applicant(job, "Robin Vega"), "interview", make_hr())
    for person in people:
        scored(robin, person, dict.fromkeys(COMPETENCIES, 3))
    db.session.commit()
    url = f"/hiring/candidates/{robin.id}"
    two = fresh_queries_for(client, url)
    from hiring.services import panels

    job, robin = db.session.merge(job), db.session.merge(robin)
    for n in range(4):
        person = make_staff(Role.STAFF, name=f"More {n}")
        panels.add_member(job, person.id, panels.panel_of(job).version, make_hr())
        scored(robin, person, dict.fromkeys(COMPETENCIES, n + 1))
    db.session.commit()
    assert fresh_queries_for(client, url) == two
    assert hr  # signed in as HR outside the panel: every submitted score shown
    assert "6 of 6 interviewers have submitted" in client.get(url).get_data(as_text=True)


# Scoring --------------------------------------------------------------------------------------------------------


def form_for(entries: dict[str, tuple[str, str]], version: int, action: str) -> dict[str, str]:
    data: dict[str, str] = {"version": str(version), "action": action}
    for key, (score, evidence) in entries.items():
        number = key.rsplit(".", 1)[1]
        if score:
            data[f"score_c{number}"] = score
        data[f"evidence_c{number}"] = evidence
    return data


def test_an_interviewer_saves_for_later_then_submits_and_submitted_scores_never_change(client, db, panel):
    h, robin = panel["h"], panel["robin"]
    sign_in(client, h)
    page = client.get(f"/hiring/candidates/{robin.id}/score").get_data(as_text=True)
    assert page.count('type="radio"') == 15  # 3 competencies, 1 to 5
    assert "Ally and Confidant: score" in page

    saved = client.post(
        f"/hiring/candidates/{robin.id}/score", data=form_for({ALLY: ("4", "Listened well.")}, 0, "save")
    )
    assert saved.status_code == 302
    card = scorecards.own(robin, h)
    assert card.submitted_at is None

    missing = client.post(
        f"/hiring/candidates/{robin.id}/score",
        data=form_for({ALLY: ("4", "Listened well."), MODEL: ("5", "short")}, card.version, "submit"),
    )
    assert missing.status_code == 400
    text = missing.get_data(as_text=True)
    assert "Choose a score from 1 to 5 for Problem Solver." in text
    assert "Write the evidence for your Role Model and Mentor score" in text
    assert "Listened well." in text
    db.session.refresh(card)
    assert card.submitted_at is None

    entries = {
        ALLY: ("4", "Listened well to the story."),
        MODEL: ("5", "Shared their recovery simply."),
        SOLVER: ("3", "Talked through a housing problem."),
    }
    sent = client.post(f"/hiring/candidates/{robin.id}/score", data=form_for(entries, card.version, "submit"))
    assert sent.status_code == 302
    assert sent.headers["Location"].endswith(f"/hiring/candidates/{robin.id}#scores-heading")
    db.session.refresh(card)
    assert card.submitted_at is not None
    assert sorted(db.session.scalars(select(Score.score).where(Score.scorecard_id == card.id))) == [3, 4, 5]

    again = client.post(
        f"/hiring/candidates/{robin.id}/score",
        data=form_for(dict.fromkeys(entries, ("1", "Changed my mind after seeing others.")), card.version, "submit"),
    )
    assert again.status_code == 400
    assert "submitted scores do not change" in again.get_data(as_text=True)
    assert sorted(db.session.scalars(select(Score.score).where(Score.scorecard_id == card.id))) == [3, 4, 5]
    assert "You submitted your scores on" in client.get(f"/hiring/candidates/{robin.id}/score").get_data(as_text=True)
    actions = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action.in_(["hiring.scores_saved", "hiring.scores_submitted"]), AuditEntry.actor_id == h.id)
        .order_by(AuditEntry.id)
    ).all()
    assert [(e.action, e.detail) for e in actions] == [("hiring.scores_saved", ""), ("hiring.scores_submitted", "")]


def test_a_score_outside_one_to_five_is_refused(client, db, panel):
    sign_in(client, panel["h"])
    response = client.post(
        f"/hiring/candidates/{panel['robin'].id}/score", data=form_for({ALLY: ("9", "Forged.")}, 0, "save")
    )
    assert response.status_code == 400
    assert scorecards.own(panel["robin"], panel["h"]) is None


def test_scores_are_given_only_at_interview_or_offer(client, db, panel):
    job = panel["job"]
    early = applicant(job, "Sam Early")
    db.session.commit()
    sign_in(client, panel["h"])
    page = client.get(f"/hiring/candidates/{early.id}/score").get_data(as_text=True)
    assert "This candidate is at “Applied”" in page
    refused = client.post(f"/hiring/candidates/{early.id}/score", data=form_for({ALLY: ("3", "Too early.")}, 0, "save"))
    assert refused.status_code == 400
    assert db.session.scalars(select(Scorecard).where(Scorecard.candidate_id == early.id)).all() == []


def test_a_second_tab_saving_the_same_scorecard_gets_409_with_its_input_kept(client, db, panel):
    h, robin = panel["h"], panel["robin"]
    sign_in(client, h)

    first = client.post(
        f"/hiring/candidates/{robin.id}/score", data=form_for({ALLY: ("2", "First tab words.")}, 0, "save")
    )
    assert first.status_code == 302
    second = client.post(
        f"/hiring/candidates/{robin.id}/score", data=form_for({ALLY: ("5", "Second tab words.")}, 0, "save")
    )

    assert second.status_code == 409
    page = second.get_data(as_text=True)
    assert "Second tab words." in page
    assert re.search(r'checked[^>]*value="5"|value="5"[^>]*checked', page)
    card = scorecards.own(robin, h)
    [score] = db.session.scalars(select(Score).where(Score.scorecard_id == card.id, Score.competency_key == ALLY))
    assert (score.score, score.evidence) == (2, "First tab words.")
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    again = client.post(
        f"/hiring/candidates/{robin.id}/score", data=form_for({ALLY: ("5", "Second tab words.")}, int(version), "save")
    )
    assert again.status_code == 302


def test_moving_to_offer_keeps_scoring_open_and_the_candidates_page_links_the_scorecard(client, db, panel):
    robin = db.session.merge(panel["robin"])
    moved(robin, "offer", panel["hr"])
    db.session.commit()
    sign_in(client, panel["a"])
    page = client.get(f"/hiring/candidates/{robin.id}").get_data(as_text=True)
    assert f'href="/hiring/candidates/{robin.id}/score"' in page
    assert db.session.get(Candidate, robin.id).stage == "offer"
