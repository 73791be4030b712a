"""The simulator publishes its ``state`` snapshot (on connecting and when a ``snapshot``
command asks) and the bridge compares it, through a real Mosquitto: a difference is an alert,
never a change of custody."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from firmware_bridge import commands
from firmware_bridge.simulator import SimulatedController
from lockers.compartments import bank_by_controller, compartment
from lockers.models import Alert, AlertKind, CompartmentState
from tests.firmware_bridge.conftest import eventually, key_of
from tests.firmware_bridge.test_bridge_with_mosquitto import CTL, drop_box

__all__ = ["drop_box"]
pytestmark = pytest.mark.slow


@pytest.fixture
def start(mosquitto, drop_box, tmp_path):
    """Start a simulated controller of the drop box; each is stopped after the test."""
    started = []

    def run(**options):
        simulated = SimulatedController(
            mosquitto.address, "NH", CTL, 4, tmp_path / "controllers", key_of(CTL), **options
        )
        simulated.start()
        assert simulated.connected.wait(10)
        started.append(simulated)
        return simulated

    yield run
    for simulated in started:
        simulated.stop()


def mismatches(read):
    return read(
        lambda s: s.scalars(
            select(Alert.message).where(Alert.kind == AlertKind.STATE_MISMATCH)
        ).all()
    )


def ask_for_snapshot(write):
    write(lambda s: commands.queue_command(s, bank_by_controller(s, CTL), "snapshot"))


def set_server_state(write, number, state):
    write(lambda s: setattr(compartment(s, bank_by_controller(s, CTL), number), "state", state))


def server_state(read, number):
    return read(lambda s: compartment(s, bank_by_controller(s, CTL), number).state)


def test_a_connecting_controllers_state_is_compared_and_agreeing_raises_nothing(
    read, bridge, start, caplog
):
    caplog.set_level(logging.DEBUG, logger="firmware_bridge.ingest")
    start()
    eventually(lambda: "state compared: 0 differences" in caplog.text)
    assert mismatches(read) == []


def test_a_connecting_controller_that_holds_what_the_server_does_not_know_is_an_alert(
    read, bridge, start
):
    start(occupied=[3])
    eventually(lambda: mismatches(read))
    assert mismatches(read) == [
        f"{CTL} compartment 3: controller reports occupied, server has free"
    ]
    assert server_state(read, 3) == CompartmentState.FREE


def test_a_snapshot_asked_for_by_command_alerts_each_difference_and_keeps_custody(
    read, write, bridge, start, caplog
):
    caplog.set_level(logging.DEBUG, logger="firmware_bridge.ingest")
    start()
    eventually(lambda: "state compared" in caplog.text)
    set_server_state(write, 2, CompartmentState.OCCUPIED)
    ask_for_snapshot(write)
    eventually(lambda: mismatches(read))
    assert mismatches(read) == [
        f"{CTL} compartment 2: controller reports empty, server has occupied"
    ]
    assert server_state(read, 2) == CompartmentState.OCCUPIED


def test_the_snapshot_follows_the_controllers_own_events(read, write, bridge, start, caplog):
    caplog.set_level(logging.DEBUG, logger="firmware_bridge.ingest")
    controller = start()
    controller.deposit(2, None)
    assert controller.wait_acked()
    assert controller.snapshot()["compartments"][1] == {
        "number": 2,
        "door": "closed",
        "occupied": True,
        "fault": None,
    }
    caplog.clear()
    ask_for_snapshot(write)
    eventually(lambda: "state compared: 0 differences" in caplog.text)
    assert mismatches(read) == []
