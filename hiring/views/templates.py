"""Job-description templates: the sample that ships with PeerWorks and the agency's own (copy, edit, retire)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as HttpResponse

from core import edits
from core.errors import InvalidInput, StaleEdit
from core.extensions import db
from core.pages import paginate
from core.policy import requires
from hiring.blueprint import bp
from hiring.forms import CopyTemplateForm, NewDraftForm, TemplateForm, template_form_class
from hiring.models import Template
from hiring.services import documents
from hiring.services import templates as template_service
from hiring.views._common import load_template, render, show_problems


@bp.get("/templates")
@requires("hiring.view")
def templates() -> tuple[str, int]:
    return render(
        "hiring/templates.html",
        page=paginate(template_service.listed(retired=False)),
        retired=db.session.scalars(template_service.listed(retired=True).limit(50)).all(),
        sample_name=documents.sample_name(),
    )


def _copy_form(name: str) -> CopyTemplateForm:
    return CopyTemplateForm(formdata=None, data={"name": f"{name} (our version)"[:160]})


@bp.get("/templates/sample")
@requires("hiring.view")
def template_sample() -> tuple[str, int]:
    return render(
        "hiring/template.html",
        template=None,
        name=documents.sample_name(),
        title=documents.sample_title(),
        document=documents.sample_document(),
        copy_form=_copy_form(documents.sample_name()),
        start_form=NewDraftForm(formdata=None),
        start_value=documents.SAMPLE_KEY,
    )


@bp.get("/templates/<int:template_id>")
@requires("hiring.view")
def template_detail(template_id: int) -> tuple[str, int]:
    template = load_template(template_id)
    return render(
        "hiring/template.html",
        template=template,
        name=template.name,
        title=template.title,
        document=documents.load(template.document),
        copy_form=_copy_form(template.name),
        start_form=NewDraftForm(formdata=None),
        start_value=f"t{template.id}",
    )


@bp.post("/templates/copy")
@requires("hiring.manage")
def template_copy() -> HttpResponse | tuple[str, int]:
    source_key = request.form.get("source", "")
    source = None
    if source_key != documents.SAMPLE_KEY:
        if not (source_key.isascii() and source_key.isdigit() and len(source_key) < 10):
            flash("Choose a template to copy.", "error")
            return redirect(url_for(".templates"))
        source = load_template(int(source_key))
    form = CopyTemplateForm()
    if form.validate_on_submit():
        try:
            template = (
                template_service.copy_template(source, form.name.data or "", current_user)
                if source
                else template_service.copy_sample(form.name.data or "", current_user)
            )
            db.session.commit()
        except InvalidInput as error:
            db.session.rollback()
            show_problems(form, error.problems)
        else:
            flash("The copy is saved. Change its words here; new drafts can start from it.", "success")
            return redirect(url_for(".template_edit", template_id=template.id))
    name = source.name if source else documents.sample_name()
    return render(
        "hiring/template.html",
        400,
        template=source,
        name=name,
        title=source.title if source else documents.sample_title(),
        document=documents.load(source.document) if source else documents.sample_document(),
        copy_form=form,
        start_form=NewDraftForm(formdata=None),
        start_value=f"t{source.id}" if source else documents.SAMPLE_KEY,
    )


def _template_data(template: Template) -> dict[str, Any]:
    document = documents.load(template.document)
    data: dict[str, Any] = {
        "name": template.name,
        "title": template.title,
        "subtitle": document.get("subtitle", ""),
        "version": template.version,
    }
    for s, section in enumerate(document["sections"]):
        data[f"section_{s}_heading"], data[f"section_{s}_text"] = section["heading"], section["text"]
        data[f"section_{s}_after"] = section["after"]
    return data


@bp.route("/templates/<int:template_id>/edit", methods=["GET", "POST"])
@requires("hiring.manage")
def template_edit(template_id: int) -> HttpResponse | tuple[str, int]:
    template = load_template(template_id)
    document = documents.load(template.document)
    form_class = template_form_class(len(document["sections"]))
    form: TemplateForm = (
        form_class() if request.method == "POST" else form_class(formdata=None, data=_template_data(template))
    )
    if form.validate_on_submit():
        sections = [
            (
                form[f"section_{s}_heading"].data or "",
                form[f"section_{s}_text"].data or "",
                form[f"section_{s}_after"].data or "",
            )
            for s in range(len(document["sections"]))
        ]
        words = template_service.TemplateWords(
            form.name.data or "", form.title.data or "", form.subtitle.data or "", sections
        )
        try:
            template_service.update(template, words, form.version.data, current_user)
            edits.commit()
        except InvalidInput as error:
            db.session.rollback()
            show_problems(form, error.problems)
        except StaleEdit:
            db.session.rollback()
            now = db.get_or_404(Template, template_id)
            form.version.data = str(now.version)
            return render(
                "hiring/template_edit.html",
                409,
                template=now,
                form=form,
                document=document,
                conflict=edits.STALE_MESSAGE,
                now=[("Template name", now.name), ("Job title", now.title)],
            )
        else:
            flash("The template is saved.", "success")
            return redirect(url_for(".template_detail", template_id=template_id))
    return render(
        "hiring/template_edit.html", 400 if form.errors else 200, template=template, form=form, document=document
    )


@bp.post("/templates/<int:template_id>/retire")
@requires("hiring.manage")
def template_retire(template_id: int) -> HttpResponse:
    template = load_template(template_id)
    bring_back = request.form.get("back") == "1"
    try:
        if bring_back:
            template_service.bring_back(template, request.form.get("version"), current_user)
        else:
            template_service.retire(template, request.form.get("version"), current_user)
        edits.commit()
    except StaleEdit:
        db.session.rollback()
        flash(
            "Someone else changed this template at the same moment, so nothing was changed. Check it, then try again.",
            "error",
        )
        return redirect(url_for(".template_detail", template_id=template_id))
    flash(
        "The template is back: new drafts can start from it."
        if bring_back
        else "The template is retired: new drafts can no longer start from it. Drafts made from it keep their words.",
        "success",
    )
    return redirect(url_for(".template_detail", template_id=template_id))
