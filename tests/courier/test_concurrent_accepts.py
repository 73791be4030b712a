"""Two clerks accepting one consignment at the same instant (PostgreSQL only: SQLite serialises
writers anyway)."""

import threading

import pytest
from sqlalchemy import select

from core.db import make_engine, make_session_factory, unit_of_work
from core.errors import Conflict
from core.users import User
from courier import agents
from courier.models import Consignment
from services.bootstrap import build_bus
from tests.courier.agent_helpers import at_agent_desk, clerk
from tests.databases import backend, fresh_database

pytestmark = pytest.mark.skipif(backend() != "postgresql", reason="needs PostgreSQL row locks")


def test_the_loser_of_two_simultaneous_accepts_is_refused_naming_the_winner(tmp_path):
    with fresh_database(tmp_path) as url:
        engine = make_engine(url, pool_size=2)
        sessions = make_session_factory(engine, build_bus())
        with unit_of_work(sessions) as session:
            code = at_agent_desk(session).tracking_code
            clerk(session, "wang")
            clerk(session, "li")
        start = threading.Barrier(2)
        results: dict[str, object] = {}

        def accept(login: str) -> None:
            try:
                with unit_of_work(sessions) as session:
                    consignment = session.scalar(
                        select(Consignment).where(Consignment.tracking_code == code)
                    )
                    user = session.scalar(select(User).where(User.login == login))
                    start.wait()
                    agents.accept(session, consignment, user)
                results[login] = "won"
            except BaseException as error:
                results[login] = error

        threads = [threading.Thread(target=accept, args=(login,)) for login in ("wang", "li")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        engine.dispose()
    won = [login for login, result in results.items() if result == "won"]
    lost = [result for result in results.values() if result != "won"]
    assert len(won) == 1
    assert isinstance(lost[0], Conflict)
    assert lost[0].params["owner"] == f"{won[0]} 代办员"
