"""``/readyz``: the database answers and the MQTT broker accepts connections."""

from __future__ import annotations

import dataclasses
import socket

import pytest

from firmware_bridge.broker import free_port


@pytest.fixture
def app_with_broker(app, settings):
    def configure(url: str):
        app.config["COURIER_SETTINGS"] = dataclasses.replace(settings, mqtt_url=url)
        return app.test_client()

    return configure


def test_without_a_broker_of_its_own_the_site_is_ready_when_the_database_answers(client):
    answer = client.get("/readyz")
    assert (answer.status_code, answer.get_json()) == (
        200,
        {"status": "ready", "database": True, "broker": None},
    )


def test_a_reachable_node_of_the_broker_makes_the_site_ready(app_with_broker):
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        port = listening.getsockname()[1]
        client = app_with_broker(f"mqtt://127.0.0.1:{free_port()},127.0.0.1:{port}?version=3.1.1")
        answer = client.get("/readyz")
    assert (answer.status_code, answer.get_json()["broker"]) == (200, True)


def test_a_broker_nobody_answers_for_makes_the_site_unavailable(app_with_broker):
    answer = app_with_broker(f"mqtt://127.0.0.1:{free_port()}").get("/readyz")
    assert (answer.status_code, answer.get_json()) == (
        503,
        {"status": "unavailable", "database": True, "broker": False},
    )
