"""The state between a right password and a right second step ("half signed in"), the shared sign-in limit and the
start of a signed-in session. Used by the sign-in views and the two-factor views, which never import each other.

Half signed in is not signed in: Flask-Login knows no user, so every page but the public ones sends the browser to
sign in (``core.policy.guard``, deny by default). The state is only a note in the signed session cookie: who typed
a right password, for which step, since when. The second-step pages read it, and it lapses after
``SECOND_STEP_TIMEOUT`` (10 minutes), after a password change or a deactivation (the account's fingerprint changes)
and once the step is done.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app, session
from flask_login import login_user, logout_user

from core import audit
from core.accounts import service
from core.extensions import db, limiter
from core.models import Staff
from core.timeutil import utcnow

PENDING = "second_step"


def _breach(_limit: Any) -> None:
    audit.record("signin.throttled", outcome=audit.DENIED, detail="too many tries from this address")
    db.session.commit()


# One count per address for every sign-in form (password, code, recovery code, set-up code): LOGIN_RATE_LIMIT.
SIGNIN_LIMIT = limiter.shared_limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"], scope="signin", methods=["POST"], on_breach=_breach
)


def signed_in(staff: Staff) -> None:
    """Start a signed-in session, with a new CSRF token: a token from before sign-in (which someone else could
    have seen on a shared computer) is not valid afterwards."""
    session.pop(PENDING, None)
    session.pop("csrf_token", None)
    login_user(staff)


def begin(staff: Staff, step: str, next_url: str) -> None:
    """A right password; ``step`` (two_factor.CODE or ENROL) must come next. Any earlier sign-in in this browser is
    forgotten, so the half-signed-in browser is nobody's."""
    logout_user()
    session[PENDING] = {
        "staff": staff.id,
        "step": step,
        "since": utcnow().isoformat(),
        "fp": service.fingerprint(staff),
        "next": next_url,
    }


def pending(step: str) -> tuple[Staff | None, str]:
    """The person half signed in for ``step`` and where to go afterwards, or None when there is no such state or it
    lapsed (then it is forgotten)."""
    data = session.get(PENDING)
    staff = None
    if isinstance(data, dict) and data.get("step") == step:
        try:
            since = datetime.fromisoformat(str(data.get("since")))
        except ValueError:
            since = None
        fresh = since is not None and utcnow() - since <= current_app.config["SECOND_STEP_TIMEOUT"]
        staff_id = data.get("staff")
        if fresh and isinstance(staff_id, int):
            staff = db.session.get(Staff, staff_id)
            if staff is not None and data.get("fp") != service.fingerprint(staff):
                staff = None
    if staff is None:
        session.pop(PENDING, None)
        return None, ""
    return staff, str(data.get("next") or "")


def forget() -> None:
    session.pop(PENDING, None)
