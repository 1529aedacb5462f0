"""A campaign's results: participation, 0-100 domain scores, item distributions, free text, change since the
wave it was copied from, all with small-group protection.

Everything is read from the running totals (``readiness_domain_tally``, ``readiness_item_tally``,
``readiness_response_count``): the number of rows read grows with teams x role groups x domains and with the
survey's items, never with the number of responses, and the number of queries is fixed. Free text is read from
``readiness_open_answer``, only for the whole organization: the results show how many people answered each open
question (from the totals) and its first few answers in alphabetical order (read by index); the rest are paged on
their own page and in their own CSV.

Scores: an agreement item scores its answer (1-5), or 6 minus the answer when the item is reversed; a domain's
score is the mean of its item scores mapped to 0-100 ((mean - 1) x 25).

Small-group protection (``readiness.services.protection``, with the threshold of the wave,
``thresholds.for_campaign``): the organization's results appear once it has at least the threshold of answers. A
team, in the scores and in participation alike, is shown only with at least that many answers in the results, and
more teams are hidden while a hidden team's count under the threshold could be worked out from the shown ones, the
totals and how many were invited. Every role group is listed; one is shown only with enough answers, and another is
hidden while a hidden one could be worked out. The table by team and role group lists every combination and is
shown only when none is under the threshold. A hidden group shows no count and no score.

Groups only once the wave is over (``groups_shown``): while a wave is open, answers reach the results in batches of
at least the threshold, but one batch may hold a single person from a team or a role group, so comparing a team's
scores before and after a batch would show that person's answers. So scores by team, by role group and by both
appear only after the closing date, once every answer is in; the closing date of a closed wave cannot be moved
(``campaigns.campaign_problems``), so those scores never change again. Until then the results show the
organization (which moves only by whole batches) and participation.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Select, case, exists, func, or_, select

from core.extensions import db
from core.models import Program, Team
from readiness.models import (
    NO_TEAM,
    Ballot,
    Campaign,
    Domain,
    DomainTally,
    Invitation,
    InvitationStatus,
    Item,
    ItemKind,
    ItemTally,
    OpenAnswer,
    ResponseCount,
    RoleGroup,
)
from readiness.services import campaigns as campaign_service
from readiness.services import instruments as instrument_service
from readiness.services import protection
from readiness.services.thresholds import DEFAULT_MINIMUM, LOWEST_MINIMUM, SETTING, for_campaign, minimum_cell

__all__ = ["DEFAULT_MINIMUM", "LOWEST_MINIMUM", "SETTING", "minimum_cell"]  # the threshold, read from here too

TOO_FEW = "too few answers to show"

Key = tuple[Hashable, ...]
ORGANIZATION: Key = ("org",)


def score(points: float, answers: int) -> float | None:
    """0-100 from the sum of 1-5 item scores and how many answers made it."""
    if answers <= 0:
        return None
    return (points - answers) * 25 / answers  # not (points / answers - 1) * 25: 14/5 would score 44.999...


def rounded(value: float | None) -> int | None:
    return None if value is None else math.floor(value + 0.5)


# Results ----------------------------------------------------------------------------------------------------


@dataclass
class Group:
    """One row of the scores: the organization, a team, a role group, or a team and role group."""

    key: Key
    label: str
    n: int
    shown: bool = False
    scores: dict[str, int | None] = field(default_factory=dict)  # domain code -> 0-100 (None: no answers)
    exact: dict[str, float | None] = field(default_factory=dict)
    changes: dict[str, int | None] = field(default_factory=dict)  # domain code -> change since the last wave
    cells: list[str] = field(default_factory=list)  # the scores as shown, in the domains' order (a table row)


@dataclass(frozen=True)
class Distribution:
    item: Item
    counts: list[tuple[str, int]]  # (answer words, how many)
    total: int


@dataclass(frozen=True)
class OpenQuestion:
    """An open question with enough answers to show: how many people answered it, and the first few answers."""

    item: Item
    total: int
    first: list[str]

    @property
    def more(self) -> bool:
        return self.total > len(self.first)


@dataclass(frozen=True)
class TeamParticipation:
    """A team's row of participation: how many were invited (always shown: anyone can count it from the staff
    list) and, when the team is shown, how many have answered."""

    key: int
    team: str
    invited: int
    answered: int
    shown: bool

    @property
    def percent(self) -> int | None:
        return round(100 * self.answered / self.invited) if self.shown and self.invited else None


@dataclass
class Tables:
    """One wave's groups, with what may be shown of each."""

    organization: Group
    teams: list[Group]
    roles: list[Group]
    cells: list[Group] | None  # None: the table of every team and role group is left out
    participation: list[TeamParticipation]


