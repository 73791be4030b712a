"""Locker commands that follow from domain events, queued in the bridge's command outbox.

:func:`services.bootstrap.build_bus` subscribes them.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from courier.events import HopRecorded
from courier.states import Kind
from firmware_bridge.commands import queue_command
from lockers.compartments import bank_by_controller, release_for_desk
from lockers.events import CompartmentReleaseRequested, KeypadLocked, PickupCodeIssued


def send_code_to_controller(session: Session, event: PickupCodeIssued) -> None:
    """The controller gets the code's keyed hash (never the digits) to open offline."""
    bank = bank_by_controller(session, event.controller)
    if bank is None:
        return
    queue_command(
        session,
        bank,
        "set_code",
        {
            "compartment": event.compartment,
            "code_hash": event.code_hash,
            "valid_until": event.valid_until.isoformat(),
        },
        reason="pickup code issued",
    )


def open_released_compartment(session: Session, event: CompartmentReleaseRequested) -> None:
    """Open the compartment (an uncollected result is taken to the service desk)."""
    bank = bank_by_controller(session, event.controller)
    if bank is None:
        return
    queue_command(
        session,
        bank,
        "open",
        {"compartment": event.compartment},
        reason=event.reason,
        cause=f"release:{event.consignment_id}:{event.reason}",
    )


def move_to_desk(session: Session, event: HopRecorded) -> None:
    """A result kept at the service desk frees its compartment; the controller forgets the
    code, so it cannot open the compartment for whoever uses it next."""
    if event.kind != Kind.PLACED_AT_DESK or event.late:
        return
    for item in release_for_desk(session, event.consignment_id):
        queue_command(
            session,
            item.bank,
            "clear_code",
            {"compartment": item.number},
            reason="result moved to the service desk",
        )


def lock_keypad(session: Session, event: KeypadLocked) -> None:
    """Too many wrong codes: the controller's own keypad refuses every code until the end too."""
    bank = bank_by_controller(session, event.controller)
    if bank is None:
        return
    queue_command(
        session,
        bank,
        "lockout",
        {"until": event.until.isoformat()},
        reason="too many wrong pickup codes",
    )
