"""The bridge and simulated controllers over MQTT 3.1.1 through a three-node RabbitMQ cluster
(``deploy/rabbitmq-cluster.sh``), whose sessions live in quorum queues."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from sqlalchemy import func, select

from firmware_bridge.bridge import Bridge
from firmware_bridge.models import DeadLetter, DeviceEvent
from firmware_bridge.simulator import SimulatedController
from lockers.compartments import add_bank
from lockers.models import BankKind, Size
from tests import factories
from tests.factories import LABEL_KEY
from tests.firmware_bridge.conftest import eventually, key_of

pytestmark = pytest.mark.slow
log = logging.getLogger(__name__)
CONTROLLERS = [f"NH-DB-{n:02d}" for n in range(1, 7)]
EVENTS = 120
BRIDGE = "courier-bridge-rabbitmq"


@pytest.fixture
def drop_boxes(write):
    def setup(session):
        place = factories.location(session, "NH-LOCKER-1", "NH", kind="locker_site")
        for controller in CONTROLLERS:
            add_bank(session, controller, controller, BankKind.DROP_BOX, place, [Size.M] * 4)

    write(setup)


def stored(read) -> int:
    return read(lambda s: s.scalar(select(func.count()).select_from(DeviceEvent)))


def door_events(controller: SimulatedController, count: int) -> None:
    """Someone opens and shuts the box's doors, an event every few hundredths of a second."""
    for n in range(count):
        compartment = 1 + n // 2 % 4
        if n % 2 == 0:
            controller.emit("door_opened", {"compartment": compartment, "by": "code"})
        else:
            controller.emit("door_closed", {"compartment": compartment, "occupied": False})
        time.sleep(0.03)


def test_killing_the_node_that_holds_the_bridges_session_loses_and_repeats_no_event(
    rabbitmq, drop_boxes, sessions, read, tmp_path
):
    bridge = Bridge(rabbitmq.address(1, 2, 3), sessions, LABEL_KEY, client_id=BRIDGE)
    bridge.start()
    assert bridge.subscribed.wait(60)
    # The session's queue is created on the node the bridge connected to (client-local leader).
    holder = rabbitmq.leader_of(f"mqtt-subscription-{BRIDGE}qos1", asking=2)
    others = [node for node in (1, 2, 3) if node != holder]
    controllers = [
        SimulatedController(
            rabbitmq.address(others[i % 2], others[(i + 1) % 2], holder),
            "NH",
            name,
            4,
            tmp_path / "controllers",
            key_of(name),
            heartbeat_seconds=2,
        )
        for i, name in enumerate(CONTROLLERS)
    ]
    for controller in controllers:
        controller.start()
        assert controller.connected.wait(30)
    emitters = [threading.Thread(target=door_events, args=(c, EVENTS)) for c in controllers]
    total = EVENTS * len(controllers)
    try:
        for emitter in emitters:
            emitter.start()
        eventually(lambda: stored(read) >= total // 4, timeout=60)
        killed_at = time.monotonic()
        rabbitmq.kill(holder)
        assert stored(read) < total, "the stream was over before the node died"
        for emitter in emitters:
            emitter.join(120)
        eventually(lambda: all(not c.pending() for c in controllers), timeout=120)
        log.info("every event stored %.1f s after the kill", time.monotonic() - killed_at)
    finally:
        for controller in controllers:
            controller.stop()
        bridge.stop()

    def stored_by_controller(session):
        rows = session.execute(
            select(DeviceEvent.controller, DeviceEvent.seq, DeviceEvent.applied).order_by(
                DeviceEvent.controller, DeviceEvent.seq
            )
        ).all()
        return {
            name: [(seq, applied) for ctl, seq, applied in rows if ctl == name]
            for name in CONTROLLERS
        }

    # Every seq each controller sent (its door events, and a replay_done per replay it was
    # asked for) is stored once and applied.
    sent = {c.controller: [(seq, True) for seq in range(1, c.seq + 1)] for c in controllers}
    assert read(stored_by_controller) == sent
    assert all(c.seq >= EVENTS for c in controllers)
    assert read(lambda s: s.scalar(select(func.count()).select_from(DeadLetter))) == 0
