"""The hall's answers shared by its pages and its API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app

from tickets import queue
from tickets.models import Call


def near_ahead() -> int:
    """People ahead at which "your turn is near" goes out (``TICKETS_NEAR_AHEAD``)."""
    return int(current_app.config.get("TICKETS_NEAR_AHEAD", queue.NEAR_AHEAD))


def recall_delay() -> dt.timedelta:
    """How long a window waits before calling a ticket again (``COURIER_RECALL_DELAY``)."""
    settings = current_app.config.get("COURIER_SETTINGS")
    if settings is None:
        return queue.RECALL_DELAY
    return dt.timedelta(seconds=settings.recall_delay)


def call_json(call: Call) -> dict[str, Any]:
    return {
        "id": call.id,
        "hall": call.hall_id,
        "ticket": call.ticket_id,
        "number": call.number,
        "window": call.window_number,
        "called_at": call.called_at.isoformat(),
    }
