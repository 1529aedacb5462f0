"""Caseload routes: peer-led groups, their sessions and attendance.

Thin: read input, load the record, check it, call ``caseload.services.groups``, commit once, redirect.
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from caseload.blueprint import bp
from caseload.forms.groups import (
    GroupEditForm,
    GroupFilterForm,
    GroupForm,
    SessionEditForm,
    SessionForm,
    SessionRemoveForm,
)
from caseload.models import GroupKind, GroupSession, PeerGroup
from caseload.services import groups as service
from core import audit, edits, policy
from core.errors import StaleEdit
from core.extensions import db
from core.forms import options
from core.pages import paginate
from core.policy import requires
from core.timeutil import long_date

DUPLICATE_DAY = "This group already has a session on that date. Choose another date, or check the sessions listed."
FROM_THE_LIST = "Choose people from the list only. Reload the page to see the current list."
CHANGED_WHILE_EDITING = (
    "Someone else changed this session while you were editing. Your changes are below; "
    "check the session and save again."
)
CHANGED_BEFORE_REMOVING = (
    "Someone else changed this session after you opened this page. Nothing was removed. "
    "Check the session below, then remove it if it should still go."
)
REMOVED_MEANWHILE = "Someone else removed that session, so there was nothing left to save."


@bp.get("/groups")
@requires("caseload.groups")
def groups() -> tuple[str, int]:
    form = GroupFilterForm(request.args)
    valid = form.validate()
    q = "" if form.q.errors else (form.q.data or "")
    kind = "" if form.kind.errors else (form.kind.data or "")
    page = paginate(service.group_list(q, kind))
    stats = service.group_stats(current_user, [group.id for group in page.items])
    args = {key: value for key, value in (("q", q), ("kind", kind)) if value}
    return render_template(
        "caseload/groups/list.html",
        form=form,
        page=page,
        stats=stats,
        args=args,
        kinds=GroupKind,
    ), 200 if valid else 400


def _fill_choices(form: GroupForm, group: PeerGroup | None = None) -> None:
    form.facilitator.choices = options([
        ("", "Choose a facilitator"),
        *service.facilitators(group.facilitator_id if group else None),
    ])
    form.program.choices = options([("", "No particular program"), *((p.id, p.name) for p in service.programs())])


def _details(form: GroupForm) -> service.GroupDetails:
    return service.GroupDetails(
        name=form.name.data,
        kind=form.kind.data,
        facilitator_id=form.facilitator.data,
        program_id=form.program.data,
        meets=form.meets.data or "",
        active=bool(form.active.data),
    )


@bp.route("/groups/new", methods=["GET", "POST"])
@requires("caseload.groups")
def group_new() -> Response | tuple[str, int]:
    form = GroupForm()
    _fill_choices(form)
    if request.method == "GET":
        form.facilitator.data = current_user.id
        form.program.data = current_user.program_id
    if form.validate_on_submit():
        group = service.create_group(_details(form), current_user)
        db.session.commit()
        flash("The group is saved. Record its sessions from this page.", "success")
        return redirect(url_for(".group_detail", group_id=group.id))
    return render_template("caseload/groups/form.html", form=form, group=None), 400 if form.errors else 200


@bp.route("/groups/<int:group_id>/edit", methods=["GET", "POST"])
@requires("caseload.groups")
def group_edit(group_id: int) -> Response | tuple[str, int]:
    group = db.get_or_404(PeerGroup, group_id)
    policy.authorize(current_user, "group.manage", group)
    if request.method == "POST":
        form = GroupEditForm()
    else:
        form = GroupEditForm(
            formdata=None,
            data={
                "name": group.name,
                "kind": group.kind,
                "facilitator": group.facilitator_id,
                "program": group.program_id,
                "meets": group.meets,
                "active": group.active,
                "version": str(group.version),
            },
        )
    _fill_choices(form, group)
    if form.validate_on_submit():
        try:
            changed = service.update_group(group, _details(form), current_user, version=form.version.data)
            edits.commit()
        except StaleEdit:
            db.session.rollback()
            group = db.get_or_404(PeerGroup, group_id)
            form.version.data = str(group.version)  # saving again from here is a deliberate choice
            return render_template(
                "caseload/groups/form.html", form=form, group=group, conflict=_group_as_now(group),
                field_labels=service.FIELD_LABELS,
            ), 409
        if changed:
            labels = ", ".join(service.FIELD_LABELS[name].lower() for name in changed)
            flash(f"Saved the changes: {labels}.", "success")
        else:
            flash("Nothing was changed.", "info")
        return redirect(url_for(".group_detail", group_id=group.id))
    return render_template("caseload/groups/form.html", form=form, group=group), 400 if form.errors else 200


def _group_as_now(group: PeerGroup) -> dict[str, str]:
    """The group's details as saved now, shown beside the person's own input after a refused save."""
    return {
        "name": group.name,
        "kind": GroupKind(group.kind).label,
        "facilitator_id": group.facilitator.name,
        "program_id": group.program.name if group.program else "No particular program",
        "meets": group.meets,
        "active": "Yes" if group.active else "No",
    }


@bp.get("/groups/<int:group_id>")
@requires("caseload.groups")
def group_detail(group_id: int) -> str:
    group = db.get_or_404(PeerGroup, group_id)
    page = paginate(service.sessions_of(group))
    counts = service.attendance_counts(current_user, [s.id for s in page.items])
    stats = service.group_stats(current_user, [group.id])[group.id]
    return render_template(
        "caseload/groups/detail.html",
        group=group,
        page=page,
        counts=counts,
        stats=stats,
        kind=GroupKind(group.kind),
        may_manage=policy.allows(current_user, "group.manage", group),
        long_date=long_date,
    )


@bp.route("/groups/<int:group_id>/sessions/new", methods=["GET", "POST"])
@requires("caseload.groups")
def group_session_new(group_id: int) -> Response | tuple[str, int]:
    group = db.get_or_404(PeerGroup, group_id)
    policy.authorize(current_user, "group.manage", group)
    form = SessionForm()
    choices = service.attendance_choices(current_user)
    form.attendance.choices = options((c.id, c.display_name) for c in choices)
    status = 200
    if form.is_submitted() and not form.validate():
        _refuse_unoffered(form, {c.id for c in choices})
    elif form.is_submitted():
        details = _session_details(form)
        try:
            service.record_session(group, details, form.attendance.data or [], current_user)
            db.session.commit()
        except (service.DuplicateSession, IntegrityError):
            db.session.rollback()
            form.held_on.errors = [DUPLICATE_DAY]
        except service.NotAllowed:
            db.session.rollback()
            _refuse_unoffered(form, {c.id for c in service.attendance_choices(current_user)})
            form.attendance.errors = [FROM_THE_LIST]
        else:
            flash(f"The session on {long_date(details.held_on)} is saved.", "success")
            return redirect(url_for(".group_detail", group_id=group.id))
    if form.errors:
        status = 400
    return render_template(
        "caseload/groups/session_new.html", form=form, group=group, has_choices=bool(choices)
    ), status


@bp.get("/groups/<int:group_id>/sessions/<int:session_id>")
@requires("caseload.groups")
def group_session_detail(group_id: int, session_id: int) -> str:
    group, session = _session_of(group_id, session_id)
    shown = service.attendees(current_user, session)
    html = render_template(
        "caseload/groups/session.html",
        group=group,
        session=session,
        attendees=shown,
        day_text=long_date(session.held_on),
        may_manage=policy.allows(current_user, "group.manage", group),
    )
    service.note_attendance_read(current_user, session, shown)
    db.session.commit()
    return html


@bp.route("/groups/<int:group_id>/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@requires("caseload.groups")
def group_session_edit(group_id: int, session_id: int) -> Response | tuple[str, int]:
    group, session = _managed_session(group_id, session_id)
    form = SessionEditForm() if request.method == "POST" else _filled_session_form(session)
    offered = _offer(form, session)
    conflict = False
    if form.is_submitted() and not form.validate():
        _refuse_unoffered(form, offered)
    elif form.is_submitted():
        try:
            changed = service.update_session(
                session, _session_details(form), form.attendance.data or [], current_user, form.version.data
            )
            edits.commit()
        except StaleEdit:
            db.session.rollback()
            session = service.session_now(session_id)
            if session is None:
                flash(REMOVED_MEANWHILE, "info")
                return redirect(url_for(".group_detail", group_id=group.id))
            form.version.data = str(session.version)
            offered = _offer(form, session)
            conflict = True
        except (service.DuplicateSession, IntegrityError):
            db.session.rollback()
            form.held_on.errors = [DUPLICATE_DAY]
        except service.NotAllowed:
            db.session.rollback()
            _refuse_unoffered(form, _offer(form, session))
            form.attendance.errors = [FROM_THE_LIST]
        else:
            _flash_changes(session, changed)
            return redirect(url_for(".group_session_detail", group_id=group.id, session_id=session.id))
    return _render_edit(group, session, form, has_choices=bool(offered), conflict=conflict)


@bp.route("/groups/<int:group_id>/sessions/<int:session_id>/delete", methods=["GET", "POST"])
@requires("caseload.groups")
def group_session_delete(group_id: int, session_id: int) -> Response | tuple[str, int]:
    group, session = _managed_session(group_id, session_id)
    if request.method == "GET":
        form = SessionRemoveForm(formdata=None, data={"version": str(session.version)})
        return _render_remove(group, session, form, status=200)
    form = SessionRemoveForm()
    if not form.validate():
        return _render_remove(group, session, form, status=400)
    day = session.held_on
    try:
        service.remove_session(session, current_user, form.version.data)
        edits.commit()
    except StaleEdit:
        db.session.rollback()
        current = service.session_now(session_id)
        if current is None:
            flash("Someone else already removed that session.", "info")
            return redirect(url_for(".group_detail", group_id=group.id))
        form.version.data = str(current.version)
        return _render_remove(group, current, form, status=409, message=CHANGED_BEFORE_REMOVING)
    flash(f"The session on {long_date(day)} is removed, with its attendance.", "success")
    return redirect(url_for(".group_detail", group_id=group.id))


# Helpers ------------------------------------------------------------------------------------------------------


def _session_of(group_id: int, session_id: int) -> tuple[PeerGroup, GroupSession]:
    """The group and one of its sessions; an unknown group or session, or another group's session, is 404."""
    group = db.get_or_404(PeerGroup, group_id)
    session = db.get_or_404(GroupSession, session_id)
    if session.group_id != group.id:
        abort(404)
    return group, session


