"""Notices per second through one dispatcher, and the delay from a commit to the sender call.

Throughput: ``N`` committed notices dispatched by one dispatcher (claim, console sender, mark
sent: three transactions per batch plus the console's insert per notice) against the baseline
of ``N`` bare console sends that only write the text to memory, without any database.

Latency: a "ready for pickup" event (:class:`lockers.events.PickupCodeIssued`) is published and
committed; a dispatcher thread, woken by the commit, calls the sender. The delay from the
commit to that call, p50 and p99.

Run: ``python -m bench.dispatch`` (``--quick`` for fewer notices); the last line is JSON.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
import threading
import time

from sqlalchemy import select

from bench.harness import emit, percentiles, scratch_database
from core import clock
from core.db import after_commit, make_engine, make_session_factory, unit_of_work
from core.events import publish
from core.outbox import OutboxMessage, OutboxStatus, enqueue
from courier.models import Consignment
from lockers.events import PickupCodeIssued
from lockers.models import BankKind, LockerBank
from notifications.dispatcher import Dispatcher
from notifications.senders import ConsoleSender, Notice
from services.bootstrap import build_bus
from web.demo import seed_demo

LABEL_KEY = "bench-label-key"


def bare_console(count: int) -> float:
    """Seconds for ``count`` console sends that write to memory only."""
    out = io.StringIO()
    notices = [
        Notice(n, "sms", "+8613800000000", f"【校园快递】取件码 {n:06d}", clock.now())
        for n in range(count)
    ]
    start = time.perf_counter()
    for notice in notices:
        out.write(f"{notice.channel} {notice.recipient}: {notice.text}\n")
    return time.perf_counter() - start


def throughput(sessions, count: int) -> float:  # type: ignore[no-untyped-def]
    """Seconds for one dispatcher to send ``count`` committed notices."""
    with unit_of_work(sessions) as session:
        for n in range(count):
            text = f"【校园快递】CC{n:010d} 已可取件，取件码 {n:06d}"
            enqueue(session, "sms", f"+86138{n:08d}", {"text": text, "params": {}}, f"tp-{n}")
    console = ConsoleSender(sessions)
    dispatcher = Dispatcher(sessions, {"sms": console, "wechat": console}, batch=100)
    start = time.perf_counter()
    while dispatcher.run_once().sent:
        pass
    elapsed = time.perf_counter() - start
    with sessions() as session:
        left = session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.status != OutboxStatus.SENT).limit(1)
        )
    if left is not None:
        raise RuntimeError("the dispatcher left notices unsent")
    return elapsed


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
        controller = session.scalar(
            select(LockerBank.controller).where(LockerBank.kind == BankKind.PICKUP)
        )
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
            with sessions() as session, session.begin():
                after_commit(session, committed.stamp)
                publish(
                    session,
                    PickupCodeIssued(
                        consignment_id=consignment_id,
                        controller=controller,
                        compartment=1,
                        salt="00",
                        code_hash=f"{n:016x}".ljust(64, "0"),
                        valid_until=clock.now() + dt.timedelta(hours=72),
                        digits=f"{n:06d}",
                    ),
                )
            if not sender.called.wait(10):
                raise RuntimeError("the dispatcher never sent the notice")
            delays.append((sender.at - committed.at) * 1000)
            settled(sessions, f"ready:{n:016x}:sms")
    finally:
        stop.set()
        dispatcher.wake()
        thread.join()
    return delays


def main() -> None:
    quick = "--quick" in sys.argv
    count, samples = (500, 50) if quick else (3000, 300)
    with scratch_database() as url:
        engine = make_engine(url)
        try:
            sessions = make_session_factory(engine, build_bus())
            seconds = throughput(sessions, count)
            delays = latency(sessions, samples)
        finally:
            engine.dispose()
    baseline = bare_console(count)
    rate, bare_rate = count / seconds, count / baseline
    print(f"one dispatcher: {rate:,.0f} notices/s; bare console writes: {bare_rate:,.0f}/s")
    lat = percentiles(delays)
    print(
        f"commit of PickupCodeIssued → sender call: p50 {lat['p50_ms']} ms, p99 {lat['p99_ms']} ms"
    )
    emit(
        {
            "bench": "dispatch",
            "notices": count,
            "dispatched_per_s": round(rate, 1),
            "baseline_bare_console_per_s": round(bare_rate, 1),
            "ratio_to_baseline": round(rate / bare_rate, 5),
            "commit_to_send_p50_ms": lat["p50_ms"],
            "commit_to_send_p99_ms": lat["p99_ms"],
            "latency_samples": lat["samples"],
            "database": url.split(":", 1)[0],
        }
    )


if __name__ == "__main__":
    main()
