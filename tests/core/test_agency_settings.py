"""The administrator's settings page: the agency's time zone, checked, audited, never silently overwritten."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core import settings, timeutil
from core.models import AuditEntry

PAGE = "/admin/settings"


def version_on(page: str) -> str:
    found = re.search(r'name="version" type="hidden" value="([^"]*)"', page)
    assert found, "the form carries the version of the settings it showed"
    return found.group(1)


def zone_changes(db) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "setting.changed")))


def test_the_page_shows_the_zone_from_the_environment_and_offers_the_known_names(client, login_as):
    login_as("admin")
    page = client.get(PAGE).get_data(as_text=True)
    assert "Your agency&#39;s time zone" in page
    assert 'value="America/New_York"' in page
    assert 'list="zone-names"' in page
    assert '<option value="America/Chicago">' in page
    assert '<option value="localtime">' not in page
    assert f'href="{PAGE}"' in client.get("/").get_data(as_text=True), "linked from the navigation"


def test_a_valid_zone_is_saved_audited_and_used_at_once(client, db, login_as, frozen_time):
    frozen_time.at("2026-12-08 23:30")  # already 9 December in UTC and in London
    admin = login_as("admin")
    version = version_on(client.get(PAGE).get_data(as_text=True))
    response = client.post(PAGE, data={"time_zone": "Europe/London", "version": version})
    assert response.status_code == 302
    assert settings.get(timeutil.SETTING) == "Europe/London"
    [entry] = zone_changes(db)
    assert entry.actor_id == admin.id
    assert entry.record_id == timeutil.SETTING
    assert entry.detail == "time zone America/New_York to Europe/London"
    page = client.get(PAGE).get_data(as_text=True)
    assert "The settings are saved." in page
    assert "Wednesday 9 December 2026, 04:30 (Europe/London)" in page


def test_an_unknown_zone_is_refused_with_a_message_and_the_input_kept(client, db, login_as):
    login_as("admin")
    version = version_on(client.get(PAGE).get_data(as_text=True))
    response = client.post(PAGE, data={"time_zone": "America/Atlantis", "version": version})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "We do not know that time zone" in page
    assert 'value="America/Atlantis"' in page
    assert 'aria-invalid="true"' in page
    assert settings.get(timeutil.SETTING) == ""
    assert zone_changes(db) == []


def test_an_empty_zone_is_refused(client, login_as):
    login_as("admin")
    version = version_on(client.get(PAGE).get_data(as_text=True))
    response = client.post(PAGE, data={"time_zone": "  ", "version": version})
    assert response.status_code == 400
    assert "Type your agency&#39;s time zone" in response.get_data(as_text=True)


def test_a_stale_save_is_refused_with_the_input_kept_and_can_then_be_made_knowingly(client, db, login_as):
    login_as("admin")
    version = version_on(client.get(PAGE).get_data(as_text=True))
    settings.put(timeutil.SETTING, "America/Denver")  # a co-worker's save in another tab
    db.session.commit()
    response = client.post(PAGE, data={"time_zone": "America/Chicago", "version": version})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Someone else saved a change" in page
    assert 'value="America/Chicago"' in page, "the person's input is kept"
    assert "<strong>America/Denver</strong>" in page, "what is saved now is shown beside it"
    assert settings.get(timeutil.SETTING) == "America/Denver"
    again = client.post(PAGE, data={"time_zone": "America/Chicago", "version": version_on(page)})
    assert again.status_code == 302
    assert settings.get(timeutil.SETTING) == "America/Chicago"


def test_saving_the_same_zone_changes_nothing(client, db, login_as):
    login_as("admin")
    settings.put(timeutil.SETTING, "America/New_York")
    db.session.commit()
    version = version_on(client.get(PAGE).get_data(as_text=True))
    assert client.post(PAGE, data={"time_zone": "America/New_York", "version": version}).status_code == 302
    assert zone_changes(db) == []
    assert "Nothing was changed." in client.get(PAGE).get_data(as_text=True)


@pytest.mark.parametrize("role", ["hr", "privacy", "supervisor", "peer", "staff"])
def test_only_the_administrator_opens_the_settings(client, login_as, role):
    login_as(role)
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, data={"time_zone": "Europe/London"}).status_code == 403
    assert settings.get(timeutil.SETTING) == ""


def test_the_living_wage_and_the_agency_address_are_saved_audited_and_shown_by_the_year(client, db, login_as):
    admin = login_as("admin")
    version = version_on(client.get(PAGE).get_data(as_text=True))
    data = {"time_zone": "America/New_York", "version": version, "agency_name": "Harbor Valley Behavioral Health",
            "agency_street": "100 Harbor Street", "agency_city": "New Haven", "agency_region": "CT",
            "agency_postal_code": "06510", "living_wage_hourly": "$24.5", "living_wage_area": "New Haven County"}
    assert client.post(PAGE, data=data).status_code == 302
    assert (settings.get("living_wage_hourly"), settings.get("agency_city")) == ("24.50", "New Haven")
    details = {(e.record_id, e.detail, e.actor_id) for e in zone_changes(db)}
    assert ("living_wage", "living wage none to 24.50", admin.id) in details
    assert ("agency_address", "the agency's name or address", admin.id) in details
    page = client.get(PAGE).get_data(as_text=True)
    assert "Saved now: $24.50 an hour, $50,960 a year." in page
    assert 'value="Harbor Valley Behavioral Health"' in page


def test_a_living_wage_that_is_not_an_amount_is_refused_with_the_input_kept(client, db, login_as):
    login_as("admin")
    version = version_on(client.get(PAGE).get_data(as_text=True))
    response = client.post(PAGE, data={"time_zone": "America/New_York", "version": version,
                                       "living_wage_hourly": "about twenty", "agency_name": "Kept name"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter the living wage in dollars an hour" in page
    assert 'value="about twenty"' in page
    assert 'value="Kept name"' in page
    assert settings.get("living_wage_hourly") == ""
    assert settings.get("agency_name") == ""
