"""Addresses built once (core/urls.py): the same as Flask builds them, per mount point, and a static file's address
still changes the moment the file does."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, render_template_string, url_for

from core import urls


def no_argument_endpoints(app: Flask) -> list[str]:
    return sorted({rule.endpoint for rule in app.url_map.iter_rules() if not rule.arguments})


def test_templates_use_the_kept_addresses(app: Flask):
    assert app.jinja_env.globals["url_for"] is urls.page_url


def test_every_address_without_arguments_is_what_flask_builds(app: Flask):
    endpoints = no_argument_endpoints(app)
    assert len(endpoints) > 20
    for script_root in ("", "/peerworks"):
        with app.test_request_context("/", base_url=f"http://localhost{script_root}/"):
            for _ in range(2):  # built, then kept
                for endpoint in endpoints:
                    assert urls.page_url(endpoint) == url_for(endpoint), endpoint
            assert urls.page_url("home.index") == f"{script_root}/"


def test_addresses_with_values_an_anchor_or_a_host_are_built_each_time(app: Flask):
    with app.test_request_context("/"):
        assert urls.page_url("accounts.login", next="/x") == url_for("accounts.login", next="/x") == "/login?next=/x"
        assert urls.page_url("home.index", _anchor="top") == "/#top"
        assert urls.page_url("home.index", _external=True) == "http://localhost/"
        assert urls.page_url("home.index") == "/"


def test_a_static_file_keeps_its_version_and_a_changed_file_gets_a_new_address(app: Flask, tmp_path: Path,
                                                                            monkeypatch):
    monkeypatch.setattr(app.extensions["peerworks.static_versions"], "folder", str(tmp_path))
    (tmp_path / "site.css").write_text("body { color: black }")
    page = "{{ url_for('static', filename='site.css') }}"
    with app.test_request_context("/"):
        first = render_template_string(page)
        assert first == url_for("static", filename="site.css")
        assert "?v=" in first
        assert render_template_string(page) == first
        (tmp_path / "site.css").write_text("body { color: navy }")
        stat = (tmp_path / "site.css").stat()
        os.utime(tmp_path / "site.css", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
        second = render_template_string(page)
        assert second != first
        assert second == url_for("static", filename="site.css")
