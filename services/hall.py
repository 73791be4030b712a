"""The hall's requests that a visitor may send twice: taking a number and booking a time.

A kiosk tapped twice, a form posted again or a client retrying after a timeout sends the same
idempotency key; the second answers with the ticket or booking the first one made.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from catalog.models import ServiceItem
from core import idempotency
from core.phones import DEFAULT_REGIONS
from core.users import User
from tickets import appointments, queue
from tickets.models import Booking, Category, Ticket


def take_ticket(
    session: Session,
    category: Category,
    *,
    key: str = "",
    phone: str | None = None,
    card: str | None = None,
    user: User | None = None,
    phone_regions: tuple[str, ...] = DEFAULT_REGIONS,
) -> Ticket:
    """:func:`tickets.queue.take_ticket`, once per ``key`` of the caller (or of the kiosks,
    without a login): the kiosk page and the API hold a phone or a campus card to one active
    ticket per queue by this one path."""
    return idempotency.once(
        session,
        idempotency.scope_of(user.id if user else None),
        "ticket",
        key,
        idempotency.fingerprint(category.hall_id, category.prefix, phone, card),
        lambda: queue.take_ticket(
            session, category, phone=phone, card=card, user=user, phone_regions=phone_regions
        ),
        lambda ticket: ticket.id,
        lambda ticket_id: session.get_one(Ticket, ticket_id),
    )


def book(
    session: Session, user: User, slot_id: int, key: str = "", item: ServiceItem | None = None
) -> Booking:
    """:func:`tickets.appointments.book`, once per ``key`` of ``user``."""
    return idempotency.once(
        session,
        idempotency.scope_of(user.id),
        "booking",
        key,
        idempotency.fingerprint(slot_id, item.code if item else None),
        lambda: appointments.book(session, user, slot_id, item),
        lambda booking: booking.id,
        lambda booking_id: session.get_one(Booking, booking_id),
    )
