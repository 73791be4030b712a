"""Broker URLs: the protocol version and the nodes of a cluster."""

from __future__ import annotations

import socket

import pytest
from paho.mqtt.enums import MQTTProtocolVersion

from firmware_bridge.broker import free_port
from firmware_bridge.connection import connect, new_client, parse_url


def test_a_url_without_a_version_speaks_mqtt_5():
    assert parse_url("mqtt://127.0.0.1:1883").v5


@pytest.mark.parametrize("query", ["version=3.1.1", "protocol=3.1.1", "version=311"])
def test_version_3_1_1_is_chosen_in_the_url(query):
    assert parse_url(f"mqtt://127.0.0.1:1883?{query}").protocol is MQTTProtocolVersion.MQTTv311


def test_an_unknown_version_is_refused():
    with pytest.raises(ValueError, match="version"):
        parse_url("mqtt://127.0.0.1?version=4.2")


def test_the_nodes_of_a_cluster_are_tried_in_the_order_listed():
    address = parse_url("mqtt://bridge:s%40cret@10.0.0.1:1884,10.0.0.2,10.0.0.3:1886?version=3.1.1")
    assert address.servers == (("10.0.0.1", 1884), ("10.0.0.2", 1883), ("10.0.0.3", 1886))
    assert (address.username, address.password) == ("bridge", "s@cret")


def test_a_client_connects_to_the_next_node_when_the_first_is_down():
    down = free_port()
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        listening.settimeout(10)
        up = listening.getsockname()[1]
        address = parse_url(f"mqtt://127.0.0.1:{down},127.0.0.1:{up}?version=3.1.1")
        client = new_client(address, "test-client", persistent=True)
        connect(client, address, persistent=True)
        accepted, peer = listening.accept()
        accepted.close()
        assert peer[0] == "127.0.0.1"
        client.socket().close()
