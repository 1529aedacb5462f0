from sqlalchemy import select

from core import settings
from core.models import AuditEntry
from readiness.services import results
from tests.readiness.helpers import form_version


def test_hr_changes_the_thresholds(client, db, login_as):
    login_as("hr")
    page = client.get("/readiness/settings").get_data(as_text=True)
    assert 'value="5"' in page
    response = client.post("/readiness/settings", data={"min_cell": "7", "action_threshold": "55",
                                                        "version": form_version(page)})
    assert response.status_code == 302
    assert results.minimum_cell() == 7
    assert settings.get("readiness_action_threshold") == "55"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "setting.changed"))
    assert entry.record_id == "readiness"
    assert 'href="/readiness/settings"' in client.get("/readiness/").get_data(as_text=True)


def test_never_below_three_and_input_kept(client, db, login_as):
    login_as("admin")
    response = client.post("/readiness/settings", data={"min_cell": "2", "action_threshold": "abc"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "never be lower than 3" in page or "from 3 to 50" in page
    assert 'value="2"' in page
    assert results.minimum_cell() == 5


def test_other_roles_cannot_change_settings(client, login_as):
    login_as("peer")
    assert client.get("/readiness/settings").status_code == 403
