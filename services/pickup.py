"""The end of the journey: a result placed in a pickup locker or kept at the desk, and handed
over."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import N_, DomainError, Forbidden
from core.users import User
from courier import agents
from courier.consignments import record_web_event
from courier.custody import Outcome, may_record
from courier.models import Consignment
from courier.states import Kind, State
from lockers.compartments import pickup_bank_for, place_for_pickup
from lockers.models import Compartment, LockerBank
from services.ownership import claim


@dataclass(frozen=True)
class Placed:
    """Where a result went: a compartment, or none when its campus has no pickup locker."""

    outcome: Outcome
    compartment: Compartment | None


def place_result(
    session: Session,
    user: User,
    consignment: Consignment,
    key: str,
    *,
    bank: LockerBank | None = None,
    number: int | None = None,
) -> Placed:
    """Put a result where its recipient collects it: compartment ``number`` of ``bank`` when
    the clerk chose them, else the pickup locker of its pickup campus, if there is one (the
    code goes to the recipient, its hash to the locker); otherwise it waits at the desk."""
    claim(session, user, consignment, Kind.PLACED_FOR_PICKUP)
    if not may_record(user, consignment, Kind.PLACED_FOR_PICKUP):
        raise Forbidden(
            "forbidden", N_("You may not record %(kind)s."), kind=Kind.PLACED_FOR_PICKUP
        )
    bank = bank or pickup_bank_for(session, consignment)
    if bank is None:
        outcome = record_web_event(session, consignment, user, Kind.PLACED_FOR_PICKUP, key)
        return Placed(outcome, None)
    placement = place_for_pickup(session, consignment, bank, actor=user, key=key, number=number)
    return Placed(placement.outcome, placement.compartment)


def keep_at_desk(session: Session, clerk: User, consignment: Consignment, key: str) -> str:
    """Keep the result at the service desk; returns the recipient's handover code."""
    claim(session, clerk, consignment, Kind.PLACED_AT_DESK)
    return agents.place_at_desk(session, consignment, clerk, key)


def hand_over(
    session: Session,
    clerk: User,
    consignment: Consignment,
    key: str,
    *,
    collected_by: str,
    code: str = "",
    id_checked: bool = False,
) -> Outcome:
    """Give a result at the desk to whoever shows its code or an ID."""
    return agents.hand_over(
        session,
        consignment,
        clerk,
        key,
        collected_by=collected_by,
        code=code,
        id_checked=id_checked,
    )


def refuse_pickup_outside_the_desk(consignment: Consignment, kind: Kind) -> None:
    """A result at the desk is collected only through :func:`hand_over` (code or ID)."""
    if kind is Kind.PICKED_UP and consignment.state == State.AT_DESK:
        raise DomainError(
            "use_handover",
            N_(
                "A result at the service desk is handed over on the agent desk, with its code or "
                "an ID check."
            ),
        )


#: What a page or the API may record for a result waiting in a locker compartment: a clerk takes
#: it back to the desk, or finds it damaged. It leaves the locker otherwise only by the locker.
IN_LOCKER_EVENTS = frozenset({Kind.PLACED_AT_DESK, Kind.PLACED_FOR_PICKUP, Kind.DAMAGED})


def refuse_leaving_a_locker(session: Session, consignment: Consignment, kind: Kind) -> None:
    """A result in a locker leaves by its code, its QR or a clerk's remote open at the locker,
    or is taken to the desk; an event entered on a page or the API that says otherwise (it was
    picked up, returned, cancelled) would leave the compartment full and the code working."""
    if kind in IN_LOCKER_EVENTS:
        return
    held = session.scalar(select(Compartment).where(Compartment.consignment_id == consignment.id))
    if held is None:
        return
    raise DomainError(
        "in_locker",
        N_(
            "%(code)s waits in compartment %(number)s of %(locker)s: it leaves with its pickup "
            "code at the locker, or a clerk takes it to the service desk."
        ),
        code=consignment.tracking_code,
        number=held.number,
        locker=held.bank.name,
    )
