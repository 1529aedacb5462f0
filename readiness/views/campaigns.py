"""The readiness page (surveys for you, campaigns for HR) and campaigns: create, change, send, copy into a new
wave."""

from __future__ import annotations

from dataclasses import replace

from flask import flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as HttpResponse

from core import edits, policy
from core.errors import StaleEdit
from core.extensions import db
from core.forms import options
from core.pages import paginate
from core.policy import requires
from core.timeutil import long_date
from readiness.blueprint import bp
from readiness.forms import CampaignForm, WaveForm
from readiness.models import Campaign, Instrument, InvitationStatus
from readiness.services import campaigns as campaign_service
from readiness.services import instruments as instrument_service
from readiness.services import results as results_service
from readiness.services import thresholds
from readiness.services.default_instrument import NAME as DEFAULT_NAME
from readiness.services.default_instrument import ensure_default_instrument, find_default_instrument
from readiness.views._common import render, show_problems

DEFAULT_CHOICE = "default"


# The readiness page: surveys for you, and campaigns for HR ------------------------------------------------------


@bp.get("/")
@requires("readiness.view")
def index() -> tuple[str, int]:
    on = campaign_service.today()
    mine = campaign_service.my_invitations(current_user, on)
    page = participation = None
    if policy.can(current_user, "readiness.manage"):
        page = paginate(campaign_service.campaign_list())
        participation = campaign_service.participation([campaign.id for campaign in page.items])
    return render("readiness/index.html", mine=mine, page=page, participation=participation, today=on,
                  statuses=InvitationStatus)


# Campaigns ----------------------------------------------------------------------------------------------------


def _instrument_choices(current: Instrument | None = None) -> list[tuple[str, str]]:
    choices = [(str(i.id), str(i)) for i in db.session.scalars(instrument_service.newest_versions())]
    if current is not None and str(current.id) not in {value for value, _ in choices}:
        choices.append((str(current.id), f"{current} (older version)"))
    if find_default_instrument() is None:
        choices.insert(0, (DEFAULT_CHOICE, f"{DEFAULT_NAME} (ships with PeerWorks)"))
    return choices


def _fill_scope_choices(form: CampaignForm) -> list:
    programs = campaign_service.programs_with_teams()
    if form.programs is not None:
        form.programs.choices = options((p.id, f"{p.name} ({p.code}), all {len(p.teams)} teams") for p in programs)
        form.teams.choices = options((t.id, f"{p.code}: {t.name}") for p in programs for t in p.teams)
    return programs


def _details(form: CampaignForm) -> campaign_service.CampaignDetails:
    has_scope = form.scope is not None
    return campaign_service.CampaignDetails(
        name=form.name.data,
        wave=form.wave.data,
        opens_on=form.opens_on.data,
        closes_on=form.closes_on.data,
        instrument_id=int(form.instrument.data) if has_scope and form.instrument.data != DEFAULT_CHOICE else None,
        default_survey=has_scope and form.instrument.data == DEFAULT_CHOICE,
        whole_organization=form.scope.data != "teams" if has_scope else True,
        program_ids=frozenset(form.programs.data or []) if has_scope else frozenset(),
        team_ids=frozenset(form.teams.data or []) if has_scope else frozenset(),
    )


@bp.route("/campaigns/new", methods=["GET", "POST"])
@requires("readiness.manage")
def campaign_new() -> HttpResponse | tuple[str, int]:
    form = CampaignForm()
    choices = _instrument_choices()
    form.instrument.choices = options(choices)
    _fill_scope_choices(form)
    if request.method == "GET" and choices:
        form.instrument.data = choices[0][0]
    if form.validate_on_submit():
        details = _details(form)
        problems = campaign_service.campaign_problems(details, on=campaign_service.today(), creating=True)
        if not problems:
            if details.default_survey:
                instrument = ensure_default_instrument(current_user)
            else:
                instrument = db.get_or_404(Instrument, details.instrument_id)
            campaign = campaign_service.create_campaign(details, instrument, current_user)
            db.session.commit()
            flash("The campaign is saved. Check it, then send the invitations when you are ready.", "success")
            return redirect(url_for(".campaign_detail", campaign_id=campaign.id))
        show_problems(form, problems)
    return render("readiness/campaign_form.html", 400 if form.errors else 200, form=form, campaign=None)


@bp.get("/campaigns/<int:campaign_id>")
@requires("readiness.manage")
def campaign_detail(campaign_id: int) -> tuple[str, int]:
    campaign = db.get_or_404(Campaign, campaign_id)
    on = campaign_service.today()
    by_team, total = results_service.participation(campaign)  # the teams the results hide are hidden here too
    return render(
        "readiness/campaign_detail.html",
        campaign=campaign,
        state=campaign.state(on),
        by_team=by_team,
        total=total,
        minimum=thresholds.for_campaign(campaign),
        newest=instrument_service.newest_version(campaign.instrument),
        send_problem=campaign_service.send_problem(campaign, on),
    )


