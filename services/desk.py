"""The agent desk's acts on a consignment, each after :func:`services.ownership.claim`."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.users import User
from courier import agents
from courier.custody import Outcome
from courier.models import Consignment
from courier.states import Kind
from services.ownership import claim


def accept(session: Session, user: User, consignment: Consignment) -> Outcome:
    """Take the consignment; of two clerks at once, the second is refused naming the first."""
    claim(session, user, consignment, Kind.AGENT_ACCEPTED)
    return agents.accept(session, consignment, user)


def record_step(
    session: Session,
    user: User,
    consignment: Consignment,
    kind: Kind,
    key: str,
    *,
    note: str = "",
    result_kind: str | None = None,
) -> Outcome:
    """One processing step (a decision included) by the consignment's clerk."""
    claim(session, user, consignment, kind)
    return agents.record_step(
        session, consignment, user, kind, key, note=note, result_kind=result_kind
    )


def receive_materials(session: Session, user: User, consignment: Consignment, key: str) -> Outcome:
    """The asked-for materials are in: the clock runs again."""
    claim(session, user, consignment, Kind.MATERIALS_RECEIVED)
    return agents.receive_materials(session, consignment, user, key)


def reassign(
    session: Session, user: User, consignment: Consignment, to: User, reason: str
) -> Outcome:
    """Hand the consignment to another clerk, with a reason (its clerk or an administrator)."""
    claim(session, user, consignment, Kind.REASSIGNED)
    return agents.reassign(session, consignment, user, to, reason)
