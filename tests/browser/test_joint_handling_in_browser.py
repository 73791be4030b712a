"""联审联办 in the browser: the clerk walks a two-department item (科学技术处, then 档案馆)
through both on a phone, the teacher follows it on the tracking page at a desk; the guide is
browsed by category at both sizes."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from core.db import make_engine, make_session_factory, unit_of_work
from core.users import User
from courier.consignments import NewConsignment, create_consignment
from courier.scans import Scan, process_scans
from services.bootstrap import build_bus
from tests.browser.conftest import log_in, screenshot

DESK = {"width": 1366, "height": 768}


@pytest.fixture
def desk(browser, live_server: str) -> Iterator[object]:
    context = browser.new_context(base_url=live_server, locale="zh-CN", viewport=DESK)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def sorted_joint(live_database: str) -> str:
    """陈老师's 科研项目结题 papers (SCI-007), dropped on 西岭 and sorted at its agent desk."""
    engine = make_engine(live_database)
    with unit_of_work(make_session_factory(engine, build_bus())) as session:
        teacher = session.scalar(select(User).where(User.login == "teacher2"))
        courier = session.scalar(select(User).where(User.login == "courier"))
        consignment = create_consignment(
            session,
            teacher,
            NewConsignment(service_item="SCI-007", origin_campus="XL", pickup_campus="XL"),
            "l",
        )
        code = consignment.tracking_code
        scans = [("deposit", "XL-LOCKER-1"), ("collect", "XL-LOCKER-1"), ("sort", "XL-HALL")]
        process_scans(
            session,
            courier,
            [
                Scan(id=f"joint-{code}-{kind}", code=code, kind=kind, location=at)
                for kind, at in scans
            ],
            "l",
        )
    engine.dispose()
    return code


def _step(page, kind: str) -> None:
    page.click(f"[data-test=step-{kind}]")
    expect(page.locator(".flash").first).to_contain_text("已登记")


def test_the_clerk_walks_a_two_department_item_through_both_and_the_teacher_follows_it(
    phone, desk, sorted_joint
):
    log_in(phone, "clerk")
    phone.goto(f"/clerk/{sorted_joint}")
    phone.click("[data-test=accept]")
    expect(phone.locator("[data-test=joint-current]")).to_contain_text("第 1 步，共 2 步")
    expect(phone.locator("[data-test=step-handed_to_department]")).to_contain_text("科学技术处")
    screenshot(phone, "joint-desk-step-1-phone")
    _step(phone, "handed_to_department")
    expect(phone.locator("[data-test=joint-step-1]")).to_have_attribute(
        "data-status", "at_department"
    )
    _step(phone, "returned_by_department")
    expect(phone.locator("[data-test=joint-current]")).to_contain_text("第 2 步，共 2 步")
    expect(phone.locator("[data-test=step-handed_to_department]")).to_contain_text("档案馆")
    _step(phone, "handed_to_department")
    screenshot(phone, "joint-desk-step-2-phone")
    _step(phone, "returned_by_department")
    phone.select_option("[data-test=result-kind]", "stamped_copy")
    phone.click("[data-test=step-result_ready]")
    expect(phone.locator("[data-test=state]")).to_have_text("办结待返")

    log_in(desk, "teacher2")
    desk.goto(f"/t/{sorted_joint}")
    for number in (1, 2):
        expect(desk.locator(f"[data-test=joint-step-{number}]")).to_have_attribute(
            "data-status", "returned"
        )
    expect(desk.locator("[data-test=joint-steps]")).to_contain_text("档案馆")
    expect(desk.locator("[data-test=timeline]")).to_contain_text("部门办毕退回")
    screenshot(desk, "joint-tracking-desk")


@pytest.mark.parametrize("size", ["phone", "desk"])
def test_the_guide_filtered_by_a_category_lists_only_its_items(size, phone, desk):
    page = phone if size == "phone" else desk
    page.goto("/catalog/")
    page.click("[data-test=category-RESEARCH]")
    expect(page).to_have_url(re.compile(r"category=RESEARCH"))
    expect(page.locator("[data-test=category-RESEARCH]")).to_have_attribute("aria-current", "page")
    metas = page.locator(".items .meta").all_inner_texts()
    assert {meta.split(" · ")[0] for meta in metas} == {"科研事务"}
    screenshot(page, f"guide-category-research-{size}")
