"""Readiness results: a campaign's scores, distributions and free text, with small-group protection; CSV and PDF
exports; the open answers, paged and searchable, and their CSV.

Reading only; the CSV of the open answers is written to the audit log (who took a copy of the words, never the words).
"""

from __future__ import annotations

from flask import abort, make_response, render_template, request
from flask_login import current_user
from werkzeug.wrappers import Response as HttpResponse

from core import audit, pdf
from core.csvfiles import csv_response
from core.extensions import db
from core.pages import paginate
from core.policy import requires
from core.timeutil import long_date
from readiness.blueprint import bp
from readiness.forms import OpenAnswerSearchForm
from readiness.models import Campaign, Item, ItemKind
from readiness.services import ballots, thresholds
from readiness.services import campaigns as campaign_service
from readiness.services import results as results_service
from readiness.services.instruments import load_contents

BAR_WIDTH = 300  # the longest bar in a chart, in SVG units


@bp.get("/campaigns/<int:campaign_id>/results")
@requires("readiness.results")
def campaign_results(campaign_id: int) -> tuple[str, int]:
    campaign = db.get_or_404(Campaign, campaign_id)
    results = results_service.campaign_results(campaign)
    waiting = ballots.waiting(campaign, results.minimum, campaign_service.today())
    return render_template(
        "readiness/results.html", campaign=campaign, results=results, too_few=results_service.TOO_FEW,
        bar_width=BAR_WIDTH, long_date=long_date, waiting=waiting,
    ), 200


@bp.get("/campaigns/<int:campaign_id>/results.csv")
@requires("readiness.results")
def campaign_results_csv(campaign_id: int) -> HttpResponse:
    campaign = db.get_or_404(Campaign, campaign_id)
    results = results_service.campaign_results(campaign)
    return csv_response(results_service.score_rows(results), f"readiness-{campaign.id}-scores.csv")


def _open_question(campaign: Campaign, item_id: int) -> Item:
    """An open question of the campaign's survey, or 404."""
    item = db.session.get(Item, item_id)
    if item is None or item.instrument_id != campaign.instrument_id or item.kind != ItemKind.TEXT:
        abort(404)
    return item


@bp.get("/campaigns/<int:campaign_id>/open-answers/<int:item_id>")
@requires("readiness.results")
def open_answers(campaign_id: int, item_id: int) -> tuple[str, int]:
    """Every answer to one open question, in alphabetical order, a page at a time, with a search box."""
    campaign = db.get_or_404(Campaign, campaign_id)
    item = _open_question(campaign, item_id)
    form = OpenAnswerSearchForm(request.args)
    valid = form.validate()
    words = form.q.data if valid and form.q.data else ""
    total = results_service.open_total(campaign, item)
    page = None
    if total is not None:
        page = paginate(results_service.open_answers(campaign, item, words))
    return render_template(
        "readiness/open_answers.html", campaign=campaign, item=item, form=form, words=words, total=total,
        page=page, minimum=thresholds.for_campaign(campaign), one_team=results_service.one_team(campaign),
    ), 200 if valid else 400


@bp.get("/campaigns/<int:campaign_id>/open-answers.csv")
@requires("readiness.results")
def open_answers_csv(campaign_id: int) -> HttpResponse:
    """All the open answers that may be shown, question by question, in alphabetical order."""
    campaign = db.get_or_404(Campaign, campaign_id)
    items = [item for item in load_contents(campaign.instrument_id).items if item.kind == ItemKind.TEXT]
    rows = results_service.open_answer_rows(campaign, items)
    audit.record("readiness.open_answers_exported", actor=current_user, record_type="readiness_campaign",
                 record_id=campaign.id, detail=f"{len(rows) - 1} answers")
    db.session.commit()
    return csv_response(rows, f"readiness-{campaign.id}-open-answers.csv")


@bp.get("/campaigns/<int:campaign_id>/results.pdf")
@requires("readiness.results")
def results_pdf(campaign_id: int) -> HttpResponse:
    """The results as a printable report: the same numbers, with the same groups hidden, as the results page."""
    campaign = db.get_or_404(Campaign, campaign_id)
    results = results_service.campaign_results(campaign)
    html = render_template(
        "pdf/readiness_results.html", campaign=campaign, results=results, too_few=results_service.TOO_FEW,
        long_date=long_date,
    )
    response = make_response(pdf.render_pdf(html, base_url=request.url_root))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="readiness-{campaign.id}-results.pdf"'
    return response
