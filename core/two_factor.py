"""Two-factor sign-in: a time-based code from an authenticator app (TOTP, RFC 6238, through pyotp) and ten one-time
recovery codes. Each function flushes and audits, never commits; the views commit.

**The secret** is kept encrypted (Fernet: AES-128-CBC with an HMAC-SHA256 tag, from ``cryptography``) under a key
derived from ``SECRET_KEY``, so a copy of the database alone (a backup, a dump) does not hold the secrets. It is
shown only while the person sets it up (the QR code and the same secret as text, in groups of 4), never after the
code typed back confirms it, and never written to the audit log or any log.

**Codes.** A 6-digit code is accepted for the current 30-second step and one step either side (a phone's clock a
little off), and only for a step later than the last one accepted (``TwoFactor.last_step``), so a code seen over a
shoulder cannot be used again. The check and the write are one conditional UPDATE: two requests with the same code
at the same moment cannot both pass.

**Recovery codes** are 60 random bits each (12 characters), stored as HMAC-SHA256 under a key derived from
``SECRET_KEY``, not with the password hasher (Argon2id). A slow hash protects low-entropy secrets people choose;
these are random and long, so a fast keyed hash is as safe against a stolen database (without the key there is
nothing to guess against) and lets a typed code be found with one indexed lookup instead of ten Argon2 checks of
64 MiB each per try (a second or more of CPU an attacker could make the server spend at will).

Changing ``SECRET_KEY`` makes every stored secret and recovery code unreadable: an administrator then resets the
second factor of each person who had one (README, "Two-factor sign-in").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from markupsafe import Markup
from sqlalchemy import delete, func, select, update

from core import audit, sessions, settings
from core.errors import RefusalEntry, Refused
from core.extensions import db
from core.models import RecoveryCode, Role, Staff, TwoFactor
from core.timeutil import utcnow

SETTING = "two_factor_required"
# The roles the agency setting requires it for: they see or change the most (the whole staff list, hiring, the
# privacy officer's sealed records, supervisees' notes).
REQUIRED_ROLES = frozenset({Role.ADMIN, Role.HR, Role.PRIVACY, Role.SUPERVISOR})
ISSUER = "PeerWorks"
STEP_SECONDS = 30
DRIFT_STEPS = 1
SETUP_SECONDS = 3600  # a secret being set up is offered for an hour, then a new one
RECOVERY_CODE_COUNT = 10
# Digits and lower-case letters without i, l, o and u (Crockford's base 32): a 0 or a 1 is never a letter, and an
# o, i or l typed from paper is read as 0 or 1. 32 characters, 5 bits each; 12 of them: 60 bits.
_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_RECOVERY_LENGTH = 12
_LOOKALIKES = str.maketrans({"o": "0", "i": "1", "l": "1", "u": "v"})

CODE = "code"  # the person has a second factor: ask for a code
ENROL = "enrol"  # the agency requires one and the person has none: set it up before anything else


# Keys -------------------------------------------------------------------------------------------------------

def _derived(purpose: bytes) -> bytes:
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, b"peerworks.two-factor." + purpose, hashlib.sha256).digest()


def _fernet() -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derived(b"secret")))


def _recovery_hash(code: str) -> str:
    return hmac.new(_derived(b"recovery"), code.encode(), hashlib.sha256).hexdigest()


def _secret_of(row: TwoFactor) -> str | None:
    """The plain secret, or None when it cannot be read (SECRET_KEY changed since it was stored)."""
    try:
        return _fernet().decrypt(row.secret.encode()).decode()
    except (InvalidToken, ValueError):
        return None


# Who needs what ---------------------------------------------------------------------------------------------

def required_by_agency() -> bool:
    return settings.get(SETTING) == "yes"


def required_for(staff: Staff) -> bool:
    return required_by_agency() and staff.has_role(*REQUIRED_ROLES)


def confirmed(staff: Staff) -> TwoFactor | None:
    return db.session.scalar(
        select(TwoFactor).where(TwoFactor.staff_id == staff.id, TwoFactor.confirmed_at.is_not(None))
    )


def second_step(staff: Staff) -> str | None:
    """What a person must do after their password: type a code (CODE), set a second factor up (ENROL), or nothing."""
    if confirmed(staff) is not None:
        return CODE
    if required_for(staff):
        return ENROL
    return None


# Setting it up ----------------------------------------------------------------------------------------------

def setup_secret(staff: Staff, carried: str | None) -> tuple[str, str]:
    """The secret the person is setting up, and the sealed copy the browser carries until they confirm it (in the
    signed session cookie, encrypted, so nothing is written to the database before a code confirms it). The same
    secret comes back while the sealed copy is fresh, so a QR code already scanned stays right when the page is
    opened again. Refused when they already have a second factor."""
    if confirmed(staff) is not None:
        raise Refused("You already have two-factor sign-in set up.")
    secret = _unsealed(staff, carried)
    if secret is None:
        secret = pyotp.random_base32()  # 160 bits, as RFC 4226 recommends
    return secret, _fernet().encrypt(f"{staff.id}:{secret}".encode()).decode()


def _unsealed(staff: Staff, carried: str | None) -> str | None:
    if not carried:
        return None
    try:
        plain = _fernet().decrypt(carried.encode(), ttl=SETUP_SECONDS).decode()
    except (InvalidToken, ValueError):
        return None
    staff_id, _, secret = plain.partition(":")
    return secret if staff_id == str(staff.id) and secret else None


def provisioning_uri(staff: Staff, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=staff.email, issuer_name=ISSUER)


def qr_code_svg(uri: str) -> Markup:
    """The set-up address as an SVG QR code to put in the page (no image file, nothing fetched)."""
    svg = segno.make(uri, error="m").svg_inline(scale=5, border=4, dark="#000", light="#fff", omitsize=False)
    # A name for screen readers: the text beside it gives the same secret to type.
    svg = svg.replace("<svg ", '<svg role="img" aria-label="QR code to scan with your authenticator app" ', 1)
    # segno's own SVG: modules drawn as one path, no text of the address (nor any user input) in the markup.
    return Markup(svg)  # noqa: S704  # nosec B704


def grouped(secret: str) -> str:
    """The secret in groups of 4, easier to type than 32 letters in a row."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def confirm(staff: Staff, carried: str | None, code: str) -> list[str] | None:
    """Finish setting up with a code from the app for the secret the browser carried: the second factor is on and
    ten recovery codes are made (returned in plain text this once). None when the code is not right (audited)."""
    secret = _unsealed(staff, carried)
    step = _matching_step(secret, code) if secret is not None else None
    if step is None or confirmed(staff) is not None:
        audit.record("two_factor.code_failed", actor=staff, record_type="staff", record_id=staff.id,
                     outcome=audit.DENIED, detail="while setting up")
        return None
    db.session.execute(delete(TwoFactor).where(TwoFactor.staff_id == staff.id))
    db.session.add(TwoFactor(staff_id=staff.id, secret=_fernet().encrypt(secret.encode()).decode(),
                             confirmed_at=utcnow(), last_step=step))
    audit.record("two_factor.enrolled", actor=staff, record_type="staff", record_id=staff.id)
    return _make_recovery_codes(staff)


