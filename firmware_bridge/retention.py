"""How long the bridge's logs are kept: applied device events and dead letters past their age go,
about a batch per run (:class:`core.config.RetentionSettings`, ``COURIER_*_DAYS``).

What stays whatever its age: an event not yet applied (it waits for a gap to close); the newest
event of each controller's sequence, so that the controller resending it (its ``evt/ack`` lost)
is told a duplicate rather than dead-lettered; and a dead letter above its controller's
contiguous mark, which the open gap counts as received. An older event sent again after it went
is dead-lettered as arriving after its gap closed, never applied twice.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, delete, exists, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from core import clock
from core.config import RetentionSettings
from firmware_bridge.models import ControllerSequence, DeadLetter, DeviceEvent

#: Where a session carries the installation's settings (``services.bootstrap`` puts them there).
RETENTION_KEY = "firmware_bridge.retention"


def forget_old(session: Session) -> dict[str, int]:
    """Delete about one batch each of applied device events and dead letters past their age;
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
    """Delete the oldest applied device events received before ``before``, about ``batch`` of
    them, none the newest of its controller's sequence; returns how many went."""
    newer = aliased(DeviceEvent)
    newest = (
        select(func.max(newer.seq))
        .where(
            newer.controller == DeviceEvent.controller, newer.generation == DeviceEvent.generation
        )
        .scalar_subquery()
    )
    applied = DeviceEvent.applied.is_(True)
    result = session.execute(
        delete(DeviceEvent)
        .where(
            _oldest(session, DeviceEvent.received_at, before, batch, applied),
            applied,
            DeviceEvent.seq < newest,
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def forget_old_letters(session: Session, before: dt.datetime, batch: int) -> int:
    """Delete the oldest dead letters received before ``before``, about ``batch`` of them, none
    that its controller's open gap counts; returns how many went."""
    counted = exists().where(
        ControllerSequence.controller == DeadLetter.controller,
        ControllerSequence.generation == DeadLetter.generation,
        DeadLetter.seq > ControllerSequence.contiguous,
    )
    result = session.execute(
        delete(DeadLetter)
        .where(_oldest(session, DeadLetter.received_at, before, batch), ~counted)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _oldest(
    session: Session,
    received_at: InstrumentedAttribute[dt.datetime],
    before: dt.datetime,
    batch: int,
    *where: ColumnElement[bool],
) -> ColumnElement[bool]:
    """The rows received up to the ``batch``-th oldest before ``before`` (with those received
    at the same moment: a bridge batch shares one time), as a range of ``received_at``.

    A range, not a list of ids: the delete then reads each partition's ``received_at`` index,
    where matching a list would make PostgreSQL scan every partition whole."""
    last = session.scalar(
        select(received_at)
        .where(received_at < before, *where)
        .order_by(received_at)
        .offset(batch - 1)
        .limit(1)
    )
    return received_at <= last if last is not None else received_at < before
