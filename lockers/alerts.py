"""Alerts: recorded for the lockers page and announced, so administrators hear of them."""

from __future__ import annotations

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
) -> Alert:
    """Record an alert and publish :class:`AlertRaised` in the caller's transaction."""
    alert = Alert(
        kind=kind,
        bank_id=bank.id if bank else None,
        compartment_number=compartment_number,
        message=message[:300],
    )
    session.add(alert)
    session.flush()
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
