"""Reading a controller's ``state`` snapshot: each compartment the controller sees otherwise
than the server becomes an alert on the lockers page. Custody is never overwritten from a
snapshot: only an event says what happened, a snapshot only says that something did."""

from __future__ import annotations

from sqlalchemy.orm import Session

from firmware_bridge.apply import numbered
from firmware_bridge.contract import CompartmentReport, Snapshot
from firmware_bridge.sequence import current_sequence
from lockers.alerts import raise_alert
from lockers.models import AlertKind, CompartmentState, LockerBank

#: What the server may hold for what the controller reports.
_CLOSED_EMPTY = {CompartmentState.FREE, CompartmentState.RESERVED, CompartmentState.DISABLED}


def compare(session: Session, bank: LockerBank, snapshot: Snapshot) -> str:
    """Alert on every difference; returns a note for the log. A snapshot that does not reflect
    exactly the events the server applied (older, or ahead of a gap) is not compared."""
    applied = current_sequence(session, bank.controller).contiguous
    if snapshot.seq != applied:
        return f"state at seq {snapshot.seq}, server at {applied}: not compared"
    compartments = numbered(session, bank)
    differences = 0
    for report in snapshot.compartments:
        item = compartments.get(report.number)
        server = item.state if item is not None else None
        if server is not None and server in _expected(report):
            continue
        differences += 1
        said = _described(report)
        _alert_once(
            session,
            bank,
            report.number,
            f"{bank.controller} compartment {report.number}: controller reports {said}, "
            f"server has {server or 'no such compartment'}",
        )
    return f"state compared: {differences} differences"


def _expected(report: CompartmentReport) -> set[CompartmentState]:
    if report.fault:
        return {CompartmentState.FAULT, CompartmentState.DISABLED}
    if report.door_open:
        return {CompartmentState.OPEN}
    return {CompartmentState.OCCUPIED} if report.occupied else _CLOSED_EMPTY


def _described(report: CompartmentReport) -> str:
    if report.fault:
        return f"fault {report.fault}"
    if report.door_open:
        return "door open"
    return "occupied" if report.occupied else "empty"


def _alert_once(session: Session, bank: LockerBank, number: int, message: str) -> None:
    """One open alert per compartment (its cause): a snapshot every minute must not bury the
    page."""
    raise_alert(
        session,
        AlertKind.STATE_MISMATCH,
        message,
        bank=bank,
        compartment_number=number,
        cause=f"state_mismatch:{bank.controller}:{number}",
    )
