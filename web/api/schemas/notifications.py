"""The notices outbox as administrators see it."""

from __future__ import annotations

import msgspec

from core.outbox import OutboxMessage
from web.api.schemas.common import column_text


class NoticesQuery(msgspec.Struct):
    to: column_text(OutboxMessage.recipient) = ""  # type: ignore[valid-type]


class Notice(msgspec.Struct):
    id: int
    channel: str
    to: str
    template: str | None
    text: str | None
    status: str
    attempts: int
    created_at: str | None
    available_at: str | None
    sent_at: str | None
    last_error: str | None
    provider: str | None
    provider_message_id: str | None
    delivery_status: str | None


class Notices(msgspec.Struct):
    notifications: list[Notice]
