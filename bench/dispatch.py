"""Notices per second through one dispatcher, and the delay from a commit to the sender call.

Throughput, against the sender alone: committed notices dispatched by one dispatcher (claim,
send, mark sent) against the same number of notices handed straight to the same sender in a loop,
without the dispatcher. Twice: with the console sender (it writes each notice to the database),
and with the Twilio sender talking to a local fake of Twilio's Messages API that answers in
100 ms, as a real provider roughly does. Ours and the bare sender loop are interleaved in rounds
(ABAB…, the first alternating).

Latency: a "ready for pickup" event (:class:`lockers.events.PickupCodeIssued`) is published and
committed; a dispatcher thread, woken by the commit, calls the sender. The delay from the
commit to that call, p50 and p99.

Run: ``python -m bench.dispatch`` (``--quick`` for fewer notices); the last line is JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy import select

from bench.harness import emit, percentiles, scratch_database
from core import clock
from core.db import after_commit, make_engine, make_session_factory, unit_of_work
from core.events import publish
from core.outbox import OutboxMessage, OutboxStatus, enqueue
from courier.models import Consignment
from firmware_bridge.broker import free_port
from lockers.events import PickupCodeIssued
from lockers.models import BankKind, Compartment, LockerBank, PickupCode
from notifications.dispatcher import Dispatcher
from notifications.senders import ConsoleSender, Notice, Sender, TwilioSender
from services.bootstrap import build_bus, with_code_key
from web.demo import seed_demo

LABEL_KEY = "bench-label-key"
#: A provider's answer time, as Twilio's Messages API roughly takes from mainland China.
PROVIDER_S = 0.1
ACCOUNT = "AC" + "0" * 32


class FakeTwilio(BaseHTTPRequestHandler):
    """Twilio's ``POST .../Messages.json``: a queued message resource, after ``PROVIDER_S``."""

    sent = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        time.sleep(PROVIDER_S)
        FakeTwilio.sent += 1
        body = json.dumps(
            {"sid": f"SM{FakeTwilio.sent:032d}", "account_sid": ACCOUNT, "status": "queued",
             "to": "+8613800000000", "from": "+15005550006", "body": ""}
        ).encode()  # fmt: skip
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        """Quiet: the benchmark's output is its figures."""


