"""Halls belong to a campus and keep their queues, numbers, windows and calls apart."""

import pytest
from sqlalchemy import select

from core.errors import DomainError, NotFound
from core.users import Role
from tests import factories
from tickets import queue
from tickets.models import Call, Category, Window


@pytest.fixture
def xiling(session, hall):
    row = factories.hall(
        session, "XL", "西岭校区师生服务分中心", campus=factories.campus(session, "XL")
    )
    a = Category(hall=row, prefix="A", name="教务")
    window = Window(hall=row, number=1, name="1 号窗口", categories=[a])
    session.add_all([a, window])
    session.flush()
    queue.sign_in(session, window, factories.user(session, "li", Role.HALL_STAFF))
    return row, a, window


def test_a_hall_belongs_to_a_campus(session, xiling):
    row, _, _ = xiling
    assert row.campus.code == "XL"


def test_each_hall_numbers_its_own_queues(session, hall, xiling):
    _, xiling_a, _ = xiling
    assert queue.take_ticket(session, hall.a).number == "A001"
    assert queue.take_ticket(session, xiling_a).number == "A001"


def test_a_window_never_calls_another_halls_ticket(session, hall, xiling):
    _, _, window = xiling
    queue.take_ticket(session, hall.a)
    with pytest.raises(NotFound):
        queue.call_next(session, window)


def test_a_call_is_announced_in_the_hall_of_its_window(session, hall, xiling):
    row, xiling_a, window = xiling
    queue.take_ticket(session, xiling_a)
    queue.call_next(session, window)
    call = session.scalar(select(Call))
    assert call.hall_id == row.id


def test_a_ticket_cannot_be_transferred_to_another_halls_queue(session, hall, xiling):
    _, xiling_a, _ = xiling
    queue.take_ticket(session, hall.a)
    queue.call_next(session, hall.one)
    with pytest.raises(DomainError) as refused:
        queue.transfer(session, hall.one, xiling_a)
    assert refused.value.code == "bad_transfer"


def test_a_queue_prefix_is_looked_up_in_the_hall_given(session, hall, xiling):
    row, xiling_a, _ = xiling
    assert queue.category_by_prefix(session, "a", row) == xiling_a
    with pytest.raises(NotFound):
        queue.category_by_prefix(session, "B", row)


def test_the_addresses_without_a_hall_mean_the_first_hall(session, hall, xiling):
    assert queue.hall_by_code(session) == hall.row
    assert queue.window_by_number(session, 1, queue.hall_by_code(session)) == hall.one


def test_an_unknown_hall_is_not_found(session, hall):
    with pytest.raises(NotFound):
        queue.hall_by_code(session, "ZZ")
