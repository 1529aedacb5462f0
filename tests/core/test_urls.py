"""Addresses built once (core/urls.py): the same as Flask builds them, per mount point, and a static file's address
still changes the moment the file does."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, render_template_string, url_for
from werkzeug.routing import IntegerConverter

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


def id_endpoints(app: Flask) -> list[tuple[str, tuple[str, ...]]]:
    """Each route whose parts are all record numbers, with their names."""
    return sorted({
        (rule.endpoint, tuple(sorted(rule.arguments))) for rule in app.url_map.iter_rules()
        if rule.arguments and all(isinstance(rule._converters[name], IntegerConverter) for name in rule.arguments)
    })


def test_every_address_of_record_numbers_is_what_flask_builds(app: Flask):
    routes = id_endpoints(app)
    assert len(routes) > 100
    for script_root in ("", "/peerworks"):
        with app.test_request_context("/", base_url=f"http://localhost{script_root}/"):
            for ids in ((7, 12, 3), (0, 1, 2), (2_147_483_647, 45, 10_000)):
                for endpoint, names in routes:
                    values = dict(zip(names, ids, strict=False))
                    assert urls.page_url(endpoint, **values) == url_for(endpoint, **values), (endpoint, values)
            assert urls.page_url("readiness.campaign_detail", campaign_id=7) == f"{script_root}/readiness/campaigns/7"


def test_other_values_are_built_by_flask(app: Flask):
    with app.test_request_context("/"):
        for values in ({"campaign_id": "7"}, {"campaign_id": 7, "tab": 2}, {"campaign_id": True},
                       {"campaign_id": -1}, {"campaign_id": 7, "_anchor": "x"}):
            assert urls.page_url("readiness.campaign_detail", **values) == url_for(
                "readiness.campaign_detail", **values), values


def test_nothing_is_kept_when_the_app_adds_other_url_defaults(app: Flask, monkeypatch):
    def page_two(endpoint: str | None, values: dict) -> None:
        if endpoint != "static":
            values.setdefault("page", 2)

    monkeypatch.setitem(app.url_default_functions, None, [*app.url_default_functions[None], page_two])
    with app.test_request_context("/"):
        assert urls.page_url("readiness.index") == url_for("readiness.index") == "/readiness/?page=2"
        assert urls.page_url("readiness.campaign_detail", campaign_id=7) == "/readiness/campaigns/7?page=2"


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
