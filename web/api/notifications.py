"""Notices for administrators, and Twilio's signed delivery reports."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, request
from sqlalchemy import select

from core.outbox import OutboxMessage
from core.users import Role
from notifications.dispatcher import CHANNELS, record_delivery
from notifications.senders import TWILIO_STATUS_PATH
from notifications.templates import staff_text
from web.api import api
from web.api.schemas import notifications as schema
from web.api.typed import operation, query_of, shaped_answer
from web.auth import public, roles_required
from web.db import db

MAX_ROWS = 500


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def outbox_json(row: OutboxMessage) -> dict[str, Any]:
    return {
        "id": row.id,
        "channel": row.channel,
        "to": row.recipient,
        "template": row.payload.get("template"),
        "text": staff_text(row.payload),
        "status": str(row.status),
        "attempts": row.attempts,
        "created_at": _iso(row.created_at),
        "available_at": _iso(row.available_at),
        "sent_at": _iso(row.sent_at),
        "last_error": row.last_error,
        "provider": row.provider,
        "provider_message_id": row.provider_message_id,
        "delivery_status": row.delivery_status,
    }


@api.get("/notifications")
@roles_required(Role.ADMIN)
@operation(
    "Notices in the outbox, newest first; ?to= filters by recipient (admin)",
    query=schema.NoticesQuery,
    answer=schema.Notices,
)
def notifications() -> Any:
    query = select(OutboxMessage).where(OutboxMessage.channel.in_(CHANNELS))
    to = query_of(schema.NoticesQuery).to.strip()
    if to:
        query = query.where(OutboxMessage.recipient == to)
    rows = db().scalars(query.order_by(OutboxMessage.id.desc()).limit(MAX_ROWS))
    return shaped_answer(schema.Notices, notifications=[outbox_json(row) for row in rows])


@api.post(TWILIO_STATUS_PATH.removeprefix("/api"))
@public
@operation(
    "Twilio's status callback; refused unless X-Twilio-Signature is valid",
    body={
        "application/x-www-form-urlencoded": {
            "type": "object",
            "properties": {"MessageSid": {"type": "string"}, "MessageStatus": {"type": "string"}},
        }
    },
    status=204,
    errors=(403,),
)
def twilio_status() -> Any:
    """Twilio's status callback: only a request signed with our auth token counts."""
    from twilio.request_validator import RequestValidator

    token = current_app.config["COURIER_SETTINGS"].twilio.auth_token
    public_url = current_app.config["COURIER_SETTINGS"].public_url.rstrip("/")
    # Behind a proxy Twilio signed the public address, not the one this request arrived at.
    url = public_url + request.full_path.rstrip("?") if public_url else request.url
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not RequestValidator(token).validate(url, request.form.to_dict(), signature):
        abort(403)
    sid, status = request.form.get("MessageSid", ""), request.form.get("MessageStatus", "")
    if not sid or not status:
        abort(400)
    record_delivery(db(), sid, status)
    return Response(status=204)
