"""An administrator acknowledges a locker alert: it leaves the open list, and its cause may raise
a new alert when it comes back (one open alert per cause, lockers.alerts)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core import clock
from core.errors import N_, Conflict, NotFound
from core.users import User
from lockers.models import Alert
from services import audit

ACTION = "locker.alert_acknowledged"


def acknowledge_alert(
    session: Session, actor: User, alert_id: int, address: str | None = None
) -> Alert:
    """Close the open alert ``alert_id`` and record who did, in the audit log. The caller
    checked that ``actor`` is an administrator."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound("alert_not_found", N_("No such alert."))
    if alert.acknowledged_at is not None:
        raise Conflict("alert_acknowledged", N_("This alert was acknowledged already."))
    alert.acknowledged_at = clock.now()
    target = alert.bank.controller if alert.bank else "-"
    audit.record(
        session,
        actor,
        ACTION,
        target,
        {"alert": alert.id, "kind": alert.kind.value, "message": alert.message},
        address,
    )
    session.flush()
    return alert
