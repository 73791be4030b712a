"""`courier dispatcher` processes killed mid-call against a Twilio that accepted the message: every
notice still reaches the provider exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from core.db import make_engine, make_session_factory
from core.outbox import OutboxMessage, OutboxStatus, enqueue
from services.bootstrap import build_bus
from tests.databases import fresh_database
from tests.notifications.fake_twilio import ACCOUNT, FakeTwilio, Stored

COMMAND = (sys.executable, "-c", "from web.cli import main; main()")
NOTICES = 200
#: The provider has taken the message and the dispatcher dies before it hears so.
KILL_AT = {40, 95, 150}


class Dispatchers:
    """One `courier dispatcher` process at a time; killed when the provider accepts certain
    messages, restarted by the test."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.kills = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.killed = threading.Event()

    def start(self) -> None:
        self.killed.clear()
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [*COMMAND, "dispatcher", "--idle", "0.2"],
                env=self.env,
                stdout=log,
                stderr=log,
            )

    def on_accept(self, message: Stored) -> None:
        number = int(message.body.split()[1])
        if number in KILL_AT and self.process is not None:
            self.process.kill()
            self.process.wait()
            self.kills += 1
            self.killed.set()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


@pytest.mark.slow
def test_three_dispatcher_kills_during_200_notices_lose_and_double_none(tmp_path):
    fake = FakeTwilio().start()
    with fresh_database(tmp_path) as url:
        engine = make_engine(url)
        sessions = make_session_factory(engine, build_bus())
        with sessions() as session, session.begin():
            for n in range(NOTICES):
                enqueue(session, "sms", "+8613800000011", {"text": f"通知 {n} 号"}, f"k-{n}")
        env = {
            **os.environ,
            "COURIER_DATABASE_URL": url,
            "COURIER_VAR_DIR": str(tmp_path / "var"),
            "COURIER_TWILIO_ACCOUNT_SID": ACCOUNT,
            "COURIER_TWILIO_AUTH_TOKEN": "token",
            "COURIER_TWILIO_FROM": "+15005550006",
            "COURIER_TWILIO_BASE_URL": fake.url,
            "COURIER_NOTIFY_TIMEOUT": "1",
            "COURIER_NOTIFY_LEASE": "2",
        }
        dispatchers = Dispatchers(env, tmp_path / "dispatcher.log")
        fake.on_accept = dispatchers.on_accept
        try:
            dispatchers.start()
            # A bound for a loaded machine; an unloaded run takes about a quarter of it.
            deadline = time.monotonic() + 150
            while time.monotonic() < deadline:
                if dispatchers.killed.wait(0.2):
                    dispatchers.start()
                with sessions() as session:
                    statuses = Counter(session.scalars(select(OutboxMessage.status)))
                if statuses == {OutboxStatus.SENT: NOTICES}:
                    break
        finally:
            dispatchers.stop()
            fake.stop()
            engine.dispose()
    copies = fake.copies()
    assert dispatchers.kills == 3
    assert statuses == {OutboxStatus.SENT: NOTICES}, dispatchers.log.read_text()[-2000:]
    assert len(copies) == NOTICES
    assert max(copies.values()) == 1
