"""A private Mosquitto on a free port, a real database the bridge commits to, and the bridge."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from core.codes import controller_key
from core.db import for_writing, make_engine, make_session_factory, unit_of_work
from firmware_bridge.bridge import Bridge
from firmware_bridge.broker import MAX_PACKET, free_port, wait_listening
from firmware_bridge.connection import BrokerAddress, parse_url
from services.bootstrap import build_bus, with_code_key
from tests.conftest import CODE_KEY
from tests.databases import fresh_database
from tests.factories import LABEL_KEY


class Mosquitto:
    """A broker of the tests' own, so they can stop and restart it."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.config = folder / "mosquitto.conf"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "persistence true\n"
            f"persistence_location {folder}/\n"
            "max_queued_messages 100000\n"
            "max_inflight_messages 100\n"
            "autosave_interval 1\n"
            f"max_packet_size {MAX_PACKET}\n"
        )
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> BrokerAddress:
        return parse_url(f"mqtt://127.0.0.1:{self.port}")

    def start(self) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.process = subprocess.Popen(
            [binary, "-c", str(self.config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_listening(self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    if not (shutil.which("mosquitto") or Path("/usr/sbin/mosquitto").exists()):
        pytest.skip("mosquitto is not installed")
    broker = Mosquitto(tmp_path)
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    with fresh_database(tmp_path) as url:
        yield url


@pytest.fixture
def sessions(database: str) -> Iterator[Callable[[], Session]]:
    engine = make_engine(database)
    factory = make_session_factory(engine, build_bus())
    yield lambda: with_code_key(factory(), CODE_KEY)
    engine.dispose()


def key_of(controller: str) -> str:
    """The key a simulated controller checks codes with, as installed from the test code key."""
    return controller_key(CODE_KEY, controller)


@pytest.fixture
def write(sessions: Callable[[], Session]) -> Callable[[Callable[[Session], Any]], Any]:
    """Run a function in a committed transaction of its own; returns what it returns."""

    def run(work: Callable[[Session], Any]) -> Any:
        # The running bridge commits between this transaction's reads and its first write.
        with unit_of_work(sessions) as session:  # type: ignore[arg-type]
            return work(for_writing(session))

    return run


@pytest.fixture
def read(sessions: Callable[[], Session]) -> Callable[[Callable[[Session], Any]], Any]:
    """Run a function in a transaction of its own that only reads; returns what it returns.

    Unlike :func:`write` it takes no lock, so polling while the bridge commits never waits.
    """

    def run(work: Callable[[Session], Any]) -> Any:
        with sessions() as session:
            return work(session)

    return run


@pytest.fixture
def bridge(mosquitto: Mosquitto, sessions: Callable[[], Session]) -> Iterator[Bridge]:
    running = Bridge(mosquitto.address, sessions, LABEL_KEY, client_id="test-bridge")
    running.start()
    yield running
    running.stop()


def eventually(check: Callable[[], Any], timeout: float = 20.0) -> Any:
    """Poll until ``check`` returns something truthy; fail with its last value."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"not reached in {timeout}s; last value {value!r}")
