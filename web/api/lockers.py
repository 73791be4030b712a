"""Lockers for administrators: banks and compartments, device events, dead letters."""

from __future__ import annotations

from typing import Any

from flask import abort
from sqlalchemy import func, select

from core.users import Role
from firmware_bridge.ingest import KEPT_PAYLOAD
from firmware_bridge.models import DeadLetter, DeviceEvent
from firmware_bridge.sequence import generation_of
from lockers.compartments import bank_by_controller
from lockers.models import LockerBank
from services import controller_sequences
from web.api import api
from web.api.schemas import lockers as schema
from web.api.typed import answer, body_of, operation, query_of, shaped, shaped_answer
from web.auth import current_user, roles_required
from web.db import db
from web.params import label_key
from web.throttling import client_address

MAX_ROWS = 500


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
            }
            for c in bank.compartments
        ],
    }


@api.get("/lockers")
@roles_required(Role.ADMIN)
@operation(
    "Every locker bank, its controller's health, its compartments (admin)", answer=schema.Banks
)
def lockers() -> Any:
    banks = db().scalars(select(LockerBank).order_by(LockerBank.controller))
    return answer(shaped(schema.Banks, {"banks": [bank_json(bank) for bank in banks]}))


@api.get("/lockers/<code:controller>/events")
@roles_required(Role.ADMIN)
@operation(
    "A controller's stored device events of one generation in seq order, after `after_seq` (admin)",
    description="Without `generation`, the controller's current one: a controller whose "
    "sequence was started afresh counts from seq 1 again in a new generation.",
    query=schema.DeviceEventsQuery,
    answer=schema.DeviceEvents,
    errors=(404,),
)
def locker_events(controller: str) -> Any:
    if bank_by_controller(db(), controller) is None:
        abort(404)
    query = query_of(schema.DeviceEventsQuery)
    generation = query.generation or generation_of(db(), controller)
    events = db().scalars(
        select(DeviceEvent)
        .where(
            DeviceEvent.controller == controller,
            DeviceEvent.generation == generation,
            DeviceEvent.seq > query.after_seq,
        )
        .order_by(DeviceEvent.seq)
        .limit(MAX_ROWS)
    )
    return shaped_answer(
        schema.DeviceEvents,
        generation=generation,
        events=[
            {
                "generation": e.generation,
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
        ],
    )


@api.post("/lockers/<code:controller>/sequence-afresh")
@roles_required(Role.ADMIN)
@operation(
    "Start a replaced controller's sequence afresh (admin)",
    description="The bridge then stores seq 1.. again as new events of a new generation; the "
    "old generation's events stay stored. A gap still open in the old generation is closed as "
    "lost. The reason goes to the audit log.",
    body=schema.SequenceAfresh,
    answer=schema.Sequence,
    errors=(404,),
)
def start_sequence_afresh(controller: str) -> Any:
    body = body_of(schema.SequenceAfresh)
    sequence = controller_sequences.start_sequence_afresh(
        db(), current_user(), controller, body.reason, label_key(), client_address()
    )
    return shaped_answer(
        schema.Sequence,
        controller=sequence.controller,
        generation=sequence.generation,
        contiguous=sequence.contiguous,
    )


@api.get("/dead-letters")
@roles_required(Role.ADMIN)
@operation(
    "Messages that broke the MQTT contract, newest first, a page at a time; at most 4 KiB of "
    "each payload (admin)",
    query=schema.DeadLettersQuery,
    answer=schema.DeadLetters,
)
def dead_letters() -> Any:
    """Dead letters newest first, a page at a time (``?before=<id>``, ``?limit=`` up to
    :data:`schema.LETTERS_PAGE`), each with at most :data:`KEPT_PAYLOAD` bytes of its payload."""
    page = query_of(schema.DeadLettersQuery)
    limit = page.limit
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
    if page.before is not None:
        query = query.where(DeadLetter.id < page.before)
    letters = db().execute(query.limit(limit)).all()
    return shaped_answer(
        schema.DeadLetters,
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
        next_before=letters[-1].id if len(letters) == limit else None,
    )
