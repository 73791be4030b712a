"""``GET /api/pickups``: the caller's results waiting in pickup lockers, with their codes."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from services.pickups import Waiting, waiting_for
from web.api import api
from web.auth import current_user, login_required
from web.db import db


def waiting_json(waiting: Waiting) -> dict[str, Any]:
    return {
        "tracking_code": waiting.consignment.tracking_code,
        "service_item": waiting.consignment.service_item.name,
        "locker": {
            "controller": waiting.bank.controller,
            "name": waiting.bank.name,
            "place": waiting.place,
        },
        "compartment": waiting.compartment,
        "code": waiting.digits,
        "valid_until": waiting.valid_until.isoformat(),
    }


@api.get("/pickups")
@login_required
def my_pickups() -> Any:
    user = current_user()
    assert user is not None  # login_required
    return jsonify([waiting_json(w) for w in waiting_for(db(), user)])
