"""The module shape (README, "For developers") holds for every module, so the next one copies a good example:

- no import cycle between the app's files, imports inside functions included;
- every module attaches itself through one ``register(app)`` that ``create_app`` calls: its blueprint, record
  rules, list scopes and demo loader are there only through it, never as a side effect of an import.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest
from flask import Flask

from core.app import ROOT, create_app

PACKAGES = ("core", "caseload", "readiness", "hiring", "training", "supervision")
MODULES = ("caseload", "readiness", "hiring", "training", "supervision")


# Imports between files ---------------------------------------------------------------------------------------


def app_files() -> list[Path]:
    files = [ROOT / "wsgi.py"]
    for package in PACKAGES:
        files.extend(sorted((ROOT / package).rglob("*.py")))
    return files


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _known(name: str, modules: dict[str, Path]) -> str | None:
    """The app module ``name`` is, or lives in (``core.models.Staff`` -> ``core.models``); None outside the app."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(path: Path, here: str, modules: dict[str, Path]) -> set[str]:
    """The app modules the file of module ``here`` imports, anywhere in it (module level, inside functions, inside
    ``if`` blocks). ``from package import name`` counts as importing the submodule when ``name`` is one, else the
    package."""
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(filter(None, (_known(alias.name, modules) for alias in node.names)))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package
                for _ in range(node.level - 1):
                    parent = parent.rpartition(".")[0]
                base = f"{parent}.{base}" if base else parent
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                target = submodule if submodule in modules else _known(base, modules)
                if target:
                    found.add(target)
    found.discard(here)
    return found