@contextmanager
def fake_twilio() -> Iterator[str]:
    """A local fake Twilio on a thread, for as long as the block runs; its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), FakeTwilio)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


def queue(sessions, first: int, count: int) -> None:  # type: ignore[no-untyped-def]
    """``count`` committed SMS notices, numbered from ``first``."""
    with unit_of_work(sessions) as session:
        for n in range(first, first + count):
            text = f"【校园快递】CC{n:010d} 已可取件，取件码 {n % 10**6:06d}"
            enqueue(session, "sms", f"+86138{n:08d}", {"text": text, "params": {}}, f"tp-{n}")


def dispatched(dispatcher: Dispatcher) -> float:
    """Seconds for the dispatcher to send everything due."""
    began = time.perf_counter()
    while dispatcher.run_once().sent:
        pass
    return time.perf_counter() - began


def alone(sender: Sender, notices: list[Notice]) -> float:
    """Seconds for ``sender`` alone to send ``notices`` one after the other."""
    began = time.perf_counter()
    for notice in notices:
        sender.send(notice)
    return time.perf_counter() - began


def throughput(  # type: ignore[no-untyped-def]
    sessions, sender: Sender, count: int, round_size: int, first: int
) -> tuple[float, float]:
    """Seconds for one dispatcher to send ``count`` committed notices through ``sender``, and for
    a bare loop handing as many notices to ``sender`` alone, interleaved in rounds."""
    dispatcher = Dispatcher(sessions, {"sms": sender, "wechat": sender}, batch=round_size)
    ours = bare = 0.0
    for index, start in enumerate(range(first, first + count, round_size)):
        size = min(round_size, first + count - start)
        queue(sessions, start, size)
        notices = [
            Notice(
                -(n + 1),
                "sms",
                f"+86139{n:08d}",
                f"【校园快递】取件码 {n % 10**6:06d}",
                clock.now(),
            )
            for n in range(start, start + size)
        ]

        if index % 2:
            bare += alone(sender, notices)
            ours += dispatched(dispatcher)
        else:
            ours += dispatched(dispatcher)
            bare += alone(sender, notices)
    with sessions() as session:
        left = session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.status != OutboxStatus.SENT).limit(1)
        )
    if left is not None:
        raise RuntimeError("the dispatcher left notices unsent")
    return ours, bare


class Stopwatch(ConsoleSender):
    """The console sender, noting when each notice reached it."""

    def __init__(self, sessions) -> None:  # type: ignore[no-untyped-def]
        super().__init__(sessions)
        self.called = threading.Event()
        self.at = 0.0

    def send(self, notice: Notice) -> str:
        self.at = time.perf_counter()
        self.called.set()
        return super().send(notice)


class Stamp:
    at = 0.0

    def stamp(self) -> None:
        self.at = time.perf_counter()


def settled(sessions, key: str) -> None:  # type: ignore[no-untyped-def]
    """Wait until the notice is marked sent: SQLite takes one writer at a time, and the next
    sample's commit should not queue behind this one's bookkeeping."""
    query = select(OutboxMessage.status).where(OutboxMessage.dedupe_key == key)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with sessions() as session:
            if session.scalar(query) == OutboxStatus.SENT:
                return
        time.sleep(0.001)
    raise RuntimeError(f"{key} was never marked sent")


def latency(sessions, samples: int) -> list[float]:  # type: ignore[no-untyped-def]
    """Milliseconds from the commit of a PickupCodeIssued to the sender call, ``samples`` times."""
    with unit_of_work(sessions) as session:
        seed_demo(session, LABEL_KEY)
    with sessions() as session:
        consignment_id = session.scalar(select(Consignment.id).order_by(Consignment.id))
        controller, compartment_id, compartment = session.execute(
            select(LockerBank.controller, Compartment.id, Compartment.number)
            .join(Compartment, Compartment.bank_id == LockerBank.id)
            .where(LockerBank.kind == BankKind.PICKUP)
            .limit(1)
        ).one()
    sender = Stopwatch(sessions)
    dispatcher = Dispatcher(sessions, {"sms": sender, "wechat": sender})
    dispatcher.run_once()  # the demo's own notices first, before any sample is taken
    stop = threading.Event()
    thread = threading.Thread(target=dispatcher.run_forever, args=(stop, 1.0))
    thread.start()
    delays = []
    try:
        for n in range(samples):
            sender.called.clear()
            committed = Stamp()
            with with_code_key(sessions(), "bench-code-key") as session, session.begin():
                after_commit(session, committed.stamp)
                code = PickupCode(
                    compartment_id=compartment_id,
                    consignment_id=consignment_id,
                    nonce=f"{n:032x}",
                    code_hash=f"{n:016x}".ljust(64, "0"),
                    valid_until=clock.now() + dt.timedelta(hours=72),
                )
                session.add(code)
                session.flush()
                publish(
                    session,
                    PickupCodeIssued(
                        consignment_id=consignment_id,
                        pickup_code_id=code.id,
                        controller=controller,
                        compartment=compartment,
                        code_hash=code.code_hash,
                        valid_until=code.valid_until,
                        digits=f"{n:06d}",
                    ),
                )
                code_id = code.id
            if not sender.called.wait(10):
                raise RuntimeError("the dispatcher never sent the notice")
            delays.append((sender.at - committed.at) * 1000)
            settled(sessions, f"ready:{code_id}:sms")
    finally:
        stop.set()
        dispatcher.wake()
        thread.join()
    return delays


def main() -> None:
    quick = "--quick" in sys.argv
    count, provider_count, samples = (500, 20, 50) if quick else (3000, 100, 300)
    with scratch_database() as url:
        engine = make_engine(url)
        try:
            sessions = make_session_factory(engine, build_bus())
            console, console_bare = throughput(sessions, ConsoleSender(sessions), count, 100, 0)
            with fake_twilio() as base_url:
                twilio = TwilioSender(ACCOUNT, "token", "+15005550006", base_url=base_url)
                try:
                    provider, provider_bare = throughput(
                        sessions, twilio, provider_count, 10, count
                    )
                finally:
                    twilio.close()
            delays = latency(sessions, samples)
        finally:
            engine.dispose()
    lat = percentiles(delays)
    emit(
        {
            "bench": "dispatch",
            "notices": count,
            "dispatched_per_s": round(count / console, 1),
            "console_sender_alone_per_s": round(count / console_bare, 1),
            "ratio_of_sender_alone": round(console_bare / console, 3),
            "provider_ms": PROVIDER_S * 1000,
            "provider_notices": provider_count,
            "provider_dispatched_per_s": round(provider_count / provider, 2),
            "provider_sender_alone_per_s": round(provider_count / provider_bare, 2),
            "provider_ratio_of_sender_alone": round(provider_bare / provider, 3),
            "commit_to_send_p50_ms": lat["p50_ms"],
            "commit_to_send_p99_ms": lat["p99_ms"],
            "latency_samples": lat["samples"],
            "database": url.split(":", 1)[0],
        }
    )


if __name__ == "__main__":
    main()
