"""The state credentials' renewal rules, which HR keeps: the list (with the example rules for three states that ship
with PeerWorks) and one credential's rules page."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as HttpResponse

from core import credentials
from core.credentials import CeCategory, RuleDetails
from core.extensions import db
from core.models import CredentialType
from core.pages import paginate
from core.policy import requires
from training.blueprint import bp
from training.forms import RulesForm, quarter_hours, rules_form_data
from training.services import certifications
from training.views._common import render, save


@bp.get("/credentials")
@requires("training.rules")
def credential_rules() -> tuple[str, int]:
    return render("training/credentials.html", page=paginate(credentials.listed()), CeCategory=CeCategory)


@bp.post("/credentials/examples")
@requires("training.rules")
def credential_examples() -> HttpResponse:
    added = credentials.add_examples(current_user)
    db.session.commit()
    if added:
        flash(
            f"Added {len(added)} example credentials. Check every figure with the board before relying on it.",
            "success",
        )
    else:
        flash("The example credentials are on the list already.", "info")
    return redirect(url_for(".credential_rules"))


def _details(form: RulesForm) -> RuleDetails:
    categories = {}
    for category in CeCategory:
        low = quarter_hours(form[f"min_{category.value}"]) or 0
        high = quarter_hours(form[f"max_{category.value}"])
        categories[category.value] = (low, high)
    return RuleDetails(
        name=form.name.data or "",
        abbreviation=form.abbreviation.data or "",
        issuer=form.issuer.data or "",
        state=form.state.data or "",
        cycle_months=form.cycle_months.data,
        ce_qh=quarter_hours(form.ce_hours) or 0,
        grace_days=form.grace_days.data or 0,
        max_online_qh=quarter_hours(form.max_online_hours),
        max_self_paced_qh=quarter_hours(form.max_self_paced_hours),
        provisional_months=form.provisional_months.data,
        provisional_supervised_hours=form.provisional_supervised_hours.data,
        categories=categories,
        check_with_board=bool(form.check_with_board.data),
        rules_note=form.rules_note.data or "",
    )


def _now_rows(credential: CredentialType) -> list[tuple[str, str]]:
    return [
        ("Name", credential.name),
        ("Months in a renewal cycle", str(credential.cycle_months or "")),
        ("Continuing-education hours", credentials.hours_text(credential.ce_qh)),
        ("Grace period (days)", str(credential.grace_days)),
    ]


@bp.route("/credentials/<int:credential_type_id>/edit", methods=["GET", "POST"])
@requires("training.rules")
def credential_edit(credential_type_id: int) -> HttpResponse | tuple[str, int]:
    credential = db.get_or_404(CredentialType, credential_type_id)
    form = RulesForm() if request.method == "POST" else RulesForm(formdata=None, data=rules_form_data(credential))
    conflict = None
    if form.validate_on_submit():
        details = _details(form)
        attempt = save(form, lambda: certifications.rules_changed(credential, details, form.version.data, current_user))
        if attempt.saved:
            changed = attempt.result
            flash(
                f"Saved. The dates and hours of {changed} certification{'s' if changed != 1 else ''} follow the new "
                "rules.",
                "success",
            )
            return redirect(url_for(".credential_rules"))
        if attempt.conflict:
            credential = db.get_or_404(CredentialType, credential_type_id)
            form.version.data = str(credential.version)
            conflict = attempt.conflict
    if credential is None:
        abort(404)
    status = 409 if conflict else (400 if form.errors else 200)
    return render(
        "training/credential_edit.html",
        status,
        form=form,
        credential=credential,
        CeCategory=CeCategory,
        conflict=conflict,
        now=_now_rows(credential) if conflict else None,
    )