@dataclass
class Results:
    campaign: Campaign
    minimum: int
    domains: list[Domain]
    participation: list[TeamParticipation]
    total: campaign_service.Participation
    organization: Group
    teams: list[Group]
    roles: list[Group]
    cells: list[Group] | None  # None: left out, some combination of team and role group has too few answers
    distributions: list[Distribution]
    free_text: list[OpenQuestion]
    previous: Campaign | None
    one_team: str | None = None  # everyone asked is on this one team: "the whole organization" is that team
    groups_shown: bool = True  # False while the wave is open or its last answers are not in (see the module's note)
    groups_from: date | None = None  # when not shown yet: the first day they can be (the day after closing)

    @property
    def groups(self) -> list[Group]:
        return [self.organization, *self.teams, *self.roles]


def groups_shown(campaign: Campaign, on: date) -> bool:
    """Whether the wave is over: its closing date has passed and no sent answers wait to be released."""
    if on <= campaign.closes_on:
        return False
    return not db.session.scalar(select(exists().where(Ballot.campaign_id == campaign.id)))


def _counts(campaign_ids: list[int]) -> dict[int, dict[tuple[int, str], int]]:
    rows = db.session.execute(
        select(ResponseCount.campaign_id, ResponseCount.team_key, ResponseCount.role_group, ResponseCount.n)
        .where(ResponseCount.campaign_id.in_(campaign_ids), ResponseCount.n > 0)
    )
    found: dict[int, dict[tuple[int, str], int]] = defaultdict(dict)
    for campaign_id, team_key, role_group, n in rows:
        found[campaign_id][(int(team_key), role_group)] = int(n)
    return found


def _sums(campaign_ids: list[int]) -> dict[int, dict[tuple[int, str, str], tuple[int, int]]]:
    """(points, answers) per campaign, cell and domain code, from the domain totals."""
    rows = db.session.execute(
        select(
            DomainTally.campaign_id, DomainTally.team_key, DomainTally.role_group, Domain.code,
            DomainTally.points, DomainTally.answers,
        )
        .join(Domain, Domain.id == DomainTally.domain_id)
        .where(DomainTally.campaign_id.in_(campaign_ids), DomainTally.answers > 0)
    )
    found: dict[int, dict[tuple[int, str, str], tuple[int, int]]] = defaultdict(dict)
    for campaign_id, team_key, role_group, code, total, answers in rows:
        found[campaign_id][(int(team_key), role_group, code)] = (int(total), int(answers))
    return found


def _team_labels(team_keys: set[int]) -> dict[int, str]:
    ids = [key for key in team_keys if key != NO_TEAM]
    labels = {NO_TEAM: "No team"}
    if ids:
        rows = db.session.execute(
            select(Team.id, Program.code, Team.name).outerjoin(Program, Program.id == Team.program_id)
            .where(Team.id.in_(ids))
        )
        labels.update({team_id: f"{code}: {name}" if code else name for team_id, code, name in rows})
    return labels


def _people(campaign_ids: list[int]) -> dict[int, dict[int, tuple[int, int]]]:
    """(invited, answered) per campaign and team key, from the invitations, in one query."""
    completed = func.sum(case((Invitation.status == InvitationStatus.COMPLETED, 1), else_=0))
    rows = db.session.execute(
        select(Invitation.campaign_id, Invitation.team_id, func.count(Invitation.id), completed)
        .where(Invitation.campaign_id.in_(campaign_ids))
        .group_by(Invitation.campaign_id, Invitation.team_id)
    )
    found: dict[int, dict[int, tuple[int, int]]] = defaultdict(dict)
    for campaign_id, team_id, invited, answered in rows:
        found[campaign_id][team_id or NO_TEAM] = (int(invited), int(answered or 0))
    return found


