"""Static files a browser keeps: every ``url_for('static', ...)`` carries ``?v=`` and the first characters of the
file's SHA-256, and an answer to an address with the right ``v`` may be kept for a year without asking again
(``immutable``). A changed file has a new address, so nobody is served an old copy.

Files the stylesheets name themselves (USWDS's fonts and icons, addressed without ``v``) may be kept for a day. Before,
every static file was sent ``no-cache``: each page asked again for its two stylesheets and three scripts (a 304 each,
about 2 ms of the server's time apiece, and the browser parsed the half-megabyte stylesheet again).
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import Any

from flask import Flask, Response, request
from werkzeug.security import safe_join

YEAR = 365 * 24 * 3600
DAY = 24 * 3600
VERSION_LENGTH = 12


class StaticVersions:
    """The ``v`` of each static file, read once per file (and again when its modification time changes)."""

    def __init__(self, folder: Path) -> None:
        self.folder = str(folder)
        self._known: dict[str, tuple[int, str]] = {}

    def of(self, filename: str) -> str | None:
        joined = safe_join(self.folder, filename)  # as Flask's static view finds the file
        if joined is None:
            return None
        try:
            found = os.stat(joined)  # one look at the file a call (every page asks for several)
        except (OSError, ValueError):  # missing, not reachable, or a name os.stat refuses (as os.path.isfile)
            return None
        if not stat.S_ISREG(found.st_mode):
            return None
        known = self._known.get(filename)
        if known is None or known[0] != found.st_mtime_ns:
            known = (found.st_mtime_ns, hashlib.sha256(Path(joined).read_bytes()).hexdigest()[:VERSION_LENGTH])
            self._known[filename] = known
        return known[1]


def register(app: Flask) -> None:
    if not app.static_folder:
        return
    versions = StaticVersions(Path(app.static_folder))
    app.extensions["peerworks.static_versions"] = versions  # core.urls reads the version of each address it keeps

    @app.url_defaults
    def add_version(endpoint: str | None, values: dict[str, Any]) -> None:
        if endpoint == "static" and "v" not in values and isinstance(values.get("filename"), str):
            version = versions.of(values["filename"])
            if version is not None:
                values["v"] = version

    app.extensions["peerworks.static_url_defaults"] = add_version  # the one url_defaults core.urls allows for

    @app.after_request
    def cache_static_files(response: Response) -> Response:
        if request.endpoint != "static" or response.status_code not in (200, 304):
            return response
        filename = (request.view_args or {}).get("filename", "")
        asked = request.args.get("v")
        if asked is not None and asked == versions.of(filename):
            response.cache_control.public = True
            response.cache_control.max_age = YEAR
            response.cache_control.immutable = True
            response.cache_control.no_cache = None
        elif asked is None:
            response.cache_control.public = True
            response.cache_control.max_age = DAY
            response.cache_control.no_cache = None
        # A ``v`` that is not the file's (an old page asking after an upgrade) keeps Flask's no-cache answer.
        return response
