import datetime as dt

import pytest

from core.errors import Conflict, DomainError, Forbidden, NotFound
from tests import factories
from tickets import queue
from tickets.events import TurnNear
from tickets.models import Call, Outcome, Status


def test_numbers_carry_the_category_prefix_and_three_digits(session, hall):
    first = queue.take_ticket(session, hall.a)
    second = queue.take_ticket(session, hall.a)
    other = queue.take_ticket(session, hall.b)
    assert (first.number, second.number, other.number) == ("A001", "A002", "B001")


def test_numbers_start_again_at_one_on_the_next_local_day(session, hall, frozen_clock):
    queue.take_ticket(session, hall.a)
    frozen_clock.advance(dt.timedelta(days=1))
    assert queue.take_ticket(session, hall.a).number == "A001"


def test_people_ahead_and_the_wait_follow_recent_service_times(session, hall, frozen_clock):
    served = queue.take_ticket(session, hall.a)
    queue.call_next(session, hall.one)
    queue.start(session, hall.one)
    frozen_clock.advance(dt.timedelta(minutes=8))
    queue.finish(session, hall.one)
    queue.take_ticket(session, hall.a)
    queue.take_ticket(session, hall.a)
    third = queue.take_ticket(session, hall.a)
    where = queue.position(session, third)
    assert served.outcome == Outcome.SERVED
    # Two ahead, 8 minutes each, one window signed in.
    assert (where.ahead, where.wait_minutes) == (2, 16)


def test_calling_at_a_window_with_no_staff_is_refused(session, hall):
    queue.take_ticket(session, hall.a)
    with pytest.raises(DomainError) as refused:
        queue.call_next(session, hall.two)
    assert refused.value.code == "no_staff"


def test_call_next_takes_the_first_come_and_records_the_call(session, hall):
    first = queue.take_ticket(session, hall.a)
    queue.take_ticket(session, hall.a)
    called = queue.call_next(session, hall.one)
    assert called is first
    assert (called.status, called.calls, called.window_id) == (Status.CALLED, 1, hall.one.id)
    assert session.query(Call).filter_by(ticket_id=first.id).one().window_number == 1


def test_calling_on_an_empty_queue_says_so(session, hall):
    with pytest.raises(NotFound) as refused:
        queue.call_next(session, hall.one)
    assert refused.value.code == "queue_empty"


def test_a_window_with_a_ticket_called_cannot_call_the_next(session, hall):
    queue.take_ticket(session, hall.a)
    queue.take_ticket(session, hall.a)
    queue.call_next(session, hall.one)
    with pytest.raises(Conflict):
        queue.call_next(session, hall.one)


def test_three_calls_spaced_by_the_recall_delay_and_no_visitor_make_a_no_show(
    session, hall, frozen_clock
):
    ticket = queue.take_ticket(session, hall.a)
    queue.call_next(session, hall.one)
    for _ in range(2):
        frozen_clock.advance(queue.RECALL_DELAY)
        queue.recall(session, hall.one)
    assert (ticket.calls, ticket.status) == (3, Status.CALLED)
    frozen_clock.advance(queue.RECALL_DELAY)
    queue.recall(session, hall.one)
    assert (ticket.status, ticket.outcome) == (Status.DONE, Outcome.NO_SHOW)


def test_recalls_within_the_recall_delay_are_refused_and_never_make_a_no_show(
    session, hall, frozen_clock
):
    ticket = queue.take_ticket(session, hall.a)
    queue.call_next(session, hall.one)
    for _ in range(3):
        with pytest.raises(Conflict) as refused:
            queue.recall(session, hall.one)
        frozen_clock.advance(dt.timedelta(milliseconds=300))
    assert refused.value.code == "recall_too_soon"
    assert (ticket.calls, ticket.status) == (1, Status.CALLED)


def test_a_refused_recall_says_how_many_minutes_are_left(session, hall, frozen_clock):
    queue.take_ticket(session, hall.a)
    queue.call_next(session, hall.one)
    frozen_clock.advance(dt.timedelta(minutes=3, seconds=30))
    with pytest.raises(Conflict) as refused:
        queue.recall(session, hall.one)
    assert refused.value.params["minutes"] == 2


def test_the_recall_delay_is_the_callers_to_choose(session, hall, frozen_clock):
    ticket = queue.take_ticket(session, hall.a)
    queue.call_next(session, hall.one)
    frozen_clock.advance(dt.timedelta(seconds=30))
    queue.recall(session, hall.one, delay=dt.timedelta(seconds=30))
    assert ticket.calls == 2


def test_finishing_a_ticket_never_started_is_refused(session, hall):
    queue.take_ticket(session, hall.a)
    queue.call_next(session, hall.one)
    with pytest.raises(DomainError) as refused:
        queue.finish(session, hall.one)
    assert refused.value.code == "not_started"


def test_a_transferred_ticket_keeps_its_number_and_place(session, hall, frozen_clock):
    moved = queue.take_ticket(session, hall.a)
    frozen_clock.advance(dt.timedelta(minutes=1))
    later = queue.take_ticket(session, hall.b)
    queue.call_next(session, hall.one)
    successor = queue.transfer(session, hall.one, hall.b)
    assert moved.outcome == Outcome.TRANSFERRED
    assert (successor.number, successor.category_id) == ("A001", hall.b.id)
    assert queue.people_ahead(session, later) == 1
    assert queue.call_next(session, hall.one) is successor


def test_a_held_ticket_frees_the_window_and_resumes_where_it_was(session, hall):
    held = queue.take_ticket(session, hall.a)
    nxt = queue.take_ticket(session, hall.a)
    queue.call_next(session, hall.one)
    queue.start(session, hall.one)
    queue.hold(session, hall.one)
    assert queue.call_next(session, hall.one) is nxt
    with pytest.raises(Conflict):
        queue.resume(session, hall.one, held)
    queue.start(session, hall.one)
    queue.finish(session, hall.one)
    queue.resume(session, hall.one, held)
    assert held.status == Status.SERVING
    assert queue.finish(session, hall.one).outcome == Outcome.SERVED


def test_a_cancelled_ticket_leaves_the_queue(session, hall):
    gone = queue.take_ticket(session, hall.a)
    stays = queue.take_ticket(session, hall.a)
    queue.cancel(session, gone)
    assert (gone.outcome, queue.people_ahead(session, stays)) == (Outcome.CANCELLED, 0)


def test_only_hall_staff_sign_in_at_a_window(session, hall):
    with pytest.raises(Forbidden):
        queue.sign_in(session, hall.two, factories.user(session))


def test_turn_near_is_announced_once_when_few_are_ahead(session, hall, monkeypatch):
    seen = []
    monkeypatch.setattr(queue, "publish", lambda _s, event: seen.append(event))
    for _ in range(3):
        queue.take_ticket(session, hall.a)
    reachable = queue.take_ticket(session, hall.a, phone="13900000000")
    queue.call_next(session, hall.one, near=2)  # A002, A003 and A004 wait: two ahead
    queue.start(session, hall.one)
    queue.finish(session, hall.one)
    queue.call_next(session, hall.one, near=2)
    assert seen == [TurnNear(reachable.id, None, "13900000000", "A004", 2)]
