"""Answering a survey: the personal link, drafts, missing answers, sending once, and the running totals."""

from __future__ import annotations

import html
import re
import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.models import Role
from readiness.models import (
    NO_TEAM,
    Answer,
    Ballot,
    DomainTally,
    Invitation,
    InvitationStatus,
    ItemKind,
    ItemTally,
    OpenAnswer,
    Response,
    ResponseCount,
)
from readiness.services import answering
from tests import factories
from tests.conftest import ON_POSTGRES
from tests.readiness.helpers import (
    LINK_LANDING,
    SURVEY,
    full_answers,
    invitation_of,
    items_by_code,
    make_campaign,
    make_instrument,
    open_link,
    open_survey,
    release,
    send,
    send_survey,
    today,
)


@pytest.fixture
def survey(app, login_as):
    """A signed-in peer specialist with an invitation to an open campaign on a small survey."""
    team = factories.make_team()
    person = login_as(Role.PEER, teams=[team])
    instrument = make_instrument()
    campaign = make_campaign(instrument)
    tokens = send(campaign)
    db.session.commit()
    invitation = invitation_of(campaign, person)
    return {"person": person, "team": team, "instrument": instrument, "campaign": campaign,
            "invitation": invitation, "token": tokens[person.id], "url": SURVEY}


def counts() -> tuple[int, ...]:
    return tuple(db.session.scalar(select(func.count()).select_from(model))  # type: ignore[return-value]
                 for model in (Ballot, Response, Answer, OpenAnswer, ItemTally, DomainTally, ResponseCount))


def test_the_personal_link_opens_the_survey_for_its_owner(client, survey):
    response = open_link(client, survey["token"])

    assert response.status_code == 302
    assert response.headers["Location"] == SURVEY, "the survey's address names no invitation and no token"
    page = client.get(SURVEY).get_data(as_text=True)
    assert "Send my answers" in page
    assert f'<input type="hidden" name="invitation" value="{survey["invitation"].id}">' in page
    assert f'action="{SURVEY}"' in page


def test_answer_the_survey_on_the_readiness_page_opens_it_at_the_one_address(client, survey):
    page = client.get("/readiness/").get_data(as_text=True)
    assert f'action="{SURVEY}/open"' in page
    assert f"/readiness/surveys/{survey['invitation'].id}" not in page

    response = open_survey(client, survey["invitation"])

    assert response.headers["Location"] == SURVEY
    assert "Send my answers" in client.get(SURVEY).get_data(as_text=True)


def test_the_survey_address_without_a_chosen_survey_leads_to_the_readiness_page(client, survey):
    response = client.get(SURVEY)

    assert response.status_code == 302
    assert response.headers["Location"] == "/readiness/"
    assert "Choose the survey to answer" in client.get("/readiness/").get_data(as_text=True)


def test_the_survey_page_uses_fieldsets_and_labelled_agreement_points(client, survey):
    open_survey(client, survey["invitation"])
    page = client.get(survey["url"]).get_data(as_text=True)

    item = items_by_code(survey["instrument"])["r1"]
    legend = re.escape(item.text)
    pattern = rf'<fieldset class="usa-fieldset">\s*<legend class="usa-legend">{legend}</legend>(.*?)</fieldset>'
    fieldset = re.search(pattern, page, re.S)
    assert fieldset, "each statement is a fieldset with the statement as its legend"
    labels = re.findall(r'<label class="usa-radio__label" for="item_\d+-\d">([^<]+)</label>', fieldset.group(1))
    assert labels == ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"]
    assert "<h2" in page
    assert "The peer role" in page
    assert "Save and finish later" in page
    assert "Send my answers" in page


