"""The bridge and simulated controllers through a real Mosquitto."""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from sqlalchemy import func, select

from core import clock
from courier.models import Consignment
from firmware_bridge import commands
from firmware_bridge.models import Command, CommandStatus, DeadLetter, DeviceEvent
from firmware_bridge.simulator import SimulatedController
from lockers.compartments import add_bank, bank_by_controller
from lockers.models import Alert, AlertKind, BankKind, Presence, Size
from tests import factories
from tests.factories import LABEL_KEY
from tests.firmware_bridge.conftest import eventually, key_of

pytestmark = pytest.mark.slow
CTL = "NH-DB-01"


@pytest.fixture
def drop_box(write):
    def setup(session):
        place = factories.location(session, "NH-LOCKER-1", "NH", kind="locker_site")
        add_bank(session, CTL, "南湖投递柜", BankKind.DROP_BOX, place, [Size.M] * 4)

    write(setup)


@pytest.fixture
def controller(mosquitto, drop_box, tmp_path):
    simulated = SimulatedController(
        mosquitto.address,
        "NH",
        CTL,
        4,
        tmp_path / "controllers",
        key_of(CTL),
        heartbeat_seconds=0.5,
    )
    simulated.start()
    assert simulated.connected.wait(10)
    yield simulated
    simulated.stop()


def count(read, *where):
    return read(lambda s: s.scalar(select(func.count()).select_from(DeviceEvent).where(*where)))


def raw_publisher(mosquitto):
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"raw-{uuid.uuid4()}",
                         protocol=MQTTProtocolVersion.MQTTv5)  # fmt: skip
    client.connect("127.0.0.1", mosquitto.port)
    client.loop_start()
    return client


def envelope(seq, kind="door_opened", data=None, ctl=CTL):
    return json.dumps({"v": 1, "ctl": ctl, "boot": 1, "seq": seq, "type": kind,
                       "ts": clock.now().isoformat(),
                       "data": data or {"compartment": 1}})  # fmt: skip


def test_a_deposit_with_a_label_records_the_consignment(read, write, bridge, controller):
    code = write(
        lambda s: factories.consignment(s, origin="NH", department_campus="XL").tracking_code
    )
    controller.deposit(2, f"http://127.0.0.1/t/{code}")
    assert controller.wait_acked()
    state = eventually(lambda: read(lambda s: s.scalar(select(Consignment.state))) == "deposited")
    assert state


def test_the_same_event_published_twice_is_stored_once(read, mosquitto, drop_box, bridge):
    client = raw_publisher(mosquitto)
    for _ in range(2):
        client.publish(f"cc/v1/NH/{CTL}/evt", envelope(1), qos=1).wait_for_publish(5)
    client.publish(f"cc/v1/NH/{CTL}/evt", envelope(2), qos=1).wait_for_publish(5)
    eventually(lambda: count(read) == 2)
    client.loop_stop()
    assert count(read, DeviceEvent.seq == 1) == 1


def test_a_gap_brings_a_replay_request_and_events_apply_in_order(read, mosquitto, drop_box, bridge):
    client = raw_publisher(mosquitto)
    asked = threading.Event()
    client.on_message = lambda _c, _u, m: asked.set() if b'"replay"' in m.payload else None
    client.subscribe(f"cc/v1/NH/{CTL}/cmd", qos=1)
    client.publish(f"cc/v1/NH/{CTL}/evt", envelope(1), qos=1).wait_for_publish(5)
    client.publish(f"cc/v1/NH/{CTL}/evt", envelope(3), qos=1).wait_for_publish(5)
    assert asked.wait(10)
    assert count(read, DeviceEvent.applied.is_(True)) == 1
    client.publish(f"cc/v1/NH/{CTL}/evt", envelope(2), qos=1).wait_for_publish(5)
    eventually(lambda: count(read, DeviceEvent.applied.is_(True)) == 3)
    client.loop_stop()


@pytest.mark.parametrize(
    "payload",
    [
        b"{broken",
        json.dumps({"v": 1, "ctl": CTL}).encode(),
        envelope(1, ctl="XL-DB-09").encode(),
        envelope(1, data={"compartment": 42}).encode(),
    ],
    ids=["not-json", "missing-fields", "other-controller", "unknown-compartment"],
)
def test_bad_payloads_are_dead_lettered_and_the_bridge_keeps_going(
    read, mosquitto, drop_box, bridge, payload
):
    client = raw_publisher(mosquitto)
    client.publish(f"cc/v1/NH/{CTL}/evt", payload, qos=1).wait_for_publish(5)
    client.publish(f"cc/v1/NH/{CTL}/evt", envelope(2), qos=1).wait_for_publish(5)
    eventually(lambda: read(lambda s: s.scalar(select(func.count()).select_from(DeadLetter))) == 1)
    eventually(lambda: count(read, DeviceEvent.seq == 2) == 1)
    client.loop_stop()


