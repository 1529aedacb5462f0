"""Instruments (surveys): their domains and questions. A change to a survey already sent goes into a new
version, so nobody's survey changes under them."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as HttpResponse

from core import edits
from core.errors import StaleEdit
from core.extensions import db
from core.forms import options
from core.pages import paginate
from core.policy import requires
from readiness.blueprint import bp
from readiness.forms import DomainForm, InstrumentForm, ItemForm
from readiness.models import AGREEMENT, Domain, Instrument, Item, ItemKind
from readiness.services import instruments as instrument_service
from readiness.services.default_instrument import NAME as DEFAULT_NAME
from readiness.services.default_instrument import ensure_default_instrument, find_default_instrument
from readiness.views._common import load_instrument, render, show_problems

# Instruments --------------------------------------------------------------------------------------------------


@bp.get("/instruments")
@requires("readiness.manage")
def instruments() -> tuple[str, int]:
    page = paginate(instrument_service.all_versions())
    ids = [instrument.id for instrument in page.items]
    newest = {i.id for i in db.session.scalars(instrument_service.newest_versions())}
    return render(
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
    return render("readiness/instrument_form.html", 400 if form.errors else 200, form=form, instrument=None)


@bp.get("/instruments/<int:instrument_id>")
@requires("readiness.manage")
def instrument_detail(instrument_id: int) -> tuple[str, int]:
    instrument = load_instrument(instrument_id)
    versions = instrument_service.versions_of(instrument)
    by_domain: dict[int | None, list[Item]] = {}
    for item in instrument.items:
        by_domain.setdefault(item.domain_id, []).append(item)
    return render(
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


def _after_stale(instrument: Instrument) -> tuple[Instrument, str]:
    """A save refused as stale: undo it, and return the newest version of the survey (contents loaded), where the
    form now saves, with the message to show above the kept input."""
    db.session.rollback()
    newest = load_instrument(instrument_service.newest_version(instrument).id)
    if newest.id == instrument.id:
        return newest, edits.STALE_MESSAGE
    return newest, (
        f"This is an older version of the survey: someone saved a change in the meantime, which made version "
        f"{newest.version}. Nothing you entered was saved. It is still in the form below, which now saves to "
        f"version {newest.version}: check it against what is saved now, then save again."
    )


def _stale_removal(instrument: Instrument) -> HttpResponse:
    """A removal refused as stale: nothing typed to keep, so back to the newest version to look and try again."""
    db.session.rollback()
    newest = instrument_service.newest_version(instrument)
    if newest.id == instrument.id:
        flash("Someone else changed this survey at the same moment, so nothing was removed. Check it, then remove "
              "it again if it is still needed.", "error")
    else:
        flash(f"This is an older version of the survey: someone saved a change in the meantime, which made version "
              f"{newest.version}. Nothing was removed. Remove it from version {newest.version} if it is still "
              "needed.", "error")
    return redirect(url_for(".instrument_detail", instrument_id=newest.id))


@bp.route("/instruments/<int:instrument_id>/edit", methods=["GET", "POST"])
@requires("readiness.manage")
def instrument_edit(instrument_id: int) -> HttpResponse | tuple[str, int]:
    instrument = load_instrument(instrument_id)
    if request.method == "POST":
        form = InstrumentForm()
    else:
        form = InstrumentForm(formdata=None, data={"name": instrument.name, "description": instrument.description,
                                                   "version": instrument.revision})
    del form.start_from
    if form.validate_on_submit():
        details = instrument_service.InstrumentDetails(form.name.data, form.description.data or "")
        try:
            target = instrument_service.update_instrument(instrument, details, form.version.data, current_user)
            edits.commit()
        except StaleEdit:
            newest, message = _after_stale(instrument)
            form.version.data = str(newest.revision)
            now = [("Name", newest.name), ("Introduction", newest.description)]
            return render("readiness/instrument_form.html", 409, form=form, instrument=newest, conflict=message,
                          now=now)
        return _changed(target, "The name and introduction are")
    return render("readiness/instrument_form.html", 400 if form.errors else 200, form=form, instrument=instrument)


def _domain_details(form: DomainForm) -> instrument_service.DomainDetails:
    return instrument_service.DomainDetails(form.name.data, form.training_topic.data or "", form.position.data)


def _stale_domain(form: DomainForm, instrument: Instrument, code: str | None) -> tuple[str, int]:
    """The domain form again (409), input kept, saving to the newest version's domain (or adding it anew)."""
    newest, message = _after_stale(instrument)
    domain = instrument_service.counterpart(newest.domains, code) if code else None
    now: list[tuple[str, object]] = []
    if domain is not None:
        form.version.data = str(domain.version)
        now = [("Name", domain.name), ("Training to suggest", domain.training_topic), ("Order", domain.position)]
    elif code:
        message += " The domain itself was removed in the meantime: saving adds it again."
    return render("readiness/domain_form.html", 409, form=form, instrument=newest, domain=domain,
                  conflict=message, now=now)


@bp.route("/instruments/<int:instrument_id>/domains/new", methods=["GET", "POST"])
@requires("readiness.manage")
def domain_new(instrument_id: int) -> HttpResponse | tuple[str, int]:
    instrument = load_instrument(instrument_id)
    form = DomainForm()
    if form.validate_on_submit():
        try:
            target, _domain = instrument_service.add_domain(instrument, _domain_details(form), current_user)
            edits.commit()
        except StaleEdit:
            return _stale_domain(form, instrument, None)
        return _changed(target, "The new domain is")
    return render("readiness/domain_form.html", 400 if form.errors else 200, form=form, instrument=instrument,
                  domain=None)


