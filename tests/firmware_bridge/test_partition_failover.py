"""Four bridge processes over four campus partitions on PostgreSQL, 100 simulated controllers
through a private Mosquitto; the holder of one partition is SIGKILLed mid-stream and a standby
takes it over (docs/mqtt.md, *Partitions and failover*)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import func, select, text

from core.db import lock_key
from firmware_bridge.models import DeviceEvent
from firmware_bridge.partition import Partition
from firmware_bridge.simulator import SimulatedController
from lockers.compartments import add_bank
from lockers.models import BankKind, Compartment, CompartmentState, LockerBank, Size
from tests import factories
from tests.databases import backend
from tests.factories import LABEL_KEY
from tests.firmware_bridge.conftest import eventually, key_of

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        backend() != "postgresql", reason="advisory locks: on SQLite one bridge serves all"
    ),
]
CAMPUSES = ("DJ", "NH", "XL", "ZS")
PER_CAMPUS = 25
EVENTS = 41
COMPARTMENTS = 4

HOLDERS = text(
    "SELECT l.classid, l.objid, a.application_name FROM pg_locks l "
    "JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


def holders(read) -> dict[str, int]:
    """Partition name → the OS pid of the bridge process holding its lock."""
    names = {lock_key(Partition((campus,)).lock_name): campus for campus in CAMPUSES}
    found = {}
    for classid, objid, application in read(lambda s: s.execute(HOLDERS).all()):
        key = int.from_bytes(((classid << 32) | objid).to_bytes(8, "big"), "big", signed=True)
        if key in names and application.startswith("courier-bridge "):
            found[names[key]] = int(application.split()[1])
    return found


@pytest.fixture
def banks(write):
    def setup(session):
        controllers = []
        for campus in CAMPUSES:
            place = factories.location(session, f"{campus}-LOCKER-1", campus, kind="locker_site")
            for n in range(1, PER_CAMPUS + 1):
                controller = f"{campus}-DB-{n:02d}"
                add_bank(session, controller, f"{campus} 投递柜 {n}", BankKind.DROP_BOX, place,
                         [Size.M] * COMPARTMENTS)  # fmt: skip
                controllers.append((campus, controller))
        return controllers

    return write(setup)


@pytest.fixture
def bridges(mosquitto, database, tmp_path):
    env = {
        **os.environ,
        "COURIER_DATABASE_URL": database,
        "COURIER_MQTT_URL": f"mqtt://127.0.0.1:{mosquitto.port}",
        "COURIER_LABEL_KEY": LABEL_KEY,
        "COURIER_SECRET_KEY": "s",
        "COURIER_VAR_DIR": str(tmp_path / "var"),
        "COURIER_BRIDGE_PARTITIONS": ";".join(CAMPUSES),
    }
    processes = {}
    for n in range(4):
        with (tmp_path / f"bridge-{n}.log").open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-c", "from web.cli import main; main()", "bridge"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        processes[process.pid] = process
    yield processes
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    for process in processes.values():
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def controllers(mosquitto, banks, tmp_path):
    started = [
        SimulatedController(mosquitto.address, campus, controller, COMPARTMENTS,
                            tmp_path / "controllers", key_of(controller), heartbeat_seconds=1.0)
        for campus, controller in banks
    ]  # fmt: skip
    for simulated in started:
        simulated.start()
    for simulated in started:
        assert simulated.connected.wait(30)
    yield started
    for simulated in started:
        simulated.stop()


def stream(controllers, kill_switch: threading.Event) -> None:
    """Each controller opens and closes its doors in turn; the last event opens a door, so the
    final state shows whether the events were applied in order."""
    for n in range(EVENTS):
        number = 1 + (n // 2) % COMPARTMENTS
        for simulated in controllers:
            if n % 2 == 0:
                simulated.emit("door_opened", {"compartment": number, "by": "code"})
            else:
                simulated.emit("door_closed", {"compartment": number, "occupied": False,
                                               "by": "code"})  # fmt: skip
        time.sleep(0.05)
    kill_switch.wait()


def stored(read, campus: str | None = None) -> int:
    query = select(func.count()).select_from(DeviceEvent)
    if campus is not None:
        query = query.where(DeviceEvent.controller.like(f"{campus}-%"))
    return read(lambda s: s.scalar(query))


def test_four_bridges_survive_the_sigkill_of_a_partitions_holder_losing_and_repeating_nothing(
    read, bridges, controllers, tmp_path
):
    try:
        eventually(lambda: len(set(holders(read).values())) == 4, timeout=120)
    except AssertionError:
        for log in sorted(tmp_path.glob("bridge-*.log")):
            print(log.name, log.read_text()[-2000:])
        raise
    killed = threading.Event()
    streams = [
        threading.Thread(target=stream, args=(controllers[i : i + PER_CAMPUS], killed))
        for i in range(0, len(controllers), PER_CAMPUS)
    ]
    for thread in streams:
        thread.start()
    try:
        total = len(controllers) * EVENTS
        eventually(lambda: stored(read) > total // 3, timeout=120)
        victim_partition = "NH"
        victim = holders(read)[victim_partition]
        bridges[victim].send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        bridges[victim].wait(timeout=10)
        before = stored(read, victim_partition)
        eventually(lambda: holders(read).get(victim_partition) not in (None, victim), timeout=30)
        locked_after = time.monotonic() - killed_at
        eventually(lambda: stored(read, victim_partition) > before, timeout=60)
        flowing_after = time.monotonic() - killed_at
    finally:
        killed.set()
        for thread in streams:
            thread.join()
    print(
        f"\ntakeover of partition {victim_partition}: lock taken {locked_after:.1f} s, "
        f"events stored again {flowing_after:.1f} s after the SIGKILL"
    )

    eventually(lambda: stored(read) >= total, timeout=120)
    eventually(lambda: all(not simulated.pending() for simulated in controllers), timeout=60)
    rows = read(
        lambda s: s.execute(
            select(DeviceEvent.controller, func.count(), func.count(func.distinct(DeviceEvent.seq)),
                   func.max(DeviceEvent.seq), func.bool_and(DeviceEvent.applied))
            .group_by(DeviceEvent.controller)
        ).all()
    )  # fmt: skip
    sent = {simulated.controller: simulated.seq for simulated in controllers}
    assert {row[0]: row[1:] for row in rows} == {
        controller: (seq, seq, seq, True) for controller, seq in sent.items()
    }
    replays = stored_replays(read)
    print(f"{total} events from {len(controllers)} controllers: 0 lost, 0 duplicated; "
          f"{replays} replays")  # fmt: skip
    assert open_doors(read) == {
        simulated.controller: {
            item["number"] for item in simulated.snapshot()["compartments"]
            if item["door"] == "open"
        }
        for simulated in controllers
    }  # fmt: skip


def stored_replays(read) -> int:
    return read(lambda s: s.scalar(select(func.count()).where(DeviceEvent.type == "replay_done")))


def open_doors(read) -> dict[str, set[int]]:
    """Each controller's compartments the server holds open, after applying its events."""
    rows = read(
        lambda s: s.execute(
            select(LockerBank.controller, Compartment.number, Compartment.state).join(
                Compartment, Compartment.bank_id == LockerBank.id
            )
        ).all()
    )
    doors: dict[str, set[int]] = {}
    for controller, number, state in rows:
        doors.setdefault(controller, set())
        if state == CompartmentState.OPEN:
            doors[controller].add(number)
    return doors


def test_a_second_process_takes_its_share_and_a_stopped_ones_partitions_pass_to_it(
    mosquitto, sessions, database, read
):
    from firmware_bridge.failover import PartitionHost
    from firmware_bridge.partition import partitions_of

    partitions = partitions_of((("DJ",), ("NH",)))
    first, second = (
        PartitionHost(mosquitto.address, sessions, LABEL_KEY, partitions, database, poll=0.2)
        for _ in range(2)
    )
    first.start()
    try:
        eventually(lambda: len(first.serving) == 2)
        second.start()
        eventually(lambda: (len(first.serving), len(second.serving)) == (1, 1))
        first.stop()
        eventually(lambda: len(second.serving) == 2)
    finally:
        first.stop()
        second.stop()
