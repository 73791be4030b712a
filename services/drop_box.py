"""The drop box's screen: a label checked here opens a compartment that fits the envelope.

The label's signature is checked before anything else, so a forged or mistyped code opens
nothing. The compartment is held for the consignment and the controller is asked to open it;
the controller's ``deposit`` event (its reservation names the consignment) records the hop, and
the submitter's receipt follows from that hop like any deposit's.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock
from core.errors import N_, Conflict, DomainError
from courier.consignments import find_consignment
from courier.models import Consignment, CustodyEvent
from courier.states import Kind, State
from firmware_bridge.commands import queue_command
from firmware_bridge.models import OPEN_COMMANDS, Command, CommandStatus
from lockers.compartments import reserve_for
from lockers.models import BankKind, LockerBank

#: How long the screen waits for the controller before sending the teacher to the desk.
ANSWER_WITHIN = dt.timedelta(seconds=8)
#: How long a compartment stays held for the envelope whose label was read.
HOLD = dt.timedelta(minutes=3)
#: What the screen asks the controller for, beside the compartment.
PURPOSE = "deposit"


@dataclass(frozen=True)
class DropOpening:
    """The door the screen asked for, and for which envelope."""

    compartment: int
    command_id: str
    tracking_code: str


def open_for_label(session: Session, bank: LockerBank, text: str, label_key: str) -> DropOpening:
    """Check the label text read or typed at ``bank``'s screen, hold a compartment that fits
    and ask the controller to open it. A label that is not ours, or an envelope already handed
    in, is refused with the reason."""
    if bank.kind != BankKind.DROP_BOX:
        raise DomainError("not_a_drop_box", N_("%(name)s is not a drop box."), name=bank.name)
    try:
        consignment = find_consignment(session, text.strip(), label_key)
    except DomainError as error:
        if error.code != "unknown_code":
            raise
        raise DomainError(
            "forged_label",
            N_(
                "This label was not issued by the courier service (or the code is mistyped): "
                "no door opens. Type the code again, or print the label from your consignment."
            ),
        ) from None
    if consignment.state != State.CREATED:
        raise Conflict(
            "already_handed_in",
            N_("The envelope %(code)s was already handed in: it need not be dropped again."),
            code=consignment.tracking_code,
        )
    item = reserve_for(session, bank, consignment, HOLD)
    command = queue_command(
        session,
        bank,
        "open",
        {"compartment": item.number, "for": PURPOSE},
        reason=f"label {consignment.tracking_code} checked at the drop box",
        ttl=HOLD,
    )
    return DropOpening(item.number, command.cmd_id, consignment.tracking_code)


class DropProgress(enum.StrEnum):
    WAITING = "waiting"
    OPEN = "open"
    DEPOSITED = "deposited"
    CLOSED_EMPTY = "closed_empty"
    NO_ANSWER = "no_answer"


@dataclass(frozen=True)
class DropView:
    progress: DropProgress
    compartment: int


def drop_progress(
    session: Session, bank: LockerBank, command_id: str, consignment: Consignment
) -> DropView | None:
    """How far ``consignment``'s drop, for which the screen sent command ``command_id``, has
    come: the door opening, open, the deposit reported (the receipt is on its way), or closed
    with nothing put in. ``None`` for a command the screen did not send."""
    command = session.scalar(
        select(Command).where(Command.cmd_id == command_id, Command.controller == bank.controller)
    )
    if command is None or command.op != "open" or command.args.get("for") != PURPOSE:
        return None
    number = int(command.args["compartment"])
    deposited = session.scalar(
        select(CustodyEvent.id).where(
            CustodyEvent.consignment_id == consignment.id,
            CustodyEvent.kind == Kind.DEPOSITED,
            CustodyEvent.device == bank.controller,
        )
    )
    if deposited is not None:
        return DropView(DropProgress.DEPOSITED, number)
    if command.status == CommandStatus.DONE:
        item = next(c for c in bank.compartments if c.number == number)
        if item.consignment_id != consignment.id:
            return DropView(DropProgress.CLOSED_EMPTY, number)
        return DropView(DropProgress.OPEN, number)
    if command.status in OPEN_COMMANDS and clock.now() - command.issued_at < ANSWER_WITHIN:
        return DropView(DropProgress.WAITING, number)
    return DropView(DropProgress.NO_ANSWER, number)
