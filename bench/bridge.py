"""Events per second stored by the bridge against a bare paho subscriber, same broker, same run.

A private Mosquitto starts on a free port. A publisher sends the same stream of door events
(QoS 1) twice: once to a bare paho subscriber that only counts them, once to the bridge, which
stores each (dedupe on controller and seq, apply, commit) before acknowledging it. Then the
database is checked: every seq stored exactly once.

Run: ``python -m bench.bridge`` (``--quick``: 2,000 events); the last line is JSON with
``ratio``, ``events_per_s``, ``baseline_per_s``, ``lost``, ``duplicated`` and ``broker``.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from sqlalchemy import func, select

from bench.harness import emit, scratch_database
from catalog.models import Campus, Location, LocationKind
from core.db import make_engine, make_session_factory, unit_of_work
from firmware_bridge.bridge import Bridge
from firmware_bridge.broker import BRIDGE_USER, start_mosquitto
from firmware_bridge.connection import parse_url
from firmware_bridge.models import DeviceEvent
from lockers.compartments import add_bank
from lockers.models import BankKind, Size
from services.bootstrap import build_bus

LABEL_KEY = "bench-label-key"


def stream(controller: str, count: int) -> list[bytes]:
    now = dt.datetime.now(dt.UTC).isoformat()
    return [
        json.dumps({"v": 1, "ctl": controller, "boot": 1, "seq": seq, "type": "door_opened",
                    "ts": now, "data": {"compartment": 1 + seq % 8, "by": "code"}}).encode()
        for seq in range(1, count + 1)
    ]  # fmt: skip


def client(url: str, client_id: str) -> mqtt.Client:
    address = parse_url(url)
    made = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTProtocolVersion.MQTTv5
    )
    made.username_pw_set(address.username, address.password)
    made.max_inflight_messages_set(100)
    made.connect(address.host, address.port)
    made.loop_start()
    return made


def publish_all(url: str, topic: str, payloads: list[bytes]) -> None:
    publisher = client(url, f"bench-publisher-{time.monotonic_ns()}")
    # The clock starts here, not at the process start: both runs are timed from this line.
    print(time.monotonic(), flush=True)
    infos = [publisher.publish(topic, payload, qos=1) for payload in payloads]
    for info in infos:
        info.wait_for_publish(60)
    publisher.disconnect()
    publisher.loop_stop()


def publish_elsewhere(url: str, topic: str, controller: str, count: int) -> float:
    """Publish the stream from a process of its own, so that the publisher and the measured
    subscriber do not share a GIL; returns the monotonic time the publishing began."""
    code = (
        "from bench.bridge import publish_all, stream; "
        f"publish_all({url!r}, {topic!r}, stream({controller!r}, {count}))"
    )
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(done.stdout.split()[0])


def baseline(url: str, topic: str, controller: str, count: int) -> float:
    received = 0
    done = threading.Event()
    finished: list[float] = []

    def on_message(_c: mqtt.Client, _u: object, _m: mqtt.MQTTMessage) -> None:
        nonlocal received
        received += 1
        if received == count:
            finished.append(time.monotonic())
            done.set()

    counter = client(url, "bench-bare-subscriber")
    counter.on_message = on_message
    counter.subscribe(topic, qos=1)
    time.sleep(0.5)
    begin = publish_elsewhere(url, topic, controller, count)
    done.wait(300)
    elapsed = finished[0] - begin
    counter.disconnect()
    counter.loop_stop()
    return count / elapsed


def main() -> None:
    count = 2000 if "--quick" in sys.argv else 20_000
    controller = "BENCH-01"
    with tempfile.TemporaryDirectory() as folder, scratch_database() as url:
        engine = make_engine(url)
        sessions = make_session_factory(engine, build_bus())
        with unit_of_work(sessions) as session:
            campus = Campus(code="NH", name="南湖校区")
            place = Location(code="BENCH-SITE", name="bench", campus=campus,
                             kind=LocationKind.LOCKER_SITE)  # fmt: skip
            session.add(place)
            session.flush()
            add_bank(session, controller, "bench", BankKind.DROP_BOX, place, [Size.M] * 8)
        broker = start_mosquitto(Path(folder), [controller, "bench-publisher", "bench-bare"])
        try:
            publish_url = broker.url_for(BRIDGE_USER)
            topic = f"cc/v1/NH/{controller}/evt"
            bare = baseline(publish_url, topic, controller, count)

            bridge = Bridge(parse_url(publish_url), sessions, LABEL_KEY, client_id="bench-bridge")
            bridge.start()
            time.sleep(0.5)
            begin = publish_elsewhere(publish_url, topic, controller, count)

            def stored() -> int:
                with sessions() as session:
                    return session.scalar(select(func.count()).select_from(DeviceEvent)) or 0

            deadline = time.monotonic() + 600
            while stored() < count and time.monotonic() < deadline:
                time.sleep(0.01)
            elapsed = time.monotonic() - begin
            bridge.stop()
            with sessions() as session:
                total = session.scalar(select(func.count()).select_from(DeviceEvent)) or 0
                distinct = session.scalar(select(func.count(func.distinct(DeviceEvent.seq)))) or 0
        finally:
            broker.stop()
        engine.dispose()
    ours = count / elapsed
    emit(
        {
            "benchmark": "bridge",
            "broker": "mosquitto",
            "database": url.split(":", 1)[0],
            "events": count,
            "events_per_s": round(ours),
            "baseline_per_s": round(bare),
            "ratio": round(ours / bare, 3),
            "lost": count - distinct,
            "duplicated": total - distinct,
        }
    )


if __name__ == "__main__":
    main()
