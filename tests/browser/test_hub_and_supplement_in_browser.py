"""A 东江 student's envelope to 西岭 changes bus at 南湖 (a transfer, not a misroute), the clerk
asks for a missing paper, and the supplement the student sends without a trip resumes the clock.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

from core.config import Settings
from core.db import make_engine, make_session_factory, unit_of_work
from core.users import User
from courier.consignments import NewConsignment
from courier.models import Consignment
from courier.scans import Scan, process_scans
from services.bootstrap import build_bus
from services.consignments import submit
from tests.browser.conftest import log_in, screenshot
from tests.databases import fresh_database

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LABEL_KEY = "l"
TO_THE_HUB = [
    ("deposit", "DJ-LOCKER-1"),
    ("collect", "DJ-LOCKER-1"),
    ("load", "DJ-SHUTTLE"),
    ("unload", "NH-SHUTTLE"),
]
ON_TO_XI_LING = [("load", "NH-SHUTTLE"), ("unload", "XL-SHUTTLE"), ("sort", "XL-HALL")]


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """Demo data and a consignment of 李同学 (东江) for SCI-001 at the 西岭 desk."""
    from services.bootstrap import bootstrap
    from web.app import create_app
    from web.demo import seed_demo

    folder = tmp_path_factory.mktemp("hub-supplement")
    with fresh_database(folder) as url:
        engine = make_engine(url)
        with unit_of_work(make_session_factory(engine, build_bus())) as session:
            seed_demo(session, LABEL_KEY)
            student = session.scalar(select(User).where(User.login == "student"))
            code = submit(
                session,
                student,
                NewConsignment(service_item="SCI-001", origin_campus="DJ", pickup_campus="DJ"),
                LABEL_KEY,
                accept_later=True,
            ).consignment.tracking_code
        settings = Settings(
            database_url=url,
            mqtt_url=None,
            secret_key="h",
            label_key=LABEL_KEY,
            code_key="c",
            var_dir=folder,
        )
        services = bootstrap(settings)
        app = create_app(services=services)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield {"url": f"http://127.0.0.1:{server.server_port}", "code": code, "engine": engine}
        finally:
            server.shutdown()
            thread.join()
            server.server_close()
            services.dispose()
        engine.dispose()


def courier_scans(system: dict, code: str, steps: list[tuple[str, str]]) -> list[str]:
    """The courier's phone scans, one batch each, as the scanning API takes them."""
    states = []
    for kind, place in steps:
        with unit_of_work(make_session_factory(system["engine"], build_bus())) as session:
            courier = session.scalar(select(User).where(User.login == "courier"))
            [result] = process_scans(
                session,
                courier,
                [Scan(id=str(uuid.uuid4()), code=code, kind=kind, location=place)],
                LABEL_KEY,
            )
            assert result.ok, result.reason
            states.append(str(result.state))
    return states


def supplement_of(system: dict, code: str) -> str:
    with make_session_factory(system["engine"], build_bus())() as session:
        original = session.scalar(select(Consignment.id).where(Consignment.tracking_code == code))
        return session.scalar(
            select(Consignment.tracking_code).where(Consignment.supplement_of_id == original)
        )


def test_a_dong_jiang_envelope_changes_bus_at_nan_hu_and_its_supplement_resumes_the_clock(
    browser, system
):
    code = system["code"]
    assert courier_scans(system, code, TO_THE_HUB)[-1] == "at_hub"
    public = browser.new_context(base_url=system["url"], locale="zh-CN").new_page()
    public.set_default_timeout(15_000)
    public.goto(f"/t/{code}")
    expect(public.locator("[data-test=state]")).to_have_text("在枢纽换乘中")
    expect(public.locator("body")).to_contain_text("在枢纽换乘")
    expect(public.locator("body")).not_to_contain_text("错送")
    screenshot(public, "flow-transfer-at-nan-hu")
    assert courier_scans(system, code, ON_TO_XI_LING) == ["in_transit", "arrived", "sorted"]

    desk = browser.new_context(base_url=system["url"], locale="zh-CN").new_page()
    desk.set_default_timeout(15_000)
    log_in(desk, "clerk")
    desk.goto(f"/clerk/{code}")
    desk.click("[data-test=accept]")
    form = desk.locator("[data-test=materials-form]")
    form.locator("input[type=checkbox]").first.check()
    form.locator("[data-test=materials-other]").fill("需导师签字")
    desk.click("[data-test=request-materials]")
    expect(desk.locator("[data-test=sla]")).to_have_text("计时暂停")

    teacher = browser.new_context(base_url=system["url"], locale="zh-CN").new_page()
    teacher.set_default_timeout(15_000)
    log_in(teacher, "student")
    teacher.goto(f"/consignments/{code}")
    expect(teacher.locator("[data-test=materials-asked]")).to_contain_text("需导师签字")
    screenshot(teacher, "flow-materials-asked-teacher")
    teacher.click("[data-test=supplement-link]")
    expect(teacher.locator("[data-test=supplement-of]")).to_contain_text(code)
    expect(teacher.locator("[data-test=label-thermal]")).to_be_visible()
    screenshot(teacher, "flow-supplement-label-page")

    supplement = supplement_of(system, code)
    courier_scans(system, supplement, TO_THE_HUB + ON_TO_XI_LING)
    desk.reload()
    expect(desk.locator("[data-test=sla]")).not_to_have_text("计时暂停")
    expect(desk.locator("body")).to_contain_text(supplement)
    screenshot(desk, "flow-supplement-resumed-clock")
