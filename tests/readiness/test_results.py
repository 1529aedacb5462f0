"""Results: scores with reversed items, small-group protection (with complementary cells), waves, free text, CSV,
query count, who may see them."""

from __future__ import annotations

import csv
import io

import pytest

from core import settings
from core.extensions import db
from core.models import Role, Team
from readiness.models import Campaign, Instrument, RoleGroup
from readiness.services import results as results_service
from readiness.services.answering import record_response
from tests import factories
from tests.queries import queries_for
from tests.readiness.helpers import invite_team, items_by_code, make_campaign, make_instrument, today

TOO_FEW = "Too few answers to show"


def answer(
    campaign: Campaign,
    instrument: Instrument,
    *,
    team: Team | None = None,
    role: str = RoleGroup.CLINICAL,
    r1: int = 4,
    r2: int = 2,
    f1: int = 2,
    text: str | None = None,
) -> None:
    """Store one anonymous response (the same path a survey send takes after marking the invitation)."""
    items = items_by_code(instrument)
    answers: list[tuple[int, int, str | None]] = [
        (items["r1"].id, r1, None), (items["r2"].id, r2, None), (items["f1"].id, f1, None),
        (items["fmt"].id, 1, None),
    ]
    if text is not None:
        answers.append((items["open"].id, 0, text))
    record_response(
        campaign_id=campaign.id, team_id=team.id if team else None, role_group=role, tenure_band="unsaid",
        submitted_on=today(), answers=answers,
    )


