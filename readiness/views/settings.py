"""The agency's readiness settings: the small-group threshold and the score that suggests training."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from core import audit, edits, settings
from core.errors import StaleEdit
from core.extensions import db
from core.policy import requires
from readiness.blueprint import bp
from readiness.forms import ReadinessSettingsForm
from readiness.services import actions, results
from readiness.views._common import render

KEYS = (results.SETTING, actions.THRESHOLD_KEY)


@bp.route("/settings", methods=["GET", "POST"])
@requires("readiness.manage")
def settings_page() -> Response | tuple[str, int]:
    form = ReadinessSettingsForm()
    if not form.is_submitted():
        form.min_cell.data = results.minimum_cell()
        form.action_threshold.data = actions.threshold()
        form.version.data = settings.snapshot(KEYS)
    if form.validate_on_submit():
        values = {results.SETTING: str(form.min_cell.data), actions.THRESHOLD_KEY: str(form.action_threshold.data)}
        try:
            settings.put_all(values, loaded=form.version.data or "")
            audit.record("setting.changed", actor=current_user, record_type="setting", record_id="readiness",
                         detail=f"min cell {form.min_cell.data}; action threshold {form.action_threshold.data}")
            edits.commit()
        except StaleEdit:
            db.session.rollback()
            form.version.data = settings.snapshot(KEYS)
            return render("readiness/settings.html", 409, form=form, conflict=edits.STALE_MESSAGE,
                          now_min_cell=results.minimum_cell(), now_threshold=actions.threshold())
        flash("The readiness settings are saved.", "success")
        return redirect(url_for("readiness.settings_page"))
    return render("readiness/settings.html", 400 if form.errors else 200, form=form)
