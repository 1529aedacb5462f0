"""Open answers: the first few on the results page, every one on their own paged and searchable page, and a CSV;
always in alphabetical order, for the whole organization only, and never for a question too few people answered."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import AuditEntry, Role
from readiness.models import Campaign, Instrument
from readiness.services import results as results_service
from tests.queries import queries_for
from tests.readiness.helpers import items_by_code, make_campaign, make_instrument
from tests.readiness.test_results import answer, many


@pytest.fixture
def instrument(db) -> Instrument:  # db: the fixture that sets up the database
    return make_instrument()


@pytest.fixture
def campaign(instrument: Instrument) -> Campaign:
    return make_campaign(instrument)


def words(n: int) -> str:
    return f"Answer {n:03d}"


def fill(campaign: Campaign, instrument: Instrument, count: int) -> None:
    for n in reversed(range(count)):  # stored in the reverse of alphabetical order
        answer(campaign, instrument, text=words(n))
    db.session.commit()


def open_page(client, campaign: Campaign, instrument: Instrument, query: str = "") -> tuple[int, str]:
    item = items_by_code(instrument)["open"]
    response = client.get(f"/readiness/campaigns/{campaign.id}/open-answers/{item.id}{query}")
    return response.status_code, response.get_data(as_text=True)


def listed(html: str) -> list[str]:
    start = html.index('<ul class="pw-open-answers">')
    block = html[start:html.index("</ul>", start)]
    return [part.split("</li>")[0] for part in block.split("<li>")[1:]]


def test_the_results_page_shows_the_first_ten_and_links_to_the_rest(client, login_as, instrument, campaign):
    fill(campaign, instrument, 30)
    login_as(Role.HR)

    html = client.get(f"/readiness/campaigns/{campaign.id}/results").get_data(as_text=True)

    found = results_service.campaign_results(campaign).free_text
    assert [(entry.total, entry.first, entry.more) for entry in found] == [
        (30, [words(n) for n in range(10)], True)
    ]
    assert "30 people answered. The first 10, in alphabetical order:" in html
    assert f"<li>{words(9)}</li>" in html
    assert f"<li>{words(10)}</li>" not in html
    item = items_by_code(instrument)["open"]
    assert f'href="/readiness/campaigns/{campaign.id}/open-answers/{item.id}"' in html
    assert "Read all 30 answers to this question" in html
    assert f'href="/readiness/campaigns/{campaign.id}/open-answers.csv"' in html


def test_every_answer_is_paged_in_alphabetical_order(client, login_as, instrument, campaign):
    fill(campaign, instrument, 30)
    login_as(Role.HR)

    status, first = open_page(client, campaign, instrument)
    assert status == 200
    assert listed(first) == [words(n) for n in range(25)]
    assert "All 30 answers, page 1 of 2" in first

    status, second = open_page(client, campaign, instrument, "?page=2")
    assert status == 200
    assert listed(second) == [words(n) for n in range(25, 30)]

    status, past = open_page(client, campaign, instrument, "?page=9")
    assert status == 200
    assert "This page is past the last answer" in past


def test_alphabetical_order_ignores_case_and_never_follows_arrival(client, login_as, instrument, campaign):
    for text in ["zebra", "Apple", "banana", "apple pie", "Cherry"]:
        answer(campaign, instrument, text=text)
    db.session.commit()
    login_as(Role.HR)

    assert listed(open_page(client, campaign, instrument)[1]) == ["Apple", "apple pie", "banana", "Cherry", "zebra"]


def test_search_finds_words_in_any_case_and_treats_wildcards_as_text(client, login_as, instrument, campaign):
    for text in ["More SUPERVISION please", "Less paperwork", "100% more training", "Clear roles", "Time off"]:
        answer(campaign, instrument, text=text)
    db.session.commit()
    login_as(Role.HR)

    assert listed(open_page(client, campaign, instrument, "?q=supervision")[1]) == ["More SUPERVISION please"]
    assert listed(open_page(client, campaign, instrument, "?q=100%25")[1]) == ["100% more training"]
    status, html = open_page(client, campaign, instrument, "?q=_")
    assert status == 200
    assert "No answer has these words" in html


def test_a_search_that_cannot_be_used_is_explained_and_kept(client, login_as, instrument, campaign):
    many(campaign, instrument, 5, text="Something")
    db.session.commit()
    login_as(Role.HR)

    status, html = open_page(client, campaign, instrument, "?q=bad%00word")
    assert status == 400
    assert "We could not search for this." in html
    assert 'value="bad' in html
    assert listed(html) == ["Something"] * 5, "the answers are still listed"

    status, html = open_page(client, campaign, instrument, "?q=" + "x" * 101)
    assert status == 400
    assert "Use at most 100 characters." in html


def test_a_question_answered_by_too_few_is_not_shown_anywhere(client, login_as, instrument, campaign):
    many(campaign, instrument, 4, text="Only four said this")
    many(campaign, instrument, 3)
    db.session.commit()
    login_as(Role.HR)

    status, html = open_page(client, campaign, instrument)
    assert status == 200
    assert "Too few answers to show" in html
    assert "Only four said this" not in html
    rows = csv_rows(client, campaign)
    assert rows == [["Question", "Answer"]]


def test_a_campaign_with_too_few_responses_shows_no_open_answers(client, login_as, instrument, campaign):
    many(campaign, instrument, 4, text="Four of us")
    db.session.commit()
    login_as(Role.HR)

    status, html = open_page(client, campaign, instrument)
    assert status == 200
    assert "Four of us" not in html


def csv_rows(client, campaign: Campaign) -> list[list[str]]:
    response = client.get(f"/readiness/campaigns/{campaign.id}/open-answers.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="readiness-{campaign.id}-open-answers.csv"'
    )
    data = response.get_data()
    assert data.startswith("\ufeff".encode()), "Excel reads it as UTF-8"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_csv_of_every_open_answer_is_safe_and_audited_without_the_words(client, login_as, instrument, campaign):
    for text in ["=HYPERLINK(\"http://example.com\")", "Plain words", "@SUM(A1)", "Zed", "another"]:
        answer(campaign, instrument, text=text)
    db.session.commit()
    hr = login_as(Role.HR)

    rows = csv_rows(client, campaign)

    question = items_by_code(instrument)["open"].text
    assert rows == [
        ["Question", "Answer"],
        [question, "'=HYPERLINK(\"http://example.com\")"],
        [question, "'@SUM(A1)"],
        [question, "another"],
        [question, "Plain words"],
        [question, "Zed"],
    ]
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.action, entry.actor_id, entry.record_id, entry.detail) == (
        "readiness.open_answers_exported", hr.id, str(campaign.id), "5 answers"
    )


def test_only_an_open_question_of_the_campaigns_survey_has_a_page(client, login_as, instrument, campaign):
    many(campaign, instrument, 5, text="Words")
    other = make_instrument("Another survey")
    db.session.commit()
    login_as(Role.HR)
    items = items_by_code(instrument)

    assert client.get(f"/readiness/campaigns/{campaign.id}/open-answers/{items['r1'].id}").status_code == 404
    assert client.get(
        f"/readiness/campaigns/{campaign.id}/open-answers/{items_by_code(other)['open'].id}"
    ).status_code == 404
    assert client.get(f"/readiness/campaigns/99999/open-answers/{items['open'].id}").status_code == 404


@pytest.mark.parametrize("role", [Role.STAFF, Role.PEER, Role.SUPERVISOR, Role.PRIVACY])
def test_only_hr_and_admin_read_open_answers(client, login_as, instrument, campaign, role):
    many(campaign, instrument, 5, text="Words")
    db.session.commit()
    login_as(role)
    item = items_by_code(instrument)["open"]
    assert client.get(f"/readiness/campaigns/{campaign.id}/open-answers/{item.id}").status_code == 403
    assert client.get(f"/readiness/campaigns/{campaign.id}/open-answers.csv").status_code == 403


def test_the_open_answers_page_runs_the_same_queries_at_any_size(client, login_as, instrument):
    small, large = make_campaign(instrument, name="Small"), make_campaign(instrument, name="Large")
    fill(small, instrument, 30)
    fill(large, instrument, 200)
    login_as(Role.HR)
    item = items_by_code(instrument)["open"]
    url = "/readiness/campaigns/{}/open-answers/" + str(item.id)
    queries_for(client, url.format(small.id))  # warm up
    assert queries_for(client, url.format(small.id)) == queries_for(client, url.format(large.id))


def test_answers_alike_but_for_case_are_ordered_by_their_words_not_by_who_wrote_them(client, login_as, instrument):
    """The random response key is shared by all of one person's answers: ordering ties by it would line up a
    person's answers across questions. Person A writes "yes" and "NO", person B "YES" and "no": ordered by the
    words, "yes" and "YES" stand in the same order as "no" and "NO", whoever wrote them."""
    from readiness.models import Item, ItemKind

    second = Item(instrument_id=instrument.id, domain=None, code="open2", position=7, kind=ItemKind.TEXT,
                  required=False, text="What would help?")
    db.session.add(second)
    db.session.commit()
    db.session.expire_all()  # the instrument's list of items is reloaded with the new question
    items = items_by_code(instrument)
    from readiness.services.answering import record_response
    from tests.readiness.helpers import today

    for n in range(10):
        campaign = make_campaign(instrument, name=f"Ties {n}")
        for first, other in [("yes", "NO"), ("YES", "no"), ("maybe", "maybe"), ("later", "later"), ("x", "x")]:
            record_response(campaign_id=campaign.id, team_id=None, role_group="unsaid", tenure_band="unsaid",
                            submitted_on=today(), answers=[(items["open"].id, 0, first), (second.id, 0, other)])
        db.session.flush()
        found = {entry.item.code: entry.first for entry in results_service.campaign_results(campaign).free_text}
        lower_first = found["open"].index("yes") < found["open"].index("YES")
        assert lower_first == (found["open2"].index("no") < found["open2"].index("NO")), f"campaign {n}: {found}"


def test_search_ignores_case_beyond_plain_letters(client, login_as, instrument, campaign):
    for text in ["Équipe soudée", "Straße sicher", "Other words", "More", "Less"]:
        answer(campaign, instrument, text=text)
    db.session.commit()
    login_as(Role.HR)

    assert listed(open_page(client, campaign, instrument, "?q=%C3%A9quipe")[1]) == ["Équipe soudée"]
    assert listed(open_page(client, campaign, instrument, "?q=STRASSE")[1]) == ["Straße sicher"]


@pytest.mark.parametrize("url", [
    "/readiness/campaigns/1/open-answers/2147483648",
    "/readiness/campaigns/99999999999999999999/open-answers/1",
    "/readiness/campaigns/99999999999999999999/open-answers.csv",
    "/readiness/campaigns/99999999999999999999/results",
])
def test_a_number_too_large_for_an_id_is_not_found(client, login_as, url):
    login_as(Role.HR)
    assert client.get(url).status_code == 404
