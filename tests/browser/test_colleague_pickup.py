"""Letting a colleague collect, on a phone and on a desk: the form, the page after, their link."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from core.db import make_engine, make_session_factory, unit_of_work
from core.outbox import OutboxMessage
from core.users import User
from courier.consignments import NewConsignment, create_consignment, record_web_event
from courier.scans import Scan, process_scans
from courier.states import Kind
from services.bootstrap import build_bus, with_code_key
from services.pickup import place_result
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1366, "height": 768}
COLLEAGUE = "13900000902"


@pytest.fixture(scope="module")
def waiting_for_student(live_database: str) -> str:
    """A result of the student's own waiting in the Nanhu pickup locker; its tracking code."""
    engine = make_engine(live_database)
    with unit_of_work(make_session_factory(engine, build_bus())) as opened:
        session = with_code_key(opened, "c")  # the live server's code key
        users = {u.login: u for u in session.scalars(select(User))}
        consignment = create_consignment(
            session,
            users["student"],
            NewConsignment(service_item="HR-002", origin_campus="NH", pickup_campus="NH"),
            "l",
        )
        code = consignment.tracking_code
        steps = [("deposit", "NH-LOCKER-1"), ("collect", "NH-LOCKER-1"), ("sort", "NH-HALL")]
        process_scans(
            session,
            users["courier"],
            [Scan(id=f"colleague-{code}-{k}", code=code, kind=k, location=at) for k, at in steps],
            "l",
        )
        for kind in (Kind.AGENT_ACCEPTED, Kind.RESULT_READY):
            record_web_event(session, consignment, users["clerk"], kind, f"colleague:{kind}")
        place_result(session, users["clerk"], consignment, "colleague:placed")
    engine.dispose()
    return code


def colleague_link(live_database: str) -> str:
    engine = make_engine(live_database)
    with make_session_factory(engine)() as session:
        texts = [
            row.payload["text"]
            for row in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
            if row.payload.get("template") == "pickup_for_colleague"
        ]
    engine.dispose()
    return re.search(r"/p/[0-9a-f-]+", texts[-1]).group(0)


def test_the_student_lets_a_colleague_collect_and_the_colleague_opens_the_link(
    browser, live_server, live_database, waiting_for_student
):
    phone = browser.new_context(base_url=live_server, locale="zh-CN", viewport=PHONE).new_page()
    log_in(phone, "student")
    phone.goto("/pickups")
    card = phone.locator("[data-test=pickup]", has_text=waiting_for_student)
    own = card.locator("[data-test=pickup-code-shown]").inner_text().strip()
    card.locator("[data-test=colleague] summary").click()
    card.locator("input[name=name]").fill("王同事")
    card.locator("input[name=phone]").fill(COLLEAGUE)
    screenshot(phone, "colleague-1-form-phone")
    card.locator("[data-test=colleague-send]").click()
    expect(phone.locator(".flash")).to_contain_text("王同事")
    card = phone.locator("[data-test=pickup]", has_text=waiting_for_student)
    expect(card.locator("[data-test=pickup-collector]")).to_contain_text("由 王同事 代取")
    expect(card.locator("[data-test=pickup-code-shown]")).to_have_count(0)
    screenshot(phone, "colleague-2-handed-over-phone")

    desk = browser.new_context(base_url=live_server, locale="zh-CN", viewport=DESK).new_page()
    log_in(desk, "student")
    desk.goto("/pickups")
    expect(desk.locator("[data-test=pickup-collector]").first).to_be_visible()
    screenshot(desk, "colleague-3-handed-over-desk")
    desk.goto(f"/consignments/{waiting_for_student}")
    expect(desk.locator("body")).to_contain_text("已转交同事代取")
    screenshot(desk, "colleague-4-timeline-desk")

    colleague = browser.new_context(base_url=live_server, locale="zh-CN", viewport=PHONE).new_page()
    colleague.goto(colleague_link(live_database))
    theirs = colleague.locator("[data-test=pickup-code-shown]").inner_text().strip()
    assert re.fullmatch(r"\d{6}", theirs)
    assert theirs != own
    expect(colleague.locator("[data-test=pickup-qr]")).to_be_visible()
    screenshot(colleague, "colleague-5-their-link-phone")
