"""Private brokers (a Mosquitto on a free port, a three-node RabbitMQ cluster), a real database
the bridge commits to, and the bridge."""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import socket
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


SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "rabbitmq-cluster.sh"


def rabbitmq_installed() -> bool:
    return bool(
        Path("/usr/lib/rabbitmq/bin/rabbitmq-server").exists() or shutil.which("rabbitmq-server")
    )


def _free_block(size: int) -> int:
    """The first port of ``size`` consecutive free loopback ports, below the ephemeral range and
    clear of the ports a system RabbitMQ and its command-line tools use (25672, 35672-35682)."""
    for base in random.sample(range(20000, 30000, 40), 250):
        if base <= 25672 < base + size:
            continue
        ports = range(base, base + size)
        try:
            for port in ports:
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no free block of loopback ports")


class RabbitMQCluster:
    """Three RabbitMQ nodes started by ``deploy/rabbitmq-cluster.sh`` in a folder of their own."""

    def __init__(self, folder: Path) -> None:
        self.env = {
            **os.environ,
            "RABBITMQ_CLUSTER_DIR": str(folder),
            "RABBITMQ_CLUSTER_NAME": f"courier-test-{os.getpid()}",
            "RABBITMQ_CLUSTER_PORT": str(_free_block(24)),
            "RABBITMQ_CLUSTER_MANAGEMENT": "0",
        }
        self.port = int(self.env["RABBITMQ_CLUSTER_PORT"])
        self.down: set[int] = set()

    def run(self, *args: str, timeout: float = 300) -> str:
        done = subprocess.run(
            [str(SCRIPT), *args], env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if done.returncode:
            raise RuntimeError(f"rabbitmq-cluster.sh {' '.join(args)}: {done.stderr[-2000:]}")
        return done.stdout.strip()

    def mqtt_port(self, node: int) -> int:
        return self.port + 10 * (node - 1) + 1

    def address(self, *nodes: int) -> BrokerAddress:
        """MQTT 3.1.1 through the nodes named, tried in that order."""
        hosts = ",".join(f"127.0.0.1:{self.mqtt_port(node)}" for node in nodes)
        return parse_url(f"mqtt://{hosts}?version=3.1.1")

    def node_name(self, node: int) -> str:
        return self.run("node", str(node))

    def leader_of(self, queue: str, *, asking: int) -> int:
        """Which node leads the quorum queue ``queue`` (node ``asking`` answers)."""
        names = {self.node_name(node): node for node in (1, 2, 3)}
        env = {**self.env, "HOME": self.env["RABBITMQ_CLUSTER_DIR"]}
        binary = "/usr/lib/rabbitmq/bin/rabbitmqctl"
        listed = subprocess.run(
            [binary if Path(binary).exists() else "rabbitmqctl", "-q", "-n",
             self.node_name(asking), "list_queues", "name", "leader", "--formatter", "json"],
            env=env, capture_output=True, text=True, timeout=120, check=True,
        ).stdout  # fmt: skip
        leaders = {row["name"]: row["leader"] for row in json.loads(listed)}
        return names[leaders[queue]]

    def kill(self, node: int) -> None:
        self.run("kill-node", str(node))
        self.down.add(node)

    def shut_down(self) -> None:
        """Stop every node; one that does not stop in time is killed, so none outlives the run."""
        try:
            self.run("stop", timeout=300)
        except (RuntimeError, subprocess.TimeoutExpired):
            for node in (1, 2, 3):
                with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                    self.run("kill-node", str(node), timeout=60)

    def revive(self) -> None:
        """Start again every node a test killed, so that the next test gets three."""
        for node in sorted(self.down):
            self.run("start-node", str(node))
        self.down.clear()


@pytest.fixture(scope="session")
def rabbitmq_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RabbitMQCluster]:
    """Started once for the tests that need it (a minute or two on a busy machine)."""
    if not rabbitmq_installed():
        if os.environ.get("COURIER_REQUIRE_RABBITMQ") == "1":
            pytest.fail("rabbitmq-server is required (COURIER_REQUIRE_RABBITMQ=1) but missing")
        pytest.skip("rabbitmq-server is not installed")
    cluster = RabbitMQCluster(tmp_path_factory.mktemp("rabbitmq"))
    try:
        cluster.run("start", timeout=600)
        yield cluster
    finally:
        cluster.shut_down()


@pytest.fixture
def rabbitmq(rabbitmq_cluster: RabbitMQCluster) -> RabbitMQCluster:
    """The shared cluster with all three nodes running."""
    rabbitmq_cluster.revive()
    return rabbitmq_cluster
