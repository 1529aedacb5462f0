"""Two-factor sign-in (README "Two-factor sign-in"): setting it up, the second step of signing in, replay and drift,
recovery codes, the agency's requirement, the half-signed-in state, the administrator's reset and the limits."""

from __future__ import annotations

import re
from datetime import UTC

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from core import settings, two_factor
from core.accounts import service
from core.extensions import db as _db
from core.models import AuditEntry, AuthSession, RecoveryCode, Staff, TwoFactor
from tests.clock import FrozenClock
from tests.core.security_helpers import built_app
from tests.factories import PASSWORD, make_staff

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def code_at(clock: FrozenClock, steps: int = 0, secret: str = SECRET) -> str:
    step = int(clock.now.astimezone(UTC).timestamp()) // 30 + steps
    return pyotp.TOTP(secret).generate_otp(step)


def enrolled(staff: Staff, secret: str = SECRET) -> Staff:
    """Give ``staff`` a confirmed second factor with a known secret (and recovery codes)."""
    _db.session.add(TwoFactor(staff_id=staff.id, secret=two_factor._fernet().encrypt(secret.encode()).decode(),
                              confirmed_at=two_factor.utcnow()))
    _db.session.flush()
    return staff


def actions(db) -> list[str]:
    db.session.expire_all()
    return [entry.action for entry in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def password_step(client: FlaskClient, staff: Staff, next_url: str = ""):
    return client.post("/login" + (f"?next={next_url}" if next_url else ""),
                       data={"email": staff.email, "password": PASSWORD})


def signed_in(client: FlaskClient) -> bool:
    return client.get("/").status_code == 200


def test_setting_up_from_the_account_page_then_signing_in_with_a_code(client, db, login_as, frozen_time):
    staff = login_as("supervisor")
    db.session.commit()
    page = client.get("/account/two-factor/set-up")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<svg" in html
    assert 'role="img"' in html
    assert 'aria-label="QR code' in html
    key = re.search(r'id="setup-key"><span class="usa-sr-only">Setup key: </span>([A-Z2-7 ]+)<', html).group(1)
    assert all(len(group) == 4 for group in key.split()), "the secret is shown in groups of 4"
    secret = key.replace(" ", "")
    assert db.session.get(TwoFactor, staff.id) is None, "nothing stored before a code confirms it"
    assert client.get("/account/two-factor/set-up").get_data(as_text=True).count(key) == 1, "same key on reload"

    wrong = client.post("/account/two-factor/set-up", data={"code": "000000", "current_password": PASSWORD})
    assert wrong.status_code == 400
    assert 'value="000000"' not in wrong.get_data(as_text=True)
    assert PASSWORD not in wrong.get_data(as_text=True)
    done = client.post("/account/two-factor/set-up",
                       data={"code": code_at(frozen_time, secret=secret), "current_password": PASSWORD})
    assert done.status_code == 200
    codes = re.findall(r"<li>([0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4})</li>", done.get_data(as_text=True))
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert not any(
        code.replace("-", "") in h for h in db.session.scalars(select(RecoveryCode.code_hash)) for code in codes
    )
    assert "two_factor.enrolled" in actions(db)
    assert secret not in db.session.get(TwoFactor, staff.id).secret, "stored encrypted"
    assert client.get("/account/two-factor/set-up").status_code == 302, "the secret is never shown again"
    assert key not in client.get("/account/two-factor").get_data(as_text=True)

    other = client.application.test_client()
    first = password_step(other, staff, "/caseload/")
    assert first.status_code == 302
    assert first.headers["Location"] == "/login/code"
    assert not signed_in(other), "the password alone signs nobody in"
    frozen_time.advance(seconds=30)
    page = other.get("/login/code").get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in page
    assert 'inputmode="numeric"' in page
    assert '<label' in page
    finish = other.post("/login/code", data={"code": code_at(frozen_time, secret=secret)})
    assert finish.status_code == 302
    assert finish.headers["Location"] == "/caseload/"
    assert signed_in(other)
    log = actions(db)
    assert log[-2:] == ["signin.password_accepted", "signin.succeeded"]
    texts = " ".join(e.detail + e.record_id for e in db.session.scalars(select(AuditEntry)))
    assert secret not in texts
    assert not any(code in texts for code in codes)


TYPED_PASSWORD = "Typed-Guess-Never-Stored-42"


def test_setting_up_from_the_account_page_needs_the_password(client, db, login_as, frozen_time):
    """Someone at a browser left signed in cannot link their own phone to the account and take its recovery codes:
    the set-up needs the person's password, and a wrong one counts as a wrong sign-in try (5 lock the account)."""
    staff = login_as("peer")
    db.session.commit()
    html = client.get("/account/two-factor/set-up").get_data(as_text=True)
    assert 'autocomplete="current-password"' in html
    secret = re.search(r"Setup key: </span>([A-Z2-7 ]+)<", html).group(1).replace(" ", "")

    def set_up(password: str | None):
        data = {"code": code_at(frozen_time, secret=secret)}
        if password is not None:
            data["current_password"] = password
        return client.post("/account/two-factor/set-up", data=data)

    missing = set_up(None)
    assert missing.status_code == 400
    assert "Enter your password." in missing.get_data(as_text=True)
    for attempt in range(1, 6):
        wrong = set_up(TYPED_PASSWORD)
        assert wrong.status_code == 400
        page = wrong.get_data(as_text=True)
        assert TYPED_PASSWORD not in page, "nothing typed is put back in the page"
        assert code_at(frozen_time, secret=secret) not in page
        assert ("That is not your current password." in page) == (attempt < 5)
        db.session.refresh(staff)
        assert (staff.locked_until is not None) == (attempt == 5), f"locked after 5 wrong tries, not {attempt}"
    assert db.session.get(TwoFactor, staff.id) is None, "not set up"

    refused = set_up(PASSWORD)
    assert refused.status_code == 400, "the right password is refused while the account is locked"
    assert "Nothing was changed" in refused.get_data(as_text=True)
    assert db.session.get(TwoFactor, staff.id) is None
    db.session.expire_all()
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "two_factor.enrolled")).all()
    assert [(e.outcome, e.detail) for e in entries][-2:] == [
        ("denied", "current password wrong; locked"), ("denied", "account locked")]
    assert not any(TYPED_PASSWORD in e.detail or PASSWORD in e.detail for e in db.session.scalars(select(AuditEntry)))

    staff.locked_until = None
    db.session.commit()
    assert set_up(PASSWORD).status_code == 200, "the same key, once the password is right"
    assert db.session.get(TwoFactor, staff.id) is not None
    assert db.session.get(Staff, staff.id).failed_signins == 0


