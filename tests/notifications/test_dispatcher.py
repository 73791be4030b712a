import datetime as dt
import threading
import time
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from core.config import NoticeSettings
from core.db import make_engine, make_session_factory
from core.outbox import OutboxMessage, OutboxStatus, enqueue
from notifications.dispatcher import Dispatcher, backoff, resend
from notifications.models import ConsoleMessage
from notifications.notify import notify
from notifications.senders import ConsoleSender, Notice, TemporaryFailure
from services.bootstrap import build_bus
from tests.databases import fresh_database
from tests.notifications.conftest import reload


def queue(session, key="k1", text="hello", channel="sms", to="+8613800000001", **params):
    return enqueue(session, channel, to, {"text": text, "params": params}, key)


def test_a_queued_notice_goes_to_the_console_once_and_is_marked_sent(
    session, console_dispatcher, frozen_clock
):
    row = queue(session)
    first = console_dispatcher.run_once()
    second = console_dispatcher.run_once()
    row = reload(session, row)
    assert (first.sent, second.sent) == (1, 0)
    assert row.status == OutboxStatus.SENT
    assert row.provider == "console"
    assert row.provider_message_id.startswith("console-")
    assert session.scalar(select(func.count()).select_from(ConsoleMessage)) == 1


def test_a_notice_held_back_until_later_is_not_sent_early(
    session, console_dispatcher, frozen_clock
):
    row = enqueue(
        session, "sms", "+8613800000001", {"text": "x"}, "later",
        available_at=frozen_clock.now() + dt.timedelta(hours=1),
    )  # fmt: skip
    assert console_dispatcher.run_once().sent == 0
    frozen_clock.advance(dt.timedelta(hours=1))
    assert console_dispatcher.run_once().sent == 1
    assert reload(session, row).status == OutboxStatus.SENT


def test_other_outbox_channels_are_left_to_their_own_dispatchers(session, console_dispatcher):
    row = queue(session, channel="mqtt")
    assert console_dispatcher.run_once().sent == 0
    assert reload(session, row).status == OutboxStatus.PENDING


def test_the_pickup_code_is_blanked_out_once_the_notice_is_sent(
    session, console_dispatcher, frozen_clock
):
    row = queue(session, text="code 123456 at NH", code="123456")
    console_dispatcher.run_once()
    row = reload(session, row)
    record = session.scalar(select(ConsoleMessage))
    assert "123456" not in row.payload["text"]
    assert row.payload["params"]["code"] != "123456"
    assert "123456" not in record.text


class Flaky:
    """A sender that fails the first ``failures`` times."""

    name = "flaky"

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    def send(self, notice: Notice) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise TemporaryFailure("provider busy")
        return f"flaky-{self.calls}"

    def find(self, notice: Notice) -> str | None:
        return None

    def close(self) -> None:
        pass


def test_a_failed_notice_waits_longer_after_each_try(session, sessions, frozen_clock):
    flaky = Flaky(failures=2)
    dispatcher = Dispatcher(sessions, {"sms": flaky, "wechat": flaky}, max_tries=5)
    row = queue(session)
    dispatcher.run_once()
    first_wait = reload(session, row).available_at - frozen_clock.now()
    frozen_clock.advance(first_wait)
    dispatcher.run_once()
    second_wait = reload(session, row).available_at - frozen_clock.now()
    frozen_clock.advance(second_wait)
    dispatcher.run_once()
    row = reload(session, row)
    assert (first_wait, second_wait) == (backoff(1), backoff(2))
    assert second_wait > first_wait
    assert row.status == OutboxStatus.SENT
    assert row.attempts == 3


def test_a_dispatcher_tries_a_notice_as_often_as_the_settings_say(settings, sessions):
    from notifications.worker import dispatcher_for

    tries_twice = replace(settings, notices=NoticeSettings(max_tries=2))
    with dispatcher_for(sessions, tries_twice) as dispatcher:
        assert dispatcher.max_tries == 2


def test_a_notice_is_dead_after_the_configured_number_of_tries(session, sessions, frozen_clock):
    flaky = Flaky(failures=10)
    dispatcher = Dispatcher(sessions, {"sms": flaky}, max_tries=2)
    row = queue(session, text="code 654321", code="654321")
    for _ in range(4):
        dispatcher.run_once()
        frozen_clock.advance(dt.timedelta(hours=2))
    row = reload(session, row)
    assert flaky.calls == 2
    assert row.status == OutboxStatus.DEAD
    assert row.last_error == "provider busy"
    assert "654321" not in row.payload["text"]