def test_sending_stores_the_answers_once_and_completes_the_invitation(client, survey):
    instrument = survey["instrument"]
    items = items_by_code(instrument)

    data = full_answers(instrument, role_group="peer", tenure_band="1_to_3")

    response = send_survey(client, survey["invitation"], data)

    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Invitation, survey["invitation"].id).status == InvitationStatus.COMPLETED
    assert counts()[1:] == (0, 0, 0, 0, 0, 0), "one answer waits in the ballot box, apart from the results"
    ballot = db.session.scalars(select(Ballot)).one()
    assert (ballot.team_key, ballot.role_group, ballot.tenure_band) == (survey["team"].id, "peer", "1_to_3")

    assert release(survey["campaign"]) == 1
    assert counts()[0] == 0, "released ballots are deleted"
    stored = db.session.scalars(select(Response)).one()
    assert (stored.team_id, stored.role_group, stored.tenure_band) == (None, "unsaid", "unsaid"), \
        "the response row keeps no team, role group or tenure band: they live only in the totals"
    assert stored.submitted_on == today()  # the day the batch was released, the same for all of it
    answers = {(a.item_id, a.value) for a in db.session.scalars(select(Answer))}
    assert answers == {
        (items["r1"].id, 4), (items["r2"].id, 4), (items["f1"].id, 4),
        (items["fmt"].id, 2), (items["topics"].id, 1), (items["topics"].id, 3),
    }
    written = db.session.scalars(select(OpenAnswer)).one()
    assert (written.campaign_id, written.item_id, written.response_id) == (
        survey["invitation"].campaign_id, items["open"].id, stored.id
    )
    assert (written.text, written.sort_key) == ("More time to plan together.", "more time to plan together.")
    count = db.session.scalars(select(ResponseCount)).one()
    assert (count.team_key, count.role_group, count.n) == (survey["team"].id, "peer", 1)
    assert "Thank you" in client.get("/readiness/").get_data(as_text=True)


def test_a_double_submit_counts_once(client, survey):
    data = full_answers(survey["instrument"])
    first = send_survey(client, survey["invitation"], data)
    before = counts()

    second = send_survey(client, survey["invitation"], data)

    assert first.status_code == 302
    assert second.status_code == 410
    assert "already sent your answers" in second.get_data(as_text=True)
    assert counts() == before
    release(survey["campaign"])
    assert db.session.scalar(select(func.sum(ResponseCount.n))) == 1


def test_two_sends_racing_past_the_page_check_count_once(app, survey):
    """Both requests passed the "already answered?" check before either sent: the conditional UPDATE decides."""
    invitation = survey["invitation"]
    item = items_by_code(survey["instrument"])["r1"]
    submission = answering.Submission(answers=[(item.id, 5, None)])

    answering.submit(invitation, submission)
    stale = db.session.get(Invitation, invitation.id)
    stale.status = InvitationStatus.INVITED  # what a second request loaded before the first committed
    db.session.expunge(stale)
    with pytest.raises(answering.AlreadyAnswered):
        answering.submit(stale, submission)
    db.session.commit()
    release(survey["campaign"])

    assert counts()[:2] == (0, 1)
    assert db.session.scalar(select(ItemTally.n).where(ItemTally.item_id == item.id)) == 1
    assert db.session.scalar(select(DomainTally.answers)) == 1


def test_missing_required_answers_show_an_error_summary_and_keep_the_input(client, survey):
    instrument = survey["instrument"]
    items = items_by_code(instrument)
    data = full_answers(instrument)
    del data[f"item_{items['r2'].id}"]
    data[f"item_{items['r1'].id}"] = "2"
    data[f"item_{items['open'].id}"] = "My concern, kept as typed."

    response = send_survey(client, survey["invitation"], data)

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="error-summary"' in page
    assert f'href="#item_{items["r2"].id}-0"' in page
    assert "Choose how much you agree with this statement." in page
    assert re.search(rf'id="item_{items["r1"].id}-1"[^>]*checked|checked[^>]*id="item_{items["r1"].id}-1"', page)
    assert "My concern, kept as typed." in html.unescape(page)
    assert counts() == (0,) * 7
    db.session.expire_all()
    assert db.session.get(Invitation, survey["invitation"].id).status == InvitationStatus.INVITED


