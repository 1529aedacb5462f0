"""Compliance: for each peer specialist the viewer may see (a supervisor's reports; everyone for HR and the
administrator), the hours of supervision month by month against the rule they follow, with a CSV of the lot.
Hours only, never what was said. HR and the administrator may narrow the list by typing part of a supervisor's
name or email address; the filter stays in the page links and the CSV link."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Response, request, stream_with_context
from flask_login import current_user
from sqlalchemy import ColumnElement, Select

from core import audit
from core.extensions import db
from core.models import Staff
from core.pages import paginate
from core.policy import requires
from supervision.blueprint import bp
from supervision.forms import ComplianceFilter
from supervision.services import access, hours
from supervision.views._common import render

SCREEN_MONTHS = 6
CSV_MONTHS = 12


@dataclass(frozen=True)
class Filtered:
    form: ComplianceFilter
    scope: Callable[[ColumnElement[int]], ColumnElement[bool]]  # whom the viewer may see
    wide: bool  # HR or the administrator: everyone, and the filter
    supervisor: str  # what was typed, when valid ("" for everyone)
    valid: bool
    supervisors: list[int] | None = None  # the supervisors it matches (None: everyone)

    @property
    def args(self) -> dict[str, str]:
        """The filter as query-string arguments (for page links and the CSV link)."""
        return {"supervisor": self.supervisor} if self.supervisor else {}

    def query(self) -> Select:
        return hours.peers_query(self.scope(Staff.id), self.supervisors)

    def count(self) -> int:
        return hours.peers_count(self.scope, self.supervisors)


def _filtered() -> Filtered:
    form = ComplianceFilter(request.args)
    scope = access.people_seen_rule(current_user)
    wide = access.keeps_rules(current_user)
    if not wide:  # a supervisor's own reports: no filter
        return Filtered(form, scope, wide, "", True)
    if not form.validate():
        return Filtered(form, scope, wide, "", False)
    typed = form.supervisor.data or ""
    return Filtered(form, scope, wide, typed, True, hours.supervisors_matching(typed) if typed else None)


@bp.get("/compliance")
@requires("supervision.compliance")
def compliance() -> tuple[str, int]:
    return _page(_filtered())


def _page(found: Filtered) -> tuple[str, int]:
    months = hours.last_months(SCREEN_MONTHS)
    page = rows = None
    if found.valid:
        page = paginate(found.query(), total=found.count(), rows=True)
        rows = hours.rows_for(list(page.items), months)
    return render(
        "supervision/compliance.html",
        form=found.form,
        page=page,
        rows=rows,
        months=months,
        wide=found.wide,
        supervisor=found.supervisor,
        args=found.args,
    )


@bp.get("/compliance.csv")
@requires("supervision.compliance")
def compliance_csv() -> Response | tuple[str, int]:
    found = _filtered()
    if not found.valid:
        return _page(found)
    statement = found.query()
    audit.record("supervision.compliance_exported", actor=current_user, record_type="supervision_meeting")
    db.session.commit()
    lines = hours.csv_lines(statement, hours.last_months(CSV_MONTHS))
    return Response(
        stream_with_context(lines),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="supervision-compliance.csv"'},
    )
