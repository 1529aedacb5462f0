"""The application factory."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import traceback
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask, Response, render_template, request
from flask.globals import request_ctx
from flask.sessions import SecureCookieSessionInterface, SessionMixin, session_json_serializer
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from itsdangerous import URLSafeTimedSerializer
from jinja2 import FileSystemBytecodeCache
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from core import config, policy, static_assets
from core import csrf as csrf_resend
from core.errors import AnswerThenWork, classify, log_failure
from core.extensions import csrf, db, limiter, login_manager, migrate, talisman

ROOT = Path(__file__).resolve().parent.parent

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "form-action": "'self'",
    "base-uri": "'none'",
    "object-src": "'none'",
    "frame-ancestors": "'none'",
}


class _SealedJSON:
    """Flask's session serializer with the JSON encrypted (Fernet, from ``cryptography``) before it is signed: the
    cookie may hold a flash message naming a client ("Added Maria Lopez."), which a signed cookie would let anyone
    holding the browser's cookies read."""

    def __init__(self, keys: MultiFernet) -> None:
        self.keys = keys

    def dumps(self, value: Any) -> str:
        return self.keys.encrypt(session_json_serializer.dumps(value).encode()).decode("ascii")

    def loads(self, value: str | bytes) -> Any:
        try:
            return session_json_serializer.loads(self.keys.decrypt(value).decode())
        except InvalidToken:  # signed with a key in use but sealed with none: read as no session at all
            return {}


def _cookie_key(secret: str | bytes) -> Fernet:
    raw = secret.encode() if isinstance(secret, str) else secret
    return Fernet(base64.urlsafe_b64encode(hmac.new(raw, b"peerworks.session-cookie", hashlib.sha256).digest()))


class TLSAwareSessionInterface(SecureCookieSessionInterface):
    """The session cookie, encrypted then signed, and marked Secure whenever the request came over TLS (or the config
    says always). ``salt`` differs from Flask's, so a cookie from before it was encrypted is simply no session."""

    salt = "peerworks.sealed-session"

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SECURE_COOKIES"]) or request.is_secure

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        # A message already waiting for the next page is not queued twice: requests that are refused without a page
        # being shown (a script's, or a walk of addresses) would otherwise pile up the same notice until the cookie,
        # encrypted and so no longer compressed, passed the 4 kB a browser keeps.
        flashes = session.get("_flashes")
        if flashes and len(flashes) > 1:
            distinct = list(dict.fromkeys(tuple(flash) for flash in flashes))
            if len(distinct) < len(flashes):
                session["_flashes"] = distinct
        super().save_session(app, session, response)

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        keys: list[str | bytes] = [*(app.config.get("SECRET_KEY_FALLBACKS") or []), app.secret_key]
        return URLSafeTimedSerializer(
            keys,  # type: ignore[arg-type]  # itsdangerous takes the current key last
            salt=self.salt,
            serializer=_SealedJSON(MultiFernet([_cookie_key(key) for key in reversed(keys)])),
            signer_kwargs={"key_derivation": self.key_derivation, "digest_method": self.digest_method},
        )


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: a whole number that fits the database's id columns. A larger one does not
    match the route (404, like a missing record) instead of failing in the database (PostgreSQL's integer)."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=os.environ.get("PEERWORKS_INSTANCE", str(ROOT / "instance")),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.url_map.converters["int"] = IdConverter  # before any route is added
    app.config.from_mapping(config.DEFAULTS)
    app.config.from_mapping(config.from_environment(Path(app.instance_path)))
    if test_config:
        app.config.from_mapping(test_config)

    register_security(app)  # first: its before_request makes the CSP nonce, also for pages refused by the others
    static_assets.register(app)
    register_logs(app)
    register_extensions(app)
    register_blueprints(app)
    register_errors(app)
    csrf_resend.register(app)
    register_templates(app)
    register_commands(app)
    from core import uploads

    uploads.register(app)  # last: its before_request goes first, before the CSRF check reads the form
    guard_commands(app)  # after every step that adds a command
    return app


def register_logs(app: Flask) -> None:
    """No request log shows a secret address (core/logs.py): the account invitation's token here, the modules' own
    from their register(app)."""
    from core import logs

    logs.add_secret_path("/invite/")
    logs.install(app)


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), compare_type=True, render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    app.session_interface = TLSAwareSessionInterface()
    app.wsgi_app = AnswerThenWork(app.wsgi_app)  # type: ignore[method-assign]
    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    from core import database

    database.install_sqlite_pragmas(app)


