"""Hall tables: halls, their categories and windows, numbered tickets, their calls,
appointments and ratings."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Date,
    ForeignKey,
    Index,
    String,
    Table,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.models import Campus, Department, ServiceItem
from core import clock
from core.db import Base, value_enum
from core.users import User

#: The unique index that holds a phone to one active ticket per queue and day.
ACTIVE_PHONE_INDEX = "ux_tickets_active_phone"
#: The unique index that holds a campus card to one active ticket per queue and day.
ACTIVE_CARD_INDEX = "ux_tickets_active_card"


class Status(enum.StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    HELD = "held"
    DONE = "done"


class Outcome(enum.StrEnum):
    SERVED = "served"
    NO_SHOW = "no_show"
    TRANSFERRED = "transferred"
    CANCELLED = "cancelled"


class BookingStatus(enum.StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    CHECKED_IN = "checked_in"


class Hall(Base):
    """A service hall on one campus, with its own queues, windows, kiosks and display boards."""

    __tablename__ = "ticket_halls"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What the hall's pages carry in their address (``/hall/XL/kiosk``).
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(150), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    campus_id: Mapped[int] = mapped_column(ForeignKey("campuses.id"), index=True)

    campus: Mapped[Campus] = relationship(lazy="joined")


class Category(Base):
    """A queue of a hall: one letter prefix, usually one catalog department's window services."""

    __tablename__ = "ticket_categories"
    __table_args__ = (UniqueConstraint("hall_id", "prefix"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("ticket_halls.id"))
    prefix: Mapped[str] = mapped_column(String(2))
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(150), default="")
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    active: Mapped[bool] = mapped_column(default=True)

    hall: Mapped[Hall] = relationship(lazy="joined")
    department: Mapped[Department | None] = relationship()


