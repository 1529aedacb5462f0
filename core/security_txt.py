"""``/.well-known/security.txt`` (RFC 9116): where to report a vulnerability in this agency's PeerWorks.

Published only when ``SECURITY_CONTACT`` is set to a ``mailto:`` or ``https:`` address. Unset, the address answers
404, so nothing false is published. A value that is neither stops the app at start, rather than publish a contact
nobody can use.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, abort, current_app, url_for

from core import timeutil
from core.policy import public

SETTING = "SECURITY_CONTACT"
LIFETIME = timedelta(days=365)

bp = Blueprint("security_txt", __name__)


def check_contact(value: str) -> str:
    """The contact without surrounding spaces, "" when unset; a ValueError naming the setting for anything that is
    not one ``mailto:`` address or one ``https:`` address (a line break would add fields of its own)."""
    contact = value.strip()
    if not contact:
        return ""
    if any(character.isspace() or not character.isprintable() for character in contact):
        problem = "holds a space or a line break"
    elif _one_address(contact):
        return contact
    else:
        problem = "is neither one mailto: nor one https: address"
    raise ValueError(
        f"{SETTING}={value!r} {problem}. Give one address where people can report a vulnerability, e.g. "
        f"{SETTING}=mailto:security@example.org or {SETTING}=https://example.org/report-a-vulnerability, or leave "
        "it unset (then /.well-known/security.txt answers 404)."
    )


def _one_address(contact: str) -> bool:
    try:
        parts = urlsplit(contact)
        if parts.scheme == "https":
            return bool(parts.hostname)
    except ValueError:  # an address it cannot read ("https://[")
        return False
    local, at, domain = parts.path.partition("@")
    return parts.scheme == "mailto" and bool(local and at and domain) and "@" not in domain and "," not in parts.path


def expires(now: datetime) -> datetime:
    """A year ahead at most, from the start of today (UTC): RFC 9116 recommends less than a year, and the file
    stays the same all day."""
    return datetime(now.year, now.month, now.day) + LIFETIME


def security_txt(contact: str, canonical: str, now: datetime) -> str:
    """The file's text. ``now`` is naive UTC, as ``timeutil.utcnow`` gives it."""
    return (
        f"Contact: {contact}\n"
        f"Expires: {expires(now).strftime('%Y-%m-%dT%H:%M:%SZ')}\n"
        "Preferred-Languages: en\n"
        f"Canonical: {canonical}\n"
    )


def canonical_url() -> str:
    """This file's own address: under ``BASE_URL`` when set (as the emails' links are), else the request's host."""
    base = (current_app.config.get("BASE_URL") or "").rstrip("/")
    if base:
        return base + url_for("security_txt.published")
    return url_for("security_txt.published", _external=True)


@bp.get("/.well-known/security.txt")
@public
def published() -> Response:
    contact = current_app.config.get(SETTING) or ""
    if not contact:
        abort(404)
    return Response(security_txt(contact, canonical_url(), timeutil.utcnow()), mimetype="text/plain")


def register(app: Flask) -> None:
    """Check the setting (a bad one stops the app here, at start) and add the route."""
    app.config[SETTING] = check_contact(str(app.config.get(SETTING) or ""))
    app.register_blueprint(bp)
