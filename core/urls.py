"""Addresses that are the same on every request, built once per app.

Every page's frame links the same pages (the menu, the account, sign-out, the time-out warning's two addresses) and
the same static files: about twenty ``url_for`` calls a page, each going through Werkzeug's URL builder (and, for a
static file, the version look-up of ``core.static_assets``). Templates call ``url_for`` as before; this one keeps
what an address without arguments builds to and answers it again:

* an endpoint with no values (``url_for('training.index')``), or a static file (``url_for('static', filename=...)``);
  anything else (values, an anchor, an external address, a blueprint-relative ``.name``) is built by Flask each time;
* kept per mount point (the request's script name) and subdomain, and only when the built address is a path on
  this site, so a page never gets another mount's or another host's address;
* a static file's address is kept together with the file's version, which is looked up on every call as before
  (``StaticVersions.of``): a changed file still gets its new address at once.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, url_for
from flask.globals import _cv_request

from core.static_assets import StaticVersions

EXTENSION = "peerworks.fixed_urls"
LIMIT = 2_000  # addresses kept per app: the app's own endpoints and static files, far below this


def page_url(endpoint: str, **values: Any) -> str:
    """``url_for``, answered from the app's kept addresses when it has no arguments (or only a static file's name)."""
    static = endpoint == "static" and values.keys() == {"filename"} and isinstance(values["filename"], str)
    # The request's context read once (as flask.has_request_context does), not through two context-local proxies.
    context = _cv_request.get(None)
    if (values and not static) or endpoint.startswith(".") or context is None or context.url_adapter is None:
        return url_for(endpoint, **values)
    adapter, app = context.url_adapter, context.app
    version = None
    if static:
        versions: StaticVersions | None = app.extensions.get("peerworks.static_versions")
        version = versions.of(values["filename"]) if versions is not None else None
    key = (adapter.script_name, adapter.subdomain, endpoint, values.get("filename"), version)
    kept: dict[tuple, str] = app.extensions.setdefault(EXTENSION, {})
    found = kept.get(key)
    if found is None:
        found = url_for(endpoint, **values)
        if found.startswith("/") and not found.startswith("//") and len(kept) < LIMIT:
            kept[key] = found
    return found


def register(app: Flask) -> None:
    app.jinja_env.globals["url_for"] = page_url
