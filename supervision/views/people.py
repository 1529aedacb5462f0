"""One person's supervision: the prep sheet a supervisor reads before a session, and the person's hours by month."""

from __future__ import annotations

from flask import Response, stream_with_context, url_for
from flask_login import current_user

from core import audit
from core.extensions import db
from core.policy import requires
from supervision.blueprint import bp
from supervision.forms import CloseItemForm
from supervision.services import fidelity, hours, prep, sessions
from supervision.views._common import load_person, render

HOURS_MONTHS = 24


@bp.get("/people/<int:staff_id>/prep")
@requires("supervision.log")
def prep_sheet(staff_id: int) -> tuple[str, int]:
    person = load_person(staff_id, "supervision.prep")
    audit.record("supervision.prep_read", actor=current_user, record_type="core_staff", record_id=person.id)
    db.session.commit()  # before reading: a commit afterwards would expire every row the page shows
    sheet = prep.prep_sheet(current_user, person)
    trend = fidelity.prep_trend(current_user, person.id)
    # "with" is a Python keyword: the new-session form's query string names the person ticked.
    start_session = url_for("supervision.session_new", topic=fidelity.ROLE_FIDELITY_TOPIC, **{"with": person.id})
    return render(
        "supervision/prep.html",
        sheet=sheet,
        trend=trend,
        start_session=start_session,
        close_form=CloseItemForm(formdata=None),
        may_close=sessions.closer(current_user),
    )


@bp.get("/people/<int:staff_id>/hours")
@requires("supervision.view")
def person_hours(staff_id: int) -> tuple[str, int]:
    person = load_person(staff_id, "supervision.hours")
    months = hours.last_months(HOURS_MONTHS)
    rows = hours.rows_for([person], months)
    return render("supervision/hours.html", person=person, row=rows[0], own=person.id == current_user.id)


@bp.get("/people/<int:staff_id>/hours.csv")
@requires("supervision.view")
def person_hours_csv(staff_id: int) -> Response:
    person = load_person(staff_id, "supervision.hours")
    audit.record("supervision.hours_exported", actor=current_user, record_type="core_staff", record_id=person.id)
    db.session.commit()
    lines = hours.csv_lines(hours.person_query(person.id), hours.last_months(HOURS_MONTHS))
    return Response(
        stream_with_context(lines),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="supervision-hours.csv"'},
    )
