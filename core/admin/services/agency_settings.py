"""The agency's own settings on the administrator's settings page: its time zone, its name and address (the
employer and the place of work on public job postings), the living wage for its county (job postings are
checked against it), its hiring rules (a peer specialist on every interview panel; how many months a closed
posting's candidates are kept) and whether administrators, HR, privacy officers and supervisors must use
two-factor sign-in.

The page saves through ``core.settings.put_all`` with the snapshot of the values it showed, so a second tab or a
co-worker's save in between is refused instead of overwritten. A changed time zone is audited and tells every
module that keeps a stored local day (``timeutil.when_zone_changes``) to work it out again.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from core import audit, money, settings, timeutil
from core.errors import InvalidInput
from core.models import Staff

ADDRESS_KEYS = ("agency_name", "agency_street", "agency_city", "agency_region", "agency_postal_code")
WAGE_KEYS = ("living_wage_hourly", "living_wage_area")
HIRING_KEYS = ("hiring_panel_needs_peer", "hiring_retention_months")
SECURITY_KEYS = ("two_factor_required",)
RETENTION_MONTHS = (1, 120)
KEYS = (timeutil.SETTING, *ADDRESS_KEYS, *WAGE_KEYS, *HIRING_KEYS, *SECURITY_KEYS)
YES_NO = ("yes", "no")

UNKNOWN_ZONE = (
    "We do not know that time zone. Type a name from the list, written the same way, "
    "for example America/New_York or America/Chicago."
)
NOT_AN_AMOUNT = "Enter the living wage in dollars an hour, for example 24.50, or leave it empty."


@dataclass(frozen=True)
class AgencySettings:
    """What the page saves. A field left as None keeps what is saved."""

    time_zone: str
    agency_name: str | None = None
    agency_street: str | None = None
    agency_city: str | None = None
    agency_region: str | None = None
    agency_postal_code: str | None = None
    living_wage_hourly: str | None = None
    living_wage_area: str | None = None
    hiring_panel_needs_peer: str | None = None
    hiring_retention_months: str | None = None
    two_factor_required: str | None = None


def current() -> AgencySettings:
    """What the page shows: the saved values, and the saved zone or else the one the app started with."""
    return AgencySettings(time_zone=timeutil.agency_zone_name(),
                          **{key: settings.get(key) for key in KEYS if key != timeutil.SETTING})


def version() -> str:
    return settings.snapshot(KEYS)


def save(wanted: AgencySettings, *, loaded: str, actor: Staff) -> bool:
    """Save the settings if they are still what the page showed. Raises ``InvalidInput`` for a zone that is not
    one or a living wage that is not an amount, ``StaleEdit`` when someone saved in between. Returns whether
    anything changed."""
    name = wanted.time_zone.strip()
    if not timeutil.is_zone_name(name):
        raise InvalidInput({"time_zone": UNKNOWN_ZONE})
    values = {key: settings.get(key) for key in KEYS}  # put_all checks the snapshot of every key the page showed
    values[timeutil.SETTING] = name
    for item in fields(AgencySettings):
        value = getattr(wanted, item.name)
        if item.name != "time_zone" and value is not None:
            values[item.name] = value.strip()
    wage = values.get("living_wage_hourly", "")
    if wage:
        cents = money.parse_dollars(wage)
        if cents is None:
            raise InvalidInput({"living_wage_hourly": NOT_AN_AMOUNT})
        values["living_wage_hourly"] = money.plain(cents)
    if values.get("hiring_panel_needs_peer") not in YES_NO:
        raise InvalidInput({"hiring_panel_needs_peer": "Choose yes or no."})
    if values.get("two_factor_required") not in YES_NO:
        raise InvalidInput({"two_factor_required": "Choose yes or no."})
    kept = values.get("hiring_retention_months", "")
    shortest, longest = RETENTION_MONTHS
    if not (kept.isascii() and kept.isdigit() and len(kept) < 4 and shortest <= int(kept) <= longest):
        raise InvalidInput(
            {"hiring_retention_months": f"Enter a whole number of months from {shortest} to {longest}, for example 12."}
        )
    values["hiring_retention_months"] = str(int(kept))
    before = timeutil.agency_zone_name()
    saved_wage = settings.get("living_wage_hourly")
    changed = settings.put_all(values, loaded=loaded)
    if not changed:
        return False
    if timeutil.SETTING in changed:
        # Saved even when it equals the environment's default: the agency's zone no longer follows the environment.
        audit.record("setting.changed", actor=actor, record_type="setting", record_id=timeutil.SETTING,
                     detail=f"time zone {before} to {name}")
        if name != before:
            timeutil.zone_changed()
    if set(changed) & set(ADDRESS_KEYS):
        audit.record("setting.changed", actor=actor, record_type="setting", record_id="agency_address",
                     detail="the agency's name or address")
    if set(changed) & set(WAGE_KEYS):
        audit.record("setting.changed", actor=actor, record_type="setting", record_id="living_wage",
                     detail=f"living wage {saved_wage or 'none'} to {values.get('living_wage_hourly') or 'none'}")
    if "two_factor_required" in changed:
        audit.record("setting.changed", actor=actor, record_type="setting", record_id="two_factor_required",
                     detail="two-factor sign-in " + ("required" if values["two_factor_required"] == "yes" else
                                                     "not required"))
    for key in set(changed) & set(HIRING_KEYS):
        audit.record("setting.changed", actor=actor, record_type="setting", record_id=key,
                     detail=f"{key} {values[key]}")
    return True
