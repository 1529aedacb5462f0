"""Caseload routes: recovery plans (with the PDF the client takes home) and contact notes.

Thin: load the client, check it with the policy (``conceal=True``: a hidden record answers exactly like a missing
one), call the service, commit once, redirect. Every page that shows a client's plan or notes is a read of the
record, audited through ``record_read``.
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from wtforms.fields.choices import SelectChoice

from caseload.access import live_grant
from caseload.blueprint import bp
from caseload.forms.plans import (
    ClientNotesFilterForm,
    IndirectNoteForm,
    MyNotesFilterForm,
    NoteForm,
    PlanForm,
    add_problems,
    grouped,
    options,
)
from caseload.models import Client, Place, PlanVersion, WorkKind
from caseload.services import notes as note_service
from caseload.services import plans as plan_service
from caseload.services.clients import record_read
from core import pdf, policy
from core.errors import InvalidInput, StaleEdit
from core.extensions import db
from core.pages import paginate
from core.policy import requires

BLANK_GOAL_ROWS = 2


def _client(client_id: int, *, edit: bool = False) -> Client:
    """The client, when this person may see them (404 otherwise, like a missing record); 403 when they may see but
    not change them and ``edit`` is asked."""
    if not 0 < client_id < 2**31:  # beyond what the id column holds: no such client
        abort(404)
    client = policy.load(current_user, "client.view", Client, client_id)  # a hidden and a missing one alike
    if edit:
        policy.authorize(current_user, "client.edit", client)
    return client


def _common(client: Client) -> dict[str, object]:
    """What every plan and notes page shows about the record: who, and any emergency access in use."""
    return {
        "client": client,
        "grant": live_grant(current_user, client) if client.sealed else None,
        "may_edit": policy.allows(current_user, "client.edit", client),
    }


def _shown(template: str, status: int = 200, **context: object) -> tuple[str, int]:
    """Render the page, then commit the audit of the read. Rendering first keeps the rows just loaded from being
    expired by the commit and loaded again one by one."""
    page = render_template(template, **context)
    db.session.commit()
    return page, status


# Recovery plan ----------------------------------------------------------------------------------------------


@bp.get("/clients/<int:client_id>/plan")
@requires("caseload.clients")
def plan(client_id: int) -> tuple[str, int]:
    client = _client(client_id)
    current = plan_service.current_version(client.id)
    history = paginate(plan_service.versions_query(client.id))
    record_read(client, current_user, "plan")
    return _shown(
        "caseload/plans/plan.html",
        **_common(client),
        plan=current,
        history=history,
        terms=plan_service.TERMS,
        today=plan_service.today(),
    )


@bp.get("/clients/<int:client_id>/plan/versions/<int:number>")
@requires("caseload.clients")
def plan_version(client_id: int, number: int) -> tuple[str, int]:
    client = _client(client_id)
    shown = plan_service.version(client.id, number) if 0 < number < 2**31 else None
    if shown is None:
        abort(404)
    current = plan_service.current_version(client.id)
    record_read(client, current_user, "plan version")
    return _shown(
        "caseload/plans/plan_version.html",
        **_common(client),
        plan=shown,
        latest_number=current.number if current else 0,
        terms=plan_service.TERMS,
    )


def _form_from(current: PlanVersion | None) -> PlanForm:
    """The edit form filled from the current version, with empty rows for new goals."""
    goals = [
        {
            "goal_key": goal.goal_key,
            "term": goal.term,
            "in_own_words": goal.in_own_words,
            "interventions": goal.interventions,
            "progress": goal.progress,
            "achieved": goal.achieved,
        }
        for goal in (current.goals if current is not None else [])
    ]
    goals += [{"term": "short"} for _ in range(BLANK_GOAL_ROWS)]
    data: dict[str, object] = {"base_version": str(current.number if current is not None else 0), "goals": goals}
    if current is not None:
        data.update(
            strengths=current.strengths,
            abilities=current.abilities,
            needs=current.needs,
            preferences=current.preferences,
            # A review date already passed is left for the editor to choose again.
            review_on=current.review_on if current.review_on >= plan_service.today() else None,
        )
    return PlanForm(formdata=None, data=data)


@bp.route("/clients/<int:client_id>/plan/edit", methods=["GET", "POST"])
@requires("caseload.clients")
def plan_edit(client_id: int) -> Response | tuple[str, int]:
    client = _client(client_id, edit=True)
    current = plan_service.current_version(client.id)
    form = PlanForm() if request.method == "POST" else _form_from(current)
    status = 200
    newer: PlanVersion | None = None
    if form.validate_on_submit():
        try:
            saved = plan_service.save_plan(client, form.to_input(), current_user, base_number=form.base_version.data)
            db.session.commit()
        except InvalidInput as error:
            db.session.rollback()
            form.add_problems(error.problems)
        except (StaleEdit, IntegrityError):
            db.session.rollback()
            newer = plan_service.current_version(client.id)
            # Saving again from here replaces the newer version with what is in the form (as a new version).
            form.base_version.data = str(newer.number if newer is not None else 0)
            status = 409
        else:
            flash(f"Saved version {saved.number} of the recovery plan.", "success")
            return redirect(url_for(".plan", client_id=client.id))
    elif form.is_submitted():
        # Show every problem at once, the rules' ones included, not one round at a time.
        form.add_problems(plan_service.problems_with(form.to_input(), on=plan_service.today()), only_new=True)
    if request.method == "POST" and status == 200:
        status = 400
    record_read(client, current_user, "plan edit")
    return _shown(
        "caseload/plans/plan_edit.html",
        status,
        **_common(client),
        form=form,
        current=current if newer is None else newer,
        newer=newer,
        problems=form.problems(),
        today=plan_service.today(),
    )


@bp.get("/clients/<int:client_id>/plan.pdf")
@requires("caseload.clients")
def plan_pdf(client_id: int) -> Response:
    client = _client(client_id)
    current = plan_service.current_version(client.id)
    if current is None:
        flash("There is no recovery plan to print yet. Write one with the client first.", "info")
        return redirect(url_for(".plan", client_id=client.id))
    record_read(client, current_user, "plan pdf")
    html = render_template("caseload/plans/plan_pdf.html", client=client, plan=current, terms=plan_service.TERMS)
    document = pdf.render_pdf(html, base_url=request.url_root)
    db.session.commit()
    return Response(
        document,
        mimetype="application/pdf",
        headers={"Content-Disposition": 'inline; filename="recovery-plan.pdf"'},
    )


# Contact notes ----------------------------------------------------------------------------------------------


def _kind_filter_choices() -> list[SelectChoice]:
    return [*options([("", "Any kind of work")]), *grouped(note_service.kind_choices())]


@bp.get("/clients/<int:client_id>/notes")
@requires("caseload.clients")
def client_notes(client_id: int) -> tuple[str, int]:
    client = _client(client_id)
    form = ClientNotesFilterForm(request.args)
    form.kind.choices = _kind_filter_choices()
    form.validate()
    kind = "" if form.kind.errors else form.kind.data or ""
    page = paginate(note_service.client_notes_query(client, current_user, kind=kind))
    goals = plan_service.goal_words(client.id, (note.goal_key for note in page.items if note.goal_key))
    record_read(client, current_user, "notes")
    return _shown(
        "caseload/plans/notes.html",
        **_common(client),
        form=form,
        kind=kind,
        page=page,
        args={"client_id": client.id, **({"kind": kind} if kind else {})},
        goals=goals,
        kinds=WorkKind,
        places=Place,
    )


def _fill_note_choices(form: NoteForm, client: Client) -> None:
    form.kind.choices = [*options([("", "Choose the kind of work")]), *grouped(note_service.kind_choices())]
    form.goal_key.choices = options([("", "No particular goal"), *plan_service.goal_choices(client.id)])
    form.resource_id.choices = options([("", "None"), *note_service.resource_choices()])


@bp.route("/clients/<int:client_id>/notes/new", methods=["GET", "POST"])
@requires("caseload.clients")
def note_new(client_id: int) -> Response | tuple[str, int]:
    client = _client(client_id, edit=True)
    if request.method == "POST":
        form = NoteForm()
    else:
        form = NoteForm(formdata=None, data={"happened_on": plan_service.today()})
    _fill_note_choices(form, client)
    if form.validate_on_submit():
        try:
            note_service.add_note(client, form.to_input(), current_user)
            db.session.commit()
        except InvalidInput as error:
            db.session.rollback()
            add_problems(form, error.problems)
        else:
            flash("Saved the contact note.", "success")
            return redirect(url_for(".client_notes", client_id=client.id))
    elif form.is_submitted():
        add_problems(form, note_service.problems_with(form.to_input(), client, on=plan_service.today()), only_new=True)
    record_read(client, current_user, "note form")
    return _shown(
        "caseload/plans/note_new.html",
        400 if form.errors else 200,
        **_common(client),
        form=form,
        today=plan_service.today(),
    )


@bp.get("/notes")
@requires("caseload.clients")
def my_notes() -> str:
    form = MyNotesFilterForm(request.args)
    form.kind.choices = _kind_filter_choices()
    form.validate()
    filters = form.filters()
    page = paginate(note_service.own_notes_query(current_user, filters))
    total, direct = note_service.own_minutes(current_user, filters)
    names = note_service.client_names((note.client_id for note in page.items if note.client_id), current_user)
    args = {
        key: value
        for key, value in {
            "kind": filters.kind,
            "start": filters.start.isoformat() if filters.start else "",
            "end": filters.end.isoformat() if filters.end else "",
        }.items()
        if value
    }
    return render_template(
        "caseload/plans/my_notes.html",
        form=form,
        page=page,
        args=args,
        names=names,
        total=total,
        direct=direct,
        kinds=WorkKind,
        places=Place,
    )


@bp.route("/notes/indirect/new", methods=["GET", "POST"])
@requires("caseload.clients")
def indirect_note_new() -> Response | tuple[str, int]:
    if request.method == "POST":
        form = IndirectNoteForm()
    else:
        form = IndirectNoteForm(formdata=None, data={"happened_on": plan_service.today()})
    form.kind.choices = [
        *options([("", "Choose the kind of work")]),
        *grouped(note_service.kind_choices(indirect_only=True)),
    ]
    if form.validate_on_submit():
        try:
            note_service.add_note(None, form.to_input(), current_user)
            db.session.commit()
        except InvalidInput as error:
            db.session.rollback()
            add_problems(form, error.problems)
        else:
            flash("Saved your indirect work.", "success")
            return redirect(url_for(".my_notes"))
    elif form.is_submitted():
        add_problems(form, note_service.problems_with(form.to_input(), None, on=plan_service.today()), only_new=True)
    return render_template(
        "caseload/plans/indirect_note_new.html", form=form, today=plan_service.today()
    ), 400 if form.errors else 200

