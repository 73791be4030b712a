"""Kiosks and windows at the same instant: numbers stay unique and gap-free, no ticket is called
twice (PostgreSQL only: SQLite serialises writers anyway)."""

import threading

import pytest
from sqlalchemy import select

from core.db import make_engine, make_session_factory, unit_of_work
from core.errors import Conflict
from core.users import Role
from services.bootstrap import build_bus
from tests import factories
from tests.databases import backend, fresh_database
from tests.tickets.conftest import make_hall
from tickets.models import Call, Category, Ticket, Window
from tickets.queue import call_next, hall_by_code, sign_in, take_ticket, window_by_number

pytestmark = pytest.mark.skipif(backend() != "postgresql", reason="needs PostgreSQL row locks")

KIOSKS = 8
TAKES = 10


def test_kiosks_taking_numbers_at_once_get_unique_gap_free_numbers(tmp_path, frozen_clock):
    with fresh_database(tmp_path) as url:
        engine = make_engine(url, pool_size=KIOSKS)
        sessions = make_session_factory(engine, build_bus())
        with unit_of_work(sessions) as session:
            make_hall(session)
        start = threading.Barrier(KIOSKS)
        errors: list[BaseException] = []

        def kiosk() -> None:
            try:
                start.wait()
                for _ in range(TAKES):
                    with unit_of_work(sessions) as session:
                        category = session.scalar(select(Category).where(Category.prefix == "A"))
                        take_ticket(session, category)
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=kiosk) for _ in range(KIOSKS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with unit_of_work(sessions) as session:
            numbers = sorted(session.scalars(select(Ticket.number)))
        engine.dispose()
    assert errors == []
    assert numbers == [f"A{n:03d}" for n in range(1, KIOSKS * TAKES + 1)]


def test_windows_calling_at_once_never_get_the_same_ticket(tmp_path, frozen_clock):
    with fresh_database(tmp_path) as url:
        engine = make_engine(url, pool_size=KIOSKS)
        sessions = make_session_factory(engine, build_bus())
        with unit_of_work(sessions) as session:
            hall = make_hall(session)
            windows = [hall.one]
            for number in range(2, KIOSKS + 1):
                staff = factories.user(session, f"staff{number}", Role.HALL_STAFF)
                window = Window(hall=hall.row, number=10 + number, categories=[hall.a])
                session.add(window)
                session.flush()
                sign_in(session, window, staff)
                windows.append(window)
            for _ in range(KIOSKS * 2):
                take_ticket(session, hall.a)
            numbers = [w.number for w in windows]
        start = threading.Barrier(len(numbers))
        called: list[str] = []
        errors: list[BaseException] = []

        def window_calls(number: int) -> None:
            try:
                start.wait()
                with unit_of_work(sessions) as session:
                    called.append(
                        call_next(
                            session, window_by_number(session, number, hall_by_code(session))
                        ).number
                    )
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=window_calls, args=(n,)) for n in numbers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        engine.dispose()
    assert errors == []
    assert sorted(called) == [f"A{n:03d}" for n in range(1, len(numbers) + 1)]


def test_a_board_following_calls_by_id_sees_every_call_of_two_queues_in_commit_order(
    tmp_path, frozen_clock
):
    with fresh_database(tmp_path) as url:
        engine = make_engine(url, pool_size=4)
        sessions = make_session_factory(engine, build_bus())
        with unit_of_work(sessions) as session:
            hall = make_hall(session)
            for number, category in ((11, hall.a), (12, hall.b)):
                window = Window(hall=hall.row, number=number, categories=[category])
                session.add(window)
                session.flush()
                sign_in(session, window, factories.user(session, f"staff{number}", Role.HALL_STAFF))
                take_ticket(session, category)
        # Window 11's call takes its id and stays uncommitted while window 12 calls.
        slow = sessions()
        call_next(slow, window_by_number(slow, 11, hall_by_code(slow)))
        other_done = threading.Event()

        def other_queue() -> None:
            with unit_of_work(sessions) as session:
                call_next(session, window_by_number(session, 12, hall_by_code(session)))
            other_done.set()

        thread = threading.Thread(target=other_queue)
        thread.start()
        other_done.wait(1.0)
        with unit_of_work(sessions) as session:
            seen_meanwhile = list(session.scalars(select(Call.id)))
        slow.commit()
        slow.close()
        thread.join()
        with unit_of_work(sessions) as session:
            seen_after = list(session.scalars(select(Call.id)))
        engine.dispose()
    # A board that had read window 12's call (a higher id) would skip window 11's for good.
    assert seen_meanwhile == []
    assert len(seen_after) == 2


def test_two_kiosks_taking_a_number_for_one_phone_at_once_give_it_one_ticket(
    tmp_path, frozen_clock
):
    with fresh_database(tmp_path) as url:
        engine = make_engine(url, pool_size=2)
        sessions = make_session_factory(engine, build_bus())
        with unit_of_work(sessions) as session:
            make_hall(session)
        start = threading.Barrier(2)
        taken: list[str] = []
        refused: list[Conflict] = []
        errors: list[BaseException] = []

        def kiosk() -> None:
            try:
                with unit_of_work(sessions) as session:
                    category = session.scalar(select(Category).where(Category.prefix == "A"))
                    start.wait()
                    taken.append(take_ticket(session, category, phone="13800138000").number)
            except Conflict as refusal:
                refused.append(refusal)
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=kiosk) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with unit_of_work(sessions) as session:
            phones = list(session.scalars(select(Ticket.phone)))
        engine.dispose()
    assert errors == []
    assert len(taken) == 1
    assert [r.params["number"] for r in refused] == taken
    assert phones == ["13800138000"]