@bp.route("/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
@requires("readiness.manage")
def campaign_edit(campaign_id: int) -> HttpResponse | tuple[str, int]:
    campaign = db.get_or_404(Campaign, campaign_id)
    form = CampaignForm() if request.method == "POST" else _filled_campaign_form(campaign)
    _fit_to_campaign(form, campaign)
    if form.validate_on_submit():
        details = _details(form)
        problems = campaign_service.campaign_problems(
            details, on=campaign_service.today(), creating=False, current=campaign
        )
        if not problems:
            try:
                if details.default_survey:
                    survey = ensure_default_instrument(current_user)
                    details = replace(details, instrument_id=survey.id, default_survey=False)
                changed = campaign_service.update_campaign(campaign, details, form.version.data, current_user)
                edits.commit()
            except StaleEdit:
                return _stale_campaign(campaign_id, form)
            if changed:
                labels = ", ".join(campaign_service.FIELD_LABELS[name].lower() for name in changed)
                flash(f"Saved the changes: {labels}.", "success")
            else:
                flash("Nothing was changed.", "info")
            return redirect(url_for(".campaign_detail", campaign_id=campaign.id))
        show_problems(form, problems)
    return render("readiness/campaign_form.html", 400 if form.errors else 200, form=form, campaign=campaign)


def _filled_campaign_form(campaign: Campaign) -> CampaignForm:
    return CampaignForm(formdata=None, data={
        "name": campaign.name, "wave": campaign.wave, "instrument": str(campaign.instrument_id),
        "scope": "organization" if campaign.whole_organization else "teams",
        "teams": [team.id for team in campaign.teams], "opens_on": campaign.opens_on,
        "closes_on": campaign.closes_on, "version": campaign.version,
    })


def _fit_to_campaign(form: CampaignForm, campaign: Campaign) -> None:
    """Once invitations are out, the survey and who is asked are fixed: the form leaves them out."""
    if campaign_service.invitations_sent(campaign):
        for name in ("instrument", "scope", "programs", "teams"):
            if getattr(form, name, None) is not None:
                delattr(form, name)
    else:
        form.instrument.choices = options(_instrument_choices(campaign.instrument))
        _fill_scope_choices(form)


def _stale_campaign(campaign_id: int, form: CampaignForm) -> tuple[str, int]:
    """Someone saved the campaign first: the same form, the person's input kept, and the campaign as it is now."""
    db.session.rollback()
    current = db.get_or_404(Campaign, campaign_id)
    form.version.data = str(current.version)
    if form.scope is not None:
        _fit_to_campaign(form, current)  # invitations may have gone out meanwhile
    asked = "The whole organization" if current.whole_organization else ", ".join(str(t) for t in current.teams)
    now = [("Name", current.name), ("Wave", current.wave), ("Survey", str(current.instrument)),
           ("Who is asked", asked), ("Opening date", long_date(current.opens_on)),
           ("Closing date", long_date(current.closes_on))]
    return render("readiness/campaign_form.html", 409, form=form, campaign=current, conflict=edits.STALE_MESSAGE,
                  now=now)


@bp.post("/campaigns/<int:campaign_id>/invitations")
@requires("readiness.manage")
def campaign_send(campaign_id: int) -> HttpResponse:
    campaign = db.get_or_404(Campaign, campaign_id)
    problem = campaign_service.send_problem(campaign, campaign_service.today())
    if problem:
        flash(problem, "error")
        return redirect(url_for(".campaign_detail", campaign_id=campaign.id))
    added = campaign_service.send_invitations(campaign, current_user)
    db.session.commit()
    if added:
        people = "1 person" if added == 1 else f"{added} people"
        flash(f"Invitations sent to {people}: each gets a personal link by email and in PeerWorks.", "success")
    else:
        flash("Everyone in scope already has an invitation. There was nobody new to invite.", "info")
    return redirect(url_for(".campaign_detail", campaign_id=campaign.id))


@bp.route("/campaigns/<int:campaign_id>/copy", methods=["GET", "POST"])
@requires("readiness.manage")
def campaign_copy(campaign_id: int) -> HttpResponse | tuple[str, int]:
    campaign = db.get_or_404(Campaign, campaign_id)
    form = WaveForm() if request.method == "POST" else WaveForm(formdata=None, data={"name": campaign.name})
    if form.validate_on_submit():
        details = campaign_service.CampaignDetails(
            name=form.name.data, wave=form.wave.data, opens_on=form.opens_on.data, closes_on=form.closes_on.data
        )
        problems = campaign_service.campaign_problems(details, on=campaign_service.today(), creating=True)
        if not problems:
            wave = campaign_service.WaveDetails(form.name.data, form.wave.data, form.opens_on.data,
                                                form.closes_on.data)
            copy = campaign_service.copy_into_new_wave(campaign, wave, current_user)
            db.session.commit()
            flash("The new wave is saved, with the same people and survey. Send the invitations when you are ready.",
                  "success")
            return redirect(url_for(".campaign_detail", campaign_id=copy.id))
        show_problems(form, problems)
    return render("readiness/campaign_copy.html", 400 if form.errors else 200, form=form, campaign=campaign,
                  newest=instrument_service.newest_version(campaign.instrument))