def import_graph() -> dict[str, set[str]]:
    """File -> files it imports, as paths relative to the checkout."""
    modules = {module_name(path): path for path in app_files()}
    relative = {name: str(path.relative_to(ROOT)) for name, path in modules.items()}
    return {
        relative[name]: {relative[target] for target in imports_of(path, name, modules)}
        for name, path in modules.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each group of files that import each other, directly or round a loop (Tarjan's strongly connected
    components of more than one file), as one loop through them."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(_loop(graph, set(group)))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def _loop(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """One loop of imports inside ``group``, from its first file back to it, to put in the failure message."""
    start = min(group)
    paths: dict[str, list[str]] = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for target in sorted(graph[node] & group):
            if target == start:
                return [*paths[node], start]
            if target not in paths:
                paths[target] = [*paths[node], target]
                queue.append(target)
    return sorted(group)


def test_cycle_finder_finds_a_loop_and_names_its_files():
    graph = {"a.py": {"b.py"}, "b.py": {"c.py"}, "c.py": {"a.py"}, "d.py": {"a.py"}}
    assert cycles(graph) == [["a.py", "b.py", "c.py", "a.py"]]
    assert cycles({"a.py": {"b.py"}, "b.py": set()}) == []


def test_imports_are_read_inside_functions_and_relative(tmp_path: Path):
    source = tmp_path / "pkg"
    (source / "sub").mkdir(parents=True)
    files = {
        "pkg": (source / "__init__.py", ""),
        "pkg.sub": (source / "sub" / "__init__.py", "from . import leaf\n"),
        "pkg.sub.leaf": (source / "sub" / "leaf.py", "def f():\n    from ..other import thing\n"),
        "pkg.other": (source / "other.py", "import pkg.sub.leaf\nimport os\n"),
    }
    for path, text in files.values():
        path.write_text(text)
    modules = {name: path for name, (path, _) in files.items()}
    assert imports_of(modules["pkg.sub"], "pkg.sub", modules) == {"pkg.sub.leaf"}
    assert imports_of(modules["pkg.sub.leaf"], "pkg.sub.leaf", modules) == {"pkg.other"}
    assert imports_of(modules["pkg.other"], "pkg.other", modules) == {"pkg.sub.leaf"}


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph()


def test_the_graph_covers_every_app_file(graph):
    assert "wsgi.py" in graph
    assert "core/app.py" in graph["wsgi.py"]
    for package in PACKAGES:
        assert f"{package}/__init__.py" in graph
    assert "readiness/blueprint.py" in graph["readiness/views/campaigns.py"]
    assert "core/settings.py" in graph["core/app.py"], "an import inside a function counts"


def test_no_import_cycle_between_the_apps_files(graph):
    found = cycles(graph)
    assert not found, "files that import each other (move the shared part to a file both import):\n" + "\n".join(
        " -> ".join(loop) for loop in found
    )


# register(app) -------------------------------------------------------------------------------------------------


@pytest.fixture
def bare_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    monkeypatch.setenv("PEERWORKS_INSTANCE", str(tmp_path / "instance"))
    return {"TESTING": True, "SECRET_KEY": "shape", "SQLALCHEMY_DATABASE_URI": "sqlite://"}


def endpoints_of(app: Flask, module: str) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith(f"{module}.")}


@pytest.mark.parametrize("name", MODULES)
def test_every_module_has_register_app(name: str):
    module = importlib.import_module(name)
    register = getattr(module, "register", None)
    assert callable(register), f"{name}/__init__.py needs register(app: Flask) -> None"
    assert list(inspect.signature(register).parameters) == ["app"]


@pytest.fixture
def spied_registers(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Flask]]:
    calls: dict[str, list[Flask]] = {name: [] for name in MODULES}

    def spy(module: ModuleType) -> None:
        original = module.register

        def register(app: Flask) -> None:
            calls[module.__name__].append(app)
            original(app)

        monkeypatch.setattr(module, "register", register)

    for name in MODULES:
        spy(importlib.import_module(name))
    return calls


def test_create_app_calls_each_modules_register_once(bare_config, spied_registers):
    app = create_app(bare_config)
    for name in MODULES:
        assert spied_registers[name] == [app], f"create_app must call {name}.register(app) exactly once"
        assert name in app.blueprints
        assert endpoints_of(app, name)


@pytest.mark.parametrize("name", MODULES)
def test_a_modules_routes_come_only_through_its_register(name, bare_config, monkeypatch):
    module = importlib.import_module(name)
    importlib.import_module(f"{name}.views")  # importing the views must not attach them to any app
    monkeypatch.setattr(module, "register", lambda app: None)
    app = create_app(bare_config)
    assert name not in app.blueprints
    assert not endpoints_of(app, name)


# What importing a module registers, in a fresh interpreter (the registries are process-wide).
PROBE = textwrap.dedent("""
    import importlib, json, os, pkgutil, sys
    from core import demo, policy

    modules = sys.argv[1:]

    def owners():
        found = {name: 0 for name in modules}
        registered = [*policy._record_rules.values(), *policy._scope_rules.values(), *demo._loaders]
        for entry in registered:
            owner = getattr(entry, "__module__", "").split(".")[0]
            if owner in found:
                found[owner] += 1
        return found

    for name in modules:
        package = importlib.import_module(name)
        for info in pkgutil.walk_packages(package.__path__, name + "."):
            importlib.import_module(info.name)
    on_import = owners()
    from core.app import create_app
    create_app({"TESTING": True, "SECRET_KEY": "shape", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    print(json.dumps({"on_import": on_import, "after_create_app": owners()}))
""")


@pytest.fixture(scope="module")
def registered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, int]]:
    instance = tmp_path_factory.mktemp("instance")
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *MODULES], cwd=ROOT, capture_output=True, text=True, check=True,
        env={"PEERWORKS_INSTANCE": str(instance), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", MODULES)
def test_importing_a_module_registers_no_rule_and_no_demo_loader(name, registered):
    assert registered["on_import"][name] == 0, f"importing {name} registered rules or demo data: do it in register"


def test_readiness_rules_and_demo_come_through_register(registered):
    assert registered["after_create_app"]["readiness"] >= 2, "its invitation rule and its demo loader"
