"""MQTT connection settings from a URL: ``mqtt://user:password@host:1883?version=5``.

``version`` (or ``protocol``) is ``5`` (the default) or ``3.1.1``. A cluster's nodes are listed
with commas, ``mqtt://127.0.0.1:26001,127.0.0.1:26011,127.0.0.1:26021?version=3.1.1``: the
client connects to the first that answers and, when its connection is lost, to the next.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

#: How long the broker keeps a disconnected persistent session (and queues its messages).
SESSION_EXPIRY = 7 * 24 * 3600
_V311 = {"3", "311", "3.1.1", "4"}
_V5 = {"5", "5.0"}


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    username: str | None
    password: str | None
    protocol: MQTTProtocolVersion
    #: Further nodes of the same cluster, tried in turn after ``host``:``port``.
    others: tuple[tuple[str, int], ...] = ()

    @property
    def v5(self) -> bool:
        return self.protocol is MQTTProtocolVersion.MQTTv5

    @property
    def servers(self) -> tuple[tuple[str, int], ...]:
        """Every node to connect to, in the order they are tried."""
        return ((self.host, self.port), *self.others)


def parse_url(url: str) -> BrokerAddress:
    parts = urlsplit(url)
    if parts.scheme not in {"mqtt", "tcp"}:
        raise ValueError(f"unsupported MQTT URL scheme {parts.scheme!r}")
    query = parse_qs(parts.query)
    version = (query.get("version") or query.get("protocol") or ["5"])[0]
    if version not in _V311 | _V5:
        raise ValueError(f"unsupported MQTT version {version!r} (5 or 3.1.1)")
    credentials, _, hosts = parts.netloc.rpartition("@")
    servers = [_server(entry) for entry in hosts.split(",")]
    return BrokerAddress(
        host=servers[0][0],
        port=servers[0][1],
        username=unquote(parts.username) if credentials and parts.username else None,
        password=unquote(parts.password) if credentials and parts.password else None,
        protocol=MQTTProtocolVersion.MQTTv311 if version in _V311 else MQTTProtocolVersion.MQTTv5,
        others=tuple(servers[1:]),
    )


def _server(entry: str) -> tuple[str, int]:
    # urlsplit reads one host:port only; each entry of a node list is parsed alone.
    parts = urlsplit(f"//{entry}")
    return parts.hostname or "127.0.0.1", parts.port or 1883


class _ClusterClient(mqtt.Client):
    """A paho client that reconnects to the next node of a cluster.

    paho reconnects to the host it connected to first; after that node died it would knock on
    a closed port until the node came back, while the cluster's other nodes hold the session.
    """

    def __init__(self, servers: tuple[tuple[str, int], ...], **kwargs: object) -> None:
        super().__init__(CallbackAPIVersion.VERSION2, **kwargs)  # type: ignore[arg-type]
        self._servers = servers
        self._attempt = 0

    def reconnect(self) -> mqtt.MQTTErrorCode:
        # The host and port setters refuse while paho is reconnecting; the fields are what
        # reconnect() reads.
        self._host, self._port = self._servers[self._attempt % len(self._servers)]
        self._attempt += 1
        return super().reconnect()


def new_client(address: BrokerAddress, client_id: str, *, persistent: bool) -> mqtt.Client:
    """A paho 2 client; ``persistent`` keeps the session (and queued QoS 1 messages) while away."""
    options = {
        "client_id": client_id,
        "protocol": address.protocol,
        "clean_session": None if address.v5 else not persistent,
    }
    client = (
        _ClusterClient(address.servers, **options)
        if address.others
        else mqtt.Client(CallbackAPIVersion.VERSION2, **options)  # type: ignore[arg-type]
    )
    if address.username:
        client.username_pw_set(address.username, address.password)
    # Reconnect quickly after a broker restart; paho's default backoff grows to two minutes.
    client.reconnect_delay_set(min_delay=1, max_delay=10)
    return client


def connect(
    client: mqtt.Client, address: BrokerAddress, *, persistent: bool, keepalive: int = 30
) -> None:
    """Connect to the first node that answers (each is tried once, in order)."""
    for index, (host, port) in enumerate(address.servers):
        try:
            if address.v5:
                properties = Properties(PacketTypes.CONNECT)
                properties.SessionExpiryInterval = SESSION_EXPIRY if persistent else 0
                client.connect(
                    host, port, keepalive, clean_start=not persistent, properties=properties
                )
            else:
                client.connect(host, port, keepalive)
            return
        except OSError:
            if index == len(address.servers) - 1:
                raise


def reachable(address: BrokerAddress, timeout: float = 2.0) -> bool:
    """Whether some node of ``address`` accepts a TCP connection: a probe for health checks that
    leaves no MQTT session behind."""
    for host, port in address.servers:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                return True
        except OSError:
            continue
    return False
