"""schemathesis against a live server of its own: its own demo-seeded database and address, so
the wrong passwords it tries lock nobody out anywhere else.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from core.config import Settings
from core.db import make_engine, make_session_factory, unit_of_work
from services.bootstrap import build_bus
from tests.databases import fresh_database
from tests.live import serving
from web.demo import DEMO_PASSWORD, DEMO_USERS


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/api_fuzz" in str(item.path):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A live server on a fresh demo-seeded database; its address."""
    from web.app import create_app
    from web.demo import seed_demo

    with fresh_database(tmp_path_factory.mktemp("fuzz")) as url:
        engine = make_engine(url)
        with unit_of_work(make_session_factory(engine, build_bus())) as session:
            seed_demo(session, "l")
        engine.dispose()
        settings = Settings(
            database_url=url, mqtt_url=None, secret_key="f", label_key="l", code_key="c"
        )
        with serving(create_app(settings)) as address:
            yield address


@pytest.fixture(scope="session")
def tokens(fuzz_server: str) -> dict[str, str]:
    """A bearer token of each demo user, taken before any wrong password is tried."""
    issued = {}
    for user in DEMO_USERS:
        response = requests.post(
            f"{fuzz_server}/api/auth/token",
            json={"login": user.login, "password": DEMO_PASSWORD},
            timeout=30,
        )
        response.raise_for_status()
        issued[user.login] = response.json()["token"]
    return issued
