"""Role fidelity: how much of a peer specialist's recorded time is peer work.

Seed 004 warns that the benefit of hiring peers is lost when they are used for "traditional case management" or
"left-over tasks". The caseload's contact notes record minutes by kind of work; the direct kinds of seed 003
(advocacy, connecting to resources, experiential sharing, building community, relationship building, group
facilitation, skill building, socialization) are **peer work**, everything else (the indirect kinds: administration,
team communication, information gathering…) is **other tasks**. A month's share is peer minutes over all minutes.

Months are the agency's calendar months: a note's date is the agency's day the work happened (typed by the person,
defaulting to ``core.timeutil.today``), and "this month" is the agency's today's month. Sums are made in SQL, in one
query for every peer and month asked for. A month is **flagged** when its share is under the agency's threshold
(``supervision_fidelity_threshold``, a whole percentage; compared exactly, ``peer * 100 < threshold * total``).

Who sees whose: a peer specialist their own, a supervisor the peer specialists below them in the supervisor chain
(``caseload.access.supervised_by``). HR and the administrator set the threshold and see no one's figures. Minutes of
a note about a client record the viewer must not learn of (a sealed record they cannot open, a client they declared
knowing: ``caseload.access.hidden_from``) are left out of what that viewer sees, so a figure never moves because of
a sealed record. No client is ever named here: only kinds of work and minutes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from flask import url_for
from sqlalchemy import (
    ColumnElement,
    Integer,
    ScalarSelect,
    Select,
    case,
    cast,
    exists,
    extract,
    false,
    func,
    or_,
    select,
)

from caseload.access import hidden_from, supervised_by
from caseload.models import Client, ContactNote, WorkKind
from core import policy, settings, todo
from core.errors import InvalidInput
from core.extensions import db
from core.models import AgencySetting, Role, Staff, StaffRole, StaffStatus
from core.timeutil import today

THRESHOLD_KEY = "supervision_fidelity_threshold"
MONTHS_SHOWN = 12
PEER_KINDS = tuple(kind for kind in WorkKind if kind.is_direct)
OTHER_KINDS = tuple(kind for kind in WorkKind if not kind.is_direct)


# Months ------------------------------------------------------------------------------------------------------


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    """The first day of the month ``count`` months after (or before) ``month``'s."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_end(month: date) -> date:
    return date.fromordinal(add_months(month, 1).toordinal() - 1)


def window(count: int = MONTHS_SHOWN, *, ending: date | None = None) -> list[date]:
    """The first days of the ``count`` months up to and including the month of ``ending`` (the agency's today),
    oldest first."""
    last = month_start(ending or today())
    return [add_months(last, offset) for offset in range(1 - count, 1)]


def month_words(month: date) -> str:
    return f"{month:%B} {month.year}"


# The threshold -----------------------------------------------------------------------------------------------


def threshold() -> int:
    return _as_threshold(settings.get(THRESHOLD_KEY))


def _as_threshold(saved: str | None) -> int:
    """The saved setting as a percentage from 1 to 100 (the default when none is saved, or it is unreadable)."""
    try:
        value = int(saved if saved is not None else settings.DEFAULTS[THRESHOLD_KEY])
    except ValueError:
        value = int(settings.DEFAULTS[THRESHOLD_KEY])
    return min(max(value, 1), 100)


def check_threshold(value: int | None) -> int:
    if value is None or not 1 <= value <= 100:
        raise InvalidInput({"threshold": "Enter a whole percentage from 1 to 100."})
    return value


# Figures -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Month:
    """One peer's month: minutes of peer work and of other tasks."""

    month: date
    peer: int = 0
    other: int = 0

    @property
    def total(self) -> int:
        return self.peer + self.other

    @property
    def recorded(self) -> bool:
        return self.total > 0

    @property
    def percent(self) -> int | None:
        """The peer-work share as a whole percentage, rounded half up; None when nothing was recorded."""
        if not self.total:
            return None
        return (self.peer * 200 + self.total) // (self.total * 2)

    def under(self, limit: int) -> bool:
        """Flagged: some time recorded, and less than ``limit`` percent of it peer work (exact, not rounded)."""
        return self.recorded and self.peer * 100 < limit * self.total

    @property
    def words(self) -> str:
        return month_words(self.month)


