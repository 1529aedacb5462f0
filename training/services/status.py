"""A certification's status, worked out in ONE place: the SQL expression below. Every page, list, count, export and
reminder asks it (as a column of its own query, or through ``status_of``), so a certification can never show one
status on its page and another on the dashboard.

In order, the first that holds:

1. retired, when HR recorded that it is no longer held;
2. suspended, when HR recorded that the board suspended it;
3. expired, when the grace period has ended (the day after ``grace_ends_on``), or a provisional certification's
   deadline has passed without the provisional requirements being recorded as met;
4. in grace, after the last day of the cycle (``expires_on``) and until the grace period ends;
5. provisional, while a provisional certification's deadline is still ahead;
6. active.

"Today" is the agency's day (``core.timeutil.today``): a certification that expires on 1 March is active until
midnight at the agency, whatever the time in UTC or on the server.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import ColumnElement, and_, case, literal, or_, select

from core import timeutil
from core.extensions import db
from training.models import Certification, CertStatus, Hold


def status_expression(today: date | None = None) -> ColumnElement[str]:
    """The status of ``Certification`` rows on ``today`` (the agency's today when not given), as SQL."""
    day = literal(today or timeutil.today())
    cert = Certification
    return case(
        (cert.hold == Hold.RETIRED.value, CertStatus.RETIRED.value),
        (cert.hold == Hold.SUSPENDED.value, CertStatus.SUSPENDED.value),
        (cert.grace_ends_on < day, CertStatus.EXPIRED.value),
        (and_(cert.provisional_until.is_not(None), cert.provisional_until < day), CertStatus.EXPIRED.value),
        (cert.expires_on < day, CertStatus.IN_GRACE.value),
        (cert.provisional_until.is_not(None), CertStatus.PROVISIONAL.value),
        else_=CertStatus.ACTIVE.value,
    ).label("status")


def holds_expression(today: date | None = None) -> ColumnElement[bool]:
    """``status_expression(today) IN ('active', 'provisional')`` (a certification that holds on ``today``), written
    as the plain comparisons the CASE above comes to for those two statuses: no hold, the grace period and the
    cycle not over, a provisional deadline (if any) not passed. The same rows (``tests/training/test_status.py``
    checks every status on its boundary days); a database estimates these from its column statistics and walks the
    expiry index with them, where it cannot see into the CASE (PostgreSQL guessed 39 rows for 3,892)."""
    day = literal(today or timeutil.today())
    cert = Certification
    return and_(
        cert.hold == Hold.NONE.value,
        cert.grace_ends_on >= day,
        or_(cert.provisional_until.is_(None), cert.provisional_until >= day),
        cert.expires_on >= day,
    )


def status_of(certification: Certification, today: date | None = None) -> CertStatus:
    """One certification's status (its pending changes are flushed first)."""
    db.session.flush()
    found = db.session.scalar(select(status_expression(today)).where(Certification.id == certification.id))
    return CertStatus(found)


def statuses(ids: Iterable[int], today: date | None = None) -> dict[int, CertStatus]:
    """The status of each certification in ``ids``, in one query."""
    wanted = list(ids)
    if not wanted:
        return {}
    rows = db.session.execute(select(Certification.id, status_expression(today)).where(Certification.id.in_(wanted)))
    return {row[0]: CertStatus(row[1]) for row in rows}
