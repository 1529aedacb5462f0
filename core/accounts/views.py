"""Sign in and out, the session keep-alive, password change and invitation acceptance."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response

from core import sessions, two_factor
from core.accounts import second_step, service
from core.accounts.forms import ChangePasswordForm, SetPasswordForm, SignInForm
from core.csrf import back_to_form
from core.extensions import csrf, db, login_manager
from core.navigation import session_deadlines
from core.policy import public, requires

bp = Blueprint("accounts", __name__)

TIMEOUT_MESSAGES = {
    "idle": "You were signed out after 15 minutes without activity. Sign in again to continue.",
    "absolute": "You were signed out because a sign-in lasts at most 12 hours. Sign in again to continue.",
    "ended": "Your sign-in has ended. Sign in again to continue.",
}

login_manager.login_view = "accounts.login"
login_manager.login_message = "Sign in to continue."
login_manager.login_message_category = "info"
login_manager.session_protection = None  # the server-side session row is the protection


# Asked by every open tab before it warns or leaves: the answer must not itself keep the sign-in going.
PEEKING_ENDPOINTS = {"accounts.session_status"}


@login_manager.user_loader
def load_user(token: str) -> Any:
    staff, reason = sessions.load(token, peek=request.endpoint in PEEKING_ENDPOINTS)
    if staff is None:
        g.session_end_reason = reason
    return staff


@login_manager.unauthorized_handler
def unauthorized() -> Response:
    reason = g.get("session_end_reason")
    if request.method == "GET" or reason is None:
        flash(TIMEOUT_MESSAGES.get(reason or "", "Sign in to continue."), "info")
    if request.accept_mimetypes.best == "application/json":
        return jsonify(error="signed out"), 401  # type: ignore[return-value]
    # A form sent after the sign-in ended: back to the page it was on, where the browser offers the text back.
    next_url = request.full_path if request.method == "GET" else back_to_form()
    return redirect(url_for("accounts.login", next=next_url))


def _safe_next(target: str | None) -> str:
    """A path on this site, else the home page. Browsers read a backslash as a slash and drop tabs and newlines,
    so "/\\evil.example" or "/<tab>/evil.example" would lead off the site."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and target.isprintable()
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("home.index")


_signed_in = second_step.signed_in
SECOND_STEP_PAGES = {two_factor.CODE: "two_factor.code", two_factor.ENROL: "two_factor.enrol_at_sign_in"}


@bp.route("/login", methods=["GET", "POST"])
@public
# The form checks its own CSRF token (SignInForm is a FlaskForm), so a stale token shows the form again with the
# email kept and a plain message, instead of the generic error page.
@csrf.exempt
@second_step.SIGNIN_LIMIT
def login() -> Response | str:
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("home.index"))
    if request.args.get("timeout"):
        flash(TIMEOUT_MESSAGES["idle"], "info")
    form = SignInForm()
    message = ""
    if form.validate_on_submit():
        result = service.sign_in(
            form.email.data,
            form.password.data,
            failure_limit=current_app.config["FAILED_SIGNIN_LIMIT"],
            lockout=current_app.config["LOCKOUT"],
        )
        db.session.commit()
        if result.staff is not None and result.second_step is not None:
            second_step.begin(result.staff, result.second_step, _safe_next(request.args.get("next")))
            return redirect(url_for(SECOND_STEP_PAGES[result.second_step]))
        if result.staff is not None:
            _signed_in(result.staff)
            return redirect(_safe_next(request.args.get("next")))
        message = result.message
    status = 200 if request.method == "GET" or (not message and not form.errors) else 400
    return render_template("accounts/login.html", form=form, message=message), status


@bp.post("/logout")
@requires("account.own")
def logout() -> Response:
    service.sign_out(current_user)
    db.session.commit()
    logout_user()
    flash("You are signed out.", "success")
    return redirect(url_for("accounts.login"))


@bp.post("/session/keepalive")
@requires("account.own")
def keepalive() -> Response:
    sessions.touch(current_user.session_token)
    db.session.commit()
    return jsonify(session_deadlines())


@bp.get("/session/status")
@public
def session_status() -> Response:
    """Whether this browser is still signed in, and the seconds left, without counting as activity. Every open tab
    asks before it warns or leaves the page, so a tab never acts on its own stale clock."""
    if not current_user.is_authenticated:
        return jsonify(signedIn=False)
    return jsonify(signedIn=True, person=current_user.id, **(session_deadlines() or {}))


@bp.route("/account/password", methods=["GET", "POST"])
@requires("account.own")
def password() -> Response | str:
    staff = current_user._get_current_object()  # the real object: login_user() given the proxy recurses forever
    form = ChangePasswordForm()
    form.account_email = staff.email
    if form.validate_on_submit():
        problem = service.change_password(
            staff,
            form.current_password.data,
            form.new_password.data,
            failure_limit=current_app.config["FAILED_SIGNIN_LIMIT"],
            lockout=current_app.config["LOCKOUT"],
        )
        db.session.commit()
        if not problem:
            _signed_in(staff)
            flash("Your password is changed. You were signed out everywhere else.", "success")
            return redirect(url_for("home.index"))
        form.current_password.errors = [problem]
    status = 400 if form.errors else 200
    return render_template("accounts/password.html", form=form, user=current_user), status


@bp.route("/invite/<token>", methods=["GET", "POST"])
@public
def accept_invite(token: str) -> Response | str:
    staff, problem = service.staff_for_invitation(
        token, current_app.config["SECRET_KEY"], current_app.config["INVITE_MAX_AGE"]
    )
    if staff is None:
        return render_template("accounts/invite_problem.html", problem=problem), 400
    form = SetPasswordForm()
    form.account_email = staff.email
    if form.validate_on_submit():
        step = service.accept_invitation(staff, form.new_password.data)
        db.session.commit()
        if step is not None:
            second_step.begin(staff, step, url_for("home.index"))
            flash(f"Welcome to PeerWorks, {staff.name}. Your password is set. One more step:", "success")
            return redirect(url_for(SECOND_STEP_PAGES[step]))
        _signed_in(staff)
        flash(f"Welcome to PeerWorks, {staff.name}. Your password is set.", "success")
        return redirect(url_for("home.index"))
    status = 400 if form.errors else 200
    return render_template("accounts/invite.html", form=form, staff=staff), status
