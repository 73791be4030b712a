"""Hall queue: ticket operations per second, and how fast a call reaches 200 display boards.

1. Operations, in process on a fresh database, one committed transaction each as a request
   would make them: *take* (number from the counter row, ticket row), *call* (claim the next
   ticket, record the call, check "turn near"), *finish* (start, then finish: only the finish
   is timed). The baseline is the bare SQL each operation must at least run, in the same kind
   of transaction: one ticket ``INSERT``; one ``UPDATE`` and one call ``INSERT``; one ``UPDATE``.
2. Call-to-display (push) delay: the real application on waitress beside its push server in a
   child process, as ``courier run`` serves them, with production's stream length; 200 display
   boards (each from an address of its own) hold Server-Sent Events streams on the push server
   and reconnect with ``Last-Event-ID`` whenever it ends one. The benchmark calls tickets
   through ``POST /api/windows/1/call-next`` and measures, per board, the time from sending the
   call to that board reading it. The floor: the call's own answer (no board can see a call
   before its transaction commits), timed for the same calls. The server's threads are counted
   before and with the boards connected.

Run: ``python -m bench.tickets`` (``--quick`` for a short run); the last line is JSON.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from bench.harness import emit, percentiles, scratch_database
from core import clock
from core.config import Settings
from core.db import make_engine, make_session_factory, unit_of_work
from firmware_bridge.broker import free_port, wait_listening
from services.bootstrap import build_bus
from web.push.server import STREAM_SECONDS

DISPLAYS = 200


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


def serve(url: str, port: int, push_port: int) -> None:
    """The child process: the real application on waitress beside its push server, as
    ``courier run`` serves them."""
    from waitress import serve as waitress_serve

    from web.app import create_app
    from web.cli import serving_options
    from web.push.running import push_thread

    settings = Settings(
        database_url=url,
        mqtt_url=None,
        secret_key="b",
        label_key="l",
        code_key="c",
        push_port=push_port,
    )
    app = create_app(settings)
    with push_thread(settings):
        waitress_serve(app, host="127.0.0.1", port=port, **serving_options(settings), _quiet=True)


class Boards:
    """Display boards on one asyncio loop of their own thread, each reading its stream as
    EventSource does (reconnecting with Last-Event-ID) and noting when each call arrived."""

    def __init__(self, port: int, count: int, after: int) -> None:
        self.port = port
        self.after = after
        self.received: list[dict[str, float]] = [{} for _ in range(count)]
        self.reconnects = 0
        self.refused = 0
        self.errors: list[str] = []
        self.connected = threading.Semaphore(0)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()
        for n in range(len(self.received)):
            # Each board from an address of its own, as boards around halls would be.
            address = f"127.0.{2 + n // 250}.{1 + n % 250}"
            asyncio.run_coroutine_threadsafe(self.board(n, address), self.loop)
        for _ in self.received:
            self.connected.acquire(timeout=30)

    def stop(self) -> None:
        async def cancel_all() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(cancel_all(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    async def board(self, n: int, address: str) -> None:
        import aiohttp

        # As the page opens it: after the latest call it shows.
        url = f"http://127.0.0.1:{self.port}/hall/display/stream?after={self.after}"
        last_id = ""
        connector = aiohttp.TCPConnector(local_addr=(address, 0), force_close=True)
        timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            while True:
                headers = {"Last-Event-ID": last_id} if last_id else {}
                try:
                    async with session.get(url, headers=headers) as response:
                        self.connected.release()
                        if response.status != 200:
                            self.refused += 1
                            await asyncio.sleep(0.5)
                            continue
                        data = ""
                        async for line in response.content:
                            text_line = line.decode().rstrip("\n")
                            if text_line.startswith("id: "):
                                last_id = text_line[4:]
                            elif text_line.startswith("data: "):
                                data = text_line[6:]
                            elif not text_line and data:
                                number = json.loads(data)["number"]
                                self.received[n][number] = time.perf_counter()
                                data = ""
                except aiohttp.ClientError as error:
                    # EventSource tries again after its retry time.
                    self.errors.append(repr(error))
                    await asyncio.sleep(0.5)
                    continue
                self.reconnects += 1


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


def _threads(pid: int) -> int:
    """Threads of process ``pid`` now (Linux)."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("Threads")))


def delays(url: str, calls: int, displays: int) -> dict[str, Any]:
    port, push_port = free_port(), free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"from bench.tickets import serve; serve({url!r}, {port}, {push_port})",
        ],
        env={**os.environ},
    )
    engine = make_engine(url)
    with engine.connect() as connection:
        latest = connection.scalar(text("SELECT coalesce(max(id), 0) FROM ticket_calls"))
    engine.dispose()
    boards = Boards(push_port, displays, latest)
    try:
        wait_listening(port, seconds=30)
        wait_listening(push_port, seconds=30)
        api = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        token = request(api, "POST", "/api/auth/token", {"login": "hall", "password": "demo1234"})[
            "token"
        ]
        staff = {"Authorization": f"Bearer {token}"}
        threads_idle = _threads(server.pid)
        boards.start()
        threads_with_boards = _threads(server.pid)
        sent: dict[str, float] = {}
        call_trips = []
        for i in range(calls):
            # Taken by the hall's staff for visitors (anonymous takes are throttled per address).
            taken = request(api, "POST", "/api/tickets", {"category": "B"}, headers=staff)
            start = time.perf_counter()
            sent[taken["number"]] = start
            request(api, "POST", "/api/windows/1/call-next", headers=staff)
            call_trips.append((time.perf_counter() - start) * 1000)
            request(api, "POST", "/api/windows/1/start", headers=staff)
            request(api, "POST", "/api/windows/1/finish", headers=staff)
            # Calls land at every phase of the safety-net poll.
            time.sleep(0.05 + (i * 0.037) % 0.2)
        time.sleep(1.0)
        api.close()
    finally:
        boards.stop()
        server.terminate()
        server.wait(timeout=10)
    samples = [
        (board[number] - at) * 1000
        for board in boards.received
        for number, at in sent.items()
        if number in board
    ]
    latency = percentiles(samples)
    floor = percentiles(call_trips)
    return {
        "displays": displays,
        "stream_seconds": STREAM_SECONDS,
        "calls": len(sent),
        "deliveries_missed": displays * len(sent) - len(samples),
        "reconnects": boards.reconnects,
        "streams_refused": boards.refused,
        "connect_errors": len(boards.errors),
        "server_threads_idle": threads_idle,
        "server_threads_with_boards": threads_with_boards,
        "call_to_display_p50_ms": latency["p50_ms"],
        "call_to_display_p99_ms": latency["p99_ms"],
        "baseline_call_answered_p50_ms": floor["p50_ms"],
        "baseline_call_answered_p99_ms": floor["p99_ms"],
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
        displays = 20 if quick else DISPLAYS
        print(f"measuring calls to {displays} displays ...", file=sys.stderr)
        figures |= delays(url, 15 if quick else 200, displays)
    emit({"benchmark": "tickets", "database": url.split(":", 1)[0], **figures})


if __name__ == "__main__":
    main()
