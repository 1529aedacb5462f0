"""Sign-in, sign-out, passwords and invitations. Each function flushes and audits; the view commits."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from core import audit, passwords, sessions, two_factor
from core.extensions import db
from core.models import Staff, StaffStatus
from core.timeutil import utcnow

WRONG_DETAILS = (
    "That email and password do not match an active account. Check them and try again. "
    "After 5 wrong tries the account is locked for 15 minutes."
)


NOT_THE_CURRENT_ONE = (
    "That is not your current password. After 5 wrong tries the account is locked for 15 minutes."
)
CHANGE_WHILE_LOCKED = (
    "Your account is locked for 15 minutes after 5 wrong tries. Your password was not changed: try again later."
)
LOCKED_NOTHING_CHANGED = (
    "Your account is locked for 15 minutes after 5 wrong tries. Nothing was changed: try again later."
)


WRONG_CODE = (
    "That code did not work. Type the 6 digits your app shows now; a code works only once. "
    "After 5 wrong tries the account is locked for 15 minutes."
)
WRONG_RECOVERY_CODE = (
    "That recovery code did not work. Check it against your list; each code works only once. "
    "After 5 wrong tries the account is locked for 15 minutes."
)


@dataclass(frozen=True)
class SignInResult:
    staff: Staff | None
    message: str = ""
    # two_factor.CODE or two_factor.ENROL when the password was right and a second step must follow; no session yet
    second_step: str | None = None


def find_by_email(email: str) -> Staff | None:
    return db.session.scalar(select(Staff).where(func.lower(Staff.email) == email.strip().lower()))


def sign_in(email: str, password: str, *, failure_limit: int, lockout: timedelta) -> SignInResult:
    staff = find_by_email(email)
    now = utcnow()
    if staff is None:
        passwords.check_password(None, password)
        audit.record("signin.failed", outcome=audit.DENIED, detail="unknown account")
        return SignInResult(None, WRONG_DETAILS)
    if staff.locked_until is not None and staff.locked_until > now:
        passwords.check_password(None, password)
        audit.record("signin.failed", actor_id=staff.id, record_type="staff", record_id=staff.id,
                     outcome=audit.DENIED, detail="account locked")
        return SignInResult(None, WRONG_DETAILS)
    if not passwords.check_password(staff.password_hash, password) or staff.status != StaffStatus.ACTIVE:
        reason = "wrong password" if staff.status == StaffStatus.ACTIVE else f"account {staff.status}"
        if _wrong_try(staff, failure_limit=failure_limit, lockout=lockout):
            reason += "; locked"
        audit.record("signin.failed", actor_id=staff.id, record_type="staff", record_id=staff.id,
                     outcome=audit.DENIED, detail=reason)
        return SignInResult(None, WRONG_DETAILS)
    if staff.password_hash and passwords.needs_rehash(staff.password_hash):
        staff.password_hash = passwords.hash_password(password)
    step = two_factor.second_step(staff)
    if step is not None:
        # The wrong-try count is not cleared yet: wrong codes after a right password add to it, so typing the
        # password again does not buy more guesses at the code.
        audit.record("signin.password_accepted", actor=staff, record_type="staff", record_id=staff.id,
                     detail="code asked" if step == two_factor.CODE else "set-up of a second factor asked")
        return SignInResult(staff, second_step=step)
    return finish_sign_in(staff)


def _wrong_try(staff: Staff, *, failure_limit: int, lockout: timedelta) -> bool:
    """Count a wrong password or code against the account; True when this try locks it (the count starts again)."""
    staff.failed_signins += 1
    if staff.failed_signins < failure_limit:
        return False
    staff.locked_until = utcnow() + lockout
    staff.failed_signins = 0
    return True


def is_locked(staff: Staff) -> bool:
    return staff.locked_until is not None and staff.locked_until > utcnow()


def finish_sign_in(staff: Staff, *, detail: str = "") -> SignInResult:
    staff.failed_signins = 0
    staff.locked_until = None
    sessions.start(staff)
    audit.record("signin.succeeded", actor=staff, record_type="staff", record_id=staff.id, detail=detail)
    return SignInResult(staff)


def can_take_second_step(staff: Staff) -> bool:
    now = utcnow()
    return staff.status == StaffStatus.ACTIVE and (staff.locked_until is None or staff.locked_until <= now)


def sign_in_with_code(
    staff: Staff, code: str, *, recovery: bool, failure_limit: int, lockout: timedelta
) -> SignInResult:
    """The second step: a code from the person's app, or one of their recovery codes. A wrong one counts as a wrong
    try, like a wrong password (audited, never the code)."""
    message = WRONG_RECOVERY_CODE if recovery else WRONG_CODE
    if not can_take_second_step(staff):
        audit.record("signin.failed", actor=staff, record_type="staff", record_id=staff.id,
                     outcome=audit.DENIED, detail="account locked" if staff.is_active else f"account {staff.status}")
        return SignInResult(None, message)
    ok = two_factor.use_recovery_code(staff, code) if recovery else two_factor.check_code(staff, code)
    if not ok:
        if _wrong_try(staff, failure_limit=failure_limit, lockout=lockout):
            audit.record("signin.failed", actor=staff, record_type="staff", record_id=staff.id,
                         outcome=audit.DENIED, detail="wrong codes; locked")
        return SignInResult(None, message)
    return finish_sign_in(staff, detail="with a recovery code" if recovery else "with a code")


def enrol_at_sign_in(staff: Staff, carried: str | None, code: str) -> tuple[SignInResult, list[str]]:
    """The agency requires a second factor and the person just set one up: the code from their app confirms it and
    signs them in. Returns their new recovery codes (to show once)."""
    if not can_take_second_step(staff):
        return SignInResult(None, "Your account is locked or not active. Sign in again later."), []
    codes = two_factor.confirm(staff, carried, code)
    if codes is None:
        return SignInResult(None, WRONG_CODE), []
    return finish_sign_in(staff, detail="second factor set up"), codes


def sign_out(staff: Staff) -> None:
    if staff.session_token:
        sessions.end(staff.session_token)
    audit.record("signout", actor=staff, record_type="staff", record_id=staff.id)


def check_current_password(
    staff: Staff, typed: str, *, action: str, locked_message: str, failure_limit: int, lockout: timedelta
) -> str:
    """"" when ``typed`` is the signed-in person's password, else why not, before a change that must be theirs (the
    password, their second factor). A wrong one counts as a wrong sign-in try (someone at a browser left signed in
    must not guess without end) and is audited as ``action`` denied, never with what was typed; while the account is
    locked the right one is refused too (``locked_message``)."""
    if is_locked(staff):
        passwords.check_password(None, typed)
        audit.record(action, actor=staff, record_type="staff", record_id=staff.id,
                     outcome=audit.DENIED, detail="account locked")
        return locked_message
    if not passwords.check_password(staff.password_hash, typed):
        locked = _wrong_try(staff, failure_limit=failure_limit, lockout=lockout)
        audit.record(action, actor=staff, record_type="staff", record_id=staff.id,
                     outcome=audit.DENIED, detail="current password wrong" + ("; locked" if locked else ""))
        return locked_message if locked else NOT_THE_CURRENT_ONE
    staff.failed_signins = 0
    return ""


def change_password(staff: Staff, current: str, new: str, *, failure_limit: int, lockout: timedelta) -> str:
    """Set a new password and end every session of this person everywhere; "" when done, else why not (a wrong
    `current` counts as a wrong sign-in try: ``check_current_password``)."""
    problem = check_current_password(staff, current, action="password.change", locked_message=CHANGE_WHILE_LOCKED,
                                     failure_limit=failure_limit, lockout=lockout)
    if problem:
        return problem
    staff.password_hash = passwords.hash_password(new)
    sessions.end_all(staff.id)
    audit.record("password.change", actor=staff, record_type="staff", record_id=staff.id)
    sessions.start(staff)
    return ""


def confirm_password(staff: Staff, password: str) -> bool:
    """Re-authentication before a sensitive step (for example, emergency access)."""
    ok = passwords.check_password(staff.password_hash, password)
    audit.record("reauthenticate", actor=staff, record_type="staff", record_id=staff.id,
                 outcome=audit.ALLOWED if ok else audit.DENIED)
    if ok and staff.session_token:
        sessions.reauthenticated(staff.session_token)
    return ok


# Invitations -----------------------------------------------------------------------------------------------

def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="peerworks.invite")


def fingerprint(staff: Staff) -> str:
    """Changes once the invitation is used, so a link works only once."""
    return hashlib.sha256(f"{staff.status}:{staff.password_hash or ''}".encode()).hexdigest()[:16]


def invitation_token(staff: Staff, secret: str) -> str:
    return _serializer(secret).dumps({"staff": staff.id, "fp": fingerprint(staff)})


def staff_for_invitation(token: str, secret: str, max_age: timedelta) -> tuple[Staff | None, str]:
    """The invited person, or None with a plain reason."""
    try:
        data = _serializer(secret).loads(token, max_age=int(max_age.total_seconds()))
    except SignatureExpired:
        return None, "This invitation has expired. Ask your administrator to send a new one."
    except BadSignature:
        return None, "This invitation link is not valid. Check that you copied the whole link."
    staff = db.session.get(Staff, data.get("staff")) if isinstance(data, dict) else None
    if staff is None or staff.status != StaffStatus.INVITED or data.get("fp") != fingerprint(staff):
        return None, "This invitation was already used or withdrawn. Sign in, or ask your administrator."
    return staff, ""


def accept_invitation(staff: Staff, password: str) -> str | None:
    """Set the password and sign in, unless the agency requires a second factor of this person: then it returns
    two_factor.ENROL and no session starts until they set one up."""
    staff.password_hash = passwords.hash_password(password)
    staff.status = StaffStatus.ACTIVE
    audit.record("invitation.accepted", actor=staff, record_type="staff", record_id=staff.id)
    step = two_factor.second_step(staff)
    if step is None:
        sessions.start(staff)
    return step
