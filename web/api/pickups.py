"""``GET /api/pickups``: the caller's results waiting in pickup lockers, with their codes;
``POST /api/pickups/<tracking_code>/colleague``: let a colleague collect one."""

from __future__ import annotations

from typing import Any

from courier.consignments import find_consignment
from services.pickups import Waiting, let_colleague_collect, waiting_for
from web.api import api
from web.api.schemas.pickups import Colleague, Pickup
from web.api.typed import answer, body_of, operation, shaped
from web.auth import current_user, login_required
from web.db import db
from web.params import label_key, phone_regions


def waiting_json(waiting: Waiting) -> dict[str, Any]:
    """A waiting result; the code only while it is the caller's own (not a colleague's)."""
    return {
        "tracking_code": waiting.consignment.tracking_code,
        "service_item": waiting.consignment.service_item.name,
        "locker": {
            "controller": waiting.bank.controller,
            "name": waiting.bank.name,
            "place": waiting.place,
        },
        "compartment": waiting.compartment,
        "code": None if waiting.collector else waiting.digits,
        "collector": waiting.collector,
        "valid_until": waiting.valid_until.isoformat(),
    }


@api.get("/pickups")
@login_required
@operation(
    "The caller's results waiting in pickup lockers: item, locker, place, compartment, expiry "
    "and the six-digit code (none once a colleague was sent one)",
    answer=list[Pickup],
)
def my_pickups() -> Any:
    user = current_user()
    assert user is not None  # login_required
    return answer(shaped(list[Pickup], [waiting_json(w) for w in waiting_for(db(), user)]))


@api.post("/pickups/<code:code>/colleague")
@login_required
@operation(
    "Let a colleague collect: a fresh code goes to their mobile by SMS, the caller's stops "
    "working here and on the locker; recorded in the custody log",
    body=Colleague,
    answer=Pickup,
    errors=(403, 404, 409),
)
def colleague(code: str) -> Any:
    user = current_user()
    assert user is not None  # login_required
    body = body_of(Colleague)
    handed = let_colleague_collect(
        db(),
        user,
        find_consignment(db(), code, label_key()),
        name=body.name,
        phone=body.phone,
        phone_regions=phone_regions(),
    )
    return answer(shaped(Pickup, waiting_json(handed)))
