"""Appointments by service item and campus: the confirmation, the reminder the day before, the
check-in at the booked hall, cancel and rebook from the notice's link, the calendar file."""

import datetime as dt

import pytest
from icalendar import Calendar
from sqlalchemy import select

from core.errors import Conflict, DomainError
from core.outbox import OutboxMessage
from tests import factories
from tickets import appointments, booking_links, ics, queue
from tickets.jobs import JOBS
from tickets.models import BookingStatus, Category

NINE = (dt.time(9, 0), dt.time(9, 30))
TEN = (dt.time(10, 0), dt.time(10, 30))
#: From 09:30 (the frozen clock) to 08:50 the next day.
BEFORE_TOMORROWS_NINE = dt.timedelta(days=1) - dt.timedelta(minutes=40)


@pytest.fixture
def item(session, hall):
    return factories.item(
        session,
        department="ACAD",
        campuses=["NH"],
        name="中文成绩单开具",
        materials=[
            {"name": "学生证", "name_en": "Student ID card", "form": "original"},
            {"name": "成绩单申请表", "name_en": "Request form", "form": "original", "copies": 2},
        ],
    )


@pytest.fixture
def person(session):
    return factories.user(session, "wang", phone="13911112222")


def slot_on(session, category, days_ahead, times=NINE):
    day = queue.today() + dt.timedelta(days=days_ahead)
    return appointments.add_slots(session, category, day, [times], 3)[0]


def notices(session, template):
    session.expire_all()
    rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    return [r for r in rows if r.payload.get("template") == template]


def test_a_booking_by_item_keeps_the_item(session, hall, item, person):
    booking = appointments.book(session, person, slot_on(session, hall.a, 2).id, item)
    assert booking.service_item == item


def test_a_time_of_a_queue_that_does_not_serve_the_item_is_refused(session, hall, item, person):
    with pytest.raises(DomainError) as refused:
        appointments.book(session, person, slot_on(session, hall.b, 2).id, item)
    assert refused.value.code == "wrong_item"


def test_an_items_queues_are_its_departments_in_the_halls_on_its_campuses(session, hall, item):
    other = factories.hall(session, "XL", campus=factories.campus(session, "XL", "西岭校区"))
    session.add(Category(hall=other, prefix="A", name="教务", department_id=hall.a.department_id))
    session.flush()
    assert appointments.categories_for_item(session, item) == [hall.a]


def test_the_confirmation_carries_the_time_hall_code_materials_and_link(
    session, hall, item, person
):
    booking = appointments.book(session, person, slot_on(session, hall.a, 2).id, item)
    (notice,) = notices(session, "appointment_booked")
    params = notice.payload["params"]
    assert params["items"] == ["学生证", "成绩单申请表×2"]
    assert params["code"] == booking.code
    assert params["hall"] == hall.row.name
    assert params["link"].endswith(f"/hall/booking/{booking_links.link_token(session, booking)}")


def test_the_reminder_goes_out_once_the_day_before(session, hall, item, person, frozen_clock):
    appointments.book(session, person, slot_on(session, hall.a, 2).id, item)
    assert appointments.remind_tomorrow(session) == 0
    frozen_clock.advance(dt.timedelta(days=1))
    assert appointments.remind_tomorrow(session) == 1
    assert appointments.remind_tomorrow(session) == 0
    (reminder,) = notices(session, "appointment_reminder")
    assert reminder.payload["params"]["items"] == ["学生证", "成绩单申请表×2"]


def test_a_cancelled_booking_is_not_reminded(session, hall, item, person, frozen_clock):
    booking = appointments.book(session, person, slot_on(session, hall.a, 1).id, item)
    appointments.cancel(session, booking)
    assert appointments.remind_tomorrow(session) == 0


def test_the_reminder_is_a_scheduled_job_of_the_hall():
    assert [job.id for job in JOBS] == ["tickets.remind_appointments"]


def test_checking_in_at_another_halls_kiosk_is_refused_naming_the_hall(
    session, hall, item, person, frozen_clock
):
    booking = appointments.book(session, person, slot_on(session, hall.a, 1).id, item)
    other = factories.hall(session, "XL", campus=factories.campus(session, "XL", "西岭校区"))
    frozen_clock.advance(BEFORE_TOMORROWS_NINE)
    with pytest.raises(DomainError) as refused:
        appointments.check_in(session, booking.code, other)
    assert refused.value.code == "wrong_hall"
    assert refused.value.params["hall"] == hall.row.name


def test_checking_in_at_the_booked_halls_kiosk_gives_an_appointment_ticket(
    session, hall, item, person, frozen_clock
):
    booking = appointments.book(session, person, slot_on(session, hall.a, 1).id, item)
    frozen_clock.advance(BEFORE_TOMORROWS_NINE)
    ticket = appointments.check_in(session, booking.code, hall.row)
    assert (ticket.appointment, ticket.category) == (True, hall.a)


def test_a_booking_is_cancelled_by_whoever_holds_its_link(session, hall, item, person):
    booking = appointments.book(session, person, slot_on(session, hall.a, 2).id, item)
    linked = booking_links.booking_for_token(session, booking_links.link_token(session, booking))
    appointments.cancel(session, linked)
    assert booking.status == BookingStatus.CANCELLED


def test_a_forged_link_names_no_booking(session, hall, item, person):
    booking = appointments.book(session, person, slot_on(session, hall.a, 2).id, item)
    forged = f"{booking.id}-" + "0" * 20
    assert booking_links.booking_for_token(session, forged) is None


def test_rebooking_gives_the_old_place_back_and_confirms_the_new_one(session, hall, item, person):
    old = appointments.book(session, person, slot_on(session, hall.a, 2).id, item)
    later = slot_on(session, hall.a, 3, TEN)
    new = appointments.rebook(session, old, later.id)
    assert (old.status, new.status, new.slot, new.rebooked_from_id) == (
        BookingStatus.CANCELLED,
        BookingStatus.BOOKED,
        later,
        old.id,
    )
    assert len(notices(session, "appointment_booked")) == 2


def test_a_booking_whose_time_has_begun_can_no_longer_be_moved(
    session, hall, item, person, frozen_clock
):
    booking = appointments.book(session, person, slot_on(session, hall.a, 1).id, item)
    later = slot_on(session, hall.a, 3)
    frozen_clock.advance(dt.timedelta(days=2))
    with pytest.raises(Conflict):
        appointments.rebook(session, booking, later.id)


def test_the_calendar_file_has_the_time_place_and_materials(session, hall, item, person):
    slot = slot_on(session, hall.a, 2)
    booking = appointments.book(session, person, slot.id, item)
    (event,) = Calendar.from_ical(ics.booking_calendar(booking)).walk("VEVENT")
    assert event.decoded("dtstart") == slot.starts_at
    assert hall.row.name in str(event["location"])
    assert "成绩单申请表 ×2" in str(event["description"])
    assert booking.code in str(event["description"])
