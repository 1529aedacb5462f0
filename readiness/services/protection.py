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

**Which teams are hidden, chosen from public counts.** A reader who knows these rules can replay them on every
way the agency could have answered: if the choice of which teams to hide depended on the hidden counts, the choice
itself would narrow them (the rule before this one, which hid one more team "the one that fixes it", let such a
reader pin a hidden count in 88 of 9,783 small-agency situations). So every choice here is made from what the
reader knows anyway, how many were invited to each team and the organization's totals, or from counts that are
shown:

* ``public_groups``: a team of fewer than ``minimum`` people can never be shown, so it is always hidden; when only
  one team is that small, the smallest other team (by people invited, then name) is always hidden with it.
* Every other team is shown together, or none is: they are shown only when each has at least ``minimum`` answers
  in the results. So a hidden eligible team says only that some eligible team has fewer, not which.
* Every team is hidden when the always-hidden teams' totals (the organization's less the shown teams') would pin
  one of their counts (``_small_ones_tell``: nobody or everybody of them answered), and when "every team hidden"
  would itself pin a count: with these totals, the ways of answering that hide every team are those where an
  eligible team is under ``minimum`` or where the always-hidden teams' totals pin a count, and if those ways all
  agree on a count, every way with these totals hides every team (``_everything_hidden_would_tell``).

What a reader can narrow a group's counts to is worked out exactly, in closed form, by ``_reach`` (its arithmetic
is in its docstring; ``tests/readiness/test_small_group_counts.py`` checks it against trying every way). A count
that the organization's own totals already pin (everyone answered, or nobody did: then every team's count is its
size or zero, whatever is hidden) is not a leak of the tables and is left as it is. Role groups have no such bounds
(people choose their role group), so a hidden role group's count is pinned only when it is hidden alone, or when
the hidden ones add up to zero; ``hidden_groups`` hides one more until neither is true.

The exhaustive check is ``tests/readiness/test_small_group_counts.py``: every small agency, every way its people
could have answered, and a brute-force reader who tries every alternative that agrees with what is shown and for
which these rules would have hidden the same teams; it pins no hidden count.
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
    """The (team, "released" | "answered") counts under ``minimum`` that a reader who does not replay the rules can
    work out exactly. The rules no longer decide with it (they would leak to one who does); the exhaustive test uses
    it to rebuild the rule before, and shows that rule's leaks."""
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


Values = tuple[range, range]  # the released and answered counts a reader cannot rule out, for one team


def _reach(boxes: Mapping[K, tuple[int, int, int]], released: int, answered: int) -> dict[K, Values] | None:
    """What a reader can narrow each team of a group to, knowing only its bounds and the group's totals.

    ``boxes`` gives each team's (lowest, highest) count in the results and its invited count; each team answered
    between its count in the results and its invited count; the group's totals are ``released`` and ``answered``.
    A team's count in the results can be any v in [lo, hi] for which the others can make up the rest, and so on:
    the others can reach totals (N, C) exactly when sum(lo) <= N <= sum(hi) and N <= C <= sum(invited) (choose
    their counts in the results first, then how many more answered), which gives the closed forms below. None when
    no way of answering fits the totals at all."""
    low = sum(box[0] for box in boxes.values())
    high = sum(box[1] for box in boxes.values())
    invited = sum(box[2] for box in boxes.values())
    if not (low <= released <= high and released <= answered <= invited):
        return None
    found: dict[K, Values] = {}
    for key, (lo, hi, inv) in boxes.items():
        lo_r, hi_r, inv_r = low - lo, high - hi, invited - inv
        n = range(max(lo, released - hi_r, released - inv_r), min(hi, released - lo_r) + 1)
        c = range(max(lo, released - hi_r, answered - inv_r), min(inv, hi + answered - released, answered - lo_r) + 1)
        found[key] = (n, c)
    return found


MANY = -1  # more than one value left


def _merge(into: dict[K, list[int | None]], found: Mapping[K, Values] | None) -> None:
    """Add the values ``found`` allows to those seen so far, keeping for each count only what ``_pins`` needs: no
    value yet (None), one value, or MANY."""
    for key, ranges in (found or {}).items():
        seen = into.setdefault(key, [None, None])
        for which, values in enumerate(ranges):
            if not values:
                continue
            if len(values) > 1 or seen[which] not in (None, values[0]):
                seen[which] = MANY
            else:
                seen[which] = values[0]


Inherent = set[tuple[Hashable, int]]  # (team, 0 for its count in the results or 1 for how many answered)


def _pins(found: Mapping[K, list[int | None]], minimum: int, inherent: Inherent) -> bool:
    """Whether some team's count under ``minimum`` is the only value left (and the totals alone do not say it)."""
    for key, values in found.items():
        for which, value in enumerate(values):
            if value is not None and value != MANY and value < minimum and (key, which) not in inherent:
                return True
    return False


