"""Issue 9: the participation and team x role tables leak no count under the threshold. An exhaustive check on
small agencies, played by a brute-force reader.

For every small agency (three teams of one to three people, or two teams of up to five) and every way its people
could have answered (who answered, and whose answers are already in the results), the results show what
``readiness.services.protection`` lets them show. The reader knows how many were invited to each team (the staff
list says so), reads every shown count and the organization's totals, and tries every other way the agency could
have answered that shows exactly the same numbers (a hidden team could hold anything from none to all of its
people). This reader also knows the hiding rules and replays them on every alternative: a way of answering for
which the rules would have hidden other teams is ruled out. A hidden team's count under the threshold is recovered
when all of the ways left agree on it. It never is, except where the organization's totals alone already pin it
(everyone answered, or nobody did: then every team's count is its size, or zero, whatever the tables hide); the
test checks that by hiding every team. Before the hiding rules were chosen from public counts only, this reader
pinned a count in 88 of 9,783 situations (``test_the_replaying_reader_catches_the_rules_that_chose_by_hidden_values``).

Role groups are checked the same way (every count of five role groups, up to ten answers). The team x role table
is shown only when every combination has at least the threshold, so it hides nothing; without it, any teams' counts
and any role groups' counts with the same total fit some table of combinations, so the two lines say nothing more
together than apart.

The DB-backed test at the end checks that the results page and the campaign's page show exactly what these
functions decide.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterator

import pytest

from core.extensions import db
from core.models import Role
from readiness.models import RoleGroup
from readiness.services import protection
from readiness.services import results as results_service
from readiness.services.answering import record_response
from readiness.services.protection import TeamCounts
from tests import factories
from tests.readiness.helpers import invite_team, items_by_code, make_campaign, make_instrument, today

THRESHOLD = 3  # the lowest the agency may choose: the smallest numbers, the most ways to be caught out

Config = tuple[tuple[int, int], ...]  # per team: (answered, released)


def configs(invited: tuple[int, ...]) -> list[Config]:
    """Every way the teams could have answered: 0 <= released <= answered <= invited, team by team."""
    per_team = [[(c, n) for c in range(i + 1) for n in range(c + 1)] for i in invited]
    return list(itertools.product(*per_team))


def hidden_of(invited: tuple[int, ...], config: Config) -> frozenset[int]:
    teams = {t: TeamCounts(i, c, n) for t, (i, (c, n)) in enumerate(zip(invited, config, strict=True))}
    released = sum(n for _, n in config)
    if released < THRESHOLD:
        return frozenset(teams)  # no results at all: every team is hidden
    return frozenset(protection.hidden_teams(teams, THRESHOLD))


def shown(config: Config, hidden: frozenset[int]) -> tuple[object, ...]:
    """What the reader reads: the organization's answered total, its total in the results (or only that it is
    under the threshold), and the counts of the teams not hidden."""
    released = sum(n for _, n in config)
    return (
        sum(c for c, _ in config),
        released if released >= THRESHOLD else "under",
        tuple(None if t in hidden else counts for t, counts in enumerate(config)),
    )


def agencies() -> Iterator[tuple[int, ...]]:
    yield from itertools.product(range(1, 4), repeat=3)
    yield from itertools.product(range(1, 6), repeat=2)


def readers_view(invited: tuple[int, ...]) -> tuple[list[Config], dict[tuple[object, ...], list[Config]]]:
    """Every way of answering, and for every pattern of hidden teams and every view, the ways that look alike."""
    everything = configs(invited)
    alike: dict[tuple[object, ...], list[Config]] = defaultdict(list)
    teams = range(len(invited))
    for size in range(len(invited) + 1):
        for hidden in itertools.combinations(teams, size):
            for config in everything:
                alike[(frozenset(hidden), shown(config, frozenset(hidden)))].append(config)
    return everything, alike


def situations(invited: tuple[int, ...]) -> int:
    """How many ways of answering leave at least one team hidden."""
    return sum(1 for config in configs(invited) if hidden_of(invited, config))


def recovered(invited: tuple[int, ...], *, replaying: bool = True) -> list[str]:
    """Each (agency, way of answering, team, count) where the reader pins a hidden count under the threshold. The
    replaying reader keeps only the ways of answering for which the rules hide exactly the teams hidden now."""
    everything, alike = readers_view(invited)
    decided = {config: hidden_of(invited, config) for config in everything}
    every_team = frozenset(range(len(invited)))
    found = []
    for config in everything:
        hidden = decided[config]
        same = [
            other for other in alike[(hidden, shown(config, hidden))] if not replaying or decided[other] == hidden
        ]
        totals_only = alike[(every_team, shown(config, every_team))]
        for team in sorted(hidden):
            for which, name in ((0, "answered"), (1, "released")):
                value = config[team][which]
                if value >= THRESHOLD or {other[team][which] for other in same} != {value}:
                    continue  # not under the threshold, or the reader cannot tell
                if {other[team][which] for other in totals_only} == {value}:
                    continue  # the organization's own totals pin it: not the tables' doing
                found.append(f"invited {invited}, {config}: team {team} {name} = {value}")
    return found


@pytest.mark.parametrize("invited", list(agencies()), ids=str)
def test_no_hidden_team_count_under_the_threshold_can_be_worked_out(invited):
    """By a reader who replays the hiding rules on every alternative, and so also by one who does not."""
    found = recovered(invited)
    assert not found, "\n".join(found[:20])


def test_every_situation_with_a_hidden_team_was_checked():
    assert sum(situations(invited) for invited in agencies()) == 9805


def _by_hidden_values(teams, minimum):
    """The rule before this one: the teams under the threshold, then while a hidden count could be worked out
    from the totals, one more team, the one that fixes it if any does (chosen by the hidden values)."""
    teams = protection.normalized(teams)
    inherent = protection.pinned(teams, teams, minimum)
    hidden = {key for key, team in teams.items() if team.released < minimum}

    def exposed(keys):
        return bool(protection.pinned(teams, keys, minimum) - inherent)

    while hidden and exposed(hidden):
        shown = sorted(set(teams) - hidden, key=lambda key: (teams[key].released, str(key)))
        if not shown:
            break
        hidden.add(next((key for key in shown if not exposed(hidden | {key})), shown[0]))
    return hidden


def test_the_brute_force_reader_catches_a_leak_when_there_is_one(monkeypatch):
    """The check above can fail: hide only the teams under the threshold, as before issue 9, or hide one more
    team whenever one is hidden alone (the complementary rule before issue 9, which ignored how many were
    invited)."""

    def naive(teams, minimum):
        return {key for key, team in teams.items() if team.released < minimum}

    def one_more(teams, minimum):
        hidden = naive(teams, minimum)
        shown = sorted(set(teams) - hidden, key=lambda key: teams[key].released)
        return hidden | {shown[0]} if len(hidden) == 1 and shown else hidden

    monkeypatch.setattr(protection, "hidden_teams", naive)
    assert recovered((2, 3, 3), replaying=False), "one small team hidden alone, beside the total, is worked out"
    monkeypatch.setattr(protection, "hidden_teams", one_more)
    assert any("team 0" in leak for leak in recovered((2, 3, 3), replaying=False)), "2 of 2 and 3 of 3 hidden"


def test_the_replaying_reader_catches_the_rules_that_chose_by_hidden_values(monkeypatch):
    """The rule before this one passes the reader who only reads the numbers, and fails the one who replays it:
    the choice of the extra team to hide, made by the hidden values, gives them away."""
    monkeypatch.setattr(protection, "hidden_teams", _by_hidden_values)
    assert not any(recovered(invited, replaying=False) for invited in agencies())
    pinned_situations = sum(
        len({leak.split(": team")[0] for leak in recovered(invited)}) for invited in agencies()
    )
    assert pinned_situations == 88
    assert sum(situations(invited) for invited in agencies()) == 9783


def test_the_ranges_the_app_works_out_are_the_brute_force_readers():
    """``team_ranges`` (the arithmetic the app decides with) finds exactly what the brute-force reader finds."""
    for invited in [(1, 2, 3), (3, 3, 2), (2, 5)]:
        everything, alike = readers_view(invited)
        for config in everything:
            hidden = hidden_of(invited, config)
            if not hidden or sum(n for _, n in config) < THRESHOLD:
                continue  # with no results the app assumes the widest bound (under the threshold in all)
            same = alike[(hidden, shown(config, hidden))]
            teams = {t: TeamCounts(i, c, n) for t, (i, (c, n)) in enumerate(zip(invited, config, strict=True))}
            ranges = protection.team_ranges(teams, hidden, THRESHOLD)
            for team in hidden:
                answered = {other[team][0] for other in same}
                released = {other[team][1] for other in same}
                assert (min(answered), max(answered)) == ranges[team].answered, (invited, config, team)
                assert (min(released), max(released)) == ranges[team].released, (invited, config, team)
                assert answered == set(range(min(answered), max(answered) + 1)), "no gaps"


def role_vectors(total: int, groups: int = 5) -> Iterator[tuple[int, ...]]:
    for cuts in itertools.combinations(range(total + groups - 1), groups - 1):
        bounds = (-1, *cuts, total + groups - 1)
        yield tuple(bounds[k + 1] - bounds[k] - 1 for k in range(groups))


@pytest.mark.parametrize("total", range(THRESHOLD, 11))
def test_no_hidden_role_group_count_can_be_worked_out(total):
    seen: dict[tuple[object, ...], list[tuple[int, ...]]] = defaultdict(list)
    for counts in role_vectors(total):
        hidden = protection.hidden_groups(dict(enumerate(counts)), THRESHOLD)
        seen[tuple(None if k in hidden else n for k, n in enumerate(counts))].append(counts)
    for shown, alike in seen.items():
        for group, value in enumerate(shown):
            if value is None:
                values = {counts[group] for counts in alike}
                assert len(values) > 1 or min(values) >= THRESHOLD, f"{total} answers, shown {shown}: {values}"


def test_the_team_and_role_table_is_all_or_nothing():
    cells = {(team, role): 5 for team in range(3) for role in range(5)}
    assert protection.table_shown(cells, 5)
    assert not protection.table_shown({**cells, (2, 4): 4}, 5)
    assert not protection.table_shown({**cells, (2, 4): 0}, 5), "an empty combination counts as too small"
    assert not protection.table_shown({}, 5)


# The pages show what the functions decide --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("people", "hidden"),
    [
        # (invited, answered) per team, all of them in the results; the teams the results must hide
        # 2 of 2 and 5 of 5: the two always-hidden teams (Team 0 is too small to show, Team 1 the smallest other)
        # would give each other away with everyone answered, so every team is hidden
        ([(2, 2), (5, 5), (9, 6), (12, 10)], {0, 1, 2, 3}),
        ([(4, 3), (8, 6), (9, 8), (12, 10)], {0, 1}),
        ([(4, 0), (8, 6), (9, 8)], {0, 1}),
        ([(6, 6), (8, 6), (9, 8)], set()),
        ([(6, 4), (8, 6), (9, 8)], {0, 1, 2}),  # a team that could be shown has too few: every team is hidden
    ],
)
def test_the_results_and_the_campaign_page_hide_the_same_teams(client, login_as, people, hidden):
    instrument = make_instrument()
    campaign = make_campaign(instrument, closed=True)
    items = items_by_code(instrument)
    teams = [factories.make_team(name=f"Team {n}") for n in range(len(people))]
    for team, (invited, answered) in zip(teams, people, strict=True):
        invite_team(campaign, team, invited, answered)
        for _ in range(answered):
            record_response(
                campaign_id=campaign.id,
                team_id=team.id,
                role_group=RoleGroup.CLINICAL,
                tenure_band="unsaid",
                submitted_on=today(),
                answers=[(items["r1"].id, 4, None)],
            )
    db.session.commit()
    decided = protection.hidden_teams(
        {n: TeamCounts(i, c, c) for n, (i, c) in enumerate(people)}, results_service.DEFAULT_MINIMUM
    )
    assert decided == hidden

    results = results_service.campaign_results(campaign)
    by_name = {group.label.split(": ")[-1]: group for group in results.teams}
    assert {n for n in range(len(people)) if not by_name[f"Team {n}"].shown} == hidden
    assert {n for n, row in enumerate(results.participation) if not row.shown} == hidden
    login_as(Role.HR)
    for path in (f"/readiness/campaigns/{campaign.id}/results", f"/readiness/campaigns/{campaign.id}"):
        page = client.get(path).get_data(as_text=True)
        for n, (invited, answered) in enumerate(people):
            row = page.split(f"Team {n}</th>", 1)[1].split("</tr>", 1)[0]
            if n in hidden:
                assert "Fewer than 5 answers, or hidden to protect another team" in row, path
                assert f">{answered}<" not in row.replace(f">{invited}<", ""), f"{path}: team {n} answered count"
            else:
                assert f">{answered}<" in row, path


def _every_way(boxes: dict[int, tuple[int, int, int]]) -> Iterator[tuple[tuple[int, int], ...]]:
    """Every (in the results, answered) per team that keeps within the teams' bounds."""
    per_team = [[(n, c) for n in range(lo, hi + 1) for c in range(n, inv + 1)] for lo, hi, inv in boxes.values()]
    yield from itertools.product(*per_team)


