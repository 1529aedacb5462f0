"""Staff training sessions: the list (everyone; search, pagination, CSV of attendance for HR and supervisors), a
session's page, and HR's and supervisors' pages to plan one (also from a readiness action), change it and record
who attended."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, request, stream_with_context, url_for
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response as HttpResponse

from core import audit, csvfiles, edits, policy, timeutil
from core.credentials import hours_number
from core.errors import InvalidInput, Refused, StaleEdit, keep_refusal
from core.extensions import db
from core.forms import optional_id, options
from core.models import Staff, StaffStatus
from core.pages import paginate
from core.policy import requires
from readiness.services import actions as readiness_actions
from training.blueprint import bp
from training.forms import AttendanceForm, RemoveAttendanceForm, SessionFilter, SessionForm, quarter_hours
from training.models import Attendance, Curriculum, SessionFacilitator, TrainingSession
from training.services import sessions
from training.services.sessions import SessionDetails
from training.views._common import render, save, show_problems


def _filters() -> tuple[SessionFilter, str, str]:
    form = SessionFilter(request.args)
    if not form.validate():
        return form, "", sessions.When.ALL
    return form, form.q.data or "", form.when.data or sessions.When.ALL


@bp.get("/sessions")
@requires("training.view")
def sessions_list() -> tuple[str, int]:
    form, query, when = _filters()
    page = paginate(sessions.listed(query, when))
    return render(
        "training/sessions.html",
        400 if form.errors else 200,
        form=form,
        page=page,
        counts=sessions.attendance_counts([s.id for s in page.items]),
        args={"q": query, "when": when},
    )


@bp.get("/sessions/attendance.csv")
@requires("training.sessions")
def sessions_csv() -> Response:
    _form, query, when = _filters()
    statement = sessions.listed(query, when)
    try:
        one = optional_id(request.args.get("session", ""))
    except ValueError:
        one = None
    if one is not None:  # one session's attendance, from its page
        statement = statement.where(TrainingSession.id == one)
    audit.record("training.attendance_exported", actor=current_user, record_type="training_session",
                 record_id=one or "", detail=f"search {query!r}, {when}" if query else when)
    db.session.commit()
    return Response(
        stream_with_context(csvfiles.csv_lines(sessions.csv_rows(statement))),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="training-attendance-{timeutil.today().isoformat()}.csv"'
        },
    )


def _load(training_session_id: int, action: str = "session.view") -> TrainingSession:
    found = db.get_or_404(TrainingSession, training_session_id)
    policy.authorize(current_user, "session.view", found)
    if action != "session.view":
        policy.authorize(current_user, action, found)
    return found


def _staff_options(first: str) -> list[Any]:
    people = db.session.execute(
        select(Staff.id, Staff.name).where(Staff.status == StaffStatus.ACTIVE).order_by(func.lower(Staff.name))
    ).all()
    return options([("", first), *((i, name) for i, name in people)])


def _fill_choices(form: SessionForm) -> None:
    curricula = db.session.execute(select(Curriculum.id, Curriculum.name).order_by(func.lower(Curriculum.name))).all()
    form.curriculum.choices = options([("", "None: a topic of its own"), *((i, name) for i, name in curricula)])
    form.facilitator.choices = _staff_options("Choose who facilitates")
    form.co_facilitator.choices = _staff_options("Nobody else")


def _details(form: SessionForm) -> SessionDetails:
    wanted = tuple(i for i in (form.facilitator.data, form.co_facilitator.data) if i)
    return SessionDetails(
        title=form.title.data or "",
        curriculum_id=form.curriculum.data,
        topic=form.topic.data or "",
        held_on=form.held_on.data,
        starts_at=form.starts_at.data,
        quarter_hours=quarter_hours(form.hours),
        place=form.place.data or "",
        format=form.format.data or "",
        facilitator_ids=wanted,
        ce_category=form.ce_category.data or "",
        provider=form.provider.data or "",
        approval_number=form.approval_number.data or "",
    )


def _action(raw: object) -> Any:
    """The readiness action a session is planned from: only for those who keep the action plan."""
    try:
        action_id = optional_id(raw)
    except ValueError:
        return None
    if action_id is None or not policy.can(current_user, "readiness.manage"):
        return None
    return readiness_actions.load_action(action_id)


@bp.route("/sessions/new", methods=["GET", "POST"])
@requires("training.sessions")
def session_new() -> HttpResponse | tuple[str, int]:
    if request.method == "POST":
        form = SessionForm()
        action = _action(form.action.data)
    else:
        action = _action(request.args.get("action", ""))
        prefill: dict[str, Any] = {"format": "in_person"}
        if action is not None:
            topic = action.domain.training_topic if action.domain_id and action.domain else ""
            prefill.update(action=action.id, title=action.title, topic=topic or action.title)
        form = SessionForm(formdata=None, data=prefill)
    _fill_choices(form)
    if form.validate_on_submit():
        try:
            planned = sessions.plan(_details(form), current_user, action)
            edits.commit()
        except InvalidInput as error:
            db.session.rollback()
            show_problems(form, error.problems)
        except StaleEdit:
            db.session.rollback()
            action = _action(form.action.data)  # read again: the rollback expired it
            form.action.errors = ["The action changed while you planned. The session is not saved: send it again."]
        else:
            flash("The session is planned." + (" It is linked to the readiness action." if action else ""),
                  "success")
            return redirect(url_for(".session", training_session_id=planned.id))
    return render(
        "training/session_form.html", 400 if form.errors else 200, form=form, session=None, action=action,
        conflict=None, now=None,
    )


def _session_data(found: TrainingSession) -> dict[str, Any]:
    ids = sessions.facilitator_ids(found)
    return {
        "title": found.title,
        "curriculum": found.curriculum_id,
        "topic": found.topic,
        "held_on": found.held_on,
        "starts_at": timeutil.local_time(found.starts_at).time().replace(second=0, microsecond=0),
        "hours": hours_number(found.quarter_hours),
        "place": found.place,
        "format": found.format,
        "facilitator": ids[0] if ids else None,
        "co_facilitator": ids[1] if len(ids) > 1 else None,
        "ce_category": found.ce_category,
        "provider": found.provider,
        "approval_number": found.approval_number,
        "version": found.version,
    }


def _now(found: TrainingSession) -> list[tuple[str, str]]:
    names = db.session.scalars(
        select(Staff.name).where(Staff.id.in_(sessions.facilitator_ids(found)))
    ).all()
    return [
        ("Title", found.title),
        ("Day and time", f"{timeutil.long_date(found.held_on)}, {timeutil.local_time(found.starts_at):%H:%M}"),
        ("Hours", hours_number(found.quarter_hours)),
        ("Facilitators", ", ".join(names)),
        ("Continuing education", f"{found.category_label}, {found.approval_number}" if found.ce_eligible else "No"),
    ]


@bp.route("/sessions/<int:training_session_id>/edit", methods=["GET", "POST"])
@requires("training.sessions")
def session_edit(training_session_id: int) -> HttpResponse | tuple[str, int]:
    found = _load(training_session_id, "session.manage")
    form = SessionForm() if request.method == "POST" else SessionForm(formdata=None, data=_session_data(found))
    _fill_choices(form)
    conflict = now = None
    if form.validate_on_submit():
        attempt = save(form, lambda: sessions.change(found, _details(form), form.version.data, current_user))
        if attempt.saved:
            flash("Saved. The continuing-education entries of its attendance follow the change.", "success")
            return redirect(url_for(".session", training_session_id=found.id))
        if attempt.conflict:
            found = _load(training_session_id, "session.manage")
            form.version.data = str(found.version)
            conflict, now = attempt.conflict, _now(found)
    status = 409 if conflict else (400 if form.errors else 200)
    return render("training/session_form.html", status, form=form, session=found, action=None, conflict=conflict,
                  now=now)


def _session_page(found: TrainingSession, status: int = 200, attendance_form: AttendanceForm | None = None,
                  conflict: str | None = None) -> tuple[str, int]:
    manage = policy.can(current_user, "training.sessions")
    form = attendance_form
    if manage and form is None:
        form = AttendanceForm(formdata=None, data={"hours": hours_number(found.quarter_hours),
                                                   "version": found.version})
    if form is not None:
        form.staff.choices = _staff_options("Choose who attended")
    facilitators = db.session.scalars(
        select(Staff).join(SessionFacilitator, SessionFacilitator.staff_id == Staff.id)
        .where(SessionFacilitator.session_id == found.id)
        .order_by(SessionFacilitator.position)
    ).all()
    return render(
        "training/session.html",
        status,
        session=found,
        curriculum=db.session.get(Curriculum, found.curriculum_id) if found.curriculum_id else None,
        facilitators=facilitators,
        starts=timeutil.local_time(found.starts_at),
        manage=manage,
        attendance=sessions.attendance_of(found) if manage else [],
        statuses=sessions.entry_statuses(found) if manage else {},
        form=form,
        remove_form=RemoveAttendanceForm(formdata=None, data={"version": found.version}),
        actions=readiness_actions.actions_for_session(found.id) if policy.can(current_user, "readiness.manage")
        else [],
        conflict=conflict,
    )


@bp.get("/sessions/<int:training_session_id>")
@requires("training.view")
def session(training_session_id: int) -> tuple[str, int]:
    return _session_page(_load(training_session_id))


@bp.get("/attendance/<int:attendance_id>")
@requires("training.view")
def session_of_attendance(attendance_id: int) -> HttpResponse:
    """From a CE entry made by attendance to its session: for those who may see the attendee's training (the
    attendee, their supervisors, HR) or plan the session; anyone else gets the answer of a missing id."""
    found = db.session.get(Attendance, attendance_id)
    if found is None or not (
        policy.allows(current_user, "training.person", found.staff)
        or policy.allows(current_user, "session.manage", db.session.get(TrainingSession, found.session_id))
    ):
        policy.refuse(current_user, "Attendance:view", attendance_id, status=404)
    return redirect(url_for(".session", training_session_id=found.session_id))


@bp.post("/sessions/<int:training_session_id>/attendance")
@requires("training.sessions")
def attendance_add(training_session_id: int) -> HttpResponse | tuple[str, int]:
    found = _load(training_session_id, "session.manage")
    form = AttendanceForm()
    form.staff.choices = _staff_options("Choose who attended")
    if not form.validate_on_submit():
        return _session_page(found, 400, form)
    try:
        recorded = sessions.record_attendance(
            found, form.staff.data, quarter_hours(form.hours), form.version.data, current_user
        )
        edits.commit()
    except InvalidInput as error:
        db.session.rollback()
        show_problems(form, error.problems)
        return _session_page(_load(training_session_id), 400, form)
    except StaleEdit:
        db.session.rollback()
        found = _load(training_session_id)
        form.version.data = str(found.version)
        return _session_page(found, 409, form, conflict=edits.STALE_MESSAGE)
    flash(f"{recorded.staff.name}: {hours_number(recorded.quarter_hours)} hours recorded.", "success")
    return redirect(url_for(".session", training_session_id=training_session_id) + "#attendance")


@bp.post("/sessions/<int:training_session_id>/attendance/<int:attendance_id>/remove")
@requires("training.sessions")
def attendance_remove(training_session_id: int, attendance_id: int) -> HttpResponse:
    found = _load(training_session_id, "session.manage")
    row = db.get_or_404(Attendance, attendance_id)
    form = RemoveAttendanceForm()
    form.validate_on_submit()
    try:
        sessions.remove_attendance(found, row, form.version.data, current_user)
        edits.commit()
    except StaleEdit:
        db.session.rollback()
        flash("The attendance changed while you were reading it. Check the list again, then remove.", "error")
        return redirect(url_for(".session", training_session_id=training_session_id) + "#attendance")
    except Refused as refusal:
        keep_refusal(refusal, current_user)
        abort(404)
    flash("Removed from the attendance, with the continuing-education hours it gave.", "success")
    return redirect(url_for(".session", training_session_id=training_session_id) + "#attendance")
