"""The network in the browser: the diagram, and a courier's manifest filling as they scan."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot
from tests.browser.test_courier_in_browser import submit_consignment


def test_the_network_diagram_shows_the_three_campuses(page):
    log_in(page, "admin")
    page.goto("/network/")
    expect(page.locator("[data-test=diagram] svg .campus-node")).to_have_count(3)
    expect(page.locator("[data-test=diagram] svg line.edge")).to_have_count(2)
    screenshot(page, "network-diagram")
    page.goto("/network/timetable")
    expect(page.locator("main")).to_contain_text("NH-XL-W0730")
    screenshot(page, "network-timetable")


def test_the_manifest_checklist_turns_green_as_the_courier_scans(page, browser, live_server):
    code = submit_consignment(page)

    courier = browser.new_context(
        base_url=live_server, locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True
    ).new_page()
    log_in(courier, "courier")
    courier.goto("/courier/scan")
    courier.select_option("[data-test=kind]", "deposit")
    courier.select_option("[data-test=location]", "NH-LOCKER-1")
    courier.fill("[data-test=code]", code)
    courier.keyboard.press("Enter")
    expect(courier.locator("[data-test=result]")).to_have_class(re.compile("ok"))

    page.reload()
    expect(page.locator("[data-test=eta-time]")).to_be_visible()
    leg = page.locator("[data-test=leg]").first
    trip, date = leg.get_attribute("data-trip"), leg.get_attribute("data-date")
    screenshot(page, "consignment-eta")

    courier.goto(f"/network/departures?date={date}")
    expect(courier.locator(f"[data-test=planned-{trip}]")).not_to_have_text("0")
    screenshot(courier, "departures-today")
    courier.click(f"[data-test=build-{trip}]")
    collect = courier.locator(f"[data-test=item-collect-{code}]")
    load = courier.locator(f"[data-test=item-load-{code}]")
    expect(collect).not_to_have_class(re.compile("done"))
    done_before = int(courier.locator("#done-count").inner_text())
    screenshot(courier, "manifest-before")

    courier.fill("[data-test=code]", code)
    courier.keyboard.press("Enter")
    expect(collect).to_have_class(re.compile("done"))
    expect(load).not_to_have_class(re.compile("done"))
    courier.fill("[data-test=code]", code)
    courier.keyboard.press("Enter")
    expect(load).to_have_class(re.compile("done"))
    expect(courier.locator("#done-count")).to_have_text(str(done_before + 2))
    screenshot(courier, "manifest-checklist")
    courier.context.close()
