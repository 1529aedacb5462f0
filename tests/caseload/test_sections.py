"""The caseload front page links each person to the parts of the caseload their role opens, and no others."""

import pytest

from core import policy
from core.models import Role

SECTIONS = {
    "/caseload/notes": "caseload.clients",
    "/caseload/referrals": "caseload.referrals",
    "/caseload/referrals/new": "caseload.referrals",
    "/caseload/groups": "caseload.groups",
    "/caseload/resources": "caseload.resources",
    "/caseload/emergency": "caseload.emergency",
    "/caseload/safeguards": "caseload.safeguards",
}


@pytest.mark.parametrize("role", [Role.PEER, Role.STAFF, Role.SUPERVISOR, Role.PRIVACY, Role.ADMIN])
def test_front_page_links_follow_the_policy(client, login_as, role):
    user = login_as(role)
    page = client.get("/caseload/").get_data(as_text=True)
    for path, permission in SECTIONS.items():
        linked = f'href="{path}"' in page
        assert linked == policy.can(user, permission), (role, path)
        assert client.get(path).status_code == (200 if linked else 403), path
    assert 'href="/caseload/declare"' in page
