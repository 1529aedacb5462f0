"""The job-description builder: a draft from a template, every save a version (who, when), duties from the library
added, moved and removed without JavaScript, versions compared and restored, and a second tab's save refused with
its text kept."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.models import AuditEntry, Role
from hiring.models import Posting, PostingVersion
from hiring.services import compare, documents, postings
from tests.core.test_stale_edits import forms_on
from tests.hiring.helpers import draft, make_hr, save, team_with_peers


def version_on(page: str) -> str:
    found = re.search(r'name="version" type="hidden" value="(\d+)"', page) or re.search(
        r'name="version" value="(\d+)"', page
    )
    assert found, "the page carries the version it was loaded at"
    return found.group(1)


def edit_data(page: str) -> dict[str, str]:
    """What the edit form sends as a browser would send it (the form reader of the stale-edit walk)."""
    [form] = [form for form in forms_on(page) if form.method == "post" and form.action.endswith("/edit")]
    return {name: value for name, value in form.data({}).items() if name != "csrf_token"}


@pytest.fixture
def hr(client, login_as):
    return login_as(Role.HR)


def test_starting_a_draft_from_the_sample_makes_version_1(client, db, hr):
    response = client.post("/hiring/postings/new", data={"template": "sample"})
    assert response.status_code == 302
    posting = db.session.scalar(select(Posting))
    assert response.headers["Location"].endswith(f"/hiring/postings/{posting.id}")
    [version] = postings.versions_of(posting)
    assert (version.number, version.created_by_id, version.title, posting.status) == (
        1,
        hr.id,
        "Peer Specialist",
        "draft",
    )
    assert postings.document_of(version) == documents.sample_document()
    page = client.get(f"/hiring/postings/{posting.id}").get_data(as_text=True)
    assert '<mark class="pw-blank">[Program/Team]</mark>' in page
    assert "The blank [Program/Team] is not filled in" in page


def test_an_edit_saves_a_new_version_with_who_and_when_and_fills_the_blanks(client, db, hr):
    team = team_with_peers(1)
    posting = draft(hr)
    db.session.commit()
    page = client.get(f"/hiring/postings/{posting.id}/edit").get_data(as_text=True)
    data = edit_data(page)
    assert data["blank_0"] == ""
    assert "[Program/Team]" in page
    data.update(
        {
            "blank_0": "CRP day program",
            "program": str(team.program_id),
            "team": str(team.id),
            "pay_min": "26.50",
            "pay_max": "$30",
            "section_2_text": "Plain words now.",
            "lived_experience_text": "Your own recovery counts.",
        }
    )

    response = client.post(f"/hiring/postings/{posting.id}/edit", data=data)

    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    current = postings.current_version(db.session.get(Posting, posting.id))
    assert (current.number, current.created_by_id, current.pay_min_cents, current.pay_max_cents) == (
        2,
        hr.id,
        2650,
        3000,
    )
    assert postings.blanks_of(current) == {"Program/Team": "CRP day program"}
    assert postings.document_of(current)["sections"][2]["text"] == "Plain words now."
    assert postings.document_of(postings.version_numbered(posting, 1))["sections"][2]["text"] != "Plain words now."
    shown = client.get(f"/hiring/postings/{posting.id}").get_data(as_text=True)
    assert "an active member of the CRP day program and provides" in shown
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "hiring.version_saved"))
    assert (entry.actor_id, entry.record_id) == (hr.id, str(posting.id))
    assert "Plain words" not in entry.detail, "the audit log never holds the words"


def test_bad_input_comes_back_with_a_message_and_everything_typed(client, db, hr):
    other_program_team = team_with_peers(0)
    team = team_with_peers(1)
    posting = draft(hr)
    db.session.commit()
    data = edit_data(client.get(f"/hiring/postings/{posting.id}/edit").get_data(as_text=True))
    data.update(
        {
            "pay_min": "twenty",
            "title": "",
            "section_0_text": "Kept words",
            "program": str(team.program_id),
            "team": str(other_program_team.id),
        }
    )
    response = client.post(f"/hiring/postings/{posting.id}/edit", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter an amount in dollars" in page
    assert "Enter the job title" in page
    assert "Kept words" in page
    assert 'value="twenty"' in page
    assert postings.current_version(db.session.get(Posting, posting.id)).number == 1

    data.update({"pay_min": "20", "title": "Peer Specialist"})
    response = client.post(f"/hiring/postings/{posting.id}/edit", data=data)
    assert response.status_code == 400
    assert "is not a team of" in response.get_data(as_text=True)


def test_a_second_tab_gets_a_conflict_page_that_keeps_its_text(client, db, hr):
    posting = draft(hr)
    db.session.commit()
    url = f"/hiring/postings/{posting.id}/edit"
    first = edit_data(client.get(url).get_data(as_text=True))
    second = dict(first)
    first["section_3_text"] = "The first tab's guidelines."
    assert client.post(url, data=first).status_code == 302
    second["section_3_text"] = "The second tab's guidelines, typed with care."

    response = client.post(url, data=second)

    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else saved this draft first" in page
    assert "The second tab&#39;s guidelines, typed with care." in page
    assert postings.current_version(db.session.get(Posting, posting.id)).number == 2
    again = edit_data(page)
    assert client.post(url, data=again).status_code == 302, "sending it again replaces it knowingly"
    current = postings.current_version(db.session.get(Posting, posting.id))
    assert postings.document_of(current)["sections"][3]["text"] == "The second tab's guidelines, typed with care."


def test_duties_are_added_moved_and_removed_with_buttons_each_a_version(client, db, hr):
    posting = draft(hr)
    db.session.commit()
    url = f"/hiring/postings/{posting.id}"
    page = client.get(f"{url}/duties").get_data(as_text=True)
    assert "Outreach Worker: Identifies and engages hard-to-reach individuals" in page
    assert "Carry the CRP referral pager" in page
    first, second = (
        postings.document_of(postings.current_version(posting))["sections"][0]["groups"][0]["duties"][i] for i in (0, 1)
    )

    def post(action: str, **data: str) -> None:
        version = str(db.session.get(Posting, posting.id).version)
        response = client.post(f"{url}/duties/{action}", data={"version": version, **data})
        assert response.status_code == 302, response.get_data(as_text=True)[:1500]

    post("move", section="0", group="0", index="1", direction="up")
    post("add", section="0", group="0", key="s003.competency.1")
    post("own", section="1", group="0", text="Knowledge of the local peer-run recovery centre.")
    post("remove", section="0", group="1", index="0")

    posting = db.session.get(Posting, posting.id)
    document = postings.document_of(postings.current_version(posting))
    goals = document["sections"][0]["groups"][0]["duties"]
    assert goals[0] == second
    assert goals[1] == first
    assert goals[-1]["text"].startswith("Outreach Worker:")
    assert document["sections"][1]["groups"][0]["duties"][-1]["text"] == (
        "Knowledge of the local peer-run recovery centre."
    )
    assert len(document["sections"][0]["groups"][1]["duties"]) == 6
    assert [v.note for v in postings.versions_of(posting)][:4] == [
        "Removed duty 1",
        "Added a duty",
        "Added a duty from the library",
        "Moved duty 2 up",
    ]


def test_a_duty_button_from_an_old_page_changes_nothing(client, db, hr):
    posting = draft(hr)
    db.session.commit()
    stale = str(posting.version)
    url = f"/hiring/postings/{posting.id}/duties"
    assert (
        client.post(f"{url}/remove", data={"version": stale, "section": "0", "group": "0", "index": "0"}).status_code
        == 302
    )
    response = client.post(f"{url}/remove", data={"version": stale, "section": "0", "group": "0", "index": "0"})
    assert response.status_code == 409
    assert "nothing was changed" in response.get_data(as_text=True)
    assert postings.current_version(db.session.get(Posting, posting.id)).number == 2


def test_a_duty_not_in_the_library_or_a_list_that_is_not_there_is_a_message(client, db, hr):
    posting = draft(hr)
    db.session.commit()
    url = f"/hiring/postings/{posting.id}/duties"
    response = client.post(
        f"{url}/add", data={"version": str(posting.version), "section": "0", "group": "0", "key": "nothing.like.this"}
    )
    assert response.status_code == 400
    assert "not in the library" in response.get_data(as_text=True)
    response = client.post(
        f"{url}/move",
        data={"version": str(posting.version), "section": "9", "group": "0", "index": "0", "direction": "up"},
    )
    assert response.status_code == 400
    assert client.post(f"{url}/move", data={"version": "1", "section": "x"}).status_code == 400


def test_two_versions_compare_side_by_side_with_the_changes_marked(client, db, hr):
    posting = draft(hr)
    save(posting, hr, title="Peer Support Specialist", schedule="Monday to Friday")
    db.session.commit()
    rows = compare.compare(postings.version_numbered(posting, 1), postings.version_numbered(posting, 2))
    changed = {row.label: row for row in rows if row.kind != "same"}
    assert set(changed) == {"Job title", "Schedule"}
    assert [(p.text, p.change) for p in changed["Job title"].right] == [
        ("Peer ", ""),
        ("Support ", "added"),
        ("Specialist", ""),
    ]
    assert changed["Schedule"].kind == "changed"

    page = client.get(f"/hiring/postings/{posting.id}/compare?old=1&new=2").get_data(as_text=True)
    assert '<ins class="pw-added"><span class="usa-sr-only">[added: </span>Support </ins>' in page.replace(
        '<span class="usa-sr-only">]</span>', ""
    )
    assert "2 parts differ" in page
    assert client.get(f"/hiring/postings/{posting.id}/compare?old=1&new=99").status_code == 302


def test_restoring_an_old_version_makes_it_the_newest_and_loses_nothing(client, db, hr):
    posting = draft(hr)
    save(posting, hr, title="A title to undo")
    db.session.commit()
    response = client.post(f"/hiring/postings/{posting.id}/versions/1/restore", data={"version": str(posting.version)})
    assert response.status_code == 302
    posting = db.session.get(Posting, posting.id)
    assert [(v.number, v.title) for v in postings.versions_of(posting)] == [
        (3, "Peer Specialist"),
        (2, "A title to undo"),
        (1, "Peer Specialist"),
    ]
    assert postings.current_version(posting).note == "Restored version 1"


def test_the_versions_page_lists_each_save_with_who_and_when(client, db, hr):
    posting = draft(hr)
    save(posting, hr, title="Second")
    db.session.commit()
    page = client.get(f"/hiring/postings/{posting.id}/versions").get_data(as_text=True)
    assert page.count(hr.name) >= 2
    assert "Saved the details and wording" in page
    assert client.get(f"/hiring/postings/{posting.id}/versions/2").status_code == 200
    assert client.get(f"/hiring/postings/{posting.id}/versions/7").status_code == 404


@pytest.mark.parametrize("role", [Role.PEER, Role.STAFF, Role.SUPERVISOR, Role.PRIVACY])
def test_only_hr_and_the_administrator_build(client, db, login_as, role):
    posting = draft(make_hr())
    db.session.commit()
    login_as(role)
    for url in (
        f"/hiring/postings/{posting.id}",
        f"/hiring/postings/{posting.id}/edit",
        f"/hiring/postings/{posting.id}/draft.pdf",
    ):
        assert client.get(url).status_code == 403
    assert (
        client.post(
            f"/hiring/postings/{posting.id}/duties/remove",
            data={"version": "1", "section": "0", "group": "0", "index": "0"},
        ).status_code
        == 403
    )
    assert db.session.scalar(select(PostingVersion.number).order_by(PostingVersion.number.desc())) == 1


def test_the_comparison_shows_the_parts_that_differ_and_every_part_on_request(client, db, hr):
    posting = draft(hr)
    save(posting, hr, schedule="Weekdays")
    db.session.commit()
    url = f"/hiring/postings/{posting.id}/compare?old=1&new=2"
    changed_only = client.get(url).get_data(as_text=True)
    every = client.get(url + "&all=1").get_data(as_text=True)
    assert "Weekdays" in changed_only
    assert "Work Environment: opening text" not in changed_only
    assert "Work Environment: opening text" in every
