"""Interview panels (seed 004: involve several people in hiring): at least two interviewers, a peer specialist
among them while the agency's setting asks for one (refused with a plain message otherwise), the competencies of
seed 003 HR chooses; the panel reads its posting's candidates and nobody outside it does; the interviewers' list of
candidates to score; and a page loaded before someone else's change is refused (409)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core import settings
from core.models import AuditEntry, Role
from hiring.models import Candidate, PanelMember, Scorecard
from hiring.services import competencies, panels
from tests.factories import make_staff
from tests.hiring.helpers import COMPETENCIES, applicant, make_hr, moved, published, ready_panel, scored


@pytest.fixture
def job(db):
    posting = published(make_hr(), title="Peer Specialist, day program")
    db.session.commit()
    return posting


def panel_version(job) -> int:
    found = panels.panel_of(job)
    return found.version if found else 1


def add(client, job, person) -> object:
    return client.post(f"/hiring/postings/{job.id}/panel/add", data={"staff": person.id, "version": panel_version(job)})


def test_the_competencies_are_seed_003s_sixteen_read_from_the_duty_library():
    found = competencies.catalog()
    assert [c.number for c in found] == list(range(1, 17))
    assert [c.name for c in found][:4] == ["Outreach Worker", "Motivator", "Resource", "Ally and Confidant"]
    assert found[15].name == "Friend"
    from hiring.services import documents

    assert found[3].key in documents.library_by_key()


def test_hr_builds_a_panel_and_its_page_says_what_it_still_lacks(client, db, job, login_as):
    login_as(Role.HR)
    peer = make_staff(Role.PEER, name="Pat Delgado")
    clinician = make_staff(Role.STAFF, name="Casey Lin")
    db.session.commit()
    page = client.get(f"/hiring/postings/{job.id}/panel").get_data(as_text=True)
    assert "Add at least 2 interviewers (it has 0)" in page
    assert "Add a peer specialist" in page
    assert "Choose the competencies" in page
    assert page.count('name="competencies"') == 16

    assert add(client, job, clinician).status_code == 302
    page = client.get(f"/hiring/postings/{job.id}/panel").get_data(as_text=True)
    assert "Casey Lin" in page
    assert "Add at least 2 interviewers (it has 1)" in page
    assert add(client, job, peer).status_code == 302
    chosen = client.post(
        f"/hiring/postings/{job.id}/panel/competencies",
        data={"competencies": list(COMPETENCIES), "version": panel_version(job)},
    )
    assert chosen.status_code == 302
    page = client.get(f"/hiring/postings/{job.id}/panel").get_data(as_text=True)
    assert "The panel is ready" in page
    assert [c.name for c in panels.chosen(panels.panel_of(job))] == [
        "Ally and Confidant",
        "Role Model and Mentor",
        "Problem Solver",
    ]
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.action.like("hiring.panel%")).order_by(AuditEntry.id)
    ).all()
    assert actions == ["hiring.panel_member_added", "hiring.panel_member_added", "hiring.panel_competencies"]


def test_a_candidate_is_interviewed_only_by_a_ready_panel_with_a_peer_specialist(client, db, job, login_as):
    login_as(Role.HR)
    candidate = applicant(job, "Robin Vega")
    clinician, nurse = make_staff(Role.STAFF), make_staff(Role.STAFF)
    ready_panel(job, clinician, nurse)  # two people, no peer specialist
    db.session.commit()

    refused = client.post(f"/hiring/candidates/{candidate.id}/move", data={"to_stage": "interview", "version": 1})

    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "The interview panel is not ready yet" in page
    assert "your agency asks for a peer specialist on every interview panel" in page
    db.session.refresh(candidate)
    assert candidate.stage == "applied"

    settings.put("hiring_panel_needs_peer", "no")
    db.session.commit()
    assert panels.problems(panels.panel_of(job)) == []
    allowed = client.post(f"/hiring/candidates/{candidate.id}/move", data={"to_stage": "interview", "version": 1})
    assert allowed.status_code == 302


def test_one_interviewer_is_not_a_panel(db, job):
    hr = make_hr()
    candidate = applicant(job)
    ready_panel(job, make_staff(Role.PEER))
    from core.errors import Refused
    from hiring.services import candidates

    with pytest.raises(Refused, match="Add at least 2 interviewers"):
        candidates.move(candidate, candidates.Move("interview"), candidate.version, hr)


def test_the_administrator_sets_the_peer_rule_on_the_settings_page(client, db, login_as):
    login_as(Role.ADMIN)
    page = client.get("/admin/settings").get_data(as_text=True)
    assert "A peer specialist on every interview panel" in page
    assert re.search(r'checked[^>]*value="yes"|value="yes"[^>]*checked', page)
    version = re.search(r'name="version" type="hidden" value="([^"]+)"', page).group(1)

    response = client.post(
        "/admin/settings",
        data={"time_zone": "America/New_York", "hiring_panel_needs_peer": "no", "version": version},
    )

    assert response.status_code == 302
    assert settings.get("hiring_panel_needs_peer") == "no"
    assert not panels.needs_peer()
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.record_id == "hiring_panel_needs_peer")).all()
    assert entry.action == "setting.changed"
    forged = client.post(
        "/admin/settings",
        data={
            "time_zone": "America/New_York",
            "hiring_panel_needs_peer": "maybe",
            "version": re.search(
                r'name="version" type="hidden" value="([^"]+)"', client.get("/admin/settings").get_data(as_text=True)
            ).group(1),
        },
    )
    assert forged.status_code == 400
    assert settings.get("hiring_panel_needs_peer") == "no"


def test_a_competency_that_is_not_one_is_refused_and_the_choice_is_frozen_once_scores_are_in(client, db, job, login_as):
    login_as(Role.HR)
    peer, clinician = ready_panel(job)
    candidate = applicant(job)
    db.session.commit()
    odd = client.post(
        f"/hiring/postings/{job.id}/panel/competencies",
        data={"competencies": ["s001.goal.1"], "version": panel_version(job)},
    )
    assert odd.status_code == 400
    assert "Choose one of the options shown." in odd.get_data(as_text=True)

    moved(candidate, "interview", make_hr())
    scored(candidate, peer, dict.fromkeys(COMPETENCIES, 4))
    db.session.commit()
    frozen = client.post(
        f"/hiring/postings/{job.id}/panel/competencies",
        data={"competencies": ["s003.competency.1"], "version": panel_version(job)},
    )
    assert frozen.status_code == 400
    assert "Interviewers have submitted scores" in frozen.get_data(as_text=True)
    assert [c.key for c in panels.chosen(panels.panel_of(job))] == list(COMPETENCIES)


def test_removing_an_interviewer(client, db, job, login_as):
    login_as(Role.HR)
    peer, clinician = ready_panel(job)
    third = make_staff(Role.SUPERVISOR, name="Sam Okafor")
    panels.add_member(job, third.id, panel_version(job), make_hr())
    candidate = applicant(job)
    moved(candidate, "interview", make_hr())
    scored(candidate, peer, dict.fromkeys(COMPETENCIES, 4))
    scored(candidate, third, {COMPETENCIES[0]: 2}, submit=False)  # a draft
    db.session.commit()
    member_of = {m.staff_id: m.id for m in panels.members(panels.panel_of(job))}

    kept = client.post(
        f"/hiring/postings/{job.id}/panel/remove", data={"member": member_of[peer.id], "version": panel_version(job)}
    )
    assert kept.status_code == 400
    assert "has submitted scores" in kept.get_data(as_text=True)

    gone = client.post(
        f"/hiring/postings/{job.id}/panel/remove", data={"member": member_of[third.id], "version": panel_version(job)}
    )
    assert gone.status_code == 302
    assert not panels.is_member(job.id, third.id)
    assert db.session.scalars(select(Scorecard).where(Scorecard.interviewer_id == third.id)).all() == []

    # with a candidate at interview, the panel may not fall below the rules
    broken = client.post(
        f"/hiring/postings/{job.id}/panel/remove",
        data={"member": member_of[clinician.id], "version": panel_version(job)},
    )
    assert broken.status_code == 400
    assert "Add the new interviewer first" in broken.get_data(as_text=True)
    assert panels.is_member(job.id, clinician.id)


def test_a_panel_page_loaded_before_another_change_is_refused_with_409(client, db, job, login_as):
    login_as(Role.HR)
    first, second = make_staff(Role.PEER, name="First Person"), make_staff(Role.STAFF, name="Second Person")
    db.session.commit()
    loaded = panel_version(job)

    added = client.post(f"/hiring/postings/{job.id}/panel/add", data={"staff": first.id, "version": loaded})
    assert added.status_code == 302
    stale = client.post(f"/hiring/postings/{job.id}/panel/add", data={"staff": second.id, "version": loaded})

    assert stale.status_code == 409
    page = stale.get_data(as_text=True)
    assert "Someone else changed this panel" in page
    assert re.search(rf'<option selected value="{second.id}">|<option value="{second.id}" selected', page)
    assert not panels.is_member(job.id, second.id)


def test_adding_someone_inactive_or_twice_is_refused(client, db, job, login_as):
    login_as(Role.HR)
    person = make_staff(Role.PEER)
    gone = make_staff(Role.PEER, status="deactivated")
    db.session.commit()
    assert add(client, job, person).status_code == 302
    again = client.post(
        f"/hiring/postings/{job.id}/panel/add", data={"staff": person.id, "version": panel_version(job)}
    )
    assert again.status_code == 400
    inactive = client.post(
        f"/hiring/postings/{job.id}/panel/add", data={"staff": gone.id, "version": panel_version(job)}
    )
    assert inactive.status_code == 400
    assert len(db.session.scalars(select(PanelMember)).all()) == 1


# Who reads candidates ----------------------------------------------------------------------------------------------


@pytest.fixture
def two_postings(db):
    """``job`` with a panel (a peer and a clinician) and a candidate at interview; ``other`` with its own panel (a
    supervisor) and candidate. Returns the ids."""
    hr = make_hr()
    job = published(hr, title="Peer Specialist, day program")
    other = published(hr, title="Peer Specialist, housing")
    peer = make_staff(Role.PEER, name="Pat Delgado")
    clinician = make_staff(Role.STAFF, name="Casey Lin")
    supervisor = make_staff(Role.SUPERVISOR, name="Sam Okafor")
    ready_panel(job, peer, clinician, hr=hr)
    ready_panel(other, supervisor, make_staff(Role.PEER), hr=hr)
    robin = moved(applicant(job, "Robin Vega"), "interview", hr)
    lee = applicant(other, "Lee Park")
    db.session.commit()
    return {
        "job": job.id,
        "other": other.id,
        "peer": peer,
        "clinician": clinician,
        "supervisor": supervisor,
        "robin": robin.id,
        "lee": lee.id,
    }


def sign_in(client, person) -> None:
    from tests.factories import start_session

    token = start_session(person)
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True


def test_a_panel_member_reads_their_postings_candidates_and_resumes_and_nothing_else(client, db, two_postings):
    sign_in(client, two_postings["peer"])
    robin = db.session.get(Candidate, two_postings["robin"])
    lee = db.session.get(Candidate, two_postings["lee"])

    page = client.get(f"/hiring/candidates/{robin.id}")
    assert page.status_code == 200
    assert "Robin Vega" in page.get_data(as_text=True)
    assert f'href="/files/{robin.application.resume_id}"' in page.get_data(as_text=True)
    assert client.get(f"/files/{robin.application.resume_id}").status_code == 200
    assert "Move to another stage" not in page.get_data(as_text=True)  # moving is HR's

    assert client.get(f"/hiring/candidates/{lee.id}").status_code == 404
    assert client.get(f"/files/{lee.application.resume_id}").status_code == 404
    for url in ("board", "candidates", "candidates.csv", "panel"):
        assert client.get(f"/hiring/postings/{two_postings['job']}/{url}").status_code == 403, url
    assert (
        client.post(
            f"/hiring/candidates/{robin.id}/move", data={"to_stage": "offer", "version": robin.version}
        ).status_code
        == 403
    )


@pytest.mark.parametrize("who", ["a peer", "a clinician", "a supervisor"])
def test_people_outside_the_panel_cannot_read_a_candidate(client, db, two_postings, who):
    outsider = {
        "a peer": make_staff(Role.PEER),
        "a clinician": make_staff(Role.STAFF),
        "a supervisor": two_postings["supervisor"],  # on another posting's panel
    }[who]
    db.session.commit()
    sign_in(client, outsider)
    robin = db.session.get(Candidate, two_postings["robin"])

    for url in (
        f"/hiring/candidates/{robin.id}",
        f"/hiring/candidates/{robin.id}/score",
        f"/files/{robin.application.resume_id}",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Robin Vega" not in response.get_data(as_text=True)
    listed = client.get("/hiring/interviews").get_data(as_text=True)
    assert "Robin Vega" not in listed
    posted = client.post(f"/hiring/candidates/{robin.id}/score", data={"version": 0, "action": "save"})
    assert posted.status_code == 404


def test_hr_not_on_the_panel_reads_but_cannot_score(client, db, two_postings, login_as):
    login_as(Role.HR)
    robin = two_postings["robin"]
    assert client.get(f"/hiring/candidates/{robin}").status_code == 200
    assert client.get(f"/hiring/candidates/{robin}/score").status_code == 403


def test_interviewers_see_the_candidates_they_have_to_score(client, db, two_postings):
    hr = make_hr()
    job = db.session.get(Candidate, two_postings["robin"]).posting_id
    from hiring.models import Posting

    posting = db.session.get(Posting, job)
    sam = applicant(posting, "Sam Ortiz")
    applicant(posting, "Lee Applied")  # at "applied": nobody scores them yet
    moved(sam, "interview", hr)
    scored(sam, two_postings["peer"], dict.fromkeys(COMPETENCIES, 3))
    db.session.commit()
    sign_in(client, two_postings["peer"])

    page = client.get("/hiring/interviews").get_data(as_text=True)

    assert "Robin Vega" in page
    assert "Sam Ortiz" in page
    assert "Lee Applied" not in page
    assert "Lee Park" not in page  # another panel's
    assert page.index("Robin Vega") < page.index("Sam Ortiz")  # still to score first
    assert "Not started" in page
    assert "Submitted" in page
    assert "Peer Specialist, day program" in page


def test_someone_on_no_panel_sees_an_empty_list_that_says_why(client, db, login_as):
    login_as(Role.STAFF)
    page = client.get("/hiring/interviews").get_data(as_text=True)
    assert "Nobody to score" in page


def _hiring_get_rules() -> list:
    from tests.core.security_helpers import inspection_app, routes

    return [rule for rule in routes(inspection_app(), "GET") if rule.rule.startswith(("/hiring", "/files"))]


@pytest.mark.parametrize("who", ["a peer", "a clinician", "a supervisor on another panel", "the privacy officer"])
def test_every_hiring_page_keeps_a_candidate_from_people_outside_the_panel(app, client, db, two_postings, who):
    """The IDOR walk: every GET route under /hiring and /files (read from the app's URL map, so a new route is
    walked without editing this test), with Robin's ids, as someone outside Robin's panel: never Robin's name, and
    Robin's own addresses answer "not found"."""
    from tests.core.security_helpers import build

    outsider = {
        "a peer": make_staff(Role.PEER),
        "a clinician": make_staff(Role.STAFF),
        "a supervisor on another panel": two_postings["supervisor"],
        "the privacy officer": make_staff(Role.PRIVACY),
    }[who]
    db.session.commit()
    sign_in(client, outsider)
    robin = db.session.get(Candidate, two_postings["robin"])
    values = {
        "candidate_id": robin.id,
        "posting_id": two_postings["job"],
        "upload_id": robin.application.resume_id,
        "number": 1,
    }
    walked = 0
    for rule in _hiring_get_rules():
        if not set(rule.arguments) <= set(values):
            continue
        url = build(rule, {name: values[name] for name in rule.arguments})
        response = client.get(url)
        walked += 1
        assert response.status_code < 500, url
        assert "Robin Vega" not in response.get_data(as_text=True), url
        assert "robin.vega@example.org" not in response.get_data(as_text=True), url
        if {"candidate_id", "upload_id"} & set(rule.arguments):
            assert response.status_code == 404, url
    assert walked >= 10


