"""A ticket may carry a campus card instead of a phone; one card, one active ticket per queue."""

import pytest
from sqlalchemy.exc import IntegrityError

from core.errors import Conflict, DomainError
from tickets import queue
from tickets.models import Ticket


def test_a_ticket_carries_the_campus_card_as_printed(session, hall):
    ticket = queue.take_ticket(session, hall.a, card=" 2021-0815 ")
    assert ticket.card == "20210815"


def test_a_card_holding_a_ticket_in_a_queue_is_refused_a_second_naming_the_first(session, hall):
    queue.take_ticket(session, hall.a, card="20210815")
    with pytest.raises(Conflict) as refused:
        queue.take_ticket(session, hall.a, card="20210815")
    assert (refused.value.code, refused.value.params["number"]) == ("ticket_active", "A001")


def test_a_card_may_hold_a_ticket_in_each_queue(session, hall):
    queue.take_ticket(session, hall.a, card="20210815")
    assert queue.take_ticket(session, hall.b, card="20210815").number == "B001"


def test_a_card_takes_a_new_ticket_once_its_last_is_done(session, hall):
    queue.take_ticket(session, hall.a, card="20210815")
    queue.call_next(session, hall.one)
    queue.start(session, hall.one)
    queue.finish(session, hall.one)
    assert queue.take_ticket(session, hall.a, card="20210815").number == "A002"


def test_a_card_number_that_is_no_card_is_refused(session, hall):
    with pytest.raises(DomainError) as refused:
        queue.take_ticket(session, hall.a, card="<script>")
    assert refused.value.code == "bad_card"


def test_the_database_holds_a_card_to_one_active_ticket_per_queue(session, hall):
    first = queue.take_ticket(session, hall.a, card="20210815")
    twin = Ticket(
        category=hall.a,
        day=first.day,
        seq=99,
        number="A099",
        queue_at=first.queue_at,
        wait_from=first.wait_from,
        card="20210815",
    )
    session.add(twin)
    with pytest.raises(IntegrityError):
        session.flush()
