"""Readiness: whether this process can serve, for a load balancer or a supervisor."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from firmware_bridge.connection import parse_url, reachable


def readiness(session: Session, mqtt_url: str | None) -> dict[str, bool | None]:
    """``database``: a query answers; ``broker``: a node of the MQTT broker accepts connections
    (None where no broker is configured: the embedded one of ``courier run`` is the process's
    own). Ready when neither is False."""
    try:
        session.execute(text("SELECT 1"))
        database = True
    except SQLAlchemyError:
        session.rollback()
        database = False
    broker = reachable(parse_url(mqtt_url), timeout=1.0) if mqtt_url else None
    return {"database": database, "broker": broker}
