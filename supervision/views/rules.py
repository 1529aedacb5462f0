"""The agency's supervision rules (hours a month, the one-to-one part, per credential where it differs) and the
agenda topics it adds to the built-in list. HR and the administrator keep them."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response as HttpResponse

from core.errors import InvalidInput
from core.extensions import db
from core.forms import options
from core.models import CredentialType
from core.policy import requires
from supervision.blueprint import bp
from supervision.forms import RuleForm, TopicForm
from supervision.models import Requirement
from supervision.services import hours, topics
from supervision.views._common import render, show_problems


def _rule_form(form: RuleForm | None = None) -> RuleForm:
    form = form or RuleForm(formdata=None)
    credentials = db.session.scalars(select(CredentialType).order_by(CredentialType.name))
    form.credential_type_id.choices = options(
        [("", "Everyone (the agency's rule)"), *((c.id, f"Holders of {c.name}") for c in credentials)]
    )
    return form


def _page(status: int = 200, **forms: object) -> tuple[str, int]:
    return render(
        "supervision/rules.html",
        status,
        agency=hours.agency_rule(),
        saved_agency=db.session.scalar(select(Requirement.id).where(Requirement.credential_type_id.is_(None))),
        credential_rules=hours.credential_rules(),
        topic_names=topics.names(),
        rule_form=forms.get("rule_form") or _rule_form(),
        topic_form=forms.get("topic_form") or TopicForm(formdata=None),
    )


@bp.get("/rules")
@requires("supervision.rules")
def rules() -> tuple[str, int]:
    return _page()


@bp.post("/rules")
@requires("supervision.rules")
def rule_save() -> HttpResponse | tuple[str, int]:
    form = _rule_form(RuleForm())
    if form.validate_on_submit():
        try:
            hours.save_rule(
                form.credential_type_id.data,
                form.minutes(form.monthly_hours),
                form.minutes(form.one_to_one_hours),
                current_user,
            )
            db.session.commit()
        except InvalidInput as error:
            db.session.rollback()
            show_problems(form, error.problems)
            return _page(400, rule_form=_rule_form(form))
        flash("Saved. The compliance view uses it from now on, for past months too.", "success")
        return redirect(url_for(".rules"))
    return _page(400, rule_form=form)


@bp.post("/rules/<int:requirement_id>/remove")
@requires("supervision.rules")
def rule_remove(requirement_id: int) -> HttpResponse:
    found = db.get_or_404(Requirement, requirement_id)
    hours.remove_rule(found, current_user)
    db.session.commit()
    flash("Removed. Holders of that credential follow the agency's rule.", "success")
    return redirect(url_for(".rules"))


@bp.post("/rules/topics")
@requires("supervision.rules")
def topic_add() -> HttpResponse | tuple[str, int]:
    form = TopicForm()
    if form.validate_on_submit():
        try:
            topics.add(form.name.data or "", current_user)
            db.session.commit()
        except InvalidInput as error:
            db.session.rollback()
            show_problems(form, error.problems)
            return _page(400, topic_form=form)
        flash("Added. Supervisors can choose it on their next session record.", "success")
        return redirect(url_for(".rules") + "#topics")
    return _page(400, topic_form=form)


