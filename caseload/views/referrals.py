"""Caseload routes: referral intake, the day's list for rounds, and the same-day-seen report.

Thin: read input, load the record, check it, call ``caseload.services.referrals``, commit once, redirect.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from caseload.blueprint import bp
from caseload.forms.referrals import NEW_CLIENT, DayForm, ReferralForm, ReportForm, SeenForm
from caseload.models import Client, ClientStatus, Referral, ReferralSource, Urgency
from caseload.services import clients as client_service
from caseload.services import duplicates
from caseload.services import referrals as service
from core import audit, edits, policy
from core.csvfiles import csv_response
from core.errors import StaleEdit, after_the_answer
from core.extensions import db
from core.forms import options
from core.pages import paginate
from core.policy import requires
from core.timeutil import from_local_moment, long_date
from core.timeutil import today as agency_today

DAY_PAGE_SIZE = 50


# Small helpers shared by the caseload areas in this package ---------------------------------------------------


# Taking a referral --------------------------------------------------------------------------------------------


def _describe(client: Client) -> str:
    parts = [client.display_name]
    if client.date_of_birth:
        parts.append(f"born {client.date_of_birth.day} {client.date_of_birth.strftime('%B %Y')}")
    parts.append(client.program.name if client.program else "no program")
    parts.append(ClientStatus(client.status).label.lower())
    return ", ".join(parts)


@bp.route("/referrals/new", methods=["GET", "POST"])
@requires("caseload.referrals")
def referral_new() -> Response | tuple[str, int]:
    form = ReferralForm()
    form.program.choices = options([("", "Choose a program"), *((p.id, p.name) for p in service.programs())])
    if request.method == "GET":
        form.program.data = service.default_program_id(current_user)
    matches: list[Client] = []
    status = 200
    conflict = False
    if form.validate_on_submit():
        matches = service.matching_clients(current_user, form.name.data, form.date_of_birth.data)
        choice = form.match.data or ""
        existing: Client | None = None
        ready = False
        if matches:
            form.match.choices = options([
                *((str(c.id), f"Yes: add this referral to {_describe(c)}") for c in matches),
                (NEW_CLIENT, "No, this is someone else: add them as a new client"),
            ])
            by_id = {str(c.id): c for c in matches}
            if choice == NEW_CLIENT:
                ready = True
            elif choice in by_id:
                existing, ready = by_id[choice], True
            elif choice:
                _refuse_unseen_client(choice)
                form.match.errors = ["Choose one of the people listed, or choose to add a new client."]
                status = 400
        elif choice and choice != NEW_CLIENT:
            _refuse_unseen_client(choice)
            form.match.errors = [
                "The details no longer match a client you can see. Check them, then save again to add a new client."
            ]
            form.match.data = ""
            status = 400
        else:
            ready = True
        if ready:
            if existing is not None:
                policy.authorize(current_user, "client.edit", existing, conceal=True)
            details = service.Details(
                source=form.source.data,
                reason=form.reason.data,
                urgency=form.urgency.data,
                received_at=from_local_moment(form.received_at.data),
            )
            person = service.Person(
                name=form.name.data,
                preferred_name=form.preferred_name.data or "",
                date_of_birth=form.date_of_birth.data,
                phone=form.phone.data or "",
                program_id=form.program.data,
            )
            try:
                referral = service.take_referral(details, person, current_user, existing=existing)
                edits.commit()
            except StaleEdit:
                db.session.rollback()
                conflict, status = True, 409
            else:
                day = referral.received_on
                flash(f"The referral is saved. It is on the list for rounds on {long_date(day)}.", "success")
                saved = redirect(url_for(".referrals_today", day=day.isoformat(), _anchor=f"referral-{referral.id}"))
                if existing is not None:
                    return saved
                # A new record: possible duplicates of a protected record are checked once the answer has gone out.
                return after_the_answer(saved, duplicates.check_later(referral.client_id, current_user.id))
    elif form.errors:
        status = 400
    html = render_template("caseload/referrals/new.html", form=form, matches=matches, conflict=conflict)
    if matches:
        for client in matches:  # the taker was shown these clients' details
            client_service.record_read(client, current_user, "referral match")
        db.session.commit()
    return html, status


# The day's list for rounds ------------------------------------------------------------------------------------


def _chosen_day() -> tuple[date, str | None]:
    today = agency_today()
    form = DayForm(request.args)
    if not request.args.get("day"):
        return today, None
    if not form.validate() or form.day.data is None:
        return today, "We could not read that date, so today's list is shown. Enter the date as year-month-day."
    if not service.in_range(form.day.data):
        return today, "That date is outside the range we keep lists for, so today's list is shown."
    return form.day.data, None


def _render_day(day: date, *, message: str | None = None, status: int = 200) -> tuple[str, int]:
    page = paginate(service.day_list(current_user, day), per_page=DAY_PAGE_SIZE)
    html = render_template(
        "caseload/referrals/today.html",
        page=page,
        day=day,
        day_text=long_date(day),
        today=agency_today(),
        previous_day=day - timedelta(days=1),
        next_day=day + timedelta(days=1),
        message=message,
        seen_form=SeenForm(),
        sources=ReferralSource,
        urgencies=Urgency,
        seen_words=service.seen_words,
    )
    # Audited after rendering: the commit expires what was loaded, and the page must not reload it row by row.
    service.note_list_read(page.items, current_user, "referral.list_viewed", day)
    db.session.commit()
    return html, status


@bp.get("/referrals")
@requires("caseload.referrals")
def referrals_today() -> tuple[str, int]:
    day, problem = _chosen_day()
    return _render_day(day, message=problem, status=400 if problem else 200)


@bp.get("/referrals/export.csv")
@requires("caseload.referrals")
def referrals_export() -> Response | tuple[str, int]:
    day, problem = _chosen_day()
    if problem:
        return _render_day(day, message=problem, status=400)
    referrals = list(db.session.scalars(service.day_list(current_user, day)))
    response = csv_response(service.csv_rows(referrals), f"referrals-{day.isoformat()}.csv")
    service.note_list_read(referrals, current_user, "referral.exported", day)
    db.session.commit()
    return response


def _mark(referral_id: int, *, seen: bool) -> Response | tuple[str, int]:
    statement = select(Referral).join(Client, Client.id == Referral.client_id).where(Referral.id == referral_id)
    referral = db.session.scalar(policy.scope(statement, current_user, "client.edit", Client))
    if referral is None:  # another person's hidden client and a missing referral alike: one query, one refusal
        policy.refuse(current_user, "Referral:client.edit", referral_id, status=404)
    day = referral.received_on
    form = SeenForm()
    if not form.validate_on_submit():
        return _render_day(day, message="That button's form was incomplete. Reload the page and try again.",
                           status=400)
    try:
        service.mark_seen(referral, current_user, version=form.version.data, seen=seen)
        edits.commit()
    except StaleEdit:
        db.session.rollback()
        return _render_day(
            day,
            message="Someone else updated this referral first. The list below shows it as it is now; "
            "press the button again if it still needs changing.",
            status=409,
        )
    flash("Saved: seen today." if seen else "Saved: not seen today.", "success")
    return redirect(url_for(".referrals_today", day=day.isoformat(), _anchor=f"referral-{referral.id}"))


@bp.post("/referrals/<int:referral_id>/seen")
@requires("caseload.referrals")
def referral_seen(referral_id: int) -> Response | tuple[str, int]:
    return _mark(referral_id, seen=True)


@bp.post("/referrals/<int:referral_id>/not-seen")
@requires("caseload.referrals")
def referral_not_seen(referral_id: int) -> Response | tuple[str, int]:
    return _mark(referral_id, seen=False)


# The same-day-seen report -------------------------------------------------------------------------------------


def _report_range() -> tuple[ReportForm, date, date, bool]:
    form = ReportForm(request.args)
    start, end = service.default_range()
    if not request.args.get("start") and not request.args.get("end"):
        return form, start, end, True
    if not form.validate():
        return form, start, end, False
    chosen_start = form.start.data or start
    chosen_end = form.end.data or end
    if chosen_end < chosen_start:
        form.end.errors = ["The end date must be the same as or after the start date."]
        return form, start, end, False
    if not (service.in_range(chosen_start) and service.in_range(chosen_end)):
        form.start.errors = ["Choose dates from the year 2000 up to next year."]
        return form, start, end, False
    if (chosen_end - chosen_start).days > 366 * 10:
        form.end.errors = ["Choose a range of ten years or less."]
        return form, start, end, False
    return form, chosen_start, chosen_end, True


@bp.get("/referrals/report")
@requires("caseload.referrals")
def referrals_report() -> tuple[str, int]:
    form, start, end, ok = _report_range()
    report = service.same_day_report(current_user, start, end)
    service.note_report(current_user, report, exported=False)
    db.session.commit()
    if ok:
        form.start.data, form.end.data = start, end
    return render_template(
        "caseload/referrals/report.html",
        form=form,
        report=report,
        start_text=long_date(start),
        end_text=long_date(end),
        ok=ok,
    ), 200 if ok else 400


@bp.get("/referrals/report.csv")
@requires("caseload.referrals")
def referrals_report_export() -> Response | tuple[str, int]:
    form, start, end, ok = _report_range()
    if not ok:
        return referrals_report()
    report = service.same_day_report(current_user, start, end)
    service.note_report(current_user, report, exported=True)
    db.session.commit()
    return csv_response(
        service.report_csv_rows(report), f"referrals-same-day-{start.isoformat()}-to-{end.isoformat()}.csv"
    )


def _refuse_unseen_client(choice: str) -> None:
    """A client id the taker was not offered: refuse it like any other refusal, in the audit log."""
    audit.record("access.denied", actor=current_user, record_type="client:referral_match",
                 record_id=choice[:40], outcome=audit.DENIED)
    db.session.commit()