# Codes ------------------------------------------------------------------------------------------------------

def _step_now() -> int:
    return int(utcnow().replace(tzinfo=UTC).timestamp()) // STEP_SECONDS


def normal_code(typed: str) -> str:
    return "".join(typed.split()).replace("-", "")


def _matching_step(secret: str, typed: str) -> int | None:
    """The time step within the drift window whose code ``typed`` is, if any."""
    code = normal_code(typed)
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = _step_now()
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _accept(row: TwoFactor, typed: str) -> bool:
    """True when ``typed`` is the code of a step within the drift window later than the last step used; that step
    becomes the last used, in the same statement that checks it."""
    secret = _secret_of(row)
    step = _matching_step(secret, typed) if secret is not None else None
    if step is None:
        return False
    taken = db.session.execute(
        update(TwoFactor)
        .where(TwoFactor.staff_id == row.staff_id, TwoFactor.last_step < step)
        .values(last_step=step)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        return False  # replayed: this step or a later one was already used
    db.session.refresh(row)
    return True


def check_code(staff: Staff, typed: str) -> bool:
    """A code from the person's app, at sign-in or before a change to their second factor. Failures are audited
    (never the code)."""
    row = confirmed(staff)
    ok = row is not None and _accept(row, typed)
    if not ok:
        audit.record("two_factor.code_failed", actor=staff, record_type="staff", record_id=staff.id,
                     outcome=audit.DENIED, detail="authenticator code")
    return ok


# Recovery codes ---------------------------------------------------------------------------------------------

def _new_recovery_code() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(_RECOVERY_LENGTH))


