"""Sorting lockers at the hubs: a compartment per department and one for the agent desk.

The courier's sort is a deposit into the compartment of the envelope's department (or the agent
desk's when the department has none); the controller's ``deposit`` event records the hop.
A sorting compartment holds many envelopes, so the compartment does not name one: the custody
log says which were sorted into it and are still there.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from catalog.models import Department
from core.errors import N_, DomainError
from courier.consignments import find_consignment
from courier.custody import Outcome
from courier.models import Consignment, CustodyEvent, Source
from courier.states import Kind, State
from lockers.alerts import raise_alert
from lockers.compartments import compartment, locker_note, record_at_locker
from lockers.models import AlertKind, BankKind, Compartment, LockerBank, SortingAssignment


def assign(
    session: Session, bank: LockerBank, number: int, department: Department | None
) -> SortingAssignment:
    """Give compartment ``number`` of ``bank`` to ``department`` (``None``: the agent desk),
    replacing what it or the department had before."""
    if bank.kind != BankKind.SORTING:
        raise DomainError(
            "not_a_sorting_locker", N_("%(name)s is not a sorting locker."), name=bank.name
        )
    compartment(session, bank, number)
    department_id = department.id if department else None
    session.execute(
        delete(SortingAssignment).where(
            SortingAssignment.bank_id == bank.id,
            (SortingAssignment.compartment_number == number)
            | (
                SortingAssignment.department_id.is_(None)
                if department_id is None
                else SortingAssignment.department_id == department_id
            ),
        )
    )
    row = SortingAssignment(bank_id=bank.id, compartment_number=number, department_id=department_id)
    session.add(row)
    session.flush()
    return row


def assignments(session: Session, bank: LockerBank) -> list[SortingAssignment]:
    return list(
        session.scalars(
            select(SortingAssignment)
            .where(SortingAssignment.bank_id == bank.id)
            .order_by(SortingAssignment.compartment_number)
        )
    )


def compartment_number_for(session: Session, bank: LockerBank, consignment: Consignment) -> int:
    """The compartment of ``bank`` that takes ``consignment``: its department's, else the
    agent desk's. Refused when the bank has neither."""
    rows = {
        row.department_id: row.compartment_number
        for row in session.scalars(
            select(SortingAssignment).where(
                SortingAssignment.bank_id == bank.id,
                (SortingAssignment.department_id == consignment.department_id)
                | SortingAssignment.department_id.is_(None),
            )
        )
    }
    number = rows.get(consignment.department_id, rows.get(None))
    if number is None:
        raise DomainError(
            "no_sorting_compartment",
            N_("%(name)s has no compartment for %(department)s nor for the agent desk."),
            name=bank.name,
            department=consignment.department.name,
        )
    return number


@dataclass(frozen=True)
class Sorted:
    ok: bool
    consignment: Consignment | None
    reason_code: str | None = None


def sort_into(
    session: Session,
    item: Compartment,
    label_text: str | None,
    *,
    key: str,
    label_key: str,
    device_at: dt.datetime | None = None,
) -> Sorted:
    """The controller reports an envelope put into sorting compartment ``item`` with its label
    read: that is the courier's sort. One put into another department's compartment is not
    sorted; the hub is alerted with the compartment it belongs in."""
    bank = item.bank
    if not label_text:
        raise_alert(
            session,
            AlertKind.FAULT,
            f"deposit without a readable label in sorting compartment {item.number}",
            bank=bank,
            compartment_number=item.number,
        )
        return Sorted(False, None, "no_label")
    consignment = find_consignment(session, label_text, label_key)
    belongs = compartment_number_for(session, bank, consignment)
    if belongs != item.number:
        raise_alert(
            session,
            AlertKind.FAULT,
            f"{consignment.tracking_code} put in compartment {item.number}; "
            f"it belongs in compartment {belongs}",
            bank=bank,
            compartment_number=item.number,
        )
        return Sorted(False, consignment, "wrong_compartment")
    outcome: Outcome = record_at_locker(
        session, consignment, item, Kind.SORTED, key, Source.MQTT, device_at=device_at
    )
    return Sorted(outcome.ok, consignment, outcome.reason_code)


def waiting_in(session: Session, item: Compartment) -> list[Consignment]:
    """The envelopes sorted into ``item`` that nobody has taken out yet, oldest first."""
    latest = (
        select(CustodyEvent.consignment_id, func.max(CustodyEvent.id).label("last"))
        .where(CustodyEvent.kind == Kind.SORTED, CustodyEvent.device == item.bank.controller)
        .group_by(CustodyEvent.consignment_id)
        .subquery()
    )
    return list(
        session.scalars(
            select(Consignment)
            .join(latest, latest.c.consignment_id == Consignment.id)
            .join(CustodyEvent, CustodyEvent.id == latest.c.last)
            .where(Consignment.state == State.SORTED, CustodyEvent.notes == locker_note(item))
            .order_by(CustodyEvent.id)
        )
    )


def sorting_banks(session: Session, campus_id: int | None) -> list[LockerBank]:
    """The sorting lockers of a campus (of every campus when ``campus_id`` is None)."""
    query = select(LockerBank).where(LockerBank.kind == BankKind.SORTING)
    if campus_id is not None:
        query = query.where(LockerBank.campus_id == campus_id)
    return list(session.scalars(query.order_by(LockerBank.controller)))
