"""Each check beside a draft fires with a plain reason and a link to the field, and clears once fixed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.models import Role
from hiring.models import Posting
from hiring.services import checks, documents, phrases, postings
from tests import factories
from tests.hiring.helpers import SAMPLE_BLANKS, draft, enter_agency, make_hr, published, save, team_with_peers

pytestmark = pytest.mark.usefixtures("db")

PLAIN = {
    "section_text": "You help people in recovery reach their own goals. You share your story when it helps.",
}


def found(posting: Posting) -> dict[str, list[checks.Check]]:
    by_code: dict[str, list[checks.Check]] = {}
    for check in checks.run(posting, postings.current_version(posting)):
        by_code.setdefault(check.code, []).append(check)
    return by_code


def test_unfilled_blanks_are_named_and_link_to_their_box_then_clear():
    hr = make_hr()
    posting = draft(hr)
    blanks = found(posting)["blank"]
    assert [check.title for check in blanks][:2] == [
        "The blank [Program/Team] is not filled in",
        "The blank [Service Line] is not filled in",
    ]
    assert [(check.page, check.anchor) for check in blanks][:2] == [("edit", "blank_0"), ("edit", "blank_1")]
    save(posting, hr, blanks={**SAMPLE_BLANKS, "Service Line": ""})
    assert [check.title for check in found(posting)["blank"]] == ["The blank [Service Line] is not filled in"]
    save(posting, hr, blanks=SAMPLE_BLANKS)
    assert "blank" not in found(posting)


def test_pay_under_the_living_wage_shows_it_by_the_hour_and_by_the_year_then_clears(db):
    enter_agency(living_wage="24.50")
    hr = make_hr()
    posting = draft(hr)
    assert [check.title for check in found(posting)["pay"]] == ["No pay range yet"]
    save(posting, hr, pay_min_cents=4_000_000, pay_max_cents=4_500_000, pay_period="year")
    [check] = found(posting)["pay"]
    assert check.anchor == "pay_min"
    assert "The living wage for New Haven County is $24.50 an hour ($50,960 a year full time)" in check.reason
    assert "$40,000 per year ($19.23 per hour at 40 hours a week)" in check.reason
    save(posting, hr, pay_min_cents=2450, pay_max_cents=2800, pay_period="hour")
    assert "pay" not in found(posting)


@pytest.mark.parametrize(("low", "high", "period", "shown"), [
    (2_200_050, None, "hour", "$22,000.50 per hour"),  # a yearly amount typed against "per hour"
    (2450, 280_000, "hour", "$24.50 to $2,800 per hour"),  # a decimal point left out
    (2450, 2800, "year", "$24.50 to $28 per year"),  # an hourly amount typed against "per year"
])
def test_pay_that_is_surely_a_slip_is_named(low, high, period, shown):
    enter_agency(living_wage="24.50")
    hr = make_hr()
    posting = draft(hr)
    save(posting, hr, pay_min_cents=low, pay_max_cents=high, pay_period=period)
    [check] = found(posting)["pay"]
    assert check.title == "The pay looks mistyped"
    assert shown in check.reason
    assert check.anchor == "pay_min"
    save(posting, hr, pay_min_cents=2450, pay_max_cents=2800, pay_period="hour")
    assert "pay" not in found(posting)


def test_without_a_living_wage_the_check_says_to_enter_one():
    posting = draft(make_hr(), pay_min_cents=1500, pay_max_cents=None)
    [check] = found(posting)["living_wage"]
    assert (check.page, "administrator") == ("settings", "administrator")
    assert "Settings" in check.reason


def test_a_team_left_with_a_single_peer_fires_and_clears_with_a_second_posting_or_peer():
    hr = make_hr()
    lonely = team_with_peers(0)
    posting = draft(hr, program_id=lonely.program_id, team_id=lonely.id)
    [check] = found(posting)["lone_peer"]
    assert check.anchor == "team"
    assert "only peer on the team" in check.reason
    assert lonely.name in check.reason

    published(hr, team=lonely)  # a second open posting for the same team
    assert "lone_peer" not in found(posting)


def test_a_team_that_has_a_peer_already_is_fine_and_an_inactive_peer_does_not_count():
    hr = make_hr()
    team = team_with_peers(0)
    factories.make_staff(Role.PEER, teams=[team], status="deactivated")
    posting = draft(hr, program_id=team.program_id, team_id=team.id)
    assert "lone_peer" in found(posting)
    factories.make_staff(Role.PEER, teams=[team])
    assert "lone_peer" not in found(posting)


def test_requirements_that_shut_out_lived_experience_are_found_with_where_and_why():
    hr = make_hr()
    posting = draft(hr, lived_experience_text="Applicants must have NO criminal history and be 2 years symptom free.")
    phrase_checks = found(posting)["phrase"]
    assert [check.title for check in phrase_checks] == [
        "“NO criminal history” shuts out people with lived experience",
        "“symptom free” shuts out people with lived experience",
    ]
    assert {check.anchor for check in phrase_checks} == {"lived_experience_text"}
    assert "Found in: Lived experience." in phrase_checks[0].details
    save(posting, hr, lived_experience_text="Lived experience of recovery counts as experience.")
    assert "phrase" not in found(posting)


def test_hr_extends_the_list_and_the_new_phrase_is_checked(db):
    hr = make_hr()
    posting = draft(hr, schedule="No felony convictions; weekdays.")
    assert "phrase" not in found(posting)
    phrases.add("no felony convictions", "Say which offences matter and why.", hr)
    [check] = found(posting)["phrase"]
    assert (check.anchor, check.reason) == ("schedule", "Say which offences matter and why.")


def test_the_reading_grade_names_the_hardest_sentences_and_clears_in_plain_words():
    hr = make_hr()
    posting = draft(hr)
    [check] = found(posting)["reading"]
    assert check.title.startswith("Reading grade ")
    assert float(check.title.split()[2].rstrip(":")) > 8
    assert len(check.details) == 3
    assert check.details[0].startswith("Grade ")
    assert "(Major Duties and Responsibilities" in check.details[0]
    assert check.page in ("edit", "duties")

    plain = [
        postings.SectionWords(s.heading, PLAIN["section_text"], "", ["You will:"] * len(s.leads))
        for s in postings.details_of(postings.current_version(posting)).sections
    ]
    save(posting, hr, sections=plain, lived_experience_text="Your own recovery counts as experience.")
    document = postings.document_of(postings.current_version(posting))
    for section in document["sections"]:
        for group in section["groups"]:
            group["duties"] = [{"key": "", "text": "Help people set goals they care about.", "items": []}]
    postings._new_version(
        posting, postings.current_version(posting), {"document": documents.dump(document)}, hr, "plain"
    )
    assert "reading" not in found(posting)


def test_the_draft_page_links_each_check_to_its_field(client, db, login_as):
    hr = login_as(Role.HR)
    posting = draft(hr)
    db.session.commit()
    page = client.get(f"/hiring/postings/{posting.id}").get_data(as_text=True)
    assert f'href="/hiring/postings/{posting.id}/edit#blank_0"' in page
    assert f'href="/hiring/postings/{posting.id}/edit#pay_min"' in page
    edit = client.get(f"/hiring/postings/{posting.id}/edit").get_data(as_text=True)
    assert 'id="blank_0"' in edit
    assert 'id="pay_min"' in edit
    assert 'id="team"' in edit
    assert db.session.scalar(select(Posting.id)) == posting.id


def test_the_reading_grade_needs_no_network(monkeypatch):
    """textstat 0.7.8 reads the cmudict package's copy of the dictionary; later versions download one with NLTK."""
    import importlib.util
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("the reading grade tried to open a network connection")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    checks.grade.cache_clear()
    from textstat.backend.utils import _get_cmudict

    _get_cmudict.get_cmudict.cache_clear()
    assert checks.grade("People in recovery help each other find work and a home.") < 8
    assert importlib.util.find_spec("nltk") is None
