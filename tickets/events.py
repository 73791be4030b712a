"""Events the hall announces; the lead wires them to the notifications outbox."""

from __future__ import annotations

from dataclasses import dataclass

from core.events import DomainEvent


@dataclass(frozen=True)
class TurnNear(DomainEvent):
    """Only ``people_ahead`` people are before this ticket now; sent once per ticket."""

    ticket_id: int
    user_id: int | None
    phone: str | None
    number: str
    people_ahead: int


@dataclass(frozen=True)
class AppointmentBooked(DomainEvent):
    """A place was booked (or rebooked); the visitor gets the confirmation."""

    booking_id: int


@dataclass(frozen=True)
class AppointmentReminderDue(DomainEvent):
    """The appointment is tomorrow; announced once per booking."""

    booking_id: int
