"""Lists HR keeps for the checks and the postings: requirement phrases that shut out lived experience, and the
state credential types a posting may require (shared with training)."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as HttpResponse

from core import credentials
from core.errors import InvalidInput
from core.extensions import db
from core.models import CredentialType
from core.pages import paginate
from core.policy import requires
from hiring.blueprint import bp
from hiring.forms import CredentialForm, PhraseForm
from hiring.models import ExclusionPhrase
from hiring.services import checks, phrases
from hiring.views._common import render, show_problems


def _phrases_page(form: PhraseForm, status: int = 200) -> tuple[str, int]:
    return render(
        "hiring/phrases.html", status, form=form, builtin=checks.BUILTIN_PHRASES, added=checks.agency_phrases()
    )


@bp.route("/phrases", methods=["GET", "POST"])
@requires("hiring.manage")
def phrases_page() -> HttpResponse | tuple[str, int]:
    form = PhraseForm()
    if form.validate_on_submit():
        try:
            phrases.add(form.phrase.data or "", form.reason.data or "", current_user)
            db.session.commit()
        except InvalidInput as error:
            db.session.rollback()
            show_problems(form, error.problems)
        else:
            flash("Added. Every draft is checked for it from now on.", "success")
            return redirect(url_for(".phrases_page"))
    return _phrases_page(form, 400 if form.errors else 200)


@bp.post("/phrases/<int:exclusion_phrase_id>/remove")
@requires("hiring.manage")
def phrase_remove(exclusion_phrase_id: int) -> HttpResponse:
    row = db.get_or_404(ExclusionPhrase, exclusion_phrase_id)
    phrases.remove(row, current_user)
    db.session.commit()
    flash("Removed from the list.", "success")
    return redirect(url_for(".phrases_page"))


@bp.route("/credentials", methods=["GET", "POST"])
@requires("hiring.manage")
def credentials_page() -> HttpResponse | tuple[str, int]:
    form = CredentialForm()
    if form.validate_on_submit():
        try:
            credentials.add(form.name.data or "", form.issuer.data or "", current_user)
            db.session.commit()
        except InvalidInput as error:
            db.session.rollback()
            show_problems(form, error.problems)
        else:
            flash("Added. Postings can require it now.", "success")
            return redirect(url_for(".credentials_page"))
    return render(
        "hiring/credentials.html", 400 if form.errors else 200, form=form, page=paginate(credentials.listed())
    )


@bp.post("/credentials/<int:credential_type_id>/retire")
@requires("hiring.manage")
def credential_retire(credential_type_id: int) -> HttpResponse:
    credential = db.get_or_404(CredentialType, credential_type_id)
    retiring = credential.retired_at is None
    credentials.set_retired(credential, retiring, current_user)
    db.session.commit()
    flash("Retired: new postings can no longer choose it." if retiring else "It can be chosen again.", "success")
    return redirect(url_for(".credentials_page"))
