import pytest

from core.errors import Conflict, DomainError
from tickets import queue, ratings


def served(session, hall):
    queue.take_ticket(session, hall.a)
    queue.call_next(session, hall.one)
    queue.start(session, hall.one)
    return queue.finish(session, hall.one)


def test_the_window_tablet_offers_the_last_served_ticket(session, hall):
    ticket = served(session, hall)
    assert ratings.awaiting_rating(session, hall.one) is ticket
    ratings.rate(session, ticket, 5, [])
    assert ratings.awaiting_rating(session, hall.one) is None


def test_a_dissatisfied_rating_is_marked_for_follow_up(session, hall):
    rating = ratings.rate(session, served(session, hall), 2, ["wait", "unclear"])
    assert rating.needs_follow_up


def test_a_satisfied_rating_needs_no_follow_up(session, hall):
    assert not ratings.rate(session, served(session, hall), 4, []).needs_follow_up


def test_a_ticket_is_rated_once(session, hall):
    ticket = served(session, hall)
    ratings.rate(session, ticket, 3, [])
    with pytest.raises(Conflict):
        ratings.rate(session, ticket, 1, [])


def test_a_ticket_not_served_cannot_be_rated(session, hall):
    with pytest.raises(DomainError) as refused:
        ratings.rate(session, queue.take_ticket(session, hall.a), 5, [])
    assert refused.value.code == "not_served"
