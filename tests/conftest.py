"""Shared fixtures: one migrated database per run, a savepoint per test, the web app on it."""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import os
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from core import clock
from core.config import Settings
from core.db import make_engine
from core.events import EventBus, attach
from core.logs import CHATTY, HANDLER_NAME
from core.users import CHEAP_HASHES
from services.bootstrap import build_bus, with_code_key
from tests.code_leaks import CodeLeakWatch
from tests.databases import fresh_database

# Before any password is hashed, and inherited by every process the tests start.
os.environ[CHEAP_HASHES] = "1"

#: pytester runs the code-leak watch on a scratch suite to prove it catches leaks.
pytest_plugins = ["pytester"]

# A Tuesday morning in term time, in Shanghai.
#: The server's pickup-code key in tests (the ``settings`` fixture's ``code_key``).
CODE_KEY = "test-code-key"
NOW = dt.datetime(2026, 11, 17, 9, 30, tzinfo=clock.SHANGHAI)


def pytest_configure(config: pytest.Config) -> None:
    """No six-digit code may appear in a log record, a command row or an admin page of the whole
    run (see tests/code_leaks.py)."""
    config.pluginmanager.register(CodeLeakWatch(), "code-leaks")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that is rolled back after the test."""
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


def _session_on(connection: Connection) -> Session:
    # Commits release a savepoint; the test's outer transaction undoes everything.
    return Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture
def bus() -> EventBus:
    """Every reaction the entry points wire, on a bus of this test's own."""
    return build_bus()


@pytest.fixture
def session(connection: Connection, bus: EventBus) -> Iterator[Session]:
    with _session_on(connection) as session:
        yield with_code_key(attach(session, bus), CODE_KEY)


@pytest.fixture
def frozen_clock() -> Iterator[clock.FrozenClock]:
    with clock.frozen(NOW.astimezone(dt.UTC)) as frozen:
        yield frozen


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        mqtt_url=None,
        secret_key="test-secret",
        label_key="test-label-key",
        code_key=CODE_KEY,
    )


@pytest.fixture
def app(settings: Settings, connection: Connection, session: Session) -> Flask:
    """The web app on the test's connection; ``session`` is flushed first so it sees setup data."""
    from web.app import create_app

    session.flush()
    return create_app(
        settings,
        sessions=lambda: _session_on(connection),
        TESTING=True,
        WTF_CSRF_ENABLED=False,
    )


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def login(client: FlaskClient, login_name: str, password: str = "password123") -> Any:
    return client.post("/login", data={"login": login_name, "password": password})


@pytest.fixture
def jpeg() -> bytes:
    """A small real JPEG, as a phone would upload."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """Undo what configuring logging (a ``courier`` command run in-process) did to this one."""
    root = logging.getLogger()
    level, process = root.level, multiprocessing.current_process().name
    chatty = {name: logging.getLogger(name).level for name in CHATTY}
    yield
    for handler in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(handler)
    root.setLevel(level)
    multiprocessing.current_process().name = process
    for name, chatty_level in chatty.items():
        logging.getLogger(name).setLevel(chatty_level)


@pytest.fixture
def restored_notice_language() -> Iterator[None]:
    """Notices to people who chose no language are in Chinese again after the test."""
    from notifications.notify import set_default_language

    yield
    set_default_language("zh_CN")
