"""Events per second stored by 1, 2 and 4 bridge processes over four campus partitions, on
PostgreSQL, in one interleaved series (1, 2, 4, 1, 2, 4, ...), with the ratios against one.

A private Mosquitto starts on a free port; 100 controllers (25 on each of four campuses) are
in the database. Each round starts N ``courier bridge`` processes with
``COURIER_BRIDGE_PARTITIONS=DJ;NH;XL;ZS``, waits until they hold the four partitions' locks
between them, then four publisher processes (one per campus) send every controller's next
events (QoS 1, in order); the clock runs from the first publish to the last event stored. The
processes then stop; the next round's resume the partitions' sessions. At the end every
controller's seqs are checked: stored exactly once, applied.

Run: ``COURIER_BENCH_DATABASE_URL=postgresql+psycopg://… python -m bench.bridges`` (a server: the
bench makes a database of its own on it and drops it at the end)
(``--quick``: one round of fewer events; ``--events N``: each controller's events a round);
the last line is JSON with ``events_per_s`` per bridge count, ``ratio_2`` and ``ratio_4``
(medians of each round's ratios), ``lost`` and ``duplicated``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select, text

import migrations
from bench.harness import emit, postgres_database
from catalog.models import Campus, Location, LocationKind
from core.db import lock_key, make_engine, make_session_factory, unit_of_work
from firmware_bridge.broker import BRIDGE_USER, start_mosquitto
from firmware_bridge.models import DeviceEvent
from firmware_bridge.partition import Partition
from lockers.compartments import add_bank
from lockers.models import BankKind, Size
from services.bootstrap import build_bus

CAMPUSES = {"DJ": "东津校区", "NH": "南湖校区", "XL": "西岭校区", "ZS": "中山校区"}
PER_CAMPUS = 25
COUNTS = (1, 2, 4)
LABEL_KEY = "bench-label-key"
_HOLDERS = text(
    "SELECT l.classid, l.objid, a.application_name FROM pg_locks l "
    "JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


def controllers_of(campus: str) -> list[str]:
    return [f"{campus}-DB-{n:02d}" for n in range(1, PER_CAMPUS + 1)]


def publish_campus(url: str, campus: str, first: int, count: int) -> None:
    """Send ``count`` events of each of the campus's controllers from seq ``first``, the
    controllers taking turns; prints the monotonic time the first publish began."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

    from firmware_bridge.connection import parse_url

    address = parse_url(url)
    publisher = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=f"bench-publisher-{campus}-{time.monotonic_ns()}",
        protocol=MQTTProtocolVersion.MQTTv5,
    )
    publisher.username_pw_set(address.username, address.password)
    publisher.max_inflight_messages_set(100)
    publisher.connect(address.host, address.port)
    publisher.loop_start()
    now = dt.datetime.now(dt.UTC).isoformat()
    messages = [
        (f"cc/v1/{campus}/{controller}/evt",
         json.dumps({"v": 1, "ctl": controller, "boot": 1, "seq": seq, "type": "door_opened",
                     "ts": now, "data": {"compartment": 1 + seq % 8, "by": "code"}}))
        for seq in range(first, first + count)
        for controller in controllers_of(campus)
    ]  # fmt: skip
    print(time.monotonic(), flush=True)
    infos = [publisher.publish(topic, payload, qos=1) for topic, payload in messages]
    for info in infos:
        info.wait_for_publish(120)
    publisher.disconnect()
    publisher.loop_stop()


def holders(sessions) -> dict[str, str]:
    """Partition name → the application name of the process holding its lock."""
    names = {lock_key(Partition((campus,)).lock_name): campus for campus in CAMPUSES}
    with sessions() as session:
        rows = session.execute(_HOLDERS).all()
    found = {}
    for classid, objid, application in rows:
        key = int.from_bytes(((classid << 32) | objid).to_bytes(8, "big"), "big", signed=True)
        if key in names:
            found[names[key]] = application
    return found


def stored(sessions) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(DeviceEvent)) or 0


def start_bridges(count: int, env: dict[str, str], sessions) -> list[subprocess.Popen[bytes]]:
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", "from web.cli import main; main()", "bridge"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        held = holders(sessions)
        if len(held) == len(CAMPUSES) and len(set(held.values())) == count:
            break
        time.sleep(0.2)
    else:
        raise RuntimeError(f"{count} bridges did not share the partitions: {holders(sessions)}")
    time.sleep(2)  # each partition's client connects and resumes its session
    return processes


def stop_bridges(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=60)


