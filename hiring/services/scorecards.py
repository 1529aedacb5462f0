"""Scorecards: each interviewer scores each competency the panel chose, 1 to 5 with the evidence for it, and
submits. A scorecard is a draft until submitted and never changes afterwards.

**Blindness.** Nobody on the panel sees another interviewer's scores before submitting their own: every read of
scores (a candidate's summary, the list's and the CSV's mean, the board) goes through one SQL condition, the
``score.read`` scope in ``hiring.policy``, and the summary is computed in SQL under it. HR and the administrator who
are not on the panel see the submitted scores; drafts are seen by nobody but their interviewer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError

from core import audit, edits, policy, timeutil
from core.errors import InvalidInput, Refused, StaleEdit
from core.extensions import db
from core.models import Staff
from core.text import visible_length
from hiring.models import Candidate, Score, Scorecard
from hiring.services import competencies, panels

MIN_EVIDENCE = 10  # visible characters of evidence for each score on a submitted scorecard
NEW = 0  # the version a form shows before its scorecard exists


@dataclass(frozen=True)
class Entry:
    score: int | None
    evidence: str


def own(candidate: Candidate, interviewer: Staff) -> Scorecard | None:
    return db.session.scalar(
        select(Scorecard).where(Scorecard.candidate_id == candidate.id, Scorecard.interviewer_id == interviewer.id)
    )


def own_scores(card: Scorecard | None) -> dict[str, Score]:
    if card is None:
        return {}
    return {
        score.competency_key: score for score in db.session.scalars(select(Score).where(Score.scorecard_id == card.id))
    }


def version_of(card: Scorecard | None) -> int:
    return card.version if card is not None else NEW


def save(
    candidate: Candidate,
    entries: Mapping[str, Entry],
    *,
    submit: bool,
    loaded: object,
    interviewer: Staff,
) -> Scorecard:
    """Save the interviewer's scores of ``candidate`` (``entries`` by competency key), as a draft or submitted.
    Raises ``StaleEdit`` (another tab saved first), ``InvalidInput`` (a score or its evidence missing on submit) or
    ``Refused`` (not on the panel, the candidate not at interview, or already submitted)."""
    if not panels.is_member(candidate.posting_id, interviewer.id):
        raise Refused("Only the interviewers on this posting's panel score its candidates.")
    card = own(candidate, interviewer)
    if edits.submitted_version(loaded) != version_of(card):
        raise StaleEdit
    if card is not None and card.submitted_at is not None:
        raise Refused("You submitted your scores for this candidate already; submitted scores do not change.")
    if candidate.stage not in panels.SCORING_STAGES:
        raise Refused(
            "Scores are given while a candidate is at “Interview” or “Offer”. HR moves candidates to interview."
        )
    chosen = panels.chosen(panels.panel_for(candidate.posting_id))
    problems: dict[str, str] = {}
    for competency in chosen:
        entry = entries.get(competency.key, Entry(None, ""))
        if entry.score is not None and not 1 <= entry.score <= 5:
            problems[f"score_{competency.field}"] = f"Choose a score from 1 to 5 for {competency.name}."
        if submit and entry.score is None:
            problems[f"score_{competency.field}"] = f"Choose a score from 1 to 5 for {competency.name}."
        if submit and visible_length(entry.evidence) < MIN_EVIDENCE:
            problems[f"evidence_{competency.field}"] = (
                f"Write the evidence for your {competency.name} score: what the candidate said or did "
                f"(at least {MIN_EVIDENCE} characters)."
            )
    if problems:
        raise InvalidInput(problems)
    if card is None:
        card = Scorecard(candidate_id=candidate.id, interviewer_id=interviewer.id)
        db.session.add(card)
        try:
            db.session.flush()
        except IntegrityError as error:  # another tab made it at the same moment
            raise StaleEdit from error
    saved = own_scores(card)
    for competency in chosen:
        entry = entries.get(competency.key, Entry(None, ""))
        row = saved.get(competency.key)
        if row is None:
            db.session.add(
                Score(
                    scorecard_id=card.id,
                    competency_key=competency.key,
                    score=entry.score,
                    evidence=entry.evidence.strip(),
                )
            )
        else:
            row.score, row.evidence = entry.score, entry.evidence.strip()
    if submit:
        card.submitted_at = timeutil.utcnow()
    card.updated_at = timeutil.utcnow()  # also moves the version on, so a second tab's save is refused
    edits.flush()
    audit.record(
        "hiring.scores_submitted" if submit else "hiring.scores_saved",
        actor=interviewer,
        record_type="hiring_candidate",
        record_id=candidate.id,
    )
    return card


# The summary, under the blindness condition ----------------------------------------------------------------------


@dataclass
class Line:
    """One competency of a candidate's summary."""

    competency: competencies.Competency
    scores: list[tuple[str, int, str]] = field(default_factory=list)  # (interviewer, score, evidence)
    mean: float | None = None
    spread: int | None = None  # the highest score minus the lowest

    @property
    def count(self) -> int:
        return len(self.scores)


