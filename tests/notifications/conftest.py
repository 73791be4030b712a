"""Dispatchers on the test's connection, and providers played by a local HTTP server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from core.outbox import OutboxMessage
from notifications.dispatcher import Dispatcher
from notifications.senders import ConsoleSender, TwilioSender, WeComSender
from tests.conftest import _session_on

ACCOUNT = "AC" + "0" * 32
TOKEN = "twilio-test-token"
FROM = "+15005550006"


@pytest.fixture
def sessions(connection: Connection):
    """Sessions on the test's connection: a dispatcher's commits become savepoints."""
    return lambda: _session_on(connection)


@pytest.fixture
def console(sessions) -> ConsoleSender:
    return ConsoleSender(sessions)


@pytest.fixture
def console_dispatcher(sessions, console) -> Dispatcher:
    return Dispatcher(sessions, {"sms": console, "wechat": console}, max_tries=3)


@pytest.fixture
def twilio(httpserver: HTTPServer) -> Iterator[TwilioSender]:
    sender = TwilioSender(ACCOUNT, TOKEN, FROM, base_url=httpserver.url_for("/"), timeout=0.5)
    yield sender
    sender.close()


@pytest.fixture
def wecom(httpserver: HTTPServer) -> Iterator[WeComSender]:
    sender = WeComSender("corp1", "secret1", "1000002", base_url=httpserver.url_for("/cgi-bin/"))
    yield sender
    sender.close()


@pytest.fixture
def twilio_dispatcher(sessions, twilio, console) -> Dispatcher:
    return Dispatcher(sessions, {"sms": twilio, "wechat": console}, max_tries=3)


def messages_path() -> str:
    return f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"


def twilio_message(sid: str, to: str, body: str, created: str = "") -> dict[str, object]:
    """A message resource as Twilio returns it (the fields the SDK reads)."""
    return {
        "sid": sid,
        "account_sid": ACCOUNT,
        "to": to,
        "from": FROM,
        "body": body,
        "status": "queued",
        "date_created": created or "Tue, 17 Nov 2026 01:30:00 +0000",
        "uri": f"/2010-04-01/Accounts/{ACCOUNT}/Messages/{sid}.json",
    }


def reload(session: Session, row: OutboxMessage) -> OutboxMessage:
    session.expire_all()
    found = session.scalar(select(OutboxMessage).where(OutboxMessage.id == row.id))
    assert found is not None
    return found
