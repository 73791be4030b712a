"""A teacher at the drop box's screen, on a phone-sized and a desk-sized screen: a genuine label
opens a door, the simulated box reports the deposit, a forged label opens nothing. Then the
envelope's way to 西岭 (a change of bus at 南湖, no misroute), the courier's sort into the
sorting locker and the clerk opening it from the desk.

The live server runs as ``courier run`` starts it: a private MQTT broker, the bridge and a
simulated controller for every demo locker bank.
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
from core.db import for_writing, make_engine, make_session_factory, unit_of_work
from core.users import User
from courier.consignments import NewConsignment, create_consignment
from courier.models import Consignment
from services.bootstrap import build_bus
from tests.browser.conftest import log_in, screenshot
from tests.databases import fresh_database

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LABEL_KEY = "l"
SIZES = {"phone": {"width": 390, "height": 844}, "desk": {"width": 1366, "height": 768}}


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """Demo data and the live system; 王老师 has two envelopes to drop at 东江."""
    from services.bootstrap import bootstrap
    from web.app import create_app
    from web.cli import devices
    from web.demo import seed_demo

    folder = tmp_path_factory.mktemp("drop-box-day")
    with fresh_database(folder) as url:
        engine = make_engine(url)
        with unit_of_work(make_session_factory(engine, build_bus())) as session:
            seed_demo(session, LABEL_KEY)
        settings = Settings(
            database_url=url,
            mqtt_url=None,
            secret_key="b",
            label_key=LABEL_KEY,
            code_key="drop-box-day-key",
            var_dir=folder,
        )
        services = bootstrap(settings)
        with devices(services) as simulators:
            with unit_of_work(services.sessions) as opened:  # type: ignore[arg-type]
                session = for_writing(opened)  # the bridge writes at the same time
                teacher = session.scalars(select(User).where(User.login == "teacher")).one()
                codes = {
                    (purpose, size): create_consignment(
                        session,
                        teacher,
                        NewConsignment(service_item="SCI-001", origin_campus="DJ"),
                        LABEL_KEY,
                    ).tracking_code
                    for purpose in ("drop", "journey")
                    for size in SIZES
                }
            app = create_app(services=services)
            server = make_server("127.0.0.1", 0, app, threaded=True)
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            try:
                yield {"url": f"http://127.0.0.1:{server.server_port}", "codes": codes,
                       "engine": engine, "sessions": services.sessions,
                       "simulators": simulators}  # fmt: skip
            finally:
                server.shutdown()
                thread.join()
                server.server_close()
                services.dispose()
        engine.dispose()


def state_of(system: dict, code: str) -> str:
    with make_session_factory(system["engine"], build_bus())() as session:
        return session.scalar(select(Consignment.state).where(Consignment.tracking_code == code))


@pytest.mark.parametrize("size", list(SIZES))
def test_a_teacher_drops_an_envelope_by_its_label_and_a_forged_one_opens_nothing(
    browser, system, size
):
    screen = browser.new_context(
        base_url=system["url"], locale="zh-CN", viewport=SIZES[size]
    ).new_page()
    screen.set_default_timeout(15_000)
    screen.goto("/lockers/DJ-DB-01/drop")
    expect(screen.locator("[data-test=drop-code]")).to_be_focused()
    screenshot(screen, f"drop-box-1-idle-{size}")

    code = system["codes"]["drop", size]
    forged = code[:-1] + ("0" if code[-1] != "0" else "1")
    screen.fill("[data-test=drop-code]", forged)
    screen.click("[data-test=drop-open]")
    expect(screen.locator("[data-test=drop-answer]")).to_contain_text("柜门不会打开")
    screenshot(screen, f"drop-box-2-forged-{size}")

    # A keyboard-wedge reader types the label's QR text and presses Enter.
    screen.fill("[data-test=drop-code]", f"{system['url']}/t/{code}")
    screen.press("[data-test=drop-code]", "Enter")
    answer = screen.locator("[data-test=drop-answer]")
    expect(answer).to_have_attribute("data-state", "open")
    expect(answer).to_contain_text("柜门已打开")
    screenshot(screen, f"drop-box-3-door-open-{size}")
    expect(answer).to_have_attribute("data-state", "deposited")
    expect(answer).to_contain_text("已收到您的文件")
    screenshot(screen, f"drop-box-4-received-{size}")
    assert state_of(system, code) == "deposited"
    screen.context.close()


TO_THE_HUB = [("collect", "DJ-LOCKER-1"), ("load", "DJ-SHUTTLE"), ("unload", "NH-SHUTTLE")]
ON_TO_XI_LING = [("load", "NH-SHUTTLE"), ("unload", "XL-SHUTTLE")]


def courier_scans(system: dict, code: str, steps: list[tuple[str, str]]) -> list[str]:
    """The courier's scans of ``code`` as one batch; the kinds recorded so far."""
    from courier.scans import Scan, process_scans

    with unit_of_work(system["sessions"]) as opened:
        session = for_writing(opened)
        courier = session.scalars(select(User).where(User.login == "courier")).one()
        process_scans(
            session,
            courier,
            [Scan(id=f"{code}-{kind}-{place}", code=code, kind=kind, location=place)
             for kind, place in steps],
            LABEL_KEY,
        )  # fmt: skip
    with make_session_factory(system["engine"], build_bus())() as session:
        consignment = session.scalars(
            select(Consignment).where(Consignment.tracking_code == code)
        ).one()
        return [event.kind for event in consignment.events]


