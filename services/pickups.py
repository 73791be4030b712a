"""What waits for a recipient: their results in pickup lockers, with the code to open them.

The code is shown only here (the recipient's own page, through their login or their signed
link) and in their notice.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from core import clock
from core.errors import N_, DomainError, Forbidden, Problem, ValidationFailed
from core.phones import DEFAULT_REGIONS, masked, mobile_number
from core.users import Role, User
from courier.custody import EventInput, must, record_event
from courier.models import Consignment, CustodyEvent, Source
from courier.states import Kind
from lockers import pickup_codes
from lockers.compartments import issue_and_announce
from lockers.models import Compartment, LockerBank, PickupCode
from lockers.pickup_codes import digits_of
from lockers.pickup_links import code_for_token, link_token


@dataclass(frozen=True)
class Waiting:
    """One result waiting in a compartment for its recipient."""

    consignment: Consignment
    bank: LockerBank
    compartment: int
    digits: str
    valid_until: dt.datetime
    token: str
    #: The colleague the recipient let collect (the code is theirs now), if any.
    collector: str | None = None

    @property
    def place(self) -> str:
        """Where the locker stands."""
        return self.bank.location.name if self.bank.location else self.bank.campus.name


def _waiting(session: Session, code: PickupCode, compartment: Compartment) -> Waiting:
    consignment = session.get(Consignment, code.consignment_id)
    assert consignment is not None  # a code always names its consignment (foreign key)
    return Waiting(
        consignment=consignment,
        bank=compartment.bank,
        compartment=compartment.number,
        digits=digits_of(session, code),
        valid_until=code.valid_until,
        token=link_token(session, code),
        collector=code.collector,
    )


def _live_in_compartment() -> Select[tuple[PickupCode, Compartment]]:
    return (
        select(PickupCode, Compartment)
        .join(Compartment, PickupCode.compartment_id == Compartment.id)
        .where(
            Compartment.consignment_id == PickupCode.consignment_id,
            PickupCode.used_at.is_(None),
            PickupCode.revoked_at.is_(None),
            PickupCode.valid_until > clock.now(),
        )
    )


def waiting_for(session: Session, user: User) -> list[Waiting]:
    """Every result waiting in a locker for ``user``, the soonest to expire first."""
    rows = session.execute(
        _live_in_compartment()
        .join(Consignment, Consignment.id == PickupCode.consignment_id)
        .where(Consignment.recipient_user_id == user.id)
        .order_by(PickupCode.valid_until)
    ).all()
    return [_waiting(session, code, compartment) for code, compartment in rows]


def waiting_by_link(session: Session, token: str) -> Waiting | None:
    """The result a signed link names, while its code is live and the result in its place."""
    code = code_for_token(session, token)
    if code is None:
        return None
    row = session.execute(_live_in_compartment().where(PickupCode.id == code.id)).first()
    return None if row is None else _waiting(session, row[0], row[1])


def _may_hand_on(user: User, consignment: Consignment) -> None:
    if not (user.id == consignment.recipient_user_id or user.has_role(Role.CLERK, Role.ADMIN)):
        raise Forbidden("forbidden", N_("This consignment is not yours."))


def _held(session: Session, consignment: Consignment) -> Compartment:
    held = session.scalar(select(Compartment).where(Compartment.consignment_id == consignment.id))
    if held is None:
        raise DomainError(
            "not_in_locker", N_("%(code)s waits in no locker."), code=consignment.tracking_code
        )
    return held


def resend(session: Session, user: User, consignment: Consignment) -> None:
    """Send the recipient a fresh code: the old one stops working here and on the controller
    (its ``set_code`` replaces the compartment's code). Only the recipient or a clerk may; a
    code handed to a colleague comes back to the recipient this way."""
    _may_hand_on(user, consignment)
    issue_and_announce(session, _held(session, consignment), consignment.id)


MAX_NAME = 100


def let_colleague_collect(
    session: Session,
    user: User,
    consignment: Consignment,
    *,
    name: str,
    phone: str,
    phone_regions: tuple[str, ...] = DEFAULT_REGIONS,
) -> Waiting:
    """Let a colleague collect: a fresh code goes to their mobile, the recipient's stops working
    here and on the controller, and the custody log records who handed it to whom, when and at
    which locker. Only the recipient or a clerk may. Returns what now waits (for the colleague).
    """
    _may_hand_on(user, consignment)
    name = " ".join(name.split())[:MAX_NAME]
    problems = [] if name else [Problem("name", N_("Who collects it?"))]
    try:
        number = mobile_number(phone, phone_regions, field="phone")
    except ValidationFailed as refused:
        problems.extend(refused.problems)
    if problems:
        raise ValidationFailed(problems)
    held = _held(session, consignment)
    notes = f"{name} ({masked(number)})"
    current = pickup_codes.active_code(session, held)
    if (
        current is not None
        and current.collector == name
        and _handed_to(session, consignment) == notes
    ):
        # The form sent twice (a double tap, a reload): the colleague already has their code,
        # and a second one would make the first SMS wrong.
        return _waiting(session, current, held)
    must(
        record_event(
            session,
            consignment,
            EventInput(
                kind=Kind.HANDED_TO_COLLEAGUE,
                idempotency_key=f"colleague:{consignment.tracking_code}:{secrets.token_hex(8)}",
                source=Source.WEB,
                actor=user,
                location=held.bank.location,
                device=held.bank.controller,
                notes=notes,
            ),
        )
    )
    issue_and_announce(session, held, consignment.id, collector=name, collector_phone=number)
    code = pickup_codes.active_code(session, held)
    assert code is not None  # just issued
    return _waiting(session, code, held)


def _handed_to(session: Session, consignment: Consignment) -> str | None:
    """Who the last handover went to, as its custody event noted it."""
    return session.scalar(
        select(CustodyEvent.notes)
        .where(
            CustodyEvent.consignment_id == consignment.id,
            CustodyEvent.kind == Kind.HANDED_TO_COLLEAGUE,
        )
        .order_by(CustodyEvent.id.desc())
        .limit(1)
    )
