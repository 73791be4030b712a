"""Bring consignments to the agent's desk for the agent and SLA tests."""

from __future__ import annotations

from sqlalchemy.orm import Session

from catalog.models import Affiliation
from core.users import Role, User
from courier.custody import EventInput, record_event
from courier.models import Consignment, Source
from courier.states import Kind
from tests import factories


def clerk(session: Session, login: str, campus: str = "XL") -> User:
    """A clerk working at ``campus``."""
    person = factories.user(session, login, Role.CLERK, name=f"{login} 代办员")
    home = factories.campus(session, campus)
    session.add(Affiliation(user_id=person.id, campus_id=home.id))
    session.flush()
    return person


def walk(session: Session, consignment: Consignment, *kinds: Kind) -> None:
    for kind in kinds:
        outcome = record_event(
            session,
            consignment,
            EventInput(
                kind=kind,
                idempotency_key=f"{consignment.tracking_code}:{kind}:{len(consignment.events)}",
                source=Source.SYSTEM,
            ),
        )
        assert outcome.ok, outcome.reason
        session.flush()
        session.expire(consignment, ["events"])


def at_agent_desk(session: Session, **fields) -> Consignment:
    """A same-campus consignment (all on XL) sorted at the agent desk, waiting to be taken."""
    fields.setdefault("origin", "XL")
    fields.setdefault("department_campus", "XL")
    consignment = factories.consignment(session, **fields)
    walk(session, consignment, Kind.DEPOSITED, Kind.COLLECTED, Kind.SORTED)
    return consignment
