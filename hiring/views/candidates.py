"""Candidates: a posting's board (a column per stage) and list (search, pages, CSV), a candidate's page with the
application, the history and the form that moves them along. Candidates are personal data: every page that shows
one is in the audit log, and a candidate the person may not read answers "not found"."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as HttpResponse

from core import audit, edits, policy
from core.admin.services import staff as staff_service
from core.csvfiles import csv_response
from core.errors import InvalidInput, Refused, StaleEdit
from core.extensions import db
from core.forms import options
from core.pages import paginate
from core.policy import requires
from hiring.blueprint import bp
from hiring.forms import CandidateFilter, HireForm, MoveForm
from hiring.models import Candidate, CandidateStage, Posting
from hiring.services import applications, candidates, hires, panels, postings, scorecards
from hiring.views._common import load_posting, render, show_problems, team_choices

BACK = {"board": ".candidate_board", "list": ".candidate_list"}  # where a move from a posting's page returns


def _read(what: str, posting: Posting, count: int) -> None:
    """One audit entry for a page that shows a posting's candidates (how many, never who), committed. Called once
    the page is made: a commit expires every row loaded, which the page would then read again one by one."""
    audit.record(
        "hiring.candidates_read",
        actor=current_user,
        record_type="hiring_posting",
        record_id=posting.id,
        detail=f"{what}: {count} candidates",
    )
    db.session.commit()


def load_candidate(candidate_id: int, action: str = "candidate.read") -> Candidate:
    """A candidate the person may read (else "not found", audited), with ``action`` checked too."""
    candidate = db.get_or_404(Candidate, candidate_id)
    policy.authorize(current_user, "candidate.read", candidate, conceal=True)
    if action != "candidate.read":
        policy.authorize(current_user, action, candidate)
    return candidate


def _scoped(statement: Any) -> Any:
    return policy.scope(statement, current_user, "candidate.list", Candidate)


def _filters() -> tuple[CandidateFilter, candidates.Filters]:
    form = CandidateFilter(request.args)
    if not form.validate():
        return form, candidates.Filters()
    return form, candidates.Filters(q=form.q.data or "", stage=form.stage.data or "")


def move_form_for(candidate: Candidate, back: str = "") -> MoveForm:
    """The move form as a card or the candidate's page shows it: every other stage, the next one chosen."""
    form = MoveForm(formdata=None, data={"version": candidate.version, "back": back})
    _stage_choices(form, candidate)
    form.to_stage.data = candidates.next_stage(candidate.stage)
    return form


def _stage_choices(form: MoveForm, candidate: Candidate) -> None:
    form.to_stage.choices = options(
        (value, label) for value, label in candidates.stage_choices() if value != candidate.stage
    )


# A posting's candidates ------------------------------------------------------------------------------------------


@bp.get("/postings/<int:posting_id>/candidates")
@requires("hiring.view")
def candidate_list(posting_id: int) -> tuple[str, int]:
    posting = load_posting(posting_id)
    form, filters = _filters()
    counts = candidates.counts_by_stage(_scoped(candidates.stage_counts_statement(posting)))
    page = paginate(_scoped(candidates.listed(posting, filters)), total=candidates.listed_total(filters, counts))
    means = scorecards.means_for([candidate.id for candidate in page.items], current_user)
    shown = render(
        "hiring/candidates.html",
        posting=posting,
        version=postings.current_version(posting, related=False),
        form=form,
        filters=filters,
        page=page,
        page_args={"posting_id": posting.id, **filters.as_args()},
        means=means,
        counts=counts,
        stages=CandidateStage,
    )
    _read("list", posting, len(page.items))
    return shown


@bp.get("/postings/<int:posting_id>/candidates.csv")
@requires("hiring.view")
def candidate_csv(posting_id: int) -> Response:
    posting = load_posting(posting_id)
    _form, filters = _filters()
    found = list(db.session.scalars(_scoped(candidates.listed(posting, filters))).unique())
    means = scorecards.means_for([candidate.id for candidate in found], current_user)
    response = csv_response(candidates.export_rows(found, means), f"candidates-posting-{posting.id}.csv")
    _read("CSV", posting, len(found))
    return response


@bp.get("/postings/<int:posting_id>/board")
@requires("hiring.view")
def candidate_board(posting_id: int) -> tuple[str, int]:
    posting = load_posting(posting_id)
    columns = candidates.board(_scoped(candidates.board_statement(posting)))
    counts = candidates.counts_by_stage(_scoped(candidates.stage_counts_statement(posting)))
    means = scorecards.means_for([card.id for cards in columns.values() for card in cards], current_user)
    shown = render(
        "hiring/board.html",
        posting=posting,
        version=postings.current_version(posting, related=False),
        columns=columns,
        counts=counts,
        stages=CandidateStage,
        move_choices=candidates.stage_choices(),
        means=means,
        next_stage=candidates.next_stage,
    )
    _read("board", posting, sum(len(cards) for cards in columns.values()))
    return shown


# One candidate ----------------------------------------------------------------------------------------------------


def hire_form_for(candidate: Candidate, posting: Posting) -> HireForm:
    version = postings.current_version(posting)
    form = HireForm(
        formdata=None,
        data={
            "name": candidate.application.name,
            "email": candidate.application.email,
            "job_title": postings.filled(version, version.title),
            "team": version.team_id,
            "close_posting": True,
            "version": candidate.version,
        },
    )
    _hire_choices(form)
    return form


def _hire_choices(form: HireForm) -> None:
    form.team.choices = team_choices()
    form.supervisor.choices = options(
        [("", "Choose later"), *((person.id, person.label) for person in staff_service.supervisor_candidates())]
    )


