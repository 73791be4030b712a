"""What the bridge keeps: device events, dead letters, gaps and commands."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core import clock
from core.db import BIG_ID, Base, value_enum


class DeviceEvent(Base):
    """One event a controller sent, stored once by (controller, generation, seq).

    On PostgreSQL the table is partitioned by a hash of ``controller`` (migration 0029): the
    primary key there is ``(id, controller)`` and ``id`` is filled by the database alone."""

    __tablename__ = "device_events"
    __table_args__ = (
        UniqueConstraint("controller", "generation", "seq"),
        # Retention (firmware_bridge.retention) deletes the oldest applied events first.
        Index("ix_device_events_received_at", "received_at"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    controller: Mapped[str] = mapped_column(String(32))
    #: The controller's sequence it belongs to (see :class:`ControllerSequence`).
    generation: Mapped[int] = mapped_column(default=1, server_default="1")
    seq: Mapped[int] = mapped_column(BigInteger)
    boot: Mapped[int]
    type: Mapped[str] = mapped_column(String(24))
    device_at: Mapped[dt.datetime]
    received_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: Applied to the domain; events after a gap wait until the gap is filled.
    applied: Mapped[bool] = mapped_column(default=False)
    #: What applying it did, for administrators ("deposited 8KQ2…", "wrong code").
    result: Mapped[str] = mapped_column(String(200), default="")


class DeadLetter(Base):
    """A message that broke the contract: kept raw, with the reason, never retried."""

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(200))
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    reason: Mapped[str] = mapped_column(String(300))
    controller: Mapped[str | None] = mapped_column(String(32), index=True)
    #: The generation of the controller's sequence its ``seq`` counted in.
    generation: Mapped[int] = mapped_column(default=1, server_default="1")
    seq: Mapped[int | None] = mapped_column(BigInteger)
    received_at: Mapped[dt.datetime] = mapped_column(default=clock.now, index=True)


class ControllerSequence(Base):
    """How far a controller's event stream is stored without holes.

    A replaced controller counts from 1 again: an administrator then starts a new
    ``generation`` (:func:`firmware_bridge.sequence.start_afresh`), and its seqs are new events
    beside the old generation's, which stay stored as they were."""

    __tablename__ = "controller_sequences"

    controller: Mapped[str] = mapped_column(String(32), primary_key=True)
    generation: Mapped[int] = mapped_column(default=1, server_default="1")
    #: Every seq up to this one is stored (or dead-lettered); 0 before the first event.
    contiguous: Mapped[int] = mapped_column(BigInteger, default=0)
    #: The highest seq seen; above ``contiguous`` means a gap is open.
    highest: Mapped[int] = mapped_column(BigInteger, default=0)
    replay_requested_at: Mapped[dt.datetime | None]
    #: Replays asked for the open gap; after three (or ten minutes) the gap is given up on.
    replays: Mapped[int] = mapped_column(default=0, server_default="0")
    gap_opened_at: Mapped[dt.datetime | None]


class CommandStatus(enum.StrEnum):
    PENDING = "pending"  # stored, not yet sent
    SENT = "sent"  # published, no answer yet
    RECEIVED = "received"
    DONE = "done"
    REJECTED = "rejected"
    EXPIRED = "expired"
    UNANSWERED = "unanswered"  # no "received" after every try: an administrator was alerted


OPEN_COMMANDS = (CommandStatus.PENDING, CommandStatus.SENT, CommandStatus.RECEIVED)


#: Command arguments no page shows: a code's keyed hash is for the controller alone.


class Command(Base):
    __tablename__ = "device_commands"

    id: Mapped[int] = mapped_column(primary_key=True)
    cmd_id: Mapped[str] = mapped_column(String(40), unique=True)
    controller: Mapped[str] = mapped_column(String(32), index=True)
    op: Mapped[str] = mapped_column(String(16))
    args: Mapped[dict[str, Any]] = mapped_column(JSON)
    issued_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[dt.datetime]
    status: Mapped[CommandStatus] = mapped_column(
        value_enum(CommandStatus, 12), default=CommandStatus.PENDING, index=True
    )
    tries: Mapped[int] = mapped_column(default=0)
    last_sent_at: Mapped[dt.datetime | None]
    answered_at: Mapped[dt.datetime | None]
    error: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str] = mapped_column(String(200), default="")
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