def _counted_notes(viewer: Staff) -> ColumnElement[bool]:
    """Notes whose minutes ``viewer`` may see counted: indirect work with no client, or a client they may learn of."""
    hidden = select(Client.id).where(hidden_from(viewer))
    return or_(ContactNote.client_id.is_(None), ContactNote.client_id.not_in(hidden))


def _month_columns() -> tuple[ColumnElement[int], ColumnElement[int]]:
    return (cast(extract("year", ContactNote.happened_on), Integer).label("year"),
            cast(extract("month", ContactNote.happened_on), Integer).label("month"))


def monthly(viewer: Staff, staff_ids: list[int], months: list[date]) -> dict[int, list[Month]]:
    """Each person's months (every month of ``months``, empty ones too), from one aggregate query."""
    if not staff_ids or not months:
        return {staff_id: [] for staff_id in staff_ids}
    year, month = _month_columns()
    peer = func.sum(case((ContactNote.direct.is_(True), ContactNote.minutes), else_=0))
    rows = db.session.execute(
        select(ContactNote.staff_id, year, month, func.coalesce(peer, 0), func.sum(ContactNote.minutes))
        .where(
            ContactNote.staff_id.in_(staff_ids),
            ContactNote.happened_on >= months[0],
            ContactNote.happened_on <= month_end(months[-1]),
            _counted_notes(viewer),
        )
        .group_by(ContactNote.staff_id, year, month)
    )
    found: dict[tuple[int, date], Month] = {}
    for staff_id, row_year, row_month, peer_minutes, total in rows:
        key = (staff_id, date(int(row_year), int(row_month), 1))
        found[key] = Month(key[1], int(peer_minutes), int(total) - int(peer_minutes))
    return {
        staff_id: [found.get((staff_id, first), Month(first)) for first in months] for staff_id in staff_ids
    }


def by_kind(viewer: Staff, staff_id: int, months: list[date]) -> dict[str, dict[date, int]]:
    """One person's minutes per kind of work and month, {kind: {month: minutes}}, from one aggregate query."""
    year, month = _month_columns()
    rows = db.session.execute(
        select(ContactNote.kind, year, month, func.sum(ContactNote.minutes))
        .where(
            ContactNote.staff_id == staff_id,
            ContactNote.happened_on >= months[0],
            ContactNote.happened_on <= month_end(months[-1]),
            _counted_notes(viewer),
        )
        .group_by(ContactNote.kind, year, month)
    )
    table: dict[str, dict[date, int]] = defaultdict(dict)
    for kind, row_year, row_month, minutes in rows:
        table[kind][date(int(row_year), int(row_month), 1)] = int(minutes)
    return dict(table)


# Who sees whose ---------------------------------------------------------------------------------------------


def _is_peer() -> ColumnElement[bool]:
    return exists().where(StaffRole.staff_id == Staff.id, StaffRole.role == Role.PEER)


def visible_peers(viewer: Staff) -> ColumnElement[bool]:
    """The SQL condition for the staff whose role fidelity ``viewer`` may read: active peer specialists who are
    the viewer (when a peer specialist) or below them in their supervisor chain (when a supervisor)."""
    people = []
    if viewer.has_role(Role.PEER):
        people.append(Staff.id == viewer.id)
    if viewer.has_role(Role.SUPERVISOR):
        below = supervised_by(viewer.id)
        if below:
            people.append(Staff.id.in_(below))
    if not people:
        return false()
    return or_(*people) & (Staff.status == StaffStatus.ACTIVE) & _is_peer()


SCOPE_RULES = {(Staff, "supervision.fidelity"): visible_peers}  # registered by supervision.register


def peers_query(viewer: Staff) -> Select:
    """The supervisor's peer specialists (not the viewer themself), by name."""
    return (
        select(Staff)
        .where(visible_peers(viewer), Staff.id != viewer.id)
        .order_by(Staff.name, Staff.id)
    )


def may_see(viewer: Staff, staff_id: int) -> bool:
    return db.session.scalar(select(Staff.id).where(Staff.id == staff_id, visible_peers(viewer))) is not None


