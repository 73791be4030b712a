"""A live server on a fresh, demo-seeded database, driven by Debian's headless Chromium.

Chromium comes from the system (``/usr/bin/chromium``); Playwright never downloads a browser.
Without Chromium these tests are skipped, unless ``COURIER_REQUIRE_BROWSER=1`` (as in CI) makes
that a failure. Screenshots go to ``screenshots/`` (git-ignored).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.config import Settings
from core.db import make_engine, make_session_factory, unit_of_work
from services.bootstrap import build_bus
from tests.databases import fresh_database
from tests.live import serving

CHROMIUM = os.environ.get("COURIER_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.path):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def chromium() -> str:
    path = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if not path:
        if os.environ.get("COURIER_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium is required (COURIER_REQUIRE_BROWSER=1) but not installed")
        pytest.skip("Chromium is not installed: apt-get install chromium")
    return path


@pytest.fixture(scope="session")
def live_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The live server's database, demo-seeded; tests may add rows of their own."""
    from web.demo import seed_demo

    with fresh_database(tmp_path_factory.mktemp("browser")) as url:
        engine = make_engine(url)
        with unit_of_work(make_session_factory(engine, build_bus())) as session:
            seed_demo(session, "l")
        engine.dispose()
        yield url


@pytest.fixture(scope="session")
def live_server(live_database: str) -> Iterator[str]:
    from web.app import create_app
    from web.push.running import push_thread

    settings = Settings(
        database_url=live_database, mqtt_url=None, secret_key="b", label_key="l", code_key="c"
    )
    with (
        push_thread(settings, port=0) as push_port,
        serving(create_app(dataclasses.replace(settings, push_port=push_port))) as address,
    ):
        yield address


@pytest.fixture(scope="session")
def browser(chromium: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_FLAGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server: str) -> Iterator[object]:
    context = browser.new_context(base_url=live_server, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def phone(browser, live_server: str) -> Iterator[object]:
    context = browser.new_context(
        base_url=live_server,
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def screenshot(page: object, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path


def log_in(page: object, login: str, password: str = "demo1234") -> None:
    page.goto("/login")  # type: ignore[attr-defined]
    page.fill("input[name=login]", login)  # type: ignore[attr-defined]
    page.fill("input[name=password]", password)  # type: ignore[attr-defined]
    page.click("form.card button[type=submit]")  # type: ignore[attr-defined]
