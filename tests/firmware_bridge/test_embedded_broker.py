"""The embedded amqtt broker ``courier run`` falls back to: MQTT 3.1.1, for trying the product."""

import subprocess
import sys

import pytest
from sqlalchemy import func, select

from core.codes import controller_key
from firmware_bridge.bridge import Bridge
from firmware_bridge.broker import RunningBroker, free_port, wait_listening
from firmware_bridge.connection import parse_url
from firmware_bridge.models import DeviceEvent
from firmware_bridge.simulator import SimulatedController
from lockers.compartments import add_bank, bank_by_controller
from lockers.models import BankKind, Presence, Size
from tests import factories
from tests.conftest import CODE_KEY
from tests.factories import LABEL_KEY
from tests.firmware_bridge.conftest import eventually


@pytest.fixture
def amqtt():
    """The embedded broker, started by ``start_amqtt`` in a child process: amqtt leaves sockets
    to the garbage collector at shutdown, which this suite treats as an error."""
    port = free_port()
    child = subprocess.Popen(
        [sys.executable, "-c",
         f"import time; from firmware_bridge.broker import start_amqtt; start_amqtt({port}); "
         "time.sleep(3600)"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_listening(port)
        yield RunningBroker(port, "amqtt")
    finally:
        child.terminate()
        child.wait(timeout=10)


def test_a_controller_reports_through_the_embedded_broker_over_mqtt_311(
    read, amqtt, sessions, write, tmp_path
):
    def setup(session):
        place = factories.location(session, "NH-LOCKER-1", "NH", kind="locker_site")
        add_bank(session, "NH-DB-01", "投递柜", BankKind.DROP_BOX, place, [Size.M] * 2)

    write(setup)
    address = parse_url(amqtt.url_for("any"))
    assert not address.v5
    bridge = Bridge(address, sessions, LABEL_KEY, client_id="embedded-bridge")
    bridge.start()
    controller = SimulatedController(
        address, "NH", "NH-DB-01", 2, tmp_path / "sims", controller_key(CODE_KEY, "NH-DB-01")
    )
    controller.start()
    try:
        assert controller.connected.wait(10)
        controller.emit("door_opened", {"compartment": 1, "by": "code"})
        assert controller.wait_acked(20)
        count = select(func.count()).select_from(DeviceEvent)
        eventually(lambda: read(lambda s: s.scalar(count)) == 1)
        eventually(lambda: read(lambda s: bank_by_controller(s, "NH-DB-01").presence)
                   == Presence.ONLINE)  # fmt: skip
    finally:
        controller.stop()
        bridge.stop()
