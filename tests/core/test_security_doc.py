"""SECURITY.md cannot drift from the code: every test it names exists, every claim in its table names a test or a
command, the route figures it gives are the app's own, and the README links it.

Tests are found by reading the files (``ast``), not by importing them: a test named in the document must be a
``test_…`` function at the top of its file or in a ``Test…`` class.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

from core import policy
from tests.core.security_helpers import inspection_app, routes

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "SECURITY.md"
CITED = re.compile(r"(tests/[\w/]+\.py)::(\w+)")
COMMAND = re.compile(r"`(?:make|flask|\.venv/bin/\w+|zcat) [^`]*`")


def cited(text: str) -> list[tuple[str, str]]:
    """Every (file, test name) the text names as ``tests/…py::name``, in order, once each."""
    return list(dict.fromkeys(CITED.findall(text)))


@cache
def names_of_tests(path: str) -> frozenset[str]:
    """The test functions of a test file: top-level ``test_…`` and those of ``Test…`` classes."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    found = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test"):
            found.add(node.name)
        if isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            found.update(
                item.name
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name.startswith("test")
            )
    return frozenset(found)


def missing(text: str) -> list[str]:
    """The ``file::name`` references in ``text`` that name no existing test."""
    return [
        f"{path}::{name}"
        for path, name in cited(text)
        if not (ROOT / path).is_file() or name not in names_of_tests(path)
    ]


def claim_rows(text: str) -> list[list[str]]:
    """The cells of each row of the table under "Claim → …", header and rule left out."""
    table = text.split("## Claim → the test or command that proves it", 1)[1]
    rows = [line for line in table.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows[2:]]


def test_every_test_the_document_names_exists():
    text = DOCUMENT.read_text(encoding="utf-8")
    assert len(cited(text)) >= 50, "the claims table names its tests as tests/…py::name"
    assert missing(text) == []


def test_the_check_finds_a_test_that_does_not_exist():
    """The check above can fail: a renamed test, a removed file and a typo are all caught."""
    text = (
        "`tests/core/test_routes.py::test_get_route` "
        "`tests/core/test_routes.py::test_get_routes` "
        "`tests/core/test_nothing_here.py::test_anything` "
        "`tests/core/test_security_doc.py::cited`"
    )
    assert missing(text) == [
        "tests/core/test_routes.py::test_get_routes",
        "tests/core/test_nothing_here.py::test_anything",
        "tests/core/test_security_doc.py::cited",
    ]


def test_every_claim_in_the_table_names_a_test_or_a_command():
    rows = claim_rows(DOCUMENT.read_text(encoding="utf-8"))
    assert len(rows) >= 40
    for claim, proof, _figure in rows:
        assert cited(proof) or COMMAND.search(proof), f"the claim {claim!r} names no test and no command"


@cache
def route_figures() -> dict[str, int]:
    app = inspection_app()
    every = routes(app)
    public = [rule for rule in every if getattr(app.view_functions[rule.endpoint], "permission", None) == policy.PUBLIC]
    return {
        "routes": len(every),
        "public": len(public),
        "get": len(routes(app, "GET")),
        "post": len({rule.endpoint for rule in routes(app, "POST")}),
    }


def number(figure: int) -> str:
    return f"{figure:,}"


@pytest.mark.parametrize(
    ("what", "words"),
    [
        ("routes", lambda f: [f"{number(f['routes'])} routes, {f['public']} of them public",
                              f"{number(f['routes'])} routes, {f['public']} public"]),
        ("get", lambda f: [f"{f['get']} × 7 = {number(f['get'] * 7)} requests",
                           f"{f['get']} routes × 7 = {number(f['get'] * 7)} requests"]),
        ("post", lambda f: [f"each of the {f['post']} POST addresses",
                            f"{f['post']} routes × 2 tokens × 2 people = {number(f['post'] * 4)} requests",
                            f"3 × {f['post']} = {number(f['post'] * 3)} in `make test`",
                            f"1,000 × {f['post']} = {number(f['post'] * 1000)} in `make fuzz`",
                            f"({number(f['post'] * 1000)})", f"({number(f['post'] * 3)} in all)"]),
    ],
)
def test_the_route_figures_are_the_apps_own(what: str, words):
    """A route added or removed changes these figures: the document must say the new ones."""
    text = " ".join(DOCUMENT.read_text(encoding="utf-8").split())
    for phrase in words(route_figures()):
        assert phrase in text, f"SECURITY.md should say {phrase!r} (the app's {what} figure changed?)"


def test_the_readme_links_the_document():
    assert "(SECURITY.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
