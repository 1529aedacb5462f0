"""Which groups' counts and scores the results may show, so that no count under the small-group threshold can be
worked out from what is shown (issue 9). Plain functions of counts: no database.

What a results reader sees, and what they are assumed to know besides:

* **Teams.** For each team: how many were invited (a reader can count that from the staff list anyway, so it is
  always shown and assumed known), how many have answered (completed their invitation) and how many answers are in
  the results, with the team's scores. The organization's totals of all three are shown too. A team is shown whole
  or not at all; a hidden team says "fewer than N answers, or hidden to protect another team" (the same words for
  every hidden team, so the words themselves say nothing about which is which).
* **Role groups.** How many answers each role group has in the results, with its scores. All five role groups are
  always listed, so a group missing from the list cannot give away that nobody is in it.
* **Team and role group.** The table lists every combination (every team, every role group) and is shown only
  when every one of them has at least the threshold; otherwise the whole table is left out. Hiding only some of
  its cells, beside the team and role-group totals, can let them be worked out (issue 9: "a small integer program
  recovers 18 of 21 hidden groups"), and the threshold of zeros and bounds that make that possible is too easy to
  get wrong.

A hidden team's count can be narrowed by a reader to a range: its answers in the results lie between 0 and how
many were invited, at most how many answered, and the hidden teams together hold what the organization's total
leaves after the shown teams. ``team_ranges`` works that range out exactly (the arithmetic is in its docstring);
``hidden_teams`` hides the teams under the threshold, then, while any count under the threshold of a hidden team is
pinned to one value, one more team (the one that fixes it, else the smallest), until none is. A count that the
organization's own totals already pin (everyone answered, or nobody did: then every team's count is its size or
zero, whatever is hidden) is not a leak of the tables and is left as it is. Role groups have no such bounds (people
choose their role group), so a hidden role group's count is pinned only when it is hidden alone, or when the hidden
ones add up to zero; ``hidden_groups`` hides one more until neither is true.

The exhaustive check is ``tests/readiness/test_small_group_counts.py``: every small agency, every way its people
could have answered, and a brute-force reader who tries every alternative that agrees with what is shown.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class TeamCounts:
    """One team in a wave: people invited, people who have answered, and answers already in the results (the
    rest wait in the ballot box)."""

    invited: int
    answered: int
    released: int


Range = tuple[int, int]  # the lowest and highest value a reader cannot rule out


@dataclass(frozen=True)
class TeamRange:
    released: Range
    answered: Range


def team_ranges(teams: Mapping[K, TeamCounts], hidden: Iterable[K], minimum: int) -> dict[K, TeamRange]:
    """What a reader can narrow each hidden team's counts to, from what is shown.

    For the hidden teams H together, the reader knows S_c (answered: the organization's total less the shown
    teams'), I_H (invited) and, when the organization's results are shown, S_n (answers in the results). Each
    hidden team h has 0 <= released <= answered <= invited. The other hidden teams O can hold any totals with
    0 <= n_O <= c_O <= I_O (spread them team by team), so:

    * answered_h can be anything in [max(0, S_c - I_O), min(invited_h, S_c)];
    * released_h can be anything in [max(0, S_n - I_O), min(invited_h, S_n)] (each value has a matching answered_h);
      with the organization's results not shown the reader only knows the total is under ``minimum``, so
      [0, min(invited_h, S_c, minimum - 1)].
    """
    hidden = set(hidden)
    released_total = sum(team.released for team in teams.values())
    org_shown = released_total >= minimum
    s_n = sum(teams[key].released for key in hidden)
    s_c = sum(teams[key].answered for key in hidden)
    i_h = sum(teams[key].invited for key in hidden)
    found: dict[K, TeamRange] = {}
    for key in hidden:
        invited = teams[key].invited
        i_o = i_h - invited
        answered = (max(0, s_c - i_o), min(invited, s_c))
        # Without the organization's results the reader knows only that its total is under ``minimum``.
        released = (max(0, s_n - i_o), min(invited, s_n)) if org_shown else (0, min(invited, s_c, minimum - 1))
        found[key] = TeamRange(released, answered)
    return found


def pinned(teams: Mapping[K, TeamCounts], hidden: Iterable[K], minimum: int) -> set[tuple[K, str]]:
    """The (team, "released" | "answered") counts under ``minimum`` that a reader can work out exactly."""
    found: set[tuple[K, str]] = set()
    for key, ranges in team_ranges(teams, hidden, minimum).items():
        team = teams[key]
        if team.released < minimum and ranges.released[0] == ranges.released[1]:
            found.add((key, "released"))
        if team.answered < minimum and ranges.answered[0] == ranges.answered[1]:
            found.add((key, "answered"))
    return found


def normalized(teams: Mapping[K, TeamCounts]) -> dict[K, TeamCounts]:
    """Counts that hold together (released <= answered <= invited), whatever happened to the data: answers of a
    team that was removed since, people moved to another team."""
    fixed = {}
    for key, team in teams.items():
        answered = max(team.answered, team.released)
        fixed[key] = TeamCounts(max(team.invited, answered), answered, team.released)
    return fixed


def hidden_teams(teams: Mapping[K, TeamCounts], minimum: int) -> set[K]:
    """The teams to hide (scores, answers and participation alike)."""
    teams = normalized(teams)
    inherent = pinned(teams, teams, minimum)  # pinned by the organization's totals alone: not the tables' doing
    hidden = {key for key, team in teams.items() if team.released < minimum}

    def exposed(keys: set[K]) -> bool:
        return bool(pinned(teams, keys, minimum) - inherent)

    while hidden and exposed(hidden):
        shown = sorted(set(teams) - hidden, key=lambda key: (teams[key].released, str(key)))
        if not shown:
            break
        hidden.add(next((key for key in shown if not exposed(hidden | {key})), shown[0]))
    return hidden


def hidden_groups(counts: Mapping[K, int], minimum: int) -> set[K]:
    """The groups to hide in a line of groups with no bounds of their own (role groups), whose total is shown
    when it reaches ``minimum``: every group under it, then the smallest shown while a hidden one is alone or the
    hidden ones add up to zero."""
    hidden = {key for key, n in counts.items() if n < minimum}
    if sum(counts.values()) < minimum:
        return set(counts)
    while hidden and (len(hidden) == 1 or sum(counts[key] for key in hidden) == 0):
        shown = sorted(set(counts) - hidden, key=lambda key: (counts[key], str(key)))
        if not shown:
            break
        hidden.add(shown[0])
    return hidden


def table_shown(cells: Mapping[K, int], minimum: int) -> bool:
    """Whether a table of every combination may be shown: only when no combination is under ``minimum``."""
    return bool(cells) and all(n >= minimum for n in cells.values())
