"""Hall queue: ticket operations per second, and how fast a call reaches 20 display boards.

1. Operations, in process on a fresh database, one committed transaction each as a request
   would make them: *take* (number from the counter row, ticket row), *call* (claim the next
   ticket, record the call, check "turn near"), *finish* (start, then finish: only the finish
   is timed). The baseline is the bare SQL each operation must at least run, in the same kind
   of transaction: one ticket ``INSERT``; one ``UPDATE`` and one call ``INSERT``; one ``UPDATE``.
2. Call-to-display (push) delay: the real application on waitress (``courier run``'s thread
   count) in a child process, with production's stream length (25 s) and poll; 20 display
   clients hold real HTTP Server-Sent Events streams (reconnecting with ``Last-Event-ID``
   whenever the server ends a stream); the benchmark calls tickets through
   ``POST /api/windows/1/call-next`` and measures, per display, the time from sending the call
   to that display reading it. The full run lasts several stream lengths, so reconnections fall
   among the calls. Baseline: the round trip of ``GET /api/tickets/<id>``.

Run: ``python -m bench.tickets`` (``--quick`` for a short run); the last line is JSON.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
import time
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from bench.harness import emit, percentiles, scratch_database
from core import clock
from core.config import Settings
from core.db import make_engine, make_session_factory, unit_of_work
from firmware_bridge.broker import free_port, wait_listening
from services.bootstrap import build_bus
from web.views.tickets import POLL_SECONDS, STREAM_SECONDS

DISPLAYS = 20


def seed(url: str) -> None:
    """Demo catalog, users and hall: queues from the catalog, ``hall`` signed in at window 1."""
    from web.demo import seed_demo

    engine = make_engine(url)
    with unit_of_work(make_session_factory(engine, build_bus())) as session:
        seed_demo(session, "bench-label-key")
    engine.dispose()


def _timed(sessions: sessionmaker[Session], work: Any, count: int) -> float:
    """Seconds for ``count`` transactions, each running ``work(session, i)`` and committing."""
    start = time.perf_counter()
    for i in range(count):
        with unit_of_work(sessions) as session:
            work(session, i)
    return time.perf_counter() - start


def operations(engine: Engine, count: int) -> dict[str, Any]:
    from tickets import queue
    from tickets.models import Category, Window

    sessions = make_session_factory(engine, build_bus())
    with unit_of_work(sessions) as session:
        hall = queue.hall_by_code(session)
        hall_id = hall.id
        category_id = queue.category_by_prefix(session, "A", hall).id
        window_id = queue.window_by_number(session, 1, hall).id

    def take(session: Session, _i: int) -> None:
        queue.take_ticket(session, session.get_one(Category, category_id))

    def call(session: Session, _i: int) -> None:
        queue.call_next(session, session.get_one(Window, window_id))

    def start(session: Session) -> None:
        queue.start(session, session.get_one(Window, window_id))

    def finish(session: Session, _i: int) -> None:
        queue.finish(session, session.get_one(Window, window_id))

    take_s = _timed(sessions, take, count)
    call_s = finish_s = 0.0
    for _ in range(count):
        call_s += _timed(sessions, call, 1)
        with unit_of_work(sessions) as session:
            start(session)
        finish_s += _timed(sessions, finish, 1)

    now = clock.now().replace(tzinfo=None)
    day = queue.today()

    def bare_take(session: Session, i: int) -> None:
        session.execute(
            text(
                "INSERT INTO tickets (category_id, day, seq, number, issued_at, queue_at, "
                "wait_from, appointment, status, calls, near_notified) VALUES "
                "(:c, :d, :s, :n, :t, :t, :t, false, 'waiting', 0, false)"
            ),
            {"c": category_id, "d": day, "s": 100000 + i, "n": f"Z{i}", "t": now},
        )

    ids: list[int] = []

    def bare_call(session: Session, i: int) -> None:
        session.execute(
            text("UPDATE tickets SET status = 'called', window_id = :w, calls = 1 WHERE id = :i"),
            {"w": window_id, "i": ids[i]},
        )
        session.execute(
            text(
                "INSERT INTO ticket_calls (ticket_id, hall_id, window_id, number, window_number, "
                "called_at) VALUES (:i, :h, :w, 'Z', 1, :t)"
            ),
            {"i": ids[i], "h": hall_id, "w": window_id, "t": now},
        )

    def bare_finish(session: Session, i: int) -> None:
        session.execute(
            text("UPDATE tickets SET status = 'done', outcome = 'served' WHERE id = :i"),
            {"i": ids[i]},
        )

    bare_take_s = _timed(sessions, bare_take, count)
    with unit_of_work(sessions) as session:
        ids.extend(session.scalars(text("SELECT id FROM tickets WHERE seq >= 100000 ORDER BY id")))
    bare_call_s = _timed(sessions, bare_call, count)
    bare_finish_s = _timed(sessions, bare_finish, count)
    figures: dict[str, Any] = {"operations": count}
    for name, real, bare in (
        ("take", take_s, bare_take_s),
        ("call", call_s, bare_call_s),
        ("finish", finish_s, bare_finish_s),
    ):
        figures[f"{name}_per_second"] = round(count / real)
        figures[f"bare_{name}_per_second"] = round(count / bare)
        figures[f"{name}_ratio_of_bare"] = round(bare / real, 3)
    return figures


def serve(url: str, port: int) -> None:
    """The child process: the real application on waitress, as ``courier run`` serves it."""
    from waitress import serve as waitress_serve

    from web.app import create_app
    from web.cli import serving_options

    settings = Settings(
        database_url=url, mqtt_url=None, secret_key="b", label_key="l", code_key="c"
    )
    app = create_app(settings)
    waitress_serve(app, host="127.0.0.1", port=port, **serving_options(settings), _quiet=True)


class Display(threading.Thread):
    """One board: reads the event stream, reconnecting with Last-Event-ID like EventSource."""

    def __init__(self, port: int, stop: threading.Event, address: str) -> None:
        super().__init__(daemon=True)
        self.port, self.stop, self.address = port, stop, address
        self.received: dict[str, float] = {}
        self.reconnects = 0
        self.refused = 0
        self.connected = threading.Event()
        self.last_id = ""

    def run(self) -> None:
        while not self.stop.is_set():
            connection = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=30, source_address=(self.address, 0)
            )
            headers = {"Accept": "text/event-stream"}
            if self.last_id:
                headers["Last-Event-ID"] = self.last_id
            try:
                self.read(connection, headers)
            except OSError:
                if self.stop.is_set():
                    return  # the server went away at the end of the run
                raise
            connection.close()
            if not self.stop.is_set():
                self.reconnects += 1

    def read(self, connection: http.client.HTTPConnection, headers: dict[str, str]) -> None:
        """One stream, until the server ends it."""
        connection.request("GET", "/hall/display/stream", headers=headers)
        response = connection.getresponse()
        self.connected.set()
        if response.status != 200:
            # Refused (429/503): wait as EventSource does (the stream's "retry: 500").
            response.read()
            self.refused += 1
            time.sleep(0.5)
            return
        data = ""
        while True:
            line = response.readline()
            if not line:
                return
            line_text = line.decode().rstrip("\n")
            if line_text.startswith("id: "):
                self.last_id = line_text[4:]
            elif line_text.startswith("data: "):
                data = line_text[6:]
            elif not line_text and data:
                self.received[json.loads(data)["number"]] = time.perf_counter()
                data = ""


def request(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> Any:
    payload = json.dumps(body).encode() if body is not None else None
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    connection.request(method, path, body=payload, headers=all_headers)
    response = connection.getresponse()
    data = response.read()
    if response.status >= 400:
        raise RuntimeError(f"{path}: {response.status} {data[:200]!r}")
    return json.loads(data)


def delays(url: str, calls: int) -> dict[str, Any]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", f"from bench.tickets import serve; serve({url!r}, {port})"],
        env={**os.environ},
    )
    stop = threading.Event()
    # Each board from its own address, as in a hall (the server caps streams per address).
    displays = [Display(port, stop, f"127.0.0.{n + 2}") for n in range(DISPLAYS)]
    try:
        wait_listening(port, seconds=30)
        for display in displays:
            display.start()
        for display in displays:
            display.connected.wait(10)
        api = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        token = request(api, "POST", "/api/auth/token", {"login": "hall", "password": "demo1234"})[
            "token"
        ]
        staff = {"Authorization": f"Bearer {token}"}
        sent: dict[str, float] = {}
        round_trips = []
        for i in range(calls):
            # Taken by the hall's staff for visitors (anonymous takes are throttled per address).
            taken = request(api, "POST", "/api/tickets", {"category": "B"}, headers=staff)
            start = time.perf_counter()
            request(api, "GET", f"/api/tickets/{taken['id']}")
            round_trips.append((time.perf_counter() - start) * 1000)
            sent[taken["number"]] = time.perf_counter()
            request(api, "POST", "/api/windows/1/call-next", headers=staff)
            request(api, "POST", "/api/windows/1/start", headers=staff)
            request(api, "POST", "/api/windows/1/finish", headers=staff)
            # Calls land at every phase of the displays' polling.
            time.sleep(0.05 + (i * 0.037) % 0.2)
        time.sleep(1.0)
        api.close()
    finally:
        stop.set()
        server.terminate()
        server.wait(timeout=10)
    for display in displays:
        display.join(5)
    samples = [
        (display.received[number] - at) * 1000
        for display in displays
        for number, at in sent.items()
        if number in display.received
    ]
    missed = DISPLAYS * len(sent) - len(samples)
    latency = percentiles(samples)
    baseline = percentiles(round_trips)
    return {
        "displays": DISPLAYS,
        "stream_seconds": STREAM_SECONDS,
        "poll_seconds": POLL_SECONDS,
        "calls": len(sent),
        "deliveries_missed": missed,
        "reconnects": sum(d.reconnects for d in displays),
        "streams_refused": sum(d.refused for d in displays),
        "call_to_display_p50_ms": latency["p50_ms"],
        "call_to_display_p99_ms": latency["p99_ms"],
        "baseline_get_ticket_p50_ms": baseline["p50_ms"],
        "baseline_get_ticket_p99_ms": baseline["p99_ms"],
    }


def main() -> None:
    quick = "--quick" in sys.argv
    with scratch_database() as url:
        print("seeding the demo hall ...", file=sys.stderr)
        seed(url)
        engine = make_engine(url)
        try:
            figures = operations(engine, 100 if quick else 500)
        finally:
            engine.dispose()
        print("measuring calls to 20 displays ...", file=sys.stderr)
        figures |= delays(url, 15 if quick else 200)
    emit({"benchmark": "tickets", "database": url.split(":", 1)[0], **figures})


if __name__ == "__main__":
    main()
