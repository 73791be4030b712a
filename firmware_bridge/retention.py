"""How long the bridge's logs are kept: applied device events and dead letters past their age go,
a bounded batch per run (:class:`core.config.RetentionSettings`, ``COURIER_*_DAYS``).

What stays whatever its age: an event not yet applied (it waits for a gap to close); the newest
event of each controller's sequence, so that the controller resending it (its ``evt/ack`` lost)
is told a duplicate rather than dead-lettered; and a dead letter above its controller's
contiguous mark, which the open gap counts as received. An older event sent again after it went
is dead-lettered as arriving after its gap closed, never applied twice.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, exists, select, tuple_
from sqlalchemy.orm import Session, aliased

from core import clock
from core.config import RetentionSettings
from firmware_bridge.models import ControllerSequence, DeadLetter, DeviceEvent

#: Where a session carries the installation's settings (``services.bootstrap`` puts them there).
RETENTION_KEY = "firmware_bridge.retention"


def forget_old(session: Session) -> dict[str, int]:
    """Delete at most one batch each of applied device events and dead letters past their age;
    returns how many of each went."""
    settings: RetentionSettings = session.info.get(RETENTION_KEY) or RetentionSettings()
    now = clock.now()
    return {
        "device_events": forget_old_events(
            session, now - dt.timedelta(days=settings.device_event_days), settings.batch
        ),
        "dead_letters": forget_old_letters(
            session, now - dt.timedelta(days=settings.dead_letter_days), settings.batch
        ),
    }


def forget_old_events(session: Session, before: dt.datetime, batch: int) -> int:
    """Delete up to ``batch`` applied device events received before ``before``, oldest first,
    none the newest of its controller's sequence."""
    newer = aliased(DeviceEvent)
    doomed = (
        select(DeviceEvent.controller, DeviceEvent.id)
        .where(
            DeviceEvent.received_at < before,
            DeviceEvent.applied.is_(True),
            exists().where(
                newer.controller == DeviceEvent.controller,
                newer.generation == DeviceEvent.generation,
                newer.seq > DeviceEvent.seq,
            ),
        )
        .order_by(DeviceEvent.received_at)
        .limit(batch)
    )
    # With the controller the delete finds each row in its own partition on PostgreSQL.
    result = session.execute(
        delete(DeviceEvent)
        .where(tuple_(DeviceEvent.controller, DeviceEvent.id).in_(doomed))
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def forget_old_letters(session: Session, before: dt.datetime, batch: int) -> int:
    """Delete up to ``batch`` dead letters received before ``before``, oldest first, none that
    its controller's open gap counts."""
    counted = exists().where(
        ControllerSequence.controller == DeadLetter.controller,
        ControllerSequence.generation == DeadLetter.generation,
        DeadLetter.seq > ControllerSequence.contiguous,
    )
    doomed = (
        select(DeadLetter.id)
        .where(DeadLetter.received_at < before, ~counted)
        .order_by(DeadLetter.received_at)
        .limit(batch)
    )
    result = session.execute(
        delete(DeadLetter)
        .where(DeadLetter.id.in_(doomed))
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