def one_round(
    count: int, env: dict[str, str], sessions, url: str, first: int, events: int
) -> float:
    """Events per second stored by ``count`` bridge processes."""
    processes = start_bridges(count, env, sessions)
    try:
        before = stored(sessions)
        expected = before + len(CAMPUSES) * PER_CAMPUS * events
        code = "from bench.bridges import publish_campus; publish_campus({!r}, {!r}, {}, {})"
        publishers = [
            subprocess.Popen(
                [sys.executable, "-c", code.format(url, campus, first, events)],
                stdout=subprocess.PIPE,
                text=True,
            )
            for campus in CAMPUSES
        ]
        began = []
        for publisher in publishers:
            out, _ = publisher.communicate(timeout=600)
            began.append(float(out.split()[0]))
        deadline = time.monotonic() + 600
        while stored(sessions) < expected and time.monotonic() < deadline:
            time.sleep(0.02)
        elapsed = time.monotonic() - min(began)
        return (expected - before) / elapsed
    finally:
        stop_bridges(processes)


def main() -> None:
    quick = "--quick" in sys.argv
    events = 20 if quick else 100
    if "--events" in sys.argv:
        events = int(sys.argv[sys.argv.index("--events") + 1])
    rounds = 1 if quick else 3
    server = os.environ.get("COURIER_BENCH_DATABASE_URL", "")
    if not server.startswith("postgresql"):
        raise SystemExit("set COURIER_BENCH_DATABASE_URL to a PostgreSQL server")
    with tempfile.TemporaryDirectory() as folder, postgres_database(server, "bridges") as database:
        migrations.upgrade(database)
        engine = make_engine(database)
        sessions = make_session_factory(engine, build_bus())
        with unit_of_work(sessions) as session:
            for code, name in CAMPUSES.items():
                place = Location(code=f"{code}-BENCH", name=f"{name}投递点",
                                 campus=Campus(code=code, name=name),
                                 kind=LocationKind.LOCKER_SITE)  # fmt: skip
                session.add(place)
                session.flush()
                for controller in controllers_of(code):
                    add_bank(session, controller, "bench", BankKind.DROP_BOX, place, [Size.M] * 8)
        every = [controller for campus in CAMPUSES for controller in controllers_of(campus)]
        broker = start_mosquitto(Path(folder) / "mqtt", every)
        url = broker.url_for(BRIDGE_USER)
        env = {
            **os.environ,
            "COURIER_DATABASE_URL": database,
            "COURIER_MQTT_URL": url,
            "COURIER_LABEL_KEY": LABEL_KEY,
            "COURIER_SECRET_KEY": "bench",
            "COURIER_VAR_DIR": str(Path(folder) / "var"),
            "COURIER_BRIDGE_PARTITIONS": ";".join(CAMPUSES),
            "COURIER_LOG_LEVEL": "WARNING",
        }
        series: dict[int, list[float]] = {count: [] for count in COUNTS}
        first = 1
        try:
            # Creates the four partitions' sessions: later rounds' events wait in them.
            one_round(4, env, sessions, url, first, 1)
            first += 1
            for _ in range(rounds):
                for count in COUNTS:
                    series[count].append(one_round(count, env, sessions, url, first, events))
                    first += events
                    print(f"{count} bridges: {series[count][-1]:.0f} events/s", flush=True)
            pairs = select(DeviceEvent.controller, DeviceEvent.seq).distinct().subquery()
            with sessions() as session:
                total = session.scalar(select(func.count()).select_from(DeviceEvent))
                distinct = session.scalar(select(func.count()).select_from(pairs))
                applied = session.scalar(select(func.count()).where(DeviceEvent.applied))
        finally:
            broker.stop()
            engine.dispose()
    sent = len(every) * (first - 1)
    ratios = {
        count: [series[count][i] / series[1][i] for i in range(rounds)] for count in COUNTS[1:]
    }
    emit(
        {
            "benchmark": "bridges",
            "broker": "mosquitto",
            "database": "postgresql",
            "controllers": len(every),
            "events_per_round": len(every) * events,
            "rounds": rounds,
            "events_per_s": {
                str(count): round(statistics.median(series[count])) for count in COUNTS
            },
            "series": {str(count): [round(x) for x in series[count]] for count in COUNTS},
            "ratio_2": round(statistics.median(ratios[2]), 2),
            "ratio_4": round(statistics.median(ratios[4]), 2),
            "lost": sent - distinct,
            "duplicated": total - distinct,
            "not_applied": total - applied,
        }
    )


if __name__ == "__main__":
    main()
