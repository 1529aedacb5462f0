"""People's training records, for HR (everyone) and supervisors (their reports): the list and one person's page."""

from __future__ import annotations

from flask import Response, request
from flask_login import current_user
from sqlalchemy import func, select

from core import policy
from core.database import contains_text
from core.extensions import db
from core.models import Staff, StaffStatus
from core.pages import paginate
from core.policy import requires
from training.blueprint import bp
from training.forms import PeopleFilter
from training.models import Certification
from training.services import certifications, ics, orientation
from training.views._common import audit_read, load_person, render


@bp.get("/people")
@requires("training.dashboard")
def people() -> tuple[str, int]:
    form = PeopleFilter(request.args)
    statement = policy.scope(
        select(Staff).where(Staff.status != StaffStatus.DEACTIVATED, Staff.id != current_user.id),
        current_user,
        "training.people",
        Staff,
    )
    if form.validate() and form.q.data:
        statement = statement.where(contains_text(Staff.name, form.q.data))
    page = paginate(statement.order_by(func.lower(Staff.name), Staff.id))
    held = dict(
        db.session.execute(
            select(Certification.staff_id, func.count())
            .where(Certification.staff_id.in_([staff.id for staff in page.items]))
            .group_by(Certification.staff_id)
        ).all()
    )
    return render(
        "training/people.html",
        200 if not form.errors else 400,
        form=form,
        page=page,
        held=held,
        args={"q": form.q.data or ""},
    )


@bp.get("/people/<int:staff_id>")
@requires("training.view")
def person(staff_id: int) -> tuple[str, int]:
    person = load_person(staff_id)
    audit_read(person.id, "record", "core_staff", person.id)
    db.session.commit()
    return render(
        "training/person.html",
        person=person,
        summaries=certifications.summaries(person.id),
        own=person.id == current_user.id,
        orientation_summary=orientation.summary(found) if (found := orientation.current_of(person.id)) else None,
    )


@bp.get("/people/<int:staff_id>/renewals.ics")
@requires("training.view")
def renewals_ics(staff_id: int) -> Response:
    person = load_person(staff_id)
    audit_read(person.id, "calendar", "core_staff", person.id)
    db.session.commit()
    return Response(
        ics.renewal_calendar(person, request.host.split(":")[0] or "peerworks"),
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="renewal-dates-{person.id}.ics"'},
    )