@dataclass
class Summary:
    lines: list[Line]
    submitted: int  # scorecards submitted, that the viewer may see
    interviewers: int  # on the panel now
    blind: bool  # the viewer is on the panel and has not submitted: they see nothing yet

    @property
    def overall(self) -> float | None:
        means = [line.mean for line in self.lines if line.mean is not None]
        return sum(means) / len(means) if means else None


def _visible(statement: Select, viewer: Staff) -> Select:
    """``statement`` (over ``Score`` joined to its ``Scorecard``) limited to the scores ``viewer`` may see."""
    return policy.scope(statement, viewer, "score.read", Score)


def summary(candidate: Candidate, viewer: Staff) -> Summary:
    """Per chosen competency: each visible score with its interviewer and evidence, the mean and the spread, in a
    fixed number of queries however many interviewers and competencies (the mean and spread computed in SQL)."""
    panel = panels.panel_for(candidate.posting_id)
    people = panels.members(panel)
    chosen = panels.chosen(panel)
    on_panel = any(member.staff_id == viewer.id for member in people)
    base = (
        select(Score)
        .join(Scorecard, Scorecard.id == Score.scorecard_id)
        .where(Scorecard.candidate_id == candidate.id, Score.score.is_not(None))
    )
    totals = _visible(
        base.with_only_columns(
            Score.competency_key, func.avg(Score.score), func.max(Score.score) - func.min(Score.score)
        ).group_by(Score.competency_key),
        viewer,
    )
    figures = {key: (mean, spread) for key, mean, spread in db.session.execute(totals)}
    each = _visible(
        base.join(Staff, Staff.id == Scorecard.interviewer_id)
        .with_only_columns(Score.competency_key, Staff.name, Score.score, Score.evidence)
        .order_by(Staff.name, Scorecard.id),
        viewer,
    )
    lines = {competency.key: Line(competency) for competency in chosen}
    for key, name, score, evidence in db.session.execute(each):
        if key in lines:
            lines[key].scores.append((name, score, evidence))
    for key, (mean, spread) in figures.items():
        if key in lines:
            lines[key].mean, lines[key].spread = float(mean), int(spread)
    cards = _visible(
        select(func.count(func.distinct(Scorecard.id)))
        .select_from(Score)
        .join(Scorecard, Scorecard.id == Score.scorecard_id)
        .where(Scorecard.candidate_id == candidate.id),
        viewer,
    )
    submitted = db.session.scalar(cards) or 0
    mine = own(candidate, viewer) if on_panel else None
    blind = on_panel and (mine is None or mine.submitted_at is None)
    return Summary(list(lines.values()), submitted, len(people), blind)


def means_for(candidate_ids: list[int], viewer: Staff) -> dict[int, tuple[float, int]]:
    """Each candidate's mean score over every competency and the number of scorecards it comes from, as far as
    ``viewer`` may see (the same condition as the summary), in one query."""
    if not candidate_ids:
        return {}
    statement = _visible(
        select(Scorecard.candidate_id, func.avg(Score.score), func.count(func.distinct(Scorecard.id)))
        .select_from(Score)
        .join(Scorecard, Scorecard.id == Score.scorecard_id)
        .where(Scorecard.candidate_id.in_(candidate_ids), Score.score.is_not(None))
        .group_by(Scorecard.candidate_id),
        viewer,
    )
    return {candidate_id: (float(mean), count) for candidate_id, mean, count in db.session.execute(statement)}


# The interviewer's list ------------------------------------------------------------------------------------------


def to_score(viewer: Staff) -> Select:
    """The candidates at interview or offer (the views add the panels ``viewer`` is on): those ``viewer`` has not
    submitted scores for first, then by posting and by when they reached their stage."""
    mine = select(Scorecard).where(Scorecard.interviewer_id == viewer.id).subquery()
    return (
        select(Candidate)
        .outerjoin(mine, mine.c.candidate_id == Candidate.id)
        .where(Candidate.stage.in_(panels.SCORING_STAGES))
        .order_by(mine.c.submitted_at.is_not(None), Candidate.posting_id, Candidate.stage_at, Candidate.id)
    )


def own_cards(candidate_ids: list[int], viewer: Staff) -> dict[int, Scorecard]:
    """``viewer``'s scorecards of these candidates (candidate id -> scorecard), in one query."""
    if not candidate_ids:
        return {}
    cards = db.session.scalars(
        select(Scorecard).where(Scorecard.candidate_id.in_(candidate_ids), Scorecard.interviewer_id == viewer.id)
    )
    return {card.candidate_id: card for card in cards}
