"""The layers contract covers every module, no import goes around it, and nothing imports in a circle.

``lint-imports`` (run by ``make lint`` and ``.ci/run``) checks the imports it can see; these
tests keep it seeing all of them: the contract is exhaustive (a new module directly under
``cnsmm`` that is in no layer breaks it), and the only imports made by name at run time are
the two known ones, each to a module the contract lets its caller import.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest

import cnsmm
from cnsmm import _cli, rules

SRC = Path(cnsmm.__file__).resolve().parent
REPO = SRC.parents[1]
CONTRACTS = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]
LAYERS = next(c for c in CONTRACTS if c["id"] == "layers")

DYNAMIC_IMPORTERS = {"_cli.py", "rules/__init__.py"}
"""Modules that import by name at run time: the command modules on demand, the rule modules."""


def _layer_of(module: str) -> int:
    """Index in the contract of the layer holding ``cnsmm.<top>...``."""
    top = module.split(".")[1]
    for i, line in enumerate(LAYERS["layers"]):
        if top in {name.strip() for name in line.replace(":", "|").split("|")}:
            return i
    raise AssertionError(f"{module} is in no layer")


def _dynamic_imports(tree: ast.AST) -> list[int]:
    """Lines that import a module named at run time (``importlib``, ``__import__``, ``runpy``)."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in {"import_module", "__import__", "spec_from_file_location", "module_from_spec",
                        "run_module", "run_path", "resolve_name", "find_spec"}:
                lines.append(node.lineno)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names]
            module = node.module if isinstance(node, ast.ImportFrom) else None
            if (module in {"importlib", "runpy"} and set(names) - {"metadata", "resources"}) or \
                    any(n in {"runpy", "importlib.util"} for n in names):
                lines.append(node.lineno)
    return lines


def test_the_contract_passes_and_covers_every_module() -> None:
    assert LAYERS["containers"] == ["cnsmm"] and LAYERS["exhaustive"] is True
    children = {p.stem if p.is_file() else p.name for p in SRC.iterdir()
                if (p.suffix == ".py" and p.name != "__init__.py") or (p / "__init__.py").is_file()}
    listed = {name.strip() for line in LAYERS["layers"] for name in line.replace(":", "|").split("|")}
    assert children == listed
    lint = subprocess.run([str(Path(sys.executable).with_name("lint-imports")), "--no-cache"], cwd=REPO,
                          capture_output=True, text=True, check=False)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_no_module_takes_part_in_an_import_cycle() -> None:
    # stricter than the contracts, which compare siblings: a package and its own module count too
    graph = grimp.build_graph("cnsmm", cache_dir=None)
    cycles = sorted((a, b) for a in graph.modules for b in graph.find_modules_directly_imported_by(a)
                    if graph.chain_exists(importer=b, imported=a))
    assert not cycles


def test_no_module_imports_by_name_except_the_known_two() -> None:
    found = {path.relative_to(SRC).as_posix() for path in SRC.rglob("*.py")
             if _dynamic_imports(ast.parse(path.read_text(encoding="utf-8")))}
    assert found == DYNAMIC_IMPORTERS


def test_the_known_dynamic_imports_are_ones_the_contract_allows() -> None:
    # the CLI loads command modules, a layer below it
    assert _cli.COMMAND_MODULES
    for module in set(_cli.COMMAND_MODULES.values()):
        assert module.startswith("cnsmm.commands.") and _layer_of(module) > _layer_of("cnsmm._cli")
    # the rule registry loads the rule modules of its own package
    assert all(p.startswith("cnsmm.rules.") for p in rules._PACKAGES)


@pytest.mark.parametrize(("source", "dynamic"), [
    ("import importlib\nimportlib.import_module('cnsmm.web')", True),
    ("from importlib import import_module\nimport_module(name)", True),
    ("m = __import__('cnsmm.web')", True),
    ("import importlib.util", True),
    ("import runpy", True),
    ("from importlib import metadata, resources\nmetadata.version('cnsmm')", False),
    ("from cnsmm.web import app", False),
])
def test_the_check_finds_imports_by_name(source: str, dynamic: bool) -> None:
    assert bool(_dynamic_imports(ast.parse(source))) is dynamic
