"""No message stops the bridge: each poison message of issue #13 is dead-lettered with its reason
through a real Mosquitto, and another controller's next event is acknowledged within a second."""

from __future__ import annotations

import json
import threading
import time

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DataError, OperationalError

from core import clock
from firmware_bridge import ingest
from firmware_bridge.models import DeadLetter, DeviceEvent
from lockers.compartments import add_bank
from lockers.models import BankKind, Size
from tests import factories
from tests.firmware_bridge.conftest import eventually
from tests.firmware_bridge.test_bridge_with_mosquitto import raw_publisher

pytestmark = pytest.mark.slow
POISONED, HEALTHY = "NH-DB-01", "XL-DB-02"


@pytest.fixture
def banks(write):
    def setup(session):
        for campus, ctl in (("NH", POISONED), ("XL", HEALTHY)):
            place = factories.location(session, f"{campus}-LOCKER-1", campus, kind="locker_site")
            add_bank(session, ctl, ctl, BankKind.DROP_BOX, place, [Size.M] * 4)

    write(setup)


def body(seq, ctl=POISONED, **fields):
    return {"v": 1, "ctl": ctl, "boot": 1, "seq": seq, "type": "door_opened",
            "ts": clock.now().isoformat(), "data": {"compartment": 1}, **fields}  # fmt: skip


class Healthy:
    """The other controller: publishes an event and times its ``evt/ack``."""

    def __init__(self, mosquitto):
        self.client = raw_publisher(mosquitto)
        self.acked: dict[int, float] = {}
        self.arrived = threading.Condition()
        self.client.on_message = self._ack
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *_: subscribed.set()
        self.client.subscribe(f"cc/v1/XL/{HEALTHY}/evt/ack", qos=1)
        assert subscribed.wait(5)
        self.seq = 0

    def _ack(self, _client, _userdata, message):
        with self.arrived:
            self.acked[json.loads(message.payload)["upto_seq"]] = time.monotonic()
            self.arrived.notify_all()

    def seconds_to_ack(self) -> float:
        self.seq += 1
        sent = time.monotonic()
        payload = json.dumps(body(self.seq, HEALTHY)).encode()
        self.client.publish(f"cc/v1/XL/{HEALTHY}/evt", payload, qos=1)
        with self.arrived:
            self.arrived.wait_for(lambda: self.seq in self.acked, timeout=10)
        return self.acked.get(self.seq, float("inf")) - sent


#: The other controller is still answered (a bridge stuck on the poison answers never); how fast
#: is measured by bench.bridge, not asserted on a loaded CI machine.
HEALTHY_ACK = 5.0


@pytest.fixture
def healthy(mosquitto, banks, bridge):
    other = Healthy(mosquitto)
    assert other.seconds_to_ack() < HEALTHY_ACK  # the bridge is up and subscribed
    yield other
    other.client.loop_stop()


def dead_letters(read):
    return read(lambda s: s.scalars(select(DeadLetter.reason).order_by(DeadLetter.id)).all())


POISON = {
    "evt-seq-2^63": ("evt", body(2**63), "seq is missing or not an integer"),
    "evt-boot-2^31": ("evt", body(1, boot=2**31), "boot is missing or not an integer"),
    "evt-ts-year-9999": ("evt", body(1, ts="9999-12-31T23:59:59-14:00"), "implausible"),
    "hb-seq-2^63": ("hb", {"boot": 1, "seq": 2**63, "uptime": 1}, "hb: boot"),
    "status-boot-2^31": ("status", {"state": "online", "boot": 2**31}, "status: boot"),
    "fault-nul": (
        "evt",
        body(1, type="fault", data={"component": "lock", "detail": "jam\0med"}),
        "NUL character",
    ),
    "seq-float": ("evt", body(31.0), "JSON integer"),
}


@pytest.mark.parametrize(("channel", "payload", "reason"), POISON.values(), ids=POISON.keys())
def test_a_poison_message_is_dead_lettered_and_other_controllers_go_on(
    read, mosquitto, healthy, channel, payload, reason
):
    poisoner = raw_publisher(mosquitto)
    poisoner.publish(f"cc/v1/NH/{POISONED}/{channel}", json.dumps(payload), qos=1, retain=False)
    assert reason in eventually(lambda: dead_letters(read))[0]
    assert healthy.seconds_to_ack() < HEALTHY_ACK
    poisoner.loop_stop()


def test_a_10_mb_payload_is_refused_by_the_broker_and_stores_nothing(read, mosquitto, healthy):
    poisoner = raw_publisher(mosquitto)
    poisoner.publish(f"cc/v1/NH/{POISONED}/evt", b"x" * 10_000_000, qos=1)
    assert healthy.seconds_to_ack() < HEALTHY_ACK
    assert dead_letters(read) == []
    poisoner.loop_stop()


def test_a_database_error_in_one_message_dead_letters_it_and_stores_the_rest(
    read, mosquitto, healthy, monkeypatch
):
    applied = ingest.apply_event

    def fails_on_compartment_3(session, bank, kind, data, *args):
        if data.get("compartment") == 3:
            raise DataError("INSERT …", {}, Exception("value out of range"))
        return applied(session, bank, kind, data, *args)

    monkeypatch.setattr(ingest, "apply_event", fails_on_compartment_3)
    poisoner = raw_publisher(mosquitto)
    for seq, number in ((1, 1), (2, 3), (3, 2)):
        payload = json.dumps(body(seq, data={"compartment": number}))
        poisoner.publish(f"cc/v1/NH/{POISONED}/evt", payload, qos=1)
    events = select(func.count()).select_from(DeviceEvent).where(DeviceEvent.controller == POISONED)
    eventually(lambda: read(lambda s: s.scalar(events)) == 2)
    (reason,) = dead_letters(read)
    assert reason.startswith("could not be stored: DataError")
    assert healthy.seconds_to_ack() < HEALTHY_ACK
    poisoner.loop_stop()


def test_a_locked_database_delays_a_batch_but_dead_letters_nothing(
    read, mosquitto, healthy, monkeypatch
):
    applied = ingest.apply_event
    locked = {"left": 3}

    def locked_three_times(*args):
        if locked["left"]:
            locked["left"] -= 1
            raise OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))
        return applied(*args)

    monkeypatch.setattr(ingest, "apply_event", locked_three_times)
    poisoner = raw_publisher(mosquitto)
    poisoner.publish(f"cc/v1/NH/{POISONED}/evt", json.dumps(body(1)), qos=1)
    events = select(func.count()).select_from(DeviceEvent).where(DeviceEvent.controller == POISONED)
    eventually(lambda: read(lambda s: s.scalar(events)) == 1)
    assert dead_letters(read) == []
    poisoner.loop_stop()
