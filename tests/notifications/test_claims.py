"""Dispatchers side by side: a claim takes at most its batch, each notice has its own lease, and
a dispatcher whose claim was taken over records nothing."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter

import pytest
from sqlalchemy import select

from core.db import make_engine, make_session_factory
from core.outbox import OutboxMessage, OutboxStatus, enqueue
from notifications.dispatcher import Dispatcher
from notifications.senders import Notice
from services.bootstrap import build_bus
from tests.databases import fresh_database


@pytest.fixture
def committed_database(tmp_path):
    with fresh_database(tmp_path) as url:
        engine = make_engine(url)
        yield make_session_factory(engine, build_bus())
        engine.dispose()


class SlowProvider:
    """Takes ``pause`` seconds per message and can say which ones it has."""

    name = "slow"

    def __init__(self, pause: float) -> None:
        self.pause = pause
        self.accepted: Counter[int] = Counter()
        self.lock = threading.Lock()

    def send(self, notice: Notice) -> str:
        time.sleep(self.pause)
        with self.lock:
            self.accepted[notice.outbox_id] += 1
        return f"slow-{notice.outbox_id}"

    def find(self, notice: Notice) -> str | None:
        with self.lock:
            return f"slow-{notice.outbox_id}" if self.accepted[notice.outbox_id] else None

    def close(self) -> None:
        """Nothing to close."""


def queue(sessions, count: int) -> None:
    with sessions() as session, session.begin():
        for n in range(count):
            enqueue(session, "sms", "+8613800000009", {"text": f"n{n}", "params": {}}, f"c-{n}")


def drain(dispatcher: Dispatcher, until: float) -> None:
    while time.monotonic() < until:
        tally = dispatcher.run_once()
        if not (tally.sent or tally.reconciled or tally.retrying):
            time.sleep(0.05)


@pytest.mark.slow
def test_three_dispatchers_with_a_slow_provider_send_each_notice_once(committed_database):
    queue(committed_database, 120)
    provider = SlowProvider(pause=0.02)
    # A batch of 40 takes 0.8 s, longer than the 0.5 s lease: only per-notice leases hold.
    dispatchers = [
        Dispatcher(committed_database, {"sms": provider}, batch=40, lease=dt.timedelta(seconds=0.5))
        for _ in range(3)
    ]
    until = time.monotonic() + 8
    threads = [threading.Thread(target=drain, args=(d, until)) for d in dispatchers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with committed_database() as session:
        statuses = Counter(session.scalars(select(OutboxMessage.status)))
    assert len(provider.accepted) == 120
    assert set(provider.accepted.values()) == {1}
    assert statuses == {OutboxStatus.SENT: 120}


def test_a_claim_takes_no_more_than_its_batch(committed_database):
    queue(committed_database, 30)
    claimed = Dispatcher(committed_database, {"sms": SlowProvider(0)}, batch=7).claim()
    assert len(claimed) == 7


def test_a_dispatcher_whose_claim_was_taken_over_records_nothing(committed_database):
    queue(committed_database, 1)
    provider = SlowProvider(0)
    slow = Dispatcher(committed_database, {"sms": provider}, lease=dt.timedelta(seconds=0.2))
    (notice,) = slow.claim()
    time.sleep(0.3)
    other = Dispatcher(committed_database, {"sms": provider})
    assert other.reconcile().reconciled == 1  # the provider never had it: pending again
    (again,) = other.claim()
    assert not slow._renew(notice)
    slow._mark_sent(notice, "slow", "late")
    with committed_database() as session:
        row = session.scalar(select(OutboxMessage))
    assert row is not None
    assert (row.status, row.claim_token) == (OutboxStatus.SENDING, again.claim_token)
    assert row.provider_message_id is None