def test_each_stored_batch_is_logged_with_its_size_controllers_and_time(
    read, mosquitto, drop_box, bridge, caplog
):
    caplog.set_level(logging.INFO, logger="firmware_bridge.bridge")
    client = raw_publisher(mosquitto)
    client.publish(f"cc/v1/NH/{CTL}/evt", envelope(1), qos=1).wait_for_publish(5)
    eventually(lambda: count(read) == 1)
    client.loop_stop()
    stored = eventually(
        lambda: [r.getMessage() for r in caplog.records if "stored" in r.getMessage()]
    )
    assert re.fullmatch(rf"bridge: stored 1 messages from {CTL} in \d+\.\d ms", stored[0])


def presence(read):
    return read(lambda s: bank_by_controller(s, CTL).presence)


def test_a_crashed_controller_is_shown_lost_by_its_will(read, bridge, controller):
    eventually(lambda: presence(read) == Presence.ONLINE)
    controller.crash()
    eventually(lambda: presence(read) == Presence.LOST)


def test_a_will_from_an_old_boot_does_not_mark_a_live_controller_lost(
    read, mosquitto, bridge, controller
):
    eventually(lambda: presence(read) == Presence.ONLINE)
    client = raw_publisher(mosquitto)
    old = json.dumps({"state": "lost", "boot": controller.boot - 1})
    client.publish(f"cc/v1/NH/{CTL}/status", old, qos=1).wait_for_publish(5)
    client.publish(f"cc/v1/NH/{CTL}/evt", envelope(99), qos=1).wait_for_publish(5)
    eventually(lambda: read(lambda s: s.scalar(select(func.count()).select_from(DeviceEvent))))
    assert presence(read) == Presence.ONLINE
    client.loop_stop()


def test_a_remote_open_is_received_done_and_not_repeated(read, write, bridge, controller):
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
    assert controller.wait_acked()
    opened = count(read, DeviceEvent.type == "door_opened")
    assert opened == 1


def test_an_unanswered_command_is_retried_three_times_then_alerted(
    read, write, drop_box, bridge, monkeypatch
):
    monkeypatch.setattr(commands, "RETRY_AFTER", commands.RETRY_AFTER / 20)
    write(lambda s: commands.queue_command(s, bank_by_controller(s, CTL), "snapshot"))
    eventually(lambda: read(lambda s: s.scalar(select(Alert.kind))) == AlertKind.COMMAND_UNANSWERED)
    assert read(lambda s: s.scalar(select(Command.tries))) == 3


def test_wrong_codes_on_the_keypad_lock_the_compartment(read, write, mosquitto, bridge, tmp_path):
    def setup(session):
        place = factories.location(session, "NH-LOCKER-2", "NH", kind="locker_site")
        add_bank(session, "NH-PU-01", "取件柜", BankKind.PICKUP, place, [Size.S] * 2)

    write(setup)
    locker = SimulatedController(
        mosquitto.address, "NH", "NH-PU-01", 2, tmp_path / "c", key_of("NH-PU-01")
    )
    locker.start()
    assert locker.connected.wait(10)
    for _ in range(5):
        locker.keypad(1, "123456")
    assert locker.wait_acked()
    eventually(lambda: read(lambda s: s.scalar(select(Alert.kind))) == AlertKind.LOCKOUT)
    locker.stop()


STREAM = 2000


