"""Caseload routes: the community resource directory.

Thin: read input, load the record, call ``caseload.services.resources``, commit once, redirect. Resources hold no
client data, so anyone with the directory permission may read, add and change them.
"""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from caseload.blueprint import bp
from caseload.forms.resources import ResourceEditForm, ResourceFilterForm, ResourceForm
from caseload.models import Resource, ResourceCategory
from caseload.services import resources as service
from core import edits
from core.csvfiles import csv_response
from core.errors import StaleEdit
from core.extensions import db
from core.pages import paginate
from core.policy import requires
from core.timeutil import today


def _filters() -> tuple[ResourceFilterForm, dict[str, str], bool]:
    form = ResourceFilterForm(request.args)
    valid = form.validate()
    args = {}
    if form.q.data and not form.q.errors:
        args["q"] = form.q.data
    if form.category.data and not form.category.errors:
        args["category"] = form.category.data
    return form, args, valid


@bp.get("/resources")
@requires("caseload.resources")
def resources() -> tuple[str, int]:
    form, args, valid = _filters()
    page = paginate(service.directory(args.get("q", ""), args.get("category", "")))
    return render_template(
        "caseload/resources/list.html", form=form, page=page, args=args, categories=ResourceCategory
    ), 200 if valid else 400


@bp.get("/resources/export.csv")
@requires("caseload.resources")
def resources_export() -> Response:
    _form, args, _valid = _filters()
    found = list(db.session.scalars(service.directory(args.get("q", ""), args.get("category", ""))))
    service.note_exported(current_user, len(found), filtered=bool(args))
    db.session.commit()
    return csv_response(service.csv_rows(found), f"community-resources-{today():%Y-%m-%d}.csv")


def _details(form: ResourceForm) -> service.ResourceDetails:
    return service.ResourceDetails(
        name=form.name.data,
        category=form.category.data,
        address=form.address.data or "",
        phone=form.phone.data or "",
        website=form.website.data or "",
        hours=form.hours.data or "",
        notes=form.notes.data or "",
    )


@bp.route("/resources/new", methods=["GET", "POST"])
@requires("caseload.resources")
def resource_new() -> Response | tuple[str, int]:
    form = ResourceForm()
    if form.validate_on_submit():
        resource = service.create_resource(_details(form), current_user)
        db.session.commit()
        flash("The resource is added to the directory.", "success")
        return redirect(url_for(".resource_detail", resource_id=resource.id))
    return render_template(
        "caseload/resources/form.html", form=form, resource=None, conflict=None, field_labels=service.FIELD_LABELS
    ), 400 if form.errors else 200


@bp.get("/resources/<int:resource_id>")
@requires("caseload.resources")
def resource_detail(resource_id: int) -> str:
    resource = db.get_or_404(Resource, resource_id)
    return render_template(
        "caseload/resources/detail.html", resource=resource, category=ResourceCategory(resource.category)
    )


@bp.route("/resources/<int:resource_id>/edit", methods=["GET", "POST"])
@requires("caseload.resources")
def resource_edit(resource_id: int) -> Response | tuple[str, int]:
    resource = db.get_or_404(Resource, resource_id)
    if request.method == "POST":
        form = ResourceEditForm()
    else:
        data = {key: getattr(resource, key) for key in service.FIELD_LABELS}
        form = ResourceEditForm(formdata=None, data={**data, "version": str(resource.version)})
    conflict: dict[str, str] | None = None
    status = 200
    if form.validate_on_submit():
        try:
            changed = service.update_resource(resource, _details(form), current_user, version=form.version.data)
            edits.commit()
        except StaleEdit:
            db.session.rollback()
            resource = db.get_or_404(Resource, resource_id)
            conflict = service.current_values(resource)
            form.version.data = str(resource.version)
            form.version.raw_data = None
            status = 409
        else:
            if changed:
                labels = ", ".join(service.FIELD_LABELS[name].lower() for name in changed)
                flash(f"Saved the changes: {labels}.", "success")
            else:
                flash("Nothing was changed.", "info")
            return redirect(url_for(".resource_detail", resource_id=resource.id))
    if form.errors and status == 200:
        status = 400
    return render_template(
        "caseload/resources/form.html",
        form=form,
        resource=resource,
        conflict=conflict,
        field_labels=service.FIELD_LABELS,
    ), status