@pytest.mark.parametrize(
    "boxes",
    [
        {0: (0, 2, 2), 1: (0, 3, 3), 2: (0, 1, 1)},
        {0: (0, 2, 4), 1: (3, 4, 4), 2: (0, 2, 3)},
        {0: (3, 5, 5), 1: (0, 2, 2)},
        {0: (0, 0, 2), 1: (0, 2, 2)},
    ],
    ids=str,
)
def test_the_closed_forms_find_exactly_what_trying_every_way_finds(boxes):
    """``protection._reach`` (what the rules decide with) against every way of answering within the bounds."""
    seen: dict[tuple[int, int], list[tuple[tuple[int, int], ...]]] = defaultdict(list)
    for way in _every_way(boxes):
        seen[(sum(n for n, _ in way), sum(c for _, c in way))].append(way)
    invited = sum(box[2] for box in boxes.values())
    for released in range(invited + 1):
        for answered in range(invited + 1):
            found = protection._reach(boxes, released, answered)
            ways = seen.get((released, answered), [])
            if not ways:
                assert found is None, (released, answered)
                continue
            for team in boxes:
                assert set(found[team][0]) == {way[team][0] for way in ways}, (released, answered, team)
                assert set(found[team][1]) == {way[team][1] for way in ways}, (released, answered, team)


@pytest.mark.parametrize("invited", [(1, 2), (2, 2, 1), (3, 1, 4), (4, 4)], ids=str)
def test_the_small_teams_totals_pin_a_count_only_at_their_extremes(invited):
    """The rules try only the lowest and highest totals of the always-hidden teams (``_extremes``): no other
    totals pin one of their counts."""
    boxes = {team: (0, size, size) for team, size in enumerate(invited)}
    total = sum(invited)
    for released in range(total + 1):
        for answered in range(released, total + 1):
            found = protection._reach(boxes, released, answered)
            pinned = any(len(values) == 1 for team in found for values in found[team])
            assert not pinned or (released, answered) in protection._extremes(total), (released, answered)