def register_blueprints(app: Flask) -> None:
    """The core's own screens, then each module through its one ``register(app)``: its routes, record rules,
    demo data and commands. Nothing is registered as a side effect of an import."""
    import caseload
    import hiring
    import readiness
    import supervision
    import training
    from core import admin, security_txt
    from core.accounts.two_factor_views import bp as two_factor_bp
    from core.accounts.views import bp as accounts_bp
    from core.auditlog.views import bp as audit_bp
    from core.files_view import bp as files_bp
    from core.home import bp as home_bp
    from core.home import register as register_home
    from core.notifications_view import bp as notifications_bp

    for blueprint in (home_bp, accounts_bp, two_factor_bp, audit_bp, notifications_bp, files_bp):
        app.register_blueprint(blueprint)
    admin.register(app)
    register_home(app)
    security_txt.register(app)  # checks SECURITY_CONTACT: a bad value stops the app here
    for module in (caseload, readiness, hiring, training, supervision):
        module.register(app)
    app.before_request(policy.guard)


def register_security(app: Flask) -> None:
    talisman.init_app(
        app,
        force_https=False,
        strict_transport_security=True,
        strict_transport_security_max_age=31536000,
        session_cookie_secure=bool(app.config["SECURE_COOKIES"]),
        content_security_policy=CSP,
        content_security_policy_nonce_in=["script-src"],
        frame_options="DENY",
        referrer_policy="same-origin",
        x_content_type_options=True,
        permissions_policy={"geolocation": "()", "camera": "()", "microphone": "()"},
    )

    @app.before_request
    def refuse_untrusted_host() -> None:
        """A request whose Host header names none of ``TRUSTED_HOSTS`` (core/config.py) is refused with the plain
        400 page, right after the page's CSP nonce is made and before the CSRF check, the sign-in or the database
        look at it. Flask finds the bad Host while it sets the request up and is then left without a way to build
        addresses (every page's links need one): the error page is given one that builds paths only, never with
        that Host."""
        if isinstance(request.routing_exception, SecurityError):
            request_ctx.url_adapter = app.url_map.bind(
                "", script_name=request.script_root or "/", url_scheme=request.scheme
            )
            raise request.routing_exception

    @app.after_request
    def no_store_personal_pages(response: Response) -> Response:
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
            response.headers.setdefault("Pragma", "no-cache")
        return response


