"""Agency-wide settings stored as named values, with defaults.

A settings page carries ``snapshot`` of the values it showed in a ``VersionField`` and saves through ``put_all``,
so a second tab or a co-worker's save in between is refused (``StaleEdit``) instead of silently overwritten.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from sqlalchemy import select

from core import timeutil
from core.errors import StaleEdit
from core.extensions import db
from core.models import AgencySetting

DEFAULTS = {
    "agency_time_zone": "",  # "" means the AGENCY_TIME_ZONE setting from the environment (core.timeutil)
    "dual_relationship_policy": "case_by_case",
    "readiness_action_threshold": "60",
    "readiness_min_cell": "5",  # readiness results: fewest answers a group needs to be shown (never below 3)
    # The agency's name and address: the employer and the place of work on public job postings.
    "agency_name": "",
    "agency_street": "",
    "agency_city": "",
    "agency_region": "",  # state, e.g. CT
    "agency_postal_code": "",
    # The living wage for the agency's county, in dollars an hour ("" until entered); job postings are checked
    # against it.
    "living_wage_hourly": "",
    "living_wage_area": "",
    # Hiring: "yes" when every interview panel must have a peer specialist on it (seed 004: no tokenism, several
    # people in hiring).
    "hiring_panel_needs_peer": "yes",
    # Hiring: months a closed posting's candidates are kept (applications, résumés, scores), then removed by
    # `flask hiring purge-candidates`.
    "hiring_retention_months": "12",
    # Supervision: a peer specialist's month is flagged for role fidelity when less than this percentage of the time
    # they recorded was direct peer work (seed 004: the benefit is lost when peers do "left-over tasks").
    "supervision_fidelity_threshold": "60",
    # "yes" when administrators, HR, privacy officers and supervisors must sign in with a second factor (a code from
    # an authenticator app; core/two_factor.py). Off by default, so the demo accounts sign in with the password only.
    "two_factor_required": "no",
}


def get(key: str) -> str:
    row = db.session.get(AgencySetting, key)
    return row.value if row is not None else DEFAULTS[key]


def put(key: str, value: str) -> None:
    if key not in DEFAULTS:
        raise KeyError(key)
    row = db.session.get(AgencySetting, key)
    if row is None:
        db.session.add(AgencySetting(key=key, value=value))
    else:
        row.value = value
    db.session.flush()
    if key == timeutil.SETTING:
        timeutil.forget_agency_zone()


def snapshot(keys: Iterable[str]) -> str:
    """A short fingerprint of the current values of ``keys``, for a settings form's version field."""
    values = "\x1f".join(f"{key}={get(key)}" for key in sorted(keys))
    return hashlib.sha256(values.encode()).hexdigest()[:16]


def put_all(values: Mapping[str, str], *, loaded: str) -> list[str]:
    """Save several settings at once, if they are still what the form showed (``loaded`` is its ``snapshot``).
    Returns the keys whose value changed. Raises ``StaleEdit`` when someone saved in between."""
    keys = sorted(values)
    # Lock the rows that exist, so two saves at the same moment are checked one after the other.
    db.session.scalars(select(AgencySetting).where(AgencySetting.key.in_(keys)).with_for_update()).all()
    if snapshot(keys) != loaded:
        raise StaleEdit
    changed = [key for key in keys if get(key) != values[key]]
    for key in changed:
        put(key, values[key])
    return changed
