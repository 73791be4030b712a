"""好差评 that closes the loop, in the browser: the teacher rates a 代办 badly, the agent clerk
records the rectification, the teacher appeals and an administrator reviews, at phone and desk
sizes."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from core.db import make_engine, make_session_factory, unit_of_work
from core.users import User
from courier.agents import hand_over, place_at_desk
from courier.consignments import NewConsignment, create_consignment, record_web_event
from courier.scans import Scan, process_scans
from courier.states import Kind
from services.bootstrap import build_bus, with_code_key
from tests.browser.conftest import log_in, screenshot

SIZES = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "desk": {"viewport": {"width": 1366, "height": 768}},
}


def collected_at_the_desk(url: str, item: str) -> str:
    """A teacher's envelope for ``item``, dropped at 综合楼, handled by the clerk and collected
    at the service desk; returns its tracking code."""
    engine = make_engine(url)
    with unit_of_work(make_session_factory(engine, build_bus())) as session:
        keyed = with_code_key(session, "c")
        users = {u.login: u for u in keyed.scalars(select(User))}
        consignment = create_consignment(
            keyed,
            users["teacher"],
            NewConsignment(service_item=item, origin_campus="XL", pickup_campus="XL"),
            "l",
        )
        code = consignment.tracking_code
        steps = [("deposit", "XL-LOCKER-1"), ("collect", "XL-LOCKER-1"), ("sort", "XL-HALL")]
        process_scans(
            keyed,
            users["courier"],
            [Scan(id=f"f-{code}-{kind}", code=code, kind=kind, location=at) for kind, at in steps],
            "l",
        )
        for kind in (Kind.AGENT_ACCEPTED, Kind.RESULT_READY):
            record_web_event(keyed, consignment, users["clerk"], kind, f"f:{code}:{kind}")
        place_at_desk(keyed, consignment, users["clerk"], f"f:{code}:desk")
        hand_over(keyed, consignment, users["clerk"], f"f:{code}:handed",
                  collected_by="王老师", id_checked=True)  # fmt: skip
    engine.dispose()
    return code


@pytest.mark.parametrize("size", sorted(SIZES))
def test_a_bad_rating_of_a_daiban_is_followed_up_appealed_and_reviewed(
    browser, live_server, live_database, size
):
    code = collected_at_the_desk(live_database, "ARCH-002" if size == "desk" else "SCI-003")

    def person(login: str):
        page = browser.new_context(base_url=live_server, locale="zh-CN", **SIZES[size]).new_page()
        page.set_default_timeout(10_000)
        log_in(page, login)
        page.wait_for_url(lambda url: not url.endswith("/login"))
        return page

    teacher = person("teacher")
    teacher.goto(f"/consignments/{code}")
    teacher.click("[data-test=rate-link]")
    teacher.check("[data-test=level-2]")
    teacher.check("[data-test=reason-slow]")
    teacher.check("[data-test=reason-unclear]")
    teacher.fill("[data-test=comment]", "材料在代办处放了两天，进度也没人告知。")
    screenshot(teacher, f"follow-up-{size}-1-rating")
    teacher.click("[data-test=rate]")
    expect(teacher.locator(".flash")).to_contain_text("限期整改")
    teacher.click("[data-test=follow-up-link]")
    follow_up_path = teacher.url.removeprefix(live_server)
    expect(teacher.locator("[data-test=state]")).to_have_text("待整改")

    clerk = person("clerk")
    clerk.goto("/follow-ups/")
    clerk.click(f"a:has-text('{code}')")
    clerk.fill(
        "[data-test=note]", "已致电王老师说明原因；代办件改为当日送达承办部门，并短信告知进度。"
    )
    screenshot(clerk, f"follow-up-{size}-2-rectify")
    clerk.click("[data-test=rectify]")
    expect(clerk.locator("[data-test=state]")).to_have_text("已整改")

    teacher.goto(follow_up_path)
    expect(teacher.locator("[data-test=rectification]")).to_contain_text("当日送达")
    teacher.fill("[data-test=reason]", "这次的合同仍未盖章，问题没有解决。")
    screenshot(teacher, f"follow-up-{size}-3-appeal")
    teacher.click("[data-test=appeal]")
    expect(teacher.locator("[data-test=state]")).to_have_text("已申诉")

    admin = person("admin")
    admin.goto("/admin/follow-ups?state=appealed")
    admin.click(f"a:has-text('{code}')")
    admin.fill("[data-test=review-note]", "申诉属实：请代办员跟进盖章后再登记整改。")
    screenshot(admin, f"follow-up-{size}-4-review")
    admin.click("[data-test=reject]")
    expect(admin.locator("[data-test=state]")).to_have_text("待整改")
    expect(admin.locator("[data-test=review]")).to_contain_text("已退回重新整改")
    screenshot(admin, f"follow-up-{size}-5-reviewed")
    for page in (teacher, clerk, admin):
        page.context.close()
