"""First-ask ownership, checked in one place for the desk page and the API."""

import threading

import pytest
from sqlalchemy import select

from core.db import make_engine, make_session_factory, unit_of_work
from core.errors import Conflict, ValidationFailed
from core.users import Role, User
from courier import agents
from courier.models import Consignment
from courier.states import Kind, State
from services import consignments, desk, pickup
from services.bootstrap import build_bus
from tests import factories
from tests.courier.agent_helpers import at_agent_desk, clerk
from tests.databases import backend, fresh_database


@pytest.fixture
def ready(session):
    """A result made ready by its clerk wang, still at his desk."""
    consignment = at_agent_desk(session)
    wang = clerk(session, "wang")
    agents.accept(session, consignment, wang)
    agents.record_step(
        session, consignment, wang, Kind.RESULT_READY, "r1", result_kind="certificate"
    )
    assert consignment.state == State.RESULT_READY
    return consignment


def test_another_clerk_may_not_place_a_result_its_clerk_made_ready(session, ready):
    with pytest.raises(Conflict) as refused:
        pickup.place_result(session, clerk(session, "li"), ready, "p1")
    assert refused.value.params["owner"] == "wang 代办员"


def test_another_clerk_may_not_keep_a_result_at_the_desk_for_its_clerk(session, ready):
    with pytest.raises(Conflict):
        pickup.keep_at_desk(session, clerk(session, "li"), ready, "d1")
    assert ready.state == State.RESULT_READY


def test_the_owner_keeps_the_result_at_the_desk(session, ready):
    wang = session.scalar(select(User).where(User.login == "wang"))
    pickup.keep_at_desk(session, wang, ready, "d1")
    assert ready.state == State.AT_DESK


def test_an_administrator_reassigns_only_with_a_reason(session):
    consignment = at_agent_desk(session)
    agents.accept(session, consignment, clerk(session, "wang"))
    admin = factories.user(session, "boss", Role.ADMIN)
    with pytest.raises(ValidationFailed):
        desk.reassign(session, admin, consignment, clerk(session, "li"), " ")


@pytest.mark.skipif(backend() != "postgresql", reason="needs PostgreSQL row locks")
def test_two_clerks_accepting_through_the_api_path_at_once_one_wins(tmp_path):
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
                    consignments.record(
                        session, user, consignment, Kind.AGENT_ACCEPTED, f"web:{login}"
                    )
                results[login] = "won"
            except BaseException as error:
                results[login] = error

        threads = [threading.Thread(target=accept, args=(login,)) for login in ("wang", "li")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with unit_of_work(sessions) as session:
            owner = session.scalar(select(Consignment).where(Consignment.tracking_code == code))
            owner_login = owner.agent.login
        engine.dispose()
    won = [login for login, result in results.items() if result == "won"]
    lost = [result for result in results.values() if result != "won"]
    assert won == [owner_login]
    assert isinstance(lost[0], Conflict)
    assert lost[0].params["owner"] == f"{owner_login} 代办员"
