"""Appointments: slots with a capacity, bookings 1 to 14 days ahead, check-in at the kiosk."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import clock
from core.errors import N_, Conflict, DomainError, Forbidden, NotFound
from core.users import User
from tickets.models import Booking, BookingStatus, Category, Slot, Ticket
from tickets.queue import _issue, today

MIN_DAYS_AHEAD = 1
MAX_DAYS_AHEAD = 14
#: Bookings one person may hold on one day, over all categories.
DAILY_LIMIT = 2
ACTIVE = (BookingStatus.BOOKED, BookingStatus.CHECKED_IN)


def add_slots(
    session: Session,
    category: Category,
    day: dt.date,
    times: list[tuple[dt.time, dt.time]],
    capacity: int,
) -> list[Slot]:
    """Open appointment slots for ``category`` on ``day`` (local times); existing ones stay."""
    existing = {
        s.starts_at
        for s in session.scalars(
            select(Slot).where(Slot.category_id == category.id, Slot.day == day)
        )
    }
    slots = []
    for begin, end in times:
        starts_at = dt.datetime.combine(day, begin, clock.SHANGHAI).astimezone(dt.UTC)
        if starts_at in existing:
            continue
        slot = Slot(
            category=category,
            day=day,
            starts_at=starts_at,
            ends_at=dt.datetime.combine(day, end, clock.SHANGHAI).astimezone(dt.UTC),
            capacity=capacity,
        )
        session.add(slot)
        slots.append(slot)
    session.flush()
    return slots


def booked(session: Session, slot: Slot) -> int:
    return int(
        session.scalar(
            select(func.count(Booking.id)).where(
                Booking.slot_id == slot.id, Booking.status.in_(ACTIVE)
            )
        )
        or 0
    )


def open_slots(session: Session, category: Category) -> list[tuple[Slot, int]]:
    """The category's slots that can be booked now, each with the places left."""
    first = today() + dt.timedelta(days=MIN_DAYS_AHEAD)
    last = today() + dt.timedelta(days=MAX_DAYS_AHEAD)
    slots = session.scalars(
        select(Slot)
        .where(Slot.category_id == category.id, Slot.day >= first, Slot.day <= last)
        .order_by(Slot.starts_at)
    )
    return [(slot, slot.capacity - booked(session, slot)) for slot in slots]


def book(session: Session, user: User, slot_id: int) -> Booking:
    """Book a place in a slot for ``user``; the slot's row is locked while places are counted."""
    slot = session.scalar(select(Slot).where(Slot.id == slot_id).with_for_update(of=Slot))
    if slot is None:
        raise NotFound("no_slot", N_("There is no such appointment time."))
    ahead = (slot.day - today()).days
    if not MIN_DAYS_AHEAD <= ahead <= MAX_DAYS_AHEAD:
        raise DomainError(
            "booking_window",
            N_("Appointments can be booked %(first)s to %(last)s days ahead."),
            first=MIN_DAYS_AHEAD,
            last=MAX_DAYS_AHEAD,
        )
    mine = session.scalar(
        select(Booking).where(Booking.slot_id == slot.id, Booking.user_id == user.id)
    )
    if mine is not None and mine.status in ACTIVE:
        raise Conflict("already_booked", N_("You have already booked this time."))
    that_day = session.scalar(
        select(func.count(Booking.id)).where(
            Booking.user_id == user.id, Booking.day == slot.day, Booking.status.in_(ACTIVE)
        )
    )
    if (that_day or 0) >= DAILY_LIMIT:
        raise Conflict(
            "daily_limit",
            N_("You may book at most %(limit)s appointments a day."),
            limit=DAILY_LIMIT,
        )
    if booked(session, slot) >= slot.capacity:
        raise Conflict("slot_full", N_("This appointment time is fully booked."))
    if mine is None:
        mine = Booking(slot=slot, user_id=user.id, day=slot.day, code=_code())
        session.add(mine)
    mine.status, mine.cancelled_at, mine.created_at = BookingStatus.BOOKED, None, clock.now()
    session.flush()
    return mine


def _code() -> str:
    return secrets.token_hex(4).upper()


def cancel_booking(session: Session, user: User, booking: Booking) -> Booking:
    """Give a booked place back before its slot begins."""
    if booking.user_id != user.id:
        raise Forbidden("not_yours", N_("This appointment is not yours."))
    if booking.status != BookingStatus.BOOKED or booking.slot.starts_at <= clock.now():
        raise Conflict("cannot_cancel", N_("This appointment can no longer be cancelled."))
    booking.status, booking.cancelled_at = BookingStatus.CANCELLED, clock.now()
    session.flush()
    return booking


def bookings_of(session: Session, user: User) -> list[Booking]:
    return list(
        session.scalars(
            select(Booking)
            .where(Booking.user_id == user.id, Booking.day >= today())
            .order_by(Booking.day, Booking.id)
        )
    )


def check_in(session: Session, code: str) -> Ticket:
    """Turn today's booking into a ticket, called first once its slot has begun."""
    booking = session.scalar(select(Booking).where(Booking.code == code.strip().upper()))
    if booking is None or booking.status == BookingStatus.CANCELLED:
        raise NotFound("no_booking", N_("There is no appointment with this code."))
    if booking.status == BookingStatus.CHECKED_IN:
        raise Conflict("checked_in", N_("This appointment has already been checked in."))
    slot, now = booking.slot, clock.now()
    if booking.day != today() or now >= slot.ends_at:
        raise DomainError("not_today", N_("This appointment is not for now."))
    ticket = _issue(
        session,
        slot.category,
        slot.starts_at,
        max(now, slot.starts_at),
        appointment=True,
        user=booking.user,
    )
    booking.status, booking.ticket_id = BookingStatus.CHECKED_IN, ticket.id
    session.flush()
    return ticket
