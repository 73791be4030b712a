"""The transactional outbox: messages for the outside world, written with the change they tell.

A row is added in the same transaction as the state change it reports, so nobody hears of a
change that was rolled back. Dispatchers (notifications, MQTT commands) claim pending rows after
commit and mark them sent; the unique ``dedupe_key`` keeps a message from being queued twice.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core import clock
from core.db import Base


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), index=True)
    recipient: Mapped[str] = mapped_column(String(200), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[OutboxStatus] = mapped_column(
        String(16), default=OutboxStatus.PENDING, index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    available_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    attempts: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))


def enqueue(
    session: Session, channel: str, recipient: str, payload: dict[str, Any], dedupe_key: str
) -> OutboxMessage:
    """Queue a message in the caller's transaction; a second call with the same key is a no-op.

    Returns the row that holds the message, whether it was added now or earlier.
    """
    existing = session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key))
    if existing is not None:
        return existing
    message = OutboxMessage(
        channel=channel, recipient=recipient, payload=payload, dedupe_key=dedupe_key
    )
    session.add(message)
    session.flush()
    return message
