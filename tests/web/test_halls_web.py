"""Halls, campus cards, the recall delay and appointment links on the pages and the API."""

import datetime as dt

import pytest
from sqlalchemy import select

from core.users import Role
from tests import factories
from tests.conftest import login
from tests.tickets.conftest import make_hall
from tickets import appointments, booking_links, queue
from tickets.models import Booking, BookingStatus, Category, Ticket, Window


@pytest.fixture
def hall(session, frozen_clock):
    return make_hall(session)


@pytest.fixture
def xiling(session, hall):
    row = factories.hall(
        session, "XL", "西岭校区师生服务分中心", campus=factories.campus(session, "XL")
    )
    a = Category(hall=row, prefix="A", name="西岭教务")
    window = Window(hall=row, number=1, name="1 号窗口", categories=[a])
    session.add_all([a, window])
    session.flush()
    queue.sign_in(session, window, factories.user(session, "li", Role.HALL_STAFF))
    return row, a, window


@pytest.fixture
def item(session, hall):
    return factories.item(session, department="ACAD", campuses=["NH"], name="中文成绩单开具")


def token(client, login_name="zhou"):
    answer = client.post("/api/auth/token", json={"login": login_name, "password": "password123"})
    return {"Authorization": f"Bearer {answer.get_json()['token']}"}


def booked(session, item, hall, days=2):
    person = factories.user(session, "wang", Role.TEACHER, phone="13911112222")
    day = queue.today() + dt.timedelta(days=days)
    slot = appointments.add_slots(session, hall.a, day, [(dt.time(9), dt.time(10))], 2)[0]
    return appointments.book(session, person, slot.id, item)


def test_a_halls_kiosk_lists_only_its_own_queues(client, hall, xiling):
    page = client.get("/hall/XL/kiosk").get_data(as_text=True)
    assert "西岭教务" in page
    assert "财务" not in page


def test_a_number_taken_at_a_halls_kiosk_is_in_that_hall(client, session, hall, xiling):
    _, xiling_a, _ = xiling
    client.post("/hall/XL/kiosk/take", data={"category": "A"})
    assert session.scalar(select(Ticket)).category == xiling_a


def test_a_second_ticket_for_one_campus_card_is_refused_on_the_kiosk(client, session, hall):
    client.post("/hall/NH/kiosk/take", data={"category": "A", "card": "20210815"})
    again = client.post(
        "/hall/NH/kiosk/take", data={"category": "A", "card": "20210815"}, follow_redirects=True
    )
    assert "A001" in again.get_data(as_text=True)
    assert session.query(Ticket).count() == 1


def test_a_second_ticket_for_one_campus_card_is_refused_through_the_api(client, hall):
    client.post("/api/tickets", json={"category": "A", "card": "20210815"})
    again = client.post("/api/tickets", json={"category": "A", "card": "20210815"})
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "ticket_active"


def test_the_api_takes_a_number_in_the_hall_named(client, hall, xiling):
    body = client.post("/api/tickets", json={"category": "A", "hall": "XL"}).get_json()
    assert (body["number"], body["hall"]) == ("A001", "XL")


def test_a_halls_window_calls_through_the_api(client, hall, xiling):
    taken = client.post("/api/tickets", json={"category": "A", "hall": "XL"}).get_json()
    called = client.post("/api/halls/XL/windows/1/call-next", headers=token(client, "li"))
    assert called.get_json()["id"] == taken["id"]


def test_a_recall_within_the_delay_is_refused_through_the_api(client, hall):
    client.post("/api/tickets", json={"category": "A"})
    headers = token(client)
    client.post("/api/windows/1/call-next", headers=headers)
    refused = client.post("/api/windows/1/recall", headers=headers)
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "recall_too_soon"


def test_the_recall_delay_comes_from_the_settings(app, client, hall, frozen_clock):
    app.config["COURIER_SETTINGS"] = app.config["COURIER_SETTINGS"].__class__(
        **{**app.config["COURIER_SETTINGS"].__dict__, "recall_delay": 60}
    )
    client.post("/api/tickets", json={"category": "A"})
    headers = token(client)
    client.post("/api/windows/1/call-next", headers=headers)
    frozen_clock.advance(dt.timedelta(seconds=61))
    assert client.post("/api/windows/1/recall", headers=headers).get_json()["calls"] == 2


def test_an_appointments_link_shows_it_without_a_login(client, session, hall, item):
    booking = booked(session, item, hall)
    link = f"/hall/booking/{booking_links.link_token(session, booking)}"
    page = client.get(link).get_data(as_text=True)
    assert booking.code in page
    assert "学生证" in page


def test_a_forged_appointment_link_is_not_found(client, session, hall, item):
    booking = booked(session, item, hall)
    assert client.get(f"/hall/booking/{booking.id}-{'0' * 20}").status_code == 404


def test_an_appointment_is_cancelled_from_its_link(client, session, hall, item):
    booking = booked(session, item, hall)
    client.post(f"/hall/booking/{booking_links.link_token(session, booking)}/cancel")
    session.refresh(booking)
    assert booking.status == BookingStatus.CANCELLED


def test_an_appointment_is_moved_from_its_link(client, session, hall, item):
    booking = booked(session, item, hall)
    day = queue.today() + dt.timedelta(days=3)
    later = appointments.add_slots(session, hall.a, day, [(dt.time(14), dt.time(15))], 2)[0]
    client.post(
        f"/hall/booking/{booking_links.link_token(session, booking)}/rebook",
        data={"slot": later.id},
    )
    moved = session.scalar(select(Booking).where(Booking.rebooked_from_id == booking.id))
    assert (moved.slot_id, moved.status) == (later.id, BookingStatus.BOOKED)


def test_an_appointments_calendar_file_downloads_from_its_link(client, session, hall, item):
    booking = booked(session, item, hall)
    answer = client.get(f"/hall/booking/{booking_links.link_token(session, booking)}/calendar.ics")
    assert answer.mimetype == "text/calendar"
    assert b"BEGIN:VEVENT" in answer.data


def test_checking_in_at_the_wrong_halls_kiosk_says_which_hall(
    client, session, hall, xiling, item, frozen_clock
):
    booking = booked(session, item, hall, days=1)
    frozen_clock.advance(dt.timedelta(days=1) - dt.timedelta(minutes=40))
    page = client.post(
        "/hall/XL/kiosk/check-in", data={"code": booking.code}, follow_redirects=True
    ).get_data(as_text=True)
    assert hall.row.name in page
    assert session.query(Ticket).count() == 0


def test_booking_by_item_lists_the_items_queues(client, session, hall, item):
    factories.user(session, "wang", Role.TEACHER)
    day = queue.today() + dt.timedelta(days=2)
    appointments.add_slots(session, hall.a, day, [(dt.time(9), dt.time(10))], 2)
    appointments.add_slots(session, hall.b, day, [(dt.time(9), dt.time(10))], 2)
    login(client, "wang")
    page = client.get(f"/hall/appointments?item={item.code}").get_data(as_text=True)
    assert 'data-test="category-NH-A"' in page
    assert 'data-test="category-NH-B"' not in page
