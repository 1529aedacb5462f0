"""The agency's own settings on the administrator's settings page: for now, its time zone.

The page saves through ``core.settings.put_all`` with the snapshot of the values it showed, so a second tab or a
co-worker's save in between is refused instead of overwritten. A changed time zone is audited and tells every
module that keeps a stored local day (``timeutil.when_zone_changes``) to work it out again.
"""

from __future__ import annotations

from dataclasses import dataclass

from core import audit, settings, timeutil
from core.errors import InvalidInput
from core.models import Staff

KEYS = (timeutil.SETTING,)

UNKNOWN_ZONE = (
    "We do not know that time zone. Type a name from the list, written the same way, "
    "for example America/New_York or America/Chicago."
)


@dataclass(frozen=True)
class AgencySettings:
    time_zone: str


def current() -> AgencySettings:
    """What the page shows: the saved zone, else the one the app started with."""
    return AgencySettings(time_zone=timeutil.agency_zone_name())


def version() -> str:
    return settings.snapshot(KEYS)


def save(wanted: AgencySettings, *, loaded: str, actor: Staff) -> bool:
    """Save the settings if they are still what the page showed. Raises ``InvalidInput`` for a zone that is not
    one, ``StaleEdit`` when someone saved in between. Returns whether anything changed."""
    name = wanted.time_zone.strip()
    if not timeutil.is_zone_name(name):
        raise InvalidInput({"time_zone": UNKNOWN_ZONE})
    before = timeutil.agency_zone_name()
    if not settings.put_all({timeutil.SETTING: name}, loaded=loaded):
        return False
    # Saved even when it equals the environment's default: the agency's zone no longer follows the environment.
    audit.record("setting.changed", actor=actor, record_type="setting", record_id=timeutil.SETTING,
                 detail=f"time zone {before} to {name}")
    if name != before:
        timeutil.zone_changed()
    return True
