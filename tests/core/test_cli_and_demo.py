from collections import Counter

from sqlalchemy import func, select

from core.models import Role, Staff, StaffRole, StaffStatus, staff_team
from core.passwords import check_password


def test_create_admin(runner, db):
    result = runner.invoke(
        args=["create-admin", "--email", "Boss@Example.org", "--name", "Boss Person",
              "--password", "a long enough secret"]
    )
    assert result.exit_code == 0, result.output
    staff = db.session.scalar(select(Staff).where(Staff.email == "boss@example.org"))
    assert staff.has_role(Role.ADMIN)
    assert staff.status == StaffStatus.ACTIVE
    assert check_password(staff.password_hash, "a long enough secret")


def test_create_admin_on_an_existing_account_ends_its_sessions(runner, db):
    """Given the email of an account that exists, create-admin sets the password typed: like any password change,
    that ends every session the account had (README, "Sessions live on the server")."""
    from core import sessions
    from core.models import AuditEntry
    from tests.factories import make_staff

    staff = make_staff("peer", email="pat@example.org", name="Pat Person")
    token = sessions.start(staff)
    db.session.commit()
    assert sessions.load(token)[0] is not None

    result = runner.invoke(
        args=["create-admin", "--email", "pat@example.org", "--name", "Someone Else",
              "--password", "a long enough secret"]
    )
    assert result.exit_code == 0, result.output
    assert "already had an account" in result.output
    db.session.expire_all()
    assert sessions.load(token)[0] is None, "the old session still signs in"
    staff = db.session.get(Staff, staff.id)
    assert staff.has_role(Role.ADMIN)
    assert staff.has_role(Role.PEER)
    assert staff.name == "Pat Person"
    assert check_password(staff.password_hash, "a long enough secret")
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "staff.create_admin")).one()
    assert "signed out everywhere" in entry.detail


def test_create_admin_lifts_the_lockout_of_an_existing_account(runner, db, client):
    """An administrator locked out by wrong sign-in tries (15 minutes) is back in at once with create-admin: the
    lock is lifted, the tries forgotten, and the command says so."""
    from core.models import AuditEntry
    from tests.factories import make_staff

    staff = make_staff("admin", email="boss@example.org")
    db.session.commit()
    for attempt in range(5):
        client.post("/login", data={"email": "boss@example.org", "password": f"wrong password {attempt}"})
    db.session.refresh(staff)
    assert staff.locked_until is not None, "five wrong tries lock the account"

    result = runner.invoke(
        args=["create-admin", "--email", "boss@example.org", "--name", "Boss", "--password", "a long enough secret"]
    )
    assert result.exit_code == 0, result.output
    assert "the lock is lifted, so it can sign in now" in result.output
    db.session.expire_all()
    staff = db.session.get(Staff, staff.id)
    assert staff.locked_until is None
    assert staff.failed_signins == 0
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "staff.create_admin")).one()
    assert entry.detail.endswith("lockout lifted")
    signed_in = client.post("/login", data={"email": "boss@example.org", "password": "a long enough secret"})
    assert signed_in.status_code == 302, "the right password is still refused: the account is still locked"
    assert "/login" not in signed_in.headers["Location"]


def test_create_admin_says_nothing_of_a_lockout_when_there_was_none(runner, db):
    from tests.factories import make_staff

    make_staff("peer", email="pat@example.org")
    db.session.commit()
    result = runner.invoke(
        args=["create-admin", "--email", "pat@example.org", "--name", "Pat", "--password", "a long enough secret"]
    )
    assert result.exit_code == 0, result.output
    assert "lock" not in result.output


def test_create_admin_refuses_a_weak_password(runner, db):
    result = runner.invoke(
        args=["create-admin", "--email", "a@example.org", "--name", "A", "--password", "password123"]
    )
    assert result.exit_code != 0
    assert "at least 12 characters" in result.output
    assert db.session.scalar(select(func.count()).select_from(Staff)) == 0


def test_seed_demo_builds_the_agency(runner, db):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "peer@example.org" in result.output
    staff = db.session.scalars(select(Staff)).all()
    assert 35 <= len(staff) <= 45
    emails = {s.email for s in staff}
    for account in ("admin", "hr", "supervisor", "peer", "clinician", "privacy"):
        assert f"{account}@example.org" in emails
    by_email = {s.email: s for s in staff}
    assert by_email["peer@example.org"].supervisor.email == "supervisor@example.org"
    assert by_email["clinician@example.org"].roles == {Role.STAFF}
    assert check_password(by_email["hr@example.org"].password_hash, "peerworks-demo")
    peers_per_team = Counter(
        team_id
        for team_id, in db.session.execute(
            select(staff_team.c.team_id)
            .join(StaffRole, StaffRole.staff_id == staff_team.c.staff_id)
            .where(StaffRole.role == Role.PEER)
        )
    )
    assert sum(1 for s in staff if s.has_role(Role.PEER)) >= 6
    assert peers_per_team
    assert min(peers_per_team.values()) >= 2, "a lone peer on a team"


def test_seed_demo_only_on_an_empty_database(runner, db):
    assert runner.invoke(args=["seed-demo", "--if-empty"]).exit_code == 0
    count = db.session.scalar(select(func.count()).select_from(Staff))
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0
    assert "already has staff" in result.output
    assert db.session.scalar(select(func.count()).select_from(Staff)) == count


def test_seed_demo_twice_says_so_plainly_and_changes_nothing(runner, db):
    """README's `seed-demo` run a second time (or on a database with an administrator already): a plain sentence
    and exit status 1, never the duplicate accounts' database error and its traceback."""
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    count = db.session.scalar(select(func.count()).select_from(Staff))
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 1
    assert "already has staff" in result.output
    assert "nothing was changed" in result.output
    assert "Traceback" not in result.output
    assert "fault in PeerWorks" not in result.output
    assert db.session.scalar(select(func.count()).select_from(Staff)) == count


def test_seed_demo_refused_in_production(runner, app, db):
    app.config["PRODUCTION"] = True
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "production" in result.output
    assert db.session.scalar(select(func.count()).select_from(Staff)) == 0


def test_demo_password_from_environment(runner, db, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "another demo password")
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    admin = db.session.scalar(select(Staff).where(Staff.email == "admin@example.org"))
    assert check_password(admin.password_hash, "another demo password")
