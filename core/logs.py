"""Secret addresses, and what people type into search boxes, never reach a log.

A few addresses carry a secret in their path: the personal survey link (``/readiness/survey/<token>``) and the
account invitation (``/invite/<token>``). Opening one writes its path to every request log on the way: the
development server's (the ``werkzeug`` logger), gunicorn's access log (``gunicorn.access``) and error log
(``gunicorn.error``), and the app's own log (an unexpected error names the path). ``install`` puts one filter on
each of those loggers that replaces the secret part of such a path with ``[hidden]`` before any handler writes the
line: in the request line, in a ``next=`` of a sign-in address (``%2F`` for each slash) and in the Referer a log
format may show. A reverse proxy in front of the app keeps a log of its own, which the app cannot reach: its
configuration must leave the path out or cut it the same way (see "Production deployment" in the README).

The search forms are sent by GET, so what is typed into them (a client's name, phone number or date of birth, a
candidate's name, words from survey answers) is in the address too: ``add_secret_query`` names such query-string
parameters, and the filter shows ``q=[hidden]`` in their place, in the request line, a ``next=`` (``%3D``, ``%26``)
and the Referer; the other parameters (``page=2``) stay readable.

Modules name their secret paths with ``add_secret_path`` and their search parameters with ``add_secret_query``
from their ``register(app)``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from flask import Flask

HIDDEN = "[hidden]"
# The loggers that write request paths: werkzeug's development server, gunicorn's access and error logs.
REQUEST_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")
_patterns: dict[str, re.Pattern[str]] = {}
_QUERY = "?"  # the key of the query parameters' pattern among _patterns (a path prefix starts with a slash)
_secret_queries: set[str] = set()


def add_secret_path(prefix: str, keep: Iterable[str] = ()) -> None:
    """The path segment after ``prefix`` (``/readiness/survey/``) is a secret, except the words in ``keep`` (the
    fixed addresses that share the prefix). Registering again is harmless."""
    if not (prefix.startswith("/") and prefix.endswith("/")):
        raise ValueError("a secret path prefix starts and ends with a slash")
    kept = "".join(rf"(?!{re.escape(word)}(?:[/?#&\s\"']|%2F|%3F|$))" for word in keep)
    plain = re.escape(prefix)
    encoded = re.escape(prefix[:-1]).replace("/", "(?:/|%2F)") + "(?:/|%2F)"
    # The segment runs to the next slash, query, space, quote or (encoded in a next= value) %2F, %3F or &.
    _patterns[prefix] = re.compile(
        rf"({plain}|{encoded}){kept}(?:(?!%2F|%3F)[^/?#&\s\"'])+",
        re.IGNORECASE,
    )


def add_secret_query(*names: str) -> None:
    """The values of these query-string parameters are secrets (a search box's ``q``). Registering again is
    harmless."""
    _secret_queries.update(names)
    alternatives = "|".join(re.escape(name) for name in sorted(_secret_queries))
    # The value runs to the next parameter (& or, encoded in a next= value, %26), anchor, space or quote.
    _patterns[_QUERY] = re.compile(
        rf"((?:[?&]|%3F|%26)(?:{alternatives})(?:=|%3D))(?:(?!%26)[^&#\s\"'])+", re.IGNORECASE
    )


def redact(text: str) -> str:
    """``text`` with the secret segment of every registered path replaced by ``[hidden]``."""
    for pattern in _patterns.values():
        text = pattern.sub(lambda match: match.group(1) + HIDDEN, text)
    return text


def _redacted(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


class RedactSecrets(logging.Filter):
    """Rewrites a log record's message and arguments (a tuple, or gunicorn's dict of access-log atoms, changed in
    place so it keeps its own class) before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, dict):
            for key, value in list(record.args.items()):
                record.args[key] = _redacted(value)
        elif isinstance(record.args, tuple):
            record.args = tuple(_redacted(value) for value in record.args)
        return True


_FILTER = RedactSecrets()


def install(app: Flask) -> None:
    """Put the filter on every logger that writes request paths, and on the app's own."""
    for logger in (*(logging.getLogger(name) for name in REQUEST_LOGGERS), app.logger):
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