def test_the_menu_marks_hiring_or_interviews_whichever_the_page_belongs_to(client, db, two_postings, login_as):
    login_as(Role.HR)
    robin = two_postings["robin"]

    def current(url: str) -> list[str]:
        page = client.get(url).get_data(as_text=True)
        return re.findall(r'class="usa-nav-link usa-current"[^>]*><span>([^<]+)</span>', page)

    assert current(f"/hiring/postings/{two_postings['job']}/board") == ["Hiring"]
    assert current(f"/hiring/candidates/{robin}") == ["Hiring"]
    assert current("/hiring/interviews") == ["Interviews"]
    assert current("/hiring/") == ["Hiring"]


def test_an_interviewers_list_and_scorecard_are_audited_without_names(client, db, two_postings):
    peer = two_postings["peer"]
    sign_in(client, peer)
    robin = two_postings["robin"]

    assert client.get("/hiring/interviews").status_code == 200
    assert client.get(f"/hiring/candidates/{robin}/score").status_code == 200

    entries = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.actor_id == peer.id, AuditEntry.action.like("hiring.%"))
        .order_by(AuditEntry.id)
    ).all()
    assert [(e.action, e.record_type, e.record_id, e.detail) for e in entries] == [
        ("hiring.candidates_read", "hiring_interviews", str(peer.id), "to score: 1 candidates"),
        ("hiring.candidate_read", "hiring_candidate", str(robin), "scorecard"),
    ]
