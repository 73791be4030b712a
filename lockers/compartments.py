"""Banks and compartments: setting them up, allocating, filling and emptying them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from catalog.models import Campus, Location
from core import clock
from core.errors import N_, Conflict, DomainError, NotFound
from core.events import publish
from core.users import User
from courier.custody import EventInput, Outcome, find_event, must, record_event
from courier.models import Consignment, Source
from courier.states import Kind
from lockers import pickup_codes
from lockers.events import PickupCodeIssued
from lockers.models import (
    SIZE_ORDER,
    BankKind,
    Compartment,
    CompartmentState,
    LockerBank,
    Size,
)

RESERVATION = dt.timedelta(minutes=30)
#: Pages a compartment of each size holds; thicker files need a large one.
PAGES_PER_SIZE = ((Size.S, 30), (Size.M, 200))


def add_bank(
    session: Session,
    controller: str,
    name: str,
    kind: BankKind,
    location: Location,
    sizes: list[Size],
) -> LockerBank:
    """A new bank at ``location`` with one compartment per size given, numbered from 1."""
    bank = LockerBank(
        controller=controller,
        name=name,
        kind=kind,
        campus_id=location.campus_id,
        location_id=location.id,
        compartments=[Compartment(number=n, size=size) for n, size in enumerate(sizes, start=1)],
    )
    session.add(bank)
    session.flush()
    return bank


def bank_by_controller(session: Session, controller: str) -> LockerBank | None:
    return session.scalar(select(LockerBank).where(LockerBank.controller == controller))


def controllers_on(campuses: Iterable[str]) -> Select[tuple[str]]:
    """The controller ids of the banks on these campuses (campus codes), as a subquery."""
    return (
        select(LockerBank.controller)
        .join(Campus, Campus.id == LockerBank.campus_id)
        .where(Campus.code.in_(list(campuses)))
    )


def compartment(session: Session, bank: LockerBank, number: int) -> Compartment:
    found = session.scalar(
        select(Compartment).where(Compartment.bank_id == bank.id, Compartment.number == number)
    )
    if found is None:
        raise NotFound(
            "unknown_compartment",
            N_("Locker %(controller)s has no compartment %(number)s."),
            controller=bank.controller,
            number=number,
        )
    return found


def _usable(item: Compartment, now: dt.datetime) -> bool:
    if item.state == CompartmentState.FREE:
        return True
    return item.state == CompartmentState.RESERVED and bool(
        item.reserved_until and item.reserved_until <= now
    )


def _fits(item: Compartment, size: Size, now: dt.datetime) -> bool:
    return _usable(item, now) and SIZE_ORDER[item.size] >= SIZE_ORDER[size]


def _fitting(bank: LockerBank, size: Size, now: dt.datetime) -> list[Compartment]:
    """Usable compartments of at least ``size``, smallest first."""
    return sorted(
        (c for c in bank.compartments if _fits(c, size, now)),
        key=lambda c: (SIZE_ORDER[c.size], c.number),
    )


def _reserve(session: Session, item: Compartment, until: dt.datetime) -> Compartment:
    item.state = CompartmentState.RESERVED
    item.reserved_until = until
    item.consignment_id = None
    session.flush()
    return item


def claim(session: Session, bank: LockerBank, number: int, size: Size = Size.S) -> Compartment:
    """Reserve the compartment a person chose; one that is taken, faulty or too small is refused
    with the compartment that would fit instead."""
    now = clock.now()
    chosen = compartment(session, bank, number)
    if _fits(chosen, size, now):
        return _reserve(session, chosen, now + RESERVATION)
    fitting = _fitting(bank, size, now)
    if not fitting:
        raise Conflict(
            "compartment_unavailable",
            N_("Compartment %(number)s is %(state)s and %(name)s has no other free one."),
            number=number, state=chosen.state, name=bank.name,
        )  # fmt: skip
    raise Conflict(
        "compartment_unavailable",
        N_("Compartment %(number)s is %(state)s: use compartment %(suggested)s."),
        number=number, state=chosen.state, suggested=fitting[0].number,
    )  # fmt: skip


def allocate(
    session: Session, bank: LockerBank, size: Size, hold: dt.timedelta = RESERVATION
) -> Compartment:
    """Reserve the smallest free compartment of at least ``size``; expired reservations count
    as free. Raises :class:`Conflict` when the bank is full."""
    now = clock.now()
    fitting = _fitting(bank, size, now)
    if not fitting:
        raise Conflict(
            "locker_full", N_("No free compartment of size %(size)s in %(name)s."),
            size=size, name=bank.name,
        )  # fmt: skip
    return _reserve(session, fitting[0], now + hold)


def envelope_size(consignment: Consignment) -> Size:
    """The smallest compartment size an envelope of ``consignment.pages`` pages fits."""
    for size, pages in PAGES_PER_SIZE:
        if consignment.pages <= pages:
            return size
    return Size.L


def reserve_for(
    session: Session, bank: LockerBank, consignment: Consignment, hold: dt.timedelta
) -> Compartment:
    """Hold a compartment of ``bank`` that fits ``consignment`` for it alone: its deposit
    event then names the consignment even when the box read no label. A reservation still
    held for it is used again (the person asked twice)."""
    now = clock.now()
    for item in bank.compartments:
        held = item.state == CompartmentState.RESERVED and item.consignment_id == consignment.id
        if held and item.reserved_until and item.reserved_until > now:
            item.reserved_until = now + hold
            return item
    chosen = allocate(session, bank, envelope_size(consignment), hold)
    chosen.consignment_id = consignment.id
    session.flush()
    return chosen


def fill(item: Compartment, consignment: Consignment) -> None:
    item.state = CompartmentState.OCCUPIED
    item.consignment_id = consignment.id
    item.reserved_until = None


def empty(item: Compartment) -> None:
    item.state = CompartmentState.FREE
    item.consignment_id = None
    item.reserved_until = None


def locker_note(item: Compartment) -> str:
    """How a custody event names the compartment it happened at."""
    return f"{item.bank.controller} #{item.number}"


def record_at_locker(
    session: Session,
    consignment: Consignment,
    item: Compartment,
    kind: Kind,
    key: str,
    source: Source,
    *,
    actor: User | None = None,
    device_at: dt.datetime | None = None,
) -> Outcome:
    """A custody event that happened at a compartment: the locker's place, its controller."""
    return record_event(
        session,
        consignment,
        EventInput(
            kind=kind,
            idempotency_key=key,
            source=source,
            actor=actor,
            device_at=device_at,
            location=item.bank.location,
            device=item.bank.controller,
            notes=locker_note(item),
        ),
    )


