"""Caseload routes: the module's front page, "My caseload"."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user

from caseload.blueprint import bp
from caseload.forms.clients import CaseloadSearchForm
from caseload.services import caseload_lists as lists
from caseload.views._common import filter_value
from core.pages import paginate
from core.policy import requires


@bp.get("/")
@requires("caseload.view")
def index() -> str:
    if not lists.has_caseload(current_user):
        return render_template("caseload/index.html", has_caseload=False)
    form = CaseloadSearchForm(request.args)
    form.validate()
    q = filter_value(form.q, "")
    page = paginate(lists.my_clients_query(current_user, q))
    return render_template(
        "caseload/index.html",
        has_caseload=True,
        form=form,
        q=q,
        page=page,
        providers=lists.providers_by_client(page.items),
        counts=lists.caseload_counts(current_user),
    )
