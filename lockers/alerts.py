"""Alerts: recorded for the lockers page and announced, so administrators hear of them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.events import publish
from lockers.events import AlertRaised
from lockers.models import Alert, AlertKind, LockerBank


def raise_alert(
    session: Session,
    kind: AlertKind,
    message: str,
    *,
    bank: LockerBank | None = None,
    compartment_number: int | None = None,
    cause: str | None = None,
    location_id: int | None = None,
) -> Alert:
    """Record an alert and publish :class:`AlertRaised` in the caller's transaction.

    An alert with a ``cause`` is open once per cause: a repeat while it is open (a job run
    again, by another scheduler say, or a controller resending) inserts and announces nothing
    and returns the open alert. The database's unique index on open causes settles a race.
    ``location_id`` names the place whose staff should look (else the bank's own place)."""
    if cause is not None:
        earlier = _open_with(session, cause)
        if earlier is not None:
            return earlier
    alert = Alert(
        kind=kind,
        bank_id=bank.id if bank else None,
        compartment_number=compartment_number,
        message=message[:300],
        cause=cause,
        location_id=location_id or (bank.location_id if bank else None),
    )
    if cause is None:
        session.add(alert)
        session.flush()
    else:
        try:
            # A savepoint: losing a race for the cause leaves the caller's transaction usable.
            with session.begin_nested():
                session.add(alert)
        except IntegrityError:
            found = _open_with(session, cause)
            if found is None:
                raise
            return found
    publish(
        session,
        AlertRaised(
            alert_id=alert.id,
            kind=kind,
            controller=bank.controller if bank else None,
            compartment=compartment_number,
            message=alert.message,
        ),
    )
    return alert


def _open_with(session: Session, cause: str) -> Alert | None:
    return session.scalar(
        select(Alert).where(Alert.cause == cause, Alert.acknowledged_at.is_(None))
    )


def open_alerts_at(session: Session, location_id: int, limit: int = 100) -> list[Alert]:
    """The open alerts addressed to a place (a hub), newest first."""
    return list(
        session.scalars(
            select(Alert)
            .where(Alert.location_id == location_id, Alert.acknowledged_at.is_(None))
            .order_by(Alert.created_at.desc(), Alert.id.desc())
            .limit(limit)
        )
    )