def start_bridge_process(mosquitto, database):
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "COURIER_DATABASE_URL": database,
        "COURIER_MQTT_URL": f"mqtt://127.0.0.1:{mosquitto.port}",
        "COURIER_LABEL_KEY": LABEL_KEY,
        "COURIER_SECRET_KEY": "s",
    }
    return subprocess.Popen(
        [sys.executable, "-c", "from web.cli import main; main()", "bridge"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def assert_every_event_stored_once(read, controller):
    """Every door event of the stream is stored, and every seq the controller used exactly once
    (replays add ``replay_done`` events of their own)."""
    eventually(lambda: count(read, DeviceEvent.type == "door_opened") == STREAM, timeout=120)
    assert controller.wait_acked(timeout=60)
    sent = controller.seq
    assert count(read) == sent
    assert read(lambda s: s.scalar(select(func.count(func.distinct(DeviceEvent.seq))))) == sent


def stream_events(controller, count):
    for n in range(count):
        controller.emit("door_opened", {"compartment": 1 + n % 4, "by": "code"})


def test_a_bridge_killed_mid_stream_loses_and_duplicates_nothing(
    read, mosquitto, database, controller
):
    import signal

    bridges = [start_bridge_process(mosquitto, database)]
    streamer = threading.Thread(target=stream_events, args=(controller, STREAM))
    streamer.start()
    try:
        eventually(lambda: count(read) > STREAM // 5, timeout=60)
        bridges[0].send_signal(signal.SIGKILL)
        bridges[0].wait(timeout=10)
        streamer.join()
        bridges.append(start_bridge_process(mosquitto, database))
        assert_every_event_stored_once(read, controller)
    finally:
        # Also when the test fails: a bridge left running would write into the next test.
        streamer.join()
        for process in bridges:
            process.terminate()
            process.wait(timeout=10)


def test_a_broker_restart_mid_stream_loses_and_duplicates_nothing(
    read, mosquitto, bridge, controller
):
    streamer = threading.Thread(target=stream_events, args=(controller, STREAM))
    streamer.start()
    eventually(lambda: count(read) > STREAM // 5, timeout=60)
    mosquitto.stop()
    streamer.join()
    mosquitto.start()
    assert_every_event_stored_once(read, controller)


def test_the_journey_runs_its_deposit_and_pickup_through_mqtt(
    read, write, mosquitto, bridge, tmp_path
):
    """Deposit reported by a drop box, pickup with the code typed on a pickup locker's keypad:
    real MQTT messages both ways, the hops between by scans and the agent."""
    from courier.custody import EventInput, record_event
    from courier.models import Source
    from courier.scans import Scan, process_scans
    from courier.states import Kind
    from lockers.compartments import place_for_pickup

    def setup(session):
        place = factories.location(session, "NH-LOCKER-1", "NH", kind="locker_site")
        factories.location(session, "XL-STOP", "XL")
        add_bank(session, "NH-DB-01", "投递柜", BankKind.DROP_BOX, place, [Size.M] * 4)
        add_bank(session, "NH-PU-01", "取件柜", BankKind.PICKUP, place, [Size.S] * 4)
        return factories.consignment(session, origin="NH", department_campus="XL").tracking_code

    code = write(setup)
    boxes = [
        SimulatedController(mosquitto.address, "NH", ctl, 4, tmp_path / "sims", key_of(ctl))
        for ctl in ("NH-DB-01", "NH-PU-01")
    ]
    for box in boxes:
        box.start()
        assert box.connected.wait(10)
    drop, locker = boxes

    drop.deposit(1, f"http://127.0.0.1:8000/t/{code}")
    eventually(lambda: read(lambda s: s.scalar(select(Consignment.state))) == "deposited")

    def middle(session):
        consignment = session.scalar(select(Consignment))
        courier = factories.user(session, None)
        scans = [("collect", None), ("load", None), ("unload", "XL-STOP"), ("sort", None)]
        process_scans(
            session,
            courier,
            [Scan(id=f"s-{kind}", code=code, kind=kind, location=place) for kind, place in scans],
            LABEL_KEY,
        )
        for kind in (Kind.AGENT_ACCEPTED, Kind.RESULT_READY):
            record_event(session, consignment, EventInput(kind, f"k-{kind}", Source.WEB))
        record_event(session, consignment, EventInput(Kind.LOADED, "k-load-back", Source.WEB))
        record_event(session, consignment, EventInput(Kind.UNLOADED, "k-unload-back", Source.WEB))
        placement = place_for_pickup(
            session, consignment, bank_by_controller(session, "NH-PU-01"), actor=None, key="place"
        )
        return placement.compartment.number, placement.digits

    number, digits = write(middle)
    set_code = select(Command.status).where(Command.op == "set_code")
    eventually(lambda: read(lambda s: s.scalar(set_code)) == CommandStatus.DONE)
    assert locker.keypad(number, digits)
    eventually(lambda: read(lambda s: s.scalar(select(Consignment.state))) == "picked_up")
    for box in boxes:
        box.stop()


def test_a_command_with_an_unknown_op_is_answered_rejected(mosquitto, controller):
    client = raw_publisher(mosquitto)
    answers = []
    answered = threading.Event()

    def on_answer(_client, _userdata, message):
        answers.append(json.loads(message.payload))
        if answers[-1]["status"] == "rejected":
            answered.set()

    client.on_message = on_answer
    subscribed = threading.Event()
    client.on_subscribe = lambda *_: subscribed.set()
    client.subscribe(f"cc/v1/NH/{CTL}/cmd/ack", qos=1)
    assert subscribed.wait(5)
    command = {"cmd_id": "c-1", "op": "self_destruct", "args": {},
               "expires_at": "2999-01-01T00:00:00+00:00"}  # fmt: skip
    client.publish(f"cc/v1/NH/{CTL}/cmd", json.dumps(command), qos=1)
    assert answered.wait(10)
    assert answers[-1] == {
        "cmd_id": "c-1",
        "status": "rejected",
        "error": "unknown op self_destruct",
    }
    client.loop_stop()


def test_a_label_checked_at_the_drop_box_screen_opens_a_door_and_its_deposit_sends_a_receipt(
    read, write, bridge, drop_box, mosquitto, tmp_path
):
    """The screen's ``open`` for a deposit travels to the box; the box opens, reports the deposit
    without a label of its own and closes; the held compartment names the envelope."""
    from core.outbox import OutboxMessage
    from services.drop_box import open_for_label

    box = SimulatedController(mosquitto.address, "NH", CTL, 4, tmp_path / "sims", key_of(CTL),
                              deposit_seconds=0.3)  # fmt: skip
    box.start()
    assert box.connected.wait(10)

    def ask(session):
        submitter = factories.user(session, "wang", phone="13800000002")
        envelope = factories.consignment(
            session, origin="NH", department_campus="XL", submitter=submitter
        )
        opened = open_for_label(session, bank_by_controller(session, CTL), envelope.tracking_code,
                                LABEL_KEY)  # fmt: skip
        return envelope.id, opened.command_id

    envelope_id, command_id = write(ask)
    done = select(Command.status).where(Command.cmd_id == command_id)
    eventually(lambda: read(lambda s: s.scalar(done)) == CommandStatus.DONE)
    eventually(lambda: read(lambda s: s.get(Consignment, envelope_id).state) == "deposited")
    receipt = select(OutboxMessage.payload).where(
        OutboxMessage.dedupe_key.like(f"deposit:{envelope_id}:%")
    )
    assert read(lambda s: s.scalar(receipt))["template"] == "deposit_receipt"
    box.stop()


def test_a_sort_into_the_sorting_locker_and_the_clerks_open_travel_over_mqtt(
    read, write, bridge, mosquitto, tmp_path
):
    """The courier puts the envelope into its department's compartment (the box reads the
    label): sorted. The clerk opens it from the desk: accepted, and the door opens and empties."""
    from courier.states import Kind
    from lockers.models import Compartment, CompartmentState
    from lockers.sorting import assign
    from services.sorting import take_out
    from tests.courier.agent_helpers import clerk, walk

    def setup(session):
        envelope = factories.consignment(session, origin="NH", department_campus="XL")
        walk(session, envelope, Kind.DEPOSITED, Kind.COLLECTED, Kind.LOADED, Kind.UNLOADED)
        place = factories.location(session, "XL-HALL", "XL", kind="hall")
        bank = add_bank(session, "XL-SO-01", "综合楼代办分拣柜", BankKind.SORTING, place,
                        [Size.M] * 4)  # fmt: skip
        assign(session, bank, 2, envelope.department)
        return envelope.id, envelope.tracking_code

    envelope_id, code = write(setup)
    box = SimulatedController(mosquitto.address, "XL", "XL-SO-01", 4, tmp_path / "sims",
                              key_of("XL-SO-01"))  # fmt: skip
    box.start()
    assert box.connected.wait(10)
    box.deposit(2, code)
    eventually(lambda: read(lambda s: s.get(Consignment, envelope_id).state) == "sorted")

    def open_it(session):
        sun = clerk(session, "sun")
        take_out(session, sun, bank_by_controller(session, "XL-SO-01"), 2, "10.0.0.7")
        return sun.id

    sun_id = write(open_it)
    assert read(lambda s: s.get(Consignment, envelope_id).agent_id) == sun_id
    door = select(Compartment.state).where(Compartment.number == 2)
    eventually(lambda: read(lambda s: s.scalar(door)) == CompartmentState.FREE)
    assert read(lambda s: s.scalar(select(Command.status))) == CommandStatus.DONE
    box.stop()
