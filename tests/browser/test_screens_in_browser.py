"""Role homes, user management, acting from the guide, printing and the phone menu, walked in
Chromium at a phone's and a desk's size; the screenshots go to ``screenshots/screens/``."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from core.db import make_engine, make_session_factory, unit_of_work
from services.bootstrap import build_bus
from tests.browser.conftest import SCREENSHOTS, log_in

SIZES = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "desk": {"viewport": {"width": 1366, "height": 768}},
}
#: CSS pixels in a millimetre (96 to the inch).
PX_PER_MM = 96 / 25.4
#: PDF points in a millimetre (72 to the inch).
PT_PER_MM = 72 / 25.4


@pytest.fixture(params=sorted(SIZES))
def screen(request, browser, live_server) -> Iterator[Any]:
    """A page at one of the two sizes; its name is ``screen.size``."""
    context = browser.new_context(base_url=live_server, locale="zh-CN", **SIZES[request.param])
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.size = request.param
    yield page
    context.close()


def shot(page: Any, name: str) -> None:
    folder = SCREENSHOTS / "screens"
    folder.mkdir(parents=True, exist_ok=True)
    # Labels are images the server draws: the picture is only right once they are in. (Checked
    # per element: wait_for_function polls through eval, which the pages' CSP refuses.)
    images = page.locator("img")
    for index in range(images.count()):
        expect(images.nth(index)).to_have_js_property("complete", True)
        expect(images.nth(index)).not_to_have_js_property("naturalWidth", 0)
    page.screenshot(path=str(folder / f"{page.size}-{name}.png"), full_page=True)


def _session(live_database: str) -> Any:
    return unit_of_work(make_session_factory(make_engine(live_database), build_bus()))


def _pdf_page_mm(pdf: bytes) -> tuple[float, float]:
    import pypdfium2

    document = pypdfium2.PdfDocument(io.BytesIO(pdf))
    width, height = document[0].get_size()
    document.close()
    return round(width / PT_PER_MM), round(height / PT_PER_MM)


@pytest.mark.parametrize(
    ("login", "home"),
    [
        ("teacher", "/me"),
        ("courier", "/me"),
        ("clerk", "/clerk/"),
        ("hall", "/hall/"),
        ("admin", "/admin/dashboard/"),
    ],
)
def test_each_role_lands_on_its_home_after_logging_in(screen, login, home):
    log_in(screen, login)
    screen.wait_for_url(lambda url: not url.endswith("/login"))
    assert screen.url.split("//", 1)[1].partition("/")[2].startswith(home.lstrip("/"))
    shot(screen, f"home-{login}")


def test_the_teachers_home_gives_each_consignment_its_next_step(screen):
    log_in(screen, "teacher")
    screen.wait_for_url("**/me")
    expect(screen.locator("[data-test=next-step]").first).to_contain_text("下一步")
    expect(screen.locator("[data-test=send-papers]")).to_be_visible()


def test_the_phone_menu_folds_behind_its_button(screen):
    log_in(screen, "admin")
    screen.wait_for_url(lambda url: not url.endswith("/login"))
    toggle = screen.locator("[data-test=menu-toggle]")
    menu = screen.get_by_role("navigation", name="主菜单")
    if screen.size == "desk":
        expect(toggle).to_be_hidden()
        expect(menu).to_be_visible()
        return
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_hidden()
    shot(screen, "menu-closed")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(menu.get_by_role("link", name="用户")).to_be_visible()
    shot(screen, "menu-open")
    screen.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(toggle).to_be_focused()


def test_an_admin_adds_a_user_who_sets_a_password_through_the_link(
    screen, browser, live_server, live_database
):
    login = f"staff_{screen.size}"
    log_in(screen, "admin")
    screen.goto("/admin/users/?q=teacher")
    expect(screen.locator("[data-test=user-teacher]")).to_be_visible()
    expect(screen.locator("[data-test=user-admin]")).to_have_count(0)
    shot(screen, "users-list")
    screen.goto("/admin/users/new")
    screen.fill("[data-test=login]", login)
    screen.fill("[data-test=name]", "新同事")
    screen.fill("[data-test=staff-number]", f"S-{screen.size}")
    screen.fill("[data-test=phone]", "13800000099")
    screen.check("[data-test=role-clerk]")
    screen.click("[data-test=save]")
    expect(screen.locator("[data-test=user-actions]")).to_be_visible()
    shot(screen, "user-form")
    screen.click("[data-test=send-link]")
    expect(screen.locator(".flash.success")).to_contain_text("一次性设置密码链接已发出")

    from core.outbox import OutboxMessage

    with _session(live_database) as session:
        payload = session.scalars(
            select(OutboxMessage.payload)
            .where(OutboxMessage.dedupe_key.like("password-link:%"))
            .order_by(OutboxMessage.id.desc())
        ).first()
    token = payload["params"]["link"].rsplit("/", 1)[1]
    visitor = browser.new_context(base_url=live_server, locale="zh-CN", **SIZES[screen.size])
    person = visitor.new_page()
    person.size = screen.size
    person.goto(f"/password/{token}")
    shot(person, "set-password")
    password = "violet kettle harbour 42"
    person.fill("[data-test=password]", password)
    person.fill("[data-test=again]", password)
    person.click("[data-test=set]")
    person.wait_for_url("**/login")
    log_in(person, login, password)
    person.wait_for_url("**/clerk/")
    visitor.close()


def test_the_guide_offers_to_act_and_the_picker_finds_by_initials(screen):
    screen.goto("/catalog/ACAD-003")
    actions = screen.locator("[data-test=item-actions]")
    for name in ("act-send", "act-ticket", "act-book"):
        expect(actions.locator(f"[data-test={name}]")).to_be_visible()
    shot(screen, "guide-item")
    screen.click("[data-test=act-send]")
    assert "/login" in screen.url
    screen.fill("input[name=login]", "teacher")
    screen.fill("input[name=password]", "demo1234")
    screen.click("form.card button[type=submit]")
    screen.wait_for_url(re.compile(r"/consignments/new\?item=ACAD-003$"))
    expect(screen.locator("#service-item")).to_have_value("ACAD-003")
    screen.fill("[data-test=item-search]", "zdzm")
    shown = screen.locator("#service-item option:not([hidden])")
    # After the placeholder: the certificates of enrolment (在读证明) only.
    labels = shown.all_inner_texts()[1:]
    assert labels
    assert all("在读证明" in label for label in labels)
    shot(screen, "send-form-picker")


def test_a_label_prints_at_60_by_40_mm(screen):
    log_in(screen, "teacher")
    screen.goto("/consignments/")
    code = screen.locator("[data-test^=pick-]").first.get_attribute("value")
    screen.goto(f"/consignments/{code}/print")
    image = screen.locator("[data-test=label-image]")
    expect(image).to_be_visible()
    box = image.bounding_box()
    assert (round(box["width"] / PX_PER_MM), round(box["height"] / PX_PER_MM)) == (60, 40)
    shot(screen, "label-print")
    screen.emulate_media(media="print")
    assert _pdf_page_mm(screen.pdf(prefer_css_page_size=True)) == (60, 40)


def test_ticked_consignments_print_on_one_a4_sheet(screen):
    log_in(screen, "teacher")
    screen.goto("/consignments/")
    boxes = screen.locator("[data-test^=pick-]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    shot(screen, "my-consignments-ticked")
    screen.click("[data-test=print-selected]")
    expect(screen.locator("[data-test=sheet] img")).to_have_count(2)
    shot(screen, "batch-sheet")
    screen.emulate_media(media="print")
    assert _pdf_page_mm(screen.pdf(prefer_css_page_size=True)) == (210, 297)


def test_the_kiosk_shows_the_tickets_qr_and_returns_to_its_start(screen, live_database):
    screen.goto("/hall/kiosk")
    screen.locator("[data-test^=take-]").first.click()
    expect(screen.locator("[data-test=ticket-qr] img")).to_be_visible()
    number = screen.locator("[data-test=ticket-number]").inner_text()
    shot(screen, "kiosk-ticket")
    screen.wait_for_url("**/hall/NH/kiosk", timeout=20_000)

    from tickets.models import Status, Ticket
    from tickets.queue import cancel, today

    # A waiting ticket would be called before other tests' visitors.
    with _session(live_database) as session:
        ticket = session.scalars(
            select(Ticket).where(
                Ticket.number == number, Ticket.day == today(), Ticket.status == Status.WAITING
            )
        ).one()
        cancel(session, ticket)
