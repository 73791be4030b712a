"""Appointments: slots per hall and queue with a capacity, bookings by service item 1 to 14
days ahead, a confirmation and a reminder the day before, cancel and rebook from the notice's
link, check-in at the kiosk of the booked hall."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from catalog.models import Campus, ServiceItem
from core import clock
from core.errors import N_, Conflict, DomainError, Forbidden, NotFound
from core.events import publish
from core.users import User
from tickets.events import AppointmentBooked, AppointmentReminderDue
from tickets.models import Booking, BookingStatus, Category, Hall, Slot, Ticket
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
    slots = list(
        session.scalars(
            select(Slot)
            .where(Slot.category_id == category.id, Slot.day >= first, Slot.day <= last)
            .order_by(Slot.starts_at)
        )
    )
    # One count for all the slots: a page lists a fortnight of times for several queues.
    taken = dict(
        session.execute(
            select(Booking.slot_id, func.count(Booking.id))
            .join(Slot, Slot.id == Booking.slot_id)
            .where(
                Slot.category_id == category.id,
                Slot.day >= first,
                Slot.day <= last,
                Booking.status.in_(ACTIVE),
            )
            .group_by(Booking.slot_id)
        ).all()
    )
    return [(slot, slot.capacity - int(taken.get(slot.id, 0))) for slot in slots]


def categories_for_item(
    session: Session, item: ServiceItem, hall: Hall | None = None
) -> list[Category]:
    """The queues where ``item`` is served: its department's, in the halls on its campuses
    (only ``hall``'s when given), first hall first."""
    query = (
        select(Category)
        .join(Hall, Hall.id == Category.hall_id)
        .where(
            Category.active,
            Category.department_id == item.department_id,
            Hall.campus_id.in_(select(Campus.id).where(Campus.id.in_(c.id for c in item.campuses))),
        )
        .order_by(Hall.id)
    )
    if hall is not None:
        query = query.where(Hall.id == hall.id)
    return list(session.scalars(query))


def _serves(slot: Slot, item: ServiceItem) -> bool:
    return slot.category.department_id == item.department_id and slot.category.hall.campus_id in {
        campus.id for campus in item.campuses
    }


def book(
    session: Session,
    user: User,
    slot_id: int,
    item: ServiceItem | None = None,
    *,
    rebooked_from: Booking | None = None,
) -> Booking:
    """Book a place in a slot for ``user``, for ``item`` when given (its hall and queue must
    serve it); the slot's row is locked while places are counted. Announces
    :class:`AppointmentBooked`, which brings the confirmation."""
    slot = session.scalar(select(Slot).where(Slot.id == slot_id).with_for_update(of=Slot))
    if slot is None:
        raise NotFound("no_slot", N_("There is no such appointment time."))
    if item is not None and not _serves(slot, item):
        raise DomainError(
            "wrong_item",
            N_("%(item)s is not served at this time's hall and queue."),
            item=item.name,
        )
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
    mine.service_item_id = item.id if item else None
    mine.reminded_at = None
    mine.rebooked_from_id = rebooked_from.id if rebooked_from else None
    session.flush()
    publish(session, AppointmentBooked(booking_id=mine.id))
    return mine


def _code() -> str:
    return secrets.token_hex(4).upper()


def cancel_booking(session: Session, user: User, booking: Booking) -> Booking:
    """Give ``user``'s booked place back before its slot begins."""
    if booking.user_id != user.id:
        raise Forbidden("not_yours", N_("This appointment is not yours."))
    return cancel(session, booking)


def can_change(booking: Booking) -> bool:
    """Whether the booking may still be cancelled or moved: booked, and its slot not begun."""
    return booking.status == BookingStatus.BOOKED and booking.slot.starts_at > clock.now()


def cancel(session: Session, booking: Booking) -> Booking:
    """Give a booked place back before its slot begins (the holder of its link may)."""
    if not can_change(booking):
        raise Conflict("cannot_cancel", N_("This appointment can no longer be cancelled."))
    booking.status, booking.cancelled_at = BookingStatus.CANCELLED, clock.now()
    session.flush()
    return booking


def rebook(session: Session, booking: Booking, slot_id: int) -> Booking:
    """Move a booked place to another time of a queue serving the same item: the old place is
    given back and a new booking (with its own code and confirmation) replaces it."""
    if slot_id == booking.slot_id:
        raise DomainError("same_slot", N_("Choose another time to move the appointment to."))
    cancel(session, booking)
    return book(session, booking.user, slot_id, booking.service_item, rebooked_from=booking)


def rebook_slots(session: Session, booking: Booking) -> list[tuple[Slot, int]]:
    """The times the booking may move to, each with the places left: the same queue's, or,
    for a booking by item, any hall's queue serving the item."""
    if booking.service_item is None:
        categories = [booking.slot.category]
    else:
        categories = categories_for_item(session, booking.service_item)
    return [
        (slot, left)
        for category in categories
        for slot, left in open_slots(session, category)
        if slot.id != booking.slot_id and left > 0
    ]


def bookings_of(session: Session, user: User) -> list[Booking]:
    return list(
        session.scalars(
            select(Booking)
            .where(Booking.user_id == user.id, Booking.day >= today())
            .order_by(Booking.day, Booking.id)
        )
    )


def check_in(session: Session, code: str, hall: Hall) -> Ticket:
    """Turn today's booking into a ticket at ``hall``'s kiosk, called first once its slot has
    begun. A booking for another hall is refused, naming the hall to go to."""
    booking = session.scalar(select(Booking).where(Booking.code == code.strip().upper()))
    if booking is None or booking.status == BookingStatus.CANCELLED:
        raise NotFound("no_booking", N_("There is no appointment with this code."))
    if booking.status == BookingStatus.CHECKED_IN:
        raise Conflict("checked_in", N_("This appointment has already been checked in."))
    slot, now = booking.slot, clock.now()
    booked_hall = slot.category.hall
    if booked_hall.id != hall.id:
        raise DomainError(
            "wrong_hall",
            N_("This appointment is at %(hall)s (%(campus)s); please check in at that hall."),
            hall=booked_hall.name,
            campus=booked_hall.campus.name,
        )
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


def remind_tomorrow(session: Session) -> int:
    """Announce :class:`AppointmentReminderDue` for each booking of tomorrow not yet reminded.

    Each booking is claimed by a conditional update, so two schedulers (or a run repeated after
    a crash before its commit) remind it once. Returns how many were reminded.
    """
    tomorrow = today() + dt.timedelta(days=1)
    due = list(
        session.scalars(
            select(Booking.id).where(
                Booking.day == tomorrow,
                Booking.status == BookingStatus.BOOKED,
                Booking.reminded_at.is_(None),
            )
        )
    )
    reminded = 0
    for booking_id in due:
        claimed = session.execute(
            update(Booking)
            .where(Booking.id == booking_id, Booking.reminded_at.is_(None))
            .values(reminded_at=clock.now())
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed:
            publish(session, AppointmentReminderDue(booking_id=booking_id))
            reminded += 1
    session.flush()
    return reminded
