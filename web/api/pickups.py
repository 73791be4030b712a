"""``GET /api/pickups``: the caller's results waiting in pickup lockers, with their codes."""

from __future__ import annotations

from typing import Any

from services.pickups import Waiting, waiting_for
from web.api import api
from web.api.schemas.pickups import Pickup
from web.api.typed import answer, operation, shaped
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
@operation(
    "The caller's results waiting in pickup lockers: item, locker, place, compartment, expiry "
    "and the six-digit code",
    answer=list[Pickup],
)
def my_pickups() -> Any:
    user = current_user()
    assert user is not None  # login_required
    return answer(shaped(list[Pickup], [waiting_json(w) for w in waiting_for(db(), user)]))