@bp.route("/domains/<int:domain_id>/edit", methods=["GET", "POST"])
@requires("readiness.manage")
def domain_edit(domain_id: int) -> HttpResponse | tuple[str, int]:
    domain = db.get_or_404(Domain, domain_id)
    instrument = load_instrument(domain.instrument_id)
    if request.method == "POST":
        form = DomainForm()
    else:
        form = DomainForm(formdata=None, data={"name": domain.name, "training_topic": domain.training_topic,
                                               "position": domain.position, "version": domain.version})
    if form.validate_on_submit():
        code = domain.code
        try:
            target = instrument_service.update_domain(domain, _domain_details(form), form.version.data, current_user)
            edits.commit()
        except StaleEdit:
            return _stale_domain(form, instrument, code)
        return _changed(target, "The domain is")
    return render("readiness/domain_form.html", 400 if form.errors else 200, form=form, instrument=instrument,
                  domain=domain)


@bp.post("/domains/<int:domain_id>/remove")
@requires("readiness.manage")
def domain_remove(domain_id: int) -> HttpResponse | tuple[str, int]:
    domain = db.get_or_404(Domain, domain_id)
    instrument = load_instrument(domain.instrument_id)
    try:
        target = instrument_service.remove_domain(domain, current_user)
        edits.commit()
    except StaleEdit:
        return _stale_removal(instrument)
    except instrument_service.DomainNotEmpty:
        flash("This domain still has questions. Move them to another domain or remove them first.", "error")
        return redirect(url_for(".instrument_detail", instrument_id=instrument.id))
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


def _stale_item(form: ItemForm, instrument: Instrument, code: str | None) -> tuple[str, int]:
    """The question form again (409), input kept, saving to the newest version's question (or adding it anew)."""
    domain_codes = {domain.id: domain.code for domain in instrument.domains}
    newest, message = _after_stale(instrument)
    chosen = domain_codes.get(form.domain.data) if form.domain.data else None
    newest_domain = instrument_service.counterpart(newest.domains, chosen) if chosen else None
    form.domain.data = newest_domain.id if newest_domain else None  # the same domain, in the newest version
    _fill_item_choices(form, newest)
    item = instrument_service.counterpart(newest.items, code) if code else None
    now: list[tuple[str, object]] = []
    if item is not None:
        form.version.data = str(item.version)
        domain_name = next((d.name for d in newest.domains if d.id == item.domain_id), "No domain")
        now = [("Kind of question", ItemKind(item.kind).label), ("Question or statement", item.text),
               ("Hint", item.hint), ("Domain", domain_name), ("Reversed", "Yes" if item.reversed else "No"),
               ("Options", ", ".join(item.option_list)), ("Required", "Yes" if item.required else "No"),
               ("Order", item.position)]
    elif code:
        message += " The question itself was removed in the meantime: saving adds it again."
    return render("readiness/item_form.html", 409, form=form, instrument=newest, item=item, conflict=message,
                  now=now)


@bp.route("/instruments/<int:instrument_id>/items/new", methods=["GET", "POST"])
@requires("readiness.manage")
def item_new(instrument_id: int) -> HttpResponse | tuple[str, int]:
    instrument = load_instrument(instrument_id)
    form = ItemForm() if request.method == "POST" else ItemForm(formdata=None, data={"required": True,
                                                                                     "kind": ItemKind.LIKERT})
    _fill_item_choices(form, instrument)
    if form.validate_on_submit():
        details = _item_details(form)
        problems = instrument_service.item_problems(details, instrument)
        if not problems:
            try:
                target, _item = instrument_service.add_item(instrument, details, current_user)
                edits.commit()
            except StaleEdit:
                return _stale_item(form, instrument, None)
            return _changed(target, "The new question is")
        show_problems(form, problems)
    return render("readiness/item_form.html", 400 if form.errors else 200, form=form, instrument=instrument,
                  item=None)


@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"])
@requires("readiness.manage")
def item_edit(item_id: int) -> HttpResponse | tuple[str, int]:
    item = db.get_or_404(Item, item_id)
    instrument = load_instrument(item.instrument_id)
    if request.method == "POST":
        form = ItemForm()
    else:
        form = ItemForm(formdata=None, data={
            "kind": item.kind, "text": item.text, "hint": item.hint, "domain": item.domain_id,
            "reversed": item.reversed, "options": item.options, "required": item.required, "position": item.position,
            "version": item.version,
        })
    _fill_item_choices(form, instrument)
    if form.validate_on_submit():
        details = _item_details(form)
        problems = instrument_service.item_problems(details, instrument)
        if not problems:
            code = item.code
            try:
                target = instrument_service.update_item(item, details, form.version.data, current_user)
                edits.commit()
            except StaleEdit:
                return _stale_item(form, instrument, code)
            return _changed(target, "The question is")
        show_problems(form, problems)
    return render("readiness/item_form.html", 400 if form.errors else 200, form=form, instrument=instrument,
                  item=item)


@bp.post("/items/<int:item_id>/remove")
@requires("readiness.manage")
def item_remove(item_id: int) -> HttpResponse | tuple[str, int]:
    item = db.get_or_404(Item, item_id)
    instrument = load_instrument(item.instrument_id)
    try:
        target = instrument_service.remove_item(item, current_user)
        edits.commit()
    except StaleEdit:
        return _stale_removal(instrument)
    return _changed(target, "The question was removed and the change is")