@dataclass(frozen=True)
class Placement:
    """Where the result went; ``digits`` is empty when the placement was already made."""

    compartment: Compartment
    digits: str
    outcome: Outcome


def place_for_pickup(
    session: Session,
    consignment: Consignment,
    bank: LockerBank,
    *,
    actor: User | None,
    key: str,
    size: Size = Size.S,
    number: int | None = None,
) -> Placement:
    """Put the result in a pickup compartment (the smallest that fits, or compartment
    ``number`` when the person chose one), record it, and issue the recipient's code."""
    if bank.kind != BankKind.PICKUP:
        raise DomainError(
            "not_a_pickup_locker", N_("%(name)s is not a pickup locker."), name=bank.name
        )
    earlier = find_event(session, key)
    if earlier is not None:
        # The same placement again (a form sent twice): no second compartment, no second code.
        held = session.scalar(
            select(Compartment).where(Compartment.consignment_id == consignment.id)
        )
        if held is not None:
            again = Outcome(ok=True, state=consignment.state, event=earlier, duplicate=True)
            return Placement(held, "", again)
    if bank.campus_id != consignment.pickup_campus_id:
        raise DomainError(
            "wrong_campus",
            N_("%(name)s is not on the pickup campus %(campus)s."),
            name=bank.name,
            campus=consignment.pickup_campus.name,
        )
    chosen = allocate(session, bank, size) if number is None else claim(session, bank, number, size)
    outcome = record_at_locker(
        session, consignment, chosen, Kind.PLACED_FOR_PICKUP, key, Source.WEB, actor=actor
    )
    must(outcome)
    fill(chosen, consignment)
    return Placement(chosen, issue_and_announce(session, chosen, consignment.id), outcome)


def issue_and_announce(
    session: Session,
    item: Compartment,
    consignment_id: int,
    *,
    collector: str | None = None,
    collector_phone: str = "",
) -> str:
    """A fresh code for ``item``, earlier ones revoked; the controller gets its hash (which
    replaces the compartment's old one there too) and the recipient the digits, returned, or
    the colleague ``collector`` at ``collector_phone`` when the recipient let them collect."""
    code, digits = pickup_codes.issue_code(session, item, consignment_id, collector=collector)
    publish(
        session,
        PickupCodeIssued(
            consignment_id=consignment_id,
            pickup_code_id=code.id,
            controller=item.bank.controller,
            compartment=item.number,
            code_hash=code.code_hash,
            valid_until=code.valid_until,
            digits=digits,
            collector_phone=collector_phone,
        ),
    )
    return digits


def pickup_bank_for(session: Session, consignment: Consignment) -> LockerBank | None:
    """A pickup locker on the consignment's pickup campus, if the campus has one."""
    return session.scalar(
        select(LockerBank)
        .where(
            LockerBank.kind == BankKind.PICKUP,
            LockerBank.campus_id == consignment.pickup_campus_id,
        )
        .order_by(LockerBank.controller)
        .limit(1)
    )


def release_for_desk(session: Session, consignment_id: int) -> list[Compartment]:
    """A result taken from its locker to the service desk: its compartments are emptied and
    their codes revoked (the controller must be told to forget them too). Returns them."""
    held = list(
        session.scalars(select(Compartment).where(Compartment.consignment_id == consignment_id))
    )
    for item in held:
        pickup_codes.revoke(session, item)
        empty(item)
    session.flush()
    return held