def test_save_and_finish_later_keeps_a_draft_that_comes_back(client, survey):
    instrument = survey["instrument"]
    items = items_by_code(instrument)
    data = {"action": "save", f"item_{items['r1'].id}": "5", f"item_{items['topics'].id}": ["2"],
            f"item_{items['open'].id}": "Half a thought"}

    saved = send_survey(client, survey["invitation"], data)

    assert saved.status_code == 302, "nothing is required when only saving"
    db.session.expire_all()
    invitation = db.session.get(Invitation, survey["invitation"].id)
    assert invitation.status == InvitationStatus.STARTED
    assert counts() == (0,) * 7, "a draft is not an answer"
    assert "Continue the survey" in client.get("/readiness/").get_data(as_text=True)

    open_survey(client, survey["invitation"])
    page = client.get(survey["url"]).get_data(as_text=True)
    assert re.search(rf'checked[^>]*id="item_{items["r1"].id}-4"|id="item_{items["r1"].id}-4"[^>]*checked', page)
    assert re.search(rf'checked[^>]*id="item_{items["topics"].id}-1"|id="item_{items["topics"].id}-1"[^>]*checked',
                     page)
    assert "Half a thought" in page

    send_survey(client, survey["invitation"], full_answers(instrument))
    db.session.expire_all()
    invitation = db.session.get(Invitation, survey["invitation"].id)
    assert invitation.status == InvitationStatus.COMPLETED
    assert invitation.draft is None, "the draft is deleted when the answers are sent"


@pytest.mark.parametrize(
    ("when", "status", "message"),
    [
        ("closed", 410, "This survey has closed"),
        ("not yet open", 400, "This survey is not open yet"),
    ],
)
def test_a_closed_or_not_yet_open_campaign_says_so(client, survey, when, status, message):
    campaign = survey["campaign"]
    if when == "closed":
        campaign.opens_on, campaign.closes_on = today() - timedelta(days=20), today() - timedelta(days=1)
    else:
        campaign.opens_on, campaign.closes_on = today() + timedelta(days=1), today() + timedelta(days=20)
    db.session.commit()
    with client.session_transaction() as session:  # chosen on the Readiness page while it was open
        session["readiness_survey"] = survey["invitation"].id

    for response in (
        open_link(client, survey["token"]),
        client.get(survey["url"]),
        send_survey(client, survey["invitation"], full_answers(survey["instrument"])),
    ):
        assert response.status_code == status
        assert message in response.get_data(as_text=True)
    assert counts() == (0,) * 7


def test_a_used_link_says_the_answers_were_sent(client, survey):
    send_survey(client, survey["invitation"], full_answers(survey["instrument"]))

    response = open_link(client, survey["token"])

    assert response.status_code == 410
    assert "You have already sent your answers" in response.get_data(as_text=True)


@pytest.mark.parametrize("token", ["forged", "someone else's", "very long"])
def test_a_forged_or_someone_elses_link_does_not_work(client, survey, token):
    if token == "someone else's":
        colleague = factories.make_staff(Role.STAFF)
        tokens = send(survey["campaign"])
        db.session.commit()
        value = tokens[colleague.id]
    elif token == "forged":
        value = survey["token"][:-2] + ("AA" if not survey["token"].endswith("AA") else "BB")
    else:
        value = "x" * 5000

    response = open_link(client, value)

    assert response.status_code == 400
    assert "This survey link does not work" in response.get_data(as_text=True)


