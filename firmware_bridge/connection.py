"""MQTT connection settings from a URL: ``mqtt://user:password@host:1883?protocol=5``."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

#: How long the broker keeps a disconnected persistent session (and queues its messages).
SESSION_EXPIRY = 7 * 24 * 3600


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    username: str | None
    password: str | None
    protocol: MQTTProtocolVersion

    @property
    def v5(self) -> bool:
        return self.protocol is MQTTProtocolVersion.MQTTv5


def parse_url(url: str) -> BrokerAddress:
    parts = urlsplit(url)
    if parts.scheme not in {"mqtt", "tcp"}:
        raise ValueError(f"unsupported MQTT URL scheme {parts.scheme!r}")
    protocol = parse_qs(parts.query).get("protocol", ["5"])[0]
    return BrokerAddress(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 1883,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        protocol=MQTTProtocolVersion.MQTTv311
        if protocol in {"3", "311", "3.1.1"}
        else MQTTProtocolVersion.MQTTv5,
    )


def new_client(address: BrokerAddress, client_id: str, *, persistent: bool) -> mqtt.Client:
    """A paho 2 client; ``persistent`` keeps the session (and queued QoS 1 messages) while away."""
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=address.protocol,
        clean_session=None if address.v5 else not persistent,
    )
    if address.username:
        client.username_pw_set(address.username, address.password)
    # Reconnect quickly after a broker restart; paho's default backoff grows to two minutes.
    client.reconnect_delay_set(min_delay=1, max_delay=10)
    return client


def connect(
    client: mqtt.Client, address: BrokerAddress, *, persistent: bool, keepalive: int = 30
) -> None:
    if address.v5:
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = SESSION_EXPIRY if persistent else 0
        client.connect(
            address.host, address.port, keepalive, clean_start=not persistent, properties=properties
        )
    else:
        client.connect(address.host, address.port, keepalive)