def test_new_recovery_codes_need_the_password(client, db, login_as, frozen_time):
    staff = enrolled(login_as("supervisor"))
    old = two_factor._make_recovery_codes(staff)
    db.session.commit()
    assert 'autocomplete="current-password"' in client.get("/account/two-factor/recovery-codes").get_data(
        as_text=True)
    without = client.post("/account/two-factor/recovery-codes", data={"code": code_at(frozen_time)})
    assert without.status_code == 400
    wrong = client.post("/account/two-factor/recovery-codes",
                        data={"code": code_at(frozen_time), "current_password": TYPED_PASSWORD})
    assert wrong.status_code == 400
    assert "That is not your current password." in wrong.get_data(as_text=True)
    assert TYPED_PASSWORD not in wrong.get_data(as_text=True)
    assert db.session.get(Staff, staff.id).failed_signins == 1, "counts as a wrong sign-in try"
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "two_factor.recovery_codes_replaced")).one()
    assert (entry.outcome, entry.detail) == ("denied", "current password wrong")
    assert two_factor.recovery_codes_left(staff) == 10
    assert two_factor.use_recovery_code(staff, old[0]), "the old codes still work"


def test_wrong_code_replay_and_drift(client, db, frozen_time):
    staff = enrolled(make_staff("hr"))
    db.session.commit()
    password_step(client, staff)

    wrong = client.post("/login/code", data={"code": "12345x"})
    assert wrong.status_code == 400
    assert "That code did not work" in wrong.get_data(as_text=True)
    assert client.post("/login/code", data={"code": code_at(frozen_time, -2)}).status_code == 400, "too old"
    assert client.post("/login/code", data={"code": code_at(frozen_time, +2)}).status_code == 400, "too new"
    assert db.session.get(Staff, staff.id).failed_signins == 3
    drift = client.post("/login/code", data={"code": code_at(frozen_time, -1)})
    assert drift.status_code == 302, "a phone 30 seconds behind is accepted"
    assert db.session.get(Staff, staff.id).failed_signins == 0

    again = client.application.test_client()
    password_step(again, staff)
    replay = again.post("/login/code", data={"code": code_at(frozen_time, -1)})
    assert replay.status_code == 400, "a code is used once"
    older = again.post("/login/code", data={"code": code_at(frozen_time, -1)})
    assert older.status_code == 400
    assert again.post("/login/code", data={"code": code_at(frozen_time, 0)}).status_code == 302, "a later step works"
    assert actions(db).count("two_factor.code_failed") == 5


