"""Imports point one way (DESIGN.md section 2): checked by reading every module's imports."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {
    "core",
    "catalog",
    "courier",
    "lockers",
    "routes",
    "labels",
    "notifications",
    "tickets",
    "firmware_bridge",
    "web",
    "migrations",
    "bench",
}
ALLOWED = {
    "core": set(),
    "catalog": {"core"},
    "courier": {"core", "catalog"},
    "lockers": {"core", "catalog", "courier"},
    "routes": {"core", "catalog", "courier"},
    "labels": set(),
    "notifications": {"core"},
    "tickets": {"core", "catalog"},
    "firmware_bridge": {"core", "lockers", "courier"},
}
ADAPTER_LIBRARIES = {
    "flask",
    "flask_babel",
    "flask_wtf",
    "werkzeug",
    "paho",
    "twilio",
    "waitress",
    "wechatpy",
}
#: DESIGN.md puts the senders in notifications: that one module is the providers' adapter.
SDK_ADAPTERS = {Path("notifications/senders.py")}


def imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def modules_of(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(p for p in ALLOWED if (ROOT / p).is_dir()))
def test_a_package_imports_only_the_packages_beneath_it(package):
    wrong = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in modules_of(package)
        for name in imported_top_levels(path) & PACKAGES
        if name != package and name not in ALLOWED[package]
    }
    assert wrong == set()


@pytest.mark.parametrize(
    "package", sorted(p for p in ALLOWED if p != "firmware_bridge" and (ROOT / p).is_dir())
)
def test_domain_packages_never_import_flask_paho_or_a_sender_sdk(package):
    wrong = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in modules_of(package)
        if path.relative_to(ROOT) not in SDK_ADAPTERS
        for name in imported_top_levels(path) & ADAPTER_LIBRARIES
    }
    assert wrong == set()


def test_no_top_level_package_shadows_the_standard_library():
    import sys

    shadowing = {p.name for p in ROOT.iterdir() if p.is_dir()} & set(sys.stdlib_module_names)
    assert shadowing == set()


def test_every_package_says_what_it_owns_and_must_not_import():
    for package in sorted(PACKAGES & {p.name for p in ROOT.iterdir() if p.is_dir()}):
        doc = ast.get_docstring(ast.parse((ROOT / package / "__init__.py").read_text()))
        assert doc, f"{package}/__init__.py has no docstring"
