"""Imports point one way (DESIGN.md section 2): checked by reading every module's imports.

Each rule is a function from a tree of packages (the repository, or a scratch tree built by a
test) to the violations it finds, so that every rule can be shown to fail when it is broken.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Mapping, Set
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = (
    "core",
    "catalog",
    "courier",
    "lockers",
    "routes",
    "labels",
    "notifications",
    "tickets",
    "feedback",
    "dashboard",
)
PACKAGES = {*DOMAIN, "firmware_bridge", "services", "web", "migrations", "bench"}
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "catalog": {"core"},
    "courier": {"core", "catalog"},
    "lockers": {"core", "catalog", "courier"},
    "routes": {"core", "catalog", "courier"},
    "labels": set(),
    "notifications": {"core"},
    "tickets": {"core", "catalog"},
    "feedback": {"core", "catalog"},
    "dashboard": {"core", "catalog", "courier", "lockers", "tickets"},
    "firmware_bridge": {"core", "lockers", "courier"},
    "services": {*DOMAIN, "firmware_bridge"},
}
#: Web, MQTT, HTTP, provider SDKs, the scheduler and the CLI: what only entry points and adapters
#: may import, so that one domain function serves a request, a message and a job alike.
ADAPTER_LIBRARIES = frozenset(
    {
        "flask",
        "flask_babel",
        "flask_wtf",
        "werkzeug",
        "waitress",
        "aiohttp",
        "paho",
        "amqtt",
        "requests",
        "httpx",
        "twilio",
        "wechatpy",
        "apscheduler",
        "click",
    }
)
#: DESIGN.md puts the senders in notifications, so that one module is the providers' adapter: it
#: may import their SDKs and the HTTP client whose errors they raise, and nothing else of the list.
SANCTIONED_ADAPTERS: dict[Path, frozenset[str]] = {
    Path("notifications/senders.py"): frozenset({"twilio", "wechatpy", "requests"}),
}


def modules_of(root: Path, package: str) -> list[Path]:
    return sorted((root / package).rglob("*.py"))


def imported_modules(path: Path, root: Path) -> set[str]:
    """The dotted names a module imports, anywhere in it, relative imports resolved.

    ``from a import b`` gives both ``a`` and ``a.b``: ``b`` may be a module.
    """
    package = path.relative_to(root).parts[:-1]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else ()
            module = ".".join([*base, *([node.module] if node.module else [])])
            if module:
                names.add(module)
            names.update(f"{module}.{alias.name}".lstrip(".") for alias in node.names)
    return names


def top_levels(names: Set[str]) -> set[str]:
    return {name.split(".")[0] for name in names}


def imports_against_the_table(
    root: Path, package: str, allowed: Mapping[str, Set[str]] = ALLOWED
) -> set[str]:
    """Imports of the project's packages that ``allowed[package]`` does not list."""
    return {
        f"{path.relative_to(root)} imports {name}"
        for path in modules_of(root, package)
        for name in top_levels(imported_modules(path, root)) & PACKAGES
        if name != package and name not in allowed[package]
    }


def adapter_library_imports(
    root: Path, package: str, sanctioned: Mapping[Path, Set[str]] = SANCTIONED_ADAPTERS
) -> set[str]:
    """Imports of :data:`ADAPTER_LIBRARIES`, less what a sanctioned adapter module may import."""
    return {
        f"{path.relative_to(root)} imports {name}"
        for path in modules_of(root, package)
        for name in top_levels(imported_modules(path, root)) & ADAPTER_LIBRARIES
        if name not in sanctioned.get(path.relative_to(root), ())
    }


def standard_library_shadows(root: Path) -> set[str]:
    """Top-level folders named after a standard-library module: importing that module breaks."""
    return {p.name for p in root.iterdir() if p.is_dir()} & set(sys.stdlib_module_names)


def packages_without_a_docstring(root: Path) -> set[str]:
    """Packages whose ``__init__.py`` does not say what the package owns and may import."""
    return {
        package
        for package in PACKAGES
        if (root / package).is_dir()
        and not ast.get_docstring(ast.parse((root / package / "__init__.py").read_text()))
    }


