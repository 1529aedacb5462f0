"""HR's hiring page and the job-description builder: start a draft from a template, edit it (every save is a
version), change its duties from the library, compare and restore versions, take it through approval, print it."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response as HttpResponse

from core import audit, edits, policy
from core.errors import InvalidInput, Refused, StaleEdit
from core.extensions import db
from core.forms import options
from core.pages import paginate
from core.policy import requires
from hiring.blueprint import bp
from hiring.forms import DraftForm, NewDraftForm, OwnDutyForm, SaveAsTemplateForm, StepForm, draft_form_class
from hiring.models import Posting, PostingStatus, PostingVersion, Template
from hiring.services import applications, checks, compare, documents, hires, pay, postings, public
from hiring.services import templates as template_service
from hiring.views._common import (
    credential_choices,
    load_posting,
    pdf_response,
    program_choices,
    render,
    show_problems,
    team_choices,
    template_choices,
    version_or_404,
)

RECENT_VERSIONS = 5


# The hiring page ------------------------------------------------------------------------------------------------


@bp.get("/")
@requires("hiring.view")
def index() -> tuple[str, int]:
    form = NewDraftForm()
    form.template.choices = options(template_choices())
    return _index_page(form)


def _index_page(form: NewDraftForm, status: int = 200) -> tuple[str, int]:
    page = paginate(policy.scope(postings.postings_with_current(), current_user, "posting.list", Posting))
    return render(
        "hiring/index.html",
        status,
        page=page,
        rows=postings.versions_for(page.items),
        form=form,
        statuses=PostingStatus,
    )


@bp.post("/postings/new")
@requires("hiring.manage")
def posting_new() -> HttpResponse | tuple[str, int]:
    form = NewDraftForm()
    form.template.choices = options(template_choices())
    if not form.validate_on_submit():
        return _index_page(form, 400)
    template = None
    if form.template.data != documents.SAMPLE_KEY:
        template = db.get_or_404(Template, int(form.template.data[1:]))
        policy.authorize(current_user, "template.edit", template)
    try:
        posting = postings.start_draft(template, current_user)
    except Refused as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".index"))
    db.session.commit()
    flash(
        "Your draft is ready. Fill in the blanks and the details, then check what the list beside it says.", "success"
    )
    return redirect(url_for(".posting_detail", posting_id=posting.id))


# A posting: its current version, checks, approval and history ---------------------------------------------------


def _detail(
    posting: Posting, status: int = 200, step_form: StepForm | None = None, refusal: str | None = None
) -> tuple[str, int]:
    version = postings.current_version(posting)
    form = step_form or StepForm(formdata=None, data={"version": posting.version})
    where = public.agency()
    return render(
        "hiring/posting.html",
        status,
        posting=posting,
        version=version,
        document=postings.filled_document(version),
        found=checks.run(posting, version),
        steps=postings.steps_for(posting),
        step_form=form,
        events=postings.events_of(posting),
        versions=postings.versions_of(posting)[:RECENT_VERSIONS],
        refusal=refusal,
        blocking=postings.publish_problems(posting, version, where.ready),
        save_form=SaveAsTemplateForm(formdata=None),
        statuses=PostingStatus,
        hires=hires.hires_of(posting),
    )


@bp.get("/postings/<int:posting_id>")
@requires("hiring.view")
def posting_detail(posting_id: int) -> tuple[str, int]:
    return _detail(load_posting(posting_id))


@bp.post("/postings/<int:posting_id>/step")
@requires("hiring.manage")
def posting_step(posting_id: int) -> HttpResponse | tuple[str, int]:
    posting = load_posting(posting_id)
    form = StepForm()
    action = request.form.get("action", "")
    if not form.validate_on_submit():
        return _detail(posting, 400, form)
    try:
        event = postings.move(
            posting,
            action,
            form.comment.data or "",
            form.version.data,
            current_user,
            agency_ready=public.agency().ready,
        )
        edits.commit()
    except InvalidInput as error:
        db.session.rollback()
        show_problems(form, error.problems)
        return _detail(db.get_or_404(Posting, posting_id), 400, form)
    except Refused as error:
        db.session.rollback()
        return _detail(db.get_or_404(Posting, posting_id), 400, form, refusal=str(error))
    except StaleEdit:
        db.session.rollback()
        form.version.data = str(db.get_or_404(Posting, posting_id).version)
        return _detail(db.get_or_404(Posting, posting_id), 409, form, refusal=edits.STALE_MESSAGE)
    words = {
        PostingStatus.IN_REVIEW: "Sent for review.",
        PostingStatus.APPROVED: "Approved.",
        PostingStatus.PUBLISHED: "Published: it is on the careers page now.",
        PostingStatus.CLOSED: "Closed: it is no longer on the careers page.",
        PostingStatus.DRAFT: "Sent back to draft.",
    }
    flash(words[PostingStatus(event.to_status)], "success")
    return redirect(url_for(".posting_detail", posting_id=posting_id))


# Editing the words and details -------------------------------------------------------------------------------


def _form_data(details: postings.Details, labels: list[str], version: int) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": details.title,
        "subtitle": details.subtitle,
        "program": details.program_id,
        "team": details.team_id,
        "setting": details.setting,
        "employment_type": details.employment_type,
        "pay_min": pay.plain(details.pay_min_cents),
        "pay_max": pay.plain(details.pay_max_cents),
        "pay_period": details.pay_period,
        "hours_per_week": details.hours_per_week,
        "schedule": details.schedule,
        "credential": details.credential_type_id,
        "lived_experience": details.lived_experience,
        "lived_experience_text": details.lived_experience_text,
        "closes_on": details.closes_on,
        "questions": details.questions,
        "version": version,
    }
    for index, label in enumerate(labels):
        data[f"blank_{index}"] = details.blanks.get(label, "")
    for s, words in enumerate(details.sections):
        data[f"section_{s}_heading"], data[f"section_{s}_text"] = words.heading, words.text
        data[f"section_{s}_after"] = words.after
        for g, lead in enumerate(words.leads):
            data[f"section_{s}_group_{g}_lead"] = lead
    return data


def _details_from(form: DraftForm, labels: list[str], shape: list[int]) -> postings.Details:
    def text(name: str) -> str:
        return form[name].data or ""

    return postings.Details(
        title=text("title"),
        subtitle=text("subtitle"),
        program_id=form.program.data,
        team_id=form.team.data,
        setting=form.setting.data or None,
        employment_type=form.employment_type.data,
        pay_min_cents=pay.parse_dollars(text("pay_min")),
        pay_max_cents=pay.parse_dollars(text("pay_max")),
        pay_period=form.pay_period.data,
        hours_per_week=form.hours_per_week.data,
        schedule=text("schedule"),
        credential_type_id=form.credential.data,
        lived_experience=form.lived_experience.data,
        lived_experience_text=text("lived_experience_text"),
        closes_on=form.closes_on.data,
        questions=text("questions"),
        blanks={label: text(f"blank_{index}") for index, label in enumerate(labels)},
        sections=[
            postings.SectionWords(
                text(f"section_{s}_heading"),
                text(f"section_{s}_text"),
                text(f"section_{s}_after"),
                [text(f"section_{s}_group_{g}_lead") for g in range(groups)],
            )
            for s, groups in enumerate(shape)
        ],
    )


def _now_rows(version: PostingVersion) -> list[tuple[str, str]]:
    return compare.lines(version)[:12]


def _edit_form(
    posting: Posting, current: PostingVersion, details: postings.Details
) -> tuple[DraftForm, list[str], list[int]]:
    """The edit page's form (read from the request on a POST), with its blanks' labels and its sections' shape."""
    labels = postings.blank_labels(current)
    shape = [len(words.leads) for words in details.sections]
    form_class = draft_form_class(labels, shape)
    if request.method == "POST":
        form = form_class()
    else:
        form = form_class(formdata=None, data=_form_data(details, labels, posting.version))
    form.program.choices = program_choices()
    form.team.choices = team_choices()
    form.credential.choices = credential_choices(current.credential_type_id)
    return form, labels, shape


