"""The staff CSV import: upload, every problem listed by row, then a summary of who was invited."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, session, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from core.admin.blueprint import bp
from core.admin.forms import MAX_IMPORT_BYTES, ImportForm
from core.admin.services import staff_import as service
from core.extensions import db
from core.policy import requires

IMPORT_SUMMARY_KEY = "admin_import_summary"


@bp.route("/staff/import", methods=["GET", "POST"])
@requires("admin.staff")
def staff_import() -> Response | tuple[str, int]:
    form = ImportForm()
    result: service.ImportResult | None = None
    if form.validate_on_submit():
        raw = form.file.data.read(MAX_IMPORT_BYTES + 1)
        if len(raw) > MAX_IMPORT_BYTES:
            form.file.errors = ["The file must be smaller than 4 MB."]
        else:
            try:
                result = service.import_staff(raw, actor=current_user)
                if result.ok:
                    db.session.commit()
            except IntegrityError:
                db.session.rollback()
                result = service.ImportResult([service.RowProblem(
                    service.WHOLE_FILE, "Whole file",
                    "Someone added one of these people at the same moment. Nothing was imported; upload the file "
                    "again to see which rows to remove.")])
            if result.ok:
                session[IMPORT_SUMMARY_KEY] = {"people": len(result.created), "programs": result.by_program}
                flash(f"Imported {len(result.created)} people. Their invitations are waiting in the email outbox.",
                      "success")
                return redirect(url_for(".staff_import_done"))
            db.session.rollback()
    failed = bool(form.errors) or (result is not None and not result.ok)
    return render_template(
        "admin/staff_import.html",
        form=form,
        result=result,
        columns=service.IMPORT_COLUMNS,
        max_rows=service.MAX_IMPORT_ROWS,
        shown_problems=200,
    ), 400 if failed else 200


@bp.get("/staff/import/template.csv")
@requires("admin.staff")
def staff_import_template() -> Response:
    return Response(
        service.import_template(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="peerworks-staff-import-template.csv"'},
    )


@bp.get("/staff/import/done")
@requires("admin.staff")
def staff_import_done() -> Response | str:
    summary = session.get(IMPORT_SUMMARY_KEY)
    if not summary:
        return redirect(url_for(".staff_import"))
    return render_template("admin/staff_import_done.html", summary=summary)