# What the pages show ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeerRow:
    """A line of the supervisor's list: a peer specialist and their months, oldest first."""

    staff: Staff
    months: list[Month]
    limit: int

    @property
    def latest(self) -> Month:
        """The last full month (the one before the agency's this month)."""
        return self.months[-2] if len(self.months) > 1 else self.months[-1]

    @property
    def current(self) -> Month:
        return self.months[-1]

    @property
    def flagged(self) -> bool:
        return self.latest.under(self.limit)

    @property
    def flagged_months(self) -> int:
        return sum(1 for month in self.months if month.under(self.limit))


def overview(viewer: Staff, people: list[Staff], months: list[date] | None = None) -> list[PeerRow]:
    """Rows for the given people (a page of ``peers_query``): one aggregate query for all of them."""
    months = months or window()
    figures = monthly(viewer, [person.id for person in people], months)
    limit = threshold()
    return [PeerRow(person, figures[person.id], limit) for person in people]


def flagged_query(viewer: Staff, limit: int | None = None) -> Select:
    """The viewer's peer specialists whose last full month is under the threshold, by name, as one statement (the
    flag is worked out in SQL, so the list pages like any other): exactly ``Month.under`` on last month's sums."""
    last = window(2)[0]
    limit = threshold() if limit is None else limit
    peer = func.sum(case((ContactNote.direct.is_(True), ContactNote.minutes), else_=0))
    under = (
        select(ContactNote.staff_id)
        .where(ContactNote.happened_on >= last, ContactNote.happened_on <= month_end(last), _counted_notes(viewer))
        .group_by(ContactNote.staff_id)
        .having(peer * 100 < limit * func.sum(ContactNote.minutes))
    )
    return peers_query(viewer).where(Staff.id.in_(under))


def flagged_peers(viewer: Staff) -> list[PeerRow]:
    """The viewer's peer specialists whose last full month is under the threshold, by name (two queries)."""
    people = list(db.session.scalars(flagged_query(viewer)))
    return overview(viewer, people, window(2))


@dataclass(frozen=True)
class KindRow:
    kind: WorkKind
    minutes: list[int]

    @property
    def is_peer_work(self) -> bool:
        return self.kind.is_direct


def kind_rows(viewer: Staff, staff_id: int, months: list[date]) -> list[KindRow]:
    """Every kind of work (peer work first) with its minutes per month, including kinds with none."""
    table = by_kind(viewer, staff_id, months)
    return [KindRow(kind, [table.get(kind.value, {}).get(first, 0) for first in months])
            for kind in (*PEER_KINDS, *OTHER_KINDS)]


def csv_rows(person: Staff, months: list[Month], kinds: list[KindRow], limit: int) -> list[list[object]]:
    """The table as CSV rows: one row per month, minutes per kind, the share and whether it is flagged."""
    header: list[object] = ["Month", "Peer work minutes", "Other tasks minutes", "Total minutes",
                            "Peer work share (%)", f"Under {limit}%"]
    header += [kind.kind.label for kind in kinds]
    rows: list[list[object]] = [header]
    for position, month in enumerate(months):
        rows.append([
            month.words, month.peer, month.other, month.total,
            "" if month.percent is None else month.percent,
            "yes" if month.under(limit) else "no",
            *(kind.minutes[position] for kind in kinds),
        ])
    return rows


def list_csv_rows(rows: list[PeerRow]) -> list[list[object]]:
    """The supervisor's list as CSV rows: a row per peer specialist and month."""
    out: list[list[object]] = [["Peer specialist", "Month", "Peer work minutes", "Other tasks minutes",
                                "Total minutes", "Peer work share (%)", "Flagged"]]
    for row in rows:
        for month in row.months:
            out.append([row.staff.name, month.words, month.peer, month.other, month.total,
                        "" if month.percent is None else month.percent, "yes" if month.under(row.limit) else "no"])
    return out


# For the sessions engineer: an agenda item ------------------------------------------------------------------


@dataclass(frozen=True)
class AgendaSuggestion:
    """An agenda item to offer for the next supervision session: ``topic`` is the agenda topic's words, ``reason``
    one plain sentence the supervisor sees beside it (minutes and shares only, never a client)."""

    topic: str
    reason: str
    link_endpoint: str
    link_args: dict[str, int]


ROLE_FIDELITY_TOPIC = "Role fidelity"


