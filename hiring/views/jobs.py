"""The public careers page (no sign-in): open postings with filters by program and setting, each posting's page
with its schema.org JobPosting, its PDF, and the application form (rate-limited per address). Only the published
version of a posting is ever shown here."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from core import policy, uploads
from core.errors import InvalidInput
from core.extensions import db, limiter
from core.pages import paginate
from core.policy import public
from hiring.blueprint import careers
from hiring.forms import ApplicationForm, CareersFilter, application_form_class
from hiring.models import Posting, PostingVersion
from hiring.services import applications, postings
from hiring.services import public as public_service
from hiring.views._common import pdf_response, program_choices, render, show_problems


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


# Applying --------------------------------------------------------------------------------------------------------


def _application_form(version: PostingVersion) -> ApplicationForm:
    return application_form_class(version.question_list)()


def _throttled(_limit: Any) -> None:
    flash(
        "Too many applications have been sent from your connection in a short time. Wait an hour, then send "
        "yours again.",
        "error",
    )


def _apply_limit() -> str:
    return str(current_app.config["APPLY_RATE_LIMIT"])


@careers.route("/<int:posting_id>/apply", methods=["GET", "POST"])
@public
@limiter.limit(_apply_limit, methods=["POST"], on_breach=_throttled)
def apply(posting_id: int) -> Response | tuple[str, int]:
    found, version = _published(posting_id)
    form = _application_form(version)
    title = postings.filled(version, version.title)
    if form.validate_on_submit():
        sent = applications.Sent(
            name=form.name.data or "",
            email=form.email.data or "",
            phone=form.phone.data or "",
            answers=[
                (question, form[f"answer_{index}"].data or "") for index, question in enumerate(version.question_list)
            ],
            statement=form.statement.data or "",
        )
        try:
            resume = uploads.check(request.files.get("resume"), field="resume", what="Your résumé")
            applications.apply(found, version, sent, resume, title)
            db.session.commit()
        except InvalidInput as error:
            db.session.rollback()
            show_problems(form, error.problems)
        else:
            return redirect(url_for(".applied", posting_id=found.id))
    status = 400 if request.method == "POST" else 200
    choose_again = request.method == "POST" and bool(request.files.get("resume")) and not form.resume.errors
    return render(
        "hiring/apply.html",
        status,
        posting=found,
        version=version,
        form=form,
        title=title,
        agency=public_service.agency(),
        choose_again=choose_again,
    )


@careers.get("/<int:posting_id>/applied")
@public
def applied(posting_id: int) -> tuple[str, int]:
    found, version = _published(posting_id)
    return render(
        "hiring/applied.html",
        posting=found,
        title=postings.filled(version, version.title),
        agency=public_service.agency(),
    )
