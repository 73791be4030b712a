"""The clerk takes the sorted envelopes out of a sorting compartment from the desk page.

The door opens through the controller (an ``open`` command, audited with who asked and which
envelopes it held), and taking them is the clerk's acceptance of each: first-ask responsibility
starts at the sorting locker.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from core.errors import N_, DomainError
from core.users import User
from courier import agents
from courier.models import Consignment
from firmware_bridge.commands import queue_command
from lockers.compartments import compartment
from lockers.models import BankKind, Compartment, LockerBank
from lockers.sorting import sorting_banks, waiting_in
from services import audit


@dataclass(frozen=True)
class SortingCompartment:
    """A sorting compartment with the envelopes waiting in it."""

    compartment: Compartment
    waiting: list[Consignment]


def desk_view(session: Session, clerk: User) -> list[SortingCompartment]:
    """The compartments of the sorting lockers at the clerk's campus that hold envelopes."""
    found = []
    for bank in sorting_banks(session, agents.clerk_campus(session, clerk)):
        for item in bank.compartments:
            waiting = waiting_in(session, item)
            if waiting:
                found.append(SortingCompartment(item, waiting))
    return found


def take_out(
    session: Session, clerk: User, bank: LockerBank, number: int, address: str
) -> list[Consignment]:
    """Open sorting compartment ``number`` of ``bank`` for ``clerk``, who accepts every
    envelope waiting in it; returns them. An empty compartment is not opened."""
    if bank.kind != BankKind.SORTING:
        raise DomainError(
            "not_a_sorting_locker", N_("%(name)s is not a sorting locker."), name=bank.name
        )
    item = compartment(session, bank, number)
    waiting = waiting_in(session, item)
    if not waiting:
        raise DomainError(
            "nothing_sorted",
            N_("Compartment %(number)s of %(name)s holds no sorted envelope."),
            number=number,
            name=bank.name,
        )
    for consignment in waiting:
        agents.accept(session, consignment, clerk)
    queue_command(
        session,
        bank,
        "open",
        {"compartment": number},
        reason="the clerk takes the sorted envelopes",
        requested_by=clerk,
    )
    audit.record(
        session,
        clerk,
        "locker.sorting_open",
        f"{bank.controller} / {number}",
        {"accepted": [c.tracking_code for c in waiting]},
        address,
    )
    return waiting
