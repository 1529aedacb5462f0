"""Recovery plans: every version kept, goals keep their key, stale saves answer 409, plain messages, the PDF the
client takes home, audited reads, and a sealed record that answers exactly like a missing one."""

from __future__ import annotations

import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from caseload.models import PlanGoal, PlanVersion, SealedAccess
from caseload.services.plans import today
from core.extensions import db
from core.models import AuditEntry
from tests.factories import assign, make_client, make_plan, make_program, make_staff, make_team, seal
from tests.queries import queries_for

MISSING = 999_999


@pytest.fixture
def agency(db):
    program = make_program()
    team = make_team(program)
    other_team = make_team(make_program())
    return {"program": program, "team": team, "other_team": other_team}


@pytest.fixture
def peer(login_as, agency):
    return login_as("peer", teams=[agency["team"]])


@pytest.fixture
def person(db, peer, agency):
    """A client the signed-in peer specialist is assigned to."""
    client = make_client("Marcus Bell", preferred_name="Marc", phone="555-0142", program=agency["other_team"].program)
    assign(client, peer)
    db.session.commit()
    return client


def goal_rows(goals: list[dict]) -> dict[str, str]:
    data: dict[str, str] = {}
    for index, goal in enumerate(goals):
        for name in ("goal_key", "term", "in_own_words", "interventions", "progress"):
            data[f"goals-{index}-{name}"] = goal.get(name, "short" if name == "term" else "")
        if goal.get("achieved"):
            data[f"goals-{index}-achieved"] = "y"
    return data


def plan_form(base: int = 0, goals: list[dict] | None = None, **fields: str) -> dict[str, str]:
    data = {
        "base_version": str(base),
        "strengths": "Good sense of humour",
        "abilities": "Can cook",
        "needs": "Stable housing",
        "preferences": "Mornings, in the community",
        "review_on": (today() + timedelta(days=60)).isoformat(),
    }
    data.update(goal_rows(goals if goals is not None else [{"in_own_words": "I want my own apartment."}]))
    data.update(fields)
    return data


def versions(client_id: int) -> list[PlanVersion]:
    db.session.expire_all()
    return list(db.session.scalars(select(PlanVersion).where(PlanVersion.client_id == client_id)
                                   .order_by(PlanVersion.number)))


def snapshot(version: PlanVersion) -> tuple:
    return (
        version.id, version.number, version.strengths, version.needs, version.abilities, version.preferences,
        version.review_on, version.written_by_id, version.written_at,
        tuple((g.goal_key, g.position, g.term, g.in_own_words, g.interventions, g.progress, g.achieved)
              for g in version.goals),
    )


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "plan.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, timeout=30).stdout.decode()


# Versions ---------------------------------------------------------------------------------------------------


def test_three_saves_make_three_versions_and_old_ones_never_change(client, person, peer):
    first = client.post(f"/caseload/clients/{person.id}/plan/edit", data=plan_form(0, [
        {"in_own_words": "I want my own apartment.", "term": "long", "interventions": "Apply for a voucher"},
        {"in_own_words": "Get my ID card.", "interventions": "Peer goes with me"},
    ]))
    assert first.status_code == 302
    assert first.headers["Location"].endswith(f"/caseload/clients/{person.id}/plan")
    (v1,) = versions(person.id)
    assert v1.number == 1
    assert v1.written_by_id == peer.id
    keys = [goal.goal_key for goal in v1.goals]
    assert all(re.fullmatch(r"[0-9a-f]{32}", key) for key in keys)
    assert len(set(keys)) == 2
    before_v1 = snapshot(v1)

    second = client.post(f"/caseload/clients/{person.id}/plan/edit", data=plan_form(1, [
        {"goal_key": keys[0], "in_own_words": "I want my own apartment.", "term": "long", "progress": "On the list"},
        {"goal_key": keys[1], "in_own_words": "Get my ID card.", "achieved": True},
        {"in_own_words": "Go to a WRAP group every week."},
    ], strengths="Keeps appointments"))
    assert second.status_code == 302
    v1_again, v2 = versions(person.id)
    assert snapshot(v1_again) == before_v1
    assert v2.number == 2
    assert v2.strengths == "Keeps appointments"
    assert [g.goal_key for g in v2.goals][:2] == keys, "a goal keeps its key from version to version"
    assert v2.goals[1].achieved is True
    new_key = v2.goals[2].goal_key
    assert new_key not in keys
    assert re.fullmatch(r"[0-9a-f]{32}", new_key)
    before_v2 = snapshot(v2)

    third = client.post(f"/caseload/clients/{person.id}/plan/edit", data=plan_form(2, [
        {"goal_key": keys[0], "in_own_words": "I want my own apartment by spring.", "term": "long"},
        {"goal_key": new_key, "in_own_words": "Go to a WRAP group every week."},
    ]))
    assert third.status_code == 302
    all_versions = versions(person.id)
    assert [v.number for v in all_versions] == [1, 2, 3]
    assert snapshot(all_versions[0]) == before_v1
    assert snapshot(all_versions[1]) == before_v2
    assert [g.goal_key for g in all_versions[2].goals] == [keys[0], new_key]
    assert all_versions[2].goals[0].in_own_words == "I want my own apartment by spring."
    assert db.session.scalar(select(db.func.count()).select_from(PlanGoal)) == 2 + 3 + 2


