"""A teacher's consignment handled by an agent clerk (代办) and collected at the desk."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from core.users import Role, User
from courier import agents
from courier.models import Consignment
from courier.states import Kind
from tests import factories
from tests.courier.agent_helpers import at_agent_desk, clerk


@dataclass
class Handled:
    consignment: Consignment
    teacher: User
    agent: User
    admin: User


def collected(
    session: Session, teacher_login: str = "zhang_t", agent_login: str = "wang"
) -> Handled:
    """Submitted by a teacher, accepted and made ready by an agent, handed over at the desk."""
    teacher = factories.user(session, teacher_login, Role.TEACHER, phone="13900000001")
    agent = clerk(session, agent_login)
    agent.phone = "13900000003"
    admin = factories.user(session, f"{agent_login}_admin", Role.ADMIN, phone="13900000002")
    consignment = at_agent_desk(session, submitter=teacher)
    agents.accept(session, consignment, agent)
    agents.record_step(
        session, consignment, agent, Kind.RESULT_READY, "r", result_kind="certificate"
    )
    digits = agents.place_at_desk(session, consignment, agent, "d1")
    agents.hand_over(session, consignment, agent, "h1", collected_by="张老师", code=digits)
    return Handled(consignment, teacher, agent, admin)
