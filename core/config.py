"""Configuration read from the environment, with safe defaults for a user's own machine."""

from __future__ import annotations

import os
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from core import timeutil


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def secret_key(instance_path: Path) -> str:
    """SECRET_KEY from the environment, else one generated once into the instance folder."""
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        # Written whole to a file of its own (mode 0600), then linked into place: when two processes start at once
        # (two workers on a first run), one link wins, the other finds the file there and both use the same key;
        # nobody ever reads a half-written file.
        instance_path.mkdir(parents=True, exist_ok=True)
        fd, written = tempfile.mkstemp(dir=instance_path, prefix=".secret_key.")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
            os.link(written, key_file)
        except FileExistsError:
            pass
        finally:
            os.unlink(written)
    return key_file.read_text().strip()


def database_url(instance_path: Path) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        instance_path.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{instance_path / 'peerworks.sqlite3'}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def trusted_hosts(production: bool) -> list[str] | None:
    """The host names a request may name in its Host header (Flask's TRUSTED_HOSTS): ``TRUSTED_HOSTS``, separated by
    commas (a leading dot takes a domain's subdomains too: ".example.org"); in production, when it is unset, the host
    of ``BASE_URL``. Any other Host is refused (400), so an address the app builds from the request (an invitation
    or survey link in an email when ``BASE_URL`` is unset, a PDF's base address) cannot be pointed at another site by
    a forged header. None (any host) on one's own machine and in the tests, unless set."""
    named = [host.strip() for host in os.environ.get("TRUSTED_HOSTS", "").split(",") if host.strip()]
    if named:
        return named
    base_url = os.environ.get("BASE_URL", "")
    if production and base_url:
        try:
            host = urlsplit(base_url).hostname
        except ValueError:  # not an address (an unclosed IPv6 bracket): no host to trust, as if unset
            host = None
        if host:
            return [host]
    return None


def from_environment(instance_path: Path) -> dict[str, object]:
    production = os.environ.get("PEERWORKS_ENV", "development") == "production"
    return {
        "PRODUCTION": production,
        "SECRET_KEY": secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url(instance_path),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;100 per hour"),
        "APPLY_RATE_LIMIT": os.environ.get("APPLY_RATE_LIMIT", "5 per hour;20 per day"),
        "SECURE_COOKIES": _flag("SECURE_COOKIES", production),
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0")),
        "SMTP_HOST": os.environ.get("SMTP_HOST", ""),
        "SMTP_PORT": int(os.environ.get("SMTP_PORT", "587")),
        "SMTP_USERNAME": os.environ.get("SMTP_USERNAME", ""),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD", ""),
        "SMTP_STARTTLS": _flag("SMTP_STARTTLS", True),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "PeerWorks <no-reply@localhost>"),
        "BASE_URL": os.environ.get("BASE_URL", ""),
        "TRUSTED_HOSTS": trusted_hosts(production),
        "SECURITY_CONTACT": os.environ.get("SECURITY_CONTACT", ""),  # checked at start (core/security_txt.py)
        "TEMPLATE_CACHE_DIR": os.environ.get("PEERWORKS_TEMPLATE_CACHE") or str(instance_path / "template-cache"),
        "AGENCY_TIME_ZONE": timeutil.check_configured_zone(
            os.environ.get("AGENCY_TIME_ZONE") or timeutil.DEFAULT_ZONE
        ),
    }


DEFAULTS: dict[str, object] = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_NAME": "peerworks_session",
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
    "IDLE_TIMEOUT": timedelta(minutes=15),
    # last_seen_at is kept to this step and counted from its end (core.sessions): never finer than the minute, so a
    # page or a form sent leaves no exact time in the session table. Not read from the environment.
    "SESSION_SEEN_STEP": timedelta(minutes=1),
    "ABSOLUTE_TIMEOUT": timedelta(hours=12),
    "WARNING_BEFORE": timedelta(seconds=90),
    "FAILED_SIGNIN_LIMIT": 5,
    "LOCKOUT": timedelta(minutes=15),
    # How long a right password waits for its second step (a code, or setting up a second factor) before the person
    # must sign in again (core/accounts/second_step.py).
    "SECOND_STEP_TIMEOUT": timedelta(minutes=10),
    "INVITE_MAX_AGE": timedelta(days=7),
    "PAGE_SIZE": 25,
    "MAX_CONTENT_LENGTH": 4 * 1024 * 1024,
    "UPLOAD_REQUEST_LIMIT": 16 * 1024 * 1024,  # a form sending a file (core.uploads refuses files over 5 MB itself)
    "WTF_CSRF_TIME_LIMIT": None,
    "RATELIMIT_HEADERS_ENABLED": False,
}