@bp.route("/postings/<int:posting_id>/edit", methods=["GET", "POST"])
@requires("hiring.manage")
def posting_edit(posting_id: int) -> HttpResponse | tuple[str, int]:
    posting = load_posting(posting_id)
    if posting.status == PostingStatus.CLOSED:
        flash("This posting is closed, so it cannot be changed. Start a new draft to post the job again.", "info")
        return redirect(url_for(".posting_detail", posting_id=posting.id))
    current = postings.current_version(posting)
    details = postings.details_of(current)
    form, labels, shape = _edit_form(posting, current, details)
    general: list[str] = []
    if form.validate_on_submit():
        try:
            saved = postings.save_details(posting, _details_from(form, labels, shape), form.version.data, current_user)
            edits.commit()
        except InvalidInput as error:
            db.session.rollback()
            general = show_problems(form, error.problems)
        except Refused as error:
            db.session.rollback()
            flash(str(error), "error")
            return redirect(url_for(".posting_detail", posting_id=posting_id))
        except StaleEdit:
            db.session.rollback()
            posting = db.get_or_404(Posting, posting_id)
            form.version.data = str(posting.version)
            return render(
                "hiring/posting_edit.html",
                409,
                posting=posting,
                form=form,
                labels=labels,
                details=details,
                conflict=edits.STALE_MESSAGE,
                now=_now_rows(postings.current_version(posting)),
                version=current,
                document=postings.filled_document(current),
                preview_stale=True,
            )
        else:
            flash(f"Saved as version {saved.number}.", "success")
            return redirect(url_for(".posting_detail", posting_id=posting_id))
    return render(
        "hiring/posting_edit.html",
        400 if form.errors or general else 200,
        posting=posting,
        form=form,
        labels=labels,
        details=details,
        general=general,
        version=current,
        document=postings.filled_document(current),
        preview_stale=request.method == "POST",
    )


