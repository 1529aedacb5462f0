"""Static files carry their content's version in their address, and a browser keeps a versioned file for a year
(core/static_assets.py); pages with records are still never kept (``no-store``)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from flask import Flask, url_for

from core.static_assets import YEAR, StaticVersions


def linked_static(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def test_every_static_file_a_page_links_carries_its_version(client):
    addresses = linked_static(client.get("/login").get_data(as_text=True))
    assert addresses, "the sign-in page links its stylesheets and scripts"
    for address in addresses:
        assert re.search(r"\?v=[0-9a-f]{12}$", address), address


def test_a_versioned_file_is_kept_a_year_without_asking_again(client):
    for address in linked_static(client.get("/login").get_data(as_text=True)):
        response = client.get(address)
        assert response.status_code == 200, address
        cache = response.cache_control
        assert cache.public, address
        assert cache.immutable, address
        assert cache.max_age == YEAR, address
        assert not cache.no_cache


def test_an_old_version_is_answered_but_not_kept(client):
    response = client.get("/static/css/app.css?v=000000000000")
    assert response.status_code == 200
    assert response.cache_control.no_cache
    assert not response.cache_control.max_age


def test_a_file_named_by_a_stylesheet_is_kept_a_day(app: Flask, client):
    css = Path(app.static_folder or "") / "css" / "app.css"
    assert css.is_file()
    response = client.get("/static/css/app.css")
    assert response.cache_control.max_age == 24 * 3600
    assert not response.cache_control.immutable


def test_pages_with_records_are_still_never_kept(client):
    response = client.get("/login")
    assert "no-store" in response.headers["Cache-Control"]
    assert "immutable" not in response.headers["Cache-Control"]


def test_a_changed_file_gets_a_new_version(tmp_path: Path):
    (tmp_path / "site.css").write_text("body { color: black }")
    versions = StaticVersions(tmp_path)
    first = versions.of("site.css")
    assert first is not None
    assert versions.of("site.css") == first
    (tmp_path / "site.css").write_text("body { color: navy }")
    stat = (tmp_path / "site.css").stat()
    os.utime(tmp_path / "site.css", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert versions.of("site.css") not in (None, first)


def test_no_version_for_a_missing_file_or_one_outside_the_folder(app: Flask, tmp_path: Path):
    versions = StaticVersions(tmp_path)
    assert versions.of("missing.css") is None
    assert versions.of("../outside.css") is None
    with app.test_request_context():
        assert url_for("static", filename="no-such-file.css") == "/static/no-such-file.css"
