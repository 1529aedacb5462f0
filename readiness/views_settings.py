"""The agency's readiness settings: the small-group threshold and the score that suggests training."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from core import audit, settings
from core.extensions import db
from core.forms import FlaskForm
from core.policy import requires
from readiness.services import results
from readiness.views import bp


class ReadinessSettingsForm(FlaskForm):
    min_cell = IntegerField(
        "Smallest group whose answers are shown",
        validators=[
            InputRequired("Enter a number of answers."),
            NumberRange(min=3, max=50, message="Enter a number from 3 to 50. Fewer than 3 could identify people."),
        ],
    )
    action_threshold = IntegerField(
        "Suggest training when a domain scores under",
        validators=[
            InputRequired("Enter a score from 0 to 100."),
            NumberRange(min=0, max=100, message="Enter a score from 0 to 100."),
        ],
    )


def _current_threshold() -> int:
    try:
        return int(settings.get("readiness_action_threshold"))
    except ValueError:
        return 60


@bp.route("/settings", methods=["GET", "POST"])
@requires("readiness.manage")
def settings_page() -> Response | tuple[str, int]:
    form = ReadinessSettingsForm()
    if not form.is_submitted():
        form.min_cell.data = results.minimum_cell()
        form.action_threshold.data = _current_threshold()
    if form.validate_on_submit():
        settings.put("readiness_min_cell", str(form.min_cell.data))
        settings.put("readiness_action_threshold", str(form.action_threshold.data))
        audit.record("setting.changed", actor=current_user, record_type="setting", record_id="readiness",
                     detail=f"min cell {form.min_cell.data}; action threshold {form.action_threshold.data}")
        db.session.commit()
        flash("The readiness settings are saved.", "success")
        return redirect(url_for("readiness.settings_page"))
    return render_template("readiness/settings.html", form=form), 400 if form.errors else 200
