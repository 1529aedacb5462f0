"""The public careers page (no sign-in): open postings with filters by program and setting, each posting's page
with its schema.org JobPosting, and its PDF. Only the published version of a posting is ever shown here."""

from __future__ import annotations

from flask import abort, request
from flask_login import current_user
from werkzeug.wrappers import Response

from core import policy
from core.extensions import db
from core.pages import paginate
from core.policy import public
from hiring.blueprint import careers
from hiring.forms import CareersFilter
from hiring.models import Posting, PostingVersion
from hiring.services import postings
from hiring.services import public as public_service
from hiring.views._common import pdf_response, program_choices, render


def _published(posting_id: int) -> tuple[Posting, PostingVersion]:
    """A posting open to everyone, with its published version; anything else is "not found"."""
    posting = db.session.get(Posting, posting_id)
    if posting is None or not policy.allows(current_user, "posting.public", posting):
        abort(404)
    assert posting.published_number is not None  # noqa: S101  the rule above requires it
    return posting, postings.version_numbered(posting, posting.published_number)


@careers.get("/")
@public
def index() -> tuple[str, int]:
    form = CareersFilter(request.args)
    form.program.choices = program_choices("Any program")
    valid = form.validate()
    statement = postings.open_postings(form.program.data if valid else None, form.setting.data if valid else None)
    statement = policy.scope(statement, current_user, "posting.public", Posting)
    page = paginate(statement)
    args = {
        key: value
        for key, value in (("program", request.args.get("program", "")), ("setting", request.args.get("setting", "")))
        if value
    }
    return render(
        "hiring/careers.html",
        form=form,
        page=page,
        rows=postings.versions_for(page.items, published=True),
        args=args,
        agency=public_service.agency(),
    )


@careers.get("/<int:posting_id>")
@public
def posting(posting_id: int) -> tuple[str, int]:
    found, version = _published(posting_id)
    agency = public_service.agency()
    return render(
        "hiring/careers_posting.html",
        posting=found,
        version=version,
        document=postings.filled_document(version),
        agency=agency,
        json_ld=public_service.json_ld(public_service.job_posting(found, version, agency)),
        title=postings.filled(version, version.title),
    )


@careers.get("/<int:posting_id>.pdf")
@public
def posting_pdf(posting_id: int) -> Response:
    found, version = _published(posting_id)
    return pdf_response(found, version, f"job-{found.id}.pdf")