def shown(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normal_recovery_code(typed: str) -> str:
    return "".join(typed.split()).replace("-", "").lower().translate(_LOOKALIKES)


def _make_recovery_codes(staff: Staff) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.staff_id == staff.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(RecoveryCode(staff_id=staff.id, code_hash=_recovery_hash(code)) for code in codes)
    db.session.flush()
    return [shown(code) for code in codes]


def new_recovery_codes(staff: Staff, typed_code: str) -> list[str] | None:
    """Replace the person's recovery codes (the old ones stop working), once a code from their app shows it is
    them. None when that code is not right."""
    if not check_code(staff, typed_code):
        return None
    codes = _make_recovery_codes(staff)
    audit.record("two_factor.recovery_codes_replaced", actor=staff, record_type="staff", record_id=staff.id)
    return codes


def recovery_codes_left(staff: Staff) -> int:
    return db.session.scalar(
        select(func.count()).where(RecoveryCode.staff_id == staff.id, RecoveryCode.used_at.is_(None))
    ) or 0


def use_recovery_code(staff: Staff, typed: str) -> bool:
    """True, once, for each of the person's recovery codes; the check and the crossing-out are one statement."""
    code = normal_recovery_code(typed)
    ok = False
    if confirmed(staff) is not None and len(code) == _RECOVERY_LENGTH and code.isascii() and code.isalnum():
        used = db.session.execute(
            update(RecoveryCode)
            .where(RecoveryCode.staff_id == staff.id, RecoveryCode.code_hash == _recovery_hash(code),
                   RecoveryCode.used_at.is_(None))
            .values(used_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        ok = used.rowcount == 1
    if ok:
        audit.record("two_factor.recovery_code_used", actor=staff, record_type="staff", record_id=staff.id,
                     detail=f"{recovery_codes_left(staff)} left")
    else:
        audit.record("two_factor.code_failed", actor=staff, record_type="staff", record_id=staff.id,
                     outcome=audit.DENIED, detail="recovery code")
    return ok


# The administrator's reset ----------------------------------------------------------------------------------

def reset(staff: Staff, *, actor: Staff) -> None:
    """Remove a person's second factor and recovery codes (a lost phone) and sign them out everywhere. They set it
    up again at their next sign-in when the agency requires it. Not one's own: another administrator does that."""
    if actor.id == staff.id:
        raise Refused(
            "You cannot reset your own two-factor sign-in. Another administrator can.",
            entry=RefusalEntry("two_factor.reset", "staff", staff.id, detail="own account"),
        )
    had = db.session.get(TwoFactor, staff.id) is not None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.staff_id == staff.id))
    db.session.execute(delete(TwoFactor).where(TwoFactor.staff_id == staff.id))
    sessions.end_all(staff.id)
    audit.record("two_factor.reset", actor=actor, record_type="staff", record_id=staff.id,
                 detail="second factor removed" if had else "had none")
