"""The transactional outbox: messages for the outside world, written with the change they tell.

A row is added in the same transaction as the state change it reports, so nobody hears of a
change that was rolled back. Dispatchers (notifications, MQTT commands) claim pending rows after
commit and mark them sent; the unique ``dedupe_key`` keeps a message from being queued twice.

A row's life: ``pending`` → ``sending`` (claimed, committed before the provider is called) →
``sent``; a provider error puts it back to ``pending`` with a later ``available_at`` (it shows as
``failed`` while it waits for its retry only through ``last_error``); too many tries make it
``dead``. A row still ``sending`` after its lease ran out (its dispatcher died, or the provider
call timed out or lost its connection) may or may not have reached the provider: the dispatcher
asks the provider, and where it cannot tell the row becomes ``unknown`` for an administrator to
decide. ``claim_token`` names the claim a dispatcher holds; results are recorded only under it.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, String, event, insert, inspect, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core import clock
from core.db import Base, value_enum


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"
    #: Claimed, then the dispatcher vanished and the provider could not say whether it sent it.
    UNKNOWN = "unknown"


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), index=True)
    recipient: Mapped[str] = mapped_column(String(200), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[OutboxStatus] = mapped_column(
        value_enum(OutboxStatus, 16), default=OutboxStatus.PENDING, index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    available_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    attempts: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    #: While ``sending``: the claim holds until then; after it, the row needs reconciling.
    claimed_until: Mapped[dt.datetime | None]
    #: While ``sending``: whose claim it is; a dispatcher records a result only under its own.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    #: When the current (or last) attempt started: the provider is asked about messages since.
    attempted_at: Mapped[dt.datetime | None]
    provider: Mapped[str | None] = mapped_column(String(32))
    provider_message_id: Mapped[str | None] = mapped_column(String(100), index=True)
    #: What the provider reported later (delivered, undelivered, failed ...).
    delivery_status: Mapped[str | None] = mapped_column(String(32))


#: ``session.info`` key: rows queued with ``flush=False`` by dedupe key, not yet checked
#: against the table (see :func:`_drop_known_keys`).
DEFERRED_KEY = "core.outbox.deferred"


def enqueue(
    session: Session,
    channel: str,
    recipient: str,
    payload: dict[str, Any],
    dedupe_key: str,
    *,
    available_at: dt.datetime | None = None,
    flush: bool = True,
) -> OutboxMessage:
    """Queue a message in the caller's transaction; a second call with the same key is a no-op.

    ``available_at`` holds the message back until then (quiet hours, say). Returns the row that
    holds the message, whether it was added now or earlier. ``flush=False`` leaves a new row
    pending in the session until its next flush, which writes a batch's rows in one statement
    and looks for earlier rows with their keys in one query (the new row is dropped where there
    is one); the object returned then only describes the message and is not kept in the session.
    """
    deferred: dict[str, OutboxMessage] = session.info.setdefault(DEFERRED_KEY, {})
    # Still pending: a savepoint rolled back since would have taken it out of the session.
    if dedupe_key in deferred and inspect(deferred[dedupe_key]).pending:
        return deferred[dedupe_key]
    if flush:
        existing = session.scalar(
            select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key)
        )
        if existing is not None:
            return existing
    message = OutboxMessage(
        channel=channel,
        recipient=recipient,
        payload=payload,
        dedupe_key=dedupe_key,
        available_at=available_at or clock.now(),
    )
    session.add(message)
    if flush:
        session.flush()
    else:
        deferred[dedupe_key] = message
    return message


@event.listens_for(Session, "before_flush")
def _write_deferred(session: Session, _context: object, _instances: object) -> None:
    """Write the rows queued with ``flush=False`` whose key the table does not hold yet, in one
    statement: on SQLite the ORM would insert them one by one to learn each id, which nobody
    reads."""
    deferred: dict[str, OutboxMessage] | None = session.info.pop(DEFERRED_KEY, None)
    if not deferred:
        return
    waiting = {key: row for key, row in deferred.items() if inspect(row).pending}
    if not waiting:
        return
    for row in waiting.values():
        session.expunge(row)
    # The connection, not the session: a session query would try to flush again.
    connection = session.connection()
    known = set(
        connection.scalars(
            select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(list(waiting)))
        )
    )
    rows = [
        {
            "channel": row.channel,
            "recipient": row.recipient,
            "payload": row.payload,
            "dedupe_key": key,
            "available_at": row.available_at,
        }
        for key, row in waiting.items()
        if key not in known
    ]
    if rows:
        connection.execute(insert(OutboxMessage.__table__), rows)