def _managed_session(group_id: int, session_id: int) -> tuple[PeerGroup, GroupSession]:
    group, session = _session_of(group_id, session_id)
    policy.authorize(current_user, "group.manage", group)
    return group, session


def _offer(form: SessionEditForm, session: GroupSession) -> set[int]:
    """Fill the checkboxes with the clients the person may tick and untick; returns their ids."""
    choices = service.session_choices(current_user, session)
    form.attendance.choices = options((c.id, c.display_name) for c in choices)
    return {c.id for c in choices}


def _session_details(form: SessionForm) -> service.SessionDetails:
    return service.SessionDetails(held_on=form.held_on.data, topic=form.topic.data or "", minutes=form.minutes.data)


def _filled_session_form(session: GroupSession) -> SessionEditForm:
    return SessionEditForm(
        formdata=None,
        data={
            "held_on": session.held_on,
            "topic": session.topic,
            "minutes": session.minutes,
            "attendance": [client.id for client in service.attendees(current_user, session)],
            "version": str(session.version),
        },
    )


def _flash_changes(session: GroupSession, changed: list[str]) -> None:
    if not changed:
        flash("Nothing was changed.", "info")
        return
    labels = ", ".join(service.SESSION_FIELD_LABELS[name].lower() for name in changed)
    flash(f"Saved the changes to the session on {long_date(session.held_on)}: {labels}.", "success")


