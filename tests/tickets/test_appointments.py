import datetime as dt

import pytest

from core.errors import Conflict, DomainError
from tests import factories
from tickets import appointments, queue
from tickets.models import BookingStatus

NINE = (dt.time(9, 0), dt.time(9, 30))


def slot_on(session, hall, days_ahead, capacity=2):
    day = queue.today() + dt.timedelta(days=days_ahead)
    return appointments.add_slots(session, hall.a, day, [NINE], capacity)[0]


def test_a_booking_a_day_ahead_is_accepted(session, hall):
    booking = appointments.book(session, factories.user(session), slot_on(session, hall, 1).id)
    assert booking.status == BookingStatus.BOOKED
    assert len(booking.code) == 8


@pytest.mark.parametrize("days", [0, 15])
def test_a_booking_outside_one_to_fourteen_days_is_refused(session, hall, days):
    with pytest.raises(DomainError) as refused:
        appointments.book(session, factories.user(session), slot_on(session, hall, days).id)
    assert refused.value.code == "booking_window"


def test_a_booking_over_capacity_is_refused(session, hall):
    slot = slot_on(session, hall, 2, capacity=1)
    appointments.book(session, factories.user(session), slot.id)
    with pytest.raises(Conflict) as refused:
        appointments.book(session, factories.user(session), slot.id)
    assert refused.value.code == "slot_full"


def test_a_person_books_a_slot_once(session, hall):
    slot, person = slot_on(session, hall, 2), factories.user(session)
    appointments.book(session, person, slot.id)
    with pytest.raises(Conflict) as refused:
        appointments.book(session, person, slot.id)
    assert refused.value.code == "already_booked"


def test_a_person_holds_at_most_the_daily_limit(session, hall):
    person = factories.user(session)
    day = queue.today() + dt.timedelta(days=3)
    times = [(dt.time(h, 0), dt.time(h, 30)) for h in (9, 10, 11)]
    slots = appointments.add_slots(session, hall.a, day, times, 5)
    appointments.book(session, person, slots[0].id)
    appointments.book(session, person, slots[1].id)
    with pytest.raises(Conflict) as refused:
        appointments.book(session, person, slots[2].id)
    assert refused.value.code == "daily_limit"


def test_a_cancelled_place_can_be_booked_again(session, hall):
    slot, person = slot_on(session, hall, 2, capacity=1), factories.user(session)
    booking = appointments.book(session, person, slot.id)
    appointments.cancel_booking(session, person, booking)
    other = appointments.book(session, factories.user(session), slot.id)
    assert other.status == BookingStatus.BOOKED


def test_a_checked_in_appointment_is_called_first_within_its_slot(session, hall, frozen_clock):
    person = factories.user(session, phone="13911112222")
    booking = appointments.book(session, person, slot_on(session, hall, 1).id)
    frozen_clock.advance(dt.timedelta(days=1) - dt.timedelta(minutes=40))  # 08:50 next day
    walk_in = queue.take_ticket(session, hall.a)
    ticket = appointments.check_in(session, booking.code, hall.row)
    assert booking.status == BookingStatus.CHECKED_IN
    assert ticket.appointment
    assert queue.call_next(session, hall.one) is walk_in  # the slot has not begun
    queue.take_ticket(session, hall.a)
    frozen_clock.advance(dt.timedelta(minutes=15))  # 09:05
    queue.start(session, hall.one)
    queue.finish(session, hall.one)
    assert queue.call_next(session, hall.one) is ticket


def test_checking_in_on_another_day_is_refused(session, hall):
    booking = appointments.book(session, factories.user(session), slot_on(session, hall, 1).id)
    with pytest.raises(DomainError) as refused:
        appointments.check_in(session, booking.code, hall.row)
    assert refused.value.code == "not_today"
