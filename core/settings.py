"""Agency-wide settings stored as named values, with defaults."""

from __future__ import annotations

from core.extensions import db
from core.models import AgencySetting

DEFAULTS = {
    "dual_relationship_policy": "case_by_case",
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
