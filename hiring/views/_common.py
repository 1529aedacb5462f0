"""Helpers shared by the hiring view files (kept here so the view files never import each other)."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, render_template, request
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from core import credentials, pdf, policy
from core.extensions import db
from core.forms import options
from core.models import CredentialType, Program
from core.timeutil import long_date
from hiring.models import Posting, PostingVersion, Template
from hiring.services import documents, pay, postings, public
from hiring.services import templates as template_service


def marked(text: str) -> Markup:
    """``text`` escaped, with each blank still to fill marked (``<mark>``), for the draft's preview."""
    escaped = str(escape(text))
    shown = documents.BLANK.sub(lambda match: f'<mark class="pw-blank">{match.group(0)}</mark>', escaped)
    # The text was escaped just above; only our own <mark> tags are added (ruff S704, bandit B704).
    return Markup(shown)  # noqa: S704  # nosec B704


def text_helpers(version: PostingVersion) -> dict[str, Any]:
    """``filled_text`` (a version's text with its blanks filled) and ``preview_text`` (the same, blanks still to
    fill marked) for templates."""
    return {
        "filled_text": lambda text: postings.filled(version, text),
        "preview_text": lambda text: marked(postings.filled(version, text)),
    }


def render(name: str, status: int = 200, /, **context: Any) -> tuple[str, int]:
    version = context.get("version")
    helpers = text_helpers(version) if isinstance(version, PostingVersion) else {}
    return render_template(
        name, long_date=long_date, pay=pay, documents=documents, marked=marked, **{**helpers, **context}
    ), status


def show_problems(form: Any, problems: dict[str, str]) -> list[str]:
    """Put a service's problems next to the form's fields; returns those for the whole form."""
    general = []
    for name, message in problems.items():
        if name and name in form:
            form[name].errors = [*form[name].errors, message]
        else:
            general.append(message)
    return general


def load_posting(posting_id: int, action: str = "posting.edit") -> Posting:
    posting = db.get_or_404(Posting, posting_id)
    policy.authorize(current_user, action, posting)
    return posting


def load_template(template_id: int) -> Template:
    template = db.get_or_404(Template, template_id)
    policy.authorize(current_user, "template.edit", template)
    return template


def version_or_404(posting: Posting, number: int) -> PostingVersion:
    found = postings.find_version(posting, number)
    if found is None:
        abort(404)
    return found


def program_choices(none: str = "Not chosen yet") -> list[SelectChoice]:
    programs = db.session.scalars(select(Program).order_by(Program.name)).all()
    return options([("", none), *((p.id, str(p)) for p in programs)])


def team_choices() -> list[SelectChoice]:
    programs = db.session.scalars(select(Program).order_by(Program.name)).all()
    choices = options([("", "Not chosen yet")])
    for program in programs:
        choices += options(((team.id, team.name) for team in program.teams), group=str(program))
    return choices


def credential_choices(current: int | None = None) -> list[SelectChoice]:
    found = [(c.id, str(c)) for c in credentials.active()]
    if current and current not in {value for value, _ in found}:
        retired = db.session.get(CredentialType, current)
        if retired is not None:
            found.append((retired.id, f"{retired} (retired)"))
    return options([("", "None required"), *found])


def template_choices() -> list[tuple[str, str]]:
    found = [(documents.SAMPLE_KEY, f"{documents.sample_name()} (ships with PeerWorks)")]
    found += [(f"t{t.id}", t.name) for t in db.session.scalars(template_service.listed(retired=False))]
    return found


def pdf_response(posting: Posting, version: PostingVersion, filename: str) -> Response:
    html = pdf_html(posting, version)
    return Response(
        pdf.render_pdf(html, base_url=request.url_root),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


def pdf_html(posting: Posting, version: PostingVersion) -> str:
    return render_template(
        "pdf/hiring_posting.html",
        posting=posting,
        version=version,
        document=postings.filled_document(version),
        agency=public.agency(),
        pay=pay,
        documents=documents,
        long_date=long_date,
        marked=marked,
        title=postings.filled(version, version.title),
        **text_helpers(version),
    )
