"""Caseload routes: emergency access ("break the glass"). A provider asks for it and opens the record under a live
grant; the privacy officer and the administrator review each use and record a finding.

Thin: load the record, check the policy, call the service, commit once, redirect.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, flash, make_response, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user
from sqlalchemy import select

from caseload.blueprint import bp
from caseload.forms.safeguards import EmergencyForm, FindingForm
from caseload.models import Client, EmergencyGrant, GrantPurpose
from caseload.services import emergency as service
from caseload.services import safeguard_queries as queries
from caseload.services.clients import active_assignments, record_read
from core import policy
from core.errors import RefusalEntry, Refused, after_the_answer, keep_refusal
from core.extensions import db, limiter
from core.pages import paginate
from core.policy import requires
from core.text import counting_rule
from core.timeutil import utcnow

EMERGENCY_LIMIT = "5 per 15 minutes"


# Emergency access review ------------------------------------------------------------------------------------------

@bp.get("/safeguards/grants")
@requires("caseload.safeguards")
def safeguards_queue() -> str:
    page = paginate(queries.review_queue(current_user))
    return render_template("caseload/safeguards/queue.html", page=page, now=utcnow(),
                           purposes=dict(GrantPurpose.choices()))


def _reviewable_grant(grant_id: int) -> EmergencyGrant:
    """A grant on a record the person handles; a grant on another record and a missing one take the same path."""
    statement = select(EmergencyGrant).join(Client, Client.id == EmergencyGrant.client_id).where(
        EmergencyGrant.id == grant_id)
    grant = db.session.scalar(policy.scope(statement, current_user, "client.safeguard", Client))
    if grant is None:
        policy.refuse(current_user, "EmergencyGrant:client.safeguard", grant_id, status=404)
    return grant  # type: ignore[return-value]


def _render_grant(grant: EmergencyGrant, form: FindingForm, message: str = "", status: int = 200) -> tuple[str, int]:
    reads = paginate(queries.reads_under(grant))
    return render_template(
        "caseload/safeguards/grant.html",
        grant=grant,
        form=form,
        reads=reads,
        may_review=policy.allows(current_user, "grant.review", grant),
        purpose=GrantPurpose(grant.purpose).label,
        message=message,
        now=utcnow(),
    ), status


@bp.route("/safeguards/grants/<int:grant_id>", methods=["GET", "POST"])
@requires("caseload.safeguards")
def safeguards_grant(grant_id: int) -> Response | tuple[str, int]:
    grant = _reviewable_grant(grant_id)
    if request.method == "GET":
        return _render_grant(grant, FindingForm(formdata=None))
    policy.authorize(current_user, "grant.review", grant)
    form = FindingForm()
    if not form.validate_on_submit():
        return _render_grant(grant, form, status=400)
    try:
        service.review_grant(grant, form.finding.data, current_user)
        db.session.commit()
    except Refused as error:
        keep_refusal(error, current_user)
        return _render_grant(grant, form, message=str(error), status=409)
    flash("Your finding is recorded and this use of emergency access is closed.", "success")
    return redirect(url_for(".safeguards_queue"))


# Emergency access (break-glass) for providers --------------------------------------------------------------------

def _emergency_key() -> str:
    if current_user.is_authenticated:
        return f"emergency:{current_user.id}"
    return f"emergency-anonymous:{get_remote_address()}"


def _emergency_throttled(_limit: Any) -> None:
    """Audit the refusal; the 429 page shows the flashed words about how long to wait."""
    keep_refusal(Refused("Too many tries.", entry=RefusalEntry("emergency.throttled", detail="too many tries")),
                 current_user if current_user.is_authenticated else None)
    flash("You have asked for emergency access 5 times in 15 minutes. Wait 15 minutes and try again, or call the "
          "privacy officer. In a crisis, follow your crisis procedure first.", "error")


def _answered() -> Response:
    """The one answer to a request that got past the form, whether a record was opened or not: the grants list,
    where an opened record shows."""
    flash(service.ANSWER, "info")
    return redirect(url_for(".emergency_grants"))


def _record_url(grant: EmergencyGrant) -> str:
    return url_for(".client_detail", client_id=grant.client_id)


@bp.route("/emergency", methods=["GET", "POST"])
@requires("caseload.emergency")
@limiter.limit(EMERGENCY_LIMIT, key_func=_emergency_key, methods=["POST"], on_breach=_emergency_throttled)
def emergency_access() -> Response:
    form = EmergencyForm()
    message, status = "", 200
    afterwards: Callable[[], None] | None = None  # a refusal's urgent notice, sent once the answer has gone out
    if form.validate_on_submit():
        grant_request = service.GrantRequest(
            name=form.name.data,
            date_of_birth=form.date_of_birth.data,
            purpose=form.purpose.data,
            reason=form.reason.data,
            password=form.password.data,
        )
        try:
            # A path, never an address built from the request's Host header, which the requester chooses.
            service.start_emergency_access(current_user, grant_request, review_link=url_for(".safeguards_queue"))
            db.session.commit()
        except service.WrongPassword as error:
            keep_refusal(error, current_user)
            form.password.errors = [*form.password.errors, str(error)]
            status = 400
        except service.NothingOpened as error:
            keep_refusal(error, current_user)
            answer = _answered()
            return after_the_answer(answer, error.afterwards) if error.afterwards is not None else answer
        except Refused as error:
            keep_refusal(error, current_user)
            message, status, afterwards = str(error), 409, error.afterwards
        else:
            return _answered()
    elif request.method == "POST":
        failing = ", ".join(sorted(name for name in form.errors if name != "csrf_token")) or "form"
        keep_refusal(Refused("Incomplete.", entry=RefusalEntry("emergency.refused", detail=f"incomplete: {failing}")),
                     current_user)
        status = 400
    form.password.data = ""
    page = make_response(render_template(
        "caseload/safeguards/emergency.html", form=form, message=message, min_reason=service.MIN_REASON,
        counting=counting_rule(), hours=service.GRANT_HOURS,
    ), status)
    return after_the_answer(page, afterwards) if afterwards is not None else page


@bp.get("/emergency/grants")
@requires("caseload.emergency")
def emergency_grants() -> str:
    page = paginate(queries.own_grants(current_user))
    named = queries.still_visible(current_user, [grant.client_id for grant in page.items])
    return render_template("caseload/safeguards/emergency_grants.html", page=page, now=utcnow(),
                           purposes=dict(GrantPurpose.choices()), named=named)


def _own_grant(grant_id: int) -> EmergencyGrant:
    grant = db.session.get(EmergencyGrant, grant_id)
    if grant is None or grant.staff_id != current_user.id:
        policy.refuse(current_user, "EmergencyGrant:own", grant_id, status=404)
    return grant  # type: ignore[return-value]


@bp.get("/emergency/grants/<int:grant_id>")
@requires("caseload.emergency")
def emergency_grant(grant_id: int) -> str:
    """The record opened under a live grant. Once the grant has ended or expired it is 404 again."""
    grant = _own_grant(grant_id)
    if grant.ended_at is not None or grant.expires_at <= utcnow():
        policy.refuse(current_user, "EmergencyGrant:expired", grant_id, status=404)
    client = grant.client
    policy.authorize(current_user, "client.view", client, conceal=True)
    record_read(client, current_user, "emergency access")
    db.session.commit()
    return render_template(
        "caseload/safeguards/emergency_grant.html",
        grant=grant,
        client=client,
        assignments=active_assignments([client.id])[client.id],
        purpose=GrantPurpose(grant.purpose).label,
        record_url=_record_url(grant),
    )


@bp.post("/emergency/grants/<int:grant_id>/end")
@requires("caseload.emergency")
def emergency_end(grant_id: int) -> Response:
    grant = _own_grant(grant_id)
    if grant.ended_at is None and grant.expires_at > utcnow():
        service.end_grant(grant, current_user)
        db.session.commit()
        flash("Emergency access has ended. The record is closed to you again.", "success")
    else:
        flash("This emergency access had already ended.", "info")
    return redirect(url_for(".emergency_grants"))


