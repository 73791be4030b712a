"""The recipient's side on a phone: My pickups, the kiosk, a wrong code, a resend, the lockout.

The live server runs as ``courier run`` starts it: a private MQTT broker, the bridge and a
simulated controller for every demo locker bank. The codes are read from the recipient's page.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

from core.config import Settings
from core.db import for_writing, make_engine, make_session_factory, unit_of_work
from core.users import User
from courier.consignments import NewConsignment, create_consignment, record_web_event
from courier.models import Consignment
from courier.scans import Scan, process_scans
from courier.states import Kind, State
from firmware_bridge.models import Command
from services.bootstrap import build_bus
from services.pickup import place_result
from tests.browser.conftest import log_in, screenshot
from tests.databases import fresh_database

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LABEL_KEY = "l"
PHONE = {"width": 390, "height": 844}
SIX_DIGITS = re.compile(r"(?<!\d)\d{6}(?!\d)")


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """Demo data and the live system; 陈老师's SCI-001 result waits in the Xiling locker."""
    from services.bootstrap import bootstrap
    from web.app import create_app
    from web.cli import devices
    from web.demo import seed_demo

    folder = tmp_path_factory.mktemp("pickup-day")
    with fresh_database(folder) as url:
        engine = make_engine(url)
        with unit_of_work(make_session_factory(engine, build_bus())) as session:
            seed_demo(session, LABEL_KEY)
        settings = Settings(
            database_url=url,
            mqtt_url=None,
            secret_key="b",
            label_key=LABEL_KEY,
            code_key="pickup-day-key",
            var_dir=folder,
        )
        services = bootstrap(settings)
        with devices(services):
            with unit_of_work(services.sessions) as opened:  # type: ignore[arg-type]
                session = for_writing(opened)  # the bridge writes at the same time
                users = {u.login: u for u in session.scalars(select(User))}
                consignment = create_consignment(
                    session,
                    users["teacher2"],
                    NewConsignment(service_item="SCI-001", origin_campus="XL", pickup_campus="XL"),
                    LABEL_KEY,
                )
                code = consignment.tracking_code
                scans = [
                    ("deposit", "XL-LOCKER-1"),
                    ("collect", "XL-LOCKER-1"),
                    ("sort", "XL-HALL"),
                ]
                process_scans(
                    session,
                    users["courier"],
                    [Scan(id=f"s-{k}", code=code, kind=k, location=at) for k, at in scans],
                    LABEL_KEY,
                )
                for kind in (Kind.AGENT_ACCEPTED, Kind.RESULT_READY):
                    record_web_event(session, consignment, users["clerk"], kind, f"e-{kind}")
                place_result(session, users["clerk"], consignment, "place-1")
            app = create_app(services=services)
            server = make_server("127.0.0.1", 0, app, threaded=True)
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            try:
                yield {"url": f"http://127.0.0.1:{server.server_port}", "code": code,
                       "engine": engine}  # fmt: skip
            finally:
                server.shutdown()
                thread.join()
                server.server_close()
                services.dispose()
        engine.dispose()


def state_of(system: dict) -> str:
    with make_session_factory(system["engine"], build_bus())() as session:
        return session.scalar(
            select(Consignment.state).where(Consignment.tracking_code == system["code"])
        )


def command_rows(system: dict) -> list[str]:
    with make_session_factory(system["engine"], build_bus())() as session:
        return [f"{c.op} {c.args} {c.reason}" for c in session.scalars(select(Command))]


def shown_code(page: object) -> str:
    return page.locator("[data-test=pickup-code-shown]").inner_text().strip()  # type: ignore[attr-defined]


def kiosk_try(kiosk: object, digits: str) -> None:
    kiosk.goto("/lockers/XL-PU-01/kiosk")  # type: ignore[attr-defined]
    kiosk.fill("input[name=code]", digits)  # type: ignore[attr-defined]
    kiosk.click("form.kiosk button[type=submit]")  # type: ignore[attr-defined]


def test_the_teacher_collects_on_a_phone_and_the_kiosk_cannot_be_guessed(browser, system):
    phone = browser.new_context(base_url=system["url"], locale="zh-CN", viewport=PHONE).new_page()
    phone.set_default_timeout(15_000)
    log_in(phone, "teacher2")
    phone.goto("/pickups")
    first = shown_code(phone)
    assert SIX_DIGITS.fullmatch(first)
    expect(phone.locator("[data-test=pickup]")).to_contain_text("综合楼取件柜")
    expect(phone.locator("[data-test=pickup-qr]")).to_be_visible()
    screenshot(phone, "pickup-1-my-pickups")

    kiosk = browser.new_context(base_url=system["url"], locale="zh-CN", viewport=PHONE).new_page()
    kiosk.set_default_timeout(15_000)
    wrong = "000000" if first != "000000" else "111111"
    kiosk_try(kiosk, wrong)
    expect(kiosk.locator("[data-test=kiosk-answer]")).to_have_text("取件码错误，还可尝试 4 次。")
    screenshot(kiosk, "pickup-2-wrong-code")

    phone.click("[data-test=resend]")
    second = shown_code(phone)
    assert second != first
    screenshot(phone, "pickup-3-resent")
    kiosk_try(kiosk, first)
    expect(kiosk.locator("[data-test=kiosk-answer]")).to_have_text("取件码错误，还可尝试 3 次。")
    screenshot(kiosk, "pickup-4-old-code-fails")

    kiosk_try(kiosk, second)
    expect(kiosk.locator("[data-test=kiosk-answer]")).to_have_attribute("data-state", "open")
    expect(kiosk.locator("[data-test=kiosk-answer]")).to_contain_text("柜门已打开")
    screenshot(kiosk, "pickup-5-door-open")
    deadline = time.monotonic() + 20
    while state_of(system) != State.PICKED_UP and time.monotonic() < deadline:
        time.sleep(0.2)
    assert state_of(system) == State.PICKED_UP

    for n in range(3):
        kiosk_try(kiosk, f"99999{n}")
    kiosk_try(kiosk, second)
    expect(kiosk.locator("[data-test=kiosk-answer]")).to_contain_text("取件码错误次数过多")
    screenshot(kiosk, "pickup-6-locked")

    admin = browser.new_context(base_url=system["url"], locale="zh-CN").new_page()
    log_in(admin, "admin")
    admin.goto("/admin/lockers/XL-PU-01")
    screenshot(admin, "pickup-7-admin-locker")
    page_text = admin.locator("body").inner_text()
    rows = " ".join(command_rows(system))
    assert [c for c in (first, second) if c in page_text or c in rows] == []