def test_the_edit_form_is_filled_from_the_current_version_with_two_empty_goals(client, person, peer):
    make_plan(person, peer, ["I want a library card.", "Call my sister on Sundays."])
    current = make_plan(person, peer, ["I want a library card.", "Call my sister every Sunday."])
    db.session.commit()
    page = client.get(f"/caseload/clients/{person.id}/plan/edit")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="base_version" type="hidden" value="2"' in html
    assert "Call my sister every Sunday." in html
    assert "Call my sister on Sundays." not in html
    for goal in current.goals:
        assert f'value="{goal.goal_key}"' in html
    assert 'name="goals-3-in_own_words"' in html
    assert 'name="goals-4-in_own_words"' not in html
    assert "Save as version 3" in html


def test_a_tampered_or_repeated_goal_key_starts_a_new_goal(client, person, peer):
    plan = make_plan(person, peer, ["Get my ID card."])
    other = make_plan(make_client(program=person.program), peer, ["Someone else's goal"])
    db.session.commit()
    key, foreign = plan.goals[0].goal_key, other.goals[0].goal_key
    response = client.post(f"/caseload/clients/{person.id}/plan/edit", data=plan_form(1, [
        {"goal_key": key, "in_own_words": "Get my ID card."},
        {"goal_key": key, "in_own_words": "A copy of the same row"},
        {"goal_key": foreign, "in_own_words": "Borrowed key"},
        {"goal_key": "x" * 200, "in_own_words": "Overlong key"},
    ]))
    assert response.status_code == 302
    saved = versions(person.id)[-1]
    saved_keys = [goal.goal_key for goal in saved.goals]
    assert saved_keys[0] == key
    assert len(set(saved_keys)) == 4
    assert foreign not in saved_keys


def test_version_page_shows_an_earlier_version_as_it_was(client, person, peer):
    make_plan(person, peer, ["Old wording of my goal"])
    make_plan(person, peer, ["New wording of my goal"])
    db.session.commit()
    old = client.get(f"/caseload/clients/{person.id}/plan/versions/1")
    assert old.status_code == 200
    assert "Old wording of my goal" in old.get_data(as_text=True)
    assert "This is an earlier version" in old.get_data(as_text=True)
    current = client.get(f"/caseload/clients/{person.id}/plan")
    html = current.get_data(as_text=True)
    assert "New wording of my goal" in html
    assert "Old wording of my goal" not in html
    assert f"/caseload/clients/{person.id}/plan/versions/1" in html
    assert client.get(f"/caseload/clients/{person.id}/plan/versions/3").status_code == 404
    assert client.get(f"/caseload/clients/{person.id}/plan/versions/99999999999").status_code == 404


def test_plan_page_without_a_plan_invites_writing_one(client, person):
    html = client.get(f"/caseload/clients/{person.id}/plan").get_data(as_text=True)
    assert "No recovery plan yet" in html
    assert f"/caseload/clients/{person.id}/plan/edit" in html


# Concurrency ------------------------------------------------------------------------------------------------


