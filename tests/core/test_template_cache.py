"""Compiled templates are kept in TEMPLATE_CACHE_DIR, so a new worker loads them instead of compiling them again."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from core.app import create_app


def built(folder: Path) -> object:
    return create_app({"TESTING": True, "SECRET_KEY": "cache", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                       "TEMPLATE_CACHE_DIR": str(folder)})


def test_a_second_app_loads_the_templates_the_first_compiled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder = tmp_path / "compiled"
    first = built(folder)
    assert first.test_client().get("/login").status_code == 200
    kept = sorted(folder.iterdir())
    assert kept, "the sign-in page's templates were not kept"

    def no_compiling(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("compiled again")

    monkeypatch.setattr(jinja2.Environment, "compile", no_compiling)
    second = built(folder)
    page = second.test_client().get("/login")
    assert page.status_code == 200
    assert "Sign in to PeerWorks" in page.get_data(as_text=True)


def test_a_changed_template_is_compiled_again(tmp_path: Path):
    app = built(tmp_path)
    environment = app.jinja_env
    loader = jinja2.DictLoader({"page.html": "one"})
    environment.loader = loader
    assert environment.get_template("page.html").render() == "one"
    loader.mapping["page.html"] = "two"
    fresh = built(tmp_path).jinja_env
    fresh.loader = loader
    assert fresh.get_template("page.html").render() == "two"


def test_a_folder_that_cannot_be_made_only_means_compiling(tmp_path: Path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    app = built(blocker / "compiled")
    assert app.jinja_env.bytecode_cache is None
    assert app.test_client().get("/login").status_code == 200