def _candidate_page(
    candidate: Candidate,
    status: int = 200,
    *,
    form: MoveForm | None = None,
    hire_form: HireForm | None = None,
    refusal: str | None = None,
    conflict: str | None = None,
) -> tuple[str, int]:
    posting = db.session.get(Posting, candidate.posting_id)
    assert posting is not None  # noqa: S101  a candidate's posting is never deleted before it
    manage = policy.allows(current_user, "candidate.manage", candidate)
    if manage and candidate.stage == CandidateStage.OFFER and hire_form is None:
        hire_form = hire_form_for(candidate, posting)
    shown = render(
        "hiring/candidate.html",
        status,
        candidate=candidate,
        application=candidate.application,
        posting=posting,
        version=postings.current_version(posting),
        events=candidates.history(candidate),
        answers=applications.answers_of(candidate.application),
        manage=manage,
        move_form=(form or move_form_for(candidate)) if manage and candidate.stage not in candidates.FINAL else None,
        summary=scorecards.summary(candidate, current_user),
        may_score=policy.allows(current_user, "candidate.score", candidate),
        scoring_open=candidate.stage in panels.SCORING_STAGES,
        hire_form=hire_form if manage and candidate.stage == CandidateStage.OFFER else None,
        hire=hires.hire_of(candidate),
        refusal=refusal,
        conflict=conflict,
        may_read_resume=policy.allows(current_user, "upload.read", candidate.application.resume),
    )
    audit.record("hiring.candidate_read", actor=current_user, record_type="hiring_candidate", record_id=candidate.id)
    db.session.commit()
    return shown


@bp.get("/candidates/<int:candidate_id>")
@requires("hiring.interview")
def candidate_detail(candidate_id: int) -> tuple[str, int]:
    return _candidate_page(load_candidate(candidate_id))


@bp.post("/candidates/<int:candidate_id>/move")
@requires("hiring.manage")
def candidate_move(candidate_id: int) -> HttpResponse | tuple[str, int]:
    candidate = load_candidate(candidate_id, "candidate.manage")
    form = MoveForm()
    _stage_choices(form, candidate)
    if not form.validate_on_submit():
        return _candidate_page(candidate, 400, form=form)
    wanted = candidates.Move(form.to_stage.data or "", form.comment.data or "", form.reason.data or "")
    try:
        event = candidates.move(candidate, wanted, form.version.data, current_user)
        edits.commit()
    except InvalidInput as error:
        db.session.rollback()
        general = show_problems(form, error.problems)
        fresh = db.get_or_404(Candidate, candidate_id)
        return _candidate_page(fresh, 400, form=form, refusal=" ".join(general) or None)
    except Refused as error:
        db.session.rollback()
        return _candidate_page(db.get_or_404(Candidate, candidate_id), 400, form=form, refusal=str(error))
    except StaleEdit:
        db.session.rollback()
        fresh = db.get_or_404(Candidate, candidate_id)
        form.version.data = str(fresh.version)
        _stage_choices(form, fresh)
        if form.to_stage.data not in {value for value, _label in candidates.stage_choices() if value != fresh.stage}:
            form.to_stage.data = None
        return _candidate_page(
            fresh,
            409,
            form=form,
            conflict=(
                f"Someone else moved {fresh.application.name} while you were looking, so your move was not saved. "
                f"They are now at “{fresh.stage_label}”. What you chose and typed is still in the form: check it, "
                "then move them again if it is still right."
            ),
        )
    flash(f"Moved to “{CandidateStage(event.to_stage).label}”.", "success")
    back = BACK.get(form.back.data or "")
    if back:
        return redirect(url_for(back, posting_id=candidate.posting_id) + f"#candidate-{candidate.id}")
    return redirect(url_for(".candidate_detail", candidate_id=candidate.id))


@bp.post("/candidates/<int:candidate_id>/hire")
@requires("hiring.manage")
def new_hire(candidate_id: int) -> HttpResponse | tuple[str, int]:
    """A new hire: makes a staff member (and the record of the hire). The version it carries is the candidate's, so a
    page loaded before the candidate was moved on is refused (409) with what was typed kept while they are still at
    "offer"; a hired candidate cannot be hired twice."""
    candidate = load_candidate(candidate_id, "candidate.manage")
    form = HireForm()
    _hire_choices(form)
    if not form.validate_on_submit():
        return _candidate_page(candidate, 400, hire_form=form)
    details = hires.HireDetails(
        name=form.name.data or "",
        email=form.email.data or "",
        job_title=form.job_title.data or "",
        team_id=form.team.data,
        supervisor_id=form.supervisor.data,
        close_posting=bool(form.close_posting.data),
    )
    try:
        person = hires.hire(candidate, details, form.version.data, current_user)
        name = person.name
        edits.commit()
    except InvalidInput as error:
        db.session.rollback()
        general = show_problems(form, error.problems)
        fresh = db.get_or_404(Candidate, candidate_id)
        return _candidate_page(fresh, 400, hire_form=form, refusal=" ".join(general) or None)
    except Refused as error:
        db.session.rollback()
        return _candidate_page(db.get_or_404(Candidate, candidate_id), 400, hire_form=form, refusal=str(error))
    except StaleEdit:
        db.session.rollback()
        fresh = db.get_or_404(Candidate, candidate_id)
        form.version.data = str(fresh.version)
        return _candidate_page(
            fresh,
            409,
            hire_form=form,
            conflict=(
                f"Someone else moved {fresh.application.name} while you were looking, so nobody was hired. They are "
                f"now at “{fresh.stage_label}”. What you typed is still in the form: check it, then hire again if it "
                "is still right."
            ),
        )
    flash(f"Hired. {name}'s PeerWorks account is waiting, and their invitation email is in the outbox.", "success")
    return redirect(url_for(".candidate_detail", candidate_id=candidate_id))
