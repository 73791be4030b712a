"""The hall's queue: tickets, calls to windows and a window's actions."""

from __future__ import annotations

import msgspec

from tickets.models import Category, Hall
from tickets.models import Ticket as TicketRow
from web.api.schemas.common import Id, column_text

Prefix = column_text(Category.prefix, min_length=1)
HallCode = column_text(Hall.code, min_length=1)


class TakeTicket(msgspec.Struct):
    """``category`` is the queue's prefix, e.g. ``A``, in ``hall`` (the first hall when left
    out); ``phone`` gets a text when it is near; ``card`` is a campus-card number. A phone or
    card holds one active ticket per queue."""

    category: Prefix  # type: ignore[valid-type]
    phone: column_text(TicketRow.phone) | None = None  # type: ignore[valid-type]
    card: column_text(TicketRow.card) | None = None  # type: ignore[valid-type]
    hall: HallCode | None = None  # type: ignore[valid-type]


class Ticket(msgspec.Struct):
    id: int
    number: str
    category: str
    hall: str
    status: str
    outcome: str | None
    issued_at: str
    window: int | None
    calls: int
    first_called_at: str | None
    started_at: str | None
    finished_at: str | None
    rating: int | None
    people_ahead: int
    wait_minutes: int


class CallsQuery(msgspec.Struct):
    after: Id = 0
    #: Only this hall's calls (a display board's); every hall's when left out.
    hall: HallCode | None = None  # type: ignore[valid-type]


class Call(msgspec.Struct):
    id: int
    hall: int
    ticket: int
    number: str
    window: int
    called_at: str


class Calls(msgspec.Struct):
    calls: list[Call]


class Transfer(msgspec.Struct):
    category: Prefix  # type: ignore[valid-type]


class Resume(msgspec.Struct):
    ticket: Id


class WindowStaff(msgspec.Struct):
    window: int
    staff: str | None
