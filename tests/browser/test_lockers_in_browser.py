"""An administrator starts a replaced controller's sequence afresh from the locker page, on a
phone and on a desktop: the browser asks for confirmation first."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot


def start_afresh(page, *, accept):
    """Fill in the form on the open locker page and submit it, answering the browser's question;
    returns the questions asked."""
    page.fill("[data-test=sequence-afresh] >> xpath=.. >> input[name=reason]", "主板更换")
    page.check("input[name=confirm]")
    asked = []

    def answer(dialog):
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", answer)
    page.click("[data-test=sequence-afresh]")
    return asked


def test_on_a_phone_the_sequence_starts_afresh_after_confirming(phone):
    log_in(phone, "admin")
    phone.goto("/admin/lockers/NH-DB-01")
    screenshot(phone, "lockers-sequence-afresh-1-phone")
    asked = start_afresh(phone, accept=True)
    assert "NH-DB-01" in asked[0]
    expect(phone.locator("[data-test=sequence]")).to_contain_text("第 2 代")
    screenshot(phone, "lockers-sequence-afresh-2-phone-done")


def test_on_a_desktop_dismissing_the_question_starts_nothing(page):
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, "admin")
    page.goto("/admin/lockers/DJ-DB-01")
    asked = start_afresh(page, accept=False)
    assert asked
    expect(page.locator("[data-test=sequence]")).not_to_contain_text("第 2 代")
    screenshot(page, "lockers-sequence-afresh-3-desktop")
