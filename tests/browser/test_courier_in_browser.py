"""A consignment's life in the browser: submit, download the label, scan it, read the timeline."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot


def submit_consignment(page):
    log_in(page, "teacher")
    page.goto("/consignments/new")
    page.select_option("[data-test=service-item]", "SCI-002")
    page.click("[data-test=choose]")
    expect(page.locator("[data-test=materials]")).to_be_visible()
    for box in page.locator("[data-test=materials] input[type=checkbox]").all():
        box.check()
    page.select_option("select[name=pickup_campus]", "NH")
    screenshot(page, "consignment-new")
    page.click("[data-test=submit]")
    expect(page.locator("[data-test=state]")).to_have_text("已登记")
    return page.locator("[data-test=tracking-code]").inner_text()


def test_a_teacher_submits_downloads_the_label_and_a_courier_scans_it(
    page, browser, live_server, tmp_path
):
    code = submit_consignment(page)
    with page.expect_download() as download:
        page.click("[data-test=label-thermal]")
    label = tmp_path / "label.png"
    download.value.save_as(label)
    screenshot(page, "consignment-detail")

    courier = browser.new_context(
        base_url=live_server, locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True
    ).new_page()
    log_in(courier, "courier")
    courier.goto("/courier/scan")
    courier.select_option("[data-test=kind]", "deposit")
    courier.select_option("[data-test=location]", "NH-LOCKER-1")
    courier.set_input_files("[data-test=photo]", str(label))
    expect(courier.locator("[data-test=result]")).to_have_class(re.compile("ok"))
    expect(courier.locator("[data-test=result]")).to_contain_text("已投递")

    courier.select_option("[data-test=kind]", "collect")
    courier.fill("[data-test=code]", code)
    courier.keyboard.press("Enter")
    expect(courier.locator("[data-test=result]")).to_contain_text("已收取")
    expect(courier.locator("[data-test=code]")).to_be_focused()

    courier.fill("[data-test=code]", code)
    courier.keyboard.press("Enter")
    expect(courier.locator("[data-test=log] li").first).to_contain_text("无需重复扫描")

    courier.select_option("[data-test=kind]", "sort")
    courier.fill("[data-test=code]", code)
    courier.keyboard.press("Enter")
    expect(courier.locator("[data-test=result]")).to_have_class(re.compile("refused"))
    screenshot(courier, "courier-scan-refused")
    courier.context.close()

    page.reload()
    expect(page.locator("[data-test=state]")).to_have_text("已收取")
    expect(page.locator("[data-test=timeline] li:not(.ahead)")).to_have_count(3)
    screenshot(page, "consignment-timeline")

    page.goto(f"/t/{code}")
    expect(page.locator("[data-test=state]")).to_have_text("已收取")
    screenshot(page, "tracking-public")