def test_a_stale_save_answers_409_keeps_the_input_and_saves_nothing(client, person, peer, login_as):
    make_plan(person, peer, ["First goal"])
    db.session.commit()
    # Someone else saves version 2 while our form still says it started from version 1.
    colleague = make_staff("peer", teams=peer.teams)
    make_plan(person, colleague, ["Their newer goal"])
    db.session.commit()

    response = client.post(f"/caseload/clients/{person.id}/plan/edit", data=plan_form(1, [
        {"in_own_words": "My carefully typed goal", "interventions": "Steps I wrote"},
    ], strengths="Strengths I typed"))

    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone saved a newer version while you were writing" in html
    assert colleague.name in html
    assert "My carefully typed goal" in html
    assert "Steps I wrote" in html
    assert "Strengths I typed" in html
    assert 'name="base_version" type="hidden" value="2"' in html
    assert [v.number for v in versions(person.id)] == [1, 2]

    # Saving again from the re-rendered form makes it version 3.
    again = client.post(f"/caseload/clients/{person.id}/plan/edit", data=plan_form(2, [
        {"in_own_words": "My carefully typed goal"},
    ]))
    assert again.status_code == 302
    assert versions(person.id)[-1].goals[0].in_own_words == "My carefully typed goal"


def test_a_first_plan_saved_twice_from_two_forms_conflicts(client, person):
    assert client.post(f"/caseload/clients/{person.id}/plan/edit", data=plan_form(0)).status_code == 302
    second = client.post(f"/caseload/clients/{person.id}/plan/edit", data=plan_form(0, [{"in_own_words": "Mine"}]))
    assert second.status_code == 409
    assert len(versions(person.id)) == 1


