"""Answering a survey: the personal link, the survey itself, saving to finish later, and sending."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response as HttpResponse

from core import policy
from core.extensions import db
from core.policy import public, requires
from core.timeutil import long_date
from readiness.blueprint import bp
from readiness.forms import survey_form_class
from readiness.models import Campaign, Instrument, Invitation, Item, ItemKind, RoleGroup, TenureBand
from readiness.services import answering, ballots, thresholds
from readiness.services import campaigns as campaign_service
from readiness.views._common import load_instrument, render

# Answering ----------------------------------------------------------------------------------------------------


def _problem_page(problem: answering.Problem) -> tuple[str, int]:
    return render("readiness/survey_problem.html", problem.status, problem=problem)


# The survey's one address. The request log (method, path, time to the second) must not say whose survey was sent
# or opened: so the address carries no invitation id and no token. Which survey a GET shows is kept in the signed
# session cookie (SURVEY_KEY) after the person opens their personal link or presses "Answer the survey"; a POST
# carries the invitation id in its form body, so two surveys open in two tabs never mix. See readiness/ANONYMITY.md.
SURVEY_KEY = "readiness_survey"
# The emailed link's token, from its one request until the token-free address below reads it.
LINK_KEY = "readiness_link"
MAX_TOKEN = 200
# The fixed addresses under /readiness/survey/: every other segment there is a personal token (core/logs.py).
FIXED_SURVEY_WORDS = ("link", "open")


@bp.get("/survey/<token>")
@public
def survey_link(token: str) -> HttpResponse:
    """The personal link from the email: its token goes into the signed session cookie and the browser moves on at
    once to ``/readiness/survey/link``, so the token is in one request line only (and request logs hide it, see
    core/logs.py), never in a sign-in page's ``next=``, a Referer, or the address of a page that is shown. It reads
    nothing, so it needs no sign-in: the next address checks the person."""
    session[LINK_KEY] = token[:MAX_TOKEN]
    return redirect(url_for(".survey_from_link"))


@bp.get("/survey/link")
@requires("readiness.respond")
def survey_from_link() -> HttpResponse | tuple[str, int]:
    """The emailed link's survey, for the person it was sent to, signed in; then its one address."""
    token = session.pop(LINK_KEY, None)
    if not isinstance(token, str) or not token:
        flash("Open the link in your email again, or choose the survey under “Surveys for you”.", "info")
        return redirect(url_for(".index"))
    invitation = campaign_service.invitation_for_token(token) if len(token) < MAX_TOKEN else None
    if invitation is None or invitation.staff_id != current_user.id:
        return _problem_page(answering.FORGED)
    problem = answering.problem_with(invitation, campaign_service.today())
    if problem is not None:
        return _problem_page(problem)
    session[SURVEY_KEY] = invitation.id
    return redirect(url_for(".survey"))


def _posted_invitation() -> Invitation:
    """The invitation named in a form's body (``invitation``), or 404: a missing, malformed or too large id, and
    someone else's invitation, all answer like a survey that does not exist."""
    raw = request.form.get("invitation", "")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10 or int(raw) > 2**31 - 1:
        abort(404)
    return _own_invitation(int(raw))


def _own_invitation(invitation_id: int) -> Invitation:
    invitation = db.get_or_404(Invitation, invitation_id)
    policy.authorize(current_user, "invitation.answer", invitation, conceal=True)
    return invitation


@bp.post("/survey/open")
@requires("readiness.respond")
def survey_open() -> HttpResponse:
    """The "Answer the survey" button on the Readiness page: remember which survey to show, then show it at its
    one address."""
    invitation = _posted_invitation()
    session[SURVEY_KEY] = invitation.id
    return redirect(url_for(".survey"))


def _sections(instrument: Instrument) -> list[tuple[str, list[Item]]]:
    """The survey in reading order: each domain with its questions, then the questions in no domain."""
    by_domain: dict[int | None, list[Item]] = {}
    for item in instrument.items:
        by_domain.setdefault(item.domain_id, []).append(item)
    sections = [(domain.name, by_domain[domain.id]) for domain in instrument.domains if domain.id in by_domain]
    if None in by_domain:
        sections.append(("In your own words", by_domain[None]))
    return sections


def _error_groups(form: Any) -> list[tuple[str, list[Any]]]:
    """The survey's problems grouped by message ("Choose how much you agree..."), each with its questions, so a
    survey sent half-done gets a short summary instead of forty repeated sentences."""
    groups: dict[str, list[Any]] = {}
    for field in form:
        if field.errors and field.type != "CSRFTokenField":
            groups.setdefault(" ".join(field.errors), []).append(field)
    return list(groups.items())


def _release(campaign_id: int) -> None:
    """Release the wave's ballots if a batch is due, in a transaction of its own (never the one that completed the
    invitation: see readiness.services.ballots). If it fails, the answers stay safely in the ballot box and the
    scheduled ``flask readiness release`` adds them later."""
    try:
        campaign = db.session.get_one(Campaign, campaign_id)
        ballots.release(campaign, thresholds.for_campaign(campaign), campaign_service.today())
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.warning("Releasing readiness answers failed; the scheduled release will retry.")


@bp.route("/survey", methods=["GET", "POST"])
@requires("readiness.respond")
def survey() -> HttpResponse | tuple[str, int]:
    if request.method == "POST":
        invitation = _posted_invitation()
    else:
        chosen = session.get(SURVEY_KEY)
        found = db.session.get(Invitation, chosen) if isinstance(chosen, int) and 0 < chosen < 2**31 else None
        if found is None or not policy.allows(current_user, "invitation.answer", found):
            # Nothing chosen yet in this browser, or chosen by someone who signed in here before.
            session.pop(SURVEY_KEY, None)
            flash("Choose the survey to answer under “Surveys for you”.", "info")
            return redirect(url_for(".index"))
        invitation = found
    on = campaign_service.today()
    problem = answering.problem_with(invitation, on)
    if problem is not None:
        return _problem_page(problem)
    instrument = load_instrument(invitation.campaign.instrument_id)
    form_class = survey_form_class(instrument.items)
    if request.method == "POST":
        form = form_class()
        form.saving = request.form.get("action") == "save"
    else:
        form = form_class(formdata=None, data=answering.read_draft(invitation))
    if form.validate_on_submit():
        if form.saving:
            answering.save_draft(invitation, form.draft())
            db.session.commit()
            closes = long_date(invitation.campaign.closes_on)
            flash(f"Your answers so far are saved. Come back to finish them by {closes}.", "success")
            return redirect(url_for(".index"))
        submission = answering.Submission(
            answers=form.answers(instrument.items),
            role_group=form.role_group.data or RoleGroup.UNSAID,
            tenure_band=form.tenure_band.data or TenureBand.UNSAID,
        )
        campaign_id = invitation.campaign_id
        try:
            answering.submit(invitation, submission)
        except answering.AlreadyAnswered:
            db.session.rollback()
            return _problem_page(answering.Problem(
                410, "You have already sent your answers",
                "Your answers were counted once, the first time. This second copy was not counted.",
            ))
        db.session.commit()
        session.pop(SURVEY_KEY, None)
        _release(campaign_id)
        flash("Thank you. Your answers were sent, without your name.", "success")
        return redirect(url_for(".index"))
    return render(
        "readiness/survey.html", 400 if form.errors else 200, form=form, invitation=invitation,
        campaign=invitation.campaign, instrument=instrument, sections=_sections(instrument), kinds=ItemKind,
        question_count=len(instrument.items), error_groups=_error_groups(form),
        minimum=thresholds.for_campaign(invitation.campaign),
    )