def views_and_api_importing_each_other(root: Path) -> set[str]:
    """Modules of ``web.views`` that import ``web.api`` and the reverse: both call ``services``."""
    found = set()
    for own, other in (("web.views", "web.api"), ("web.api", "web.views")):
        for path in sorted(root.joinpath(*own.split(".")).rglob("*.py")):
            if any(
                name == other or name.startswith(f"{other}.")
                for name in imported_modules(path, root)
            ):
                found.add(f"{path.relative_to(root)} imports {other}")
    return found


def _is_a_bus(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return node.id == "events" or node.id.endswith("bus")
    if isinstance(node, ast.Attribute):
        return node.attr == "events" or node.attr.endswith("bus")
    return False


def subscriptions_outside_services(root: Path) -> set[str]:
    """Modules outside ``services`` that subscribe handlers to the domain-event bus: they import
    ``core.events.subscribe`` or call ``subscribe`` on something named a bus (or ``events``), so an
    MQTT client's ``subscribe`` is not one. ``core/events.py`` is the bus itself."""
    found = set()
    for package in sorted(PACKAGES - {"services"}):
        for path in modules_of(root, package):
            if path.relative_to(root) == Path("core/events.py"):
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                imports_it = (
                    isinstance(node, ast.ImportFrom)
                    and node.module == "core.events"
                    and any(alias.name == "subscribe" for alias in node.names)
                )
                calls_it = (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "subscribe"
                    and _is_a_bus(node.func.value)
                )
                if imports_it or calls_it:
                    found.add(f"{path.relative_to(root)}:{node.lineno} subscribes a handler")
    return found


# The rules, on this repository.


@pytest.mark.parametrize("package", sorted(p for p in ALLOWED if (ROOT / p).is_dir()))
def test_a_package_imports_only_the_packages_beneath_it(package):
    assert imports_against_the_table(ROOT, package) == set()


@pytest.mark.parametrize("package", [p for p in DOMAIN if (ROOT / p).is_dir()])
def test_domain_packages_never_import_web_mqtt_http_sdk_scheduler_or_cli_libraries(package):
    assert adapter_library_imports(ROOT, package) == set()


def test_no_top_level_package_shadows_the_standard_library():
    assert standard_library_shadows(ROOT) == set()


def test_every_package_says_what_it_owns_and_must_not_import():
    assert packages_without_a_docstring(ROOT) == set()


def test_views_and_the_api_never_import_each_other():
    assert views_and_api_importing_each_other(ROOT) == set()


def test_only_services_subscribes_handlers_to_the_bus():
    assert subscriptions_outside_services(ROOT) == set()


# Each rule, broken on purpose in a scratch tree, reports it.


def write(root: Path, module: str, source: str = "") -> Path:
    """A module in a scratch tree, with the ``__init__.py`` files of the packages it sits in."""
    path = root / module
    for folder in path.relative_to(root).parents:
        if folder != Path():
            init = root / folder / "__init__.py"
            init.parent.mkdir(parents=True, exist_ok=True)
            if not init.exists():
                init.write_text('"""A scratch package."""\n')
    path.write_text(source)
    return path


def test_a_domain_package_importing_a_package_above_it_is_reported(tmp_path):
    write(tmp_path, "courier/shortcut.py", "from web.app import create_app\n")
    assert imports_against_the_table(tmp_path, "courier") == {"courier/shortcut.py imports web"}


def test_an_import_the_table_allows_is_not_reported(tmp_path):
    write(tmp_path, "courier/fine.py", "from catalog.models import Department\n")
    assert imports_against_the_table(tmp_path, "courier") == set()


def test_an_import_inside_a_function_is_reported(tmp_path):
    write(tmp_path, "catalog/lazy.py", "def f():\n    from lockers import models\n")
    assert imports_against_the_table(tmp_path, "catalog") == {"catalog/lazy.py imports lockers"}


def test_services_may_import_every_domain_package_and_the_bridge(tmp_path):
    write(tmp_path, "services/use_cases.py", "".join(f"import {p}\n" for p in ALLOWED["services"]))
    assert imports_against_the_table(tmp_path, "services") == set()


def test_services_importing_web_is_reported(tmp_path):
    write(tmp_path, "services/use_cases.py", "from web import app\n")
    assert imports_against_the_table(tmp_path, "services") == {"services/use_cases.py imports web"}


@pytest.mark.parametrize("library", sorted(ADAPTER_LIBRARIES))
def test_a_domain_module_importing_an_adapter_library_is_reported(tmp_path, library):
    write(tmp_path, "lockers/leaky.py", f"import {library}.something\n")
    assert adapter_library_imports(tmp_path, "lockers") == {f"lockers/leaky.py imports {library}"}


def test_the_sanctioned_adapter_may_import_its_sdks(tmp_path):
    write(tmp_path, "notifications/senders.py", "import requests\nfrom twilio.rest import Client\n")
    assert adapter_library_imports(tmp_path, "notifications") == set()


def test_the_sanctioned_adapter_importing_another_adapter_library_is_reported(tmp_path):
    write(tmp_path, "notifications/senders.py", "from flask import current_app\n")
    assert adapter_library_imports(tmp_path, "notifications") == {
        "notifications/senders.py imports flask"
    }


def test_another_module_of_the_adapters_package_importing_an_sdk_is_reported(tmp_path):
    write(tmp_path, "notifications/templates.py", "import wechatpy\n")
    assert adapter_library_imports(tmp_path, "notifications") == {
        "notifications/templates.py imports wechatpy"
    }


def test_a_top_level_package_named_after_the_standard_library_is_reported(tmp_path):
    write(tmp_path, "queue/__init__.py")
    assert standard_library_shadows(tmp_path) == {"queue"}


def test_a_package_without_a_docstring_is_reported(tmp_path):
    write(tmp_path, "tickets/__init__.py", "from __future__ import annotations\n")
    assert packages_without_a_docstring(tmp_path) == {"tickets"}


def test_a_view_importing_the_api_is_reported(tmp_path):
    write(tmp_path, "web/views/desk.py", "from web.api.scans import answer_scans\n")
    write(tmp_path, "web/api/scans.py")
    assert views_and_api_importing_each_other(tmp_path) == {"web/views/desk.py imports web.api"}


def test_the_api_importing_a_view_by_a_relative_import_is_reported(tmp_path):
    write(tmp_path, "web/api/auth.py", "from ..views import auth\n")
    write(tmp_path, "web/views/auth.py")
    assert views_and_api_importing_each_other(tmp_path) == {"web/api/auth.py imports web.views"}


def test_a_view_importing_another_view_is_not_reported(tmp_path):
    write(tmp_path, "web/views/admin.py", "from web.views.catalog import search_page\n")
    write(tmp_path, "web/api/catalog.py", "from web.api import api\n")
    assert views_and_api_importing_each_other(tmp_path) == set()


def test_importing_the_bus_subscribe_outside_services_is_reported(tmp_path):
    write(tmp_path, "routes/wiring.py", "from core.events import subscribe\n")
    assert subscriptions_outside_services(tmp_path) == {"routes/wiring.py:1 subscribes a handler"}


def test_subscribing_on_a_bus_outside_services_is_reported(tmp_path):
    write(tmp_path, "web/notices.py", "def wire(bus):\n    bus.subscribe(Event, handler)\n")
    assert subscriptions_outside_services(tmp_path) == {"web/notices.py:2 subscribes a handler"}


def test_subscribing_inside_services_is_not_reported(tmp_path):
    write(
        tmp_path,
        "services/bootstrap.py",
        "from core.events import subscribe\n\ndef bootstrap(bus):\n    bus.subscribe(E, h)\n",
    )
    assert subscriptions_outside_services(tmp_path) == set()


def test_an_mqtt_client_subscribing_to_a_topic_is_not_reported(tmp_path):
    write(tmp_path, "firmware_bridge/bridge.py", "def on_connect(mqttc):\n    mqttc.subscribe(t)\n")
    assert subscriptions_outside_services(tmp_path) == set()