# Validation -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"goals": []}, "Write at least one goal, in the client&#39;s own words."),
        ({"goals": [{"in_own_words": ""}, {"in_own_words": ""}]}, "Write at least one goal"),
        ({"goals": [{"interventions": "Steps but no goal"}]}, "Write the goal in the client&#39;s own words, or clear"),
        ({"goals": [{"in_own_words": "x", "term": "forever"}]}, "Choose short-term or long-term."),
        ({"review_on": ""}, "Enter the date to review the plan together."),
        ({"review_on": "next tuesday"}, "Enter a real date as year, month and day"),
        ({"review_on": "2001-01-01"}, "The review date is in the past. Choose today or a later date."),
        ({"review_on": "9999-12-31"}, "Choose a review date within the next two years."),
        ({"strengths": "x" * 5001}, "Use at most 5,000 characters."),
        ({"goals": [{"in_own_words": "x" * 2001}]}, "Use at most 2,000 characters."),
        ({"base_version": ""}, "This form is missing a part. Reload the page and try again."),
        ({"base_version": "-1"}, "This form is missing a part."),
    ],
)
def test_problems_are_explained_and_the_input_kept(client, person, change, message):
    goals = change.pop("goals", None)
    data = plan_form(0, goals, **change)
    if goals is None:
        data["goals-0-in_own_words"] = "I want my own apartment."
    response = client.post(f"/caseload/clients/{person.id}/plan/edit", data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert "Please fix" in html
    assert "Good sense of humour" in html or "x" * 5001 in html
    assert versions(person.id) == []


def test_odd_input_never_breaks_the_page(client, person):
    data = plan_form(0, [{"in_own_words": "  Tab\tand\r\nline  ", "term": "long"}], strengths="<script>x</script>")
    data["goals-99999999-in_own_words"] = "far away row"
    data["goals-99999999-term"] = "short"
    response = client.post(f"/caseload/clients/{person.id}/plan/edit", data=data)
    assert response.status_code == 302
    saved = versions(person.id)[0]
    assert saved.goals[0].in_own_words == "Tab\tand\nline"
    assert "far away row" in [goal.in_own_words for goal in saved.goals]
    assert "&lt;script&gt;x&lt;/script&gt;" in client.get(f"/caseload/clients/{person.id}/plan").get_data(as_text=True)


@pytest.mark.parametrize(
    ("goals", "fields"),
    [([{"in_own_words": "Nul\x00 byte goal"}], {}), (None, {"strengths": "Good\x00 listener"})],
    ids=["goal", "plan"],
)
def test_a_nul_character_is_refused_with_a_message_and_nothing_is_saved(client, person, goals, fields):
    """The plan form once dropped a NUL without a word; like every text field, it now says so."""
    response = client.post(f"/caseload/clients/{person.id}/plan/edit", data=plan_form(0, goals, **fields))
    assert response.status_code == 400
    assert "hidden character we cannot use" in response.get_data(as_text=True)
    assert versions(person.id) == []


def test_review_date_today_is_accepted(client, person):
    response = client.post(f"/caseload/clients/{person.id}/plan/edit",
                           data=plan_form(0, review_on=today().isoformat()))
    assert response.status_code == 302


# The PDF the client takes home --------------------------------------------------------------------------------


def test_pdf_is_written_to_the_client_with_their_goals(client, person, peer, tmp_path):
    client.post(f"/caseload/clients/{person.id}/plan/edit", data=plan_form(0, [
        {"in_own_words": "I want my own apartment within a year.", "term": "long",
         "interventions": "Apply to the housing voucher list with my peer"},
        {"in_own_words": "Get my ID card.", "achieved": True},
    ], review_on=(today() + timedelta(days=30)).isoformat()))
    response = client.get(f"/caseload/clients/{person.id}/plan.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    assert "recovery-plan.pdf" in response.headers["Content-Disposition"]
    assert "Marc" not in response.headers["Content-Disposition"]
    text = " ".join(pdf_text(response.data, tmp_path).split())
    assert "Your recovery plan" in text
    assert "For Marc" in text
    assert "I want my own apartment within a year." in text
    assert "Apply to the housing voucher list with my peer" in text
    assert "You did it" in text
    review = today() + timedelta(days=30)
    assert f"{review.day} {review.strftime('%B %Y')}" in text
    # No staff-only data: not the writer, not the phone, not the date of birth, not the full record name.
    assert peer.name not in text
    assert "555-0142" not in text
    assert str(person.date_of_birth.year) not in text
    assert "Marcus Bell" not in text


def test_pdf_without_a_plan_goes_back_to_the_plan_page(client, person):
    response = client.get(f"/caseload/clients/{person.id}/plan.pdf")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/caseload/clients/{person.id}/plan")


# Audit ------------------------------------------------------------------------------------------------------


def reads_of(client_id: int) -> list[str]:
    return list(db.session.scalars(
        select(AuditEntry.detail).where(AuditEntry.action == "client.viewed", AuditEntry.record_id == str(client_id))
        .order_by(AuditEntry.id)
    ))


def test_reads_and_saves_are_audited_without_plan_text(client, person, peer):
    secret = "SECRET-GOAL-WORDS-7781"
    client.get(f"/caseload/clients/{person.id}/plan/edit")
    client.post(f"/caseload/clients/{person.id}/plan/edit", data=plan_form(0, [
        {"in_own_words": secret, "interventions": secret + " steps", "progress": secret + " progress"},
    ], strengths=secret + " strengths"))
    client.get(f"/caseload/clients/{person.id}/plan")
    client.get(f"/caseload/clients/{person.id}/plan/versions/1")
    client.get(f"/caseload/clients/{person.id}/plan.pdf")

    assert reads_of(person.id) == ["plan edit", "plan", "plan version", "plan pdf"]
    saved = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "plan.saved")).all()
    assert len(saved) == 1
    assert saved[0].actor_id == peer.id
    assert saved[0].record_id == str(person.id)
    assert saved[0].detail == "recovery plan version 1, 1 goals"
    for entry in db.session.scalars(select(AuditEntry)):
        for column in AuditEntry.__table__.columns:
            assert secret not in str(getattr(entry, column.key)), column.key


# Who may open a plan -------------------------------------------------------------------------------------------


def normalised(body: bytes) -> str:
    """The page without what changes from one request to the next (script nonce, CSRF token, session countdowns)."""
    text = re.sub(r'nonce="[^"]*"', 'nonce=""', body.decode())
    text = re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', text)
    return re.sub(r'data-(idle|absolute)-seconds="\d+"', r'data-\1-seconds=""', text)


PLAN_URLS = [
    ("get", "/caseload/clients/{id}/plan"),
    ("get", "/caseload/clients/{id}/plan/edit"),
    ("post", "/caseload/clients/{id}/plan/edit"),
    ("get", "/caseload/clients/{id}/plan/versions/1"),
    ("get", "/caseload/clients/{id}/plan.pdf"),
]


