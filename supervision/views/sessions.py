"""Sessions: logging one, its page (the shared part, and the private part of whoever may read it), changing it,
its history, the private wellness parts, the attendee's sign-off, and an attendee's own PDF copy."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as HttpResponse

from core import edits, notify, pdf, timeutil
from core.errors import InvalidInput, Refused, StaleEdit, keep_refusal
from core.extensions import db
from core.models import Staff
from core.pages import paginate
from core.policy import requires, scope
from supervision.blueprint import bp
from supervision.forms import AnswerForm, CloseItemForm, EditForm, PrivateForm, SessionForm
from supervision.models import Meeting
from supervision.services import sessions, topics
from supervision.services.sessions import NewItem, SessionDetails
from supervision.views._common import load_attendee, load_meeting, own_attendance, render, show_problems


def _items(form: Any) -> list[NewItem]:
    return [
        NewItem(row.form.text.data, row.form.owner.data or "", row.form.due_on.data, row=number)
        for number, row in enumerate(form.items)
        if row.form.text.data
    ]


def _details(form: Any, **people: Any) -> SessionDetails:
    return SessionDetails(
        held_on=form.held_on.data,
        starts_at=form.starts_at.data,
        duration_minutes=form.duration_minutes.data,
        format=form.format.data or "",
        topics=list(form.topics.data or []),
        notes=form.notes.data or "",
        decisions=form.decisions.data or "",
        items=_items(form),
        **people,
    )


def _tell_attendees(meeting: Meeting, text: str) -> None:
    """A notice to each attendee, with a link and no content."""
    people = [attendee.staff for attendee in meeting.attendees]
    link = url_for("supervision.session", meeting_id=meeting.id)
    notify.notify(
        people,
        text,
        link,
        email_subject="A supervision record to read and sign off",
        email_body=f"{text}\n\nSign in to PeerWorks to read it.",
    )


@bp.route("/sessions/new", methods=["GET", "POST"])
@requires("supervision.log")
def session_new() -> HttpResponse | tuple[str, int]:
    reports = sessions.supervisees(current_user)
    form = SessionForm()
    form.offer_people(reports, sessions.co_facilitators(current_user))
    form.offer(topics.names(), sessions.owner_choices(reports))
    if request.method == "GET":
        form.held_on.data = timeutil.today()
        form.duration_minutes.data = 60
        form.format.data = "in_person"
        form.attendee_ids.data = [int(raw) for raw in request.args.getlist("with") if raw.isdigit() and len(raw) < 10]
        form.topics.data = [name for name in request.args.getlist("topic") if name in topics.names()]
    elif form.validate_on_submit():
        details = _details(
            form,
            kind=form.kind.data,
            attendee_ids=list(form.attendee_ids.data or []),
            co_facilitator_id=form.co_facilitator_id.data,
        )
        try:
            meeting = sessions.log(details, current_user)
            _tell_attendees(meeting, f"{current_user.name} logged a supervision session with you: read it and sign it.")
            db.session.commit()
        except InvalidInput as error:
            db.session.rollback()
            general = show_problems(form, error.problems)
            return render(
                "supervision/session_form.html", 400, form=form, meeting=None, general=general, reports=reports
            )
        flash("Logged. Each attendee is asked to read it and sign it off.", "success")
        return redirect(url_for(".session", meeting_id=meeting.id))
    status = 400 if request.method == "POST" else 200
    return render("supervision/session_form.html", status, form=form, meeting=None, general=[], reports=reports)


def _answer_state(meeting: Meeting) -> dict[str, Any]:
    """What the viewer may know of sign-offs and private parts on this page."""
    me = sessions.attendee_of(meeting, current_user.id)
    leads = current_user.id == meeting.supervisor_id
    answers = sessions.answers(meeting) if (leads or me is not None) else {}
    if not leads and me is not None:
        answers = {me.id: answers[me.id]} if me.id in answers else {}
    return {"me": me, "leads": leads, "answers": answers}


@bp.get("/sessions/<int:meeting_id>")
@requires("supervision.view")
def session(meeting_id: int) -> tuple[str, int]:
    meeting = load_meeting(meeting_id)
    sessions.read(meeting, current_user)
    db.session.commit()
    return _session_page(meeting)


def _session_page(meeting: Meeting, status: int = 200, **extra: Any) -> tuple[str, int]:
    state = _answer_state(meeting)
    me = state["me"]
    return render(
        "supervision/session.html",
        status,
        meeting=meeting,
        raised=sessions.raised_at(meeting),
        carried=sessions.carried_over(meeting, current_user),
        answer_form=extra.pop("answer_form", None) or AnswerForm(formdata=None, data={"revision": meeting.revision}),
        close_form=CloseItemForm(formdata=None),
        may_close=sessions.closer(current_user),
        private_parts=[me] if me is not None else (meeting.attendees if state["leads"] else []),
        **state,
        **extra,
    )


def _edit_data(meeting: Meeting) -> dict[str, Any]:
    local = timeutil.local_naive(meeting.held_at)
    return {
        "held_on": meeting.held_on,
        "starts_at": local.time(),
        "duration_minutes": meeting.duration_minutes,
        "format": meeting.format,
        "topics": meeting.topic_list,
        "notes": meeting.notes,
        "decisions": meeting.decisions,
        "version": meeting.version,
    }


@bp.route("/sessions/<int:meeting_id>/edit", methods=["GET", "POST"])
@requires("supervision.log")
def session_edit(meeting_id: int) -> HttpResponse | tuple[str, int]:
    meeting = load_meeting(meeting_id, "meeting.edit")
    people = [attendee.staff for attendee in meeting.attendees]
    form = EditForm() if request.method == "POST" else EditForm(formdata=None, data=_edit_data(meeting))
    form.offer(topics.names(), sessions.owner_choices(people))
    if request.method == "GET":
        sessions.read(meeting, current_user)
        db.session.commit()
        return render("supervision/session_form.html", form=form, meeting=meeting, general=[], reports=people)
    if form.validate_on_submit():
        try:
            again = sessions.edit(meeting, _details(form), form.version.data, current_user)
            if again:
                _tell_attendees(meeting, f"{current_user.name} changed a supervision record you signed: read it again.")
            edits.commit()
        except InvalidInput as error:
            db.session.rollback()
            general = show_problems(form, error.problems)
            return render("supervision/session_form.html", 400, form=form, meeting=meeting, general=general,
                          reports=people)
        except StaleEdit:
            db.session.rollback()
            meeting = load_meeting(meeting_id, "meeting.edit")
            form.version.data = str(meeting.version)
            now = [
                ("Day", timeutil.long_date(meeting.held_on)),
                ("Length", f"{meeting.duration_minutes} minutes"),
                ("Topics", ", ".join(meeting.topic_list)),
                ("Notes", meeting.notes),
                ("Decisions", meeting.decisions),
            ]
            return render("supervision/session_form.html", 409, form=form, meeting=meeting, general=[],
                          reports=people, conflict=edits.STALE_MESSAGE, now=now)
        except Refused as refusal:
            keep_refusal(refusal, current_user)
            flash(str(refusal), "error")
            return redirect(url_for(".session", meeting_id=meeting_id))
        flash("Saved. " + ("It was signed already, so each attendee is asked to sign the new version."
                           if again else ""), "success")
        return redirect(url_for(".session", meeting_id=meeting_id))
    return render("supervision/session_form.html", 400, form=form, meeting=meeting, general=[], reports=people)


@bp.get("/sessions/<int:meeting_id>/history")
@requires("supervision.view")
def session_history(meeting_id: int) -> tuple[str, int]:
    meeting = load_meeting(meeting_id)
    sessions.read(meeting, current_user, "history")
    db.session.commit()
    revisions, signoffs = sessions.history(meeting)
    state = _answer_state(meeting)
    if not state["leads"]:
        mine = state["me"].id if state["me"] is not None else None
        signoffs = [signoff for signoff in signoffs if signoff.attendee_id == mine]
    names = {attendee.id: attendee.staff.name for attendee in meeting.attendees}
    savers = {person.id: person.name for person in db.session.scalars(
        db.select(Staff).where(Staff.id.in_({r.saved_by_id for r in revisions if r.saved_by_id})))}
    return render("supervision/history.html", meeting=meeting, revisions=revisions, signoffs=signoffs, names=names,
                  savers=savers)


@bp.route("/sessions/<int:meeting_id>/private/<int:attendee_id>", methods=["GET", "POST"])
@requires("supervision.log")
def private_edit(meeting_id: int, attendee_id: int) -> HttpResponse | tuple[str, int]:
    meeting = load_meeting(meeting_id, "meeting.edit")
    attendee = load_attendee(meeting, attendee_id, "attendee.private")
    form = PrivateForm() if request.method == "POST" else PrivateForm(
        formdata=None, data={"note": attendee.private_note, "version": attendee.version})
    if request.method == "GET":
        sessions.read(meeting, current_user, "private")
        db.session.commit()
        return render("supervision/private_form.html", form=form, meeting=meeting, attendee=attendee)
    if form.validate_on_submit():
        try:
            sessions.write_private(meeting, attendee, form.note.data or "", form.version.data, current_user)
            edits.commit()
        except StaleEdit:
            db.session.rollback()
            meeting = load_meeting(meeting_id, "meeting.edit")
            attendee = load_attendee(meeting, attendee_id, "attendee.private")
            form.version.data = str(attendee.version)
            now = [("Private wellness notes", attendee.private_note)]
            return render("supervision/private_form.html", 409, form=form, meeting=meeting, attendee=attendee,
                          conflict=edits.STALE_MESSAGE, now=now)
        except Refused as refusal:
            keep_refusal(refusal, current_user)
            flash(str(refusal), "error")
            return redirect(url_for(".session", meeting_id=meeting_id))
        flash(f"Saved. Only {attendee.staff.name} and you can read it.", "success")
        return redirect(url_for(".session", meeting_id=meeting_id))
    return render("supervision/private_form.html", 400, form=form, meeting=meeting, attendee=attendee)


@bp.post("/sessions/<int:meeting_id>/answer")
@requires("supervision.view")
def answer(meeting_id: int) -> HttpResponse | tuple[str, int]:
    meeting = load_meeting(meeting_id)
    me = own_attendance(meeting, "attendee.answer")
    form = AnswerForm()
    agrees = request.form.get("answer") != "disagree"
    if not form.validate_on_submit():
        return _session_page(meeting, 400, answer_form=form)
    try:
        sessions.answer(meeting, me, form.revision.data, agrees, form.comment.data or "", current_user)
        db.session.commit()
    except InvalidInput as error:
        db.session.rollback()
        show_problems(form, error.problems)
        return _session_page(meeting, 400, answer_form=form)
    except Refused as refusal:
        keep_refusal(refusal, current_user)
        flash(str(refusal), "error")
        return redirect(url_for(".session", meeting_id=meeting_id))
    flash("Signed off. Thank you." if agrees else "Your comment is saved with the record; your supervisor can read it.",
          "success")
    return redirect(url_for(".session", meeting_id=meeting_id))


@bp.get("/sessions/<int:meeting_id>/record.pdf")
@requires("supervision.view")
def session_pdf(meeting_id: int) -> Response:
    """An attendee's own copy: the shared part and their own private part, nobody else's."""
    meeting = load_meeting(meeting_id)
    me = own_attendance(meeting, "attendee.private")
    sessions.read(meeting, current_user, "pdf")
    answers = sessions.answers(meeting)
    html = render_template(
        "supervision/session_pdf.html",
        meeting=meeting,
        me=me,
        answer=answers.get(me.id),
        raised=sessions.raised_at(meeting),
        carried=sessions.carried_over(meeting, current_user),
        long_date=timeutil.long_date,
        local_time=timeutil.local_time,
        today=timeutil.today(),
    )
    document = pdf.render_pdf(html, base_url=request.url_root)
    db.session.commit()
    return pdf.inline(document, "supervision-record.pdf")


@bp.get("/sessions")
@requires("supervision.view")
def session_list() -> tuple[str, int]:
    statement = scope(db.select(Meeting), current_user, "meeting.view", Meeting).order_by(
        Meeting.held_at.desc(), Meeting.id.desc()
    )
    return render("supervision/sessions.html", page=paginate(statement))
