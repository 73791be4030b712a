"""What lockers announce to the rest of the system."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.events import DomainEvent
from lockers.models import AlertKind


@dataclass(frozen=True)
class PickupCodeIssued(DomainEvent):
    """A result waits in a pickup compartment (or its code was sent again, or to a colleague
    the recipient let collect: ``collector_phone``). ``digits`` is for the notice only; nothing
    may store or log it."""

    consignment_id: int
    pickup_code_id: int
    controller: str
    compartment: int
    code_hash: str
    valid_until: dt.datetime
    digits: str
    collector_phone: str = ""


@dataclass(frozen=True)
class AlertRaised(DomainEvent):
    """A :class:`lockers.models.Alert` was recorded: administrators are told."""

    alert_id: int
    kind: AlertKind
    controller: str | None
    compartment: int | None
    message: str


@dataclass(frozen=True)
class PickupReminderDue(DomainEvent):
    """A result is still uncollected: ``stage`` is ``24h``, ``48h`` or ``final`` (the last
    notice before it moves to the service desk)."""

    consignment_id: int
    pickup_code_id: int
    stage: str
    controller: str
    compartment: int
    valid_until: dt.datetime


@dataclass(frozen=True)
class MovedToDesk(DomainEvent):
    """The pickup window of ``pickup_code_id`` ended uncollected: its code is revoked and the
    result goes to the service desk of its pickup campus (a clerk is asked to take it there)."""

    consignment_id: int
    pickup_code_id: int
    valid_until: dt.datetime


@dataclass(frozen=True)
class CompartmentReleaseRequested(DomainEvent):
    """A compartment must be opened (an uncollected result goes to the service desk)."""

    controller: str
    compartment: int
    consignment_id: int | None
    reason: str


@dataclass(frozen=True)
class KeypadLocked(DomainEvent):
    """Too many wrong codes: the bank's controller must refuse every code until ``until``."""

    controller: str
    until: dt.datetime


@dataclass(frozen=True)
class BusBoxReported(DomainEvent):
    """A bus box's controller reported its door opening (``what`` is ``door_opened``) or an
    envelope going in (``deposit``) or coming out (``removal``) with its label read;
    ``consignment_id`` is the envelope's, None for a door or an unknown label."""

    controller: str
    what: str
    compartment: int
    consignment_id: int | None
    device_at: dt.datetime
