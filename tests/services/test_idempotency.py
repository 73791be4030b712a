"""Idempotency keys: a request sent twice acts once, and answers with what the first made."""

import datetime as dt
import threading

import pytest
from sqlalchemy import select

from core.db import make_engine, make_session_factory, unit_of_work
from core.errors import Conflict, ValidationFailed
from core.idempotency import KEEP, IdempotencyKey, checked_key, forget_old_keys
from services import hall as hall_requests
from services.bootstrap import build_bus
from tests.databases import backend, fresh_database
from tests.tickets.conftest import make_hall
from tickets.models import Category, Ticket


@pytest.fixture
def hall(session, frozen_clock):
    return make_hall(session)


def test_the_same_key_takes_one_ticket(session, hall):
    first = hall_requests.take_ticket(session, hall.a, key="k1")
    assert hall_requests.take_ticket(session, hall.a, key="k1") is first


def test_a_key_of_one_user_means_nothing_to_another(session, hall):
    first = hall_requests.take_ticket(session, hall.a, key="k1")
    other = hall_requests.take_ticket(session, hall.a, key="k1", user=hall.staff)
    assert other.id != first.id


def test_keys_are_forgotten_after_a_week_and_then_act_again(session, hall, frozen_clock):
    first = hall_requests.take_ticket(session, hall.a, key="k1")
    frozen_clock.advance(KEEP / 2)
    hall_requests.take_ticket(session, hall.a, key="k2")
    frozen_clock.advance(KEEP / 2 + dt.timedelta(seconds=1))
    assert forget_old_keys(session) == 1
    assert session.scalars(select(IdempotencyKey.key)).all() == ["k2"]
    assert hall_requests.take_ticket(session, hall.a, key="k1").id != first.id


def test_a_refused_first_attempt_leaves_the_key_free(session, hall):
    with pytest.raises(ValidationFailed):
        hall_requests.take_ticket(session, hall.a, key="k1", phone="12345")
    assert session.scalar(select(IdempotencyKey)) is None
    assert hall_requests.take_ticket(session, hall.a, key="k1").number == "A001"


def test_a_key_sent_again_with_another_request_is_refused(session, hall):
    hall_requests.take_ticket(session, hall.a, key="k1")
    with pytest.raises(Conflict) as refused:
        hall_requests.take_ticket(session, hall.b, key="k1")
    assert refused.value.code == "key_reused"


def test_a_key_that_is_not_printable_text_is_refused():
    with pytest.raises(ValidationFailed):
        checked_key("key\nwith a line break")


@pytest.mark.skipif(backend() != "postgresql", reason="needs PostgreSQL's concurrent writers")
def test_two_requests_with_one_key_at_once_make_one_ticket(tmp_path, frozen_clock):
    with fresh_database(tmp_path) as url:
        engine = make_engine(url, pool_size=2)
        sessions = make_session_factory(engine, build_bus())
        with unit_of_work(sessions) as session:
            make_hall(session)
        start = threading.Barrier(2)
        answered: list[int] = []
        errors: list[BaseException] = []

        def kiosk() -> None:
            try:
                with unit_of_work(sessions) as session:
                    category = session.scalar(select(Category).where(Category.prefix == "A"))
                    start.wait()
                    answered.append(hall_requests.take_ticket(session, category, key="k1").id)
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=kiosk) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with unit_of_work(sessions) as session:
            tickets = list(session.scalars(select(Ticket.id)))
        engine.dispose()
    assert errors == []
    assert answered == tickets * 2
