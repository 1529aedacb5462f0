"""Readiness results: a campaign's scores, distributions and free text, with small-group protection; CSV and PDF
exports.

Registered on the readiness blueprint (imported at the bottom of ``readiness/views.py``). Reading only: no state
changes, so no audit entry.
"""

from __future__ import annotations

import csv
import io

from flask import make_response, render_template, request
from werkzeug.wrappers import Response as HttpResponse

from core import pdf
from core.extensions import db
from core.policy import requires
from readiness.models import Campaign
from readiness.services import results as results_service
from readiness.views import bp, long_date

BAR_WIDTH = 300  # the longest bar in a chart, in SVG units


@bp.get("/campaigns/<int:campaign_id>/results")
@requires("readiness.results")
def campaign_results(campaign_id: int) -> tuple[str, int]:
    campaign = db.get_or_404(Campaign, campaign_id)
    results = results_service.campaign_results(campaign)
    return render_template(
        "readiness/results.html", campaign=campaign, results=results, too_few=results_service.TOO_FEW,
        bar_width=BAR_WIDTH, long_date=long_date,
    ), 200


@bp.get("/campaigns/<int:campaign_id>/results.csv")
@requires("readiness.results")
def campaign_results_csv(campaign_id: int) -> HttpResponse:
    campaign = db.get_or_404(Campaign, campaign_id)
    results = results_service.campaign_results(campaign)
    out = io.StringIO()
    csv.writer(out).writerows(results_service.score_rows(results))
    response = make_response(out.getvalue())
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="readiness-{campaign.id}-scores.csv"'
    return response


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
