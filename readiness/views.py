"""Readiness: anonymous surveys that show where the agency is not yet ready for peer staff, and what training
would help.

Thin views: read input, load the record, check it, call ``readiness.services``, commit once, redirect.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response as HttpResponse

from core import policy
from core.extensions import db
from core.pages import page_number
from core.policy import requires
from core.timeutil import long_date
from readiness import demo as _demo  # noqa: F401  adds the demo surveys to seed-demo
from readiness import policy as _policy  # noqa: F401  registers the record rules
from readiness.forms import (
    CampaignForm,
    DomainForm,
    InstrumentForm,
    ItemForm,
    WaveForm,
    options,
    survey_form_class,
)
from readiness.models import (
    AGREEMENT,
    Campaign,
    Domain,
    Instrument,
    Invitation,
    InvitationStatus,
    Item,
    ItemKind,
    RoleGroup,
    TenureBand,
)
from readiness.services import answering
from readiness.services import campaigns as campaign_service
from readiness.services import instruments as instrument_service
from readiness.services.default_instrument import NAME as DEFAULT_NAME
from readiness.services.default_instrument import ensure_default_instrument, find_default_instrument

bp = Blueprint("readiness", __name__, url_prefix="/readiness")

DEFAULT_CHOICE = "default"


def _render(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(template, long_date=long_date, **context), status


# The readiness page: surveys for you, and campaigns for HR ------------------------------------------------------


@bp.get("/")
@requires("readiness.view")
def index() -> tuple[str, int]:
    on = campaign_service.today()
    mine = campaign_service.my_invitations(current_user, on)
    page = participation = None
    if policy.can(current_user, "readiness.manage"):
        page = db.paginate(campaign_service.campaign_list(), page=page_number(),
                           per_page=int(current_app.config["PAGE_SIZE"]), error_out=False)
        participation = campaign_service.participation([campaign.id for campaign in page.items])
    return _render("readiness/index.html", mine=mine, page=page, participation=participation, today=on,
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
        instrument_id=(0 if form.instrument.data == DEFAULT_CHOICE else int(form.instrument.data))
        if has_scope else None,
        whole_organization=form.scope.data != "teams" if has_scope else True,
        program_ids=frozenset(form.programs.data or []) if has_scope else frozenset(),
        team_ids=frozenset(form.teams.data or []) if has_scope else frozenset(),
    )


def _show_problems(form: Any, problems: dict[str, str]) -> None:
    fields = {"team_ids": "teams", "instrument_id": "instrument"}
    for name, message in problems.items():
        getattr(form, fields.get(name, name)).errors.append(message)


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
            if form.instrument.data == DEFAULT_CHOICE:
                instrument = ensure_default_instrument(current_user)
            else:
                instrument = db.get_or_404(Instrument, details.instrument_id)
            campaign = campaign_service.create_campaign(details, instrument, current_user)
            db.session.commit()
            flash("The campaign is saved. Check it, then send the invitations when you are ready.", "success")
            return redirect(url_for(".campaign_detail", campaign_id=campaign.id))
        _show_problems(form, problems)
    return _render("readiness/campaign_form.html", 400 if form.errors else 200, form=form, campaign=None)


@bp.get("/campaigns/<int:campaign_id>")
@requires("readiness.manage")
def campaign_detail(campaign_id: int) -> tuple[str, int]:
    campaign = db.get_or_404(Campaign, campaign_id)
    on = campaign_service.today()
    return _render(
        "readiness/campaign_detail.html",
        campaign=campaign,
        state=campaign.state(on),
        by_team=campaign_service.participation_by_team(campaign),
        total=campaign_service.participation([campaign.id])[campaign.id],
        newest=instrument_service.newest_version(campaign.instrument),
        send_problem=campaign_service.send_problem(campaign, on),
    )


@bp.route("/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
@requires("readiness.manage")
def campaign_edit(campaign_id: int) -> HttpResponse | tuple[str, int]:
    campaign = db.get_or_404(Campaign, campaign_id)
    sent = campaign_service.invitations_sent(campaign)
    if request.method == "POST":
        form = CampaignForm()
    else:
        team_ids = [team.id for team in campaign.teams]
        form = CampaignForm(formdata=None, data={
            "name": campaign.name, "wave": campaign.wave, "instrument": str(campaign.instrument_id),
            "scope": "organization" if campaign.whole_organization else "teams", "teams": team_ids,
            "opens_on": campaign.opens_on, "closes_on": campaign.closes_on,
        })
    if sent:
        for name in ("instrument", "scope", "programs", "teams"):
            delattr(form, name)
    else:
        form.instrument.choices = options(_instrument_choices(campaign.instrument))
        _fill_scope_choices(form)
    if form.validate_on_submit():
        details = _details(form)
        problems = campaign_service.campaign_problems(details, on=campaign_service.today(), creating=False)
        if not problems:
            if details.instrument_id == 0:
                details = replace(details, instrument_id=ensure_default_instrument(current_user).id)
            changed = campaign_service.update_campaign(campaign, details, current_user)
            db.session.commit()
            if changed:
                labels = ", ".join(campaign_service.FIELD_LABELS[name].lower() for name in changed)
                flash(f"Saved the changes: {labels}.", "success")
            else:
                flash("Nothing was changed.", "info")
            return redirect(url_for(".campaign_detail", campaign_id=campaign.id))
        _show_problems(form, problems)
    return _render("readiness/campaign_form.html", 400 if form.errors else 200, form=form, campaign=campaign,
                   sent=sent)


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
        _show_problems(form, problems)
    return _render("readiness/campaign_copy.html", 400 if form.errors else 200, form=form, campaign=campaign,
                   newest=instrument_service.newest_version(campaign.instrument))


# Instruments --------------------------------------------------------------------------------------------------


@bp.get("/instruments")
@requires("readiness.manage")
def instruments() -> tuple[str, int]:
    page = db.paginate(instrument_service.all_versions(), page=page_number(),
                       per_page=int(current_app.config["PAGE_SIZE"]), error_out=False)
    ids = [instrument.id for instrument in page.items]
    newest = {i.id for i in db.session.scalars(instrument_service.newest_versions())}
    return _render(
        "readiness/instruments.html", page=page, in_use=instrument_service.in_use_ids(ids),
        campaigns=instrument_service.campaign_counts(ids), newest=newest,
        default_missing=find_default_instrument() is None, default_name=DEFAULT_NAME,
    )


@bp.post("/instruments/default")
@requires("readiness.manage")
def instrument_default() -> HttpResponse:
    instrument = ensure_default_instrument(current_user)
    db.session.commit()
    return redirect(url_for(".instrument_detail", instrument_id=instrument.id))


@bp.route("/instruments/new", methods=["GET", "POST"])
@requires("readiness.manage")
def instrument_new() -> HttpResponse | tuple[str, int]:
    form = InstrumentForm()
    form.start_from.choices = options([("", "An empty survey")] + [
        (i.id, f"A copy of {i}") for i in db.session.scalars(instrument_service.newest_versions())
    ])
    if form.validate_on_submit():
        start = db.get_or_404(Instrument, form.start_from.data) if form.start_from.data else None
        details = instrument_service.InstrumentDetails(form.name.data, form.description.data or "")
        instrument = instrument_service.create_instrument(details, current_user, start)
        db.session.commit()
        flash("The survey is saved. Add or change its domains and questions here.", "success")
        return redirect(url_for(".instrument_detail", instrument_id=instrument.id))
    return _render("readiness/instrument_form.html", 400 if form.errors else 200, form=form, instrument=None)


def _load(instrument_id: int) -> Instrument:
    instrument = instrument_service.with_contents(instrument_id)
    if instrument is None:
        abort(404)
    return instrument


@bp.get("/instruments/<int:instrument_id>")
@requires("readiness.manage")
def instrument_detail(instrument_id: int) -> tuple[str, int]:
    instrument = _load(instrument_id)
    versions = instrument_service.versions_of(instrument)
    by_domain: dict[int | None, list[Item]] = {}
    for item in instrument.items:
        by_domain.setdefault(item.domain_id, []).append(item)
    return _render(
        "readiness/instrument_detail.html", instrument=instrument, versions=versions,
        newest=versions[-1], in_use=instrument_service.in_use(instrument), by_domain=by_domain,
        kinds=ItemKind, agreement=AGREEMENT,
    )


def _changed(target: instrument_service.Writable, what: str) -> HttpResponse:
    if target.new_version:
        flash(f"This survey has already been sent, so it is never changed under the people answering it. {what} "
              f"saved in a new version, version {target.instrument.version}. Campaigns already sent keep the "
              "version they were sent with; new campaigns use this one.", "success")
    else:
        flash(f"{what} saved.", "success")
    return redirect(url_for(".instrument_detail", instrument_id=target.instrument.id))


def _not_newest(instrument: Instrument) -> HttpResponse:
    newest = instrument_service.newest_version(instrument)
    flash(f"This is an older version. Make changes to the newest one, version {newest.version}.", "error")
    return redirect(url_for(".instrument_detail", instrument_id=newest.id))


def _conflict() -> tuple[str, int]:
    db.session.rollback()
    return render_template(
        "errors/error.html", code=409, title="Someone else changed this survey first",
        advice="Go back, reload the page to see their changes, then make yours again.",
    ), 409


@bp.route("/instruments/<int:instrument_id>/edit", methods=["GET", "POST"])
@requires("readiness.manage")
def instrument_edit(instrument_id: int) -> HttpResponse | tuple[str, int]:
    instrument = _load(instrument_id)
    if request.method == "POST":
        form = InstrumentForm()
    else:
        form = InstrumentForm(formdata=None, data={"name": instrument.name, "description": instrument.description})
    del form.start_from
    if form.validate_on_submit():
        details = instrument_service.InstrumentDetails(form.name.data, form.description.data or "")
        try:
            target = instrument_service.update_instrument(instrument, details, current_user)
            db.session.commit()
        except instrument_service.NotNewest:
            return _not_newest(instrument)
        except IntegrityError:
            return _conflict()
        return _changed(target, "The name and introduction are")
    return _render("readiness/instrument_form.html", 400 if form.errors else 200, form=form, instrument=instrument)


def _domain_details(form: DomainForm) -> instrument_service.DomainDetails:
    return instrument_service.DomainDetails(form.name.data, form.training_topic.data or "", form.position.data)


@bp.route("/instruments/<int:instrument_id>/domains/new", methods=["GET", "POST"])
@requires("readiness.manage")
def domain_new(instrument_id: int) -> HttpResponse | tuple[str, int]:
    instrument = _load(instrument_id)
    form = DomainForm()
    if form.validate_on_submit():
        try:
            target, _domain = instrument_service.add_domain(instrument, _domain_details(form), current_user)
            db.session.commit()
        except instrument_service.NotNewest:
            return _not_newest(instrument)
        except IntegrityError:
            return _conflict()
        return _changed(target, "The new domain is")
    return _render("readiness/domain_form.html", 400 if form.errors else 200, form=form, instrument=instrument,
                   domain=None)


@bp.route("/domains/<int:domain_id>/edit", methods=["GET", "POST"])
@requires("readiness.manage")
def domain_edit(domain_id: int) -> HttpResponse | tuple[str, int]:
    domain = db.get_or_404(Domain, domain_id)
    instrument = _load(domain.instrument_id)
    if request.method == "POST":
        form = DomainForm()
    else:
        form = DomainForm(formdata=None, data={"name": domain.name, "training_topic": domain.training_topic,
                                               "position": domain.position})
    if form.validate_on_submit():
        try:
            target = instrument_service.update_domain(domain, _domain_details(form), current_user)
            db.session.commit()
        except instrument_service.NotNewest:
            return _not_newest(instrument)
        except IntegrityError:
            return _conflict()
        return _changed(target, "The domain is")
    return _render("readiness/domain_form.html", 400 if form.errors else 200, form=form, instrument=instrument,
                   domain=domain)


@bp.post("/domains/<int:domain_id>/remove")
@requires("readiness.manage")
def domain_remove(domain_id: int) -> HttpResponse | tuple[str, int]:
    domain = db.get_or_404(Domain, domain_id)
    instrument = _load(domain.instrument_id)
    try:
        target = instrument_service.remove_domain(domain, current_user)
        db.session.commit()
    except instrument_service.NotNewest:
        return _not_newest(instrument)
    except instrument_service.DomainNotEmpty:
        flash("This domain still has questions. Move them to another domain or remove them first.", "error")
        return redirect(url_for(".instrument_detail", instrument_id=instrument.id))
    except IntegrityError:
        return _conflict()
    return _changed(target, "The domain was removed and the change is")


def _fill_item_choices(form: ItemForm, instrument: Instrument) -> None:
    form.domain.choices = options([("", "No domain: an open question or a question that is not scored")] + [
        (domain.id, domain.name) for domain in instrument.domains
    ])


def _item_details(form: ItemForm) -> instrument_service.ItemDetails:
    return instrument_service.ItemDetails(
        kind=form.kind.data, text=form.text.data, domain_id=form.domain.data, hint=form.hint.data or "",
        reversed=bool(form.reversed.data), options=form.option_list(), required=bool(form.required.data),
        position=form.position.data,
    )


@bp.route("/instruments/<int:instrument_id>/items/new", methods=["GET", "POST"])
@requires("readiness.manage")
def item_new(instrument_id: int) -> HttpResponse | tuple[str, int]:
    instrument = _load(instrument_id)
    form = ItemForm() if request.method == "POST" else ItemForm(formdata=None, data={"required": True,
                                                                                     "kind": ItemKind.LIKERT})
    _fill_item_choices(form, instrument)
    if form.validate_on_submit():
        details = _item_details(form)
        problems = instrument_service.item_problems(details, instrument)
        if not problems:
            try:
                target, _item = instrument_service.add_item(instrument, details, current_user)
                db.session.commit()
            except instrument_service.NotNewest:
                return _not_newest(instrument)
            except IntegrityError:
                return _conflict()
            return _changed(target, "The new question is")
        _show_problems(form, problems)
    return _render("readiness/item_form.html", 400 if form.errors else 200, form=form, instrument=instrument,
                   item=None)


@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"])
@requires("readiness.manage")
def item_edit(item_id: int) -> HttpResponse | tuple[str, int]:
    item = db.get_or_404(Item, item_id)
    instrument = _load(item.instrument_id)
    if request.method == "POST":
        form = ItemForm()
    else:
        form = ItemForm(formdata=None, data={
            "kind": item.kind, "text": item.text, "hint": item.hint, "domain": item.domain_id,
            "reversed": item.reversed, "options": item.options, "required": item.required, "position": item.position,
        })
    _fill_item_choices(form, instrument)
    if form.validate_on_submit():
        details = _item_details(form)
        problems = instrument_service.item_problems(details, instrument)
        if not problems:
            try:
                target = instrument_service.update_item(item, details, current_user)
                db.session.commit()
            except instrument_service.NotNewest:
                return _not_newest(instrument)
            except IntegrityError:
                return _conflict()
            return _changed(target, "The question is")
        _show_problems(form, problems)
    return _render("readiness/item_form.html", 400 if form.errors else 200, form=form, instrument=instrument,
                   item=item)


@bp.post("/items/<int:item_id>/remove")
@requires("readiness.manage")
def item_remove(item_id: int) -> HttpResponse | tuple[str, int]:
    item = db.get_or_404(Item, item_id)
    instrument = _load(item.instrument_id)
    try:
        target = instrument_service.remove_item(item, current_user)
        db.session.commit()
    except instrument_service.NotNewest:
        return _not_newest(instrument)
    except IntegrityError:
        return _conflict()
    return _changed(target, "The question was removed and the change is")


# Answering ----------------------------------------------------------------------------------------------------


def _problem_page(problem: answering.Problem) -> tuple[str, int]:
    return _render("readiness/survey_problem.html", problem.status, problem=problem)


@bp.get("/survey/<token>")
@requires("readiness.respond")
def survey_link(token: str) -> HttpResponse | tuple[str, int]:
    """The personal link from the email. It works only for the person it was sent to, signed in."""
    invitation = campaign_service.invitation_for_token(token)
    if invitation is None or invitation.staff_id != current_user.id:
        return _problem_page(answering.FORGED)
    problem = answering.problem_with(invitation, campaign_service.today())
    if problem is not None:
        return _problem_page(problem)
    return redirect(url_for(".survey", invitation_id=invitation.id))


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


@bp.route("/surveys/<int:invitation_id>", methods=["GET", "POST"])
@requires("readiness.respond")
def survey(invitation_id: int) -> HttpResponse | tuple[str, int]:
    invitation = db.get_or_404(Invitation, invitation_id)
    policy.authorize(current_user, "invitation.answer", invitation, conceal=True)
    on = campaign_service.today()
    problem = answering.problem_with(invitation, on)
    if problem is not None:
        return _problem_page(problem)
    instrument = _load(invitation.campaign.instrument_id)
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
        try:
            answering.submit(invitation, submission, on)
        except answering.AlreadyAnswered:
            db.session.rollback()
            return _problem_page(answering.Problem(
                410, "You have already sent your answers",
                "Your answers were counted once, the first time. This second copy was not counted.",
            ))
        db.session.commit()
        flash("Thank you. Your answers were sent, without your name.", "success")
        return redirect(url_for(".index"))
    return _render(
        "readiness/survey.html", 400 if form.errors else 200, form=form, invitation=invitation,
        campaign=invitation.campaign, instrument=instrument, sections=_sections(instrument), kinds=ItemKind,
        question_count=len(instrument.items), error_groups=_error_groups(form),
    )


from readiness import views_actions as _views_actions  # noqa: E402, F401  registers the action plan routes
from readiness import views_results as _results  # noqa: E402,F401  registers the results pages on bp
from readiness import views_settings as _settings  # noqa: E402,F401  registers the settings page on bp
