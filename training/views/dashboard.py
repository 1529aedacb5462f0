"""The expiry dashboard (HR: everyone; a supervisor: their reports) and its CSV."""

from __future__ import annotations

from flask import Response, request, stream_with_context
from flask_login import current_user
from sqlalchemy import select

from core import audit, csvfiles, timeutil
from core.extensions import db
from core.forms import options
from core.models import Program
from core.pages import paginate
from core.policy import requires
from training.blueprint import bp
from training.forms import DashboardFilter
from training.services import dashboard
from training.services.dashboard import Filters, Show
from training.views._common import render


def _filters() -> tuple[DashboardFilter, Filters]:
    form = DashboardFilter(request.args)
    form.show.choices = options(Show.choices())
    # The programs' columns, labelled as str(Program) labels them: not the records, whose teams load with them.
    programs = db.session.execute(select(Program.id, Program.name, Program.code).order_by(Program.name))
    form.program.choices = options([("", "Every program"), *((p.id, f"{p.name} ({p.code})") for p in programs)])
    if not form.validate():
        return form, Filters()
    return form, Filters(Show(form.show.data or Show.ALL), form.program.data, form.q.data or "")


@bp.get("/dashboard")
@requires("training.dashboard")
def expiry_dashboard() -> tuple[str, int]:
    form, filters = _filters()
    today = timeutil.today()
    counts = dashboard.counts(current_user, filters, today)
    # The aggregate just counted this list (the same filters): no second count for the pages.
    page = paginate(dashboard.listed_rows(current_user, filters, today), total=counts.get(filters.show))
    audit.record(
        "training.dashboard_read", actor=current_user, record_type="training_certification", detail=filters.show.value
    )
    args = {"show": filters.show.value, "program": filters.program_id or "", "q": filters.name}
    page_and_status = render(
        "training/dashboard.html",
        400 if form.errors else 200,
        form=form,
        filters=filters,
        counts=counts,
        page=page,
        rows=dashboard.rows(page.items),
        args=args,
        Show=Show,
    )
    # Committed after the page is drawn, as the audit screen does: a commit expires the signed-in person, whom the
    # page's layout reads (one query more, about 0.5 ms). A page that fails to draw commits nothing.
    db.session.commit()
    return page_and_status


@bp.get("/dashboard.csv")
@requires("training.dashboard")
def expiry_dashboard_csv() -> Response:
    _form, filters = _filters()
    audit.record(
        "training.dashboard_exported",
        actor=current_user,
        record_type="training_certification",
        detail=filters.show.value,
    )
    db.session.commit()
    rows = dashboard.csv_rows(dashboard.all_rows(current_user, filters))
    return Response(
        stream_with_context(csvfiles.csv_lines(rows)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="certifications-{timeutil.today().isoformat()}.csv"'},
    )