def test_someone_elses_invitation_page_is_not_found(client, survey):
    colleague = factories.make_staff(Role.STAFF)
    send(survey["campaign"])
    db.session.commit()
    theirs = invitation_of(survey["campaign"], colleague)

    assert client.post(f"{SURVEY}/open", data={"invitation": str(theirs.id)}).status_code == 404
    assert send_survey(client, theirs, full_answers(survey["instrument"])).status_code == 404
    with client.session_transaction() as session:  # as if chosen by someone who signed in here before
        session["readiness_survey"] = theirs.id
    shown = client.get(SURVEY)
    assert shown.status_code == 302, "someone else's survey is never shown"
    assert shown.headers["Location"] == "/readiness/"
    assert counts() == (0,) * 7


@pytest.mark.parametrize("value", ["", "abc", "-1", "99999999999", "2147483648", "0"])
def test_a_missing_or_malformed_invitation_in_the_form_is_not_found(client, survey, value):
    data = {**full_answers(survey["instrument"]), "invitation": value}
    assert client.post(SURVEY, data=data).status_code == 404
    assert client.post(f"{SURVEY}/open", data={"invitation": value}).status_code == 404
    assert counts() == (0,) * 7


def test_the_link_needs_a_signed_in_person_and_its_token_never_reaches_the_sign_in_address(app, survey):
    browser = app.test_client()
    opened = browser.get(f"/readiness/survey/{survey['token']}")
    assert opened.headers["Location"] == LINK_LANDING

    response = browser.get(LINK_LANDING)

    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/readiness/survey/link?"
    assert survey["token"] not in response.headers["Location"]
    # Signed in, the same browser goes on to the survey the link named.
    with browser.session_transaction() as session:
        session["_user_id"] = factories.start_session(survey["person"])
    landing = browser.get(LINK_LANDING)
    assert landing.headers["Location"] == SURVEY
    assert "Send my answers" in browser.get(SURVEY).get_data(as_text=True)


def test_the_link_landing_without_a_link_sends_to_the_readiness_page(client, survey):
    response = client.get(LINK_LANDING)

    assert response.status_code == 302
    assert response.headers["Location"] == "/readiness/"
    assert client.get(LINK_LANDING.replace("/link", f"/{survey['token']}")).status_code == 302
    assert client.get(LINK_LANDING).headers["Location"] == SURVEY, "the token is used once, then forgotten"
    with client.session_transaction() as session:
        assert "readiness_link" not in session


@pytest.mark.parametrize(
    "bad",
    [{"value": "6"}, {"value": "abc"}, {"value": "-1"}, {"role_group": "boss"}, {"text": "x" * 2001}],
)
def test_tampered_or_too_long_answers_are_refused_without_a_500(client, survey, bad):
    instrument = survey["instrument"]
    items = items_by_code(instrument)
    data = full_answers(instrument)
    if "value" in bad:
        data[f"item_{items['r1'].id}"] = bad["value"]
    if "role_group" in bad:
        data["role_group"] = bad["role_group"]
    if "text" in bad:
        data[f"item_{items['open'].id}"] = bad["text"]

    response = send_survey(client, survey["invitation"], data)

    assert response.status_code == 400
    assert 'id="error-summary"' in response.get_data(as_text=True)
    assert counts() == (0,) * 7


