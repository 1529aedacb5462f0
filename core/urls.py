"""Addresses built once per app, so a page does not run Werkzeug's URL builder for every link.

Every page's frame links the same pages (the menu, the account, sign-out, the time-out warning's two addresses) and
the same static files, and a list links each of its rows (``/readiness/campaigns/7``): tens of ``url_for`` calls a
page. Templates call ``url_for`` as before; this one answers from what it built before:

* an address without values (``url_for('training.index')``) or a static file's (``url_for('static', filename=...)``)
  is kept whole; a static file's together with its version, which is looked up on every call as before
  (``StaticVersions.of``), so a changed file gets its new address at once;
* an address whose values are exactly its route's record numbers (``url_for('readiness.campaign_detail',
  campaign_id=7)``: whole numbers of ``<int:...>`` parts, nothing for the query string) is kept as its pattern, the
  route's text with the numbers left out, and the numbers are put in on each call;
* anything else (other values, an anchor, an external address, a blueprint-relative ``.name``, outside a request)
  is built by Flask each time; and everything is, should the app ever add a ``url_defaults`` function other than
  the static files' version (its values could change from one request to the next).

Kept per mount point (the request's script name) and subdomain, and only when the built address is a path on this
site, so a page never gets another mount's or another host's address. ``tests/core/test_urls.py`` builds every
route both ways.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, url_for
from flask.globals import _cv_request
from werkzeug.routing import IntegerConverter

EXTENSION = "peerworks.fixed_urls"
STATIC_DEFAULTS = "peerworks.static_url_defaults"  # core.static_assets' url_defaults function, the one allowed
LIMIT = 2_000  # addresses and patterns kept per app: the app's own routes and static files, far below this
_MARK = 2_147_480_000  # stands for a record number while a pattern is made: far above any id a test or agency has


def page_url(endpoint: str, **values: Any) -> str:
    """``url_for``, answered from the app's kept addresses where it can be (see the module's description)."""
    # The request's context read once (as flask.has_request_context does), not through context-local proxies.
    context = _cv_request.get(None)
    if context is None or context.url_adapter is None or endpoint.startswith("."):
        return url_for(endpoint, **values)
    app, adapter = context.app, context.url_adapter
    if not _only_static_defaults(app):
        return url_for(endpoint, **values)
    kept: dict[tuple, Any] = app.extensions.setdefault(EXTENSION, {})
    if not values:
        return _kept(kept, (adapter.script_name, adapter.subdomain, endpoint), endpoint, values)
    if endpoint == "static":
        filename = values.get("filename")
        if values.keys() != {"filename"} or not isinstance(filename, str):
            return url_for(endpoint, **values)
        versions = app.extensions.get("peerworks.static_versions")
        version = versions.of(filename) if versions is not None else None
        return _kept(kept, (adapter.script_name, adapter.subdomain, endpoint, filename, version), endpoint, values)
    if not all(type(value) is int and value >= 0 for value in values.values()):
        return url_for(endpoint, **values)
    key = (adapter.script_name, adapter.subdomain, endpoint, frozenset(values))
    pattern = kept.get(key)
    if pattern is None:
        pattern = _pattern(app, endpoint, tuple(values))
        if pattern is False or len(kept) >= LIMIT:
            return url_for(endpoint, **values)
        kept[key] = pattern
    if pattern is False:
        return url_for(endpoint, **values)
    return "".join(part if isinstance(part, str) else str(values[part[0]]) for part in pattern)


def _only_static_defaults(app: Flask) -> bool:
    allowed = [app.extensions.get(STATIC_DEFAULTS)]
    return all(not found or (name is None and found == allowed) for name, found in app.url_default_functions.items())


def _kept(kept: dict[tuple, Any], key: tuple, endpoint: str, values: dict[str, Any]) -> str:
    found = kept.get(key)
    if found is None:
        found = url_for(endpoint, **values)
        if _on_this_site(found) and len(kept) < LIMIT:
            kept[key] = found
    return found


def _on_this_site(address: str) -> bool:
    return address.startswith("/") and not address.startswith("//")


def _pattern(app: Flask, endpoint: str, names: tuple[str, ...]) -> list[str | tuple[str]] | bool:
    """The route's address as text and ``(name,)`` places for the numbers, or False when the values are not exactly
    the route's whole-number parts (Flask builds those each time)."""
    rules = app.url_map._rules_by_endpoint.get(endpoint, [])
    if len(rules) != 1 or set(names) != rules[0].arguments:
        return False
    converters = rules[0]._converters
    if not all(isinstance(converters.get(name), IntegerConverter) and not converters[name].fixed_digits
               for name in names):
        return False
    marks = {name: _MARK + number for number, name in enumerate(names)}
    built = url_for(endpoint, **marks)
    if not _on_this_site(built):
        return False
    pattern: list[str | tuple[str]] = []
    rest = built
    for name, mark in sorted(marks.items(), key=lambda item: built.find(str(item[1]))):
        before, found, rest = rest.partition(str(mark))
        if not found:
            return False
        pattern += [before, (name,)]
    pattern.append(rest)
    return pattern


def is_site_path(link: object) -> bool:
    """A path on this site ("/training/review"), not an address that could lead elsewhere: not "//host" (another
    site, the page's own scheme), nor "/\\host" or "/<tab>/host" (browsers read a backslash as a slash and drop tabs
    and line breaks), nor "https://..." (which, built from a request, could carry a forged Host header)."""
    return (
        isinstance(link, str)
        and link.startswith("/")
        and not link.startswith("//")
        and "\\" not in link
        and link.isprintable()
    )


def register(app: Flask) -> None:
    app.jinja_env.globals["url_for"] = page_url
    app.jinja_env.tests["site_path"] = is_site_path
