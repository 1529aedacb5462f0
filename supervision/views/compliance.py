"""Compliance: for each peer specialist the viewer may see (a supervisor's reports; everyone for HR and the
administrator), the hours of supervision month by month against the rule they follow, with a CSV of the lot.
Hours only, never what was said."""

from __future__ import annotations

from flask import Response, request, stream_with_context
from flask_login import current_user
from sqlalchemy import Row, Select, select

from core import audit
from core.extensions import db
from core.models import Role, Staff, StaffRole, StaffStatus
from core.pages import paginate
from core.policy import requires
from supervision.blueprint import bp
from supervision.forms import ComplianceFilter
from supervision.services import access, hours
from supervision.views._common import render

SCREEN_MONTHS = 6
CSV_MONTHS = 12


def _supervisors() -> list[Row[tuple[int, str]]]:
    """Id and name of each active supervisor, for the filter: the two columns only (whole staff records would load
    their roles and teams too, in one more query per 500 supervisors)."""
    return list(
        db.session.execute(
            select(Staff.id, Staff.name)
            .join(StaffRole, StaffRole.staff_id == Staff.id)
            .where(StaffRole.role == Role.SUPERVISOR, Staff.status == StaffStatus.ACTIVE)
            .order_by(Staff.name, Staff.id)
        )
    )


def _filtered() -> tuple[ComplianceFilter, Select]:
    form = ComplianceFilter(request.args)
    wide = access.keeps_rules(current_user)
    form.offer(_supervisors() if wide else [])
    chosen = form.supervisor.data if wide and form.validate() else None
    statement = hours.peers_query(access.people_seen(current_user, Staff.id), chosen)
    return form, statement


@bp.get("/compliance")
@requires("supervision.compliance")
def compliance() -> tuple[str, int]:
    form, statement = _filtered()
    page = paginate(statement)
    months = hours.last_months(SCREEN_MONTHS)
    rows = hours.rows_for(list(page.items), months)
    return render(
        "supervision/compliance.html",
        form=form,
        page=page,
        rows=rows,
        months=months,
        wide=access.keeps_rules(current_user),
        args={"supervisor": form.supervisor.data} if form.supervisor.data else {},
    )


@bp.get("/compliance.csv")
@requires("supervision.compliance")
def compliance_csv() -> Response:
    _form, statement = _filtered()
    audit.record("supervision.compliance_exported", actor=current_user, record_type="supervision_meeting")
    db.session.commit()
    lines = hours.csv_lines(statement, hours.last_months(CSV_MONTHS))
    return Response(
        stream_with_context(lines),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="supervision-compliance.csv"'},
    )