def test_the_running_totals_equal_counts_from_the_answers(app, db):
    """Many sends across teams and role groups: every tally and response count is what the answers say."""
    import random

    rng = random.Random(7)
    teams = [factories.make_team() for _ in range(3)]
    people = [factories.make_staff(Role.STAFF, teams=[teams[i % 3]]) for i in range(24)]
    people.append(factories.make_staff(Role.HR))  # on no team
    instrument = make_instrument()
    items = {item.id: item for item in instrument.items}
    campaign = make_campaign(instrument)
    send(campaign)
    sent: list[tuple[int, str, list[tuple[int, int, str | None]]]] = []
    for person in people:
        invitation = invitation_of(campaign, person)
        answers: list[tuple[int, int, str | None]] = []
        for item in instrument.items:
            if item.kind == ItemKind.LIKERT:
                answers.append((item.id, rng.randint(1, 5), None))
            elif item.kind == ItemKind.MULTI:
                answers += [(item.id, v, None) for v in rng.sample([1, 2, 3], k=rng.randint(0, 3))]
            elif item.kind == ItemKind.SINGLE and rng.random() < 0.7:
                answers.append((item.id, rng.randint(1, 2), None))
            elif item.kind == ItemKind.TEXT and rng.random() < 0.5:
                answers.append((item.id, 0, "text"))
        group = rng.choice(["peer", "clinical", "unsaid"])
        answering.submit(invitation, answering.Submission(answers, role_group=group))
        sent.append((invitation.team_id or NO_TEAM, group, answers))
    db.session.commit()
    assert release(campaign) == len(people)

    # What was sent, counted by hand (the response rows no longer say team or role group, by design).
    by_item: Counter[tuple[int, int]] = Counter()
    by_domain: Counter[tuple[int, str, int, str]] = Counter()
    for team_key, role_group, answers in sent:
        for item_id, value, _text in answers:
            by_item[(item_id, value)] += 1  # free text is counted as value 0
            item = items[item_id]
            if item.kind == ItemKind.LIKERT and item.domain_id is not None:
                cell = (team_key, role_group, item.domain_id)
                by_domain[(*cell, "points")] += 6 - value if item.reversed else value
                by_domain[(*cell, "answers")] += 1
    stored = Counter((a.item_id, a.value) for a in db.session.scalars(select(Answer)))
    stored.update((item_id, 0) for item_id in db.session.scalars(select(OpenAnswer.item_id)))
    assert stored == by_item, "the released answers are exactly the ones sent"
    item_tallies = {(t.item_id, t.value): t.n for t in db.session.scalars(select(ItemTally))}
    assert item_tallies == dict(by_item)
    domain_tallies: dict[tuple[int, str, int, str], int] = {}
    for t in db.session.scalars(select(DomainTally)):
        domain_tallies[(t.team_key, t.role_group, t.domain_id, "points")] = t.points
        domain_tallies[(t.team_key, t.role_group, t.domain_id, "answers")] = t.answers
    assert domain_tallies == dict(by_domain)
    assert any(item.reversed for item in items.values()), "the check covers a reversed statement"

    from_responses = Counter((team_key, role_group) for team_key, role_group, _answers in sent)
    response_counts = {(c.team_key, c.role_group): c.n for c in db.session.scalars(select(ResponseCount))}
    assert response_counts == dict(from_responses)
    assert sum(response_counts.values()) == len(people)
    assert (NO_TEAM, "peer") in response_counts or (NO_TEAM, "clinical") in response_counts or \
        (NO_TEAM, "unsaid") in response_counts


@pytest.mark.skipif(not ON_POSTGRES, reason="needs two real connections; SQLite tests share one")
# Real commits: two connections race to send; each must see what the other committed, which a rolled-back
# test transaction on one shared connection cannot show.
@pytest.mark.real_commits
def test_two_sends_at_the_same_moment_count_once_on_postgres(app, survey):
    invitation_id = survey["invitation"].id
    item = items_by_code(survey["instrument"])["r1"]
    ready = threading.Barrier(2, timeout=20)
    results: list[str] = []

    def send_once() -> None:
        with app.app_context():
            try:
                invitation = db.session.get(Invitation, invitation_id)
                assert invitation.status == InvitationStatus.INVITED  # both pass the page's check
                ready.wait()
                answering.submit(invitation, answering.Submission([(item.id, 3, None)]))
                db.session.commit()
                results.append("sent")
            except answering.AlreadyAnswered:
                db.session.rollback()
                results.append("already answered")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=send_once) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(results) == ["already answered", "sent"]
    db.session.expire_all()
    assert counts()[0] == 1, "one ballot waits"
    release(survey["campaign"])
    assert counts()[1] == 1
    assert db.session.scalar(select(func.sum(ItemTally.n))) == 1
    assert db.session.scalar(select(func.sum(DomainTally.answers))) == 1
