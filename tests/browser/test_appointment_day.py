"""An appointment by service item in the browser: booked on the teacher's phone or desk, its
confirmation queued with the materials, reminded the day before by the scheduler's job, refused
at another campus's kiosk and checked in at the booked hall's kiosk the next morning."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock
from core.db import make_engine, make_session_factory
from core.jobs import run_once
from core.outbox import OutboxMessage
from services.bootstrap import build_bus, with_code_key
from tests.browser.conftest import log_in, screenshot
from tickets.jobs import JOBS

SIZES = {"phone": {"width": 390, "height": 844}, "desk": {"width": 1366, "height": 768}}
#: Who books at each size (one person may hold two bookings a day; each books once).
BOOKERS = {"phone": "teacher", "desk": "teacher2"}


@pytest.fixture
def sessions(live_database: str) -> Iterator[Callable[[], Session]]:
    engine = make_engine(live_database)
    factory = make_session_factory(engine, build_bus())
    yield lambda: with_code_key(factory(), "c")
    engine.dispose()


def tomorrows_nine(sessions: Callable[[], Session]) -> tuple[str, int, dt.date]:
    """An item 南湖's hall serves, and tomorrow's 09:00 time of its queue there (opened when
    tomorrow is not a working day), with the day."""
    from catalog.models import Channel, ItemChannel, ItemStatus, ServiceItem
    from tickets.appointments import add_slots
    from tickets.models import Category, Hall, Slot
    from tickets.queue import today

    with sessions() as session:
        nanhu = session.scalars(select(Hall).where(Hall.code == "NH")).one()
        item = session.scalars(
            select(ServiceItem)
            .join(ItemChannel)
            .join(Category, Category.department_id == ServiceItem.department_id)
            .where(
                ServiceItem.status == ItemStatus.PUBLISHED,
                ItemChannel.channel == Channel.WINDOW,
                Category.hall_id == nanhu.id,
                ServiceItem.materials.any(),
                ServiceItem.campuses.any(id=nanhu.campus_id),
            )
            .order_by(ServiceItem.code)
        ).first()
        assert item is not None, "the demo data no longer has an item served at 南湖's hall"
        category = session.scalars(
            select(Category).where(
                Category.hall_id == nanhu.id, Category.department_id == item.department_id
            )
        ).one()
        day = today() + dt.timedelta(days=1)
        add_slots(session, category, day, [(dt.time(9), dt.time(9, 30))], 4)
        starts = dt.datetime.combine(day, dt.time(9), clock.SHANGHAI).astimezone(dt.UTC)
        slot = session.scalars(
            select(Slot).where(Slot.category_id == category.id, Slot.starts_at == starts)
        ).one()
        session.commit()
        return item.code, slot.id, day


def notices_about(sessions: Callable[[], Session], template: str, code: str) -> list:
    with sessions() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        return [
            row.payload
            for row in rows
            if row.payload.get("template") == template
            and row.payload.get("params", {}).get("code") == code
        ]


@pytest.mark.parametrize("size", list(SIZES))
def test_an_appointment_is_booked_reminded_and_checked_in_at_its_hall(
    browser, live_server, sessions, size
):
    item, slot, day = tomorrows_nine(sessions)
    context = browser.new_context(base_url=live_server, locale="zh-CN", viewport=SIZES[size])
    teacher = context.new_page()
    teacher.set_default_timeout(30_000)
    log_in(teacher, BOOKERS[size])
    teacher.goto(f"/hall/appointments?item={item}")
    expect(teacher.locator("[data-test=materials]")).to_be_visible()
    screenshot(teacher, f"appointment-{size}-choose")
    teacher.click(f"[data-test=slot-{slot}]")
    expect(teacher.locator(".flash")).to_contain_text("预约成功")
    code = teacher.locator("[data-test=booking-code]").inner_text()
    expect(teacher.locator("[data-test=booking-materials] li").first).to_be_visible()
    expect(teacher.locator("[data-test=ics]")).to_be_visible()
    screenshot(teacher, f"appointment-{size}-booked")
    link = teacher.url
    context.close()
    assert notices_about(sessions, "appointment_booked", code), "no confirmation was queued"

    # The scheduler's job the day before: the reminder goes out once.
    run_once(sessions, JOBS[0])
    run_once(sessions, JOBS[0])
    assert len(notices_about(sessions, "appointment_reminder", code)) == 1

    # The notice's link works without a login.
    visitor = browser.new_context(base_url=live_server, locale="zh-CN", viewport=SIZES[size])
    page = visitor.new_page()
    page.set_default_timeout(30_000)
    page.goto(link)
    expect(page.locator("[data-test=booking-code]")).to_have_text(code)
    expect(page.locator("[data-test=cancel]")).to_be_visible()

    morning = dt.datetime.combine(day, dt.time(8, 50), clock.SHANGHAI).astimezone(dt.UTC)
    with clock.frozen(morning):
        page.goto("/hall/XL/kiosk")
        page.fill("[data-test=booking-code]", code)
        page.locator("form:has([data-test=booking-code]) button[type=submit]").click()
        expect(page.locator(".flash.error")).to_contain_text("南湖")
        screenshot(page, f"appointment-{size}-wrong-hall")
        page.goto("/hall/NH/kiosk")
        page.fill("[data-test=booking-code]", code)
        page.locator("form:has([data-test=booking-code]) button[type=submit]").click()
        expect(page.locator("[data-test=ticket-number]")).to_be_visible()
        expect(page.locator("[data-test=ticket-hall]")).to_contain_text("南湖")
        screenshot(page, f"appointment-{size}-checked-in")
        page.goto(link)
        expect(page.locator("[data-test=booking-status]")).to_have_text("已签到")
    visitor.close()
