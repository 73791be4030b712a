"""Lockers for administrators: banks and compartments, device events, dead letters."""

from __future__ import annotations

from typing import Any

from flask import abort, jsonify, request
from sqlalchemy import func, select

from core.users import Role
from firmware_bridge.ingest import KEPT_PAYLOAD
from firmware_bridge.models import DeadLetter, DeviceEvent
from lockers.compartments import bank_by_controller
from lockers.models import LockerBank
from web.api import api
from web.auth import roles_required
from web.db import db

MAX_ROWS = 500
LETTERS_PAGE = 100


def bank_json(bank: LockerBank) -> dict[str, Any]:
    return {
        "controller": bank.controller,
        "name": bank.name,
        "campus": bank.campus.code,
        "kind": str(bank.kind),
        "presence": str(bank.presence),
        "last_seen": bank.last_seen.isoformat() if bank.last_seen else None,
        "boot": bank.boot,
        "firmware": bank.firmware,
        "compartments": [
            {
                "number": c.number,
                "size": str(c.size),
                "state": str(c.state),
                "tracking_code": c.consignment.tracking_code if c.consignment else None,
                "locked_until": c.locked_until.isoformat() if c.locked_until else None,
            }
            for c in bank.compartments
        ],
    }


@api.get("/lockers")
@roles_required(Role.ADMIN)
def lockers() -> Any:
    banks = db().scalars(select(LockerBank).order_by(LockerBank.controller))
    return jsonify(banks=[bank_json(bank) for bank in banks])


@api.get("/lockers/<controller>/events")
@roles_required(Role.ADMIN)
def locker_events(controller: str) -> Any:
    if bank_by_controller(db(), controller) is None:
        abort(404)
    after = request.args.get("after_seq", 0, type=int)
    events = db().scalars(
        select(DeviceEvent)
        .where(DeviceEvent.controller == controller, DeviceEvent.seq > after)
        .order_by(DeviceEvent.seq)
        .limit(MAX_ROWS)
    )
    return jsonify(
        events=[
            {
                "seq": e.seq,
                "boot": e.boot,
                "type": e.type,
                "ts": e.device_at.isoformat(),
                "received_at": e.received_at.isoformat(),
                "data": e.data,
                "applied": e.applied,
                "result": e.result,
            }
            for e in events
        ]
    )


@api.get("/dead-letters")
@roles_required(Role.ADMIN)
def dead_letters() -> Any:
    """Dead letters newest first, a page at a time (``?before=<id>``, ``?limit=`` up to
    :data:`LETTERS_PAGE`), each with at most :data:`KEPT_PAYLOAD` bytes of its payload."""
    limit = min(request.args.get("limit", LETTERS_PAGE, type=int) or LETTERS_PAGE, LETTERS_PAGE)
    query = select(
        DeadLetter.id,
        DeadLetter.topic,
        DeadLetter.reason,
        DeadLetter.controller,
        DeadLetter.seq,
        DeadLetter.received_at,
        # Letters stored before contract v1.1 kept whole payloads: cut in the database.
        func.substr(DeadLetter.payload, 1, KEPT_PAYLOAD).label("payload"),
    ).order_by(DeadLetter.id.desc())
    before = request.args.get("before", type=int)
    if before is not None:
        query = query.where(DeadLetter.id < before)
    letters = db().execute(query.limit(max(limit, 1))).all()
    return jsonify(
        dead_letters=[
            {
                "id": letter.id,
                "topic": letter.topic,
                "reason": letter.reason,
                "controller": letter.controller,
                "seq": letter.seq,
                "received_at": letter.received_at.isoformat(),
                "payload": bytes(letter.payload).decode("utf-8", "replace"),
            }
            for letter in letters
        ],
        next_before=letters[-1].id if len(letters) == max(limit, 1) else None,
    )
