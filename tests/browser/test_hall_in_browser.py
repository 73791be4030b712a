"""The hall in the browser: a number from the kiosk, called at a window by keyboard, shown and
announced on the display board by Server-Sent Events, finished and rated on the tablet."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot


def test_a_ticket_goes_from_the_kiosk_to_the_board_and_is_rated(browser, live_server, phone):
    phone.goto("/hall/kiosk")
    screenshot(phone, "hall-kiosk")
    phone.fill("[data-test=phone]", "13900001111")
    phone.click("[data-test=take-A]")
    number = phone.locator("[data-test=ticket-number]").inner_text()
    assert re.fullmatch(r"A\d{3}", number)
    expect(phone.locator("[data-test=ahead]")).to_have_text("0")
    screenshot(phone, "hall-ticket")
    # The visitor follows the number on the phone (the QR's page); the kiosk's own page goes
    # back to its start screen after a few seconds.
    phone.goto(phone.url.split("?")[0])

    board = browser.new_context(
        base_url=live_server, locale="zh-CN", viewport={"width": 1280, "height": 720}
    ).new_page()
    board.goto("/hall/display?repeat=2")
    board.click("[data-test=board-start]")

    staff = browser.new_context(base_url=live_server, locale="zh-CN").new_page()
    log_in(staff, "hall")
    staff.goto("/hall/windows/1")
    staff.keyboard.press("n")
    expect(staff.locator("[data-test=current]")).to_have_text(number)
    expect(board.locator("[data-test=board-number]")).to_have_text(number, timeout=3000)
    expect(board.locator("[data-test=announcement]")).to_have_text(f"请 {number} 号到 1 号窗口")
    screenshot(board, "hall-display-board")

    staff.keyboard.press("s")
    expect(staff.locator("[data-test=current-status]")).to_contain_text("办理中")
    screenshot(staff, "hall-window-console")
    staff.keyboard.press("f")
    expect(staff.locator("[data-test=current]")).to_have_text("窗口当前无号。")

    tablet = staff.context.new_page()
    tablet.goto("/hall/windows/1/rate")
    expect(tablet.locator("h1")).to_contain_text(number)
    tablet.check("[data-test=level-5]")
    screenshot(tablet, "hall-rating")
    tablet.click("[data-test=rate]")
    expect(tablet.locator(".flash")).to_have_text("感谢您的评价。")

    phone.reload()
    expect(phone.locator("[data-test=status]")).to_have_text("已办结")
    board.context.close()
    staff.context.close()


def test_a_student_books_an_appointment_and_the_admin_reads_the_statistics(browser, live_server):
    context = browser.new_context(
        base_url=live_server, locale="zh-CN", viewport={"width": 390, "height": 844}
    )
    student = context.new_page()
    log_in(student, "student")
    student.goto("/hall/appointments")
    student.locator("details[open] button[name=slot]").first.click()
    expect(student.locator(".flash")).to_contain_text("预约成功")
    expect(student.locator("[data-test=booking-code]")).to_have_count(1)
    screenshot(student, "hall-appointments")
    context.close()

    admin = browser.new_context(base_url=live_server, locale="zh-CN").new_page()
    log_in(admin, "admin")
    admin.goto("/admin/hall/stats")
    expect(admin.locator("svg.hall-chart").first).to_be_visible()
    screenshot(admin, "hall-statistics")
    admin.context.close()