def register_errors(app: Flask) -> None:
    from core import uploads

    messages = {
        400: ("The request could not be read", "Go back, check the form and try again."),
        403: ("You do not have access to this page", "If you need it for your work, ask your administrator."),
        404: ("Page not found", "Check the address, or use the menu to find what you need."),
        405: ("That action is not available here", "Go back and use the buttons on the page."),
        409: (
            "Someone else changed this first",
            "Go back, reload the page to see their changes, then make yours again.",
        ),
        413: (
            "The file is too large",
            "Nothing was saved. Files must be smaller than 4 MB: go back to the form and choose a smaller file.",
        ),
        429: ("Too many tries", "Wait a minute, then try again."),
        500: ("Something went wrong on our side", "Nothing was saved. Try again in a moment."),
        503: (
            "The database cannot save anything right now",
            "Nothing was saved. Try again in a few minutes; if it keeps happening, tell your administrator.",
        ),
    }

    def render_error(code: int, detail: str | None = None) -> tuple[str, int]:
        title, advice = messages.get(code, messages[500])
        if code == 413 and uploads.takes_files(request.endpoint):
            advice = uploads.too_large_advice()  # the limit the form states, not the 4 MB of forms without a file
        if code == 404 and request.method == "POST":  # a form sent from a tab left open on a record since removed
            title, advice = "This is no longer here", (
                "What you sent was not saved: the page it came from is gone, for example because the record was "
                "deleted. Use the menu to find what you need."
            )
        # A file too large is refused before the view runs: the way back is to the form it came from.
        back = csrf_resend.back_to_form() if code == 413 else None
        return render_template("errors/error.html", code=code, title=title, advice=detail or advice, back=back), code

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        """Only when something calls ``csrf.protect()`` by hand: the check before every view never raises."""
        return render_error(400, csrf_resend.PLAIN_ADVICE)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int] | HTTPException:
        if error.code is None or error.code < 400:
            return error
        return render_error(error.code)

    @app.errorhandler(DBAPIError)
    def database_error(error: DBAPIError) -> tuple[str, int]:
        """The database refused or failed (full disk, read-only, gone): a plain page, never a traceback. The log
        names the route and the driver's error code only: the statement and its parameters hold record content."""
        try:
            db.session.rollback()
        except DBAPIError:  # the connection itself is gone: the pool replaces it on the next request
            db.session.invalidate()
        failure = classify(error)  # as the commands do (core/cli.py)
        rule = request.url_rule.rule if request.url_rule else "(no route)"
        where = "".join(traceback.format_tb(error.__traceback__))  # file, line and code of each frame: no values
        app.logger.error("Database error on %s %s: %s\n%s", request.method, rule, failure.kinds, where)
        status = 503 if failure.unavailable else 500  # disk full, read-only, connection lost, tables missing: 503
        try:
            return render_error(status)
        except DBAPIError:  # the page's menu needs the database too: the same words without it
            db.session.rollback()
            title, advice = messages[status]
            return f"<!doctype html><title>{title}</title><h1>{title}</h1><p>{advice}</p>", status

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> tuple[str, int]:
        db.session.rollback()
        # Not a database error itself, but it may carry one (a value of the wrong type for its column, an error
        # raised while handling a database error): then the log keeps no statement and no value.
        log_failure(app.logger, error, "Unhandled error on %s %s", request.method, request.path)
        return render_error(500)


def register_templates(app: Flask) -> None:
    from core import navigation, settings, timeutil, urls

    use_template_cache(app)
    urls.register(app)
    timeutil.read_zone_setting_with(app, lambda: settings.get(timeutil.SETTING))
    app.jinja_env.globals["can"] = lambda permission: policy.can(current_user, permission)
    app.jinja_env.globals["navigation"] = navigation.items_for
    app.jinja_env.globals["session_deadlines"] = navigation.session_deadlines
    timeutil.register_templates(app)


def use_template_cache(app: Flask) -> None:
    """Compiled templates kept in ``TEMPLATE_CACHE_DIR`` (``<instance>/template-cache``), so each new worker process
    loads them instead of compiling all of them again (about 3 s of a worker's start here). Jinja files each one
    under its name and the checksum of its source, writes it whole before it can be read, and compiles again when
    the source changed. A folder that cannot be made only means compiling as before."""
    folder = Path(str(app.config.get("TEMPLATE_CACHE_DIR") or Path(app.instance_path) / "template-cache"))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        app.logger.warning("Compiled templates are not kept: the folder %s cannot be made.", folder)
        return
    app.jinja_env.bytecode_cache = FileSystemBytecodeCache(str(folder))


def register_commands(app: Flask) -> None:
    from core.cli import register

    register(app)


def guard_commands(app: Flask) -> None:
    """Every command of the app (the core's, the modules', Flask-Migrate's ``db``) stops on a database error with
    one plain sentence and a non-zero exit, never a traceback holding a statement's values (core/cli.py)."""
    from core import cli

    cli.guard_commands(app.cli)