def _tables(
    counts: dict[tuple[int, str], int],
    sums: dict[tuple[int, str, str], tuple[int, int]],
    people: dict[int, tuple[int, int]],
    codes: list[str],
    minimum: int,
    team_labels: dict[int, str],
    organization_label: str,
) -> Tables:
    """Every group with its count, exact scores and whether it may be shown (readiness.services.protection)."""
    team_keys = sorted(
        {team for team, _ in counts} | set(people),
        key=lambda t: (t == NO_TEAM, team_labels.get(t, ""), t),
    )
    role_keys = [role.value for role in RoleGroup]  # all of them, always: a missing one would say it is empty

    n: dict[Key, int] = defaultdict(int)
    points: dict[Key, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for (team, role), count in counts.items():
        for key in (ORGANIZATION, ("team", team), ("role", role), ("cell", team, role)):
            n[key] += count
    for (team, role, code), (total, answers) in sums.items():
        for key in (ORGANIZATION, ("team", team), ("role", role), ("cell", team, role)):
            points[key][code][0] += total
            points[key][code][1] += answers

    organization_shown = n[ORGANIZATION] >= minimum
    hidden_teams = protection.hidden_teams({
        team: protection.TeamCounts(*people.get(team, (0, 0)), released=n[("team", team)]) for team in team_keys
    }, minimum)
    hidden_roles = protection.hidden_groups({role: n[("role", role)] for role in role_keys}, minimum)
    cells_shown = organization_shown and protection.table_shown(
        {(team, role): n[("cell", team, role)] for team in team_keys for role in role_keys}, minimum
    )

    def group(key: Key, label: str, shown: bool) -> Group:
        exact = {code: score(*points[key][code]) for code in codes} if key in points else dict.fromkeys(codes)
        shown = shown and organization_shown and n[key] >= minimum
        scores = {code: rounded(value) for code, value in exact.items()} if shown else {}
        return Group(
            key=key, label=label, n=n[key], shown=shown, exact=exact if shown else {}, scores=scores,
            cells=["No answers" if scores.get(code) is None else str(scores[code]) for code in codes] if shown else [],
        )

    role_words = {role.value: role.label for role in RoleGroup}
    labels = {team: team_labels.get(team, "A removed team") for team in team_keys}
    return Tables(
        organization=group(ORGANIZATION, organization_label, True),
        teams=[group(("team", team), labels[team], team not in hidden_teams) for team in team_keys],
        roles=[group(("role", role), role_words[role], role not in hidden_roles) for role in role_keys],
        cells=[
            group(("cell", team, role), f"{labels[team]}, {role_words[role]}", True)
            for team in team_keys for role in role_keys
        ] if cells_shown else None,
        participation=[
            TeamParticipation(team, labels[team], *people[team], shown=team not in hidden_teams and organization_shown)
            for team in team_keys if team in people
        ],
    )


def participation(campaign: Campaign) -> tuple[list[TeamParticipation], campaign_service.Participation]:
    """Participation by team, with the very teams the results page hides hidden (the campaign's page shows it
    too), and in all."""
    counts, people = _counts([campaign.id]), _people([campaign.id])
    keys = {team for team, _ in counts[campaign.id]} | set(people[campaign.id])
    tables = _tables(counts[campaign.id], {}, people[campaign.id], [], for_campaign(campaign), _team_labels(keys),
                     organization_label(campaign))
    rows = tables.participation
    return rows, campaign_service.Participation(sum(r.invited for r in rows), sum(r.answered for r in rows))


def _one_team(campaign: Campaign, team_keys: set[int], labels: dict[int, str]) -> str | None:
    """The team everyone asked is on, when that is one team (a campaign sent to one team, or an agency whose
    people are all on one team): then "the whole organization" of these results is that team."""
    if not campaign.whole_organization and len(campaign.teams) == 1:
        team = campaign.teams[0]
        return labels.get(team.id) or str(team)
    if len(team_keys) == 1 and NO_TEAM not in team_keys:
        return labels.get(next(iter(team_keys)), "A removed team")
    return None


def one_team(campaign: Campaign) -> str | None:
    """``_one_team`` for a page that does not load the results (the open answers)."""
    people = _people([campaign.id])[campaign.id]
    counts = _counts([campaign.id])[campaign.id]
    keys = set(people) | {team for team, _ in counts}
    return _one_team(campaign, keys, _team_labels(keys))


def organization_label(campaign: Campaign, one: str | None = None) -> str:
    if one is not None:
        return f"Everyone asked: one team, {one}"
    return "Whole organization" if campaign.whole_organization else "Everyone asked"


def campaign_results(campaign: Campaign) -> Results:
    """Everything the results page shows, in a fixed number of queries whatever the number of responses."""
    minimum = for_campaign(campaign)
    instrument = instrument_service.load_contents(campaign.instrument_id)
    domains = instrument_service.scored_domains(instrument)
    codes = [domain.code for domain in domains]
    previous = (
        db.session.get(Campaign, campaign.copied_from_id) if campaign.copied_from_id is not None else None
    )
    ids = [campaign.id] + ([previous.id] if previous is not None else [])
    counts = _counts(ids)
    sums = _sums(ids)
    people = _people(ids)
    team_keys = {team for found in counts.values() for team, _ in found}
    team_keys |= {team for found in people.values() for team in found}
    labels = _team_labels(team_keys)

    one = _one_team(campaign, {team for team, _ in counts[campaign.id]} | set(people[campaign.id]), labels)
    tables = _tables(counts[campaign.id], sums[campaign.id], people[campaign.id], codes, minimum, labels,
                     organization_label(campaign, one))
    by_group = groups_shown(campaign, campaign_service.today())
    if not by_group:
        tables.teams, tables.roles, tables.cells = [], [], None
    organization, teams, roles = tables.organization, tables.teams, tables.roles
    if previous is not None:
        earlier_tables = _tables(  # the earlier wave exactly as its own results show it (its own threshold)
            counts[previous.id], sums[previous.id], people[previous.id], codes, for_campaign(previous), labels, "",
        )
        earlier = {group.key: group for group in [earlier_tables.organization, *earlier_tables.teams,
                                                  *earlier_tables.roles]}
        for group in [organization, *teams, *roles]:
            old = earlier.get(group.key)
            for code in codes:
                now_value = group.exact.get(code)
                old_value = old.exact.get(code) if old is not None and old.shown else None
                group.changes[code] = (
                    rounded(now_value - old_value) if now_value is not None and old_value is not None else None
                )

    distributions: list[Distribution] = []
    free_text: list[OpenQuestion] = []
    if organization.shown:
        distributions = _distributions(campaign, instrument.items)
        free_text = open_questions(campaign, [item for item in instrument.items if item.kind == ItemKind.TEXT], minimum)
    return Results(
        campaign=campaign, minimum=minimum, domains=domains,
        participation=tables.participation,
        total=campaign_service.Participation(
            sum(row.invited for row in tables.participation), sum(row.answered for row in tables.participation)
        ),
        organization=organization, teams=teams, roles=roles, cells=tables.cells, one_team=one,
        distributions=distributions, free_text=free_text, previous=previous,
        groups_shown=by_group, groups_from=None if by_group else campaign.closes_on + timedelta(days=1),
    )


def _distributions(campaign: Campaign, items: list[Item]) -> list[Distribution]:
    """How many people gave each answer to each choice item, for the whole organization."""
    rows = db.session.execute(
        select(ItemTally.item_id, ItemTally.value, ItemTally.n)
        .where(ItemTally.campaign_id == campaign.id, ItemTally.value > 0)
    )
    found: dict[tuple[int, int], int] = {(item_id, value): int(n or 0) for item_id, value, n in rows}
    shown = []
    for item in items:
        if item.kind == ItemKind.TEXT:
            continue
        counts = [(words, found.get((item.id, value), 0)) for value, words in item.choices()]
        shown.append(Distribution(item, counts, sum(n for _, n in counts)))
    return shown


FIRST_OPEN_ANSWERS = 10  # open answers shown on the results page per question; the rest are on their own page


def open_counts(campaign: Campaign, items: list[Item]) -> dict[int, int]:
    """How many people answered each open question, from the running totals (free text is counted as value 0)."""
    if not items:
        return {}
    rows = db.session.execute(
        select(ItemTally.item_id, ItemTally.n)
        .where(ItemTally.campaign_id == campaign.id, ItemTally.value == 0,
               ItemTally.item_id.in_([item.id for item in items]))
    )
    return {item_id: int(n or 0) for item_id, n in rows}


def open_answers(campaign: Campaign, item: Item, words: str = "") -> Select[tuple[OpenAnswer]]:
    """The answers to one open question (those containing ``words``, in any case, when given), in alphabetical
    order. Ties of the sort key (answers alike but for case, or alike in their first 100 characters) go by the
    words, and only identical answers by the random response key: the key is the same for all of one person's
    answers, so ordering by it would line up their answers across questions."""
    statement = (
        select(OpenAnswer)
        .where(OpenAnswer.campaign_id == campaign.id, OpenAnswer.item_id == item.id)
        .order_by(OpenAnswer.sort_key, OpenAnswer.text, OpenAnswer.response_id)
    )
    if words:
        # sort_key is casefolded in Python, so it also matches letters SQLite's lower() leaves alone (É, ß).
        statement = statement.where(or_(
            OpenAnswer.text.icontains(words, autoescape=True),
            OpenAnswer.sort_key.contains(words.casefold(), autoescape=True),
        ))
    return statement


def respondents(campaign: Campaign) -> int:
    """How many people answered the campaign, from the running totals."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(ResponseCount.n), 0)).where(ResponseCount.campaign_id == campaign.id)
    )
    return int(total or 0)


def open_questions(campaign: Campaign, items: list[Item], minimum: int) -> list[OpenQuestion]:
    """The open questions answered by at least ``minimum`` people, each with its first answers in alphabetical
    order (not the order they arrived in): one query per open question of the survey, whatever the number of
    answers, in the database's own order (the same as on the open-answers page)."""
    counts = open_counts(campaign, items)
    return [
        OpenQuestion(
            item, counts[item.id],
            list(db.session.scalars(
                open_answers(campaign, item).with_only_columns(OpenAnswer.text).limit(FIRST_OPEN_ANSWERS)
            )),
        )
        for item in items if counts.get(item.id, 0) >= minimum
    ]


def open_total(campaign: Campaign, item: Item) -> int | None:
    """How many people answered an open question, or None when its answers may not be shown: the whole
    campaign, or the question itself, has fewer answers than the small-group threshold."""
    minimum = for_campaign(campaign)
    answered = open_counts(campaign, [item]).get(item.id, 0)
    return answered if respondents(campaign) >= minimum and answered >= minimum else None


def open_answer_rows(campaign: Campaign, items: list[Item]) -> list[list[str]]:
    """The CSV of the open answers: question, answer, in alphabetical order; the questions ``open_total`` would
    not show are left out."""
    minimum = for_campaign(campaign)
    rows = [["Question", "Answer"]]
    if respondents(campaign) < minimum:
        return rows
    counts = open_counts(campaign, items)
    for item in items:
        if counts.get(item.id, 0) >= minimum:
            texts = db.session.scalars(open_answers(campaign, item).with_only_columns(OpenAnswer.text))
            rows.extend([item.text, text] for text in texts)
    return rows


# CSV --------------------------------------------------------------------------------------------------------


def score_rows(results: Results) -> list[list[str]]:
    """The domain scores table as CSV rows (hidden groups say "too few answers"); ``core.csvfiles`` keeps a team
    name from running as a formula."""
    header = ["Group", "Name", "Answers"] + [domain.name for domain in results.domains]
    kinds = [("Organization", [results.organization]), ("Team", results.teams), ("Role group", results.roles),
             ("Team and role group", results.cells or [])]
    rows = [header]
    for kind, groups in kinds:
        for group in groups:
            if not group.shown:
                rows.append([kind, group.label] + ["too few answers"] * (1 + len(results.domains)))
                continue
            values = [group.scores.get(domain.code) for domain in results.domains]
            rows.append([kind, group.label, str(group.n)]
                        + ["" if value is None else str(value) for value in values])
    return rows
