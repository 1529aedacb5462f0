"""The audit screen for the privacy officer and the administrator.

Looking at the log is itself logged. Those GET views render the page before committing their note, because a commit
expires every loaded entry and the template would then reload them one by one.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from core import policy
from core.auditlog import service
from core.auditlog.forms import AuditFilterForm
from core.extensions import db
from core.pages import page_number
from core.policy import requires
from core.timeutil import utcnow

bp = Blueprint("auditlog", __name__, url_prefix="/audit")


def _list_page(form: AuditFilterForm) -> str:
    """The screen for a filter form: the matching page when the filters are valid, the form's messages when not."""
    if form.validate():
        filters = service.Filters.from_form(form)
        page = db.paginate(
            service.entries(filters, current_user),
            page=page_number(),
            per_page=service.PER_PAGE,
            error_out=False,
        )
        service.note_viewed(current_user, filters, page.total, page.page)
        html = render_template("audit/index.html", form=form, page=page, filters=filters,
                               others=policy.other_officers(current_user))
    else:
        service.note_viewed(current_user, None, None)
        html = render_template("audit/index.html", form=form, page=None, filters=None,
                               others=policy.other_officers(current_user))
    db.session.commit()
    return html


@bp.get("/")
@requires("audit.view")
def index() -> str:
    return _list_page(service.filter_form(request.args))


@bp.get("/export.csv")
@requires("audit.view")
def export() -> str | Response:
    form = service.filter_form(request.args)
    if not form.validate():
        return _list_page(form)
    filters = service.Filters.from_form(form)
    matched = service.count(filters, current_user)
    note = service.note_exported(current_user, filters, matched)
    before_id = note.id
    db.session.commit()
    filename = f"audit-log-{utcnow():%Y%m%d-%H%M%S}-utc.csv"
    return Response(
        stream_with_context(service.csv_lines(filters, before_id, current_user)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/<int:entry_id>")
@requires("audit.view")
def detail(entry_id: int) -> str:
    found = service.entry(entry_id, current_user)
    if found is None:
        abort(404)
    check = service.check_entry(found)
    service.note_entry_viewed(current_user, entry_id)
    html = render_template("audit/detail.html", entry=found, check=check)
    db.session.commit()
    return html


@bp.post("/check")
@requires("audit.view")
def check() -> BaseResponse:
    verdict = service.check_chain(current_user)
    db.session.commit()
    if verdict.ok:
        flash(
            f"The audit log is intact: {verdict.checked:,} entries checked, and none was changed, removed or added "
            "out of order.",
            "success",
        )
    else:
        flash(
            f"The audit log was changed at entry {verdict.bad_id}: {verdict.reason}. "
            f"The {verdict.checked:,} entries before it are intact. Report this at once to the privacy officer and "
            "the administrator, giving the entry number.",
            "error",
        )
    return redirect(url_for("auditlog.index"))
