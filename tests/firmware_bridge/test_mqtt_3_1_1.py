"""The contract over MQTT 3.1.1 (``?version=3.1.1``): the protocol of a RabbitMQ cluster, tried
here on Mosquitto. Persistent sessions are ``clean_session=false``; nothing relies on MQTT 5."""

from __future__ import annotations

import dataclasses

import pytest
from paho.mqtt.enums import MQTTProtocolVersion
from sqlalchemy import func, select

from courier.models import Consignment
from firmware_bridge import commands
from firmware_bridge.bridge import Bridge
from firmware_bridge.models import Command, CommandStatus, DeviceEvent
from firmware_bridge.simulator import SimulatedController
from lockers.compartments import add_bank, bank_by_controller
from lockers.models import BankKind, Presence, Size
from tests import factories
from tests.factories import LABEL_KEY
from tests.firmware_bridge.conftest import eventually, key_of

pytestmark = pytest.mark.slow
CTL = "NH-DB-01"


@pytest.fixture
def address(mosquitto):
    return dataclasses.replace(mosquitto.address, protocol=MQTTProtocolVersion.MQTTv311)


@pytest.fixture
def drop_box(write):
    def setup(session):
        place = factories.location(session, "NH-LOCKER-1", "NH", kind="locker_site")
        add_bank(session, CTL, "南湖投递柜", BankKind.DROP_BOX, place, [Size.M] * 4)

    write(setup)


def start_bridge(address, sessions):
    bridge = Bridge(address, sessions, LABEL_KEY, client_id="test-bridge-311")
    bridge.start()
    assert bridge.subscribed.wait(10)
    return bridge


@pytest.fixture
def bridge(address, sessions, drop_box):
    running = start_bridge(address, sessions)
    yield running
    running.stop()


@pytest.fixture
def controller(address, drop_box, tmp_path):
    simulated = SimulatedController(
        address, "NH", CTL, 4, tmp_path / "controllers", key_of(CTL), heartbeat_seconds=0.5
    )
    simulated.start()
    assert simulated.connected.wait(10)
    yield simulated
    simulated.stop()


def stored(read) -> int:
    return read(lambda s: s.scalar(select(func.count()).select_from(DeviceEvent)))


def test_a_deposit_over_3_1_1_records_the_consignment(read, write, bridge, controller):
    code = write(
        lambda s: factories.consignment(s, origin="NH", department_campus="XL").tracking_code
    )
    controller.deposit(2, f"http://127.0.0.1/t/{code}")
    assert controller.wait_acked()
    eventually(lambda: read(lambda s: s.scalar(select(Consignment.state))) == "deposited")


def test_a_crashed_controller_is_shown_lost_by_its_3_1_1_will(read, bridge, controller):
    presence = lambda: read(lambda s: bank_by_controller(s, CTL).presence)  # noqa: E731
    eventually(lambda: presence() == Presence.ONLINE)
    controller.crash()
    eventually(lambda: presence() == Presence.LOST)


def test_a_remote_open_over_3_1_1_is_received_and_done(read, write, bridge, controller):
    command_id = write(
        lambda s: (
            commands.queue_command(
                s, bank_by_controller(s, CTL), "open", {"compartment": 3}, reason="stuck door"
            ).cmd_id
        )
    )
    status = lambda: read(  # noqa: E731
        lambda s: s.scalar(select(Command.status).where(Command.cmd_id == command_id))
    )
    eventually(lambda: status() == CommandStatus.DONE)


def test_events_sent_while_the_bridge_was_away_wait_in_its_3_1_1_session(
    read, address, sessions, drop_box, controller
):
    start_bridge(address, sessions).stop()
    for n in range(20):
        controller.emit("door_opened", {"compartment": 1 + n % 4, "by": "code"})
    bridge = start_bridge(address, sessions)
    try:
        assert controller.wait_acked()
    finally:
        bridge.stop()
    assert stored(read) == controller.seq == 20