def test_a_changed_secret_key_makes_the_second_factor_unreadable_not_an_error(app, client, db, frozen_time):
    staff = enrolled(make_staff("hr"))
    db.session.commit()
    app.config["SECRET_KEY"] = "another-secret-key"  # the sign-in cookie goes too; the service is asked directly
    assert two_factor.check_code(staff, code_at(frozen_time)) is False
    assert two_factor.use_recovery_code(staff, "abcd-efgh-jkmn") is False


def test_five_wrong_codes_lock_the_account(client, db, frozen_time):
    staff = enrolled(make_staff("admin"))
    db.session.commit()
    password_step(client, staff)
    for _ in range(5):
        assert client.post("/login/code", data={"code": "000000"}).status_code == 400
    assert db.session.get(Staff, staff.id).locked_until is not None
    assert client.post("/login/code", data={"code": code_at(frozen_time)}).status_code == 400, "locked"
    assert "wrong codes; locked" in [e.detail for e in db.session.scalars(select(AuditEntry))]


def test_recovery_code_works_once(client, db, frozen_time):
    staff = make_staff("privacy")
    enrolled(staff)
    codes = two_factor._make_recovery_codes(staff)
    db.session.commit()
    password_step(client, staff)
    typed = codes[3].upper().replace("-", " ")
    used = client.post("/login/recovery-code", data={"code": typed})
    assert used.status_code == 302
    assert signed_in(client)
    assert "two_factor.recovery_code_used" in actions(db)
    assert two_factor.recovery_codes_left(staff) == 9

    again = client.application.test_client()
    password_step(again, staff)
    refused = again.post("/login/recovery-code", data={"code": codes[3]})
    assert refused.status_code == 400
    assert codes[3] not in refused.get_data(as_text=True)
    assert again.post("/login/recovery-code", data={"code": "<script>" * 5}).status_code == 400

    # New codes from the account page: the old ones stop working.
    old = codes[4]
    new_page = client.post("/account/two-factor/recovery-codes",
                           data={"code": code_at(frozen_time), "current_password": PASSWORD})
    assert new_page.status_code == 200
    assert len(re.findall(r"<li>[0-9a-z-]{14}</li>", new_page.get_data(as_text=True))) == 10
    assert again.post("/login/recovery-code", data={"code": old}).status_code == 400
    assert "two_factor.recovery_codes_replaced" in actions(db)


def test_requirement_forces_set_up_for_the_required_roles_only(app, db, frozen_time):
    settings.put(two_factor.SETTING, "yes")
    supervisor = make_staff("supervisor")
    peer = make_staff("peer")
    db.session.commit()

    peer_client = app.test_client()
    assert password_step(peer_client, peer).headers["Location"] == "/", "a peer signs in with the password"

    client = app.test_client()
    first = password_step(client, supervisor, "/supervision/")
    assert first.headers["Location"] == "/login/set-up"
    assert not signed_in(client)
    assert client.get("/supervision/").status_code == 302, "nothing else before setting it up"
    page = client.get("/login/set-up").get_data(as_text=True)
    secret = re.search(r"Setup key: </span>([A-Z2-7 ]+)<", page).group(1).replace(" ", "")
    done = client.post("/login/set-up", data={"code": code_at(frozen_time, secret=secret)})
    assert done.status_code == 200
    assert "Save your recovery codes" in done.get_data(as_text=True)
    assert 'href="/supervision/"' in done.get_data(as_text=True)
    assert signed_in(client)
    assert "two_factor.enrolled" in actions(db)


def test_an_invited_supervisor_sets_it_up_before_anything_else(app, client, db):
    settings.put(two_factor.SETTING, "yes")
    invited = make_staff("supervisor", status="invited")
    invited.password_hash = None
    db.session.commit()
    token = service.invitation_token(invited, app.config["SECRET_KEY"])
    new = "a long new password for the invitation"
    answer = client.post(f"/invite/{token}", data={"new_password": new, "confirm_password": new})
    assert answer.headers["Location"] == "/login/set-up"
    assert not signed_in(client)
    assert db.session.scalar(select(AuthSession).where(AuthSession.staff_id == invited.id)) is None


def test_demo_default_is_password_only(client, db):
    assert settings.get(two_factor.SETTING) == "no"
    staff = make_staff("admin")
    db.session.commit()
    assert password_step(client, staff).headers["Location"] == "/"


