"""A posting's interview panel (HR): its interviewers, added and removed one at a time, and the competencies of
seed 003 they score; what the panel still lacks is listed beside it. A change made from a page loaded before
someone else's is refused (409) with the page as it is now."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as HttpResponse

from core import edits
from core.errors import InvalidInput, Refused, StaleEdit
from core.extensions import db
from core.forms import options
from core.policy import requires
from hiring.blueprint import bp
from hiring.forms import PanelCompetenciesForm, PanelMemberForm, PanelRemoveForm
from hiring.models import Posting
from hiring.services import competencies, panels, postings
from hiring.views._common import load_posting, render, show_problems

STALE = (
    "Someone else changed this panel while you were working on it, so your change was not saved. The panel below is "
    "as it is now: check it, then make your change again."
)


def _version(posting: Posting) -> int:
    panel = panels.panel_of(posting)
    return panel.version if panel is not None else 1  # a panel is made at version 1 by its first change


def _page(
    posting: Posting,
    status: int = 200,
    *,
    member_form: PanelMemberForm | None = None,
    competency_form: PanelCompetenciesForm | None = None,
    problem: str | None = None,
) -> tuple[str, int]:
    panel = panels.panel_of(posting)
    people = panels.members(panel)
    version = _version(posting)
    if member_form is None:
        member_form = PanelMemberForm(formdata=None, data={"version": version})
    member_form.staff.choices = options([("", "Choose a person"), *panels.interviewer_choices(panel)])
    if competency_form is None:
        competency_form = PanelCompetenciesForm(
            formdata=None, data={"version": version, "competencies": [c.key for c in panels.chosen(panel)]}
        )
    competency_form.competencies.choices = options(
        (competency.key, f"{competency.name}: {competency.description}") for competency in competencies.catalog()
    )
    return render(
        "hiring/panel.html",
        status,
        posting=posting,
        version=postings.current_version(posting),
        panel_version=version,
        people=people,
        lacking=panels.problems(panel, people),
        needs_peer=panels.needs_peer(),
        minimum=panels.MIN_INTERVIEWERS,
        member_form=member_form,
        competency_form=competency_form,
        problem=problem,
    )


@bp.get("/postings/<int:posting_id>/panel")
@requires("hiring.view")
def panel(posting_id: int) -> tuple[str, int]:
    return _page(load_posting(posting_id))


def _refused_or_stale(posting_id: int, error: Exception, **forms: object) -> tuple[str, int]:
    db.session.rollback()
    posting = db.get_or_404(Posting, posting_id)
    if isinstance(error, StaleEdit):
        for form in forms.values():
            form.version.data = str(_version(posting))  # type: ignore[attr-defined]
        return _page(posting, 409, problem=STALE, **forms)  # type: ignore[arg-type]
    return _page(posting, 400, problem=str(error), **forms)  # type: ignore[arg-type]


@bp.post("/postings/<int:posting_id>/panel/add")
@requires("hiring.manage")
def panel_add(posting_id: int) -> HttpResponse | tuple[str, int]:
    posting = load_posting(posting_id)
    form = PanelMemberForm()
    form.staff.choices = options([("", "Choose a person"), *panels.interviewer_choices(panels.panel_of(posting))])
    if not form.validate_on_submit():
        return _page(posting, 400, member_form=form)
    try:
        member = panels.add_member(posting, form.staff.data, form.version.data, current_user)
        name = member.staff.name
        edits.commit()
    except InvalidInput as error:
        db.session.rollback()
        show_problems(form, error.problems)
        return _page(db.get_or_404(Posting, posting_id), 400, member_form=form)
    except (Refused, StaleEdit) as error:
        return _refused_or_stale(posting_id, error, member_form=form)
    flash(f"{name} is on the panel.", "success")
    return redirect(url_for(".panel", posting_id=posting_id))


@bp.post("/postings/<int:posting_id>/panel/remove")
@requires("hiring.manage")
def panel_remove(posting_id: int) -> HttpResponse | tuple[str, int]:
    posting = load_posting(posting_id)
    form = PanelRemoveForm()
    if not form.validate_on_submit():
        return _page(posting, 400, problem="Choose the interviewer to remove with their button below.")
    raw = form.member.data or ""
    member_id = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else 0
    try:
        person = panels.remove_member(posting, member_id, form.version.data, current_user)
        name = person.name
        edits.commit()
    except (Refused, StaleEdit) as error:
        return _refused_or_stale(posting_id, error)
    flash(f"{name} is no longer on the panel.", "success")
    return redirect(url_for(".panel", posting_id=posting_id))


@bp.post("/postings/<int:posting_id>/panel/competencies")
@requires("hiring.manage")
def panel_competencies(posting_id: int) -> HttpResponse | tuple[str, int]:
    posting = load_posting(posting_id)
    form = PanelCompetenciesForm()
    form.competencies.choices = options((competency.key, competency.name) for competency in competencies.catalog())
    if not form.validate_on_submit():
        return _page(posting, 400, competency_form=form)
    try:
        chosen = panels.set_competencies(posting, list(form.competencies.data or []), form.version.data, current_user)
        edits.commit()
    except InvalidInput as error:
        db.session.rollback()
        show_problems(form, error.problems)
        return _page(db.get_or_404(Posting, posting_id), 400, competency_form=form)
    except (Refused, StaleEdit) as error:
        return _refused_or_stale(posting_id, error, competency_form=form)
    flash(f"Saved: the panel scores {len(chosen)} {'competency' if len(chosen) == 1 else 'competencies'}.", "success")
    return redirect(url_for(".panel", posting_id=posting_id))