@bp.post("/postings/<int:posting_id>/preview")
@requires("hiring.manage")
def posting_preview(posting_id: int) -> tuple[str, int]:
    """The live preview beside the edit form (static/js/posting-preview.js sends the form here as it is typed): the
    posting as the same form would save it, rendered by the same macro as the saved posting. It saves nothing, takes
    no version number and writes no audit entry; it is checked like the edit (the same permission and record rule,
    the form's CSRF token and its rules), and a problem comes back as a plain message, never an error page."""
    posting = load_posting(posting_id)
    current = postings.current_version(posting)
    details = postings.details_of(current)
    form, labels, shape = _edit_form(posting, current, details)
    if not form.validate_on_submit():
        return _preview_problems(form, {})
    try:
        version = postings.preview(posting, _details_from(form, labels, shape))
    except InvalidInput as error:
        return _preview_problems(form, error.problems)
    except Refused as error:
        return render("hiring/_preview.html", 400, problems=[str(error)])
    return render("hiring/_preview.html", version=version, document=postings.filled_document(version))


def _preview_problems(form: DraftForm, problems: dict[str, str]) -> tuple[str, int]:
    """Each problem with the label of its box, as the save would show them beside the boxes."""
    general = show_problems(form, problems)
    lines = [f"{field.label.text}: {' '.join(field.errors)}" for field in form if field.errors]
    # A refused CSRF token leaves no field error: core.csrf then answers its plain page, which the script words.
    return render("hiring/_preview.html", 400, problems=[*lines, *general] or ["Check the form and try again."])


# Duties ---------------------------------------------------------------------------------------------------------


def _index(name: str) -> int:
    raw = request.form.get(name, "")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 4:
        abort(400)
    return int(raw)


def _duties_page(
    posting: Posting,
    status: int = 200,
    *,
    own: OwnDutyForm | None = None,
    own_place: tuple[int, int] | None = None,
    problem: str | None = None,
) -> tuple[str, int]:
    version = postings.current_version(posting)
    return render(
        "hiring/posting_duties.html",
        status,
        posting=posting,
        version=version,
        document=postings.document_of(version),
        library=documents.library(),
        own=own,
        own_place=own_place,
        problem=problem,
    )


@bp.get("/postings/<int:posting_id>/duties")
@requires("hiring.manage")
def posting_duties(posting_id: int) -> tuple[str, int]:
    return _duties_page(load_posting(posting_id))


