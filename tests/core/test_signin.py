from core.models import AuditEntry, AuthSession
from tests.factories import PASSWORD, make_staff


def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert b'name="email"' in response.data
    assert b'name="password"' in response.data


def test_sign_in_through_the_form(client, db):
    staff = make_staff("peer", email="pat@example.org")
    db.session.commit()
    response = client.post("/login", data={"email": "Pat@Example.org ", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert staff.name.encode() in home.data
    assert db.session.query(AuthSession).filter_by(staff_id=staff.id).count() == 1
    actions = [e.action for e in db.session.query(AuditEntry).order_by(AuditEntry.id)]
    assert actions == ["signin.succeeded"]


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/caseload/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
def test_home_links_declare_for_hr(client, login_as):
    login_as("hr")
    page = client.get("/").get_data(as_text=True)
    assert 'href="/caseload/declare"' in page
    assert client.get("/caseload/declare").status_code == 200
