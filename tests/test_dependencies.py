"""Every third-party import is declared in pyproject.toml, so a fresh install has what runs."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROJECT = {p.parent.name for p in ROOT.glob("*/__init__.py")}


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(*groups: str) -> set[str]:
    """Distribution names of the dependencies and of the named optional groups."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for group in groups:
        requirements += project["optional-dependencies"][group]
    return {normalised(re.match(r"[A-Za-z0-9._-]+", r).group()) for r in requirements}


def third_party_imports(folders: list[Path]) -> dict[str, set[str]]:
    """Top-level names imported from outside the project and the standard library, each with
    the modules importing it."""
    found: dict[str, set[str]] = {}
    for folder in folders:
        for path in folder.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for top in {name.split(".")[0] for name in names}:
                    if top not in sys.stdlib_module_names | PROJECT | {"__future__"}:
                        found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def undeclared(imports: dict[str, set[str]], allowed: set[str]) -> set[str]:
    distributions = importlib.metadata.packages_distributions()
    return {
        f"{name} (imported by {min(modules)})"
        for name, modules in imports.items()
        if not {normalised(d) for d in distributions.get(name, [name])} & allowed
    }


def test_the_products_imports_are_declared_dependencies_or_extras():
    folders = [ROOT / p for p in sorted(PROJECT - {"tests", "bench"})]
    assert undeclared(third_party_imports(folders), declared("cjk-font", "postgres")) == set()


def test_the_benchmarks_imports_are_declared_in_the_dev_extra_or_the_dependencies():
    """Benchmarks run from a development checkout (``make bench``), as the suite does."""
    assert undeclared(third_party_imports([ROOT / "bench"]), declared("dev", "postgres")) == set()


def test_the_suites_imports_are_declared_in_the_dev_extra_or_the_dependencies():
    assert undeclared(third_party_imports([ROOT / "tests"]), declared("dev")) == set()
