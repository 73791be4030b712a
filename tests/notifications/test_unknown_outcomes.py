"""A notice whose attempt ended without an answer is sent again only if the provider lacks it."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import select
from werkzeug import Request, Response

from core.outbox import OutboxMessage, OutboxStatus, enqueue
from notifications.dispatcher import Dispatcher
from notifications.senders import TwilioSender, WeComSender
from tests.notifications.fake_twilio import ACCOUNT, FakeTwilio, Fault, Stored

FROM = "+15005550006"
TO = "+8613800000007"


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    server = FakeTwilio(hold=0.6).start()
    yield server
    server.stop()


@pytest.fixture
def dispatcher(sessions, fake) -> Iterator[Dispatcher]:
    sender = TwilioSender(ACCOUNT, "token", FROM, base_url=fake.url, timeout=0.3)
    yield Dispatcher(sessions, {"sms": sender, "wechat": sender})
    sender.close()


def queue(session, count: int) -> list[OutboxMessage]:
    return [
        enqueue(session, "sms", TO, {"text": f"第 {n} 号通知", "params": {}}, f"unknown-{n}")
        for n in range(count)
    ]


def after_the_lease(frozen_clock, dispatcher: Dispatcher) -> None:
    frozen_clock.advance(dispatcher.lease + dt.timedelta(seconds=1))
    dispatcher.run_once()
    dispatcher.run_once()


def statuses(session) -> list[OutboxStatus]:
    session.expire_all()
    return list(session.scalars(select(OutboxMessage.status)))


def test_notices_twilio_accepted_before_timing_out_are_not_sent_twice(
    session, fake, dispatcher, frozen_clock
):
    queue(session, 5)
    fake.faults.extend([Fault.TIMEOUT] * 5)
    assert dispatcher.run_once().unknown == 5
    after_the_lease(frozen_clock, dispatcher)
    assert fake.posts == 5
    assert sorted(fake.copies().values()) == [1] * 5
    assert statuses(session) == [OutboxStatus.SENT] * 5


def test_notices_whose_connection_dropped_after_acceptance_are_not_sent_twice(
    session, fake, dispatcher, frozen_clock
):
    queue(session, 10)
    fake.faults.extend([Fault.DROP] * 10)
    assert dispatcher.run_once().unknown == 10
    after_the_lease(frozen_clock, dispatcher)
    assert fake.posts == 10
    assert sorted(fake.copies().values()) == [1] * 10
    assert statuses(session) == [OutboxStatus.SENT] * 10


def test_a_notice_is_not_asked_about_before_its_lease_runs_out(
    session, fake, dispatcher, frozen_clock
):
    queue(session, 1)
    fake.faults.append(Fault.TIMEOUT)
    dispatcher.run_once()
    dispatcher.run_once()
    assert (fake.posts, fake.lookups) == (1, 0)
    assert statuses(session) == [OutboxStatus.SENDING]


def test_a_notice_twilio_never_received_is_sent_again_once_after_asking(
    session, fake, dispatcher, frozen_clock
):
    queue(session, 1)
    fake.faults.append(Fault.LOST)
    dispatcher.run_once()
    assert fake.copies() == {}
    after_the_lease(frozen_clock, dispatcher)
    assert fake.lookups >= 1
    assert list(fake.copies().values()) == [1]
    assert statuses(session) == [OutboxStatus.SENT]


def test_the_lookup_reads_every_page_since_the_attempt_not_only_the_latest_messages(
    session, fake, dispatcher, frozen_clock
):
    queue(session, 1)
    fake.faults.append(Fault.DROP)
    dispatcher.run_once()
    # After ours, 450 more messages went to the same number: ours is on the third page.
    fake.messages.extend(
        Stored(f"SMX{n}", TO, FROM, f"other {n}", frozen_clock.now()) for n in range(450)
    )
    after_the_lease(frozen_clock, dispatcher)
    assert fake.lookups == 3
    assert fake.posts == 1
    assert statuses(session) == [OutboxStatus.SENT]


def test_messages_to_the_number_from_elsewhere_do_not_count_as_ours(
    session, fake, dispatcher, frozen_clock
):
    (row,) = queue(session, 1)
    fake.faults.append(Fault.LOST)
    dispatcher.run_once()
    fake.messages.append(Stored("SMY", TO, "+15550000000", row.payload["text"], frozen_clock.now()))
    after_the_lease(frozen_clock, dispatcher)
    assert fake.copies()[row.payload["text"]] == 2  # ours, sent now, and the stranger's
    assert statuses(session) == [OutboxStatus.SENT]


def logged_sends(httpserver: HTTPServer) -> list[Request]:
    """The sends the server has logged, once it has logged any: it logs a request when its
    handler returns, so a send it held past the client's timeout shows up only after that."""
    deadline = time.monotonic() + 5
    while True:
        sends = [r for r, _ in httpserver.log if r.path.endswith("/message/send")]
        if sends or time.monotonic() > deadline:
            return sends
        time.sleep(0.02)


def test_a_wecom_notice_that_timed_out_waits_for_an_administrator_instead_of_a_resend(
    session, sessions, httpserver, frozen_clock
):
    row = enqueue(session, "wechat", "zhangsan", {"text": "材料已送达", "params": {}}, "w-t")
    answered = threading.Event()

    def slow(_request: Request) -> Response:
        answered.wait(5)
        return Response('{"errcode": 0, "msgid": "MSG9"}', content_type="application/json")

    httpserver.expect_request("/cgi-bin/gettoken").respond_with_json(
        {"errcode": 0, "access_token": "TOKEN1", "expires_in": 7200}
    )
    httpserver.expect_request("/cgi-bin/message/send").respond_with_handler(slow)
    wecom = WeComSender("corp1", "secret1", "1000002", base_url=httpserver.url_for("/cgi-bin/"),
                        timeout=0.3)  # fmt: skip
    dispatcher = Dispatcher(sessions, {"wechat": wecom})
    try:
        assert dispatcher.run_once().unknown == 1
        answered.set()
        frozen_clock.advance(dispatcher.lease + dt.timedelta(seconds=1))
        dispatcher.run_once()
        dispatcher.run_once()
    finally:
        answered.set()
        wecom.close()
    session.expire_all()
    assert len(logged_sends(httpserver)) == 1
    assert session.get(OutboxMessage, row.id).status == OutboxStatus.UNKNOWN


def test_a_notice_twilio_never_gets_is_dead_after_the_configured_tries(
    session, sessions, fake, frozen_clock
):
    queue(session, 1)
    fake.faults.extend([Fault.LOST] * 3)
    sender = TwilioSender(ACCOUNT, "token", FROM, base_url=fake.url, timeout=0.3)
    dispatcher = Dispatcher(sessions, {"sms": sender}, max_tries=3)
    dispatcher.run_once()
    for _ in range(3):
        after_the_lease(frozen_clock, dispatcher)
    sender.close()
    assert fake.copies() == {}
    assert statuses(session) == [OutboxStatus.DEAD]


def test_a_twilio_that_refuses_the_connection_surely_lacks_the_notice_and_it_is_retried(
    session, sessions, frozen_clock
):
    queue(session, 1)
    sender = TwilioSender(ACCOUNT, "token", FROM, base_url="http://127.0.0.1:9", timeout=0.3)
    tally = Dispatcher(sessions, {"sms": sender}).run_once()
    sender.close()
    assert (tally.retrying, tally.unknown) == (1, 0)
    assert statuses(session) == [OutboxStatus.PENDING]
