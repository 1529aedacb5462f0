"""CE progress in a cycle against the credential's rules: hours per category, the limits, what is still missing
by when, and whether the person is on pace.

``compute`` is plain arithmetic on the approved hours of one cycle, summed by (category, format), each course
counted once. Over a limit, hours are left out where they are needed least:

* **A category's maximum:** in-person hours count first, then live online, then self-paced, so the hours left out
  are the ones the online limits would have cut anyway.
* **The self-paced limit, then the online limit** (live online and self-paced together): hours are left out of the
  categories with the most to spare above their minimums first, so a limit never costs an ethics minimum that
  another category's hours could have spared.

Missing hours are the larger of the hours still short of the total and the hours still short of the category
minimums (minimum hours count toward the total too). A cycle is **behind schedule** when fewer hours are done than
an even pace over the cycle would have by now, allowing a month (``PACE_ALLOWANCE_DAYS``), or anything is still
missing in its last month. ``on_pace_until`` is the last day that is not behind, so the expiry dashboard asks one
date comparison in SQL.

``refresh`` works the totals out again for cycles (one query for the sums, one for the cycles) and stores them on
``training_cycle``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import ColumnElement, Subquery, and_, func, select

from core.credentials import ONLINE, CeCategory, CeFormat, RuleSet, hours_text, rules_of
from core.extensions import db
from core.models import CredentialType
from training.models import CeEntry, Certification, Cycle, EntryStatus
from training.services.dates import days_between

PACE_ALLOWANCE_DAYS = 30
FORMAT_ORDER = (CeFormat.IN_PERSON, CeFormat.LIVE_ONLINE, CeFormat.SELF_PACED)

Sums = Mapping[tuple[str, str], int]  # (category, format) -> quarter hours, approved, each course once


@dataclass(frozen=True)
class CategoryProgress:
    category: str
    logged_qh: int
    counted_qh: int
    minimum_qh: int
    maximum_qh: int | None

    @property
    def label(self) -> str:
        return CeCategory(self.category).label

    @property
    def missing_qh(self) -> int:
        return max(0, self.minimum_qh - self.counted_qh)


@dataclass(frozen=True)
class Progress:
    starts_on: date
    ends_on: date
    required_qh: int
    logged_qh: int
    counted_qh: int
    missing_qh: int
    categories: list[CategoryProgress]
    online_logged_qh: int
    online_counted_qh: int
    self_paced_logged_qh: int
    self_paced_counted_qh: int
    max_online_qh: int | None
    max_self_paced_qh: int | None
    left_out: list[str] = field(default_factory=list)
    on_pace_until: date | None = None

    def behind(self, today: date) -> bool:
        return self.on_pace_until is not None and today > self.on_pace_until

    @property
    def percent(self) -> int:
        if not self.required_qh:
            return 100
        done = self.required_qh - self.missing_qh
        return max(0, min(100, done * 100 // self.required_qh))

    @property
    def short_categories(self) -> list[CategoryProgress]:
        return [category for category in self.categories if category.missing_qh]


def compute(rules: RuleSet, sums: Sums, starts_on: date, ends_on: date) -> Progress:
    """The progress of one cycle from its approved hours ``sums``."""
    cells: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FORMAT_ORDER, 0))
    for (category, form), qh in sums.items():
        cells[category][CeFormat(form)] += qh
    logged = {category: sum(row.values()) for category, row in cells.items()}
    left_out: list[str] = []

    # A category's maximum: in person first, then live online, then self-paced.
    counted: dict[str, dict[str, int]] = {}
    for category, row in cells.items():
        room = rules.maximums.get(category)
        kept = {}
        for form in FORMAT_ORDER:
            take = row[form] if room is None else min(row[form], room)
            kept[form] = take
            if room is not None:
                room -= take
        counted[category] = kept
        over = logged[category] - sum(kept.values())
        if over:
            left_out.append(
                f"{hours_text(over)} of {CeCategory(category).label.lower()} are over the "
                f"{hours_text(rules.maximums[category])} that count in this category."
            )

    def category_total(category: str) -> int:
        return sum(counted[category].values())

    def cut(formats: tuple[CeFormat, ...], limit: int | None, what: str) -> None:
        if limit is None:
            return
        excess = sum(counted[c][f] for c in counted for f in formats) - limit
        if excess <= 0:
            return
        left_out.append(f"{hours_text(excess)} of {what} are over the limit of {hours_text(limit)}.")
        while excess > 0:  # a quarter hour at a time, from the category with the most to spare
            holders = [c for c in counted if any(counted[c][f] for f in formats)]
            category = max(holders, key=lambda c: (category_total(c) - rules.minimums.get(c, 0), c))
            for form in reversed(formats):  # self-paced first
                if counted[category][form]:
                    counted[category][form] -= 1
                    excess -= 1
                    break

    cut((CeFormat.SELF_PACED,), rules.max_self_paced_qh, "self-paced courses")
    cut(ONLINE, rules.max_online_qh, "online courses (live and self-paced)")

    categories = [
        CategoryProgress(
            category=category.value,
            logged_qh=logged.get(category.value, 0),
            counted_qh=category_total(category.value) if category.value in counted else 0,
            minimum_qh=rules.minimums.get(category.value, 0),
            maximum_qh=rules.maximums.get(category.value),
        )
        for category in CeCategory
    ]
    counted_total = sum(category.counted_qh for category in categories)
    short = sum(category.missing_qh for category in categories)
    missing = max(rules.required_qh - counted_total, short, 0)

    def total(row: Mapping[str, Mapping[str, int]], formats: tuple[CeFormat, ...]) -> int:
        return sum(row[c][f] for c in row for f in formats)

    return Progress(
        starts_on=starts_on,
        ends_on=ends_on,
        required_qh=rules.required_qh,
        logged_qh=sum(logged.values()),
        counted_qh=counted_total,
        missing_qh=missing,
        categories=categories,
        online_logged_qh=total(cells, ONLINE),
        online_counted_qh=total(counted, ONLINE),
        self_paced_logged_qh=total(cells, (CeFormat.SELF_PACED,)),
        self_paced_counted_qh=total(counted, (CeFormat.SELF_PACED,)),
        max_online_qh=rules.max_online_qh,
        max_self_paced_qh=rules.max_self_paced_qh,
        left_out=left_out,
        on_pace_until=on_pace_until(rules.required_qh, missing, starts_on, ends_on),
    )


def on_pace_until(required_qh: int, missing_qh: int, starts_on: date, ends_on: date) -> date | None:
    """The last day the hours done keep an even pace (allowing a month), never later than a month before the
    cycle ends; None when nothing is missing."""
    if missing_qh <= 0:
        return None
    done = max(required_qh - missing_qh, 0)
    length = days_between(starts_on, ends_on)
    covered = done * length // required_qh if required_qh else length
    allowance = timedelta(days=PACE_ALLOWANCE_DAYS)
    pace = starts_on + timedelta(days=covered) + allowance
    return max(starts_on, min(pace, ends_on - allowance))


# Reading and storing the totals ---------------------------------------------------------------------------------


def counted_entries(condition: ColumnElement[bool]) -> Subquery:
    """Approved entries of the cycles matching ``condition``, one row per entry with its cycle, numbered within
    each (cycle, course): ``n == 1`` is the entry that counts, a later one of the same course does not."""
    return (
        select(
            Cycle.id.label("cycle_id"),
            CeEntry.id.label("entry_id"),
            CeEntry.category,
            CeEntry.format,
            CeEntry.quarter_hours,
            func.row_number()
            .over(partition_by=(Cycle.id, CeEntry.course_key), order_by=(CeEntry.taken_on, CeEntry.id))
            .label("n"),
        )
        .join(Certification, Certification.id == Cycle.certification_id)
        .join(
            CeEntry,
            and_(
                CeEntry.certification_id == Cycle.certification_id,
                CeEntry.taken_on >= Cycle.starts_on,
                CeEntry.taken_on <= Cycle.ends_on,
            ),
        )
        .where(condition, CeEntry.status == EntryStatus.APPROVED)
        .subquery("counted")
    )


def sums_for(condition: ColumnElement[bool]) -> dict[int, dict[tuple[str, str], int]]:
    """Approved hours by (category, format) for each cycle matching ``condition`` (on ``Cycle`` and its
    ``Certification``), each course once, in one query."""
    counted = counted_entries(condition)
    rows = db.session.execute(
        select(counted.c.cycle_id, counted.c.category, counted.c.format, func.sum(counted.c.quarter_hours))
        .where(counted.c.n == 1)
        .group_by(counted.c.cycle_id, counted.c.category, counted.c.format)
    )
    found: dict[int, dict[tuple[str, str], int]] = defaultdict(dict)
    for cycle_id, category, form, qh in rows:
        found[cycle_id][(category, form)] = int(qh or 0)
    return found


def progress_of(cycle: Cycle, credential: CredentialType) -> Progress:
    sums = sums_for(Cycle.id == cycle.id).get(cycle.id, {})
    return compute(rules_of(credential), sums, cycle.starts_on, cycle.ends_on)


def refresh(condition: ColumnElement[bool]) -> int:
    """Work out and store the totals of every cycle matching ``condition`` (a condition on ``Cycle``, joined to its
    certification). Returns how many cycles were refreshed."""
    db.session.flush()
    cycles = list(db.session.scalars(select(Cycle).join(Certification).where(condition)))
    if not cycles:
        return 0
    sums = sums_for(condition)  # the condition, not a list of ids: SQLite plans a long IN list badly
    type_of = dict(
        db.session.execute(
            select(Cycle.id, Certification.credential_type_id).join(Certification).where(condition)
        ).all()
    )
    credentials = {
        credential.id: rules_of(credential)
        for credential in db.session.scalars(select(CredentialType).where(CredentialType.id.in_(set(type_of.values()))))
    }
    for cycle in cycles:
        progress = compute(credentials[type_of[cycle.id]], sums.get(cycle.id, {}), cycle.starts_on, cycle.ends_on)
        cycle.logged_qh = progress.logged_qh
        cycle.counted_qh = progress.counted_qh
        cycle.missing_qh = progress.missing_qh
        cycle.on_pace_until = progress.on_pace_until
    db.session.flush()
    return len(cycles)