def many(campaign: Campaign, instrument: Instrument, n: int, **kwargs: object) -> None:
    for _ in range(n):
        answer(campaign, instrument, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def instrument(db) -> Instrument:  # db: the fixture that sets up the database
    return make_instrument()


@pytest.fixture
def campaign(instrument: Instrument) -> Campaign:
    return make_campaign(instrument, closed=True)  # scores by group appear once a wave is over


def page(client, campaign: Campaign) -> str:
    response = client.get(f"/readiness/campaigns/{campaign.id}/results")
    assert response.status_code == 200
    return response.get_data(as_text=True)


# Scoring ----------------------------------------------------------------------------------------------------


def test_scores_handle_reversed_items(client, login_as, instrument, campaign):
    team = factories.make_team(name="North")
    # r1 (plain): 5, 4, 4, 3, 5 = 21. r2 (reversed, scored 6 - answer): 1, 2, 1, 2, 1 -> 5, 4, 5, 4, 5 = 23.
    # The role domain: 44 points over 10 answers = mean 4.4 -> (4.4 - 1) x 25 = 85.
    # f1 (reversed): 2 x 5 -> 4 x 5: mean 4 -> 75.
    for r1, r2 in [(5, 1), (4, 2), (4, 1), (3, 2), (5, 1)]:
        answer(campaign, instrument, team=team, r1=r1, r2=r2, f1=2)
    db.session.commit()

    results = results_service.campaign_results(campaign)

    assert results.organization.shown
    assert results.organization.scores == {"role": 85, "fears": 75}
    assert results.organization.exact["role"] == pytest.approx(85.0)
    assert [(group.label, group.scores) for group in results.teams] == [
        (f"{team.program.code}: North", {"role": 85, "fears": 75})
    ]
    login_as(Role.HR)
    html = page(client, campaign)
    assert "85 of 100" in html
    assert "75 of 100" in html
    assert '<svg role="img" aria-labelledby="domain-chart-title domain-chart-desc"' in html
    assert "style=" not in html.split("<main", 1)[-1]


def test_score_mapping_covers_the_ends():
    assert results_service.score(5, 5) == 0  # everyone strongly disagrees (plain item)
    assert results_service.score(25, 5) == 100
    assert results_service.score(0, 0) is None


# Small-group protection -------------------------------------------------------------------------------------


def test_a_team_of_three_hides_another_team_too(client, login_as, instrument, campaign):
    tiny, small, mid, big = (factories.make_team(name=name) for name in ("Tiny", "Small", "Mid", "Big"))
    for team, invited in ((tiny, 4), (small, 8), (mid, 9), (big, 12)):
        invite_team(campaign, team, invited)
    many(campaign, instrument, 3, team=tiny, r1=1, r2=5, f1=5)  # the hidden team answers very differently
    many(campaign, instrument, 6, team=small, r1=4)
    many(campaign, instrument, 8, team=mid, r1=5)
    many(campaign, instrument, 10, team=big, r1=3)
    db.session.commit()

    results = results_service.campaign_results(campaign)
    shown = {group.label.split(": ")[-1]: group for group in results.teams}

    assert not shown["Tiny"].shown, "3 answers is under 5"
    assert not shown["Small"].shown, "the next smallest team is hidden so Tiny cannot be worked out"
    assert shown["Mid"].shown
    assert shown["Big"].shown
    # The organization total minus the shown teams leaves two teams together, never one on its own.
    org = results.organization
    rest_n = org.n - shown["Mid"].n - shown["Big"].n
    rest_points = org.exact["role"] * org.n - sum(g.exact["role"] * g.n for g in (shown["Mid"], shown["Big"]))
    assert rest_n == 9
    # Tiny alone scores 0 on the role (r1 1, r2 5 reversed to 1); what can be worked out is Tiny and Small
    # together: (3 x 0 + 6 x 75) / 9 = 50.
    assert rest_points / rest_n == pytest.approx(50)
    hidden_teams = [group for group in results.teams if not group.shown]
    assert len(hidden_teams) == 2
    assert hidden_teams[0].scores == {}, "a hidden group carries no numbers"
    assert hidden_teams[0].exact == {}
    assert [row.shown for row in results.participation] == [group.shown for group in results.teams], \
        "participation hides the very same teams"

    login_as(Role.HR)
    html = page(client, campaign)
    assert html.count(TOO_FEW) >= 2
    assert html.count("Fewer than 5 answers, or hidden to protect another team") == 2


@pytest.mark.parametrize(
    ("small_answered", "expected"),
    [
        # Tiny 2 of 2 and Small 5 of 5, hidden together, would give each other away: every team is hidden
        (5, {"Tiny": False, "Small": False, "Mid": False, "Big": False}),
        # with one of Small's people yet to answer, the two hidden together say nothing: the others are shown
        (4, {"Tiny": False, "Small": False, "Mid": True, "Big": True}),
    ],
)
def test_a_hidden_team_where_everyone_answered_is_not_given_away_by_another_full_team(
    instrument, campaign, small_answered, expected
):
    """Tiny (2 people) can never be shown; Small, the smallest other team, is always hidden with it (chosen by how
    many were invited, never by how many answered, so the choice tells nothing)."""
    tiny, small, mid, big = (factories.make_team(name=name) for name in ("Tiny", "Small", "Mid", "Big"))
    for team, invited, answered in ((tiny, 2, 2), (small, 5, small_answered), (mid, 9, 6), (big, 12, 10)):
        invite_team(campaign, team, invited, answered)
        many(campaign, instrument, answered, team=team)
    db.session.commit()

    shown = {g.label.split(": ")[-1]: g.shown for g in results_service.campaign_results(campaign).teams}

    assert shown == expected


def test_every_role_group_is_listed_and_protected(instrument, campaign):
    north, south = factories.make_team(name="North"), factories.make_team(name="South")
    invite_team(campaign, north, 10)
    invite_team(campaign, south, 15)
    many(campaign, instrument, 6, team=north, role=RoleGroup.CLINICAL)
    many(campaign, instrument, 1, team=north, role=RoleGroup.PEER)
    many(campaign, instrument, 7, team=south, role=RoleGroup.CLINICAL)
    many(campaign, instrument, 6, team=south, role=RoleGroup.PEER)
    many(campaign, instrument, 3, team=south, role=RoleGroup.UNSAID)
    db.session.commit()

    results = results_service.campaign_results(campaign)
    roles = {group.key[1]: group for group in results.roles}

    assert list(roles) == [role.value for role in RoleGroup], "every role group, even with nobody in it"
    assert roles[RoleGroup.CLINICAL].shown
    assert roles[RoleGroup.PEER].shown, "7 answers"
    assert not any(roles[role].shown for role in ("other", "manager", "unsaid")), "0, 0 and 3 answers"
    assert results.cells is None, "North has 1 peer specialist and nobody in three role groups: no table"


def test_hidden_role_groups_that_add_up_to_nothing_hide_one_more(instrument, campaign):
    """Shown clinical (13) and peer (7) would leave the three other role groups at 0 together, so each at 0."""
    north = factories.make_team(name="North")
    invite_team(campaign, north, 25)
    many(campaign, instrument, 13, team=north, role=RoleGroup.CLINICAL)
    many(campaign, instrument, 7, team=north, role=RoleGroup.PEER)
    db.session.commit()

    shown = {group.key[1]: group.shown for group in results_service.campaign_results(campaign).roles}

    assert shown == {"peer": False, "clinical": True, "other": False, "manager": False, "unsaid": False}


def test_the_team_and_role_table_lists_every_combination_when_none_is_too_small(client, login_as, instrument,
                                                                                campaign):
    north, south = factories.make_team(name="North"), factories.make_team(name="South")
    for team in (north, south):
        invite_team(campaign, team, 30)
        for role in RoleGroup:
            many(campaign, instrument, 5, team=team, role=role.value)
    db.session.commit()

    results = results_service.campaign_results(campaign)

    assert results.cells is not None
    assert len(results.cells) == 2 * len(RoleGroup)
    assert all(cell.shown and cell.n == 5 for cell in results.cells)
    login_as(Role.HR)
    assert "Scores by team and role group (0 to 100), every combination." in page(client, campaign)

    many(campaign, instrument, 1, team=south, role=RoleGroup.PEER)  # now 5 everywhere but one 6: still shown
    answer(campaign, instrument, team=north, role=RoleGroup.MANAGER)
    db.session.commit()
    assert results_service.campaign_results(campaign).cells is not None
    other = make_campaign(instrument, name="Other", closed=True)
    invite_team(other, north, 30)
    for role in RoleGroup:
        many(other, instrument, 5 if role != RoleGroup.OTHER else 4, team=north, role=role.value)
    db.session.commit()
    assert results_service.campaign_results(other).cells is None, "one combination of 4: the whole table goes"
    assert "Not shown: the table by team and role group appears only when" in page(client, other)


def test_an_organization_under_the_minimum_shows_nothing(client, login_as, instrument, campaign):
    many(campaign, instrument, 4, text="A worry")
    db.session.commit()
    login_as(Role.HR)
    html = page(client, campaign)
    assert "Too few answers to show results yet" in html
    assert "A worry" not in html
    assert "Scores by domain" not in html


def test_the_minimum_is_an_agency_setting_never_below_three(instrument, campaign):
    assert results_service.minimum_cell() == 5
    settings.put("readiness_min_cell", "1")
    assert results_service.minimum_cell() == 3
    settings.put("readiness_min_cell", "nonsense")
    assert results_service.minimum_cell() == 5
    settings.put("readiness_min_cell", "3")
    many(campaign, instrument, 3)
    assert results_service.campaign_results(campaign).organization.shown


# Free text --------------------------------------------------------------------------------------------------


def test_free_text_for_the_organization_sorted_by_text(client, login_as, instrument, campaign):
    team = factories.make_team()
    for text in ["Zebra crossing", "apples", "More time to plan", "Boundaries", "Clear roles"]:
        answer(campaign, instrument, team=team, text=text)
    db.session.commit()

    found = results_service.campaign_results(campaign).free_text
    assert [(entry.item.code, entry.total, entry.first) for entry in found] == [
        ("open", 5, ["apples", "Boundaries", "Clear roles", "More time to plan", "Zebra crossing"])
    ]
    login_as(Role.HR)
    html = page(client, campaign)
    assert html.index("<li>apples</li>") < html.index("<li>Boundaries</li>") < html.index("<li>Zebra crossing</li>")


def test_free_text_answered_by_too_few_is_not_shown(instrument, campaign):
    many(campaign, instrument, 4, text="Only four said this")
    many(campaign, instrument, 3)
    db.session.commit()
    results = results_service.campaign_results(campaign)
    assert results.organization.shown
    assert results.free_text == []


# Distributions ----------------------------------------------------------------------------------------------


def test_item_distributions_count_each_answer(instrument, campaign):
    many(campaign, instrument, 2, r1=5)
    many(campaign, instrument, 3, r1=2)
    db.session.commit()
    found = {entry.item.code: entry for entry in results_service.campaign_results(campaign).distributions}
    assert found["r1"].counts == [
        ("Strongly disagree", 0), ("Disagree", 3), ("Neither agree nor disagree", 0), ("Agree", 0),
        ("Strongly agree", 2),
    ]
    assert found["fmt"].counts == [("In person", 5), ("Online", 0)]
    assert "open" not in found


# Waves ------------------------------------------------------------------------------------------------------


def test_change_since_the_wave_it_was_copied_from(client, login_as, instrument, campaign):
    north, south, east = (factories.make_team(name=name) for name in ("North", "South", "East"))
    many(campaign, instrument, 5, team=north, r1=3, r2=3, f1=4)  # role 50, fears 25
    many(campaign, instrument, 5, team=south, r1=3, r2=3, f1=4)
    later = make_campaign(instrument, wave="Follow-up", closed=True)
    later.copied_from_id = campaign.id
    many(later, instrument, 8, team=north, r1=5, r2=1, f1=2)  # role 100, fears 75
    many(later, instrument, 3, team=south, r1=3, r2=3, f1=4)  # too few now
    many(later, instrument, 6, team=east, r1=3, r2=3, f1=4)  # hidden too (complementary); new this wave
    db.session.commit()

    results = results_service.campaign_results(later)

    assert results.previous is not None
    assert results.previous.id == campaign.id
    by_label = {group.label.split(": ")[-1]: group for group in results.groups}
    assert by_label["North"].changes == {"role": 50, "fears": 50}
    assert by_label["South"].changes == {"role": None, "fears": None}, "not shown now: no change shown"
    assert by_label["East"].changes == {"role": None, "fears": None}, "hidden now, and not in the first wave"
    # Organization: before 50 / 25; now (8 x 100 + 9 x 50) / 17 = 73.53 and (8 x 75 + 9 x 25) / 17 = 48.53.
    assert by_label["Whole organization"].changes == {"role": 24, "fears": 24}
    login_as(Role.HR)
    html = page(client, later)
    assert "Change since Baseline" in html
    assert "+50" in html


def test_no_change_table_without_an_earlier_wave(client, login_as, instrument, campaign):
    many(campaign, instrument, 5)
    db.session.commit()
    login_as(Role.HR)
    assert "Change since" not in page(client, campaign)


# Speed ------------------------------------------------------------------------------------------------------


def test_query_count_does_not_grow_with_responses(client, login_as, instrument):
    teams = [factories.make_team(name=f"Team {n}") for n in range(3)]
    small, large = make_campaign(instrument, name="Small"), make_campaign(instrument, name="Large")
    for n in range(10):
        answer(small, instrument, team=teams[n % 3], role=[RoleGroup.PEER, RoleGroup.CLINICAL][n % 2],
               r1=1 + n % 5, text=f"note {n}")
    for n in range(300):
        answer(large, instrument, team=teams[n % 3], role=[RoleGroup.PEER, RoleGroup.CLINICAL][n % 2],
               r1=1 + n % 5, text=f"note {n}")
    db.session.commit()
    login_as(Role.HR)
    queries_for(client, f"/readiness/campaigns/{small.id}/results")  # warm up
    assert queries_for(client, f"/readiness/campaigns/{small.id}/results") == queries_for(
        client, f"/readiness/campaigns/{large.id}/results"
    )


# Access and CSV ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.STAFF, Role.PEER, Role.SUPERVISOR, Role.PRIVACY])
@pytest.mark.parametrize("suffix", ["results", "results.csv"])
def test_only_hr_and_admin_see_results(client, login_as, campaign, role, suffix):
    login_as(role)
    assert client.get(f"/readiness/campaigns/{campaign.id}/{suffix}").status_code == 403


@pytest.mark.parametrize("role", [Role.HR, Role.ADMIN])
def test_hr_and_admin_see_results(client, login_as, campaign, role):
    login_as(role)
    assert client.get(f"/readiness/campaigns/{campaign.id}/results").status_code == 200
    assert client.get("/readiness/campaigns/99999/results").status_code == 404


def test_campaign_page_links_to_results(client, login_as, campaign):
    login_as(Role.HR)
    html = client.get(f"/readiness/campaigns/{campaign.id}").get_data(as_text=True)
    assert f"/readiness/campaigns/{campaign.id}/results" in html


def test_csv_of_domain_scores_with_suppressed_cells(client, login_as, instrument, campaign):
    tiny = factories.make_team(name="=Tiny")
    north = factories.make_team(name="North")
    south = factories.make_team(name="South")
    for team, people in ((tiny, 4), (north, 8), (south, 9)):  # Tiny is too small ever to be shown
        invite_team(campaign, team, people)
    many(campaign, instrument, 2, team=tiny, r1=1)
    many(campaign, instrument, 6, team=north, r1=5, r2=1, f1=1)  # role 100, fears 100
    many(campaign, instrument, 7, team=south, r1=3, r2=3, f1=3)  # role 50, fears 50
    db.session.commit()
    login_as(Role.HR)

    response = client.get(f"/readiness/campaigns/{campaign.id}/results.csv")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0] == ["Group", "Name", "Answers", "The peer role", "Worries"]
    by_name = {row[1].split(": ")[-1]: row for row in rows[1:] if row[0] == "Team"}
    assert by_name["=Tiny"][2:] == ["too few answers"] * 3
    assert by_name["North"][2:] == ["too few answers"] * 3, "complementary: the next smallest team by people invited"
    assert by_name["South"][2:] == ["7", "50", "50"]
    org = rows[1]
    assert org[:3] == ["Organization", "Whole organization", "15"]
    assert not any(cell.startswith("=") for row in rows for cell in row), "no cell is a formula"
