import pytest
from sqlalchemy.exc import IntegrityError

from core import clock
from core.errors import Conflict, ValidationFailed
from tests import factories
from tickets import queue
from tickets.models import Ticket


def test_a_ticket_with_a_number_that_is_not_a_mobile_is_refused(session, hall):
    with pytest.raises(ValidationFailed):
        queue.take_ticket(session, hall.a, phone="12345")


def test_a_phone_holds_one_active_ticket_per_queue(session, hall):
    first = queue.take_ticket(session, hall.a, phone="13800138000")
    with pytest.raises(Conflict) as refused:
        queue.take_ticket(session, hall.a, phone="138 0013 8000")
    assert refused.value.params["number"] == first.number


def test_the_same_phone_may_wait_in_another_queue(session, hall):
    queue.take_ticket(session, hall.a, phone="13800138000")
    assert queue.take_ticket(session, hall.b, phone="13800138000").phone == "13800138000"


def test_a_phone_may_take_a_new_ticket_once_the_last_is_done(session, hall):
    queue.take_ticket(session, hall.a, phone="13800138000")
    queue.call_next(session, hall.one)
    queue.start(session, hall.one)
    queue.finish(session, hall.one)
    assert queue.take_ticket(session, hall.a, phone="13800138000").number == "A002"


def test_the_database_holds_a_phone_to_one_active_ticket_per_queue(session, hall):
    queue.take_ticket(session, hall.a, phone="13800138000")
    twin = Ticket(
        category=hall.a,
        day=queue.today(),
        seq=99,
        number="A099",
        queue_at=clock.now(),
        wait_from=clock.now(),
        phone="13800138000",
    )
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(twin)


def test_a_signed_in_visitor_without_a_typed_number_still_holds_one_ticket_per_queue(session, hall):
    visitor = factories.user(session, "visitor", phone="13900139000")
    first = queue.take_ticket(session, hall.a, user=visitor)
    with pytest.raises(Conflict) as refused:
        queue.take_ticket(session, hall.a, user=visitor)
    assert refused.value.params["number"] == first.number


def test_a_transfer_into_a_queue_where_the_phone_waits_is_refused(session, hall):
    queue.take_ticket(session, hall.a, phone="13800138000")
    waiting_in_b = queue.take_ticket(session, hall.b, phone="13800138000")
    queue.call_next(session, hall.one)
    with pytest.raises(Conflict) as refused:
        queue.transfer(session, hall.one, hall.b)
    assert refused.value.params["number"] == waiting_in_b.number
