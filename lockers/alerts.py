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
) -> Alert:
    """Record an alert and publish :class:`AlertRaised` in the caller's transaction.

    An alert with a ``cause`` is raised once per cause: a repeat (a job run again, by another
    scheduler say) inserts and announces nothing and returns the alert raised before."""
    if cause is not None:
        earlier = session.scalar(select(Alert).where(Alert.cause == cause))
        if earlier is not None:
            return earlier
    alert = Alert(
        kind=kind,
        bank_id=bank.id if bank else None,
        compartment_number=compartment_number,
        message=message[:300],
        cause=cause,
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
            return session.scalars(select(Alert).where(Alert.cause == cause)).one()
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
