"""Interviewers' pages: the candidates they have to score (on the panels they are on), and their scorecard for one
candidate: a score from 1 to 5 and the evidence for each chosen competency, saved for later or submitted. Nobody
sees another interviewer's scores before submitting their own (``hiring.services.scorecards``)."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as HttpResponse

from core import audit, edits, policy
from core.errors import InvalidInput, Refused, StaleEdit
from core.extensions import db
from core.pages import paginate
from core.policy import requires
from hiring.blueprint import bp
from hiring.forms import ScorecardForm, scorecard_form_class
from hiring.models import Candidate, Posting
from hiring.services import competencies, panels, postings, scorecards
from hiring.views._common import render, show_problems


@bp.get("/interviews")
@requires("hiring.interview")
def interviews() -> tuple[str, int]:
    statement = policy.scope(scorecards.to_score(current_user), current_user, "candidate.to_score", Candidate)
    page = paginate(statement)
    rows = list(page.items)
    titles = postings.titles_of({candidate.posting_id for candidate in rows})
    cards = scorecards.own_cards([candidate.id for candidate in rows], current_user)
    shown = render("hiring/interviews.html", page=page, rows=rows, titles=titles, cards=cards)
    if rows:
        audit.record(
            "hiring.candidates_read",
            actor=current_user,
            record_type="hiring_interviews",
            record_id=current_user.id,
            detail=f"to score: {len(rows)} candidates",
        )
        db.session.commit()
    return shown


def _chosen(candidate: Candidate) -> list[competencies.Competency]:
    return panels.chosen(panels.panel_for(candidate.posting_id))


def _form_class(chosen: list[competencies.Competency]) -> type[ScorecardForm]:
    return scorecard_form_class([(competency.field, competency.name) for competency in chosen])


def _needed_to_submit(form: ScorecardForm, chosen: list[competencies.Competency]) -> ScorecardForm:
    """Mark the scores and the evidence as needed (they are, to submit), so the page does not call them optional."""
    for competency in chosen:
        form[f"score_{competency.field}"].flags.required = True
        form[f"evidence_{competency.field}"].flags.required = True
    return form


def _score_page(
    candidate: Candidate,
    status: int = 200,
    *,
    form: ScorecardForm | None = None,
    conflict: str | None = None,
    refusal: str | None = None,
) -> tuple[str, int]:
    chosen = _chosen(candidate)
    card = scorecards.own(candidate, current_user)
    if form is None:
        saved = scorecards.own_scores(card)
        data: dict[str, object] = {"version": scorecards.version_of(card)}
        for competency in chosen:
            row = saved.get(competency.key)
            if row is not None:
                data[f"score_{competency.field}"] = str(row.score) if row.score is not None else None
                data[f"evidence_{competency.field}"] = row.evidence
        form = _form_class(chosen)(formdata=None, data=data)
    _needed_to_submit(form, chosen)
    posting = db.session.get(Posting, candidate.posting_id)
    shown = render(
        "hiring/score.html",
        status,
        candidate=candidate,
        application=candidate.application,
        posting=posting,
        version=postings.current_version(posting) if posting else None,
        chosen=chosen,
        card=card,
        form=form,
        open_for_scores=candidate.stage in panels.SCORING_STAGES,
        conflict=conflict,
        refusal=refusal,
        minimum=scorecards.MIN_EVIDENCE,
    )
    audit.record(
        "hiring.candidate_read",
        actor=current_user,
        record_type="hiring_candidate",
        record_id=candidate.id,
        detail="scorecard",
    )
    db.session.commit()
    return shown


def _load(candidate_id: int) -> Candidate:
    candidate = db.get_or_404(Candidate, candidate_id)
    policy.authorize(current_user, "candidate.read", candidate, conceal=True)
    policy.authorize(current_user, "candidate.score", candidate)
    return candidate


@bp.get("/candidates/<int:candidate_id>/score")
@requires("hiring.interview")
def candidate_score(candidate_id: int) -> tuple[str, int]:
    return _score_page(_load(candidate_id))


@bp.post("/candidates/<int:candidate_id>/score")
@requires("hiring.interview")
def candidate_score_save(candidate_id: int) -> HttpResponse | tuple[str, int]:
    candidate = _load(candidate_id)
    chosen = _chosen(candidate)
    form = _form_class(chosen)()
    submit = request.form.get("action") == "submit"
    if not form.validate_on_submit():
        return _score_page(candidate, 400, form=form)
    entries = {
        competency.key: scorecards.Entry(
            int(form[f"score_{competency.field}"].data) if form[f"score_{competency.field}"].data else None,
            form[f"evidence_{competency.field}"].data or "",
        )
        for competency in chosen
    }
    try:
        scorecards.save(candidate, entries, submit=submit, loaded=form.version.data, interviewer=current_user)
        edits.commit()
    except InvalidInput as error:
        db.session.rollback()
        general = show_problems(form, error.problems)
        fresh = db.get_or_404(Candidate, candidate_id)
        return _score_page(fresh, 400, form=form, refusal=" ".join(general) or None)
    except Refused as error:
        db.session.rollback()
        return _score_page(db.get_or_404(Candidate, candidate_id), 400, form=form, refusal=str(error))
    except StaleEdit:
        db.session.rollback()
        fresh = db.get_or_404(Candidate, candidate_id)
        form.version.data = str(scorecards.version_of(scorecards.own(fresh, current_user)))
        return _score_page(
            fresh,
            409,
            form=form,
            conflict=(
                "Your scorecard for this candidate was saved from another tab or window while this one was open, so "
                "nothing here was saved. What you entered is still below: check it, then save again."
            ),
        )
    if submit:
        flash("Your scores are submitted. You can now see the panel's scores for this candidate.", "success")
        return redirect(url_for(".candidate_detail", candidate_id=candidate_id) + "#scores-heading")
    flash("Saved for later. Nobody else sees your scores; submit them when you are done.", "success")
    return redirect(url_for(".candidate_score", candidate_id=candidate_id))
