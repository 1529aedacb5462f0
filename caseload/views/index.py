"""Caseload routes: the module's front page, "My caseload"."""

from __future__ import annotations

from flask import current_app, render_template, request
from flask_login import current_user

from caseload.forms.clients import CaseloadSearchForm
from caseload.services import caseload_lists as lists
from caseload.views import bp
from caseload.views.clients import filter_value, optional_links, page_number
from core.extensions import db
from core.policy import requires


@bp.get("/")
@requires("caseload.view")
def index() -> str:
    links = optional_links(safeguards="caseload.safeguards_index")
    if not lists.has_caseload(current_user):
        return render_template("caseload/index.html", has_caseload=False, links=links)
    form = CaseloadSearchForm(request.args)
    form.validate()
    q = filter_value(form.q, "")
    page = db.paginate(
        lists.my_clients_query(current_user, q),
        page=page_number(),
        per_page=int(current_app.config["PAGE_SIZE"]),
        error_out=False,
    )
    return render_template(
        "caseload/index.html",
        has_caseload=True,
        links=links,
        form=form,
        q=q,
        page=page,
        providers=lists.providers_by_client(page.items),
        counts=lists.caseload_counts(current_user),
    )
