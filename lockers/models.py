"""Locker tables."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.models import Campus, Department, Location
from core import clock
from core.db import Base, value_enum
from courier.models import Consignment


class BankKind(enum.StrEnum):
    DROP_BOX = "drop_box"
    SORTING = "sorting"
    PICKUP = "pickup"
    BUS_BOX = "bus_box"


class Presence(enum.StrEnum):
    UNKNOWN = "unknown"
    ONLINE = "online"
    OFFLINE = "offline"  # shut down cleanly
    LOST = "lost"  # Last Will, or heartbeats missed


class Size(enum.StrEnum):
    S = "S"
    M = "M"
    L = "L"


SIZE_ORDER = {Size.S: 0, Size.M: 1, Size.L: 2}


class CompartmentState(enum.StrEnum):
    FREE = "free"
    RESERVED = "reserved"
    OCCUPIED = "occupied"
    OPEN = "open"
    FAULT = "fault"
    DISABLED = "disabled"


class LockerBank(Base):
    """One bank of compartments with one controller (an MQTT client)."""

    __tablename__ = "locker_banks"

    id: Mapped[int] = mapped_column(primary_key=True)
    controller: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[BankKind] = mapped_column(value_enum(BankKind, 12))
    campus_id: Mapped[int] = mapped_column(ForeignKey("campuses.id"))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    presence: Mapped[Presence] = mapped_column(value_enum(Presence, 8), default=Presence.UNKNOWN)
    boot: Mapped[int] = mapped_column(default=0)
    firmware: Mapped[str] = mapped_column(String(32), default="")
    last_seen: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    #: Too many wrong pickup codes: neither kiosk nor keypad opens anything until then.
    keypad_locked_until: Mapped[dt.datetime | None]
    #: Lockouts in a row; each one lasts twice as long as the one before.
    keypad_lockouts: Mapped[int] = mapped_column(default=0)

    campus: Mapped[Campus] = relationship()
    location: Mapped[Location | None] = relationship()
    compartments: Mapped[list[Compartment]] = relationship(
        back_populates="bank", order_by="Compartment.number", cascade="all, delete-orphan"
    )


class Compartment(Base):
    __tablename__ = "compartments"
    __table_args__ = (UniqueConstraint("bank_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("locker_banks.id", ondelete="CASCADE"))
    number: Mapped[int]
    size: Mapped[Size] = mapped_column(default=Size.M)
    state: Mapped[CompartmentState] = mapped_column(
        value_enum(CompartmentState, 10), default=CompartmentState.FREE
    )
    consignment_id: Mapped[int | None] = mapped_column(ForeignKey("consignments.id"), index=True)
    reserved_until: Mapped[dt.datetime | None]

    bank: Mapped[LockerBank] = relationship(back_populates="compartments")
    consignment: Mapped[Consignment | None] = relationship()


class SortingAssignment(Base):
    """Which compartment of a sorting locker takes the envelopes of a department; the one
    without a department is the agent desk's, for envelopes of departments without their own.
    A sorting compartment holds many envelopes: which ones, the custody log says."""

    __tablename__ = "sorting_assignments"
    __table_args__ = (
        UniqueConstraint("bank_id", "compartment_number"),
        UniqueConstraint("bank_id", "department_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(
        ForeignKey("locker_banks.id", ondelete="CASCADE"), index=True
    )
    compartment_number: Mapped[int]
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))

    bank: Mapped[LockerBank] = relationship()
    department: Mapped[Department | None] = relationship()


class PickupCode(Base):
    """A single-use pickup code, kept as a nonce and a keyed hash.

    The digits follow from the nonce and the server's code key (``core.codes.pickup_digits``),
    which is not in the database; ``code_hash`` is what the controller compares with.
    """

    __tablename__ = "pickup_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    compartment_id: Mapped[int] = mapped_column(ForeignKey("compartments.id"), index=True)
    consignment_id: Mapped[int] = mapped_column(ForeignKey("consignments.id"), index=True)
    nonce: Mapped[str] = mapped_column(String(32))
    code_hash: Mapped[str] = mapped_column(String(64))
    valid_until: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    #: Uncollected results: how many reminders went out (24 h, 48 h), and the last notice.
    reminders_sent: Mapped[int] = mapped_column(default=0)
    final_notice_at: Mapped[dt.datetime | None]
    #: The colleague the recipient let collect (their name); None while the code is the
    #: recipient's own. The submitter's "collected by" notice names them.
    collector: Mapped[str | None] = mapped_column(String(100))

    compartment: Mapped[Compartment] = relationship()


class CodeTry(Base):
    """A wrong pickup code, typed on a kiosk (``address`` is the client's) or on a keypad
    (``address`` is empty). Kept in the database so every process counts the same tries."""

    __tablename__ = "code_tries"

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(
        ForeignKey("locker_banks.id", ondelete="CASCADE"), index=True
    )
    address: Mapped[str] = mapped_column(String(64), index=True, default="")
    at: Mapped[dt.datetime] = mapped_column(default=clock.now, index=True)


class AlertKind(enum.StrEnum):
    LOCKOUT = "lockout"
    TAMPER = "tamper"
    FAULT = "fault"
    COMMAND_UNANSWERED = "command_unanswered"
    CONTROLLER_LOST = "controller_lost"
    #: A controller sent a stored seq again with other content (a swapped board?).
    SEQUENCE_REUSED = "sequence_reused"
    #: A gap in a controller's events was given up on; the message names the lost range.
    EVENTS_LOST = "events_lost"
    #: The controller's state snapshot disagrees with the server about a compartment.
    STATE_MISMATCH = "state_mismatch"
    #: The pickup window ended: a clerk moves the result to the service desk.
    UNCOLLECTED = "uncollected"
    #: A bus box's door opened away from every stop of its vehicle's trips.
    BUS_BOX_DOOR = "bus_box_door"
    #: An envelope on a departure's manifest was not seen going into the bus box.
    BUS_BOX_NOT_SEEN = "bus_box_not_seen"


class Alert(Base):
    """Something an administrator must look at."""

    __tablename__ = "alerts"
    __table_args__ = (
        # One open alert per cause, kept by the database: two bridges or schedulers finding the
        # same cause at once cannot both insert it. Once acknowledged, the cause may come back.
        Index(
            "uq_alerts_open_cause",
            "cause",
            unique=True,
            sqlite_where=text("acknowledged_at IS NULL"),
            postgresql_where=text("acknowledged_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[AlertKind] = mapped_column(value_enum(AlertKind, 24), index=True)
    bank_id: Mapped[int | None] = mapped_column(ForeignKey("locker_banks.id"), index=True)
    compartment_number: Mapped[int | None]
    message: Mapped[str] = mapped_column(String(300))
    #: What raised it (``uncollected:<pickup code id>``, ``events_lost:<controller>:…``): one
    #: open alert per cause, however often the job or the controller brings the cause back.
    cause: Mapped[str | None] = mapped_column(String(120))
    #: The place whose staff should look (a bus box's alert goes to the hub it concerns).
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    acknowledged_at: Mapped[dt.datetime | None]

    bank: Mapped[LockerBank | None] = relationship()
    location: Mapped[Location | None] = relationship()