def dropped_by_the_box_reader(system: dict, code: str) -> None:
    """The envelope goes into a free door of the 东江 drop box, whose reader reads its label."""
    from lockers.compartments import bank_by_controller
    from lockers.models import CompartmentState

    with make_session_factory(system["engine"], build_bus())() as session:
        bank = bank_by_controller(session, "DJ-DB-01")
        free = max(c.number for c in bank.compartments if c.state == CompartmentState.FREE)
    system["simulators"]["DJ-DB-01"].deposit(free, f"{system['url']}/t/{code}")
    deadline = time.monotonic() + 15
    while state_of(system, code) != "deposited" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert state_of(system, code) == "deposited"


def sorting_compartment(system: dict, code: str) -> int:
    from lockers.compartments import bank_by_controller
    from lockers.sorting import compartment_number_for

    with make_session_factory(system["engine"], build_bus())() as session:
        consignment = session.scalars(
            select(Consignment).where(Consignment.tracking_code == code)
        ).one()
        return compartment_number_for(session, bank_by_controller(session, "XL-SO-01"), consignment)


@pytest.mark.parametrize("size", list(SIZES))
def test_the_envelope_changes_bus_at_the_hub_is_sorted_into_the_locker_and_the_clerk_opens_it(
    browser, system, size
):
    code = system["codes"]["journey", size]
    dropped_by_the_box_reader(system, code)
    assert courier_scans(system, code, TO_THE_HUB)[-1] == "transferred"
    # The tracking page while it changes bus at 南湖: for anyone, then for its submitter.
    viewer = browser.new_context(
        base_url=system["url"], locale="zh-CN", viewport=SIZES[size]
    ).new_page()
    viewer.goto(f"/t/{code}")
    expect(viewer.locator("[data-test=heading]")).to_have_text(f"文件 {code}")
    expect(viewer.locator("[data-test=eta-now]")).to_have_text("转运中：在南湖校区换乘校车。")
    screenshot(viewer, f"tracking-1-transfer-anonymous-{size}")
    log_in(viewer, "teacher")
    viewer.goto(f"/t/{code}")
    expect(viewer.locator("[data-test=heading]")).to_have_text("纵向科研项目合同（任务书）盖章")
    expect(viewer.locator("[data-test=eta-label]")).to_have_text("送达办理部门")
    screenshot(viewer, f"tracking-2-transfer-teacher-{size}")
    viewer.context.close()

    kinds = courier_scans(system, code, ON_TO_XI_LING)
    assert "misrouted" not in kinds
    assert state_of(system, code) == "arrived"

    number = sorting_compartment(system, code)
    system["simulators"]["XL-SO-01"].deposit(number, f"{system['url']}/t/{code}")
    deadline = time.monotonic() + 15
    while state_of(system, code) != "sorted" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert state_of(system, code) == "sorted"

    desk = browser.new_context(
        base_url=system["url"], locale="zh-CN", viewport=SIZES[size]
    ).new_page()
    desk.set_default_timeout(15_000)
    log_in(desk, "clerk")
    desk.goto("/clerk/")
    held = desk.locator(f"[data-test=sorting-XL-SO-01-{number}]")
    expect(held).to_contain_text(code)
    screenshot(desk, f"sorting-1-desk-{size}")
    held.locator("[data-test=open-sorting]").click()
    expect(desk.locator(".flash.success")).to_contain_text(f"{number}号格口正在打开")
    expect(desk.locator(f"[data-test=row-{code}]")).to_contain_text("我的")
    screenshot(desk, f"sorting-2-opened-{size}")
    assert state_of(system, code) == "with_agent"
    desk.context.close()
