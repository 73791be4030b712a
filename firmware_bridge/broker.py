"""The broker ``courier run`` brings along: a private Mosquitto, or the embedded amqtt broker.

The private Mosquitto gets a generated configuration under ``var/mqtt/``: loopback only,
persistence on, queues deep enough that nothing is dropped, an expiry for abandoned sessions,
a password per client and topic ACLs that keep each controller under its own prefix. Without
the ``mosquitto`` program the embedded amqtt broker starts instead; it is for trying the product
only (MQTT 3.1.1, no session for anonymous clients, no redelivery after a reconnect).
"""

from __future__ import annotations

import asyncio
import getpass
import json
import logging
import secrets
import shutil
import socket
import subprocess
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)
BRIDGE_USER = "courier-bridge"
DEFAULT_PORT = 1884
#: The largest MQTT packet the private Mosquitto accepts: a 64 KiB payload and its headers.
MAX_PACKET = 64 * 1024 + 1024


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A TCP port on the loopback nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_listening(port: int, seconds: float = 10) -> None:
    """Return once something accepts connections on loopback ``port``; raise after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"the broker did not start listening on port {port}")


@dataclass
class RunningBroker:
    """A broker started for this process; ``url_for`` gives each client its address."""

    port: int
    kind: str  # "mosquitto" or "amqtt"
    credentials: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    stop_embedded: threading.Event | None = None

    def url_for(self, user: str) -> str:
        if self.kind == "amqtt":
            return f"mqtt://127.0.0.1:{self.port}?protocol=311"
        return f"mqtt://{user}:{self.credentials[user]}@127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
        if self.stop_embedded is not None:
            self.stop_embedded.set()


def _credentials(folder: Path, users: list[str]) -> dict[str, str]:
    """One password per client, generated once and kept in ``credentials.json`` (mode 600)."""
    path = folder / "credentials.json"
    known: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    for user in users:
        known.setdefault(user, secrets.token_urlsafe(18))
    path.write_text(json.dumps(known, indent=2))
    path.chmod(0o600)
    return known


def start_mosquitto(folder: Path, controllers: list[str], port: int | None = None) -> RunningBroker:
    folder.mkdir(parents=True, exist_ok=True)
    port = port or (DEFAULT_PORT if _port_free(DEFAULT_PORT) else free_port())
    credentials = _credentials(folder, [BRIDGE_USER, *controllers])
    passwords = folder / "passwords"
    passwords.write_text("")
    passwd = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
    for user, password in credentials.items():
        subprocess.run([passwd, "-b", str(passwords), user, password], check=True)
    passwords.chmod(0o600)
    acl = folder / "acl"
    acl.write_text(
        f"user {BRIDGE_USER}\ntopic readwrite cc/v1/#\n\n"
        "# every controller only under its own prefix (its user name is its controller id)\n"
        "pattern readwrite cc/v1/+/%u/#\n"
    )
    acl.chmod(0o600)
    config = folder / "mosquitto.conf"
    config.write_text(
        f"listener {port} 127.0.0.1\n"
        "allow_anonymous false\n"
        f"password_file {passwords}\n"
        f"acl_file {acl}\n"
        "persistence true\n"
        f"persistence_location {folder}/\n"
        "autosave_interval 10\n"
        "max_queued_messages 200000\n"
        "max_inflight_messages 1000\n"
        "persistent_client_expiration 14d\n"
        # The contract's limit: a bigger message is refused at the door (MQTT v5 clients are
        # told so at connect) and never reaches the bridge.
        f"max_packet_size {MAX_PACKET}\n"
        f"log_dest file {folder}/mosquitto.log\n"
        # As root, mosquitto would switch to its own user and lose access to these 0600 files.
        f"user {getpass.getuser()}\n"
    )
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    process = subprocess.Popen(
        [binary, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_listening(port)
    return RunningBroker(port, "mosquitto", credentials, process=process)


def start_amqtt(port: int | None = None) -> RunningBroker:
    """The embedded broker in a thread of this process (anonymous, MQTT 3.1.1)."""
    from amqtt.broker import Broker

    port = port or (DEFAULT_PORT if _port_free(DEFAULT_PORT) else free_port())
    stop = threading.Event()
    config = {
        "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{port}"}},
        "auth": {"allow-anonymous": True},
        "topic-check": {"enabled": False},
    }

    def serve() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            broker = Broker(config, loop=loop)
            loop.run_until_complete(broker.start())
        while not stop.is_set():
            loop.run_until_complete(asyncio.sleep(0.2))
        loop.run_until_complete(broker.shutdown())
        loop.close()

    threading.Thread(target=serve, name="amqtt", daemon=True).start()
    wait_listening(port)
    return RunningBroker(port, "amqtt", stop_embedded=stop)


def start_private_broker(folder: Path, controllers: list[str]) -> RunningBroker:
    """Mosquitto when installed, otherwise the embedded amqtt broker (with a warning)."""
    if shutil.which("mosquitto") or Path("/usr/sbin/mosquitto").exists():
        return start_mosquitto(folder, controllers)
    log.warning(
        "mosquitto is not installed: starting the embedded amqtt broker. It is for trying the "
        "product only: MQTT 3.1.1, no session for anonymous clients, no redelivery of "
        "unacknowledged messages after a reconnect. Install mosquitto for real use."
    )
    return start_amqtt()
