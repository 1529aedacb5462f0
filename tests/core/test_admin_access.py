"""Every administration route is for administrators only, and every form needs its CSRF token."""

from __future__ import annotations

import pytest

from core.models import AuditEntry, Role, StaffStatus
from core.navigation import ITEMS
from tests.factories import make_staff, make_team

NON_ADMIN_ROLES = [role for role in Role if role != Role.ADMIN]


def admin_routes(app):
    """(method, url) for every admin.* route, with ids that exist."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        args = dict.fromkeys(rule.arguments, 1)
        url = rule.build(args, append_unknown=False)[1]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            routes.append((method, url))
    return routes


def test_there_are_admin_routes_to_check(app):
    urls = {url for _method, url in admin_routes(app)}
    assert {"/admin/staff", "/admin/staff/invite", "/admin/staff/1", "/admin/staff/import", "/admin/teams",
            "/admin/outbox", "/admin/staff/export.csv"} <= urls


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_other_roles_get_403_on_every_admin_route(app, client, db, login_as, role):
    make_team()  # team 1 exists
    login_as(role)
    target = make_staff("peer", status=StaffStatus.INVITED)
    db.session.commit()
    for method, url in admin_routes(app):
        url = url.replace("/staff/1", f"/staff/{target.id}")
        response = client.open(url, method=method)
        assert response.status_code == 403, (method, url)
    assert target.status == StaffStatus.INVITED
    denied = db.session.query(AuditEntry).filter_by(action="access.denied").count()
    assert denied == len(admin_routes(app))


def test_anonymous_people_are_sent_to_sign_in(app, client):
    routes = admin_routes(app)
    assert {method for method, _url in routes} == {"GET", "POST"}
    for method, url in routes:
        response = client.open(url, method=method)
        assert response.status_code == 302, (method, url)
        assert response.headers["Location"].startswith("/login")


def test_admin_sees_admin_items_in_the_menu(client, login_as):
    login_as("admin")
    page = client.get("/").get_data(as_text=True)
    for label in ("Staff", "Programs and teams", "Email outbox"):
        assert label in page
    assert any(item.endpoint == "admin.outbox" and item.permission == "admin.outbox" for item in ITEMS)


def test_peer_does_not_see_the_outbox_in_the_menu(client, login_as):
    login_as("peer")
    page = client.get("/").get_data(as_text=True)
    assert "Email outbox" not in page


def test_posts_without_csrf_token_are_refused(app, client, db, login_as):
    app.config["WTF_CSRF_ENABLED"] = True
    login_as("admin")
    person = make_staff("peer")
    db.session.commit()
    response = client.post(f"/admin/staff/{person.id}/deactivate")
    assert response.status_code == 400
    db.session.expire_all()
    assert person.status == StaffStatus.ACTIVE


def test_forms_carry_a_csrf_token(app, client, db, login_as):
    app.config["WTF_CSRF_ENABLED"] = True
    login_as("admin")
    person = make_staff("peer", status=StaffStatus.INVITED)
    db.session.commit()
    for url in ("/admin/staff/invite", f"/admin/staff/{person.id}", "/admin/staff/import", "/admin/teams"):
        page = client.get(url).get_data(as_text=True)
        assert page.count('method="post"') >= 1, url
        assert page.count("csrf_token") >= page.count('method="post"'), url
