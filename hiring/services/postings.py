"""Postings and their versions: start a draft from a template, save (every save is a new version), change duties,
restore an old version, and the approval path.

Every function takes the acting person, flushes and audits, and never commits (the view does, through
``core.edits.commit``). A save names the posting's ``version`` the form was loaded at; a save from a page that is
out of date raises ``StaleEdit`` (``core.edits``), so two people editing the same draft never overwrite each other.

The approval path: draft -> in review -> approved -> published -> closed. Only the version that was approved is
published, and the published version is never changed: an edit after that makes a new version (the posting goes
back to draft, and the careers page keeps showing the published version until a new one is approved and published).
A change while in review or approved sends the posting back to draft too, as the approval was of other words.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import lazyload

from core import audit, edits, timeutil
from core.errors import InvalidInput, Refused
from core.extensions import db
from core.models import CredentialType, Program, Staff, Team
from hiring.models import (
    EmploymentType,
    LivedExperience,
    PayPeriod,
    Posting,
    PostingEvent,
    PostingStatus,
    PostingVersion,
    Template,
    WorkSetting,
)
from hiring.services import documents
from hiring.services.documents import Document

MAX_VERSION_NOTE = 200
MAX_DUTIES = 60
CONTENT = (
    "title",
    "program_id",
    "team_id",
    "setting",
    "employment_type",
    "pay_min_cents",
    "pay_max_cents",
    "pay_period",
    "hours_per_week",
    "schedule",
    "credential_type_id",
    "lived_experience",
    "lived_experience_text",
    "closes_on",
    "document",
    "blanks",
    "questions",
)
DEFAULT_LIVED_EXPERIENCE = (
    "You have your own lived experience of recovery from mental health or substance use challenges, and you are "
    "willing to share parts of your story to give others hope. Lived experience counts as experience for this job."
)


# Reading ----------------------------------------------------------------------------------------------------------


def current_version(posting: Posting, *, related: bool = True) -> PostingVersion:
    """The version being edited (the published one is ``published_number``). ``related=False``: the version's own
    columns only, for a page that shows just its title (a posting's candidate list and board): its program, team,
    credential and author, joined to it otherwise with their own roles, teams and rules (four more queries), are
    then read only if the page asks for them."""
    return version_numbered(posting, posting.current_number, related=related)


def version_numbered(posting: Posting, number: int, *, related: bool = True) -> PostingVersion:
    found = find_version(posting, number, related=related)
    if found is None:
        raise LookupError(f"posting {posting.id} has no version {number}")
    return found


def find_version(posting: Posting, number: int, *, related: bool = True) -> PostingVersion | None:
    statement = select(PostingVersion).where(PostingVersion.posting_id == posting.id, PostingVersion.number == number)
    return db.session.scalar(statement if related else statement.options(lazyload("*")))


def versions_of(posting: Posting) -> list[PostingVersion]:
    return list(
        db.session.scalars(
            select(PostingVersion).where(PostingVersion.posting_id == posting.id).order_by(PostingVersion.number.desc())
        )
    )


def events_of(posting: Posting) -> list[PostingEvent]:
    return list(
        db.session.scalars(select(PostingEvent).where(PostingEvent.posting_id == posting.id).order_by(PostingEvent.id))
    )


def postings_with_current() -> Select:
    """Every posting, newest first, for HR's list (``versions_for`` then reads their current versions)."""
    return select(Posting).order_by(Posting.id.desc())


def versions_for(found: list[Posting], *, published: bool = False) -> list[tuple[Posting, PostingVersion]]:
    """Each posting with its current (or published) version, read in one query whatever the number of postings."""
    wanted = {(p.id, p.published_number if published else p.current_number) for p in found}
    if not wanted:
        return []
    rows = db.session.scalars(
        select(PostingVersion).where(
            PostingVersion.posting_id.in_([posting_id for posting_id, _ in wanted]),
            PostingVersion.number.in_({number for _, number in wanted if number is not None}),
        )
    )
    by_key = {(v.posting_id, v.number): v for v in rows if (v.posting_id, v.number) in wanted}
    return [(p, by_key[(p.id, p.published_number if published else p.current_number)]) for p in found]


def titles_of(posting_ids: set[int]) -> dict[int, str]:
    """Each posting's job title as its current version says it (blanks filled), in two queries."""
    found = list(db.session.scalars(select(Posting).where(Posting.id.in_(posting_ids)))) if posting_ids else []
    return {posting.id: filled(version, version.title) for posting, version in versions_for(found)}


def blanks_of(version: PostingVersion) -> dict[str, str]:
    return json.loads(version.blanks or "{}")


def document_of(version: PostingVersion) -> Document:
    return documents.load(version.document)


def blank_labels(version: PostingVersion) -> list[str]:
    return documents.blanks_in(version.title, document_of(version), version.lived_experience_text, version.schedule)


def unfilled_blanks(version: PostingVersion) -> list[str]:
    values = blanks_of(version)
    return [label for label in blank_labels(version) if not values.get(label, "").strip()]


def filled_document(version: PostingVersion) -> Document:
    return documents.filled(document_of(version), blanks_of(version))


def filled(version: PostingVersion, text: str) -> str:
    return documents.fill(text, blanks_of(version))


# Starting a draft ------------------------------------------------------------------------------------------------


def start_draft(template: Template | None, actor: Staff) -> Posting:
    """A new posting, in draft, whose first version is a copy of ``template`` (None: the sample)."""
    if template is not None and template.retired_at is not None:
        raise Refused("This template is retired. Choose another one, or bring it back first.")
    if template is None:
        name, title, document = documents.sample_name(), documents.sample_title(), documents.sample_document()
    else:
        name, title, document = template.name, template.title, documents.load(template.document)
    posting = Posting(status=PostingStatus.DRAFT, template_name=name, created_by_id=actor.id, current_number=1)
    db.session.add(posting)
    db.session.flush()
    db.session.add(
        PostingVersion(
            posting_id=posting.id,
            number=1,
            created_by_id=actor.id,
            note=f"Started from “{name}”"[:MAX_VERSION_NOTE],
            title=title,
            document=documents.dump(document),
            blanks="{}",
            employment_type=EmploymentType.FULL_TIME,
            pay_period=PayPeriod.HOUR,
            hours_per_week=40,
            lived_experience=LivedExperience.REQUIRED,
            lived_experience_text=DEFAULT_LIVED_EXPERIENCE,
        )
    )
    db.session.add(
        PostingEvent(
            posting_id=posting.id,
            actor_id=actor.id,
            from_status="",
            to_status=PostingStatus.DRAFT,
            version_number=1,
            comment=f"Started from “{name}”.",
        )
    )
    db.session.flush()
    audit.record(
        "hiring.draft_started",
        actor=actor,
        record_type="hiring_posting",
        record_id=posting.id,
        detail=f"template {template.id if template else documents.SAMPLE_KEY}",
    )
    return posting


# Saving a version ------------------------------------------------------------------------------------------------


@dataclass
class SectionWords:
    heading: str
    text: str
    after: str
    leads: list[str] = field(default_factory=list)


@dataclass
class Details:
    """Everything the edit page sets, in one save."""

    title: str
    subtitle: str
    program_id: int | None
    team_id: int | None
    setting: str | None
    employment_type: str
    pay_min_cents: int | None
    pay_max_cents: int | None
    pay_period: str
    hours_per_week: int
    schedule: str
    credential_type_id: int | None
    lived_experience: str
    lived_experience_text: str
    closes_on: date | None
    blanks: dict[str, str]
    sections: list[SectionWords]
    questions: str = ""


def details_of(version: PostingVersion) -> Details:
    document = document_of(version)
    return Details(
        title=version.title,
        subtitle=document.get("subtitle", ""),
        program_id=version.program_id,
        team_id=version.team_id,
        setting=version.setting,
        employment_type=version.employment_type,
        pay_min_cents=version.pay_min_cents,
        pay_max_cents=version.pay_max_cents,
        pay_period=version.pay_period,
        hours_per_week=version.hours_per_week,
        schedule=version.schedule,
        credential_type_id=version.credential_type_id,
        lived_experience=version.lived_experience,
        lived_experience_text=version.lived_experience_text,
        closes_on=version.closes_on,
        questions=version.questions,
        blanks=blanks_of(version),
        sections=[
            SectionWords(s["heading"], s["text"], s["after"], [g["lead"] for g in s["groups"]])
            for s in document["sections"]
        ],
    )


def problems_with(details: Details) -> dict[str, str]:
    """Rules a save must keep, by the edit form's field names."""
    problems: dict[str, str] = {}
    program = db.session.get(Program, details.program_id) if details.program_id else None
    team = db.session.get(Team, details.team_id) if details.team_id else None
    if details.program_id and program is None:
        problems["program"] = "Choose one of the programs shown."
    if details.team_id and team is None:
        problems["team"] = "Choose one of the teams shown."
    if program is not None and team is not None and team.program_id != program.id:
        problems["team"] = f"{team.name} is not a team of {program.name}. Choose one of its teams, or another program."
    if details.setting and details.setting not in {s.value for s in WorkSetting}:
        problems["setting"] = "Choose one of the settings shown."
    if (
        details.pay_min_cents is not None
        and details.pay_max_cents is not None
        and details.pay_max_cents < details.pay_min_cents
    ):
        problems["pay_max"] = "The top of the pay range is lower than its bottom. Check both amounts."
    if details.credential_type_id:
        credential = db.session.get(CredentialType, details.credential_type_id)
        if credential is None:
            problems["credential"] = "Choose one of the credentials shown."
    return problems


def save_details(posting: Posting, details: Details, loaded: object, actor: Staff) -> PostingVersion:
    """Save the edit page as a new version. Raises ``InvalidInput`` or ``StaleEdit``."""
    edits.expect_version(posting, loaded)
    _refuse_when_closed(posting)
    problems = problems_with(details)
    if problems:
        raise InvalidInput(problems)
    current = current_version(posting)
    return _new_version(posting, current, _values_from(current, details), actor, "Saved the details and wording")


def preview(posting: Posting, details: Details) -> PostingVersion:
    """The version the edit page would save, for the live preview: built in memory, never added to the database
    session, so nothing is written, no version number is taken and nothing is audited (it changes nothing). The same
    rules as a save apply; raises ``InvalidInput`` or ``Refused`` (a closed posting)."""
    _refuse_when_closed(posting)
    problems = problems_with(details)
    if problems:
        raise InvalidInput(problems)
    current = current_version(posting)
    version = PostingVersion(posting_id=posting.id, number=current.number, note="Not saved", **_content(current))
    for name, value in _values_from(current, details).items():
        setattr(version, name, value)
    # A version never added to the session loads no relationship by itself: give it the rows its ids name.
    version.program = db.session.get(Program, version.program_id) if version.program_id else None
    version.team = db.session.get(Team, version.team_id) if version.team_id else None
    version.credential_type = (
        db.session.get(CredentialType, version.credential_type_id) if version.credential_type_id else None
    )
    if version in db.session:  # never: nothing here cascades into the session; kept so a change cannot write it
        db.session.expunge(version)
    return version


def _values_from(current: PostingVersion, details: Details) -> dict[str, Any]:
    """The columns a save of ``details`` on top of ``current`` writes."""
    document = document_of(current)
    document["subtitle"] = details.subtitle
    for section, words in zip(document["sections"], details.sections, strict=False):
        section["heading"], section["text"], section["after"] = words.heading, words.text, words.after
        for group, lead in zip(section["groups"], words.leads, strict=False):
            group["lead"] = lead
    labels = documents.blanks_in(details.title, document, details.lived_experience_text, details.schedule)
    blanks = {label: details.blanks.get(label, "").strip() for label in labels if details.blanks.get(label, "").strip()}
    return {
        "title": details.title,
        "program_id": details.program_id,
        "team_id": details.team_id,
        "setting": details.setting or None,
        "employment_type": details.employment_type,
        "pay_min_cents": details.pay_min_cents,
        "pay_max_cents": details.pay_max_cents,
        "pay_period": details.pay_period,
        "hours_per_week": details.hours_per_week,
        "schedule": details.schedule,
        "credential_type_id": details.credential_type_id,
        "lived_experience": details.lived_experience,
        "lived_experience_text": details.lived_experience_text,
        "closes_on": details.closes_on,
        "questions": "\n".join(line.strip() for line in details.questions.splitlines() if line.strip()),
        "document": documents.dump(document),
        "blanks": json.dumps(blanks, ensure_ascii=False, sort_keys=True),
    }


def _content(version: PostingVersion) -> dict[str, Any]:
    return {name: getattr(version, name) for name in CONTENT}


def _new_version(
    posting: Posting, current: PostingVersion, values: dict[str, Any], actor: Staff, note: str
) -> PostingVersion:
    """Write the next version (the current one with ``values``), move the posting on, and audit it. A save that
    changes nothing still counts as a save (the person pressed Save), but keeps the same words."""
    content = {**_content(current), **values}
    number = posting.current_number + 1
    version = PostingVersion(
        posting_id=posting.id, number=number, created_by_id=actor.id, note=note[:MAX_VERSION_NOTE], **content
    )
    db.session.add(version)
    posting.current_number = number
    if posting.status in (PostingStatus.IN_REVIEW, PostingStatus.APPROVED, PostingStatus.PUBLISHED):
        before = posting.status
        posting.status = PostingStatus.DRAFT
        posting.approved_number = None
        comment = (
            "Changed after it was published: the careers page keeps the published version until this one "
            "is approved and published."
            if before == PostingStatus.PUBLISHED
            else "Changed after it was sent for review: back to draft."
        )
        db.session.add(
            PostingEvent(
                posting_id=posting.id,
                actor_id=actor.id,
                from_status=before,
                to_status=PostingStatus.DRAFT,
                version_number=number,
                comment=comment,
            )
        )
    edits.flush()
    audit.record(
        "hiring.version_saved",
        actor=actor,
        record_type="hiring_posting",
        record_id=posting.id,
        detail=f"version {number}: {note}"[:255],
    )
    return version


def _refuse_when_closed(posting: Posting) -> None:
    if posting.status == PostingStatus.CLOSED:
        raise Refused("This posting is closed, so it cannot be changed. Start a new draft to post the job again.")


# Duties -------------------------------------------------------------------------------------------------------


def _group(document: Document, section: int, group: int) -> dict[str, Any]:
    try:
        if section < 0 or group < 0:
            raise IndexError
        return document["sections"][section]["groups"][group]
    except (IndexError, KeyError) as error:
        raise InvalidInput({"": "That list of duties is not in this draft any more. Reload the page."}) from error


def _count_duties(document: Document) -> int:
    return sum(len(g["duties"]) for s in document["sections"] for g in s["groups"])


def add_duty(posting: Posting, section: int, group: int, key: str, loaded: object, actor: Staff) -> PostingVersion:
    """Add a duty from the library at the end of a list."""
    edits.expect_version(posting, loaded)
    _refuse_when_closed(posting)
    duty = documents.duty_from_library(key)
    if duty is None:
        raise InvalidInput({"": "That duty is not in the library. Choose one of the duties shown."})
    return _add(posting, section, group, duty, actor, "Added a duty from the library")


def add_own_duty(posting: Posting, section: int, group: int, text: str, loaded: object, actor: Staff) -> PostingVersion:
    """Add a duty in the agency's own words at the end of a list."""
    edits.expect_version(posting, loaded)
    _refuse_when_closed(posting)
    return _add(posting, section, group, {"key": "", "text": text, "items": []}, actor, "Added a duty")


def _add(posting: Posting, section: int, group: int, duty: dict[str, Any], actor: Staff, note: str) -> PostingVersion:
    current = current_version(posting)
    document = document_of(current)
    if _count_duties(document) >= MAX_DUTIES:
        raise InvalidInput({"": f"A job description holds at most {MAX_DUTIES} duties. Remove one first."})
    _group(document, section, group)["duties"].append(duty)
    return _new_version(posting, current, {"document": documents.dump(document)}, actor, note)


def move_duty(
    posting: Posting, section: int, group: int, index: int, step: int, loaded: object, actor: Staff
) -> PostingVersion:
    """Move a duty one place up (step -1) or down (step 1) in its list."""
    edits.expect_version(posting, loaded)
    _refuse_when_closed(posting)
    current = current_version(posting)
    document = document_of(current)
    duties = _group(document, section, group)["duties"]
    target = index + step
    if not (0 <= index < len(duties)) or not (0 <= target < len(duties)):
        raise InvalidInput({"": "That duty cannot move further. Reload the page to see the list as it is now."})
    duties[index], duties[target] = duties[target], duties[index]
    return _new_version(
        posting,
        current,
        {"document": documents.dump(document)},
        actor,
        f"Moved duty {index + 1} {'up' if step < 0 else 'down'}",
    )


def remove_duty(posting: Posting, section: int, group: int, index: int, loaded: object, actor: Staff) -> PostingVersion:
    edits.expect_version(posting, loaded)
    _refuse_when_closed(posting)
    current = current_version(posting)
    document = document_of(current)
    duties = _group(document, section, group)["duties"]
    if not 0 <= index < len(duties):
        raise InvalidInput({"": "That duty is not in the list any more. Reload the page."})
    duties.pop(index)
    return _new_version(posting, current, {"document": documents.dump(document)}, actor, f"Removed duty {index + 1}")


def restore(posting: Posting, number: int, loaded: object, actor: Staff) -> PostingVersion:
    """Make an old version current again, as a new version (nothing is lost)."""
    edits.expect_version(posting, loaded)
    _refuse_when_closed(posting)
    old = find_version(posting, number)
    if old is None:
        raise InvalidInput({"": "That version does not exist. Choose one from the list of versions."})
    return _new_version(posting, current_version(posting), _content(old), actor, f"Restored version {number}")


# The approval path ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    action: str  # the form's value
    to: PostingStatus
    words: str  # the button
    comment_required: bool = False


STEPS: dict[str, tuple[Step, ...]] = {
    PostingStatus.DRAFT: (Step("review", PostingStatus.IN_REVIEW, "Send for review"),),
    PostingStatus.IN_REVIEW: (
        Step("approve", PostingStatus.APPROVED, "Approve this version"),
        Step("return", PostingStatus.DRAFT, "Send back for changes", comment_required=True),
    ),
    PostingStatus.APPROVED: (
        Step("publish", PostingStatus.PUBLISHED, "Publish on the careers page"),
        Step("return", PostingStatus.DRAFT, "Send back for changes", comment_required=True),
    ),
    PostingStatus.PUBLISHED: (Step("close", PostingStatus.CLOSED, "Close the posting", comment_required=True),),
    PostingStatus.CLOSED: (),
}


def steps_for(posting: Posting) -> tuple[Step, ...]:
    steps = STEPS[PostingStatus(posting.status)]
    if posting.status == PostingStatus.DRAFT and posting.published_number is not None:
        # a published posting being changed can also be closed without publishing the changes
        steps = (*steps, Step("close", PostingStatus.CLOSED, "Close the posting", comment_required=True))
    return steps


def publish_problems(posting: Posting, version: PostingVersion, agency_ready: bool) -> list[str]:
    """What keeps a version from being published, in words HR can act on ([] when it may be)."""
    found = []
    missing = unfilled_blanks(version)
    if missing:
        found.append("Fill in every blank: " + ", ".join(f"[{label}]" for label in missing) + ".")
    if version.pay_min_cents is None:
        found.append("Enter the pay range.")
    if version.team_id is None:
        found.append("Choose the program and team.")
    if version.closes_on is None:
        found.append("Enter the last day to apply.")
    elif version.closes_on < timeutil.today():
        found.append("The last day to apply has passed. Enter a later date.")
    if not agency_ready:
        found.append(
            "The agency's name and address are not entered yet: ask the administrator to enter them under Settings."
        )
    return found


def move(
    posting: Posting, action: str, comment: str, loaded: object, actor: Staff, *, agency_ready: bool
) -> PostingEvent:
    """Take one step of the approval path. Raises ``StaleEdit``, ``InvalidInput`` (comment) or ``Refused``."""
    edits.expect_version(posting, loaded)
    step = next((s for s in steps_for(posting) if s.action == action), None)
    if step is None:
        raise Refused(f"A posting that is {posting.status_label.lower()} cannot do that. Use one of the buttons shown.")
    if step.comment_required and not comment.strip():
        raise InvalidInput({"comment": "Write a comment saying why, so the others know what to do next."})
    version = current_version(posting)
    if step.to in (PostingStatus.IN_REVIEW, PostingStatus.APPROVED, PostingStatus.PUBLISHED):
        problems = publish_problems(posting, version, agency_ready or step.to != PostingStatus.PUBLISHED)
        if problems:
            raise Refused(" ".join(["This version cannot go on yet.", *problems]))
    before = posting.status
    if step.to == PostingStatus.APPROVED:
        posting.approved_number = posting.current_number
    elif step.to == PostingStatus.PUBLISHED:
        if posting.approved_number != posting.current_number:
            raise Refused("Only an approved version can be published. Send this version for review first.")
        posting.published_number = posting.approved_number
        posting.published_at = timeutil.utcnow()
    elif step.to == PostingStatus.CLOSED:
        posting.closed_at = timeutil.utcnow()
    elif step.to == PostingStatus.DRAFT:
        posting.approved_number = None
    posting.status = step.to
    event = PostingEvent(
        posting_id=posting.id,
        actor_id=actor.id,
        from_status=before,
        to_status=step.to,
        version_number=posting.current_number,
        comment=comment.strip(),
    )
    db.session.add(event)
    edits.flush()
    audit.record(
        f"hiring.{step.action}",
        actor=actor,
        record_type="hiring_posting",
        record_id=posting.id,
        detail=f"version {posting.current_number}: {before} to {step.to}",
    )
    return event


# Public postings -------------------------------------------------------------------------------------------------


def open_postings(program_id: int | None = None, setting: str | None = None) -> Select:
    """Published postings that are not closed, newest first, filtered by their published version (the careers
    page; ``versions_for(..., published=True)`` then reads those versions)."""
    statement = (
        select(Posting)
        .join(
            PostingVersion,
            and_(PostingVersion.posting_id == Posting.id, PostingVersion.number == Posting.published_number),
        )
        .where(Posting.published_number.is_not(None), Posting.status != PostingStatus.CLOSED)
        .order_by(Posting.published_at.desc(), Posting.id.desc())
    )
    if program_id:
        statement = statement.where(PostingVersion.program_id == program_id)
    if setting:
        statement = statement.where(PostingVersion.setting == setting)
    return statement


def open_counts_by_team(team_ids: list[int], leave_out: int | None = None) -> dict[int, int]:
    """How many open (published, not closed) postings each team has, leaving out posting ``leave_out``."""
    if not team_ids:
        return {}
    statement = (
        select(PostingVersion.team_id, func.count())
        .join(Posting, and_(PostingVersion.posting_id == Posting.id, PostingVersion.number == Posting.published_number))
        .where(Posting.status != PostingStatus.CLOSED, PostingVersion.team_id.in_(team_ids))
        .group_by(PostingVersion.team_id)
    )
    if leave_out is not None:
        statement = statement.where(Posting.id != leave_out)
    return {row[0]: row[1] for row in db.session.execute(statement)}


def close_expired() -> int:
    """Close every public posting whose published version's last day to apply is before today; audited, with no
    person as the actor."""
    today = timeutil.today()
    expired = db.session.scalars(
        select(Posting)
        .join(
            PostingVersion,
            and_(PostingVersion.posting_id == Posting.id, PostingVersion.number == Posting.published_number),
        )
        .where(Posting.status != PostingStatus.CLOSED, PostingVersion.closes_on < today)
    ).all()
    for posting in expired:
        before = posting.status
        posting.status = PostingStatus.CLOSED
        posting.closed_at = timeutil.utcnow()
        db.session.add(
            PostingEvent(
                posting_id=posting.id,
                actor_id=None,
                from_status=before,
                to_status=PostingStatus.CLOSED,
                version_number=posting.current_number,
                comment="Closed by PeerWorks: the last day to apply has passed.",
            )
        )
        audit.record(
            "hiring.close",
            record_type="hiring_posting",
            record_id=posting.id,
            detail=f"last day to apply passed; {before} to closed",
        )
    db.session.flush()
    return len(expired)
