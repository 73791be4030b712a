"""First-ask ownership, decided in one place for every path that acts on a consignment.

Once a clerk accepts a consignment it is theirs until it is closed: only they accept it, record
its steps (a decision included), ask for materials, place its result or send it back; anyone
else is refused, naming the owner. An administrator may step in, and reassigns it only with a
reason (:func:`courier.agents.reassign`). The desk page, the consignment page and the API all
ask :func:`claim` before they act; the page asks :func:`may_act` to offer only what will work.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.errors import N_, Conflict, Forbidden
from core.users import Role, User
from courier.models import Consignment
from courier.states import AGENT_STEPS, Kind, State

#: Acts that belong to the clerk who accepted the consignment.
OWNED_ACTS = frozenset(
    {
        Kind.AGENT_ACCEPTED,
        *AGENT_STEPS,
        Kind.RETURNED_TO_SENDER,
        Kind.REASSIGNED,
        Kind.PLACED_FOR_PICKUP,
        Kind.PLACED_AT_DESK,
    }
)
#: Placing a result is the owner's act while the result is still at their desk; a result that
#: came back over the network is placed by whoever keeps the desk at its pickup campus.
PLACEMENTS = frozenset({Kind.PLACED_FOR_PICKUP, Kind.PLACED_AT_DESK})


def may_act(user: User, consignment: Consignment) -> bool:
    """Whether ``user`` may act on ``consignment`` as its clerk: nobody owns it yet, it is
    theirs, or they are an administrator."""
    return consignment.agent_id in (None, user.id) or user.has_role(Role.ADMIN)


def claim(session: Session, user: User, consignment: Consignment, kind: Kind) -> None:
    """Refuse ``kind`` unless ``user`` may do it to ``consignment`` under first-ask ownership.

    The consignment's row is locked first (PostgreSQL), so of two clerks acting at once (two
    accepts) the second waits, then sees who won. Raises :class:`Conflict` naming the owner,
    or :class:`Forbidden` for a reassignment by someone who is neither owner nor administrator.
    """
    if kind not in OWNED_ACTS:
        return
    # Reloading the row must not drop what this transaction changed and has not flushed yet.
    session.flush()
    session.refresh(consignment, with_for_update=True)
    if kind in PLACEMENTS and consignment.state is not State.RESULT_READY:
        return
    if kind is Kind.REASSIGNED:
        if user.id != consignment.agent_id and not user.has_role(Role.ADMIN):
            raise Forbidden("not_owner", N_("Only its clerk or an administrator can reassign it."))
        return
    if may_act(user, consignment):
        return
    owner = consignment.agent
    raise Conflict(
        "owned_by_other",
        N_("%(owner)s accepted this consignment on %(since)s and handles it."),
        owner=owner.name if owner else "?",
        since=consignment.accepted_at,
    )