def _after_duty_change(posting_id: int, action: Any) -> HttpResponse | tuple[str, int]:
    """Run a duty change and commit it; a problem, a refusal or a stale page shows the duties page again."""
    try:
        saved = action()
        edits.commit()
    except (InvalidInput, Refused) as error:
        db.session.rollback()
        message = " ".join(error.problems.values()) if isinstance(error, InvalidInput) else str(error)
        return _duties_page(db.get_or_404(Posting, posting_id), 400, problem=message)
    except StaleEdit:
        db.session.rollback()
        return _duties_page(
            db.get_or_404(Posting, posting_id),
            409,
            problem=(
                "Someone else changed this draft while you were working on it, so nothing was changed. The list below "
                "is as it is now: check it, then make your change again."
            ),
        )
    flash(f"Saved as version {saved.number}.", "success")
    return redirect(url_for(".posting_duties", posting_id=posting_id) + request.form.get("anchor", ""))


@bp.post("/postings/<int:posting_id>/duties/add")
@requires("hiring.manage")
def duty_add(posting_id: int) -> HttpResponse | tuple[str, int]:
    posting = load_posting(posting_id)
    section, group = _index("section"), _index("group")
    key = request.form.get("key", "")[:60]
    version = request.form.get("version")
    return _after_duty_change(
        posting_id, lambda: postings.add_duty(posting, section, group, key, version, current_user)
    )


@bp.post("/postings/<int:posting_id>/duties/own")
@requires("hiring.manage")
def duty_own(posting_id: int) -> HttpResponse | tuple[str, int]:
    posting = load_posting(posting_id)
    section, group = _index("section"), _index("group")
    form = OwnDutyForm()
    if not form.validate_on_submit():
        return _duties_page(posting, 400, own=form, own_place=(section, group))
    text = form.text.data or ""
    try:
        saved = postings.add_own_duty(posting, section, group, text, form.version.data, current_user)
        edits.commit()
    except (InvalidInput, Refused) as error:
        db.session.rollback()
        message = " ".join(error.problems.values()) if isinstance(error, InvalidInput) else str(error)
        return _duties_page(
            db.get_or_404(Posting, posting_id), 400, own=form, own_place=(section, group), problem=message
        )
    except StaleEdit:
        db.session.rollback()
        form.version.data = str(db.get_or_404(Posting, posting_id).version)
        return _duties_page(
            db.get_or_404(Posting, posting_id), 409, own=form, own_place=(section, group), problem=edits.STALE_MESSAGE
        )
    flash(f"Added. Saved as version {saved.number}.", "success")
    return redirect(url_for(".posting_duties", posting_id=posting_id))


@bp.post("/postings/<int:posting_id>/duties/move")
@requires("hiring.manage")
def duty_move(posting_id: int) -> HttpResponse | tuple[str, int]:
    posting = load_posting(posting_id)
    section, group, index = _index("section"), _index("group"), _index("index")
    step = -1 if request.form.get("direction") == "up" else 1
    version = request.form.get("version")
    return _after_duty_change(
        posting_id, lambda: postings.move_duty(posting, section, group, index, step, version, current_user)
    )


@bp.post("/postings/<int:posting_id>/duties/remove")
@requires("hiring.manage")
def duty_remove(posting_id: int) -> HttpResponse | tuple[str, int]:
    posting = load_posting(posting_id)
    section, group, index = _index("section"), _index("group"), _index("index")
    version = request.form.get("version")
    return _after_duty_change(
        posting_id, lambda: postings.remove_duty(posting, section, group, index, version, current_user)
    )


# Versions -----------------------------------------------------------------------------------------------------


@bp.get("/postings/<int:posting_id>/versions")
@requires("hiring.view")
def posting_versions(posting_id: int) -> tuple[str, int]:
    posting = load_posting(posting_id)
    page = paginate(
        select(PostingVersion).where(PostingVersion.posting_id == posting.id).order_by(PostingVersion.number.desc())
    )
    return render(
        "hiring/posting_versions.html", posting=posting, page=page, numbers=list(range(posting.current_number, 0, -1))
    )


