"""The administrator's dashboard in Chromium: the administrator lands on it, every chart image
draws under the strict content security policy, and a phone gets the narrow drawings."""

from __future__ import annotations

from tests.browser.conftest import log_in, screenshot

BROKEN_IMAGES = "imgs => imgs.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"


def test_an_administrator_lands_on_a_dashboard_whose_charts_all_draw_on_a_phone(phone):
    complaints: list[str] = []
    phone.on("console", lambda m: complaints.append(m.text) if m.type == "error" else None)
    phone.on("requestfailed", lambda r: complaints.append(f"failed: {r.url}"))

    log_in(phone, "admin")
    phone.wait_for_url("**/admin/dashboard/")
    phone.wait_for_load_state("networkidle")
    screenshot(phone, "dashboard-phone")

    images = phone.eval_on_selector_all(
        "[data-test^=chart-]", "imgs => imgs.map(i => i.currentSrc)"
    )
    assert len(images) == 9
    assert all("fit=phone" in src for src in images)
    assert phone.eval_on_selector_all("img", BROKEN_IMAGES) == []
    assert complaints == []
