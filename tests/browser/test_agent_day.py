"""The agent clerk's whole day in the browser, down to the recipient opening the simulated locker.

The live server here runs with the rest of the system as ``courier run`` starts it: a private
MQTT broker, the bridge and a simulated controller for every demo locker bank. The pickup code is
taken from the domain event that carries it to the recipient's notice.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

from core.config import Settings
from core.db import make_engine, make_session_factory, unit_of_work
from core.users import User
from courier.consignments import NewConsignment, create_consignment
from courier.models import Consignment
from courier.scans import Scan, process_scans
from courier.states import State
from lockers.events import PickupCodeIssued
from services.bootstrap import build_bus
from tests.browser.conftest import log_in, screenshot
from tests.databases import fresh_database

LABEL_KEY = "l"


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """Demo data plus a consignment of 陈老师 (XL) for SCI-001, sorted at the XL agent desk."""
    from services.bootstrap import bootstrap
    from web.app import create_app
    from web.cli import devices
    from web.demo import seed_demo

    folder = tmp_path_factory.mktemp("agent-day")
    with fresh_database(folder) as url:
        engine = make_engine(url)
        with unit_of_work(make_session_factory(engine, build_bus())) as session:
            seed_demo(session, LABEL_KEY)
            teacher = session.scalar(select(User).where(User.login == "teacher2"))
            courier = session.scalar(select(User).where(User.login == "courier"))
            consignment = create_consignment(
                session,
                teacher,
                NewConsignment(service_item="SCI-001", origin_campus="XL", pickup_campus="XL"),
                LABEL_KEY,
            )
            code = consignment.tracking_code
            scans = [("deposit", "XL-LOCKER-1"), ("collect", "XL-LOCKER-1"), ("sort", "XL-HALL")]
            process_scans(
                session,
                courier,
                [Scan(id=f"s-{kind}", code=code, kind=kind, location=at) for kind, at in scans],
                LABEL_KEY,
            )
        settings = Settings(
            database_url=url,
            mqtt_url=None,
            secret_key="b",
            label_key=LABEL_KEY,
            code_key="c",
            var_dir=folder,
        )
        codes: list[str] = []

        def remember(_session: object, event: PickupCodeIssued) -> None:
            codes.append(event.digits)

        services = bootstrap(settings)
        services.bus.subscribe(PickupCodeIssued, remember)
        with devices(services):
            app = create_app(services=services)
            server = make_server("127.0.0.1", 0, app, threaded=True)
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            try:
                yield {
                    "url": f"http://127.0.0.1:{server.server_port}",
                    "code": code,
                    "codes": codes,
                    "engine": engine,
                }
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


def test_a_clerks_day_from_accepting_to_the_recipient_opening_the_locker(browser, system):
    code = system["code"]
    desk = browser.new_context(base_url=system["url"], locale="zh-CN").new_page()
    desk.set_default_timeout(15_000)
    log_in(desk, "clerk")
    desk.goto("/clerk/")
    expect(desk.locator(f"[data-test=row-{code}]")).to_be_visible()
    screenshot(desk, "agent-inbox")
    desk.click(f"[data-test=row-{code}] a")

    desk.click("[data-test=accept]")
    expect(desk.locator("[data-test=agent]")).to_contain_text("孙代办")
    desk.click("[data-test=step-handed_to_department]")
    expect(desk.locator("[data-test=state]")).to_have_text("部门办理中")

    form = desk.locator("[data-test=materials-form]")
    form.locator("input[type=checkbox]").first.check()
    form.locator("[data-test=materials-other]").fill("合同需加盖学院公章")
    desk.click("[data-test=request-materials]")
    expect(desk.locator("[data-test=sla]")).to_have_text("计时暂停")
    expect(desk.locator("[data-test=pauses]")).to_contain_text(
        "项目合同书或任务书; 合同需加盖学院公章"
    )
    screenshot(desk, "agent-materials-requested")

    desk.click("[data-test=materials-received]")
    expect(desk.locator("[data-test=sla]")).not_to_have_text("计时暂停")
    desk.click("[data-test=step-handed_to_department]")
    desk.click("[data-test=step-approved]")
    desk.select_option("[data-test=result-kind]", "stamped_copy")
    desk.click("[data-test=step-result_ready]")
    expect(desk.locator("[data-test=state]")).to_have_text("办结待返")

    expect(desk.locator("[data-test=bank]")).to_contain_text("综合楼取件柜")
    desk.click("[data-test=place-locker]")
    expect(desk.locator("[data-test=state]")).to_have_text("待取件")
    screenshot(desk, "agent-placed-in-locker")
    assert len(system["codes"]) == 1

    kiosk = browser.new_context(
        base_url=system["url"], locale="zh-CN", viewport={"width": 800, "height": 1280}
    ).new_page()
    kiosk.goto("/lockers/XL-PU-01/kiosk")
    kiosk.fill("input[name=code]", system["codes"][0])
    kiosk.click("form.kiosk button[type=submit]")
    screenshot(kiosk, "agent-recipient-at-kiosk")
    deadline = time.monotonic() + 20
    while state_of(system) != State.PICKED_UP and time.monotonic() < deadline:
        time.sleep(0.2)
    assert state_of(system) == State.PICKED_UP

    desk.reload()
    expect(desk.locator("[data-test=state]")).to_have_text("已取件")
    screenshot(desk, "agent-day-closed")