@bp.get("/postings/<int:posting_id>/versions/<int:number>")
@requires("hiring.view")
def version_detail(posting_id: int, number: int) -> tuple[str, int]:
    posting = load_posting(posting_id)
    version = version_or_404(posting, number)
    return render("hiring/version.html", posting=posting, version=version, document=postings.filled_document(version))


@bp.get("/postings/<int:posting_id>/compare")
@requires("hiring.view")
def posting_compare(posting_id: int) -> HttpResponse | tuple[str, int]:
    posting = load_posting(posting_id)

    def number(name: str, default: int) -> int:
        raw = request.args.get(name, "")
        return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 7 else default

    old_number = number("old", max(posting.current_number - 1, 1))
    new_number = number("new", posting.current_number)
    old, new = postings.find_version(posting, old_number), postings.find_version(posting, new_number)
    if old is None or new is None:
        flash("Choose two versions from the list to compare.", "error")
        return redirect(url_for(".posting_versions", posting_id=posting.id))
    rows = compare.compare(old, new)
    every = request.args.get("all") == "1"
    return render(
        "hiring/compare.html",
        posting=posting,
        old=old,
        new=new,
        rows=rows,
        every=every,
        shown=rows if every else [row for row in rows if row.kind != "same"],
        numbers=list(range(posting.current_number, 0, -1)),
    )


@bp.post("/postings/<int:posting_id>/versions/<int:number>/restore")
@requires("hiring.manage")
def version_restore(posting_id: int, number: int) -> HttpResponse:
    posting = load_posting(posting_id)
    try:
        saved = postings.restore(posting, number, request.form.get("version"), current_user)
        edits.commit()
    except (InvalidInput, Refused) as error:
        db.session.rollback()
        flash(" ".join(error.problems.values()) if isinstance(error, InvalidInput) else str(error), "error")
        return redirect(url_for(".posting_versions", posting_id=posting_id))
    except StaleEdit:
        db.session.rollback()
        flash(
            "Someone else saved this draft in the meantime, so nothing was restored. Check the versions below, "
            "then restore again if it is still needed.",
            "error",
        )
        return redirect(url_for(".posting_versions", posting_id=posting_id))
    flash(f"Version {number} is restored as version {saved.number}.", "success")
    return redirect(url_for(".posting_detail", posting_id=posting_id))


# The PDF and saving as a template ------------------------------------------------------------------------------


@bp.get("/postings/<int:posting_id>/draft.pdf")
@requires("hiring.view")
def posting_pdf(posting_id: int) -> Response:
    posting = load_posting(posting_id)
    version = postings.current_version(posting)
    return pdf_response(posting, version, f"posting-{posting.id}-version-{version.number}.pdf")


@bp.post("/postings/<int:posting_id>/save-as-template")
@requires("hiring.manage")
def template_from_posting(posting_id: int) -> HttpResponse | tuple[str, int]:
    posting = load_posting(posting_id)
    form = SaveAsTemplateForm()
    if form.validate_on_submit():
        try:
            template = template_service.from_version(
                posting, postings.current_version(posting), form.name.data or "", current_user
            )
            db.session.commit()
        except InvalidInput as error:
            db.session.rollback()
            show_problems(form, error.problems)
        else:
            flash("Saved as a template. New drafts can start from it.", "success")
            return redirect(url_for(".template_detail", template_id=template.id))
    return render("hiring/save_as_template.html", 400, posting=posting, form=form)


# Applications (personal data: HR and the administrator; every read audited) ---------------------------------------


@bp.get("/postings/<int:posting_id>/applications")
@requires("hiring.view")
def posting_applications(posting_id: int) -> tuple[str, int]:
    posting = load_posting(posting_id)
    page = paginate(applications.for_posting(posting))
    for application in page.items:
        policy.authorize(current_user, "application.read", application)
    audit.record(
        "hiring.applications_read",
        actor=current_user,
        record_type="hiring_posting",
        record_id=posting.id,
        detail=f"{len(page.items)} applications shown",
    )
    db.session.commit()
    return render(
        "hiring/applications.html",
        posting=posting,
        version=postings.current_version(posting),
        page=page,
        answers_of=applications.answers_of,
        candidate_ids=applications.candidate_ids([application.id for application in page.items]),
    )
