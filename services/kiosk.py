"""A code typed on a pickup locker's kiosk screen, checked on the server at once.

A right code asks the controller to open its compartment for the recipient (the controller
then reports the pickup, as if its keypad had checked the code); a wrong one is counted against
the bank and the client's address (:mod:`lockers.keypad_lock`). The typed digits are never
stored nor sent anywhere: only the compartment to open travels.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock
from firmware_bridge.commands import queue_command
from firmware_bridge.models import OPEN_COMMANDS, Command, CommandStatus
from lockers import keypad_lock, pickup_codes
from lockers.models import LockerBank

#: How long the kiosk waits for the controller before sending the recipient to the desk.
ANSWER_WITHIN = dt.timedelta(seconds=8)


class Answer(enum.StrEnum):
    OPENING = "opening"
    WRONG = "wrong"
    LOCKED = "locked"


@dataclass(frozen=True)
class KioskAnswer:
    """What the kiosk tells the person in front of it."""

    answer: Answer
    compartment: int | None = None
    command_id: str | None = None
    tries_left: int = 0
    locked_until: dt.datetime | None = None


def try_code(session: Session, bank: LockerBank, digits: str, address: str) -> KioskAnswer:
    """Check ``digits`` typed on ``bank``'s kiosk by a client at ``address``.

    During a lockout nothing is checked at all, so a right code does not open either.
    """
    until = keypad_lock.locked_until(session, bank, address)
    if until is not None:
        return KioskAnswer(Answer.LOCKED, locked_until=until)
    code = pickup_codes.find_code(session, bank, digits)
    if code is None:
        verdict = keypad_lock.count_wrong(session, bank, address)
        if verdict.locked_until is not None:
            return KioskAnswer(Answer.LOCKED, locked_until=verdict.locked_until)
        return KioskAnswer(Answer.WRONG, tries_left=verdict.tries_left)
    number = code.compartment.number
    command = queue_command(
        session,
        bank,
        "open",
        {"compartment": number, "for": "pickup"},
        reason="pickup code checked at the kiosk",
    )
    return KioskAnswer(Answer.OPENING, compartment=number, command_id=command.cmd_id)


class Opening(enum.StrEnum):
    WAITING = "waiting"
    OPEN = "open"
    NO_ANSWER = "no_answer"


def opening(session: Session, bank: LockerBank, command_id: str) -> tuple[Opening, int] | None:
    """Whether the door the kiosk asked for is open yet: the controller confirmed the command,
    or did not within :data:`ANSWER_WITHIN`. ``None`` for a command the kiosk did not send."""
    command = session.scalar(
        select(Command).where(Command.cmd_id == command_id, Command.controller == bank.controller)
    )
    if command is None or command.op != "open" or command.args.get("for") != "pickup":
        return None
    number = int(command.args["compartment"])
    if command.status == CommandStatus.DONE:
        return Opening.OPEN, number
    if command.status in OPEN_COMMANDS and clock.now() - command.issued_at < ANSWER_WITHIN:
        return Opening.WAITING, number
    return Opening.NO_ANSWER, number
