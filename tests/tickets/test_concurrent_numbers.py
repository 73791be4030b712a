"""Two kiosks at the same instant: numbers stay unique and gap-free (PostgreSQL only: SQLite
serialises writers anyway)."""

import threading

import pytest
from sqlalchemy import select

from core.db import make_engine, make_session_factory, unit_of_work
from tests.databases import backend, fresh_database
from tests.tickets.conftest import make_hall
from tickets.models import Category, Ticket
from tickets.queue import take_ticket

pytestmark = pytest.mark.skipif(backend() != "postgresql", reason="needs PostgreSQL row locks")

KIOSKS = 8
TAKES = 10


def test_kiosks_taking_numbers_at_once_get_unique_gap_free_numbers(tmp_path, frozen_clock):
    with fresh_database(tmp_path) as url:
        engine = make_engine(url, pool_size=KIOSKS)
        sessions = make_session_factory(engine)
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
