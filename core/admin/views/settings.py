"""The administrator's settings page (``/admin/settings``): the agency's time zone, its name and address, and the
living wage for its county. Thin: the rules are in ``core.admin.services.agency_settings``."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from core import timeutil
from core.admin.blueprint import bp
from core.admin.forms import AgencySettingsForm
from core.admin.services import agency_settings
from core.edits import STALE_MESSAGE
from core.errors import InvalidInput, StaleEdit
from core.extensions import db
from core.money import dollars, parse_dollars
from core.policy import requires

OTHER_FIELDS = (
    *agency_settings.ADDRESS_KEYS, *agency_settings.WAGE_KEYS, *agency_settings.HIRING_KEYS,
    *agency_settings.SECURITY_KEYS,
)


@bp.route("/settings", methods=["GET", "POST"])
@requires("admin.settings")
def settings_page() -> Response | tuple[str, int]:
    form = AgencySettingsForm()
    if not form.is_submitted():
        saved = agency_settings.current()
        for name in OTHER_FIELDS:
            form[name].data = getattr(saved, name)
        form.time_zone.data = saved.time_zone
        form.version.data = agency_settings.version()
    stale = False
    if form.validate_on_submit():
        try:
            changed = agency_settings.save(
                agency_settings.AgencySettings(
                    time_zone=form.time_zone.data or "",
                    **{name: form[name].data or "" for name in OTHER_FIELDS if name in request.form},
                ),
                loaded=form.version.data or "",
                actor=current_user,
            )
            db.session.commit()
        except InvalidInput as error:
            db.session.rollback()
            for name, message in error.problems.items():
                form[name].errors = [*form[name].errors, message]
        except StaleEdit:
            db.session.rollback()
            timeutil.forget_agency_zone()
            stale = True
            form.version.data = agency_settings.version()  # saving again now replaces what is saved, knowingly
        else:
            flash("The settings are saved." if changed else "Nothing was changed.", "success" if changed else "info")
            return redirect(url_for("admin.settings_page"))
    status = 409 if stale else (400 if form.errors else 200)
    return render_template(
        "admin/settings.html",
        form=form,
        zones=timeutil.zone_names(),
        saved=agency_settings.current(),
        stale_message=STALE_MESSAGE if stale else None,
        dollars=dollars,
        saved_wage=parse_dollars(agency_settings.current().living_wage_hourly or ""),
    ), status
