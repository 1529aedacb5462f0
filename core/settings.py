"""Agency-wide settings stored as named values, with defaults."""

from __future__ import annotations

from core import timeutil
from core.extensions import db
from core.models import AgencySetting

DEFAULTS = {
    "agency_time_zone": "",  # "" means the AGENCY_TIME_ZONE setting from the environment (core.timeutil)
    "dual_relationship_policy": "case_by_case",
    "readiness_action_threshold": "60",
    "readiness_min_cell": "5",  # readiness results: fewest answers a group needs to be shown (never below 3)
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
