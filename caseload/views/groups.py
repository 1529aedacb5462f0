"""Caseload routes: peer-led groups, their sessions and attendance.

Thin: read input, load the record, check it, call ``caseload.services.groups``, commit once, redirect.
"""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from caseload.forms.groups import GroupFilterForm, GroupForm, SessionForm
from caseload.forms.referrals import options
from caseload.models import GroupKind, GroupSession, PeerGroup
from caseload.services import groups as service
from caseload.views import bp
from caseload.views.referrals import long_date, page_number
from core import audit, policy
from core.extensions import db
from core.policy import requires


def _page_size() -> int:
    return int(current_app.config["PAGE_SIZE"])


@bp.get("/groups")
@requires("caseload.groups")
def groups() -> tuple[str, int]:
    form = GroupFilterForm(request.args)
    valid = form.validate()
    q = "" if form.q.errors else (form.q.data or "")
    kind = "" if form.kind.errors else (form.kind.data or "")
    page = db.paginate(service.group_list(q, kind), page=page_number(), per_page=_page_size(), error_out=False)
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
        form = GroupForm()
    else:
        form = GroupForm(
            formdata=None,
            data={
                "name": group.name,
                "kind": group.kind,
                "facilitator": group.facilitator_id,
                "program": group.program_id,
                "meets": group.meets,
                "active": group.active,
            },
        )
    _fill_choices(form, group)
    if form.validate_on_submit():
        changed = service.update_group(group, _details(form), current_user)
        db.session.commit()
        if changed:
            labels = ", ".join(service.FIELD_LABELS[name].lower() for name in changed)
            flash(f"Saved the changes: {labels}.", "success")
        else:
            flash("Nothing was changed.", "info")
        return redirect(url_for(".group_detail", group_id=group.id))
    return render_template("caseload/groups/form.html", form=form, group=group), 400 if form.errors else 200


@bp.get("/groups/<int:group_id>")
@requires("caseload.groups")
def group_detail(group_id: int) -> str:
    group = db.get_or_404(PeerGroup, group_id)
    page = db.paginate(service.sessions_of(group), page=page_number(), per_page=_page_size(), error_out=False)
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
        offered = {c.id for c in choices}
        unseen = [i for i in (form.attendance.data or []) if isinstance(i, int) and i not in offered]
        if unseen:
            _refuse_unseen_attendees(unseen)
    elif form.is_submitted():
        details = service.SessionDetails(
            held_on=form.held_on.data, topic=form.topic.data or "", minutes=form.minutes.data
        )
        try:
            service.record_session(group, details, form.attendance.data or [], current_user)
            db.session.commit()
        except (service.DuplicateSession, IntegrityError):
            db.session.rollback()
            form.held_on.errors = [
                "This group already has a session on that date. Choose another date, or check the sessions listed."
            ]
        except service.NotAllowed:
            db.session.rollback()
            still_offered = {c.id for c in service.attendance_choices(current_user)}
            _refuse_unseen_attendees([i for i in form.attendance.data or [] if i not in still_offered])
            form.attendance.errors = ["Choose people from the list only. Reload the page to see the current list."]
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
    group = db.get_or_404(PeerGroup, group_id)
    session = db.get_or_404(GroupSession, session_id)
    if session.group_id != group.id:
        abort(404)
    shown = service.attendees(current_user, session)
    html = render_template(
        "caseload/groups/session.html",
        group=group,
        session=session,
        attendees=shown,
        day_text=long_date(session.held_on),
    )
    service.note_attendance_read(current_user, session, shown)
    db.session.commit()
    return html


def _refuse_unseen_attendees(client_ids: list[int]) -> None:
    """Attendance for a client the recorder may not see is refused and audited like any other refusal."""
    for client_id in client_ids:
        audit.record("access.denied", actor=current_user, record_type="client:group_attendance",
                     record_id=client_id, outcome=audit.DENIED)
    db.session.commit()
