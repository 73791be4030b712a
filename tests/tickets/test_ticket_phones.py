import pytest

from core.errors import Conflict, ValidationFailed
from tickets import queue


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