def _render_edit(
    group: PeerGroup, session: GroupSession, form: SessionEditForm, *, has_choices: bool, conflict: bool
) -> tuple[str, int]:
    """The form, with who came as it is now when someone else changed it; the names shown are noted as read."""
    shown = service.attendees(current_user, session)
    html = render_template(
        "caseload/groups/session_edit.html",
        form=form,
        group=group,
        session=session,
        has_choices=has_choices,
        conflict=CHANGED_WHILE_EDITING if conflict else None,
        current_attendees=shown,
        day_text=long_date(session.held_on),
    )
    service.note_attendance_read(current_user, session, shown)
    db.session.commit()
    return html, 409 if conflict else (400 if form.errors else 200)


def _render_remove(
    group: PeerGroup, session: GroupSession, form: SessionRemoveForm, *, status: int, message: str | None = None
) -> tuple[str, int]:
    if form.errors and message is None:
        message = "This form is missing a part. Reload the page and try again."
    return render_template(
        "caseload/groups/session_remove.html",
        form=form,
        group=group,
        session=session,
        day_text=long_date(session.held_on),
        message=message,
    ), status


def _refuse_unoffered(form: SessionForm, offered: set[int]) -> None:
    """Ticks for clients not on the list (a forged or stale id) are refused and audited, never saved."""
    unseen = [i for i in (form.attendance.data or []) if isinstance(i, int) and i not in offered]
    if unseen:
        _refuse_unseen_attendees(unseen)


def _refuse_unseen_attendees(client_ids: list[int]) -> None:
    """Attendance for a client the recorder may not see is refused and audited like any other refusal."""
    for client_id in client_ids:
        audit.record("access.denied", actor=current_user, record_type="client:group_attendance",
                     record_id=client_id, outcome=audit.DENIED)
    db.session.commit()
