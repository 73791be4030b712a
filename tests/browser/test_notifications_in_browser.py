"""Notices in the browser: the administrators' outbox page with its resend button, and a
user's notice settings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from core.db import make_engine, make_session_factory, unit_of_work
from core.users import Role, User
from notifications.dispatcher import Dispatcher
from notifications.notify import notify
from notifications.senders import ConsoleSender, Notice, PermanentFailure
from services.bootstrap import build_bus
from tests import factories
from tests.browser.conftest import log_in, screenshot

#: Before any notice another test leaves pending in the shared live database.
FIRST = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


class Refusing:
    """A provider that refuses every number."""

    name = "twilio"

    def send(self, notice: Notice) -> str:
        raise PermanentFailure("twilio 400: 21211 Invalid 'To' Phone Number")

    def find(self, notice: Notice) -> str | None:
        return None

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def notices(live_database: str) -> Iterator[dict[str, int]]:
    """One pickup notice sent through the console, one dead at the provider."""
    engine = make_engine(live_database)
    sessions = make_session_factory(engine, build_bus())
    params = {
        "tracking_code": "CC-BROWSER-1",
        "code": "246810",
        "locker": "南湖取件柜",
        "compartment": 4,
        "place": "图书馆东侧",
        "until": "2026-11-20T09:30:00+08:00",
        "link": "http://127.0.0.1:8000/p/7-691e6f18-0f3a9c1d2e4b5a69",
    }
    with unit_of_work(sessions) as session:
        (dead,) = notify(session, "pickup_reminder_24h", phone="+8613900000000",
                         params=params, dedupe_key="browser-dead")  # fmt: skip
        # Other browser tests leave pending notices in the live database and a pass claims the
        # fifty oldest: these two go first, so that the pass below is the one that handles them.
        dead.available_at = FIRST
    Dispatcher(sessions, {"sms": Refusing()}).run_once()
    with unit_of_work(sessions) as session:
        teacher = session.scalar(select(User).where(User.login == "teacher"))
        (sent,) = notify(session, "pickup_ready", user=teacher, params=params,
                         dedupe_key="browser-sent")  # fmt: skip
        sent.available_at = FIRST
    console = ConsoleSender(sessions)
    Dispatcher(sessions, {"sms": console, "wechat": console}).run_once()
    ids = {"sent": sent.id, "dead": dead.id}
    yield ids
    engine.dispose()


def test_an_admin_sees_sent_and_dead_notices_and_sends_a_dead_one_again(page, notices):
    log_in(page, "admin")
    page.goto("/admin/notifications")
    sent = page.locator(f"[data-test=notice-{notices['sent']}]")
    dead = page.locator(f"[data-test=notice-{notices['dead']}]")
    expect(sent.locator("[data-status]")).to_have_attribute("data-status", "sent")
    expect(sent).to_contain_text("取件码 ******")
    expect(dead.locator("[data-status]")).to_have_text("已放弃")
    expect(dead).to_contain_text("21211")
    expect(page.locator("[data-test=console]")).to_contain_text("CC-BROWSER-1")
    screenshot(page, "admin-notifications")
    page.click(f"[data-test=resend-{notices['dead']}]")
    expect(page.locator(".flash.success")).to_contain_text("重新发送")
    expect(page.locator(f"[data-test=notice-{notices['dead']}] [data-status]")).to_have_attribute(
        "data-status", "pending"
    )


@pytest.fixture(scope="module")
def own_teacher(live_database: str) -> Iterator[str]:
    """A teacher of this test's own: the demo teacher's settings decide other tests' notices."""
    engine = make_engine(live_database)
    with unit_of_work(make_session_factory(engine)) as session:
        factories.user(session, "prefs_teacher", Role.TEACHER)
    yield "prefs_teacher"
    engine.dispose()


def test_a_teacher_chooses_wechat_and_english_notices(page, own_teacher):
    log_in(page, own_teacher, factories.PASSWORD)
    page.click(".who")
    expect(page.locator("h1")).to_have_text("通知方式")
    page.select_option("select[name=channel]", "both")
    page.select_option("select[name=language]", "en")
    page.fill("input[name=wechat_id]", "wangli")
    page.click("[data-test=preferences] button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("通知设置已保存")
    expect(page.locator("select[name=channel]")).to_have_value("both")
    screenshot(page, "notification-preferences")
