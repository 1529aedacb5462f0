"""From results to action: domain scores and training suggestions, the readiness action plan, team champions."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response as HttpResponse
from wtforms import SelectField

from core import edits
from core.errors import StaleEdit
from core.extensions import db
from core.forms import optional_id, options
from core.models import Team
from core.pages import paginate
from core.policy import requires
from core.timeutil import long_date
from readiness.blueprint import bp
from readiness.forms import ActionForm, ChampionForm
from readiness.models import Action, ActionStatus, Campaign, Champion, Domain
from readiness.services import actions as action_service
from readiness.services import campaigns as campaign_service
from readiness.views._common import render, show_problems

# Helpers ------------------------------------------------------------------------------------------------------


def _staff_choices(field: SelectField) -> None:
    field.choices = options([("", "Choose a person")] + [
        (staff.id, staff.name) for staff in db.session.scalars(action_service.active_staff())
    ])


def _fill_action_choices(form: ActionForm, campaign: Campaign) -> None:
    form.domain.choices = options([("", "No particular domain")] + [
        (domain.id, domain.name) for domain in db.session.scalars(action_service.campaign_domains(campaign))
    ])
    _staff_choices(form.owner)


def _details(form: ActionForm) -> action_service.ActionDetails:
    return action_service.ActionDetails(
        title=form.title.data, domain_id=form.domain.data, owner_id=form.owner.data, due_on=form.due_on.data,
        status=form.status.data,
    )


def _campaign(campaign_id: int) -> Campaign:
    return db.get_or_404(Campaign, campaign_id)


# Pages --------------------------------------------------------------------------------------------------------


@bp.get("/actions")
@requires("readiness.manage")
def action_plans() -> tuple[str, int]:
    """Every campaign with the size of its action plan, and the way to the champions."""
    page = paginate(select(Campaign).order_by(Campaign.opens_on.desc(), Campaign.id.desc()))
    counts: dict[int, int] = dict(db.session.execute(
        select(Action.campaign_id, func.count())
        .where(Action.campaign_id.in_([campaign.id for campaign in page.items]))
        .group_by(Action.campaign_id)
    ).all())
    return render("readiness/actions_index.html", page=page, counts=counts)


@bp.get("/campaigns/<int:campaign_id>/actions")
@requires("readiness.manage")
def campaign_actions(campaign_id: int) -> tuple[str, int]:
    campaign = _campaign(campaign_id)
    scores = action_service.domain_scores(campaign)
    page = paginate(action_service.actions_of(campaign))
    return render("readiness/actions.html", campaign=campaign, scores=scores, page=page,
                  today=campaign_service.today())


@bp.route("/campaigns/<int:campaign_id>/actions/new", methods=["GET", "POST"])
@requires("readiness.manage")
def action_new(campaign_id: int) -> HttpResponse | tuple[str, int]:
    campaign = _campaign(campaign_id)
    if request.method == "POST":
        form = ActionForm()
    else:
        # One click from a suggestion: the domain and its training topic fill the form.
        prefill: dict[str, Any] = {"status": ActionStatus.PLANNED, "owner": current_user.id}
        try:
            domain_id = optional_id(request.args.get("domain", ""))
        except ValueError:
            domain_id = None
        domain = db.session.get(Domain, domain_id) if domain_id else None
        if domain is not None and domain.instrument_id == campaign.instrument_id:
            prefill.update(domain=domain.id, title=domain.training_topic or "")
        form = ActionForm(formdata=None, data=prefill)
    _fill_action_choices(form, campaign)
    if form.validate_on_submit():
        details = _details(form)
        problems = action_service.action_problems(details, campaign)
        if not problems:
            action_service.create_action(campaign, details, current_user)
            db.session.commit()
            flash("The action is added to the plan.", "success")
            return redirect(url_for(".campaign_actions", campaign_id=campaign.id))
        show_problems(form, problems)
    return render("readiness/action_form.html", 400 if form.errors else 200, form=form, campaign=campaign,
                  action=None)


@bp.route("/actions/<int:action_id>/edit", methods=["GET", "POST"])
@requires("readiness.manage")
def action_edit(action_id: int) -> HttpResponse | tuple[str, int]:
    action = action_service.load_action(action_id)
    if action is None:
        abort(404)
    campaign = action.campaign
    if request.method == "POST":
        form = ActionForm()
    else:
        form = ActionForm(formdata=None, data={
            "title": action.title, "domain": action.domain_id, "owner": action.owner_id, "due_on": action.due_on,
            "status": action.status, "version": action.version,
        })
    _fill_action_choices(form, campaign)
    if form.validate_on_submit():
        details = _details(form)
        problems = action_service.action_problems(details, campaign)
        if not problems:
            try:
                action_service.update_action(action, details, form.version.data, current_user)
                edits.commit()
            except StaleEdit:
                return _stale(action_id, form, campaign)
            flash("The action is saved.", "success")
            return redirect(url_for(".campaign_actions", campaign_id=campaign.id))
        show_problems(form, problems)
    return render("readiness/action_form.html", 400 if form.errors else 200, form=form, campaign=campaign,
                  action=action)


def _stale(action_id: int, form: ActionForm, campaign: Campaign) -> tuple[str, int]:
    """Someone saved first: keep this person's input, show what is saved now, and let them save over it."""
    db.session.rollback()
    current = action_service.load_action(action_id)
    if current is None:
        abort(404)
    form.version.data = str(current.version)
    session = current.training_session
    now = [("What will be done", current.title), ("Owner", current.owner.name),
           ("Due date", long_date(current.due_on)), ("Status", current.status_label),
           ("Training session", f"{session.title}, {long_date(session.held_on)}" if session else "None planned")]
    return render("readiness/action_form.html", 409, form=form, campaign=campaign, action=current,
                  conflict=edits.STALE_MESSAGE, now=now)


# Champions ----------------------------------------------------------------------------------------------------


def _fill_champion_choices(form: ChampionForm) -> None:
    _staff_choices(form.staff)
    form.team.choices = options([("", "Choose a team")] + [
        (team.id, str(team)) for team in db.session.scalars(select(Team).order_by(Team.name, Team.id))
    ])


def _champions_page(form: ChampionForm, status: int = 200) -> tuple[str, int]:
    page = paginate(action_service.champions())
    return render("readiness/actions_champions.html", status, form=form, page=page)


@bp.route("/champions", methods=["GET", "POST"])
@requires("readiness.manage")
def champions() -> HttpResponse | tuple[str, int]:
    form = ChampionForm() if request.method == "POST" else ChampionForm(
        formdata=None, data={"since": campaign_service.today()}
    )
    _fill_champion_choices(form)
    if form.validate_on_submit():
        problems = action_service.champion_problems(form.staff.data, form.team.data)
        if not problems:
            action_service.name_champion(form.staff.data, form.team.data, form.since.data, current_user)
            db.session.commit()
            flash("The champion is named.", "success")
            return redirect(url_for(".champions"))
        show_problems(form, problems)
    return _champions_page(form, 400 if form.errors else 200)


@bp.post("/champions/<int:champion_id>/remove")
@requires("readiness.manage")
def champion_remove(champion_id: int) -> HttpResponse:
    champion = db.get_or_404(Champion, champion_id)
    action_service.remove_champion(champion, current_user)
    db.session.commit()
    flash("The champion is removed from the list.", "success")
    return redirect(url_for(".champions"))
