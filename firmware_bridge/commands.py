"""Commands to controllers: kept in the database until done, rejected or expired.

A command is sent, and sent again when no ``received`` came within five seconds; after three
tries an administrator is alerted. The controller ignores a ``cmd_id`` it already executed, so a
retry never opens a door twice.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core import clock
from core.users import User
from firmware_bridge.models import Command, CommandStatus
from firmware_bridge.outbound import COMMAND_TTL, Outbound, topic_text
from lockers.alerts import raise_alert
from lockers.compartments import bank_by_controller, controllers_on
from lockers.models import AlertKind, LockerBank

#: The namespace of command ids derived from their cause.
COMMAND_IDS = uuid.UUID("5f1c0c8e-3b7a-4d2e-9a61-0c0f1d2b6e4a")
RETRY_AFTER = dt.timedelta(seconds=5)
MAX_TRIES = 3
#: The contract's operations (docs/mqtt.md); ``lockout`` makes the keypad refuse every code.
OPS = {"open", "set_code", "clear_code", "lockout", "show", "replay", "snapshot"}


def queue_command(
    session: Session,
    bank: LockerBank,
    op: str,
    args: dict[str, Any] | None = None,
    *,
    reason: str = "",
    requested_by: User | None = None,
    ttl: dt.timedelta = COMMAND_TTL,
    cause: str | None = None,
) -> Command:
    """Store a command for ``bank``'s controller; the bridge sends it after the commit.

    A command with a ``cause`` gets an id derived from what it does and why, so a repeat (a job
    run twice) is the same command: no second row here, and the controller ignores its id."""
    if op not in OPS:
        raise ValueError(f"unknown command {op!r}")
    cmd_id = str(uuid.uuid4())
    if cause is not None:
        what = f"{bank.controller}/{op}/{(args or {}).get('compartment')}/{cause}"
        cmd_id = str(uuid.uuid5(COMMAND_IDS, what))
        earlier = session.scalar(select(Command).where(Command.cmd_id == cmd_id))
        if earlier is not None:
            return earlier
    now = clock.now()
    command = Command(
        cmd_id=cmd_id,
        controller=bank.controller,
        op=op,
        args=args or {},
        issued_at=now,
        expires_at=now + ttl,
        status=CommandStatus.PENDING,
        reason=reason[:200],
        requested_by_id=requested_by.id if requested_by else None,
    )
    session.add(command)
    session.flush()
    return command


def payload(command: Command) -> dict[str, Any]:
    return {
        "cmd_id": command.cmd_id,
        "op": command.op,
        "args": command.args,
        "issued_at": command.issued_at.isoformat(),
        "expires_at": command.expires_at.isoformat(),
    }


def due(
    session: Session, now: dt.datetime | None = None, campuses: Sequence[str] = ()
) -> list[Outbound]:
    """Mark what is to be (re)sent now and return it; expire and give up on the rest.
    ``campuses``: only the commands to controllers on these campuses (a bridge's partition);
    empty: every command.

    The caller commits before publishing: a crash between the two loses a try, never a command.
    """
    now = now or clock.now()
    outbound = []
    query = select(Command).where(
        or_(Command.status == CommandStatus.PENDING, Command.status == CommandStatus.SENT)
    )
    if campuses:
        query = query.where(Command.controller.in_(controllers_on(campuses)))
    open_commands = session.scalars(
        query.order_by(Command.id).with_for_update(skip_locked=True)
    ).all()
    for command in open_commands:
        if command.expires_at <= now:
            command.status = CommandStatus.EXPIRED
            continue
        waited = command.last_sent_at is None or now - command.last_sent_at >= RETRY_AFTER
        if not waited:
            continue
        bank = bank_by_controller(session, command.controller)
        if command.tries >= MAX_TRIES or bank is None:
            command.status = CommandStatus.UNANSWERED
            raise_alert(
                session,
                AlertKind.COMMAND_UNANSWERED,
                f"{command.controller}: {command.op} not acknowledged after {command.tries} tries",
                bank=bank,
            )
            continue
        command.status = CommandStatus.SENT
        command.tries += 1
        command.last_sent_at = now
        outbound.append(Outbound(topic_text(bank, "cmd"), payload(command)))
    return outbound
