"""The supervisor's own tools on a session record they led: deleting it while nobody has answered it, and their own
PDF copy. Anyone else, another supervisor or the co-facilitator included, is answered as for a missing record."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as HttpResponse

from core import edits, pdf, policy, timeutil
from core.errors import Refused, StaleEdit
from core.extensions import db
from core.policy import requires
from supervision.blueprint import bp
from supervision.forms import DeleteForm
from supervision.models import Kind, Meeting
from supervision.services import sessions
from supervision.views._common import load_meeting, render

CHANGED_BEFORE_DELETING = ("Someone changed this record after you opened this page, so it was not deleted. Check it "
                           "as it is now, then delete it again if you still want to.")


def _led_by_me(meeting_id: int, action: str) -> Meeting:
    meeting = load_meeting(meeting_id)
    policy.authorize(current_user, action, meeting, conceal=True)
    return meeting


def _delete_page(meeting: Meeting, form: DeleteForm, status: int = 200, message: str = "") -> tuple[str, int]:
    answered = sessions.answered_by(meeting)
    return render("supervision/session_delete.html", status, meeting=meeting, form=form, answered=answered,
                  raised=sessions.raised_at(meeting), message=message)


@bp.route("/sessions/<int:meeting_id>/delete", methods=["GET", "POST"])
@requires("supervision.log")
def session_delete(meeting_id: int) -> HttpResponse | tuple[str, int]:
    meeting = _led_by_me(meeting_id, "meeting.delete")
    if request.method == "GET":
        return _delete_page(meeting, DeleteForm(formdata=None, data={"version": meeting.version}))
    form = DeleteForm()
    if not form.validate_on_submit():
        return _delete_page(meeting, form, 400)
    day = meeting.held_on
    try:
        sessions.delete(meeting, form.version.data, current_user)
        edits.commit()
    except StaleEdit:
        db.session.rollback()
        meeting = _led_by_me(meeting_id, "meeting.delete")
        form.version.data = str(meeting.version)
        return _delete_page(meeting, form, 409, CHANGED_BEFORE_DELETING)
    except Refused as refusal:
        db.session.rollback()
        meeting = _led_by_me(meeting_id, "meeting.delete")
        return _delete_page(meeting, form, 409, str(refusal))
    flash(f"The record of the session on {timeutil.long_date(day)} is deleted.", "success")
    return redirect(url_for(".session_list"))


@bp.get("/sessions/<int:meeting_id>/supervisor-copy.pdf")
@requires("supervision.log")
def session_supervisor_pdf(meeting_id: int) -> Response:
    """The supervisor's own copy: the shared part, every attendee's answer and, for a one-to-one, the private part
    the supervisor wrote with that person (a group's private parts stay on the session's page)."""
    meeting = _led_by_me(meeting_id, "meeting.own_copy")
    sessions.read(meeting, current_user, "supervisor_pdf")
    html = render_template(
        "supervision/session_pdf_supervisor.html",
        meeting=meeting,
        answers=sessions.answers(meeting),
        private=meeting.attendees[0] if meeting.kind == Kind.ONE_TO_ONE else None,
        raised=sessions.raised_at(meeting),
        carried=sessions.carried_over(meeting, current_user),
        long_date=timeutil.long_date,
        local_time=timeutil.local_time,
        today=timeutil.today(),
    )
    document = pdf.render_pdf(html, base_url=request.url_root)
    db.session.commit()
    return pdf.inline(document, "supervision-record-supervisor.pdf")