def test_half_signed_in_opens_no_other_page_and_lapses(app, client, db, frozen_time):
    staff = enrolled(make_staff("admin", "hr", "supervisor", "privacy"))
    db.session.commit()
    password_step(client, staff)
    public = {"two_factor.code", "two_factor.recovery", "two_factor.enrol_at_sign_in"}
    walked = 0
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if "GET" not in rule.methods or getattr(view, "permission", None) == "public" or rule.endpoint == "static":
            continue
        path = rule.rule
        for argument in rule.arguments:
            path = re.sub(rf"<[^>]*{argument}>", "1", path)
        response = client.get(path)
        walked += 1
        assert response.status_code in (302, 401), (rule.endpoint, response.status_code)
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/login"), rule.endpoint
    assert walked > 100
    assert public <= {rule.endpoint for rule in app.url_map.iter_rules()}
    assert client.get("/login/code").status_code == 200, "still half signed in after the walk"
    assert "Sign in again" in client.get("/login/set-up").get_data(as_text=True), "only the step it was asked for"
    frozen_time.advance(minutes=11)
    lapsed = client.post("/login/code", data={"code": code_at(frozen_time)})
    assert lapsed.status_code == 200
    assert "Sign in again" in lapsed.get_data(as_text=True)
    assert db.session.scalar(select(AuthSession).where(AuthSession.staff_id == staff.id)) is None


def test_admin_reset_is_audited_and_for_administrators_only(client, db, login_as, frozen_time):
    person = enrolled(make_staff("supervisor"))
    two_factor._make_recovery_codes(person)
    from tests.factories import start_session

    person_token = start_session(person)
    db.session.commit()
    peer_client = client.application.test_client()
    peer = make_staff("hr")
    token = start_session(peer)
    db.session.commit()
    with peer_client.session_transaction() as session:
        session["_user_id"] = token
    assert peer_client.post(f"/admin/staff/{person.id}/two-factor/reset").status_code == 403

    admin = login_as("admin")
    db.session.commit()
    page = client.get(f"/admin/staff/{person.id}").get_data(as_text=True)
    assert "Reset two-factor sign-in for" in page
    done = client.post(f"/admin/staff/{person.id}/two-factor/reset")
    assert done.status_code == 302
    assert db.session.get(TwoFactor, person.id) is None
    assert db.session.scalar(select(RecoveryCode).where(RecoveryCode.staff_id == person.id)) is None
    assert peer_client.get("/").status_code == 200, "someone else's sessions are untouched"
    revoked = db.session.scalar(select(AuthSession.revoked_at).where(AuthSession.staff_id == person.id))
    assert revoked is not None, f"{person_token[:0]}signed out everywhere"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "two_factor.reset")).one()
    assert (entry.actor_id, entry.record_id) == (admin.id, str(person.id))

    enrolled(admin)
    db.session.commit()
    client.post(f"/admin/staff/{admin.id}/two-factor/reset")
    assert db.session.get(TwoFactor, admin.id) is not None, "not one's own"
    assert "denied" in [e.outcome for e in db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "two_factor.reset"))]


def test_settings_page_turns_the_requirement_on(client, db, login_as):
    login_as("admin")
    db.session.commit()
    page = client.get("/admin/settings").get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="version"', page)
    response = client.post("/admin/settings", data={
        "time_zone": "America/New_York", "version": version.group(1), "two_factor_required": "yes",
        "hiring_panel_needs_peer": "yes", "hiring_retention_months": "12",
    })
    assert response.status_code == 302
    assert settings.get(two_factor.SETTING) == "yes"
    assert client.get("/").status_code == 200, "turning it on signs nobody out"
    assert "two-factor sign-in required" in [e.detail for e in db.session.scalars(select(AuditEntry))]
    odd = client.post("/admin/settings", data={"time_zone": "America/New_York", "version": "x",
                                                 "two_factor_required": "maybe"})
    assert odd.status_code in (400, 409)


@pytest.fixture
def throttled(database_url, tmp_path) -> Flask:
    with built_app(database_url, tmp_path / "instance", RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://",
                   LOGIN_RATE_LIMIT="3 per minute") as application:
        yield application


def test_codes_share_the_sign_in_limit(throttled):
    with throttled.app_context():
        staff = enrolled(make_staff("hr"))
        _db.session.commit()
        email = staff.email
    client = throttled.test_client()
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
    assert client.post("/login/code", data={"code": "000000"}).status_code == 400
    assert client.post("/login/recovery-code", data={"code": "aaaa-bbbb-cccc"}).status_code == 400
    assert client.post("/login/code", data={"code": "000000"}).status_code == 429
