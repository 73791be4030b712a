import dataclasses
import datetime as dt
import re

import pytest

from core.users import Role
from feedback import follow_ups
from feedback.models import Source
from services.ratings import rate_ticket
from tests import factories
from tests.conftest import login
from tests.tickets.conftest import make_hall
from tickets import appointments, queue
from tickets.models import Booking, Outcome, Ticket


@pytest.fixture
def hall(session, frozen_clock):
    return make_hall(session)


@pytest.fixture
def staff_client(client, hall):
    login(client, "zhou")
    return client


def test_the_kiosk_lists_the_queues(client, hall):
    page = client.get("/hall/kiosk").get_data(as_text=True)
    assert 'data-test="take-A"' in page
    assert "财务" in page


def test_taking_a_number_shows_it_with_the_people_ahead(client, session, hall):
    queue.take_ticket(session, hall.a)
    response = client.post("/hall/kiosk/take", data={"category": "A"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "A002" in page
    assert 'data-test="ahead">1<' in page


def test_checking_in_a_booking_at_the_kiosk_gives_a_ticket(client, session, hall, frozen_clock):
    person = factories.user(session)
    day = queue.today() + dt.timedelta(days=1)
    slot = appointments.add_slots(session, hall.a, day, [(dt.time(9), dt.time(10))], 2)[0]
    booking = appointments.book(session, person, slot.id)
    frozen_clock.advance(dt.timedelta(days=1))
    response = client.post("/hall/kiosk/check-in", data={"code": booking.code})
    assert response.status_code == 302
    assert session.get(Ticket, int(response.location.split("?")[0].rsplit("/", 1)[1])).appointment


def test_the_console_calls_starts_and_finishes(staff_client, session, hall):
    queue.take_ticket(session, hall.a)
    for action in ("call-next", "start", "finish"):
        assert staff_client.post(f"/hall/windows/1/{action}").status_code == 302
    assert session.query(Ticket).one().outcome == Outcome.SERVED


def test_the_console_shows_a_refusal_in_chinese(staff_client, session, hall):
    queue.take_ticket(session, hall.a)
    staff_client.post("/hall/windows/1/call-next")
    page = staff_client.post("/hall/windows/1/finish", follow_redirects=True).get_data(as_text=True)
    assert "A001" in page
    assert "开始" in page


def test_the_console_buttons_have_access_keys(staff_client):
    page = staff_client.get("/hall/windows/1").get_data(as_text=True)
    for key in "nrsfh":
        assert f'accesskey="{key}"' in page


def test_the_console_is_for_hall_staff_only(client, session, hall):
    factories.user(session, "wang", Role.TEACHER)
    login(client, "wang")
    assert client.get("/hall/windows/1").status_code == 403


def test_the_rating_tablet_opens_a_follow_up_of_a_poor_rating(staff_client, session, hall):
    ticket = queue.take_ticket(session, hall.a)
    queue.call_next(session, hall.one)
    queue.start(session, hall.one)
    queue.finish(session, hall.one)
    session.flush()
    page = staff_client.get("/hall/windows/1/rate").get_data(as_text=True)
    assert "非常不满意" in page
    staff_client.post(
        "/hall/windows/1/rate", data={"ticket": ticket.id, "level": 1, "reasons": ["wait"]}
    )
    follow_up = follow_ups.of_subject(session, Source.WINDOW, ticket.id)
    assert follow_up.assignee_id == hall.staff.id


def test_a_board_asking_the_web_server_for_its_stream_is_sent_to_the_push_server(client, hall):
    response = client.get("/hall/NH/display/stream?after=3")
    assert response.status_code == 307
    assert response.headers["Location"] == "http://localhost:8001/hall/NH/display/stream?after=3"


def test_behind_a_proxy_a_stream_asked_of_the_web_server_is_503_with_retry_after(
    settings, connection, hall
):
    from tests.conftest import _session_on
    from web.app import create_app

    app = create_app(
        dataclasses.replace(settings, proxy_hops=1),
        sessions=lambda: _session_on(connection),
        TESTING=True,
    )
    response = app.test_client().get("/hall/display/stream")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.json["error"]["code"] == "push_unavailable"


def test_the_display_board_reads_its_stream_from_the_push_server_and_may_connect_there(
    client, hall
):
    response = client.get("/hall/NH/display")
    page = response.get_data(as_text=True)
    assert 'data-stream="http://localhost:8001/hall/NH/display/stream"' in page
    assert (
        "connect-src 'self' http://localhost:8001;" in response.headers["Content-Security-Policy"]
    )


def test_the_display_board_speaks_in_chinese(client, hall):
    page = client.get("/hall/display?repeat=3").get_data(as_text=True)
    assert "请 {number} 号到 {window} 号窗口" in page
    assert 'data-repeat="3"' in page


def test_a_logged_in_user_books_an_appointment(client, session, hall):
    factories.user(session, "wang", Role.TEACHER)
    day = queue.today() + dt.timedelta(days=2)
    slot = appointments.add_slots(session, hall.a, day, [(dt.time(9), dt.time(10))], 2)[0]
    login(client, "wang")
    page = client.post("/hall/appointments", data={"slot": slot.id}, follow_redirects=True)
    assert 'data-test="booking-code"' in page.get_data(as_text=True)


def test_the_statistics_page_and_csv_are_for_administrators(client, session, hall):
    factories.user(session, "boss", Role.ADMIN)
    login(client, "boss")
    assert "<svg" in client.get("/admin/hall/stats").get_data(as_text=True)
    csv = client.get("/admin/hall/stats.csv")
    assert csv.mimetype == "text/csv"
    assert csv.get_data(as_text=True).startswith("slice,key")


def test_a_poor_window_rating_is_on_the_administrators_follow_up_list(client, session, hall):
    queue.take_ticket(session, hall.a)
    queue.call_next(session, hall.one)
    queue.start(session, hall.one)
    rate_ticket(session, queue.finish(session, hall.one), 2, ["attitude"])
    factories.user(session, "boss", Role.ADMIN)
    login(client, "boss")
    page = client.get("/admin/follow-ups?source=window").get_data(as_text=True)
    assert "A001" in page
    assert "1 号窗口" in page


def test_a_booking_is_cancelled_from_the_appointments_page(client, session, hall):
    person = factories.user(session, "wang", Role.TEACHER)
    day = queue.today() + dt.timedelta(days=2)
    slot = appointments.add_slots(session, hall.a, day, [(dt.time(9), dt.time(10))], 2)[0]
    booking = appointments.book(session, person, slot.id)
    login(client, "wang")
    page = client.post(f"/hall/appointments/{booking.id}/cancel", follow_redirects=True)
    assert "预约已取消" in page.get_data(as_text=True)


def test_a_kiosk_tapped_twice_gives_one_ticket(client, session, hall):
    page = client.get("/hall/kiosk").get_data(as_text=True)
    key = re.search(r'name="form_key" value="([0-9a-f]+)"', page)[1]
    first = client.post("/hall/kiosk/take", data={"category": "A", "form_key": key})
    second = client.post("/hall/kiosk/take", data={"category": "A", "form_key": key})
    assert first.location == second.location
    assert session.query(Ticket).count() == 1


def test_the_kiosk_page_is_never_restored_from_the_browsers_history(client, hall):
    assert client.get("/hall/kiosk").headers["Cache-Control"] == "no-store"


def test_a_booking_form_sent_twice_makes_one_booking(client, session, hall):
    factories.user(session, "wang", Role.TEACHER)
    day = queue.today() + dt.timedelta(days=2)
    slot = appointments.add_slots(session, hall.a, day, [(dt.time(9), dt.time(10))], 2)[0]
    login(client, "wang")
    page = client.get("/hall/appointments").get_data(as_text=True)
    key = re.search(r'name="form_key" value="([0-9a-f]+)"', page)[1]
    client.post("/hall/appointments", data={"slot": slot.id, "form_key": key})
    again = client.post(
        "/hall/appointments", data={"slot": slot.id, "form_key": key}, follow_redirects=True
    )
    assert "flash error" not in again.get_data(as_text=True)
    assert session.query(Booking).count() == 1


def test_a_ticket_taken_at_the_kiosk_shows_its_qr_and_returns_to_the_start(client, hall):
    response = client.post("/hall/kiosk/take", data={"category": "A"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert 'data-test="ticket-qr"' in page
    assert 'data-return-to="/hall/NH/kiosk"' in page


def test_a_ticket_followed_on_a_phone_neither_shows_the_qr_nor_leaves(client, session, hall):
    ticket = queue.take_ticket(session, hall.a)
    page = client.get(f"/hall/tickets/{ticket.id}").get_data(as_text=True)
    assert 'data-test="ticket-qr"' not in page
    assert "data-return-after" not in page
