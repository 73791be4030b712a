"""A teacher at the drop box's screen, on a phone-sized and a desk-sized screen: a genuine label
opens a door, the simulated box reports the deposit, a forged label opens nothing.

The live server runs as ``courier run`` starts it: a private MQTT broker, the bridge and a
simulated controller for every demo locker bank.
"""

from __future__ import annotations

import threading
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
from tests.browser.conftest import screenshot
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
        with devices(services):
            with unit_of_work(services.sessions) as opened:  # type: ignore[arg-type]
                session = for_writing(opened)  # the bridge writes at the same time
                teacher = session.scalars(select(User).where(User.login == "teacher")).one()
                codes = {
                    size: create_consignment(
                        session,
                        teacher,
                        NewConsignment(service_item="SCI-001", origin_campus="DJ"),
                        LABEL_KEY,
                    ).tracking_code
                    for size in SIZES
                }
            app = create_app(services=services)
            server = make_server("127.0.0.1", 0, app, threaded=True)
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            try:
                yield {"url": f"http://127.0.0.1:{server.server_port}", "codes": codes,
                       "engine": engine}  # fmt: skip
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

    code = system["codes"][size]
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