@pytest.mark.parametrize(("method", "url"), PLAN_URLS)
def test_a_sealed_plan_answers_a_coworker_exactly_like_a_missing_one(db, client, login_as, agency, method, url):
    worker = make_staff("peer", teams=[agency["team"]])
    outside = make_staff("peer", teams=[agency["other_team"]])
    sealed = make_client("Jordan Staff", program=agency["other_team"].program)
    assign(sealed, outside)
    seal(sealed, worker)
    make_plan(sealed, outside, ["SEALED GOAL TEXT"])
    db.session.commit()
    login_as("peer", teams=[agency["team"]], program=agency["other_team"].program)
    send = getattr(client, method)

    hidden = send(url.format(id=sealed.id), data=plan_form(1))
    missing = send(url.format(id=MISSING), data=plan_form(1))

    assert hidden.status_code == missing.status_code == 404
    assert normalised(hidden.data) == normalised(missing.data)
    assert b"SEALED GOAL TEXT" not in hidden.data
    assert len(versions(sealed.id)) == 1
    refusal = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "access.denied", AuditEntry.record_id == str(sealed.id))
    ).all()
    assert len(refusal) == 1


def test_the_assigned_outside_provider_opens_a_sealed_plan_and_it_is_in_the_access_report(db, client, login_as,
                                                                                           agency, tmp_path):
    worker = make_staff("peer", teams=[agency["team"]])
    sealed = make_client("Jordan Staff", preferred_name="Jordan", program=agency["other_team"].program)
    seal(sealed, worker)
    outside = login_as("peer", teams=[agency["other_team"]])
    assign(sealed, outside)
    make_plan(sealed, outside, ["Keep my job and my privacy."])
    db.session.commit()
    assert client.get(f"/caseload/clients/{sealed.id}/plan").status_code == 200
    pdf = client.get(f"/caseload/clients/{sealed.id}/plan.pdf")
    assert "Keep my job and my privacy." in " ".join(pdf_text(pdf.data, tmp_path).split())
    opened = db.session.scalars(select(SealedAccess.what).where(SealedAccess.client_id == sealed.id)).all()
    assert sorted(opened) == ["plan", "plan pdf"]


def test_someone_who_cannot_see_the_client_cannot_write_their_plan(db, client, login_as, agency):
    stranger_client = make_client(program=agency["other_team"].program)
    assign(stranger_client, make_staff("peer", teams=[agency["other_team"]]))
    db.session.commit()
    login_as("peer", teams=[agency["team"]])
    response = client.post(f"/caseload/clients/{stranger_client.id}/plan/edit", data=plan_form(0))
    assert response.status_code == 404
    assert versions(stranger_client.id) == []


def test_every_problem_shows_at_once_the_rules_included(client, person):
    response = client.post(f"/caseload/clients/{person.id}/plan/edit", data=plan_form(
        0, [{"in_own_words": "A goal"}, {"progress": "progress but no goal"}], review_on="2001-01-01"))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Please fix these 2 things" in html
    assert "The review date is in the past." in html
    assert "Goal 2, the goal, in the client&#39;s own words: Write the goal" in html


def test_no_goals_and_no_review_date_show_together(client, person):
    response = client.post(f"/caseload/clients/{person.id}/plan/edit", data=plan_form(0, [], review_on=""))
    html = response.get_data(as_text=True)
    assert "Enter the date to review the plan together." in html
    assert "Write at least one goal, in the client&#39;s own words." in html


@pytest.mark.parametrize("url", [
    "/caseload/clients/99999999999/plan",
    "/caseload/clients/99999999999/plan.pdf",
    "/caseload/clients/99999999999/notes",
    "/caseload/clients/{id}/plan/versions/99999999999",
])
def test_huge_numbers_in_addresses_answer_404(client, person, url):
    assert client.get(url.format(id=person.id)).status_code == 404


def test_plan_page_query_count_does_not_grow_with_versions_or_goals(client, person, peer):

    from caseload.models import Client
    from core.models import Staff

    url, client_id, peer_id = f"/caseload/clients/{person.id}/plan", person.id, peer.id

    def add(count: int, goals: int) -> None:
        for _ in range(count):
            make_plan(db.session.get(Client, client_id), db.session.get(Staff, peer_id),
                      [f"Goal {n}" for n in range(goals)])
        db.session.commit()

    def counted() -> int:
        db.session.expunge_all()
        return queries_for(client, url)

    add(2, 2)
    counted()
    few = counted()
    add(10, 12)
    assert counted() == few