def test_an_administrator_can_send_a_dead_notice_again(session, sessions, frozen_clock):
    flaky = Flaky(failures=1)
    dispatcher = Dispatcher(sessions, {"sms": flaky}, max_tries=1)
    row = queue(session)
    dispatcher.run_once()
    assert reload(session, row).status == OutboxStatus.DEAD
    resend(session, row.id)
    session.flush()
    dispatcher.run_once()
    assert reload(session, row).status == OutboxStatus.SENT


def test_a_notice_left_sending_by_a_crash_is_not_sent_again_when_the_console_has_it(
    session, sessions, console, frozen_clock
):
    row = queue(session)
    crashed = Dispatcher(sessions, {"sms": console})
    (notice,) = crashed.claim()
    console.send(notice)  # ... and the dispatcher dies before it records the result
    survivor = Dispatcher(sessions, {"sms": console})
    assert survivor.run_once().sent == 0  # the lease still holds
    frozen_clock.advance(dt.timedelta(minutes=5))
    tally = survivor.run_once()
    row = reload(session, row)
    assert (tally.reconciled, tally.sent) == (1, 0)
    assert row.status == OutboxStatus.SENT
    assert session.scalar(select(func.count()).select_from(ConsoleMessage)) == 1


@pytest.fixture
def committed_database(tmp_path):
    with fresh_database(tmp_path) as url:
        engine = make_engine(url)
        yield make_session_factory(engine, build_bus())
        engine.dispose()


class Recording:
    name = "recording"

    def __init__(self) -> None:
        self.seen: list[int] = []
        self.lock = threading.Lock()

    def send(self, notice: Notice) -> str:
        with self.lock:
            self.seen.append(notice.outbox_id)
        return str(notice.outbox_id)

    def find(self, notice: Notice) -> str | None:
        return None

    def close(self) -> None:
        pass


def test_two_dispatchers_never_claim_the_same_notice(committed_database):
    with committed_database() as session, session.begin():
        for n in range(60):
            queue(session, key=f"race-{n}")
    sender = Recording()
    dispatchers = [Dispatcher(committed_database, {"sms": sender}, batch=7) for _ in range(2)]

    def drain(dispatcher: Dispatcher) -> None:
        while dispatcher.run_once().sent:
            pass

    threads = [threading.Thread(target=drain, args=(d,)) for d in dispatchers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with committed_database() as session:
        statuses = set(session.scalars(select(OutboxMessage.status)))
    assert sorted(sender.seen) == sorted(set(sender.seen))
    assert len(sender.seen) == 60
    assert statuses == {OutboxStatus.SENT}


def test_the_console_sender_keeps_what_it_would_send(session, sessions, frozen_clock):
    row = queue(session)
    notice = Notice(row.id, "sms", row.recipient, "hello", frozen_clock.now())
    provider_id = ConsoleSender(sessions).send(notice)
    assert ConsoleSender(sessions).find(notice) == provider_id


def test_notify_queues_nothing_new_for_a_repeated_key(session, console_dispatcher):
    first = notify(session, "sla_breach", phone="+8613800000009",
                   params={"tracking_code": "T1", "due": "2026-11-17T01:30:00+00:00"},
                   dedupe_key="same")  # fmt: skip
    again = notify(session, "sla_breach", phone="+8613800000009",
                   params={"tracking_code": "T1", "due": "2026-11-17T01:30:00+00:00"},
                   dedupe_key="same")  # fmt: skip
    assert [r.id for r in first] == [r.id for r in again]


def test_the_dispatcher_thread_of_courier_run_sends_as_soon_as_a_notice_commits(tmp_path, settings):
    from notifications.worker import dispatcher_thread

    with fresh_database(tmp_path) as url:
        engine = make_engine(url)
        sessions = make_session_factory(engine, build_bus())
        with dispatcher_thread(sessions, settings, idle=30):
            with sessions() as session, session.begin():
                (row,) = notify(session, "turn_near", phone="+8613800000010",
                                params={"ticket": "A1", "ahead": 2, "area": "一楼"},
                                dedupe_key="woken")  # fmt: skip
            deadline = time.monotonic() + 5
            status = None
            while status != OutboxStatus.SENT and time.monotonic() < deadline:
                time.sleep(0.02)
                with sessions() as session:
                    status = session.scalar(
                        select(OutboxMessage.status).where(OutboxMessage.id == row.id)
                    )
        engine.dispose()
    assert status == OutboxStatus.SENT


def test_resending_a_notice_that_does_not_exist_is_refused(session):
    from core.errors import NotFound

    with pytest.raises(NotFound):
        resend(session, 999_999)