def _inherent(teams: Mapping[K, TeamCounts], minimum: int) -> Inherent:
    """The counts the organization's own totals pin whatever is hidden (everyone answered, or nobody did)."""
    found: Inherent = set()
    for key, ranges in team_ranges(teams, teams, minimum).items():
        for which, (low, high) in enumerate((ranges.released, ranges.answered)):
            if low == high:
                found.add((key, which))
    return found


def public_groups(teams: Mapping[K, TeamCounts], minimum: int) -> tuple[set[K], set[K]]:
    """The teams always hidden and the teams that may be shown, from how many were invited alone (public): a team
    of fewer than ``minimum`` people can never be shown; when only one is that small, the smallest other team is
    hidden with it, so the small ones' total is never one team's count."""
    small = {key for key, team in teams.items() if team.invited < minimum}
    others = sorted((key for key in teams if key not in small), key=lambda key: (teams[key].invited, str(key)))
    if len(small) == 1 and len(others) > 1:
        small.add(others.pop(0))
    return small, set(others)


def hidden_teams(teams: Mapping[K, TeamCounts], minimum: int) -> set[K]:
    """The teams to hide (scores, answers and participation alike); see the module's docstring."""
    teams = normalized(teams)
    everyone = set(teams)
    small, eligible = public_groups(teams, minimum)
    total_released = sum(team.released for team in teams.values())
    if not eligible or total_released < minimum:
        return everyone
    inherent = _inherent(teams, minimum)
    if _everything_hidden_would_tell(teams, small, eligible, minimum, inherent):
        return everyone
    if any(teams[key].released < minimum for key in eligible):
        return everyone
    small_released = sum(teams[key].released for key in small)
    small_answered = sum(teams[key].answered for key in small)
    if _small_ones_tell(teams, small, minimum, inherent, small_released, small_answered):
        return everyone
    return small


def _small_boxes(teams: Mapping[K, TeamCounts], small: set[K]) -> dict[K, tuple[int, int, int]]:
    return {key: (0, teams[key].invited, teams[key].invited) for key in small}


def _small_ones_tell(
    teams: Mapping[K, TeamCounts], small: set[K], minimum: int, inherent: Inherent, released: int, answered: int
) -> bool:
    """With every eligible team shown, whether the always-hidden teams' totals pin one of their counts."""
    seen: dict[K, list[int | None]] = {}
    _merge(seen, _reach(_small_boxes(teams, small), released, answered))
    return bool(small) and _pins(seen, minimum, inherent)


def _everything_hidden_would_tell(
    teams: Mapping[K, TeamCounts], small: set[K], eligible: set[K], minimum: int, inherent: Inherent
) -> bool:
    """Whether "every team hidden" would itself pin a count, for a reader who knows these rules: with the
    organization's totals, every way of answering that hides every team is one where an eligible team is under
    ``minimum``, or where the always-hidden teams' totals would pin one of theirs. When that pins a count, every
    way of answering with these totals hides every team, so the page says no more than the totals do."""
    released = sum(team.released for team in teams.values())
    answered = sum(team.answered for team in teams.values())
    anything = {key: (0, team.invited, team.invited) for key, team in teams.items()}
    seen: dict[K, list[int | None]] = {}
    for key in eligible:
        capped = {**anything, key: (0, min(teams[key].invited, minimum - 1), teams[key].invited)}
        _merge(seen, _reach(capped, released, answered))
    small_invited = sum(teams[key].invited for key in small)
    shown_boxes = {key: (minimum, teams[key].invited, teams[key].invited) for key in eligible}
    for small_released, small_answered in _extremes(small_invited):
        if _small_ones_tell(teams, small, minimum, inherent, small_released, small_answered):
            rest = _reach(shown_boxes, released - small_released, answered - small_answered)
            if rest is not None:
                _merge(seen, _reach(_small_boxes(teams, small), small_released, small_answered))
                _merge(seen, rest)
    return _pins(seen, minimum, inherent)


def _extremes(invited: int) -> set[tuple[int, int]]:
    """The totals (in the results, answered) of the always-hidden teams that can pin one of their counts. Each of
    those teams lies anywhere from 0 to its invited count, so by ``_reach`` a count is the only value left only when
    a total is at its lowest or highest: nobody's answers in the results (0) or everyone's (``invited``), and the
    same for how many answered. Only these are tried, instead of every pair."""
    pairs = {(released, answered) for released in (0, invited) for answered in range(released, invited + 1)}
    pairs |= {(released, answered) for answered in (0, invited) for released in range(answered + 1)}
    return pairs


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
