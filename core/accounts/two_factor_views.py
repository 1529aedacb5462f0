"""Two-factor sign-in screens: the second step of signing in (a code, or a recovery code), setting a second factor
up (at sign-in when the agency requires it, or from one's account page), and new recovery codes. The rules are in
``core.two_factor`` and ``core.accounts.service``; the half-signed-in state in ``core.accounts.second_step``.

The sign-in pages are public (nobody is signed in yet) but open only for a browser half signed in for that step;
any other browser is told to sign in again. A code or password typed is never put back in a form."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from core import two_factor
from core.accounts import second_step, service
from core.accounts.forms import CodeAndPasswordForm, CodeForm, RecoveryCodeForm
from core.errors import Refused
from core.extensions import db
from core.models import Staff
from core.policy import public, requires

bp = Blueprint("two_factor", __name__)

SETUP = "two_factor_setup"  # the secret being set up, sealed (core.two_factor.setup_secret)
LAPSED = "Your sign-in took too long or has ended. Sign in again to continue."


def _start_again() -> tuple[str, int]:
    """No half-signed-in state for this page (never started, lapsed, or done): say so, with the way back."""
    return render_template("accounts/two_factor_lapsed.html", message=LAPSED), 200


def _status(form: CodeForm | RecoveryCodeForm, message: str) -> int:
    return 400 if message or form.errors else 200


def _forget_typed(form: CodeForm | RecoveryCodeForm) -> None:
    form.code.data = ""
    form.code.raw_data = []
    if isinstance(form, CodeAndPasswordForm):
        form.current_password.data = ""
        form.current_password.raw_data = []


def _password_problem(staff: Staff, form: CodeAndPasswordForm, action: str) -> str:
    """"" when the password typed is the person's, else why not, put on the form's password field. A wrong one
    counts as a wrong sign-in try and is audited as ``action`` denied (``service.check_current_password``)."""
    problem = service.check_current_password(
        staff,
        form.current_password.data or "",
        action=action,
        locked_message=service.LOCKED_NOTHING_CHANGED,
        failure_limit=current_app.config["FAILED_SIGNIN_LIMIT"],
        lockout=current_app.config["LOCKOUT"],
    )
    if problem:
        db.session.commit()
        form.current_password.errors = [problem]
    return problem


def _second_step(recovery: bool) -> Response | tuple[str, int]:
    staff, next_url = second_step.pending(two_factor.CODE)
    if staff is None:
        return _start_again()
    form = RecoveryCodeForm() if recovery else CodeForm()
    message = ""
    if form.validate_on_submit():
        result = service.sign_in_with_code(
            staff,
            form.code.data or "",
            recovery=recovery,
            failure_limit=current_app.config["FAILED_SIGNIN_LIMIT"],
            lockout=current_app.config["LOCKOUT"],
        )
        db.session.commit()
        if result.staff is not None:
            second_step.signed_in(result.staff)
            if recovery:
                left = two_factor.recovery_codes_left(result.staff)
                flash(f"You are signed in with a recovery code. You have {left} left. "
                      "If you lost your phone, set up two-factor sign-in again or make new recovery codes.", "info")
            return redirect(next_url or url_for("home.index"))
        message = result.message
        _forget_typed(form)
    template = "accounts/two_factor_recovery.html" if recovery else "accounts/two_factor_code.html"
    return render_template(template, form=form, message=message), _status(form, message)


@bp.route("/login/code", methods=["GET", "POST"])
@public
@second_step.SIGNIN_LIMIT
def code() -> Response | tuple[str, int]:
    return _second_step(recovery=False)


@bp.route("/login/recovery-code", methods=["GET", "POST"])
@public
@second_step.SIGNIN_LIMIT
def recovery() -> Response | tuple[str, int]:
    return _second_step(recovery=True)


def _setup_page(
    staff: Staff, form: CodeForm | CodeAndPasswordForm, message: str, *, at_sign_in: bool
) -> Response | tuple[str, int]:
    try:
        secret, sealed = two_factor.setup_secret(staff, session.get(SETUP))
    except Refused as refusal:  # set up in another tab meanwhile
        flash(str(refusal), "info")
        return redirect(url_for("accounts.login" if at_sign_in else ".account"))
    session[SETUP] = sealed
    return render_template(
        "accounts/two_factor_setup.html",
        form=form,
        message=message,
        qr_code=two_factor.qr_code_svg(two_factor.provisioning_uri(staff, secret)),
        secret=two_factor.grouped(secret),
        at_sign_in=at_sign_in,
        staff=staff,
    ), _status(form, message)


def _codes_page(codes: list[str], next_url: str, *, first: bool) -> tuple[str, int]:
    return render_template("accounts/two_factor_codes.html", codes=codes, next_url=next_url, first=first), 200


@bp.route("/login/set-up", methods=["GET", "POST"])
@public
@second_step.SIGNIN_LIMIT
def enrol_at_sign_in() -> Response | tuple[str, int]:
    """The agency requires a second factor of this person and they have none: set it up before anything else."""
    staff, next_url = second_step.pending(two_factor.ENROL)
    if staff is None:
        return _start_again()
    form = CodeForm()
    message = ""
    if form.validate_on_submit():
        result, codes = service.enrol_at_sign_in(staff, session.get(SETUP), form.code.data or "")
        db.session.commit()
        if result.staff is not None:
            session.pop(SETUP, None)
            second_step.signed_in(result.staff)
            return _codes_page(codes, next_url or url_for("home.index"), first=True)
        message = result.message
        _forget_typed(form)
    return _setup_page(staff, form, message, at_sign_in=True)


@bp.get("/account/two-factor")
@requires("account.two_factor")
def account() -> str:
    staff = current_user
    return render_template(
        "accounts/two_factor_account.html",
        enrolled=two_factor.confirmed(staff),
        codes_left=two_factor.recovery_codes_left(staff),
        required=two_factor.required_for(staff),
        required_roles=sorted(role.label for role in two_factor.REQUIRED_ROLES),
        agency_requires=two_factor.required_by_agency(),
        form=CodeForm(),
    )


@bp.route("/account/two-factor/set-up", methods=["GET", "POST"])
@requires("account.two_factor")
@second_step.SIGNIN_LIMIT
def enrol() -> Response | tuple[str, int]:
    staff = current_user._get_current_object()
    if two_factor.confirmed(staff) is not None:
        flash("You already have two-factor sign-in set up.", "info")
        return redirect(url_for(".account"))
    form = CodeAndPasswordForm()
    message = ""
    # The password first: a wrong one is counted and the code is not looked at.
    if form.validate_on_submit() and not _password_problem(staff, form, "two_factor.enrolled"):
        codes = two_factor.confirm(staff, session.get(SETUP), form.code.data or "")
        db.session.commit()
        if codes is not None:
            session.pop(SETUP, None)
            return _codes_page(codes, url_for(".account"), first=True)
        message = service.WRONG_CODE.split(" After")[0]
    if form.is_submitted():
        _forget_typed(form)
    return _setup_page(staff, form, message, at_sign_in=False)


@bp.route("/account/two-factor/recovery-codes", methods=["GET", "POST"])
@requires("account.two_factor")
@second_step.SIGNIN_LIMIT
def recovery_codes() -> Response | tuple[str, int]:
    """New recovery codes (the old ones stop working), once the person's password and a code from the app show it is
    them."""
    staff = current_user._get_current_object()
    if two_factor.confirmed(staff) is None:
        return redirect(url_for(".account"))
    form = CodeAndPasswordForm()
    message = ""
    if form.validate_on_submit() and not _password_problem(staff, form, "two_factor.recovery_codes_replaced"):
        codes = two_factor.new_recovery_codes(staff, form.code.data or "")
        db.session.commit()
        if codes is not None:
            return _codes_page(codes, url_for(".account"), first=False)
        message = service.WRONG_CODE.split(" After")[0]
    if form.is_submitted():
        _forget_typed(form)
    return render_template("accounts/two_factor_new_codes.html", form=form, message=message), _status(form, message)
