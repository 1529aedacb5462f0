"""The caseload follows the agreed module shape: no import cycle between its files, view files that never import each
other, and nothing registered as a side effect of an import (``caseload.register(app)`` does it all)."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import caseload

ROOT = Path(caseload.__file__).parent


def _module_name(path: Path) -> str:
    parts = ["caseload", *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in ROOT.rglob("*.py")}


def _imports(name: str) -> set[str]:
    """Every caseload module this one imports, at the top or inside a function."""
    tree = ast.parse(MODULES[name].read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # "from caseload import demo" imports the file caseload/demo.py, not caseload/__init__.py's names.
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in MODULES else node.module)
    return {module for module in found if module in MODULES and module != name}


def _cycle_from(start: str, graph: dict[str, set[str]]) -> list[str] | None:
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        if node in path:
            return [*path[path.index(node):], node]
        path.append(node)
        for following in sorted(graph[node]):
            if (cycle := visit(following)) is not None:
                return cycle
        path.pop()
        return None

    return visit(start)


def test_the_walk_reads_the_whole_module():
    assert {"caseload", "caseload.blueprint", "caseload.views", "caseload.views.emergency", "caseload.cli",
            "caseload.policy", "caseload.demo", "caseload.access"} <= set(MODULES)
    assert importlib.util.find_spec("caseload.views.emergency") is not None


def test_no_import_cycle_between_caseload_files():
    graph = {name: _imports(name) for name in MODULES}
    cycles = [cycle for name in sorted(graph) if (cycle := _cycle_from(name, graph)) is not None]
    assert cycles == []


def test_view_files_import_the_blueprint_and_never_each_other():
    views = {name for name in MODULES if name.startswith("caseload.views.") and name != "caseload.views._common"}
    assert len(views) >= 8
    for name in views:
        imported = _imports(name)
        assert "caseload.blueprint" in imported, name
        assert imported & (views | {"caseload.views"}) == set(), name


def _top_level_calls(name: str) -> list[str]:
    calls = []
    for node in ast.parse(MODULES[name].read_text()).body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            calls.append(ast.unparse(node.value))
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            calls += [ast.unparse(decorator) for decorator in node.decorator_list
                      if "rule" in ast.unparse(decorator) or "register" in ast.unparse(decorator)]
    return calls


def test_nothing_is_registered_by_importing_a_caseload_file():
    registered = {name: calls for name in MODULES if (calls := [
        call for call in _top_level_calls(name) if "register" in call or "rule" in call
    ])}
    assert registered == {}