def fidelity_agenda_suggestions(supervisor: Staff, peer: Staff | int) -> list[AgendaSuggestion]:
    """"Role fidelity" as an agenda item for ``supervisor``'s next session with ``peer``, when the peer's last full
    month is under the agency's threshold; [] otherwise, or when the supervisor may not see the peer's figures.
    Two small queries (who, then the sums)."""
    peer_id = peer if isinstance(peer, int) else peer.id
    if peer_id == supervisor.id or not may_see(supervisor, peer_id):
        return []
    months = window(2)
    last = monthly(supervisor, [peer_id], months)[peer_id][0]
    limit = threshold()
    if not last.under(limit):
        return []
    reason = (f"In {last.words}, {last.percent}% of the time recorded was peer work, under the agency's "
              f"{limit}%. Talk about what pulled time away from peer work.")
    return [AgendaSuggestion(ROLE_FIDELITY_TOPIC, reason, "supervision.fidelity_person", {"staff_id": peer_id})]


@dataclass(frozen=True)
class Trend:
    """A peer's last months for a supervisor's prep sheet, with the suggestion for the next session (if any)."""

    months: list[Month]
    limit: int
    suggestions: list[AgendaSuggestion]


def prep_trend(supervisor: Staff, peer_id: int, count: int = 6) -> Trend | None:
    """The role-fidelity trend of ``peer_id``'s last ``count`` months (this one included), for ``supervisor``'s prep
    sheet; None when the supervisor may not see that person's figures (not a peer specialist below them)."""
    if peer_id == supervisor.id or not may_see(supervisor, peer_id):
        return None
    months = monthly(supervisor, [peer_id], window(count))[peer_id]
    return Trend(months, threshold(), fidelity_agenda_suggestions(supervisor, peer_id))


# The home page's to-do list ---------------------------------------------------------------------------------


def todo_sums(user: Staff) -> Select | None:
    """For supervision's to-do provider: last month's minutes (staff_id, peer, total) of the peer specialists whose
    flag concerns ``user`` (themself, and the people below a supervisor), one row each, as a statement to join into
    the provider's one SELECT; None when the person's roles have no role-fidelity lines (no query is needed)."""
    if not policy.can(user, "supervision.fidelity"):
        return None
    people = [Staff.id == user.id] if user.has_role(Role.PEER) else []
    if user.has_role(Role.SUPERVISOR):
        people.append(Staff.id.in_(todo.reports_of(user.id)))
    if not people:
        return None
    last = window(2)[0]
    peers = select(Staff.id).where(or_(*people), Staff.status == StaffStatus.ACTIVE, _is_peer())
    peer = func.sum(case((ContactNote.direct.is_(True), ContactNote.minutes), else_=0))
    return (
        select(ContactNote.staff_id.label("staff_id"), func.coalesce(peer, 0).label("peer"),
               func.sum(ContactNote.minutes).label("total"))
        .where(ContactNote.staff_id.in_(peers), ContactNote.happened_on >= last,
               ContactNote.happened_on <= month_end(last), _counted_notes(user))
        .group_by(ContactNote.staff_id)
    )


def saved_threshold() -> ScalarSelect[str]:
    """The saved threshold as a scalar subquery (NULL when never saved), read in a provider's one SELECT and turned
    into a percentage by ``todo_lines``."""
    return select(AgencySetting.value).where(AgencySetting.key == THRESHOLD_KEY).scalar_subquery()


def todo_lines(user: Staff, sums: list[tuple[int, int, int]], saved: str | None) -> list[todo.Item]:
    """The home page's lines from ``todo_sums``' rows and ``saved_threshold``: a supervisor's peer specialists
    flagged for last month, and a peer specialist's own flagged month."""
    last = window(2)[0]
    limit = _as_threshold(saved)
    flagged = {staff_id for staff_id, peer_minutes, total in sums
               if Month(last, int(peer_minutes), int(total) - int(peer_minutes)).under(limit)}
    found: list[todo.Item] = []
    if user.id in flagged:
        found.append(todo.Item(f"Your role fidelity: {month_words(last)} was under {limit}% peer work",
                               url_for("supervision.fidelity_person", staff_id=user.id), todo.Urgency.SOON,
                               "Supervision"))
    others = len(flagged - {user.id})
    if others:
        found.append(todo.Item(f"{todo.plural(others, 'peer specialist')} flagged for role fidelity",
                               url_for("supervision.fidelity_index", show="flagged"), todo.Urgency.SOON,
                               "Supervision", others, detail=f"Under {limit}% peer work in {month_words(last)}."))
    return found