window_categories = Table(
    "ticket_window_categories",
    Base.metadata,
    Column("window_id", ForeignKey("ticket_windows.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("ticket_categories.id"), primary_key=True),
)


class Window(Base):
    """A counter of a hall, the categories it serves and whoever is signed in at it."""

    __tablename__ = "ticket_windows"
    __table_args__ = (UniqueConstraint("hall_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("ticket_halls.id"))
    number: Mapped[int]
    name: Mapped[str] = mapped_column(String(100), default="")
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signed_in_at: Mapped[dt.datetime | None]

    hall: Mapped[Hall] = relationship(lazy="joined")
    staff: Mapped[User | None] = relationship()
    categories: Mapped[list[Category]] = relationship(
        secondary=window_categories, lazy="selectin", order_by=Category.prefix
    )


class NumberCounter(Base):
    """The last number given out in a category on a local day; one row lock per take."""

    __tablename__ = "ticket_number_counters"

    category_id: Mapped[int] = mapped_column(ForeignKey("ticket_categories.id"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class Slot(Base):
    """Appointment times of a category on one day, with how many people each may take."""

    __tablename__ = "ticket_slots"
    __table_args__ = (UniqueConstraint("category_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("ticket_categories.id"))
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    capacity: Mapped[int]

    category: Mapped[Category] = relationship(lazy="joined")


class Booking(Base):
    """One person's appointment in a slot; checking in at the kiosk turns it into a ticket."""

    __tablename__ = "ticket_bookings"
    __table_args__ = (UniqueConstraint("slot_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("ticket_slots.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    day: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[BookingStatus] = mapped_column(
        value_enum(BookingStatus, 12), default=BookingStatus.BOOKED
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    cancelled_at: Mapped[dt.datetime | None]
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    #: The service the visitor comes for, when booked by item (its materials are in the notice).
    service_item_id: Mapped[int | None] = mapped_column(ForeignKey("service_items.id"))
    #: When the reminder the day before was queued; it goes out once.
    reminded_at: Mapped[dt.datetime | None]
    #: The booking this one replaced when the visitor rebooked from the notice's link.
    rebooked_from_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_bookings.id"))

    slot: Mapped[Slot] = relationship(lazy="joined")
    user: Mapped[User] = relationship()
    service_item: Mapped[ServiceItem | None] = relationship()


class Ticket(Base):
    """One visit to the hall in one category: its number, where it stands, how it ended."""

    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("category_id", "day", "seq"),
        Index("ix_tickets_queue", "day", "status", "category_id", "queue_at"),
        # One phone, one active ticket per queue and day: two kiosks taking a number for the
        # same phone at the same instant cannot both pass a check made before the insert.
        Index(
            ACTIVE_PHONE_INDEX,
            "category_id",
            "day",
            "phone",
            unique=True,
            sqlite_where=text("status <> 'done'"),
            postgresql_where=text("status <> 'done'"),
        ),
        Index(
            ACTIVE_CARD_INDEX,
            "category_id",
            "day",
            "card",
            unique=True,
            sqlite_where=text("status <> 'done'"),
            postgresql_where=text("status <> 'done'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("ticket_categories.id"))
    day: Mapped[dt.date] = mapped_column(Date)
    #: The daily sequence number in the category; ``None`` for a transferred ticket's successor,
    #: which keeps the number it was first given.
    seq: Mapped[int | None]
    number: Mapped[str] = mapped_column(String(8))
    issued_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    #: What orders the queue: the first issue time (kept across transfers) or the slot's start.
    queue_at: Mapped[dt.datetime]
    #: Where waiting starts, for statistics: the issue time, or the slot's start if later.
    wait_from: Mapped[dt.datetime]
    appointment: Mapped[bool] = mapped_column(default=False)
    status: Mapped[Status] = mapped_column(value_enum(Status, 8), default=Status.WAITING)
    outcome: Mapped[Outcome | None] = mapped_column(value_enum(Outcome, 12))
    window_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_windows.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    calls: Mapped[int] = mapped_column(default=0)
    first_called_at: Mapped[dt.datetime | None]
    last_called_at: Mapped[dt.datetime | None]
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    transferred_from_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    phone: Mapped[str | None] = mapped_column(String(20))
    #: A campus-card number, the other way a visitor may hold a ticket.
    card: Mapped[str | None] = mapped_column(String(20))
    near_notified: Mapped[bool] = mapped_column(default=False)

    category: Mapped[Category] = relationship(lazy="joined")
    window: Mapped[Window | None] = relationship(foreign_keys=[window_id])
    staff: Mapped[User | None] = relationship(foreign_keys=[staff_id])
    rating: Mapped[Rating | None] = relationship(back_populates="ticket", uselist=False)


class Call(Base):
    """One call of a ticket to a window, as the display boards announce it (in ``id`` order)."""

    __tablename__ = "ticket_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    #: The hall whose display boards announce the call.
    hall_id: Mapped[int] = mapped_column(ForeignKey("ticket_halls.id"))
    window_id: Mapped[int] = mapped_column(ForeignKey("ticket_windows.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    number: Mapped[str] = mapped_column(String(8))
    window_number: Mapped[int]
    called_at: Mapped[dt.datetime] = mapped_column(default=clock.now)


class Rating(Base):
    """The visitor's judgement of one service, on the five levels of 好差评 (5 best, 1 worst)."""

    __tablename__ = "ticket_ratings"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    level: Mapped[int]
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    comment: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    #: A 差评: it opened a follow-up (``feedback``).
    needs_follow_up: Mapped[bool] = mapped_column(default=False, index=True)

    ticket: Mapped[Ticket] = relationship(back_populates="rating")


def as_dict(ticket: Ticket) -> dict[str, Any]:
    """The ticket's public fields (no phone, no user) for the API and the pages' scripts."""
    return {
        "id": ticket.id,
        "number": ticket.number,
        "category": ticket.category.prefix,
        "hall": ticket.category.hall.code,
        "status": str(ticket.status),
        "outcome": str(ticket.outcome) if ticket.outcome else None,
        "issued_at": ticket.issued_at.isoformat(),
        "window": ticket.window.number if ticket.window else None,
        "calls": ticket.calls,
        "first_called_at": ticket.first_called_at.isoformat() if ticket.first_called_at else None,
        "started_at": ticket.started_at.isoformat() if ticket.started_at else None,
        "finished_at": ticket.finished_at.isoformat() if ticket.finished_at else None,
        "rating": ticket.rating.level if ticket.rating else None,
    }
